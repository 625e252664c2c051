#!/usr/bin/env bash
# Soak (issue 6): the reliability suite's convergence trials, longer than CI runs them.
#
#   bash bench/soak.sh [SEEDS] [KILLS]      (defaults: 10 seeds, 30 kill points)
#
# Runs, from reliability/ (package eksaccess/reliability):
#   - TestGrantConvergesUnderFaults and TestApplyConvergesUnderFaults with SEEDS seeds each:
#     300 principals on a sandbox at --fault-rate 0.1 --reset-rate 0.03 --throttle-rps 40
#     --consistency-delay 2s; each trial checks every principal reached its desired state,
#     exit 0, a truthful summary, and no change applied twice (from the request log);
#   - TestSIGKILLThenRerunConverges with KILLS kill points: a 300-principal grant and apply,
#     each SIGKILLed KILLS times at random points (between create and associate included),
#     re-run each time, then run to completion.
# Each trial logs a "SOAK {json}" line; this script tabulates them into the "## Soak" section
# of bench/RESULTS.md (between <!-- BEGIN soak --> and <!-- END soak -->; nothing else in the
# file is touched). Exit status: that of `go test`.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
RESULTS="$BENCH_DIR/RESULTS.md"
SEEDS=${1:-10}
KILLS=${2:-30}
command -v go >/dev/null 2>&1 || { echo "soak: go is not on PATH: install Go 1.26 and run again" >&2; exit 1; }
command -v jq >/dev/null 2>&1 || { echo "soak: jq is not on PATH: install it (apt-get install jq) and run again" >&2; exit 1; }

mkdir -p "$BENCH_DIR/tmp"
LOG="$BENCH_DIR/tmp/soak.log"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
t0=$(date +%s)
set +e
# -parallel 8: the trials wait on the sandbox's throttle and latency, not on the CPU.
(cd "$ROOT" && EKSACCESS_SOAK_SEEDS=$SEEDS EKSACCESS_SOAK_KILLS=$KILLS go test -count=1 -timeout 120m -parallel 8 -v \
	-run '^(TestGrantConvergesUnderFaults|TestApplyConvergesUnderFaults|TestSIGKILLThenRerunConverges)$' ./reliability/) 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
wall=$(($(date +%s) - t0))

JSONL="$BENCH_DIR/tmp/soak.jsonl"
grep -o 'SOAK {.*}' "$LOG" | sed 's/^SOAK //' >"$JSONL" || true
[ -s "$JSONL" ] || { echo "soak: no trial reported (see $LOG)" >&2; exit 1; }

rev=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(cd "$ROOT" && [ -n "$(git status --porcelain 2>/dev/null)" ] && echo " + uncommitted changes" || true)
section=$(mktemp)
{
	echo "<!-- BEGIN soak -->"
	echo "## Soak"
	echo
	echo "Issue 6's convergence trials at soak size: \`bash bench/soak.sh $SEEDS $KILLS\` (runs reliability/'s TestGrantConvergesUnderFaults, TestApplyConvergesUnderFaults and TestSIGKILLThenRerunConverges, without -race)."
	echo
	echo "- date: $started; wall time ${wall}s; machine: $(nproc) CPUs, load average at end $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
	echo "- $(go version | cut -d' ' -f3-4), eksaccess $rev$dirty"
	echo "- fault trials: sandbox --fault-rate 0.1 --reset-rate 0.03 --throttle-rps 40 --consistency-delay 2s, 10% of the principals created in IAM just before the run, eksaccess --rate 80; kill trials: sandbox --latency 15ms, SIGKILL after a random number of applied changes (right after a CreateAccessEntry when possible), $KILLS kill points, then a run to completion"
	echo "- every trial checks: each principal in its desired state (read from the sandbox's store), exit 0, the summary's counts, no CreateAccessEntry or AssociateAccessPolicy acknowledged twice for one principal (request log), and for kill trials the journal of every run"
	echo
	echo "| trial | seed | principals | wall s | requests | 5xx faults | throttled | resets before | resets after (change made, answer lost) | SIGKILLs | final exit | outcome |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	jq -s -r 'sort_by(.trial, .seed)[] | "| \(.trial) | \(.seed) | \(.principals) | \(.seconds*10|round/10) | \(.requests) | \(.faults.fault // 0) | \(.faults.throttle // 0) | \(.faults["reset-before"] // 0) | \(.faults["reset-after"] // 0) | \(.kills // 0) | \(.exit) | \(if .passed then "converged" else "**FAILED**" end) |"' "$JSONL"
	echo
	jq -s -r '"**Totals:** \(length) trials, \(map(.principals)|add) principals, \(map(.requests)|add) requests, \(map((.faults.fault // 0) + (.faults.throttle // 0) + (.faults["reset-before"] // 0) + (.faults["reset-after"] // 0))|add) faults injected (\(map(.faults.fault // 0)|add) 5xx, \(map(.faults.throttle // 0)|add) throttled, \(map(.faults["reset-before"] // 0)|add) resets before, \(map(.faults["reset-after"] // 0)|add) resets after), \(map(.kills // 0)|add) SIGKILLs; \(map(select(.passed))|length) of \(length) trials converged."' "$JSONL"
	echo "<!-- END soak -->"
} >"$section"

touch "$RESULTS"
if grep -q '^<!-- BEGIN soak -->$' "$RESULTS"; then
	awk -v f="$section" '
		/^<!-- BEGIN soak -->$/ { while ((getline l < f) > 0) print l; skip = 1; next }
		/^<!-- END soak -->$/ { skip = 0; next }
		!skip { print }' "$RESULTS" >"$RESULTS.tmp" && mv "$RESULTS.tmp" "$RESULTS"
else
	{ echo; cat "$section"; } >>"$RESULTS"
fi
rm -f "$section"
echo "soak: wrote the Soak section of $RESULTS (go test exit $status)"
exit "$status"

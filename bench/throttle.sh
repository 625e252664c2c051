#!/usr/bin/env bash
# Benchmark 2 (issue 3, Performance): eksaccess grant of N=500 users against a sandbox that
# throttles above 50 requests/s per service. Target: wall time within 1.15× of the bound the
# throttle sets (successful mutating calls ÷ 50, counted from the request log), and zero
# failed grants.
#
#   bash bench/throttle.sh
#   N=500 RPS=50 ALT_RATE=100 bash bench/throttle.sh
#
# The headline run uses eksaccess's defaults (adaptive rate: no cap until throttled). A second run with --rate ALT_RATE
# (above the throttle; ALT_RATE=0 skips) shows the adaptive limiter meeting real throttling.
# The users are created on an unthrottled sandbox first and each run starts from a copy of
# that state served with --throttle-rps, so setup neither counts nor eats the throttle's budget.
source "$(dirname "$0")/lib.sh"

N=${N:-500}
RPS=${RPS:-50}
ALT_RATE=${ALT_RATE:-100}
CLUSTER=hyperpod-demo
POLICY=AmazonEKSEditPolicy

require_tools
build
RUN="$TMP/throttle"
rm -rf "$RUN"
mkdir -p "$RUN"
isolate "$RUN"

start_sandbox "$RUN/seeded"
"$TMP/mkusers" -n "$N" -out "$RUN/users.txt" 2>>"$RUN/setup.log"
stop_last_sandbox

rows="$RUN/rows.md"
: >"$rows"
# run LABEL [flags...]: one throttled grant on a fresh copy of the seeded state.
run() {
	local label=$1
	shift
	local log="$RUN/$label-requests.jsonl" rc elapsed wall mut bound ratio failed created
	cp -r "$RUN/seeded" "$RUN/$label-state"
	start_sandbox "$RUN/$label-state" --throttle-rps "$RPS" --log "$log"
	echo "eksaccess grant ($label): $N users, sandbox throttles above $RPS req/s per service ..." >&2
	timed_run "$label" "$BIN" grant -c "$CLUSTER" --policy "$POLICY" --users-file "$RUN/users.txt" --no-progress -o json "$@"
	wall=$elapsed
	"$TMP/logstats" -log "$log" >"$RUN/$label-stats.txt"
	stop_last_sandbox
	mut=$(kv "$RUN/$label-stats.txt" mutating_ok)
	bound=$(calc "$mut / $RPS" 2)
	ratio=$(calc "$wall / $bound" 3)
	failed=$(outcome_count "$RUN/$label.json" failed)
	created=$(outcome_count "$RUN/$label.json" created)
	verdict=$(awk -v r="$ratio" -v f="$failed" -v rc="$rc" -v c="$created" -v n="$N" \
		'BEGIN { print (r <= 1.15 && f == 0 && rc == 0 && c == n) ? "met" : "MISSED" }')
	echo "| ${*:-defaults (adaptive)} | $wall | $mut ÷ $RPS = $bound | **$ratio** | $verdict | $rc | $(outcomes "$RUN/$label.json") | $(kv "$RUN/$label-stats.txt" calls) | $(kv "$RUN/$label-stats.txt" throttled) | $(calc "$(kv "$RUN/$label-stats.txt" answered_eks) / $RPS" 2) |" >>"$rows"
	echo "$verdict $ratio $failed" >"$RUN/$label-verdict.txt"
}
run defaults
[ "$ALT_RATE" != 0 ] && run "rate$ALT_RATE" --rate "$ALT_RATE"
read -r verdict ratio failed <"$RUN/defaults-verdict.txt"

body="$RUN/section.md"
{
	echo "## throttle (issue 3): grant of $N users under --throttle-rps $RPS"
	echo
	machine_block
	echo "- parameters: N=$N users from a file, cluster $CLUSTER, policy $POLICY (cluster scope), sandbox --throttle-rps $RPS (a token bucket per service, burst $RPS), no latency; eksaccess --concurrency 16 (default); each run on a fresh copy of the same state"
	echo "- command: \`bash bench/throttle.sh\`"
	echo "- baseline (bound) = successful mutating calls ÷ $RPS, from the request log"
	echo
	echo "| eksaccess flags | wall s | bound s | **ratio** (target ≤ 1.15) | verdict | exit | outcomes | calls sent | throttled | all answered EKS calls ÷ $RPS, s |"
	echo "|---|---:|---:|---:|---|---:|---|---:|---:|---:|"
	cat "$rows"
	echo
	echo "Headline (defaults): ratio $ratio, failed grants $failed: **$verdict**. (The sandbox's bucket starts full, $RPS requests of burst, so a client can finish slightly under the bound: a ratio below 1 is possible.)"
	echo
	echo "Calls per operation, defaults run (sandbox request log):"
	echo
	grep '^|' "$RUN/defaults-stats.txt"
	echo
	if [ "$ALT_RATE" != 0 ]; then
		echo "Calls per operation, --rate $ALT_RATE run:"
		echo
		grep '^|' "$RUN/rate$ALT_RATE-stats.txt"
		echo
	fi
} >"$body"
write_section throttle "$body"
cat "$body"

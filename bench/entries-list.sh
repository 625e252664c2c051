#!/usr/bin/env bash
# Benchmark 3 (issue 3, Performance): `eksaccess entries list -o json` on a cluster with
# 2,000 access entries: wall time and peak memory (/usr/bin/time -v), and the calls it makes
# per entry (sandbox request log) against what the EKS API requires: ListAccessEntries pages
# of 100, one DescribeAccessEntry per entry, one ListAssociatedAccessPolicies per STANDARD entry.
#
#   bash bench/entries-list.sh
#   N=2000 LATENCY=0 ALT_RATE=1000 bash bench/entries-list.sh
#
# The entries are made by eksaccess grant from a 2,000-user file with a high --rate (setup,
# not measured). The listing runs with eksaccess's defaults, then again with --rate ALT_RATE
# (ALT_RATE=0 skips) to show what its client-side rate limit costs.
source "$(dirname "$0")/lib.sh"

N=${N:-2000}
LATENCY=${LATENCY:-0}
ALT_RATE=${ALT_RATE:-1000}
CLUSTER=hyperpod-demo

require_tools
build
RUN="$TMP/entries-list"
rm -rf "$RUN"
mkdir -p "$RUN"
isolate "$RUN"

echo "setup: $N users and their entries ..." >&2
start_sandbox "$RUN/state"
"$TMP/mkusers" -n "$N" -out "$RUN/users.txt" 2>>"$RUN/setup.log"
"$BIN" grant -c "$CLUSTER" --policy AmazonEKSViewPolicy --users-file "$RUN/users.txt" \
	--no-progress -o json --rate 2000 --concurrency 64 >"$RUN/setup-grant.json" 2>>"$RUN/setup.log" ||
	die "setup grant failed: $(tail -5 "$RUN/setup.log")"
stop_last_sandbox

LOG="$RUN/requests.jsonl"
latency_flags=()
[ "$LATENCY" != 0 ] && latency_flags=(--latency "$LATENCY")
start_sandbox "$RUN/state" --log "$LOG" "${latency_flags[@]}"

rows="$RUN/rows.md"
: >"$rows"
# list LABEL [flags...]: one timed listing; appends a table row; leaves stats in $RUN/LABEL-stats.txt.
list() {
	local label=$1
	shift
	local skip rc
	skip=$(log_lines "$LOG")
	echo "entries list ($label) ..." >&2
	set +e
	/usr/bin/time -v -o "$RUN/$label-time.txt" \
		"$BIN" entries list -c "$CLUSTER" -o json --no-progress "$@" >"$RUN/$label.json" 2>"$RUN/$label.err"
	rc=$?
	set -e
	check_sandbox "entries list ($label)"
	[ "$rc" = 0 ] || die "entries list ($label) exited $rc: $(tail -5 "$RUN/$label.err")"
	"$TMP/logstats" -log "$LOG" -skip "$skip" >"$RUN/$label-stats.txt"
	local wall rss entries standard pages describes listpol calls required per_entry
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.3f", s }' "$RUN/$label-time.txt")
	rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$RUN/$label-time.txt")
	# The listing itself says how many entries and how many are STANDARD.
	entries=$(jq '(if type == "array" then . else .entries end) | length' "$RUN/$label.json")
	standard=$(jq '[(if type == "array" then . else .entries end)[] | select(.type == "STANDARD")] | length' "$RUN/$label.json")
	pages=$(kv "$RUN/$label-stats.txt" ok_ListAccessEntries)
	describes=$(kv "$RUN/$label-stats.txt" ok_DescribeAccessEntry)
	listpol=$(kv "$RUN/$label-stats.txt" ok_ListAssociatedAccessPolicies)
	calls=$(kv "$RUN/$label-stats.txt" calls)
	required=$(((entries + 99) / 100 + entries + standard))
	if [ -n "${RATE_OF_LABEL:-}" ]; then min_s=$(calc "$required / $RATE_OF_LABEL" 2); else min_s="no cap"; fi
	echo "| $label | $entries ($standard STANDARD) | $wall | $min_s | $rss | $pages / $(((entries + 99) / 100)) | $describes / $entries | $listpol / $standard | $calls / $required | **$(calc "$calls / $required" 3)** | $(calc "$calls / $entries" 3) |" >>"$rows"
	echo "$wall $required $calls $pages $describes $listpol $entries $standard" >"$RUN/$label-summary.txt"
}
RATE_OF_LABEL= list defaults
if [ "$ALT_RATE" != 0 ]; then
	RATE_OF_LABEL=$ALT_RATE list "rate$ALT_RATE" --rate "$ALT_RATE"
fi
stop_last_sandbox

read -r def_wall def_required def_calls def_pages def_desc def_listpol def_entries def_standard <"$RUN/defaults-summary.txt"
verdict=MISSED
time_ok=$(awk -v w="$def_wall" 'BEGIN { print (w <= 10) ? 1 : 0 }')
if [ "$time_ok" = 1 ] && [ "$def_pages" -le $(((def_entries + 99) / 100)) ] && [ "$def_desc" -le "$def_entries" ] && [ "$def_listpol" -le "$def_standard" ]; then
	verdict=met
fi
overhead=$((def_calls - def_pages - def_desc - def_listpol))

body="$RUN/section.md"
{
	echo "## entries-list (issue 3): \`entries list -o json\` on a cluster with $N entries"
	echo
	machine_block
	echo "- parameters: $N STANDARD entries made by grant (AmazonEKSViewPolicy) plus the seed's entries, cluster $CLUSTER, sandbox latency ${LATENCY}; rows: eksaccess defaults (adaptive rate: no client-side cap until AWS throttles)$([ "$ALT_RATE" != 0 ] && echo ", and --rate $ALT_RATE")"
	echo "- command: \`bash bench/entries-list.sh\`; wall time and peak RSS from \`/usr/bin/time -v\`; calls from the sandbox's request log during the listing"
	echo "- baseline: the calls the API requires (pages of 100 + 1 DescribeAccessEntry per entry + 1 ListAssociatedAccessPolicies per STANDARD entry), and the least time those take at the run's client-side rate"
	echo
	echo "| run | entries | wall s | least s at --rate | max RSS MiB | ListAccessEntries (made / required) | DescribeAccessEntry | ListAssociatedAccessPolicies | all calls / required | **calls ÷ required** (target ≤ 1) | calls per entry |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	cat "$rows"
	echo
	echo "Verdict (defaults run: wall time ≤ 10 s — ${def_wall} s — and per-entry calls no more than the API requires: pages, DescribeAccessEntry and ListAssociatedAccessPolicies each within the required count): **$verdict**. Besides those, the listing makes $overhead call(s) per run that do not grow with the entries (e.g. DescribeCluster). With defaults there is no client-side cap (the sandbox does not throttle here), so the wall time is the calls at --concurrency, the sandbox and process start."
	echo
	grep '^|' "$RUN/defaults-stats.txt"
	echo
} >"$body"
write_section entries-list "$body"
cat "$body"

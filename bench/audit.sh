#!/usr/bin/env bash
# Benchmark 5 (issue 13): `eksaccess audit` of 2 accounts × 3 clusters × 500 entries against a
# sandbox that throttles each service above RPS requests/s. Checks that the calls are the
# API's minimum (per cluster: DescribeCluster, ⌈entries/100⌉ ListAccessEntries pages, then
# DescribeAccessEntry and ListAssociatedAccessPolicies per entry) and compares the wall time
# with what those calls need at the throttle (EKS calls ÷ RPS: one EKS bucket serves both
# accounts).
#
#   bash bench/audit.sh
#   N=500 RPS=100 bash bench/audit.sh
#
# Until several accounts in one run land (issue 13 part A), each account is audited by its
# own eksaccess process with that account's credentials, both started together; the wall
# time is from the start of the first to the end of the last.
#
# Setup (unthrottled, not timed): N IAM users per account, 3 clusters per account made with
# CreateCluster, and each user granted on each cluster of its account.
source "$(dirname "$0")/lib.sh"

N=${N:-500}
RPS=${RPS:-100}
ACCOUNTS=(111122223333 444455556666)
CLUSTERS=(audit-c1 audit-c2 audit-c3)

require_tools
build
RUN="$TMP/audit"
rm -rf "$RUN"
mkdir -p "$RUN"
isolate "$RUN"

env_for() { # ACCOUNT: the export lines of the account's admin
	"$BIN" sandbox env --state "$RUN/state" --account "$1" 2>/dev/null
}

echo "setup: $N users and ${#CLUSTERS[@]} clusters of $N entries in each of ${ACCOUNTS[*]} ..." >&2
start_sandbox "$RUN/state"
for a in "${ACCOUNTS[@]}"; do
	(
		eval "$(env_for "$a")"
		"$TMP/mkusers" -n "$N" -prefix "audit-$a-" -out "$RUN/users-$a.txt" 2>>"$RUN/setup.log"
		"$TMP/mkclusters" -role-arn "arn:aws:iam::$a:role/AmazonEKSClusterRole" "${CLUSTERS[@]}" 2>>"$RUN/setup.log"
		for c in "${CLUSTERS[@]}"; do
			"$BIN" grant -c "$c" --policy AmazonEKSViewPolicy --users-file "$RUN/users-$a.txt" --rate 1000 --no-progress -o json >"$RUN/grant-$a-$c.json" 2>>"$RUN/setup.log" ||
				die "setup grant on $c of $a failed: $(tail -3 "$RUN/setup.log")"
		done
	)
done
stop_last_sandbox

LOG="$RUN/requests.jsonl"
start_sandbox "$RUN/state" --throttle-rps "$RPS" --log "$LOG"
skip=$(log_lines "$LOG")
echo "audit of ${#ACCOUNTS[@]} accounts × ${#CLUSTERS[@]} clusters ..." >&2
args=()
for c in "${CLUSTERS[@]}"; do args+=(-c "$c"); done
t0=$(now_ns)
pids=()
for a in "${ACCOUNTS[@]}"; do
	(
		eval "$(env_for "$a")"
		"$BIN" audit "${args[@]}" -o json --no-progress >"$RUN/audit-$a.json" 2>"$RUN/audit-$a.err"
		echo $? >"$RUN/audit-$a.rc"
	) &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
t1=$(now_ns)
wall=$(secs "$t0" "$t1")
check_sandbox audit
"$TMP/logstats" -log "$LOG" -skip "$skip" >"$RUN/audit-stats.txt"

# The API's minimum, from what the audits found on the clusters.
entries=0
minimum=0
rows=0
rcs=""
for a in "${ACCOUNTS[@]}"; do
	rcs+="$a: exit $(cat "$RUN/audit-$a.rc"); "
	for n in $(jq -r '.clusters[].entries' "$RUN/audit-$a.json"); do
		entries=$((entries + n))
		minimum=$((minimum + 1 + (n + 99) / 100 + 2 * n))
	done
	rows=$((rows + $(jq '.rows | length' "$RUN/audit-$a.json")))
done
eks_ok=$(kv "$RUN/audit-stats.txt" answered_eks)
eks_reads=$(( $(kv "$RUN/audit-stats.txt" ok_DescribeCluster) + $(kv "$RUN/audit-stats.txt" ok_ListAccessEntries) + $(kv "$RUN/audit-stats.txt" ok_DescribeAccessEntry) + $(kv "$RUN/audit-stats.txt" ok_ListAssociatedAccessPolicies) ))
bound=$(calc "$eks_ok / $RPS" 2)
ratio=$(calc "$wall / $bound" 3)
calls_verdict=$([ "$eks_reads" = "$minimum" ] && echo "equal" || echo "NOT equal")
verdict=$(awk -v r="$ratio" -v c="$calls_verdict" 'BEGIN { print (r <= 1.15 && c == "equal") ? "met" : "MISSED" }')

body="$RUN/section.md"
{
	echo "## audit (issue 13): ${#ACCOUNTS[@]} accounts × ${#CLUSTERS[@]} clusters × $N entries under --throttle-rps $RPS"
	echo
	machine_block
	echo "- parameters: accounts ${ACCOUNTS[*]} (the sandbox's two), clusters ${CLUSTERS[*]} in each (CreateCluster, API_AND_CONFIG_MAP: the creator's entry + $N users with AmazonEKSViewPolicy each); sandbox --throttle-rps $RPS per service (one EKS bucket for both accounts); eksaccess defaults (--concurrency 16, --rate 50 per service and process)"
	echo "- command: \`bash bench/audit.sh\`; one \`eksaccess audit -c … -o json\` per account with that account's credentials, started together (several accounts in one run is issue 13 part A); wall time from the first start to the last end"
	echo "- baseline (bound) = answered EKS calls ÷ $RPS, from the sandbox's request log"
	echo
	echo "| entries audited | rows | EKS read calls | API minimum | calls | wall s | bound s | **ratio** (target ≤ 1.15) | verdict | exits |"
	echo "|---:|---:|---:|---:|---|---:|---:|---:|---|---|"
	echo "| $entries | $rows | $eks_reads | $minimum | $calls_verdict | $wall | $eks_ok ÷ $RPS = $bound | **$ratio** | $verdict | ${rcs%; } |"
	echo
	echo "API minimum = Σ over clusters of 1 DescribeCluster + ⌈entries ÷ 100⌉ ListAccessEntries pages + 1 DescribeAccessEntry and 1 ListAssociatedAccessPolicies per entry."
	echo
	echo "Calls per operation (sandbox request log):"
	echo
	"$TMP/logstats" -log "$LOG" -skip "$skip" -format md
	echo
} >"$body"
write_section audit "$body"
cat "$body"

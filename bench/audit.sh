#!/usr/bin/env bash
# Benchmark 5 (issue 13): ONE `eksaccess audit --all` process auditing the sandbox's 2 accounts
# (the first with the run's credentials, the second through --account-role) × 3 clusters × N
# entries, with default flags (adaptive rate), against a sandbox that throttles each account's
# calls to each service above RPS requests/s (as AWS throttles each account separately).
# Checks that the calls are the API's minimum (per account: one ListClusters page; per
# cluster: DescribeCluster, ⌈entries/100⌉ ListAccessEntries pages, then DescribeAccessEntry and
# ListAssociatedAccessPolicies per entry) and compares the wall time with what those calls
# need at the throttle: the accounts have separate buckets and are read concurrently, so the
# bound is the larger account's answered EKS calls ÷ RPS.
#
#   bash bench/audit.sh
#   N=500 RPS=100 bash bench/audit.sh
#
# Setup (unthrottled, not timed): N IAM users per account, 3 clusters per account made with
# CreateCluster, and each user granted on each cluster of its account. --all also finds each
# account's seeded cluster (hyperpod-demo, partner-prod), audited like the others.
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
PARTNER_ROLE="arn:aws:iam::${ACCOUNTS[1]}:role/CrossAccountEKSAdmin"
echo "audit --all of ${#ACCOUNTS[@]} accounts × ${#CLUSTERS[@]} clusters in one process ..." >&2
t0=$(now_ns)
set +e
(
	eval "$(env_for "${ACCOUNTS[0]}")"
	"$BIN" audit --all --account-role "$PARTNER_ROLE" -o json --no-progress >"$RUN/audit.json" 2>"$RUN/audit.err"
)
rc=$?
set -e
t1=$(now_ns)
wall=$(secs "$t0" "$t1")
check_sandbox audit
"$TMP/logstats" -log "$LOG" -skip "$skip" >"$RUN/audit-stats.txt"

# The API's minimum, from what the audit found on the clusters of each account.
entries=0
minimum=0
rows=$(jq '.rows | length' "$RUN/audit.json")
clusters=$(jq '[.clusters[] | select(.error == null)] | length' "$RUN/audit.json")
failed=$(jq '[.clusters[] | select(.error != null)] | length' "$RUN/audit.json")
eks_reads_of() { # STATS-FILE: answered EKS read calls
	echo $(( $(kv "$1" ok_ListClusters) + $(kv "$1" ok_DescribeCluster) + $(kv "$1" ok_ListAccessEntries) + $(kv "$1" ok_DescribeAccessEntry) + $(kv "$1" ok_ListAssociatedAccessPolicies) ))
}
per_account=""
max_eks=0
for a in "${ACCOUNTS[@]}"; do
	"$TMP/logstats" -log "$LOG" -skip "$skip" -account "$a" -format kv >"$RUN/audit-stats-$a.txt"
	acct_min=1 # one ListClusters page
	for n in $(jq -r --arg a "$a" '.clusters[] | select(.account == $a and .error == null) | .entries' "$RUN/audit.json"); do
		entries=$((entries + n))
		acct_min=$((acct_min + 1 + (n + 99) / 100 + 2 * n))
	done
	# Node entries (EC2_LINUX, HYPERPOD_LINUX, ...) cannot have access policies: no
	# ListAssociatedAccessPolicies for them.
	nodes=$(jq --arg a "$a" '[.rows[] | select(.account == $a and .grant == "node")] | length' "$RUN/audit.json")
	acct_min=$((acct_min - nodes))
	minimum=$((minimum + acct_min))
	acct_eks=$(kv "$RUN/audit-stats-$a.txt" answered_eks)
	[ "$acct_eks" -gt "$max_eks" ] && max_eks=$acct_eks
	per_account+="$a: $(eks_reads_of "$RUN/audit-stats-$a.txt") reads (minimum $acct_min), $acct_eks answered EKS calls; "
done
eks_reads=$(eks_reads_of "$RUN/audit-stats.txt")
bound=$(calc "$max_eks / $RPS" 2)
ratio=$(calc "$wall / $bound" 3)
# The bucket starts full (RPS tokens): the calls need (calls - RPS) / RPS seconds at least.
strict=$(calc "($max_eks - $RPS) / $RPS" 2)
strict_ratio=$(calc "$wall / $strict" 3)
calls_verdict=$([ "$eks_reads" = "$minimum" ] && echo "equal" || echo "NOT equal")
verdict=$(awk -v r="$strict_ratio" -v c="$calls_verdict" -v rc="$rc" 'BEGIN { print (r <= 1.15 && c == "equal" && rc == 0) ? "met" : "MISSED" }')
throttled=$(kv "$RUN/audit-stats.txt" throttled)

body="$RUN/section.md"
{
	echo "## audit (issue 13): ${#ACCOUNTS[@]} accounts × ${#CLUSTERS[@]} clusters × $N entries in one process under --throttle-rps $RPS"
	echo
	machine_block
	echo "- parameters: accounts ${ACCOUNTS[*]} (the sandbox's two), clusters ${CLUSTERS[*]} in each (CreateCluster, API_AND_CONFIG_MAP: the creator's entry + $N users with AmazonEKSViewPolicy each), plus each account's seeded cluster, which --all finds too; sandbox --throttle-rps $RPS per account and service (each account its own EKS bucket, as AWS throttles each account separately); eksaccess defaults (adaptive rate per account, region and service; --concurrency 16; 4 clusters at a time per account)"
	echo "- command: \`bash bench/audit.sh\`; one \`eksaccess audit --all --account-role $PARTNER_ROLE -o json\` with the first account's credentials (exit $rc)"
	echo "- baseline (bound) = the larger account's answered EKS calls ÷ $RPS (the accounts' buckets are separate and both accounts are read at once), from the sandbox's request log; the strict bound takes off the bucket's initial burst of $RPS calls, which costs no wait: (calls − $RPS) ÷ $RPS. The verdict uses the strict bound."
	echo "- per account: ${per_account%; }"
	echo
	echo "| clusters | entries audited | rows | EKS read calls | API minimum | calls | throttled (retried) | wall s | bound s | ratio | strict bound s | **strict ratio** (target ≤ 1.15) | verdict |"
	echo "|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|"
	echo "| $clusters (+$failed failed) | $entries | $rows | $eks_reads | $minimum | $calls_verdict | $throttled | $wall | $max_eks ÷ $RPS = $bound | $ratio | ($max_eks − $RPS) ÷ $RPS = $strict | **$strict_ratio** | $verdict |"
	echo
	echo "API minimum = Σ over accounts of 1 ListClusters page + Σ over clusters of 1 DescribeCluster + ⌈entries ÷ 100⌉ ListAccessEntries pages + 1 DescribeAccessEntry per entry and 1 ListAssociatedAccessPolicies per STANDARD entry (node entries cannot have access policies)."
	echo
	echo "Calls per operation (sandbox request log):"
	echo
	"$TMP/logstats" -log "$LOG" -skip "$skip" -format md
	echo
} >"$body"
write_section audit "$body"
cat "$body"

#!/usr/bin/env bash
# Benchmark (issue 11): the cost of IAM policy evaluation per call. Two sandboxes in the same
# run, one with `--no-iam-enforce` (the baseline) and one enforcing (the default); the same
# read mix (bench/cmd/iamcost: DescribeCluster, ListAccessEntries, DescribeAccessEntry,
# GetUser) against each, as the admin (AdministratorAccess, one statement) and as erin (the
# delegated admin: an inline policy of three statements with conditions). Also the
# evaluation alone, as a Go benchmark of authz.Check.
#
#   bash bench/iam-cost.sh
#   N=10000 CONC=4 ROUNDS=5 bash bench/iam-cost.sh
#
# Both sandboxes run at once and the rounds alternate off, on, off, on, … so that load from
# other work on the machine falls on both alike; the table shows each side's median round.
source "$(dirname "$0")/lib.sh"

N=${N:-10000}
CONC=${CONC:-4}
ROUNDS=${ROUNDS:-5}
LOAD_AT_START=$(cut -d" " -f1-3 /proc/loadavg)

require_tools
build
RUN="$TMP/iam-cost"
rm -rf "$RUN"
mkdir -p "$RUN"
isolate "$RUN"

measure() { # measure LABEL: runs iamcost as the current credentials into $RUN/LABEL.kv
	"$TMP/iamcost" -n "$N" -c "$CONC" >"$RUN/$1.kv" || die "iamcost $1 failed: $(cat "$RUN/$1.kv")"
}
erin_keys() { # erin_keys FILE: an access key for erin (made by the current admin) as export lines
	local id secret
	read -r id secret < <(aws iam create-access-key --user-name erin --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
	printf 'export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\n' "$id" "$secret" >"$1"
}

declare -A ENV
for mode in off on; do
	flags=()
	[ "$mode" = off ] && flags=(--no-iam-enforce)
	start_sandbox "$RUN/state-$mode" "${flags[@]}"
	export -p | grep -E ' AWS_(ENDPOINT_URL|REGION|DEFAULT_REGION|ACCESS_KEY_ID|SECRET_ACCESS_KEY)=' >"$RUN/admin-$mode.env"
	erin_keys "$RUN/erin-$mode.env"
done
for r in $(seq 1 "$ROUNDS"); do
	for mode in off on; do
		for who in admin erin; do
			(. "$RUN/admin-$mode.env" && { [ "$who" = admin ] || . "$RUN/erin-$mode.env"; } && measure "$who-$mode-$r")
		done
	done
done
for mode in off on; do
	for who in admin erin; do
		# the median round by us_per_call
		best=$(for r in $(seq 1 "$ROUNDS"); do echo "$(kv "$RUN/$who-$mode-$r.kv" us_per_call) $r"; done | sort -n | awk -v m=$(((ROUNDS + 1) / 2)) 'NR == m { print $2 }')
		cp "$RUN/$who-$mode-$best.kv" "$RUN/$who-$mode.kv"
	done
done
(cd "$ROOT" && go test -run '^$' -bench 'BenchmarkCheck' -benchtime 20000x -count "$ROUNDS" ./internal/sandbox/iam/authz/) >"$RUN/check.txt" || die "go test -bench failed"
(cd "$ROOT" && go test -run '^$' -bench 'BenchmarkServe' -benchtime 3000x -count "$ROUNDS" ./internal/sandbox/) >"$RUN/serve.txt" || die "go test -bench failed"

row() { # row LABEL
	local off=$(kv "$RUN/$1-off.kv" us_per_call) on=$(kv "$RUN/$1-on.kv" us_per_call)
	echo "| $1 | $off | $on | $(calc "$on / $off") | $(kv "$RUN/$1-off.kv" p50_us) / $(kv "$RUN/$1-on.kv" p50_us) | $(kv "$RUN/$1-off.kv" p99_us) / $(kv "$RUN/$1-on.kv" p99_us) |"
}
body="$RUN/section.md"
{
	echo "## iam-cost (issue 11): IAM policy evaluation per call, enforcement on vs off"
	echo
	echo "\`bash bench/iam-cost.sh\` (N=$N calls per round, $CONC concurrent callers, $ROUNDS rounds alternating off/on, median round shown; the mix of DescribeCluster, ListAccessEntries, DescribeAccessEntry and GetUser, over HTTP with aws-sdk-go-v2)."
	echo
	machine_block
	echo
	echo "| caller | µs/call off (baseline) | µs/call on | ratio on/off | p50 µs off / on | p99 µs off / on |"
	echo "|---|---|---|---|---|---|"
	row admin
	row erin
	echo
	echo "Server side only, no network (\`go test -bench BenchmarkServe ./internal/sandbox/\`: a signed request replayed into the server's ServeHTTP — SigV4 verification, routing, the handler and, enforcing, the evaluation), median of $ROUNDS runs:"
	echo
	echo "| caller / call | ns/op off (baseline) | ns/op on | ratio on/off |"
	echo "|---|---|---|---|"
	awk '/^BenchmarkServe\// {
			name = $1; sub(/^BenchmarkServe\//, "", name); sub(/-[0-9]+$/, "", name)
			mode = name; sub(/.*\/enforce-/, "", mode); sub(/\/enforce-(on|off)$/, "", name)
			v[name, mode, ++n[name, mode]] = $3; names[name] = 1
		}
		function median(name, mode,   i, j, t, c, a) {
			c = n[name, mode]
			for (i = 1; i <= c; i++) a[i] = v[name, mode, i] + 0
			for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return a[int((c + 1) / 2)]
		}
		END { for (k in names) { off = median(k, "off"); on = median(k, "on"); printf "| %s | %d | %d | %.2f |\n", k, off, on, on / off } }' "$RUN/serve.txt" | sort
	echo
	echo "The evaluation alone (\`go test -bench BenchmarkCheck ./internal/sandbox/iam/authz/\`, one line per run):"
	echo
	echo '```'
	grep '^Benchmark' "$RUN/check.txt"
	echo '```'
} >"$body"
write_section iam-cost "$body"
cat "$body"

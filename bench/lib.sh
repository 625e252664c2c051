# Shared helpers for the benchmark scripts in bench/ (sourced, not run).
#
# Every script: builds eksaccess and the helper programs into bench/tmp, starts sandboxes on
# free ports (port 0: the sandbox prints the port it got), stops them on exit, and replaces
# its own section of bench/RESULTS.md.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
TMP="$BENCH_DIR/tmp"
BIN="$TMP/eksaccess"
RESULTS="$BENCH_DIR/RESULTS.md"
SANDBOX_PIDS=()

die() { echo "bench: $*" >&2; exit 1; }

require_tools() {
	command -v aws >/dev/null 2>&1 || die "the aws CLI is not on PATH: install it (pip install awscli) and run again"
	command -v go >/dev/null 2>&1 || die "go is not on PATH: install Go 1.26 and run again"
	command -v jq >/dev/null 2>&1 || die "jq is not on PATH: install it (apt-get install jq) and run again"
	[ -x /usr/bin/time ] || die "/usr/bin/time is missing: install GNU time (apt-get install time) and run again"
}

# build compiles eksaccess and the helper programs (mkusers, mkclusters, logstats).
build() {
	mkdir -p "$TMP"
	(cd "$ROOT" &&
		go build -o "$BIN" ./cmd/eksaccess &&
		go build -o "$TMP/mkusers" ./bench/cmd/mkusers &&
		go build -o "$TMP/mkclusters" ./bench/cmd/mkclusters &&
		go build -o "$TMP/logstats" ./bench/cmd/logstats &&
		go build -o "$TMP/iamcost" ./bench/cmd/iamcost) || die "build failed"
}

# isolate keeps eksaccess's journal, caches and config inside the run directory, and makes
# sure no command falls back to the embedded sandbox or a real AWS profile.
isolate() {
	local dir=$1
	unset EKSACCESS_SANDBOX AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN || true
	export EKSACCESS_JOURNAL="$dir/journal.jsonl"
	export XDG_STATE_HOME="$dir/xdg/state" XDG_CONFIG_HOME="$dir/xdg/config" XDG_CACHE_HOME="$dir/xdg/cache"
	export AWS_CONFIG_FILE="$dir/aws-config" AWS_SHARED_CREDENTIALS_FILE="$dir/aws-credentials"
	mkdir -p "$XDG_STATE_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
	: >"$AWS_CONFIG_FILE"
	: >"$AWS_SHARED_CREDENTIALS_FILE"
}

stop_sandboxes() {
	local pid
	for pid in "${SANDBOX_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${SANDBOX_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	SANDBOX_PIDS=()
}
trap stop_sandboxes EXIT
trap 'exit 130' INT TERM

# start_sandbox STATE_DIR [serve flags...]: starts a sandbox and exports its AWS_* variables.
start_sandbox() {
	local state=$1
	shift
	SANDBOX_STARTS=$((${SANDBOX_STARTS:-0} + 1))
	local out="$state.$SANDBOX_STARTS.out"
	SANDBOX_ERR="$state.$SANDBOX_STARTS.err"
	mkdir -p "$state"
	"$BIN" sandbox serve --state "$state" --addr 127.0.0.1:0 --kube-addr 127.0.0.1:0 "$@" >"$out" 2>"$SANDBOX_ERR" &
	SANDBOX_PIDS+=($!)
	local i
	for i in $(seq 1 100); do
		if grep -q '^export AWS_SECRET_ACCESS_KEY=' "$out" 2>/dev/null; then
			eval "$(grep '^export ' "$out")"
			return 0
		fi
		kill -0 "${SANDBOX_PIDS[-1]}" 2>/dev/null || die "sandbox exited: $(cat "$SANDBOX_ERR")"
		sleep 0.1
	done
	die "sandbox did not start within 10s: $(cat "$SANDBOX_ERR")"
}

# check_sandbox WHAT: fails the run when the current sandbox is no longer running (a result
# measured against a dead sandbox would be meaningless).
check_sandbox() {
	kill -0 "${SANDBOX_PIDS[-1]}" 2>/dev/null ||
		die "the sandbox stopped during $1 (stopped or killed from outside this script?): $(tail -3 "$SANDBOX_ERR")"
}

# stop_last_sandbox stops the most recently started sandbox.
stop_last_sandbox() {
	local pid=${SANDBOX_PIDS[-1]}
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset 'SANDBOX_PIDS[-1]'
}

now_ns() { date +%s%N; }
# secs START_NS END_NS prints the seconds between them with millisecond precision.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

# timed_run LABEL CMD...: runs CMD with its output in $RUN/LABEL.json and $RUN/LABEL.err, leaves
# its exit status in rc and its wall time in elapsed (seconds), and checks the sandbox survived.
timed_run() {
	local label=$1 t0 t1
	shift
	t0=$(now_ns)
	set +e
	"$@" >"$RUN/$label.json" 2>"$RUN/$label.err"
	rc=$?
	set -e
	t1=$(now_ns)
	elapsed=$(secs "$t0" "$t1")
	check_sandbox "$label"
}
# calc EXPR evaluates a floating-point expression.
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }

# log_lines FILE: lines in the request log so far, after letting in-flight records land.
log_lines() {
	sleep 0.3
	if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi
}

# outcomes FILE: "created=N, failed=M, ..." from a grant/apply -o json result.
outcomes() { jq -r '[.results[]?.outcome] | group_by(.) | map("\(.[0])=\(length)") | join(", ")' "$1" 2>/dev/null || echo "?"; }
# outcome_count FILE OUTCOME: how many results have that outcome.
outcome_count() { jq -r --arg o "$2" '[.results[]? | select(.outcome == $o)] | length' "$1" 2>/dev/null || echo "?"; }

# kv FILE KEY: value of KEY in logstats' key=value output (0 when absent).
kv() { awk -F= -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' "$1"; }

machine_block() {
	echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "- machine: $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, load average (1/5/15 min) at start ${LOAD_AT_START:-?}, at end $(cut -d" " -f1-3 /proc/loadavg) (other work shares this machine)"
	echo "- $(go version), $(aws --version 2>&1), eksaccess $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && git diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')"
}

# write_section NAME FILE: replaces (or appends) NAME's section in RESULTS.md with FILE.
write_section() {
	local name=$1 body=$2
	local begin="<!-- BEGIN $name -->" end="<!-- END $name -->"
	[ -f "$RESULTS" ] || printf '# Benchmark results\n\nWritten by the scripts in bench/ (each replaces its own section). Ratios compare measurements taken in the same run.\n' >"$RESULTS"
	local new="$RESULTS.new"
	if grep -qF "$begin" "$RESULTS"; then
		awk -v b="$begin" -v e="$end" -v f="$body" '
			$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
			$0 == e { skip = 0 }
			!skip { print }' "$RESULTS" >"$new"
	else
		{ cat "$RESULTS"; printf '\n%s\n' "$begin"; cat "$body"; printf '%s\n' "$end"; } >"$new"
	fi
	mv "$new" "$RESULTS"
}

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

#!/usr/bin/env bash
# Benchmark (issue 10): the cost of the sandbox's real Kubernetes mode against the builtin
# mode, measured in the same run: time from a cluster's first kubectl request to its answer
# (the real mode starts etcd and kube-apiserver then), a warm request, and the resident
# memory of the sandbox and its components once the cluster is up. REPS cold starts each.
#
#   bash tools/kube/build.sh     # once: the real mode's components
#   bash bench/kube-modes.sh
#   REPS=5 bash bench/kube-modes.sh
source "$(dirname "$0")/lib.sh"

REPS=${REPS:-3}
CLUSTER=hyperpod-demo
command -v kubectl >/dev/null 2>&1 || die "kubectl is not on PATH"
require_tools
build
bash "$ROOT/tools/kube/build.sh" >/dev/null || die "the real mode's components do not build: run bash tools/kube/build.sh"
# isolate moves XDG_CACHE_HOME; the components stay where build.sh put them.
export EKSACCESS_KUBE_DIR
EKSACCESS_KUBE_DIR=$(bash "$ROOT/tools/kube/build.sh" --print-dir)

RUN="$TMP/kube-modes"
rm -rf "$RUN"
mkdir -p "$RUN"
isolate "$RUN"
export HOME="$RUN/home"
mkdir -p "$HOME"

# rss_kib PID: resident memory of PID and all its descendants, in KiB.
rss_kib() {
	local total=0 p
	for p in $1 $(pgrep -P "$1" || true); do
		total=$((total + $(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
	done
	echo "$total"
}
# child_rss NAME PID: resident memory of PID's child process NAME, in KiB.
child_rss() {
	local p
	for p in $(pgrep -P "$2" || true); do
		if [ "$(cat "/proc/$p/comm")" = "$1" ]; then awk '/^VmRSS:/ { print $2 }' "/proc/$p/status"; return; fi
	done
	echo 0
}

declare -A cold warm rss
for mode in builtin real; do
	cold[$mode]=0; warm[$mode]=0
	for rep in $(seq 1 "$REPS"); do
		start_sandbox "$RUN/$mode-$rep" --kubernetes "$mode"
		"$BIN" kubeconfig -c "$CLUSTER" --kubeconfig "$RUN/$mode-$rep.kubeconfig" >/dev/null 2>&1
		t0=$(now_ns)
		kubectl --kubeconfig "$RUN/$mode-$rep.kubeconfig" auth whoami >/dev/null || die "$mode: kubectl auth whoami failed"
		t1=$(now_ns)
		kubectl --kubeconfig "$RUN/$mode-$rep.kubeconfig" auth whoami >/dev/null || die "$mode: second whoami failed"
		t2=$(now_ns)
		check_sandbox "$mode whoami"
		cold[$mode]=$(calc "${cold[$mode]} + $(secs "$t0" "$t1")" 3)
		warm[$mode]=$(calc "${warm[$mode]} + $(secs "$t1" "$t2")" 3)
		pid=${SANDBOX_PIDS[-1]}
		rss[$mode]=$(rss_kib "$pid")
		if [ "$mode" = real ]; then
			api_rss=$(child_rss kube-apiserver "$pid")
			etcd_rss=$(child_rss etcd "$pid")
		fi
		stop_last_sandbox
	done
	cold[$mode]=$(calc "${cold[$mode]} / $REPS" 3)
	warm[$mode]=$(calc "${warm[$mode]} / $REPS" 3)
done

body="$RUN/section.md"
{
	echo "## kube-modes (issue 10): the real Kubernetes mode against the builtin mode"
	echo
	machine_block
	echo "- kube-apiserver and etcd: $("$EKSACCESS_KUBE_DIR/kube-apiserver" --version), etcd $(sed -n 's/^ETCD_VERSION=//p' "$ROOT/tools/kube/versions.env")"
	echo "- command: \`bash bench/kube-modes.sh\` (REPS=$REPS fresh sandboxes per mode; times are kubectl 1.32's wall time, its own start included)"
	echo
	echo "| | builtin | real | real ÷ builtin |"
	echo "|---|---:|---:|---:|"
	echo "| first \`kubectl auth whoami\` of a cluster, s (real: etcd + kube-apiserver start) | ${cold[builtin]} | ${cold[real]} | $(calc "${cold[real]} / ${cold[builtin]}" 1)× |"
	echo "| next \`kubectl auth whoami\`, s | ${warm[builtin]} | ${warm[real]} | $(calc "${warm[real]} / ${warm[builtin]}" 1)× |"
	echo "| resident memory with one cluster up, MiB (sandbox + components) | $(calc "${rss[builtin]} / 1024" 0) | $(calc "${rss[real]} / 1024" 0) | $(calc "${rss[real]} / ${rss[builtin]}" 1)× |"
	echo
	echo "Of the real mode's memory: kube-apiserver $(calc "$api_rss / 1024" 0) MiB, etcd $(calc "$etcd_rss / 1024" 0) MiB (last run). Each further cluster used adds about as much again."
	echo
} >"$body"
write_section kube-modes "$body"
cat "$body"

// Package kubectle2e holds end-to-end tests that run the eksaccess binary and the real
// kubectl (and aws CLI) against a sandbox: grant → kubeconfig → kubectl auth whoami/can-i
// → revoke, in the builtin Kubernetes mode and in the real one (one kube-apiserver for the
// package, built by tools/kube/build.sh). The shared scenario runs against both modes and
// their transcripts must be identical. It has no code of its own; the tests build the
// binary once per run.
package kubectle2e

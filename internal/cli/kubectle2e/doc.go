// Package kubectle2e holds end-to-end tests that run the eksaccess binary and the real
// kubectl (and aws CLI) against a sandbox: grant → kubeconfig → kubectl auth whoami/can-i
// → revoke. It has no code of its own; the tests build the binary once per run.
package kubectle2e

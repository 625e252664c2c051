package view

import (
	"fmt"
	"io"

	"eksaccess/internal/usecase"
)

// Kubeconfig says which context was written where, as aws eks update-kubeconfig does, and
// whether kubectl will need a sandbox that is not running.
func Kubeconfig(w io.Writer, res *usecase.KubeconfigResult, sandboxDown bool) {
	verb := "Added new context %s to %s"
	if res.Updated {
		verb = "Updated context %s in %s"
	}
	fmt.Fprintf(w, verb+"\n", res.Context, res.Path)
	if res.RoleArn != "" {
		fmt.Fprintf(w, "kubectl will use role %s as session %s\n", res.RoleArn, res.SessionName)
	}
	if sandboxDown {
		fmt.Fprintf(w, "note: the sandbox's Kubernetes endpoint lives only while a sandbox runs: start `eksaccess sandbox serve` before using kubectl\n")
	}
}

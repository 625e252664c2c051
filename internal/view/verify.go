package view

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"eksaccess/internal/output"
	"eksaccess/internal/usecase"
)

// Verify prints who the cluster says you are and each check's result; where the live
// answer and the offline one disagree, both.
func Verify(w io.Writer, res *usecase.VerifyResult) error {
	if res.Offline {
		fmt.Fprintf(w, "Offline: nobody can get a token for another principal, so this is what EKS would decide from %s's access entry and access policies (as `eksaccess can-i`), not the cluster's answer.\n\n", res.Principal)
	}
	t := output.NewTable(w)
	if res.Server != "" {
		t.Row("Cluster:", res.Cluster+" ("+res.Server+")")
	} else {
		t.Row("Cluster:", res.Cluster)
	}
	if res.Offline {
		t.Row("Principal:", res.Principal)
	}
	t.Row("Username:", res.User.Username)
	if res.User.UID != "" {
		t.Row("UID:", res.User.UID)
	}
	t.Row("Groups:", strings.Join(res.User.Groups, ", "))
	keys := make([]string, 0, len(res.User.Extra))
	for k := range res.User.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "arn" || k == "sessionName" {
			t.Row("Extra "+k+":", strings.Join(res.User.Extra[k], ", "))
		}
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if len(res.Checks) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	// The offline answer is shown beside the live one where the two disagree.
	offline := !res.Offline && res.Disagreements > 0
	headers := []string{"CHECK", "EXPECTED", "RESULT", "REASON"}
	if offline {
		headers = []string{"CHECK", "EXPECTED", "RESULT", "OFFLINE", "REASON"}
	}
	ct := output.NewTable(w, headers...)
	for _, c := range res.Checks {
		result := c.Result
		if !c.OK {
			result += " (FAIL)"
		}
		cells := []string{c.Check, c.Expected, result, c.Reason}
		if offline {
			off := c.Offline
			if c.Disagrees {
				off += " (DISAGREES)"
			}
			cells = []string{c.Check, c.Expected, result, off, c.Reason}
		}
		ct.Row(cells...)
	}
	if err := ct.Flush(); err != nil {
		return err
	}
	if res.Disagreements > 0 {
		fmt.Fprintf(w, "%d checks: the cluster's answer differs from the offline one (access policies alone; RBAC or aws-auth decides)\n", res.Disagreements)
	}
	return nil
}

package view

import (
	"fmt"
	"io"

	"eksaccess/internal/plan"
	"eksaccess/internal/usecase"
)

// ExpireWarnings reports, on w (stderr), the expiry tags expire could not read.
func ExpireWarnings(w io.Writer, res *usecase.ExpireResult) {
	for _, rep := range res.Reports {
		for _, p := range rep.Unreadable {
			fmt.Fprintf(w, "warning: %s: %s\n", rep.Cluster, p)
		}
	}
}

// ExpireOutcome says what expire changed, or in a dry run would change.
func ExpireOutcome(w io.Writer, res *usecase.ExpireResult, verbose bool) {
	switch {
	case res.Outcome.DryRun:
		fmt.Fprintf(w, "dry run: %d change(s) would be made (nothing was changed)\n", res.Outcome.Pending)
	case res.Outcome.Pending > 0:
		res.Outcome.Summary.Write(w, verbose)
	}
}

// Expired lists, per cluster, each expired grant and what becomes of its entry.
func Expired(w io.Writer, res *usecase.ExpireResult) {
	for _, rep := range res.Reports {
		fmt.Fprintf(w, "cluster %s: %d entr(ies) with expired grants\n", rep.Cluster, len(rep.Expired))
		for _, x := range rep.Expired {
			for _, r := range x.Records {
				what := r.Policy
				if r.Key == plan.TagExpires {
					what = "every grant"
				} else if !r.Cluster() {
					what += " in " + fmt.Sprint(r.Namespaces)
				}
				fmt.Fprintf(w, "  %s: %s expired %s\n", x.Principal, what, plan.FormatExpiry(r.At))
			}
			if x.LeftAlone {
				fmt.Fprintf(w, "  %s: left alone (not managed by eksaccess: revoke it yourself, or list it in an access file with apply to adopt it)\n", x.Principal)
			}
			if x.Deleted {
				fmt.Fprintf(w, "  %s: nothing left, the entry goes\n", x.Principal)
			}
		}
	}
}

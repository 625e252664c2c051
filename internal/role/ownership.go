package role

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Adoption is an existing role or customer managed policy without the eksaccess/managed tag
// that Converge would take over, and what taking it over would write.
type Adoption struct {
	Resource string `json:"resource"` // role | policy
	Name     string `json:"name"`
	Arn      string `json:"arn"`
	// Role: the trust policy now and as it would be ("" After: unchanged).
	TrustBefore string `json:"trustBefore,omitempty"`
	TrustAfter  string `json:"trustAfter,omitempty"`
	// Policy: the default version now, and the document of the new default version
	// ("" NewDocument: unchanged).
	DefaultVersion string `json:"defaultVersion,omitempty"`
	OldDocument    string `json:"oldDocument,omitempty"`
	NewDocument    string `json:"newDocument,omitempty"`
}

// OwnershipError refuses to change a role or policy eksaccess did not create. Exit code 1:
// nothing was changed, and the input itself is fine.
type OwnershipError struct {
	Adoptions []Adoption
	Declined  bool // the user was asked and said no
}

func (e *OwnershipError) Error() string {
	var names []string
	for _, a := range e.Adoptions {
		names = append(names, fmt.Sprintf("IAM %s %s", a.Resource, a.Arn))
	}
	what := strings.Join(names, " and ")
	if e.Declined {
		return fmt.Sprintf("not adopted: %s left alone, nothing was changed", what)
	}
	verb := "exists"
	if len(e.Adoptions) > 1 {
		verb = "exist"
	}
	return fmt.Sprintf("%s %s without the %s tag, so eksaccess did not create it and will not change it: "+
		"choose another name (role NAME, --policy-name), or take it over with --adopt, which shows the trust-policy diff and the new policy version first; nothing was changed",
		what, verb, TagManaged)
}

// ExitCode is 1: refused, nothing changed.
func (e *OwnershipError) ExitCode() int { return 1 }

// hasManagedTag reports whether IAM tags carry eksaccess/managed=true.
func hasManagedTag(tags []types.Tag) bool {
	for _, t := range tags {
		if t.Key != nil && *t.Key == TagManaged && t.Value != nil && *t.Value == "true" {
			return true
		}
	}
	return false
}

// WriteAdoptions prints what adopting would do: per role the trust-policy diff, per policy
// the new default version it would write, as unified-style line diffs of indented JSON.
func WriteAdoptions(w io.Writer, as []Adoption) {
	for _, a := range as {
		fmt.Fprintf(w, "adopt IAM %s %s (it has no %s tag; adopting tags it)\n", a.Resource, a.Arn, TagManaged)
		switch a.Resource {
		case "role":
			if a.TrustAfter == "" {
				fmt.Fprintln(w, "  trust policy: unchanged")
				continue
			}
			fmt.Fprintln(w, "  trust policy:")
			writeDiff(w, "    ", pretty(a.TrustBefore), pretty(a.TrustAfter))
		case "policy":
			if a.NewDocument == "" {
				fmt.Fprintf(w, "  default version %s: unchanged\n", a.DefaultVersion)
				continue
			}
			fmt.Fprintf(w, "  new default version (replacing %s):\n", a.DefaultVersion)
			writeDiff(w, "    ", pretty(a.OldDocument), pretty(a.NewDocument))
		}
	}
}

// pretty indents a JSON document (sorted keys); a document that does not parse is kept.
func pretty(doc string) string {
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return doc
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return doc
	}
	return strings.TrimRight(b.String(), "\n")
}

// writeDiff prints a line diff of a and b (longest common subsequence): "- " lines only in
// a, "+ " lines only in b, "  " common lines.
func writeDiff(w io.Writer, indent, a, b string) {
	for _, l := range diffLines(strings.Split(a, "\n"), strings.Split(b, "\n")) {
		fmt.Fprintln(w, indent+l)
	}
}

func diffLines(a, b []string) []string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			out = append(out, "  "+a[i])
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, "- "+a[i])
			i++
		default:
			out = append(out, "+ "+b[j])
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, "- "+a[i])
	}
	for ; j < m; j++ {
		out = append(out, "+ "+b[j])
	}
	return out
}

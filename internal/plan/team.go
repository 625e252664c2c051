package plan

import (
	"fmt"
	"io"
	"strings"
)

// KubeChange is what a run does (or, planned, would do) to one Kubernetes object of a team.
type KubeChange struct {
	Object string `json:"object"` // KIND/[NAMESPACE/]NAME
	// Action: create, update, delete, unchanged, keep (left in place, Note says why).
	Action string `json:"action"`
	Note   string `json:"note,omitempty"`
}

// Writes reports whether the change is a Kubernetes write.
func (k KubeChange) Writes() bool {
	return k.Action == "create" || k.Action == "update" || k.Action == "delete"
}

// Kind is the object's kind.
func (k KubeChange) Kind() string { kind, _, _ := strings.Cut(k.Object, "/"); return kind }

// Team plan actions.
const (
	TeamCreate    = "create"    // none of the team's own objects exist yet
	TeamUpdate    = "update"    // some are missing or changed by hand
	TeamDelete    = "delete"    // pruned: the file no longer lists it
	TeamUnchanged = "unchanged" // every object as wanted
)

// TeamPlan is what a plan does to one team's Kubernetes objects (its members' entries are
// in the cluster plan's Plans, like every entry's).
type TeamPlan struct {
	Team      string       `json:"team"`
	Namespace string       `json:"namespace"`
	Variant   string       `json:"rbac"`
	Action    string       `json:"action"`
	Objects   []KubeChange `json:"objects"`
	// Members are the team's members' principal ARNs (the file's, or for a pruned team the
	// cluster's).
	Members []string `json:"members"`
	Source  string   `json:"source,omitempty"`
}

// Writes counts the Kubernetes writes the team plan makes.
func (t *TeamPlan) Writes() int { return CountWrites(t.Objects) }

// CountWrites counts the changes that write (create, update or delete an object).
func CountWrites(changes []KubeChange) int {
	n := 0
	for _, o := range changes {
		if o.Writes() {
			n++
		}
	}
	return n
}

// KubeWrites counts the Kubernetes writes of a cluster plan's teams.
func (p *ClusterPlan) KubeWrites() int {
	n := 0
	for i := range p.Teams {
		n += p.Teams[i].Writes()
	}
	return n
}

// kindOrder is how a team's objects are listed: the namespace, its namespaced objects, the
// cluster-wide ones.
var kindOrder = map[string]int{"Namespace": 0, "Role": 1, "RoleBinding": 2, "ClusterRole": 3, "ClusterRoleBinding": 4}

// writeTeams prints one line per team that changes: "+ team ml (sagemaker-guide,
// hyperpod-ns-ml): namespace, Role, RoleBinding, ClusterRole, ClusterRoleBinding" for a new
// team, "~ team ..." with what is created or restored, "- team ..." with what a prune deletes
// and below it what it keeps, and why; verbose lists every object.
func writeTeams(w io.Writer, teams []TeamPlan, verbose bool) {
	for i := range teams {
		t := &teams[i]
		if t.Action == TeamUnchanged && !verbose {
			continue
		}
		sym := map[string]string{TeamCreate: "+", TeamUpdate: "~", TeamDelete: "-", TeamUnchanged: "="}[t.Action]
		objs := append([]KubeChange(nil), t.Objects...)
		if t.Action != TeamDelete {
			// Listed in the order a reader expects; applied in the order the plan holds.
			for a := 1; a < len(objs); a++ {
				for b := a; b > 0 && kindOrder[objs[b].Kind()] < kindOrder[objs[b-1].Kind()]; b-- {
					objs[b], objs[b-1] = objs[b-1], objs[b]
				}
			}
		}
		var parts []string
		for _, o := range objs {
			if !o.Writes() {
				continue
			}
			kind := o.Kind()
			if kind == "Namespace" {
				kind = "namespace"
			}
			switch {
			case t.Action == TeamUpdate:
				s := o.Action + " " + kind
				if o.Note != "" {
					s += " (" + o.Note + ")"
				}
				parts = append(parts, s)
			default:
				parts = append(parts, kind)
			}
		}
		what := strings.Join(parts, ", ")
		if what == "" {
			what = "nothing to write"
		}
		fmt.Fprintf(w, "  %s team %s (%s, %s): %s\n", sym, t.Team, t.Variant, t.Namespace, what)
		for _, o := range objs {
			switch {
			case verbose:
				note := ""
				if o.Note != "" {
					note = " (" + o.Note + ")"
				}
				fmt.Fprintf(w, "      %s %s%s\n", o.Action, o.Object, note)
			case o.Action == "keep":
				fmt.Fprintf(w, "      # keeps %s: %s\n", o.Object, o.Note)
			}
		}
	}
}

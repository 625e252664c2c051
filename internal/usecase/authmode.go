package usecase

import (
	"context"
	"strings"

	"eksaccess/internal/plan"
)

// AuthModeRequest shows a cluster's authentication mode, or switches it (Set).
type AuthModeRequest struct {
	Cluster ClusterRef `json:"cluster"`
	Set     string     `json:"set,omitempty"`
	Force   []string   `json:"force,omitempty"`
	DryRun  bool       `json:"dryRun,omitempty"`
}

// AuthModeResult is the mode before and after.
type AuthModeResult struct {
	Cluster string   `json:"cluster"`
	Mode    string   `json:"authenticationMode"`
	Next    string   `json:"next,omitempty"`
	Changed bool     `json:"changed"`
	Outcome *Outcome `json:"-"`
}

var nextMode = map[string]string{"CONFIG_MAP": "API_AND_CONFIG_MAP", "API_AND_CONFIG_MAP": "API"}

// Validate checks the request offline.
func (r *AuthModeRequest) Validate() error {
	if err := r.Cluster.check(); err != nil {
		return err
	}
	r.Set = strings.ToUpper(strings.TrimSpace(r.Set))
	if r.Set != "" && r.Set != "API_AND_CONFIG_MAP" && r.Set != "API" {
		return inputErrorf("--set %q: switch to API_AND_CONFIG_MAP or API (EKS never switches back to CONFIG_MAP)", r.Set)
	}
	return nil
}

// AuthModeStatus reads the cluster's mode and, with Set, checks the switch (one step
// forward, and the invariants on the state it leads to) without making it: the caller
// confirms, then calls SwitchAuthMode.
func (e *Env) AuthModeStatus(ctx context.Context, r AuthModeRequest) (*AuthModeResult, *Change, error) {
	c, cluster, err := e.beginCluster(ctx, &r, &r.Cluster)
	if err != nil {
		return nil, nil, err
	}
	live, err := readCluster(ctx, c, cluster, 0)
	if err != nil {
		return nil, nil, err
	}
	res := &AuthModeResult{Cluster: cluster, Mode: live.AuthenticationMode, Next: nextMode[live.AuthenticationMode]}
	if r.Set == "" || r.Set == live.AuthenticationMode {
		return res, nil, nil
	}
	if msg := plan.CheckModeSwitch(cluster, live.AuthenticationMode, r.Set); msg != "" {
		return nil, nil, inputErrorf("%s", msg)
	}
	ch := &Change{Live: live, Mode: &plan.ModeSwitch{From: live.AuthenticationMode, To: r.Set}}
	caller, err := e.Caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	refusals, err := e.Check(ctx, caller, []*Change{ch}, r.Force)
	if err != nil {
		return nil, nil, err
	}
	if len(refusals) > 0 {
		return res, nil, &RefusedError{Refusals: refusals}
	}
	return res, ch, nil
}

// SwitchAuthMode makes a switch AuthModeStatus checked, through the engine.
func (e *Env) SwitchAuthMode(ctx context.Context, res *AuthModeResult, ch *Change, force []string) (*AuthModeResult, error) {
	caller, err := e.Caller(ctx)
	if err != nil {
		return nil, err
	}
	out, err := e.Run(ctx, caller, []*Change{ch}, RunOptions{Command: "auth-mode", Force: force})
	if err != nil {
		return nil, err
	}
	res.Mode, res.Next, res.Changed, res.Outcome = ch.Mode.To, nextMode[ch.Mode.To], true, out
	return res, nil
}

package usecase

import (
	"context"
	"testing"
	"time"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/stalltest"
)

// The commands build their Env before --timeout is parsed, so UseClientGo must ask for the
// timeouts when a call is made: against an endpoint that never answers, every client it
// sets up gives up after the timeout set later, not after the default 20 s.
func TestUseClientGoReadsTimeoutsWhenCalled(t *testing.T) {
	stalled := "https://" + stalltest.Listen(t).Addr()
	timeouts := awsapi.DefaultTimeouts()
	e := &Env{Now: time.Now}
	e.UseClientGo("eksaccess/test", func() awsapi.Timeouts { return timeouts })
	timeouts = awsapi.TimeoutsFor(300 * time.Millisecond) // as --timeout 300ms, parsed afterwards

	ctx := context.Background()
	for name, call := range map[string]func() error{
		"Kube": func() error {
			k, err := e.Kube(stalled, "token", nil)
			if err == nil {
				_, err = k.SelfSubjectReview(ctx)
			}
			return err
		},
		"ClusterKube": func() error {
			k, err := e.ClusterKube(stalled, "token", nil)
			if err == nil {
				_, err = k.GetNamespace(ctx, "hyperpod-ns-ml")
			}
			return err
		},
	} {
		start := time.Now()
		err := call()
		if took := time.Since(start); err == nil || took > 5*time.Second {
			t.Errorf("%s against a stalled endpoint: %v after %s, want an error within the 300ms timeout's attempts", name, err, took)
		}
	}
}

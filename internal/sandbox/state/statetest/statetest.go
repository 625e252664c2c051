// Package statetest holds what the tests of the sandbox's services share: a store on a
// temporary directory, a settable sandbox clock and a paginator's pages.
package statetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"eksaccess/internal/sandbox/state"
)

// Facts the services' test seeds share: their account, its users alice and bob, its IAM
// Identity Center (SSO) role, and the prefix of the EKS access policies' ARNs.
const (
	Account            = "111122223333"
	AliceArn           = "arn:aws:iam::111122223333:user/alice"
	BobArn             = "arn:aws:iam::111122223333:user/bob"
	SSORoleArn         = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_DataScientist_0123456789abcdef"
	AccessPolicyPrefix = "arn:aws:eks::aws:cluster-access-policy/"
)

// Open opens a store on a fresh temporary directory, seeded by seed, and closes it when the
// test ends.
func Open(t testing.TB, seed func() *state.Data) *state.Store {
	t.Helper()
	st, err := state.Open(t.TempDir(), seed, false)
	if err != nil {
		t.Fatalf("open state: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Clock is a settable sandbox clock (state.Config.Now).
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads start.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Pages follows an SDK paginator to its last page (more and next are its HasMorePages and
// NextPage) and returns every page, failing the test on an error.
func Pages[O, F any](t testing.TB, ctx context.Context, more func() bool, next func(context.Context, ...F) (*O, error)) []*O {
	t.Helper()
	var pages []*O
	for more() {
		o, err := next(ctx)
		if err != nil {
			t.Fatalf("page %d: %v", len(pages)+1, err)
		}
		pages = append(pages, o)
	}
	return pages
}

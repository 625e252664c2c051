package kube

import (
	"strings"
	"testing"

	"eksaccess/internal/sandbox/state"
)

// An access entry is bound to the unique id its principal had when the entry was created: a
// role deleted and re-created under the same ARN (new RoleId) is refused until the entry is
// re-created; the id it was created for is accepted.
func TestEntryBoundToPrincipalID(t *testing.T) {
	tests := []struct {
		name, boundTo string
		code          int
	}{
		{"bound to the current role", "AROADEVEXAMPLE", 201},
		{"bound to a deleted role of the same ARN", "AROAOLDROLEEXAMPLE", 401},
		{"entry without a recorded id", "", 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, t0)
			if err := f.st.Update(func(d *state.Data) error {
				d.Clusters[demo].Entries[roleArn].PrincipalID = tt.boundTo
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			rec := f.do(t, "POST", ssrPath, token(t, sessKey, sessSec, sessTok, demo, t0), jsonCT, ssrBody(t, jsonCT))
			if rec.Code != tt.code {
				t.Fatalf("code %d, want %d: %s", rec.Code, tt.code, rec.Body)
			}
			if tt.code == 401 && !strings.Contains(rec.Header().Get(AuthErrorHeader), "re-created") {
				t.Errorf("auth error %q does not say the principal was re-created", rec.Header().Get(AuthErrorHeader))
			}
		})
	}
}

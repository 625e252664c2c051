package principal

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// user/PATH/NAME resolves like role/PATH/NAME: the written path must be the user's.
func TestResolveUserWithPath(t *testing.T) {
	t.Parallel()
	f := newFakeIAM()
	ps, err := newResolver(f).Resolve(context.Background(), []Ref{
		{Raw: "user/eng/bob", Source: ArgSource(1)},
		{Raw: "user/alice", Source: ArgSource(2)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Arn != "arn:aws:iam::111122223333:user/eng/bob" || ps[1].Arn != "arn:aws:iam::111122223333:user/alice" {
		t.Fatalf("resolved %+v", ps)
	}
	_, err = newResolver(newFakeIAM()).Resolve(context.Background(), []Ref{{Raw: "user/ops/bob", Source: FileSource("u.txt", 3)}})
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "u.txt:3: user bob has path /eng/, not /ops/: write bob and eksaccess finds the path, or arn:aws:iam::111122223333:user/eng/bob") {
		t.Fatalf("err = %v", err)
	}
}

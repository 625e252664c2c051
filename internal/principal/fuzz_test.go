package principal

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode"
)

// Seeds beyond these live in testdata/fuzz/<Target>/ (crashers found by fuzzing stay there
// as regression cases).

func FuzzParseARN(f *testing.F) {
	for _, s := range []string{
		"arn:aws:iam::111122223333:user/alice",
		"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_Admin_0123",
		"arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com",
		"arn:aws-cn:sts::111122223333:federated-user/bob",
		"arn:aws:iam::111122223333:root",
		"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
		"arn:aws:sns:us-east-1:111122223333:topic:sub",
		"arn:aws:iam::111122223333:user//a",
		"arn::::::",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseARN(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidARN) {
				t.Fatalf("error does not wrap ErrInvalidARN: %v", err)
			}
			return
		}
		if a.String() != s {
			t.Fatalf("String() = %q, input %q", a.String(), s)
		}
		b, err := ParseARN(a.String())
		if err != nil || b != a {
			t.Fatalf("reparse %q: %+v, %v", s, b, err)
		}
		p, err := ClassifyARN(a)
		if err != nil {
			return
		}
		switch p.Kind {
		case KindUser, KindRole, KindGroup:
			if got := "arn:" + a.Partition + ":iam::" + a.Account + ":" + p.Kind.String() + p.Path + p.Name; got != s {
				t.Fatalf("parts rebuild %q, input %q", got, s)
			}
			if p.Kind == KindRole && RoleARN(a.Partition, a.Account, p.Path, p.Name) != s {
				t.Fatalf("RoleARN rebuild differs for %q", s)
			}
		case KindAssumedRole:
			r, err := RoleArnFromAssumedRole(s, "/")
			if err != nil {
				t.Fatalf("RoleArnFromAssumedRole(%q): %v", s, err)
			}
			if q, err := ParsePrincipalARN(r); err != nil || q.Kind != KindRole || q.Name != p.Name {
				t.Fatalf("role ARN %q from %q: %+v %v", r, s, q, err)
			}
		}
	})
}

func FuzzParseUsersFile(f *testing.F) {
	for _, s := range []string{
		"alice\nbob\n",
		"\ufeff# team\r\nalice # lead\r\n\r\nrole/EKSFullAccessRole\r\narn:aws:iam::111122223333:user/eng/bob",
		"alice\ralice\r\n  bob\t\n",
		"bad!name\nbob smith\n\x00\n\xff\n",
		"",
		"# only a comment",
		"\xff\xfea\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "users.txt"
		lines := len(splitLines(data))
		uf, err := ReadUsersFile(name, bytes.NewReader(data), FileOptions{Partition: "aws"})
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || len(ie.Problems) == 0 {
				t.Fatalf("error %v (%T), want a non-empty *InputError", err, err)
			}
			for _, p := range ie.Problems {
				if p.File != name || p.Line < 0 || p.Line > lines || p.Msg == "" {
					t.Fatalf("problem %+v out of range (%d lines)", p, lines)
				}
			}
			return
		}
		if len(uf.Refs) == 0 {
			t.Fatal("no error and no principals")
		}
		prev := 0
		var raws []string
		for _, r := range uf.Refs {
			if r.Source.File != name || r.Source.Line <= prev || r.Source.Line > lines {
				t.Fatalf("ref %+v: bad source (previous line %d, %d lines)", r, prev, lines)
			}
			prev = r.Source.Line
			if r.Raw == "" || strings.IndexFunc(r.Raw, unicode.IsSpace) >= 0 {
				t.Fatalf("ref %q has whitespace", r.Raw)
			}
			if _, err := ParseRef(r.Raw); err != nil {
				t.Fatalf("ref %q does not parse: %v", r.Raw, err)
			}
			raws = append(raws, r.Raw)
		}
		// Writing the principals back out one per line reads back the same principals.
		again, err := ParseUsersFile(name, strings.NewReader(strings.Join(raws, "\n")))
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if len(again) != len(raws) {
			t.Fatalf("re-read %d principals, want %d", len(again), len(raws))
		}
		for i, r := range again {
			if r.Raw != raws[i] || r.Source.Line != i+1 {
				t.Fatalf("re-read %d = %+v, want %q at line %d", i, r, raws[i], i+1)
			}
		}
	})
}

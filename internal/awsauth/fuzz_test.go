package awsauth

import (
	"errors"
	"os"
	"testing"

	"eksaccess/internal/accessfile"
)

// FuzzParse checks that no ConfigMap panics Parse or Convert, that errors
// always carry positions, and that whatever Convert returns loads as an
// access file.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/aws-auth.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/a\n      groups: [system:masters]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cm, err := Parse("cm.yaml", data)
		if err != nil {
			var fe *accessfile.Error
			if !errors.As(err, &fe) || len(fe.Problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			for _, p := range fe.Problems {
				if p.Line < 1 || p.Col < 1 {
					t.Fatalf("problem without position: %#v", p)
				}
			}
			return
		}
		cl, _ := Convert(cm, Options{ClusterName: "c", Region: "us-west-2"})
		out, err := accessfile.Marshal(&accessfile.Config{Clusters: []accessfile.Cluster{*cl}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := accessfile.Parse("m.yaml", out, accessfile.Options{}); err != nil {
			t.Fatalf("converted ConfigMap does not load: %v\n%s", err, out)
		}
	})
}

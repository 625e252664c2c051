package state

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkUpdate2000 measures one change on a state holding 2,000 access entries.
func BenchmarkUpdate2000(b *testing.B) {
	for _, fsync := range []bool{true, false} {
		b.Run(fmt.Sprintf("fsync=%v", fsync), func(b *testing.B) {
			st, err := Open(b.TempDir(), func() *Data { return bigData(2000) }, false)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			st.sync = fsync
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := st.Update(func(d *Data) error { d.Seq++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func bigData(n int) *Data {
	c := &Cluster{Name: "c", Entries: map[string]*AccessEntry{}}
	for i := 0; i < n; i++ {
		arn := fmt.Sprintf("arn:aws:iam::111122223333:user/u%04d", i)
		c.Entries[arn] = &AccessEntry{PrincipalArn: arn, Type: "STANDARD", Username: arn, CreatedAt: time.Now(), ModifiedAt: time.Now(),
			Tags:     map[string]string{"eksaccess/managed": "true"},
			Policies: map[string]*AssociatedPolicy{"p": {PolicyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", ScopeType: "cluster"}}}
	}
	return &Data{Clusters: map[string]*Cluster{"c": c}}
}

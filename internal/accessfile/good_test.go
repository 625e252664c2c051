package accessfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadFull(t *testing.T) {
	cfg, err := Load("testdata/good/full.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Clusters) != 2 {
		t.Fatalf("clusters = %d, want 2", len(cfg.Clusters))
	}
	c := cfg.Clusters[0]
	if c.ID() != "ml-prod@us-west-2" || c.AuthenticationMode != AuthModeAPIAndConfigMap || !c.Prune || c.Pos != (Pos{Line: 5, Col: 5}) {
		t.Errorf("cluster 0 = %s mode %s prune %v pos %v", c.ID(), c.AuthenticationMode, c.Prune, c.Pos)
	}
	if got := cfg.Clusters[1].ID(); got != "hyperpod:my-hp-cluster@us-east-1" {
		t.Errorf("cluster 1 ID = %s", got)
	}
	a := c.Access
	if len(a) != 6 {
		t.Fatalf("access items = %d, want 6", len(a))
	}
	if a[0].Principal != "role/EKSFullAccessRole" || !reflect.DeepEqual(a[0].Policies, []PolicyRef{{Policy: ClusterAdminPolicy}}) || !a[0].Policies[0].ClusterScope() {
		t.Errorf("item 0 = %+v", a[0])
	}
	wantUsers := []User{{"carol", 1}, {"role/team-a-role", 2}, {"arn:aws:iam::111122223333:user/dave", 5}}
	if a[1].UsersFilePath != filepath.Join("testdata", "good", "users.txt") || !reflect.DeepEqual(a[1].Users, wantUsers) {
		t.Errorf("item 1 users = %s %+v", a[1].UsersFilePath, a[1].Users)
	}
	if !reflect.DeepEqual(a[1].Policies, []PolicyRef{{Policy: "AmazonEKSEditPolicy", Namespaces: []string{"hyperpod-ns-team-a"}}}) {
		t.Errorf("item 1 policies = %+v", a[1].Policies)
	}
	i2 := a[2]
	if i2.IAMGroup != "data-scientists" || i2.Username != "scientist:{{SessionName}}" ||
		!reflect.DeepEqual(i2.KubernetesGroups, []string{"hyperpod-scientist-user-cluster-level"}) ||
		!i2.ExpiresAt.Equal(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)) ||
		!reflect.DeepEqual(i2.Tags, map[string]string{"team": "a", "cost-center": "1234"}) {
		t.Errorf("item 2 = %+v", i2)
	}
	i3 := a[3]
	if i3.PermissionSet != "DataScientist" || i3.ExpiresIn != 30*24*time.Hour || i3.Policies[0].Name() != "AmazonEKSViewPolicy" ||
		i3.Policies[0].ARN("aws") != "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy" {
		t.Errorf("item 3 = %+v", i3)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	if at, ok := i3.Expiry(now); !ok || !at.Equal(time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("item 3 expiry = %v %v", at, ok)
	}
	if a[4].EntryType() != TypeEC2Linux || a[5].EntryType() != TypeStandard || a[5].ExpiresIn != 720*time.Hour {
		t.Errorf("items 4,5 = %+v %+v", a[4], a[5])
	}
	if _, ok := a[0].Expiry(now); ok {
		t.Errorf("item 0 expires, want no expiry")
	}
}

// stripPos clears what Marshal does not write, for comparisons.
func stripPos(c *Config) *Config {
	cp := *c
	cp.File = ""
	cp.Clusters = append([]Cluster(nil), c.Clusters...)
	for i := range cp.Clusters {
		cp.Clusters[i].Pos = Pos{}
		cp.Clusters[i].Access = append([]AccessItem(nil), c.Clusters[i].Access...)
		for j := range cp.Clusters[i].Access {
			cp.Clusters[i].Access[j].Pos = Pos{}
		}
		cp.Clusters[i].Teams = append([]Team(nil), c.Clusters[i].Teams...)
		for j := range cp.Clusters[i].Teams {
			t := &cp.Clusters[i].Teams[j]
			t.Pos = Pos{}
			t.Members = append([]TeamMember(nil), t.Members...)
			for k := range t.Members {
				t.Members[k].Pos = Pos{}
			}
		}
	}
	return &cp
}

func TestMarshalRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/good/*.yaml")
	if len(files) < 2 {
		t.Fatalf("want at least 2 good files, have %d", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			cfg, err := Load(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			out, err := Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			// Parse under the same name so users files resolve the same way.
			back, err := Parse(path, out, Options{})
			if err != nil {
				t.Fatalf("marshalled file does not load: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(stripPos(cfg), stripPos(back)) {
				t.Errorf("round trip differs\nfirst: %+v\nback:  %+v\n%s", stripPos(cfg), stripPos(back), out)
			}
			again, _ := Marshal(back)
			if !bytes.Equal(out, again) {
				t.Errorf("Marshal is not stable:\n%s\n---\n%s", out, again)
			}
		})
	}
}

func TestMarshalQuotesAmbiguousStrings(t *testing.T) {
	cfg := &Config{APIVersion: APIVersion, Kind: Kind, Clusters: []Cluster{{Name: "123", Region: "us-west-2", Access: []AccessItem{
		{Principal: "true", Username: "#a: b:{{SessionName}}", Tags: map[string]string{"n": "null", "x": "1.5", "y": "yes", "z": ""}},
	}}}}
	out, err := Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("mem.yaml", out, Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(stripPos(cfg), stripPos(back)) {
		t.Errorf("round trip differs: %+v\n%s", back, out)
	}
}

func TestKnownPolicyOption(t *testing.T) {
	src := []byte("apiVersion: eksaccess/v1\nkind: AccessConfig\nclusters:\n  - name: c\n    region: us-west-2\n    access:\n      - principal: alice\n        policies: [{policy: AmazonEKSBrandNewPolicy}, {policy: AmazonEKSViewPolicy}]\n")
	_, err := Parse("a.yaml", src, Options{})
	want := `a.yaml:8:29: unknown access policy "AmazonEKSBrandNewPolicy"; run ` + "`eksaccess policies`" + ` to list the policy names`
	if err == nil || err.Error() != want {
		t.Fatalf("default list: err = %v, want %s", err, want)
	}
	live := func(n string) bool { return n == "AmazonEKSBrandNewPolicy" }
	_, err = Parse("a.yaml", src, Options{KnownPolicy: live})
	want = `a.yaml:8:64: unknown access policy "AmazonEKSViewPolicy"; run ` + "`eksaccess policies`" + ` to list the policy names`
	if err == nil || err.Error() != want {
		t.Fatalf("live list: err = %v, want %s", err, want)
	}
}

func TestUsersFileParserOption(t *testing.T) {
	src := []byte("apiVersion: eksaccess/v1\nkind: AccessConfig\nclusters:\n  - name: c\n    region: us-west-2\n    access:\n      - usersFile: team.txt\n")
	read := func(p string) ([]byte, error) {
		if p != filepath.Join("dir", "team.txt") {
			return nil, os.ErrNotExist
		}
		return []byte("ignored"), nil
	}
	parser := func(path string, data []byte) ([]User, error) {
		return []User{{"alice", 3}, {"role/ops", 4}}, nil
	}
	cfg, err := Parse(filepath.Join("dir", "access.yaml"), src, Options{ReadFile: read, UsersFileParser: parser})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Clusters[0].Access[0].Users; !reflect.DeepEqual(got, []User{{"alice", 3}, {"role/ops", 4}}) {
		t.Errorf("users = %+v", got)
	}
	failing := func(path string, data []byte) ([]User, error) {
		return nil, &Error{Problems: []Problem{{File: path, Line: 2, Col: 1, Msg: "bad line; fix it"}}}
	}
	_, err = Parse(filepath.Join("dir", "access.yaml"), src, Options{ReadFile: read, UsersFileParser: failing})
	if err == nil || err.Error() != filepath.Join("dir", "team.txt")+":2:1: bad line; fix it" {
		t.Errorf("err = %v", err)
	}
	plain := func(path string, data []byte) ([]User, error) { return nil, errors.New("too big") }
	_, err = Parse(filepath.Join("dir", "access.yaml"), src, Options{ReadFile: read, UsersFileParser: plain})
	if err == nil || err.Error() != filepath.Join("dir", "access.yaml")+":7:20: users file "+filepath.Join("dir", "team.txt")+": too big" {
		t.Errorf("err = %v", err)
	}
}

func TestParseExpires(t *testing.T) {
	tests := []struct {
		in     string
		at     time.Time
		in_    time.Duration
		errSub string
	}{
		{"2026-12-31T00:00:00Z", time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), 0, ""},
		{"2026-12-31T02:00:00+02:00", time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), 0, ""},
		{"2026-12-31", time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), 0, ""},
		{"720h", time.Time{}, 720 * time.Hour, ""},
		{"1h30m", time.Time{}, 90 * time.Minute, ""},
		{"30d", time.Time{}, 30 * 24 * time.Hour, ""},
		{"2w", time.Time{}, 14 * 24 * time.Hour, ""},
		{"0d", time.Time{}, 0, "neither"},
		{"0s", time.Time{}, 0, "not a positive duration"},
		{"tomorrow", time.Time{}, 0, "neither"},
		{"", time.Time{}, 0, "neither"},
	}
	for _, tt := range tests {
		at, in, err := ParseExpires(tt.in)
		if tt.errSub != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errSub) {
				t.Errorf("ParseExpires(%q) err = %v, want %q", tt.in, err, tt.errSub)
			}
			continue
		}
		if err != nil || !at.Equal(tt.at) || in != tt.in_ {
			t.Errorf("ParseExpires(%q) = %v, %v, %v", tt.in, at, in, err)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/nope.yaml", Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "access file testdata/nope.yaml does not exist") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v", err)
	}
}

func TestAliasesAndBillionLaughs(t *testing.T) {
	src := "apiVersion: eksaccess/v1\nkind: AccessConfig\nclusters:\n  - name: c\n    region: us-west-2\n    access:\n      - principal: alice\n        policies: &p [{policy: AmazonEKSViewPolicy}]\n      - principal: bob\n        policies: *p\n"
	cfg, err := Parse("a.yaml", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Clusters[0].Access[1].Policies; len(got) != 1 || got[0].Policy != "AmazonEKSViewPolicy" {
		t.Errorf("aliased policies = %+v", got)
	}
	var b strings.Builder
	b.WriteString("apiVersion: eksaccess/v1\nkind: AccessConfig\nx0: &a0 [ns]\n")
	for i := 1; i < 12; i++ {
		b.WriteString("x" + string(rune('0'+i%10)) + string(rune('a'+i)) + ": &a" + string(rune('a'+i)) + " [")
		prev := "a0"
		if i > 1 {
			prev = "a" + string(rune('a'+i-1))
		}
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
	}
	start := time.Now()
	_, err = Parse("laughs.yaml", []byte(b.String()), Options{})
	if err == nil {
		t.Fatal("want an error")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestLoadTeams(t *testing.T) {
	cfg, err := Load("testdata/good/teams.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := cfg.Clusters[0].Teams
	if len(ts) != 3 {
		t.Fatalf("teams = %d, want 3", len(ts))
	}
	ml, nlp, empty := ts[0], ts[1], ts[2]
	if ml.Name != "ml" || ml.NamespaceOrDefault() != "hyperpod-ns-ml" || ml.Variant() != "sagemaker-guide" || ml.Pos != (Pos{Line: 12, Col: 9}) || len(ml.Members) != 3 {
		t.Errorf("team ml = %+v", ml)
	}
	if m := ml.Members[0]; m.UsersFilePath != filepath.Join("testdata", "good", "users.txt") || len(m.Users) != 3 || m.Users[0] != (User{"carol", 1}) || m.Pos != (Pos{Line: 14, Col: 13}) {
		t.Errorf("ml member 0 = %+v", m)
	}
	if it := ml.Members[2].Item(); it.IAMGroup != "data-scientists" || it.Source() != "iamGroup data-scientists" || it.Pos.Line != 16 {
		t.Errorf("ml member 2 as item = %+v", it)
	}
	if nlp.NamespaceOrDefault() != "nlp-jobs" || nlp.Variant() != "hyperpod-cli" || nlp.Members[0].PermissionSet != "DataScientist" ||
		nlp.Members[1].Principal != "arn:aws:iam::111122223333:role/nlp-runner" {
		t.Errorf("team nlp = %+v", nlp)
	}
	if empty.Name != "empty" || len(empty.Members) != 0 || empty.NamespaceOrDefault() != "hyperpod-ns-empty" {
		t.Errorf("team empty = %+v", empty)
	}
}

package sagemaker

import "testing"

func TestPageToken(t *testing.T) {
	for _, n := range []int{0, 1, 100, 250} {
		got, ok := decodeToken(encodeToken(n))
		if !ok || got != n {
			t.Errorf("round trip %d = %d %v", n, got, ok)
		}
	}
	for _, bad := range []string{"", "garbage!", "Zm9v", encodeToken(-1)} {
		if _, ok := decodeToken(bad); ok {
			t.Errorf("decodeToken(%q) accepted", bad)
		}
	}
}

func TestClusterNameOrArnPattern(t *testing.T) {
	cases := map[string]bool{
		"ml-team-hp": true,
		"a":          true,
		"arn:aws:sagemaker:us-west-2:111122223333:cluster/a1b2c3d4e5f6": true,
		"arn:aws:sagemaker:us-west-2:111122223333:cluster/ml-team-hp":   false,
		"-leading":  false,
		"bad_name!": false,
		"":          false,
	}
	for in, want := range cases {
		if got := clusterNameOrArnRe.MatchString(in); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

package cli

import (
	"reflect"
	"strings"
	"testing"

	"eksaccess/internal/usecase"
)

func TestTeamArgvToRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		command string
		add     usecase.TeamAddRequest
		remove  usecase.TeamRemoveRequest
		list    usecase.TeamListRequest
		wantErr string
	}{
		{args: []string{"add", "-c", "ml", "team-a", "alice", "role/ops"}, command: "add",
			add: usecase.TeamAddRequest{Cluster: usecase.ClusterRef{Name: "ml"}, Team: "team-a", Principals: usecase.Principals{Args: []string{"alice", "role/ops"}}, Variant: "sagemaker-guide"}},
		{args: []string{"add", "--hyperpod", "hp", "nlp", "--users-file", "u.txt", "--iam-group", "g", "--rbac", "hyperpod-cli", "-n", "kubeflow", "--dry-run"}, command: "add",
			add: usecase.TeamAddRequest{Cluster: usecase.ClusterRef{HyperPod: "hp"}, Team: "nlp", Principals: usecase.Principals{Args: []string{}, UsersFiles: []string{"u.txt"}, IAMGroups: []string{"g"}}, Variant: "hyperpod-cli", Namespace: "kubeflow", DryRun: true}},
		{args: []string{"add", "-c", "ml", "team-a", "--rbac", "kueue"}, wantErr: `--rbac "kueue" is not an RBAC variant`},
		{args: []string{"add", "-c", "ml", "Team_A"}, wantErr: `team name "Team_A" is not valid`},
		{args: []string{"add", "team-a"}, wantErr: "name a cluster with -c CLUSTER"},
		{args: []string{"add", "-c", "ml"}, wantErr: "requires at least 1 arg"},
		{args: []string{"remove", "-c", "ml", "team-a", "bob", "--dry-run", "--force", "bob"}, command: "remove",
			remove: usecase.TeamRemoveRequest{Cluster: usecase.ClusterRef{Name: "ml"}, Team: "team-a", Principals: usecase.Principals{Args: []string{"bob"}}, DryRun: true, Force: []string{"bob"}}},
		{args: []string{"remove", "-c", "ml", "-x-"}, wantErr: "unknown shorthand flag"},
		{args: []string{"list", "-c", "ml"}, command: "list", list: usecase.TeamListRequest{Cluster: usecase.ClusterRef{Name: "ml"}}},
		{args: []string{"show", "--hyperpod", "hp", "nlp"}, command: "show", list: usecase.TeamListRequest{Cluster: usecase.ClusterRef{HyperPod: "hp"}, Team: "nlp"}},
		{args: []string{"show", "-c", "ml"}, wantErr: "accepts 1 arg"},
	}
	for _, tc := range tests {
		var got *teamOptions
		cmd := newTeamCmd(testFactory(), func(o *teamOptions) error { got = o; return nil })
		err := parse(cmd, tc.args...)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: error %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if got.Command != tc.command {
			t.Errorf("%v: command %q, want %q", tc.args, got.Command, tc.command)
		}
		switch tc.command {
		case "add":
			if !reflect.DeepEqual(got.Add, tc.add) {
				t.Errorf("%v:\n got %+v\nwant %+v", tc.args, got.Add, tc.add)
			}
		case "remove":
			if !reflect.DeepEqual(got.Remove, tc.remove) {
				t.Errorf("%v:\n got %+v\nwant %+v", tc.args, got.Remove, tc.remove)
			}
		default:
			if !reflect.DeepEqual(got.List, tc.list) {
				t.Errorf("%v:\n got %+v\nwant %+v", tc.args, got.List, tc.list)
			}
		}
	}
}

func TestAccessArgvToRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		want    usecase.AccessRequest
		wantErr string
	}{
		{args: []string{"-c", "ml", "alice"}, want: usecase.AccessRequest{Cluster: usecase.ClusterRef{Name: "ml"}, Principal: "alice"}},
		{args: []string{"--hyperpod", "hp", "role/ops", "-n", "team-a", "--offline"}, want: usecase.AccessRequest{Cluster: usecase.ClusterRef{HyperPod: "hp"}, Principal: "role/ops", Namespace: "team-a", Offline: true}},
		{args: []string{"alice"}, wantErr: "name a cluster with -c CLUSTER"},
		{args: []string{"-c", "ml"}, wantErr: "PRINCIPAL"},
	}
	for _, tc := range tests {
		var got *accessOptions
		cmd := newAccessCmd(testFactory(), func(o *accessOptions) error { got = o; return nil })
		err := parse(cmd, tc.args...)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: error %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got.Req, tc.want) {
			t.Errorf("%v: %v\n got %+v\nwant %+v", tc.args, err, got.Req, tc.want)
		}
	}
}

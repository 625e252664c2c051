package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"eksaccess/internal/usecase"
)

// teamArgv is what team takes from argv: the subcommand and its request (the others' left
// zero).
type teamArgv struct {
	Command string
	Add     usecase.TeamAddRequest
	Remove  usecase.TeamRemoveRequest
	List    usecase.TeamListRequest
}

func TestTeamArgvToRequest(t *testing.T) {
	t.Parallel()
	argvTable[teamArgv]{
		{args: []string{"add", "-c", "ml", "team-a", "alice", "role/ops"}, want: teamArgv{Command: "add",
			Add: usecase.TeamAddRequest{TeamMembers: usecase.TeamMembers{Cluster: usecase.ClusterRef{Name: "ml"}, Team: "team-a", Principals: usecase.Principals{Args: []string{"alice", "role/ops"}}}, Variant: "sagemaker-guide"}}},
		{args: []string{"add", "--hyperpod", "hp", "nlp", "--users-file", "u.txt", "--iam-group", "g", "--rbac", "hyperpod-cli", "-n", "kubeflow", "--dry-run"}, want: teamArgv{Command: "add",
			Add: usecase.TeamAddRequest{TeamMembers: usecase.TeamMembers{Cluster: usecase.ClusterRef{HyperPod: "hp"}, Team: "nlp", Principals: usecase.Principals{Args: []string{}, UsersFiles: []string{"u.txt"}, IAMGroups: []string{"g"}}}, Variant: "hyperpod-cli", Namespace: "kubeflow", DryRun: true}}},
		{args: []string{"add", "-c", "ml", "team-a", "--rbac", "kueue"}, wantErr: `--rbac "kueue" is not an RBAC variant`},
		{args: []string{"add", "-c", "ml", "Team_A"}, wantErr: `team name "Team_A" is not valid`},
		{args: []string{"add", "team-a"}, wantErr: "name a cluster with -c CLUSTER"},
		{args: []string{"remove", "-c", "ml", "team-a", "bob", "--dry-run", "--force", "bob"}, want: teamArgv{Command: "remove",
			Remove: usecase.TeamRemoveRequest{TeamMembers: usecase.TeamMembers{Cluster: usecase.ClusterRef{Name: "ml"}, Team: "team-a", Principals: usecase.Principals{Args: []string{"bob"}}}, DryRun: true, Force: []string{"bob"}}}},
		{args: []string{"remove", "-c", "ml", "-x-"}, wantErr: "unknown shorthand flag"},
		{args: []string{"list", "-c", "ml"}, want: teamArgv{Command: "list", List: usecase.TeamListRequest{Cluster: usecase.ClusterRef{Name: "ml"}}}},
		{args: []string{"show", "--hyperpod", "hp", "nlp"}, want: teamArgv{Command: "show", List: usecase.TeamListRequest{Cluster: usecase.ClusterRef{HyperPod: "hp"}, Team: "nlp"}}},
	}.run(t, func(f *Factory, runF func(*teamArgv) error) *cobra.Command {
		return newTeamCmd(f, func(o *teamOptions) error {
			got := teamArgv{Command: o.Command}
			switch o.Command {
			case "add":
				got.Add = o.Add
			case "remove":
				got.Remove = o.Remove
			default:
				got.List = o.List
			}
			return runF(&got)
		})
	})
	// A missing argument is bad input: exit 2, before the run function.
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"add", "-c", "ml"}, "team add takes at least 1 argument(s): TEAM [PRINCIPAL...] (got 0)"},
		{[]string{"remove", "-c", "ml"}, "team remove takes at least 1 argument(s)"},
		{[]string{"show", "-c", "ml"}, "team show takes 1 argument(s): TEAM (got 0)"},
		{[]string{"show", "-c", "ml", "a", "b"}, "team show takes 1 argument(s): TEAM (got 2)"},
	} {
		ran := false
		err := parse(newTeamCmd(testFactory(), func(*teamOptions) error { ran = true; return nil }), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) || ran || exitCodeOf(err) != ExitInput {
			t.Errorf("%v: error %v (exit %d, run %v), want %q, exit 2 and no run", tc.args, err, exitCodeOf(err), ran, tc.wantErr)
		}
	}
}

func TestAccessArgvToRequest(t *testing.T) {
	t.Parallel()
	argvTable[usecase.AccessRequest]{
		{args: []string{"-c", "ml", "alice"}, want: usecase.AccessRequest{Cluster: usecase.ClusterRef{Name: "ml"}, Principal: "alice"}},
		{args: []string{"--hyperpod", "hp", "role/ops", "-n", "team-a", "--offline"}, want: usecase.AccessRequest{Cluster: usecase.ClusterRef{HyperPod: "hp"}, Principal: "role/ops", Namespace: "team-a", Offline: true}},
		{args: []string{"alice"}, wantErr: "name a cluster with -c CLUSTER"},
		{args: []string{"-c", "ml"}, wantErr: "PRINCIPAL"},
	}.run(t, func(f *Factory, runF func(*usecase.AccessRequest) error) *cobra.Command {
		return newAccessCmd(f, func(o *accessOptions) error { return runF(&o.Req) })
	})
}

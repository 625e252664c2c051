package cli

import (
	"strings"
	"testing"
)

// roleSandbox is an in-process sandbox and the environment eksaccess runs with against it.
// The SDK reads the process environment, so the credentials are set with t.Setenv (and
// these tests do not run in parallel).
type roleSandbox struct{ *sbHarness }

func startRoleSandbox(t *testing.T) *roleSandbox {
	t.Helper()
	h := newSBHarness(t)
	h.env["XDG_CONFIG_HOME"] = h.env["HOME"] + "/config"
	t.Setenv("XDG_CONFIG_HOME", h.env["XDG_CONFIG_HOME"])
	return &roleSandbox{h}
}

// expectMutations checks that the mutating requests after the first n of the log are want
// (space-separated, "" for none) and returns the log's length.
func (s *roleSandbox) expectMutations(n int, what, want string) int {
	s.t.Helper()
	m, next := s.mutationsSince(n)
	if got := strings.Join(m, " "); got != want {
		s.t.Errorf("%s made mutating calls %v, want %q", what, m, want)
	}
	return next
}

// mutationsSince lists the mutating requests after the first n of the log, and the log's length.
func (s *roleSandbox) mutationsSince(n int) ([]string, int) {
	reqs := s.srv.Requests()
	var out []string
	for _, r := range reqs[n:] {
		if r.Mutating {
			out = append(out, r.Service+":"+r.Operation)
		}
	}
	return out, len(reqs)
}

func expectRun(t *testing.T, s *roleSandbox, args []string, wantCode int, wantOut, wantErr string) {
	t.Helper()
	s.expect(t.Errorf, args, wantCode, wantOut, wantErr)
}

// expectConverges runs args twice: the first run prints created, with the hint to assume
// the role, and makes the mutating calls want (what names the run); the second prints
// unchanged and changes nothing. It returns the log's length after the second run.
func (s *roleSandbox) expectConverges(t *testing.T, args []string, what, created, want, unchanged string) int {
	t.Helper()
	_, n := s.mutationsSince(0)
	expectRun(t, s, args, 0, created, "users assume it with: eval \"$(eksaccess assume EKSFullAccessRole)\"\n")
	n = s.expectMutations(n, what, want)
	expectRun(t, s, args, 0, unchanged, "")
	return s.expectMutations(n, "second run", "")
}

const (
	rolePolicyArn = "arn:aws:iam::111122223333:policy/EKSFullAccessPolicy"
	roleRoleArn   = "arn:aws:iam::111122223333:role/EKSFullAccessRole"
)

func TestRoleCreateConverges(t *testing.T) {
	s := startRoleSandbox(t)
	create := []string{"role", "create", "EKSFullAccessRole"}

	_, n := s.mutationsSince(0)
	expectRun(t, s, append(create, "--dry-run"), 0, `RESOURCE     NAME                                       RESULT         DETAIL
policy       EKSFullAccessPolicy                        would create   `+rolePolicyArn+`
role         EKSFullAccessRole                          would create   `+roleRoleArn+`
attachment   EKSFullAccessPolicy -> EKSFullAccessRole   would create   -
dry run: 3 to change, nothing changed
`, "")
	s.expectMutations(n, "dry run", "")

	s.expectConverges(t, create, "first run", `RESOURCE     NAME                                       RESULT    DETAIL
policy       EKSFullAccessPolicy                        created   `+rolePolicyArn+`
role         EKSFullAccessRole                          created   `+roleRoleArn+`
attachment   EKSFullAccessPolicy -> EKSFullAccessRole   created   -
3 changed
`, "iam:CreatePolicy iam:CreateRole iam:AttachRolePolicy", `RESOURCE     NAME                                       RESULT      DETAIL
policy       EKSFullAccessPolicy                        unchanged   `+rolePolicyArn+`
role         EKSFullAccessRole                          unchanged   `+roleRoleArn+`
attachment   EKSFullAccessPolicy -> EKSFullAccessRole   unchanged   -
no changes
`)

	_, n = s.mutationsSince(0)
	expectRun(t, s, append(create, "--require-mfa", "--max-session", "2h", "--actions", "eks:Describe*,eks:List*", "--trust", "account", "--trust", "arn:aws:iam::444455556666:user/ops"), 0,
		`RESOURCE     NAME                                       RESULT      DETAIL
policy       EKSFullAccessPolicy                        updated     default version v1 -> v2
role         EKSFullAccessRole                          updated     trust policy, max session 1h0m0s -> 2h0m0s
attachment   EKSFullAccessPolicy -> EKSFullAccessRole   unchanged   -
2 changed
`, "")
	s.expectMutations(n, "update", "iam:CreatePolicyVersion iam:UpdateAssumeRolePolicy iam:UpdateRole")

	out, _, code := s.run(append(create, "--require-mfa", "--max-session", "2h", "--actions", "eks:List*", "--actions", "eks:Describe*", "--trust", "arn:aws:iam::444455556666:user/ops,account", "-o", "json")...)
	if code != 0 || !strings.Contains(out, `"status": "unchanged"`) || strings.Contains(out, `"status": "updated"`) || !strings.Contains(out, `"roleArn": "`+roleRoleArn+`"`) {
		t.Errorf("same settings in another order: exit %d\n%s", code, out)
	}
}

func TestRoleCreateGrant(t *testing.T) {
	s := startRoleSandbox(t)
	grant := []string{"role", "create", "EKSFullAccessRole", "--grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSClusterAdminPolicy"}
	unchanged := `RESOURCE       NAME                                       RESULT      DETAIL
policy         EKSFullAccessPolicy                        unchanged   ` + rolePolicyArn + `
role           EKSFullAccessRole                          unchanged   ` + roleRoleArn + `
attachment     EKSFullAccessPolicy -> EKSFullAccessRole   unchanged   -
access entry   hyperpod-demo                              unchanged   -
no changes
`
	n := s.expectConverges(t, grant, "grant", `RESOURCE       NAME                                       RESULT    DETAIL
policy         EKSFullAccessPolicy                        created   `+rolePolicyArn+`
role           EKSFullAccessRole                          created   `+roleRoleArn+`
attachment     EKSFullAccessPolicy -> EKSFullAccessRole   created   -
access entry   hyperpod-demo                              created   associate AmazonEKSClusterAdminPolicy(cluster)
4 changed
`, "iam:CreatePolicy iam:CreateRole iam:AttachRolePolicy eks:CreateAccessEntry eks:AssociateAccessPolicy", unchanged)
	out, _, code := s.run("entries", "show", "-c", "hyperpod-demo", roleRoleArn, "-o", "json")
	if code != 0 || !strings.Contains(out, `"eksaccess/managed": "true"`) || !strings.Contains(out, `"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"`) {
		t.Errorf("entries show: exit %d\n%s", code, out)
	}

	// --grant is additive like grant: a namespace scope never narrows the cluster scope.
	expectRun(t, s, append(grant, "--namespace", "team-b", "--namespace", "team-a", "--dry-run"), 0, unchanged, "")
	s.expectMutations(n, "dry run", "")
}

func TestRoleCreateBadInput(t *testing.T) {
	s := startRoleSandbox(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"role", "create"}, "error: eksaccess role create takes 1 argument(s): NAME (got 0)\n"},
		{[]string{"role", "create", "bad name"}, `error: role name "bad name" is not valid: IAM role names are 1–64 of letters, digits and +=,.@_-` + "\n"},
		{[]string{"role", "create", "R", "--trust", "alice"}, `error: --trust "alice" is not a principal: give ` + "`account`" + `, a 12-digit account id, or an IAM ARN like arn:aws:iam::111122223333:user/alice or arn:aws:iam::111122223333:role/ops` + "\n"},
		{[]string{"role", "create", "R", "--max-session", "30m"}, "error: --max-session 30m0s is out of range: IAM allows 1h to 12h\n"},
		{[]string{"role", "create", "R", "-c", "hyperpod-demo"}, "error: -c, --hyperpod, --policy and --namespace go with --grant: add --grant to give the role an access entry\n"},
		{[]string{"role", "create", "R", "--grant", "-c", "hyperpod-demo"}, "error: --grant needs --policy: name the EKS access policy, e.g. --policy AmazonEKSClusterAdminPolicy (list them with `eksaccess policies`)\n"},
		{[]string{"role", "create", "R", "--grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSViewPolicy", "--namespace", "Team_A"}, `error: --namespace Team_A: namespace "Team_A" contains upper-case 'T': namespace names are lower-case; write "team_a"` + "\n"},
		{[]string{"role", "create", "R", "--grant", "-c", "hyperpod-demo", "--policy", "NoSuchPolicy"}, "error: --policy NoSuchPolicy: no access policy of that name (list them with `eksaccess policies`)\n"},
		{[]string{"role", "create", "R", "--trust", "arn:aws-cn:iam::111122223333:user/alice"}, "error: --trust arn:aws-cn:iam::111122223333:user/alice is in partition aws-cn, but you are in aws: a role can only trust principals of its own partition\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, n := s.mutationsSince(0)
			_, errOut, code := s.run(tt.args...)
			first, _, _ := strings.Cut(errOut, "run `")
			if code != ExitInput || first != tt.want {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and:\n%s", code, errOut, tt.want)
			}
			s.expectMutations(n, "bad input", "")
		})
	}
	// A cluster in CONFIG_MAP mode has no access entries: refused before any IAM change.
	_, n := s.mutationsSince(0)
	_, errOut, code := s.run("role", "create", "R", "--grant", "-c", "legacy-cm", "--policy", "AmazonEKSViewPolicy")
	if code != ExitFailure || !strings.Contains(errOut, "cluster legacy-cm uses the aws-auth ConfigMap only") {
		t.Errorf("CONFIG_MAP cluster: exit %d %s", code, errOut)
	}
	s.expectMutations(n, "refused grant", "")
}

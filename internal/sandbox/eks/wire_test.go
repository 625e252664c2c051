package eks

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// rawCall sends an unsigned request (the test middleware stands in for SigV4) and decodes
// the JSON answer with numbers kept as json.Number.
func rawCall(t *testing.T, e *env, method, path, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s %s: body %q is not JSON: %v", method, path, b, err)
	}
	return resp.StatusCode, resp.Header, m
}

func TestWireFormat(t *testing.T) {
	e := newEnv(t, envOpts{})
	// The path label is the fully percent-encoded ARN, slashes included.
	status, h, m := rawCall(t, e, "POST", "/clusters/demo/access-entries", `{"principalArn":"`+ssoRole+`","kubernetesGroups":["team-a"]}`)
	if status != 200 || h.Get("Content-Type") != "application/json" || h.Get("x-amzn-RequestId") != "req-1" {
		t.Fatalf("create: %d %v %v", status, h, m)
	}
	ae := m["accessEntry"].(map[string]any)
	for _, k := range []string{"createdAt", "modifiedAt"} {
		if _, ok := ae[k].(json.Number); !ok {
			t.Fatalf("%s = %#v, want a JSON number", k, ae[k])
		}
	}
	if ae["createdAt"].(json.Number).String() != "1767323045.678" {
		t.Fatalf("createdAt = %s", ae["createdAt"])
	}
	if !reflect.DeepEqual(ae["tags"], map[string]any{}) {
		t.Fatalf("tags = %#v, want {}", ae["tags"])
	}
	esc := "arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Faws-reserved%2Fsso.amazonaws.com%2Fus-west-2%2FAWSReservedSSO_DataScientist_0123456789abcdef"
	status, _, m = rawCall(t, e, "GET", "/clusters/demo/access-entries/"+esc, "")
	if status != 200 || m["accessEntry"].(map[string]any)["principalArn"] != ssoRole {
		t.Fatalf("describe by escaped label: %d %v", status, m)
	}
	status, _, m = rawCall(t, e, "POST", "/clusters/demo/access-entries/"+esc+"/access-policies",
		`{"policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy","accessScope":{"type":"cluster"}}`)
	if status != 200 {
		t.Fatalf("associate: %d %v", status, m)
	}
	ap := m["associatedAccessPolicy"].(map[string]any)
	if _, ok := ap["associatedAt"].(json.Number); !ok || !reflect.DeepEqual(ap["accessScope"], map[string]any{"type": "cluster", "namespaces": []any{}}) {
		t.Fatalf("associated = %#v", ap)
	}
	status, _, m = rawCall(t, e, "DELETE", "/clusters/demo/access-entries/"+esc+"/access-policies/arn%3Aaws%3Aeks%3A%3Aaws%3Acluster-access-policy%2FAmazonEKSViewPolicy", "")
	if status != 200 || len(m) != 0 {
		t.Fatalf("disassociate: %d %v", status, m)
	}

	// Errors: plain shape name in header and __type, message, clusterName, modeled status.
	status, h, m = rawCall(t, e, "GET", "/clusters/missing", "")
	if status != 404 || h.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" ||
		!reflect.DeepEqual(m, map[string]any{"__type": "ResourceNotFoundException", "message": "No cluster found for name: missing.", "clusterName": "missing"}) {
		t.Fatalf("missing cluster: %d %v %v", status, h, m)
	}
	status, h, _ = rawCall(t, e, "POST", "/clusters/demo/access-entries", `{"principalArn":"`+ssoRole+`"}`)
	if status != 409 || h.Get("X-Amzn-ErrorType") != "ResourceInUseException" {
		t.Fatalf("duplicate: %d %v", status, h)
	}
	status, h, _ = rawCall(t, e, "POST", "/clusters/demo/access-entries", `{"principalArn":`)
	if status != 400 || h.Get("X-Amzn-ErrorType") != "SerializationException" {
		t.Fatalf("bad json: %d %v", status, h)
	}
	status, h, _ = rawCall(t, e, "PUT", "/clusters/demo", "")
	if status != 404 || h.Get("X-Amzn-ErrorType") != "UnknownOperationException" {
		t.Fatalf("unknown op: %d %v", status, h)
	}
	if got := e.lastOp(); got.Operation != "Unknown" {
		t.Fatalf("op info = %+v", got)
	}
	// A decoded-then-split path would see extra segments here; the label must stay whole.
	status, _, m = rawCall(t, e, "GET", "/clusters/demo/access-entries/arn%3Aaws%3Aiam%3A%3A111122223333%3Auser%2Fnobody/access-policies", "")
	if status != 404 || m["__type"] != "ResourceNotFoundException" {
		t.Fatalf("unknown entry: %d %v", status, m)
	}
	status, _, m = rawCall(t, e, "POST", "/clusters/demo/update-config", `{"accessConfig":{"authenticationMode":"API"}}`)
	u := m["update"].(map[string]any)
	if status != 200 || u["status"] != "Successful" || u["type"] != "AccessConfigUpdate" ||
		!reflect.DeepEqual(u["params"], []any{map[string]any{"type": "AuthenticationMode", "value": "API"}}) {
		t.Fatalf("update-config: %d %v", status, m)
	}
	if _, ok := u["createdAt"].(json.Number); !ok {
		t.Fatalf("update createdAt = %#v", u["createdAt"])
	}
}

// TestAWSCLI drives the real aws CLI v1 against the handler: every access-entry command
// the workshop uses, checking its JSON output. Each call costs the CLI's Python start-up
// (one to three seconds), so the sequence is kept to one call per command.
func TestAWSCLI(t *testing.T) {
	awsBin := awsCLI(t)
	e := newEnv(t, envOpts{})
	home := t.TempDir()
	run := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(awsBin, append([]string{"eks", "--output", "json"}, args...)...)
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + home, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
			"AWS_ENDPOINT_URL=" + e.srv.URL, "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=x", "AWS_REGION=us-west-2", "AWS_DEFAULT_REGION=us-west-2",
			"AWS_MAX_ATTEMPTS=1", "AWS_PAGER=",
		}
		if p := os.Getenv("PYENV_ROOT"); p != "" {
			cmd.Env = append(cmd.Env, "PYENV_ROOT="+p)
		}
		out, err := cmd.Output()
		if err != nil {
			stderr := ""
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("aws eks %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		if strings.TrimSpace(string(out)) == "" {
			return nil
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("aws eks %s printed %q: %v", strings.Join(args, " "), out, err)
		}
		return m
	}

	m := run("create-access-entry", "--cluster-name", "demo", "--principal-arn", devRole, "--kubernetes-groups", "team-a", "viewers", "--tags", "k1=v1")
	ae := m["accessEntry"].(map[string]any)
	if ae["principalArn"] != devRole || ae["type"] != "STANDARD" || ae["clusterName"] != "demo" ||
		ae["username"] != "arn:aws:sts::111122223333:assumed-role/dev-role/{{SessionName}}" ||
		!reflect.DeepEqual(ae["kubernetesGroups"], []any{"team-a", "viewers"}) || !reflect.DeepEqual(ae["tags"], map[string]any{"k1": "v1"}) ||
		!regexp.MustCompile(`^arn:aws:eks:us-west-2:111122223333:access-entry/demo/role/111122223333/dev-role/`+uuidTail).MatchString(ae["accessEntryArn"].(string)) {
		t.Fatalf("create-access-entry = %v", m)
	}
	// awscli v1 prints timestamps as it got them: epoch numbers.
	if ae["createdAt"] != 1767323045.678 {
		t.Fatalf("createdAt = %#v", ae["createdAt"])
	}

	m = run("describe-access-entry", "--cluster-name", "demo", "--principal-arn", devRole)
	if d := m["accessEntry"].(map[string]any); d["accessEntryArn"] != ae["accessEntryArn"] || d["username"] != ae["username"] {
		t.Fatalf("describe-access-entry = %v", m)
	}

	m = run("list-access-entries", "--cluster-name", "demo")
	if !reflect.DeepEqual(m, map[string]any{"accessEntries": []any{devRole}}) {
		t.Fatalf("list-access-entries = %v", m)
	}

	m = run("associate-access-policy", "--cluster-name", "demo", "--principal-arn", devRole,
		"--policy-arn", policyPrefix+"AmazonEKSEditPolicy", "--access-scope", "type=namespace,namespaces=team-a,dev-*")
	ap := m["associatedAccessPolicy"].(map[string]any)
	if m["clusterName"] != "demo" || m["principalArn"] != devRole || ap["policyArn"] != policyPrefix+"AmazonEKSEditPolicy" ||
		!reflect.DeepEqual(ap["accessScope"], map[string]any{"type": "namespace", "namespaces": []any{"team-a", "dev-*"}}) {
		t.Fatalf("associate-access-policy = %v", m)
	}

	m = run("list-associated-access-policies", "--cluster-name", "demo", "--principal-arn", devRole)
	list := m["associatedAccessPolicies"].([]any)
	if m["clusterName"] != "demo" || m["principalArn"] != devRole || len(list) != 1 || list[0].(map[string]any)["policyArn"] != policyPrefix+"AmazonEKSEditPolicy" {
		t.Fatalf("list-associated-access-policies = %v", m)
	}

	if m := run("disassociate-access-policy", "--cluster-name", "demo", "--principal-arn", devRole, "--policy-arn", policyPrefix+"AmazonEKSEditPolicy"); len(m) != 0 {
		t.Fatalf("disassociate-access-policy = %v", m)
	}
	if m := run("delete-access-entry", "--cluster-name", "demo", "--principal-arn", devRole); len(m) != 0 {
		t.Fatalf("delete-access-entry = %v", m)
	}
	m = run("list-access-policies")
	pols := m["accessPolicies"].([]any)
	if len(pols) != 28 || !reflect.DeepEqual(pols[0], map[string]any{"name": "AmazonAIOpsAssistantPolicy", "arn": policyPrefix + "AmazonAIOpsAssistantPolicy"}) {
		t.Fatalf("list-access-policies = %d policies, first %v", len(pols), pols[0])
	}

	// An error comes out as the CLI's usual message with the code.
	cmd := exec.Command(awsBin, "eks", "describe-access-entry", "--cluster-name", "demo", "--principal-arn", devRole)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_ENDPOINT_URL=" + e.srv.URL, "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=x", "AWS_REGION=us-west-2", "AWS_DEFAULT_REGION=us-west-2", "AWS_MAX_ATTEMPTS=1"}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "An error occurred (ResourceNotFoundException) when calling the DescribeAccessEntry operation: The specified principalArn could not be found.") {
		t.Fatalf("describe of a deleted entry: %v\n%s", err, out)
	}
}

// awsCLI finds the aws CLI, looking through a pyenv shim to the real script: the shim
// costs about a second per call.
func awsCLI(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Fatal("the aws CLI v1 is required for this test: install it (pip install awscli) and put it on PATH")
	}
	if strings.Contains(bin, "/shims/") {
		if out, err := exec.Command("pyenv", "which", "aws").Output(); err == nil {
			if real := strings.TrimSpace(string(out)); real != "" {
				return real
			}
		}
	}
	return bin
}

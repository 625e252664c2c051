package sandbox

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	ekssvc "eksaccess/internal/sandbox/eks"
	iamservice "eksaccess/internal/sandbox/iam"
)

// The botocore service models are the oracle: every response the sandbox gives, for every
// operation it implements, valid and invalid calls alike, must be what the model of the
// installed aws CLI allows — required members present, no member the shape does not
// declare, the declared types (timestamps as epoch numbers in JSON, ISO 8601 in XML), enum
// values from the enum, and errors that the operation declares with the HTTP status of their
// shape. Errors every operation of a service may answer (AWS's "common errors": access
// denied, throttling, input validation, authentication) are allowed too.

// model is one botocore service-2.json.
type model struct {
	Metadata struct {
		Protocol string `json:"protocol"`
	} `json:"metadata"`
	Operations map[string]struct {
		HTTP struct {
			Method     string `json:"method"`
			RequestURI string `json:"requestUri"`
		} `json:"http"`
		Input  *shapeRef  `json:"input"`
		Output *shapeRef  `json:"output"`
		Errors []shapeRef `json:"errors"`
	} `json:"operations"`
	Shapes map[string]*shape `json:"shapes"`
}

type shapeRef struct {
	Shape         string `json:"shape"`
	Location      string `json:"location"`
	LocationName  string `json:"locationName"`
	ResultWrapper string `json:"resultWrapper"`
	Flattened     bool   `json:"flattened"`
}

type shape struct {
	Type      string               `json:"type"`
	Members   map[string]*shapeRef `json:"members"`
	Required  []string             `json:"required"`
	Member    *shapeRef            `json:"member"`
	Key       *shapeRef            `json:"key"`
	Value     *shapeRef            `json:"value"`
	Enum      []string             `json:"enum"`
	Flattened bool                 `json:"flattened"`
	Exception bool                 `json:"exception"`
	Error     *struct {
		Code           string `json:"code"`
		HTTPStatusCode int    `json:"httpStatusCode"`
	} `json:"error"`
}

// botocoreDir finds the data directory of the botocore the aws CLI runs with.
func botocoreDir(t *testing.T) string {
	t.Helper()
	var pythons []string
	if bin, err := exec.LookPath("aws"); err == nil {
		if out, err := exec.Command("pyenv", "which", "aws").Output(); err == nil {
			bin = strings.TrimSpace(string(out))
		}
		if f, err := os.Open(bin); err == nil {
			line, _ := bufioFirstLine(f)
			f.Close()
			if p, ok := strings.CutPrefix(line, "#!"); ok && !strings.Contains(p, "bash") && !strings.HasSuffix(p, "/sh") {
				pythons = append(pythons, strings.Fields(p)...)
			}
		}
	}
	pythons = append(pythons, "python3", "python")
	for _, py := range pythons {
		if strings.HasSuffix(py, "/env") {
			continue
		}
		out, err := exec.Command(py, "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))").Output()
		if err == nil {
			return filepath.Join(strings.TrimSpace(string(out)), "data")
		}
	}
	t.Fatalf("no botocore found through the aws CLI's Python (tried %v): install the aws CLI; its models are this test's oracle", pythons)
	return ""
}

func bufioFirstLine(r io.Reader) (string, error) {
	b := make([]byte, 256)
	n, err := r.Read(b)
	line, _, _ := strings.Cut(string(b[:n]), "\n")
	return line, err
}

func loadModel(t *testing.T, dir, service string) *model {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, service, "*", "service-2.json*"))
	if len(matches) == 0 {
		t.Fatalf("no botocore model for %s under %s", service, dir)
	}
	sort.Strings(matches)
	f, err := os.Open(matches[len(matches)-1])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(f.Name(), ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	var m model
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatalf("read %s: %v", f.Name(), err)
	}
	return &m
}

// commonErrors are the codes (with their HTTP status) every operation of a protocol's
// services may answer, from AWS's common-errors lists.
var commonErrors = map[string]map[string]int{
	"rest-json": {"AccessDeniedException": 403, "ThrottlingException": 429, "ValidationException": 400,
		"UnrecognizedClientException": 403, "InvalidSignatureException": 403, "MissingAuthenticationTokenException": 403,
		"IncompleteSignatureException": 400, "ExpiredTokenException": 403, "SerializationException": 400, "UnknownOperationException": 404},
	"json": {"AccessDeniedException": 400, "ThrottlingException": 400, "ValidationException": 400,
		"UnrecognizedClientException": 403, "InvalidSignatureException": 403, "MissingAuthenticationTokenException": 403,
		"IncompleteSignatureException": 400, "ExpiredTokenException": 403, "SerializationException": 400, "UnknownOperationException": 400},
	"query": {"AccessDenied": 403, "Throttling": 400, "ValidationError": 400, "InvalidClientTokenId": 403,
		"SignatureDoesNotMatch": 403, "MissingAuthenticationToken": 403, "IncompleteSignature": 400, "ExpiredToken": 403,
		"InvalidAction": 400, "MissingAction": 400, "InvalidParameterValue": 400},
}

// call is one request of the oracle test.
type call struct {
	service, op string
	as          string      // credentials: "admin" (default), "carol", "partner"
	path        string      // rest-json: the request path (query included)
	body        any         // rest-json / json: the JSON body
	form        url.Values  // query: parameters besides Action and Version
	wantErr     string      // "" = must succeed; else the expected error code
	check       func(v any) // optional extra check of the decoded success body
}

type oracle struct {
	t      *testing.T
	s      *Server
	models map[string]*model
	creds  map[string]aws.Credentials
	seen   map[string]bool // service/op exercised
}

var jsonTargets = map[string]string{"sagemaker": "SageMaker."}

func (o *oracle) do(c call) {
	t := o.t
	t.Helper()
	m := o.models[c.service]
	op, ok := m.Operations[c.op]
	if !ok {
		t.Fatalf("%s has no operation %s in its model", c.service, c.op)
	}
	o.seen[c.service+"/"+c.op] = true
	var req *http.Request
	var body []byte
	switch m.Metadata.Protocol {
	case "rest-json":
		if c.body != nil {
			body, _ = json.Marshal(c.body)
		}
		req, _ = http.NewRequest(op.HTTP.Method, o.s.Endpoint()+c.path, bytes.NewReader(body))
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
	case "json":
		body, _ = json.Marshal(c.body)
		if c.body == nil {
			body = []byte("{}")
		}
		req, _ = http.NewRequest("POST", o.s.Endpoint()+"/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", jsonTargets[c.service]+c.op)
	case "query":
		form := url.Values{}
		for k, v := range c.form {
			form[k] = v
		}
		form.Set("Action", c.op)
		if form.Get("Version") == "" {
			form.Set("Version", map[string]string{"iam": "2010-05-08", "sts": "2011-06-15"}[c.service])
		}
		body = []byte(form.Encode())
		req, _ = http.NewRequest("POST", o.s.Endpoint()+"/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	sum := sha256.Sum256(body)
	as := c.as
	if as == "" {
		as = "admin"
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), o.creds[as], req, hex.EncodeToString(sum[:]), c.service, DemoRegion, o.s.now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.service, c.op, err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	name := c.service + " " + c.op
	if resp.StatusCode >= 300 {
		code := errorCode(m.Metadata.Protocol, resp, raw)
		if c.wantErr == "" {
			t.Errorf("%s: unexpected error %d %s: %s", name, resp.StatusCode, code, raw)
			return
		}
		if code != c.wantErr {
			t.Errorf("%s: error %s, want %s: %s", name, code, c.wantErr, raw)
		}
		o.checkError(name, m, op.Errors, resp.StatusCode, code, raw)
		return
	}
	if c.wantErr != "" {
		t.Errorf("%s: succeeded (%d), want error %s: %s", name, resp.StatusCode, c.wantErr, raw)
		return
	}
	var v any
	switch m.Metadata.Protocol {
	case "rest-json", "json":
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Errorf("%s: response is not JSON: %v: %s", name, err, raw)
			return
		}
		if op.Output != nil {
			checkJSON(o.at(name, m, op.Output.Shape, ""), v)
		}
	case "query":
		root, err := parseXML(raw)
		if err != nil {
			t.Errorf("%s: response is not XML: %v", name, err)
			return
		}
		if root.name != c.op+"Response" {
			t.Errorf("%s: root element %s, want %sResponse", name, root.name, c.op)
		}
		res := root.child(c.op + "Result")
		if op.Output != nil {
			if res == nil {
				t.Errorf("%s: no %sResult element: %s", name, c.op, raw)
				return
			}
			checkXML(o.at(name, m, op.Output.Shape, ""), res)
			v = res
		} else if res != nil && len(res.children) > 0 {
			t.Errorf("%s: the operation has no output, got %s", name, raw)
		}
		if root.child("ResponseMetadata").child("RequestId") == nil {
			t.Errorf("%s: no ResponseMetadata/RequestId", name)
		}
	}
	if c.check != nil {
		c.check(v)
	}
}

func errorCode(protocol string, resp *http.Response, raw []byte) string {
	if protocol == "query" {
		root, err := parseXML(raw)
		if err != nil {
			return ""
		}
		return root.child("Error").child("Code").text
	}
	if h := resp.Header.Get("X-Amzn-ErrorType"); h != "" {
		h, _, _ = strings.Cut(h, ":")
		return h
	}
	var b struct {
		Type string `json:"__type"`
	}
	json.Unmarshal(raw, &b)
	return b.Type
}

func (o *oracle) checkError(name string, m *model, declared []shapeRef, status int, code string, raw []byte) {
	t := o.t
	t.Helper()
	for _, ref := range declared {
		sh := m.Shapes[ref.Shape]
		wire := ref.Shape
		if sh.Error != nil && sh.Error.Code != "" {
			wire = sh.Error.Code
		}
		if wire != code {
			continue
		}
		want := 400
		if sh.Error != nil && sh.Error.HTTPStatusCode != 0 {
			want = sh.Error.HTTPStatusCode
		}
		if status != want {
			t.Errorf("%s: %s with HTTP %d, its shape says %d", name, code, status, want)
		}
		if m.Metadata.Protocol != "query" {
			var body map[string]any
			json.Unmarshal(raw, &body)
			for k := range body {
				if k == "__type" || strings.EqualFold(k, "message") {
					continue
				}
				if _, ok := sh.Members[k]; !ok {
					t.Errorf("%s: error %s has member %q its shape does not declare", name, code, k)
				}
			}
		}
		return
	}
	if want, ok := commonErrors[m.Metadata.Protocol][code]; ok {
		if status != want {
			t.Errorf("%s: common error %s with HTTP %d, want %d", name, code, status, want)
		}
		return
	}
	t.Errorf("%s: error code %q (HTTP %d) is neither declared for the operation nor a common error: %s", name, code, status, raw)
}

var isoRe = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`)

// checkJSON checks v, decoded from a JSON answer, against w's shape.
func checkJSON(w shapeWalk, v any) {
	w.o.t.Helper()
	sh := w.sh
	switch sh.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			w.errorf("%s wants an object, got %T", w.shapeName, v)
			return
		}
		for _, req := range sh.Required {
			if ref := sh.Members[req]; ref != nil && ref.Location != "" {
				continue
			}
			if _, ok := obj[req]; !ok {
				w.missing(req)
			}
		}
		for k, x := range obj {
			ref, ok := sh.Members[k]
			if !ok || ref.Location != "" {
				w.errorf("member %q is not in %s", k, w.shapeName)
				continue
			}
			if x == nil {
				continue
			}
			checkJSON(w.to(ref.Shape, "."+k), x)
		}
	case "list":
		l, ok := v.([]any)
		if !ok {
			w.errorf("%s wants a list, got %T", w.shapeName, v)
			return
		}
		for i, x := range l {
			checkJSON(w.to(sh.Member.Shape, "["+strconv.Itoa(i)+"]"), x)
		}
	case "map":
		mm, ok := v.(map[string]any)
		if !ok {
			w.errorf("%s wants a map, got %T", w.shapeName, v)
			return
		}
		for k, x := range mm {
			checkJSON(w.to(sh.Value.Shape, "{"+k+"}"), x)
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			w.errorf("%s wants a string, got %T", w.shapeName, v)
			return
		}
		w.enum(s)
	case "boolean":
		if _, ok := v.(bool); !ok {
			w.errorf("%s wants a boolean, got %T", w.shapeName, v)
		}
	case "integer", "long":
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			w.errorf("%s wants an integer, got %v", w.shapeName, v)
		}
	case "double", "float":
		if _, ok := v.(json.Number); !ok {
			w.errorf("%s wants a number, got %T", w.shapeName, v)
		}
	case "timestamp":
		// JSON protocols send epoch seconds (a number) unless the shape says otherwise.
		if _, ok := v.(json.Number); !ok {
			w.errorf("timestamp %s must be epoch seconds, got %v", w.shapeName, v)
		}
	default:
		w.unchecked()
	}
}

// node is an XML element.
type node struct {
	name     string
	text     string
	children []*node
}

func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func parseXML(b []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	var stack []*node
	var root *node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch x := tok.(type) {
		case xml.StartElement:
			n := &node{name: x.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(x)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("empty document")
	}
	return root, nil
}

// checkXML checks n, an element of a query-protocol answer, against w's shape.
func checkXML(w shapeWalk, n *node) {
	w.o.t.Helper()
	sh, m := w.sh, w.m
	switch sh.Type {
	case "structure":
		byElem := map[string]string{}
		for mn, ref := range sh.Members {
			el := mn
			if ref.LocationName != "" {
				el = ref.LocationName
			}
			byElem[el] = mn
		}
		present := map[string]bool{}
		for _, c := range n.children {
			mn, ok := byElem[c.name]
			if !ok {
				w.errorf("element <%s> is not in %s", c.name, w.shapeName)
				continue
			}
			if present[mn] && !m.Shapes[sh.Members[mn].Shape].Flattened && !sh.Members[mn].Flattened {
				w.errorf("element <%s> repeated in %s", c.name, w.shapeName)
			}
			present[mn] = true
			checkXML(w.to(sh.Members[mn].Shape, "/"+c.name), c)
		}
		for _, req := range sh.Required {
			if !present[req] {
				w.missing(req)
			}
		}
	case "list":
		el := "member"
		if sh.Member.LocationName != "" {
			el = sh.Member.LocationName
		}
		for i, c := range n.children {
			if c.name != el {
				w.errorf("list %s holds <%s>, want <%s>", w.shapeName, c.name, el)
				continue
			}
			checkXML(w.to(sh.Member.Shape, "["+strconv.Itoa(i)+"]"), c)
		}
	case "map":
		for _, c := range n.children {
			if c.name != "entry" || c.child("key") == nil || c.child("value") == nil {
				w.errorf("map %s holds <%s>, want <entry><key/><value/></entry>", w.shapeName, c.name)
			}
		}
	case "string":
		if len(n.children) > 0 {
			w.errorf("string %s has child elements", w.shapeName)
		}
		w.enum(n.text)
	case "boolean":
		if n.text != "true" && n.text != "false" {
			w.errorf("boolean %s is %q", w.shapeName, n.text)
		}
	case "integer", "long":
		if _, err := strconv.ParseInt(n.text, 10, 64); err != nil {
			w.errorf("integer %s is %q", w.shapeName, n.text)
		}
	case "timestamp":
		if !isoRe.MatchString(n.text) {
			w.errorf("timestamp %s is %q, want ISO 8601 UTC", w.shapeName, n.text)
		}
	default:
		w.unchecked()
	}
}

// shapeWalk is where checkJSON and checkXML stand in an answer: the operation (for
// messages), its model, the shape the value there must have, and the path to it.
type shapeWalk struct {
	o         *oracle
	name      string
	m         *model
	shapeName string
	sh        *shape
	path      string
}

func (o *oracle) at(name string, m *model, shapeName, path string) shapeWalk {
	return shapeWalk{o: o, name: name, m: m, shapeName: shapeName, sh: m.Shapes[shapeName], path: path}
}

// to is the walk one step down, at shape shapeName under the path's next step.
func (w shapeWalk) to(shapeName, step string) shapeWalk {
	return w.o.at(w.name, w.m, shapeName, w.path+step)
}

// errorf reports a mismatch at the walk's place.
func (w shapeWalk) errorf(format string, args ...any) {
	w.o.t.Helper()
	w.o.t.Errorf("%s: "+format, append([]any{w.name + " " + w.path}, args...)...)
}

func (w shapeWalk) missing(member string) {
	w.o.t.Helper()
	w.errorf("required member %s of %s missing", member, w.shapeName)
}

// enum reports s when the shape is an enum without it.
func (w shapeWalk) enum(s string) {
	w.o.t.Helper()
	if len(w.sh.Enum) > 0 && !slices.Contains(w.sh.Enum, s) {
		w.errorf("%q is not in enum %s %v", s, w.shapeName, w.sh.Enum)
	}
}

func (w shapeWalk) unchecked() {
	w.o.t.Helper()
	w.errorf("shape type %s of %s not checked by this test", w.sh.Type, w.shapeName)
}

func get(v any, path ...string) any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case *node:
			v = x.child(p)
		default:
			return nil
		}
	}
	if n, ok := v.(*node); ok && n != nil && len(n.children) == 0 {
		return n.text
	}
	return v
}

func TestModelOracle(t *testing.T) {
	dir := botocoreDir(t)
	s := start(t, Options{ClusterDelay: 300 * time.Millisecond})
	o := &oracle{t: t, s: s, seen: map[string]bool{}, creds: map[string]aws.Credentials{}, models: map[string]*model{}}
	for _, svc := range []string{"eks", "iam", "sts", "sagemaker"} {
		o.models[svc] = loadModel(t, dir, svc)
	}
	o.creds["admin"] = adminCreds(t, s)
	pid, psecret, err := s.AccountAdminCredentials(PartnerAccount)
	if err != nil {
		t.Fatal(err)
	}
	o.creds["partner"] = aws.Credentials{AccessKeyID: pid, SecretAccessKey: psecret}

	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	iam := func(op, wantErr string, kv ...string) {
		o.do(call{service: "iam", op: op, form: form(kv...), wantErr: wantErr})
	}
	var carolKey struct{ id, secret string }
	o.do(call{service: "iam", op: "CreateAccessKey", form: form("UserName", "carol"), check: func(v any) {
		carolKey.id, _ = get(v, "AccessKey", "AccessKeyId").(string)
		carolKey.secret, _ = get(v, "AccessKey", "SecretAccessKey").(string)
	}})
	o.creds["carol"] = aws.Credentials{AccessKeyID: carolKey.id, SecretAccessKey: carolKey.secret}

	const acct = "arn:aws:iam::111122223333:"
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:List*","Resource":"*"}]}`
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`

	// IAM: users, keys, groups.
	iam("GetUser", "")
	iam("GetUser", "NoSuchEntity", "UserName", "nobody")
	iam("GetUser", "ValidationError", "UserName", "bad name!")
	iam("ListUsers", "")
	iam("ListUsers", "ValidationError", "MaxItems", "0")
	iam("CreateUser", "", "UserName", "oracle", "Path", "/qa/", "Tags.member.1.Key", "team", "Tags.member.1.Value", "qa",
		"PermissionsBoundary", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	iam("CreateUser", "EntityAlreadyExists", "UserName", "ORACLE")
	iam("GetUser", "", "UserName", "oracle")
	iam("CreateAccessKey", "", "UserName", "oracle")
	iam("CreateAccessKey", "", "UserName", "oracle")
	iam("CreateAccessKey", "LimitExceeded", "UserName", "oracle")
	var keyID string
	o.do(call{service: "iam", op: "ListAccessKeys", form: form("UserName", "oracle"), check: func(v any) {
		if l, ok := get(v, "AccessKeyMetadata").(*node); ok && len(l.children) == 2 {
			keyID = l.children[0].child("AccessKeyId").text
		} else {
			t.Errorf("ListAccessKeys: want 2 keys, got %v", v)
		}
	}})
	iam("UpdateAccessKey", "", "UserName", "oracle", "AccessKeyId", keyID, "Status", "Inactive")
	iam("UpdateAccessKey", "ValidationError", "UserName", "oracle", "AccessKeyId", keyID, "Status", "Sleeping")
	iam("DeleteAccessKey", "", "UserName", "oracle", "AccessKeyId", keyID)
	iam("DeleteAccessKey", "NoSuchEntity", "UserName", "oracle", "AccessKeyId", keyID)
	o.do(call{service: "iam", op: "ListAccessKeys", form: form("UserName", "oracle"), check: func(v any) {
		if l, ok := get(v, "AccessKeyMetadata").(*node); ok && len(l.children) == 1 {
			iam("DeleteAccessKey", "", "UserName", "oracle", "AccessKeyId", l.children[0].child("AccessKeyId").text)
		}
	}})
	iam("ListMFADevices", "", "UserName", "alice")
	iam("ListMFADevices", "NoSuchEntity", "UserName", "nobody")
	iam("CreateGroup", "", "GroupName", "qa")
	iam("CreateGroup", "EntityAlreadyExists", "GroupName", "QA")
	iam("AddUserToGroup", "", "GroupName", "qa", "UserName", "oracle")
	iam("AddUserToGroup", "NoSuchEntity", "GroupName", "nope", "UserName", "oracle")
	iam("GetGroup", "", "GroupName", "qa")
	iam("ListGroups", "")
	iam("ListGroupsForUser", "", "UserName", "oracle")
	iam("ListGroupsForUser", "NoSuchEntity", "UserName", "nobody")
	iam("DeleteGroup", "DeleteConflict", "GroupName", "qa")
	iam("DeleteUser", "DeleteConflict", "UserName", "oracle")

	// Inline policies of users, groups and roles; attached policies; boundaries; tags.
	for _, k := range []struct{ kind, param, name string }{{"User", "UserName", "oracle"}, {"Group", "GroupName", "qa"}, {"Role", "RoleName", "PlatformAdmin"}} {
		iam("Put"+k.kind+"Policy", "", k.param, k.name, "PolicyName", "inline", "PolicyDocument", doc)
		iam("Put"+k.kind+"Policy", "MalformedPolicyDocument", k.param, k.name, "PolicyName", "bad", "PolicyDocument", `{"Version":"2012-10-17"}`)
		iam("Put"+k.kind+"Policy", "NoSuchEntity", k.param, "nobody", "PolicyName", "inline", "PolicyDocument", doc)
		iam("Get"+k.kind+"Policy", "", k.param, k.name, "PolicyName", "inline")
		iam("Get"+k.kind+"Policy", "NoSuchEntity", k.param, k.name, "PolicyName", "none")
		iam("List"+k.kind+"Policies", "", k.param, k.name)
		iam("Delete"+k.kind+"Policy", "", k.param, k.name, "PolicyName", "inline")
		iam("Delete"+k.kind+"Policy", "NoSuchEntity", k.param, k.name, "PolicyName", "inline")
		iam("Attach"+k.kind+"Policy", "", k.param, k.name, "PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
		iam("Attach"+k.kind+"Policy", "NoSuchEntity", k.param, k.name, "PolicyArn", "arn:aws:iam::aws:policy/Nope")
		iam("Attach"+k.kind+"Policy", "InvalidInput", k.param, k.name, "PolicyArn", "not-an-arn-at-all-12345")
		iam("ListAttached"+k.kind+"Policies", "", k.param, k.name)
		iam("Detach"+k.kind+"Policy", "", k.param, k.name, "PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
		iam("Detach"+k.kind+"Policy", "NoSuchEntity", k.param, k.name, "PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
		if k.kind != "Group" {
			iam("Tag"+k.kind, "", k.param, k.name, "Tags.member.1.Key", "cost-center", "Tags.member.1.Value", "42")
			iam("Tag"+k.kind, "NoSuchEntity", k.param, "nobody", "Tags.member.1.Key", "a", "Tags.member.1.Value", "b")
			iam("List"+k.kind+"Tags", "", k.param, k.name)
			iam("Untag"+k.kind, "", k.param, k.name, "TagKeys.member.1", "cost-center")
			iam("Put"+k.kind+"PermissionsBoundary", "", k.param, k.name, "PermissionsBoundary", "arn:aws:iam::aws:policy/ReadOnlyAccess")
			iam("Put"+k.kind+"PermissionsBoundary", "NoSuchEntity", k.param, k.name, "PermissionsBoundary", "arn:aws:iam::aws:policy/Nope")
			iam("Delete"+k.kind+"PermissionsBoundary", "", k.param, k.name)
		}
	}
	// A user's inline policies are at most 2,048 characters together.
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` + strings.Repeat(`"eks:DescribeCluster",`, 100) + `"eks:ListClusters"],"Resource":"*"}]}`
	iam("PutUserPolicy", "LimitExceeded", "UserName", "oracle", "PolicyName", "big", "PolicyDocument", big)
	iam("RemoveUserFromGroup", "", "GroupName", "qa", "UserName", "oracle")
	iam("RemoveUserFromGroup", "NoSuchEntity", "GroupName", "qa", "UserName", "oracle")
	iam("DeleteGroup", "", "GroupName", "qa")
	iam("DeleteGroup", "NoSuchEntity", "GroupName", "qa")

	// Roles.
	iam("CreateRole", "", "RoleName", "oracle-role", "AssumeRolePolicyDocument", trust, "Description", "d", "MaxSessionDuration", "7200")
	iam("CreateRole", "MalformedPolicyDocument", "RoleName", "bad-role", "AssumeRolePolicyDocument", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`)
	iam("CreateRole", "ValidationError", "RoleName", "r", "AssumeRolePolicyDocument", trust, "MaxSessionDuration", "60")
	iam("GetRole", "", "RoleName", "oracle-role")
	iam("GetRole", "NoSuchEntity", "RoleName", "nope")
	iam("ListRoles", "")
	iam("UpdateRole", "", "RoleName", "oracle-role", "Description", "e")
	iam("UpdateAssumeRolePolicy", "", "RoleName", "oracle-role", "PolicyDocument", trust)
	iam("AttachRolePolicy", "", "RoleName", "oracle-role", "PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	iam("ListAttachedRolePolicies", "", "RoleName", "oracle-role")
	iam("DeleteRole", "DeleteConflict", "RoleName", "oracle-role")
	iam("DetachRolePolicy", "", "RoleName", "oracle-role", "PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	iam("DeleteRole", "", "RoleName", "oracle-role")

	// Managed policies and their versions.
	iam("CreatePolicy", "", "PolicyName", "oracle-policy", "PolicyDocument", doc, "Description", "d")
	iam("CreatePolicy", "EntityAlreadyExists", "PolicyName", "oracle-policy", "PolicyDocument", doc)
	pol := acct + "policy/oracle-policy"
	iam("GetPolicy", "", "PolicyArn", pol)
	iam("GetPolicy", "NoSuchEntity", "PolicyArn", acct+"policy/none")
	iam("TagPolicy", "", "PolicyArn", pol, "Tags.member.1.Key", "eksaccess/managed", "Tags.member.1.Value", "true")
	iam("TagPolicy", "NoSuchEntity", "PolicyArn", acct+"policy/none", "Tags.member.1.Key", "k", "Tags.member.1.Value", "v")
	iam("ListPolicyTags", "", "PolicyArn", pol)
	iam("ListPolicyTags", "NoSuchEntity", "PolicyArn", acct+"policy/none")
	iam("ListPolicies", "", "Scope", "Local")
	iam("ListPolicies", "ValidationError", "Scope", "Mine")
	for i := 0; i < 4; i++ {
		iam("CreatePolicyVersion", "", "PolicyArn", pol, "PolicyDocument", doc)
	}
	iam("CreatePolicyVersion", "LimitExceeded", "PolicyArn", pol, "PolicyDocument", doc)
	iam("ListPolicyVersions", "", "PolicyArn", pol)
	iam("GetPolicyVersion", "", "PolicyArn", pol, "VersionId", "v2")
	iam("SetDefaultPolicyVersion", "", "PolicyArn", pol, "VersionId", "v2")
	iam("SetDefaultPolicyVersion", "NoSuchEntity", "PolicyArn", pol, "VersionId", "v9")
	iam("DeletePolicyVersion", "DeleteConflict", "PolicyArn", pol, "VersionId", "v2")
	iam("DeletePolicy", "DeleteConflict", "PolicyArn", pol)
	for _, v := range []string{"v1", "v3", "v4", "v5"} {
		iam("DeletePolicyVersion", "", "PolicyArn", pol, "VersionId", v)
	}
	iam("ListEntitiesForPolicy", "", "PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess")
	iam("ListEntitiesForPolicy", "ValidationError", "PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess", "EntityFilter", "Robot")
	iam("DeletePolicy", "", "PolicyArn", pol)
	iam("DeletePolicy", "NoSuchEntity", "PolicyArn", pol)
	iam("DeleteUser", "", "UserName", "oracle")
	iam("DeleteUser", "NoSuchEntity", "UserName", "oracle")
	iam("ListUsers", "InvalidAction", "Version", "2099-01-01")

	// Enforcement: carol (a data scientist) may read her own user but not create users.
	o.do(call{service: "iam", op: "GetUser", as: "carol"})
	o.do(call{service: "iam", op: "CreateUser", as: "carol", form: form("UserName", "mallory"), wantErr: "AccessDenied"})

	// STS.
	o.do(call{service: "sts", op: "GetCallerIdentity"})
	o.do(call{service: "sts", op: "GetCallerIdentity", as: "partner", check: func(v any) {
		if get(v, "Account") != PartnerAccount {
			t.Errorf("partner GetCallerIdentity = %v", get(v, "Account"))
		}
	}})
	o.do(call{service: "sts", op: "AssumeRole", form: form("RoleArn", "arn:aws:iam::"+PartnerAccount+":role/"+PartnerRole, "RoleSessionName", "oracle",
		"Policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:Describe*","Resource":"*"}]}`)})
	o.do(call{service: "sts", op: "AssumeRole", as: "carol", form: form("RoleArn", "arn:aws:iam::"+PartnerAccount+":role/"+PartnerRole, "RoleSessionName", "oracle"), wantErr: "AccessDenied"})
	o.do(call{service: "sts", op: "AssumeRole", form: form("RoleArn", acct+"role/nope", "RoleSessionName", "x"), wantErr: "ValidationError"})
	o.do(call{service: "sts", op: "AssumeRole", form: form("RoleArn", acct+"role/nope", "RoleSessionName", "oracle"), wantErr: "AccessDenied"})
	o.do(call{service: "sts", op: "AssumeRole", form: form("RoleArn", acct+"role/PlatformAdmin", "RoleSessionName", "oracle", "Policy", "{not json"), wantErr: "MalformedPolicyDocument"})

	// EKS.
	eks := func(op, path string, body any, wantErr string) {
		o.do(call{service: "eks", op: op, path: path, body: body, wantErr: wantErr})
	}
	pe := url.PathEscape
	alice := acct + "user/alice"
	eks("ListClusters", "/clusters", nil, "")
	eks("ListClusters", "/clusters?maxResults=1000", nil, "InvalidParameterException")
	eks("DescribeCluster", "/clusters/"+DemoCluster, nil, "")
	eks("DescribeCluster", "/clusters/nope", nil, "ResourceNotFoundException")
	eks("ListAccessPolicies", "/access-policies", nil, "")
	eks("ListAccessPolicies", "/access-policies?maxResults=1000", nil, "ValidationException")
	eks("CreateAccessEntry", "/clusters/"+DemoCluster+"/access-entries", map[string]any{"principalArn": alice, "tags": map[string]string{"a": "b"}}, "")
	eks("CreateAccessEntry", "/clusters/"+DemoCluster+"/access-entries", map[string]any{"principalArn": alice}, "ResourceInUseException")
	eks("CreateAccessEntry", "/clusters/"+DemoCluster+"/access-entries", map[string]any{"principalArn": acct + "user/bob", "username": "john{{SessionName}}"}, "InvalidParameterException")
	eks("CreateAccessEntry", "/clusters/nope/access-entries", map[string]any{"principalArn": alice}, "ResourceNotFoundException")
	eks("CreateAccessEntry", "/clusters/"+LegacyCluster+"/access-entries", map[string]any{"principalArn": alice}, "InvalidRequestException")
	eks("CreateAccessEntry", "/clusters/"+DemoCluster+"/access-entries", map[string]any{"principalArn": "arn:aws:iam::444455556666:role/" + PartnerRole}, "")
	eks("DescribeAccessEntry", "/clusters/"+DemoCluster+"/access-entries/"+pe(alice), nil, "")
	eks("DescribeAccessEntry", "/clusters/"+DemoCluster+"/access-entries/"+pe(acct+"user/bob"), nil, "ResourceNotFoundException")
	eks("UpdateAccessEntry", "/clusters/"+DemoCluster+"/access-entries/"+pe(alice), map[string]any{"kubernetesGroups": []string{"team-a"}}, "")
	eks("UpdateAccessEntry", "/clusters/"+DemoCluster+"/access-entries/"+pe(alice), map[string]any{"username": "system:x"}, "InvalidParameterException")
	eks("ListAccessEntries", "/clusters/"+DemoCluster+"/access-entries?maxResults=1", nil, "")
	eks("ListAccessEntries", "/clusters/"+DemoCluster+"/access-entries?maxResults=0", nil, "InvalidParameterException")
	view := "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	eks("AssociateAccessPolicy", "/clusters/"+DemoCluster+"/access-entries/"+pe(alice)+"/access-policies", map[string]any{"policyArn": view, "accessScope": map[string]any{"type": "namespace", "namespaces": []string{"team-a"}}}, "")
	eks("AssociateAccessPolicy", "/clusters/"+DemoCluster+"/access-entries/"+pe(alice)+"/access-policies", map[string]any{"policyArn": view, "accessScope": map[string]any{"type": "galaxy"}}, "InvalidParameterException")
	eks("AssociateAccessPolicy", "/clusters/"+DemoCluster+"/access-entries/"+pe(alice)+"/access-policies", map[string]any{"policyArn": view + "X", "accessScope": map[string]any{"type": "cluster"}}, "ResourceNotFoundException")
	eks("ListAssociatedAccessPolicies", "/clusters/"+DemoCluster+"/access-entries/"+pe(alice)+"/access-policies", nil, "")
	eks("ListAssociatedAccessPolicies", "/clusters/"+DemoCluster+"/access-entries/"+pe(alice)+"/access-policies?maxResults=0", nil, "ValidationException")
	eks("DisassociateAccessPolicy", "/clusters/"+DemoCluster+"/access-entries/"+pe(alice)+"/access-policies/"+pe(view), nil, "")
	eks("DisassociateAccessPolicy", "/clusters/"+DemoCluster+"/access-entries/"+pe(alice)+"/access-policies/"+pe(view), nil, "ResourceNotFoundException")
	clusterArn := "arn:aws:eks:us-west-2:111122223333:cluster/" + DemoCluster
	eks("TagResource", "/tags/"+pe(clusterArn), map[string]any{"tags": map[string]string{"k": "v"}}, "")
	eks("TagResource", "/tags/"+pe(clusterArn+"x"), map[string]any{"tags": map[string]string{"k": "v"}}, "NotFoundException")
	eks("ListTagsForResource", "/tags/"+pe(clusterArn), nil, "")
	eks("UntagResource", "/tags/"+pe(clusterArn)+"?tagKeys=k", nil, "")
	eks("DeleteAccessEntry", "/clusters/"+DemoCluster+"/access-entries/"+pe(alice), nil, "")
	eks("DeleteAccessEntry", "/clusters/"+DemoCluster+"/access-entries/"+pe(alice), nil, "ResourceNotFoundException")
	vpc := map[string]any{"subnetIds": []string{"subnet-1"}}
	role := acct + "role/" + DemoClusterRole
	eks("CreateCluster", "/clusters", map[string]any{"name": "oracle", "roleArn": role, "resourcesVpcConfig": vpc, "version": "1.33", "accessConfig": map[string]any{"authenticationMode": "API_AND_CONFIG_MAP"}}, "")
	eks("CreateCluster", "/clusters", map[string]any{"name": "oracle2", "roleArn": role, "resourcesVpcConfig": vpc, "version": "1.99"}, "InvalidParameterException")
	eks("CreateCluster", "/clusters", map[string]any{"name": "oracle", "roleArn": role, "resourcesVpcConfig": vpc}, "ResourceInUseException")
	time.Sleep(400 * time.Millisecond)
	var updateID string
	o.do(call{service: "eks", op: "UpdateClusterConfig", path: "/clusters/oracle/update-config", body: map[string]any{"accessConfig": map[string]any{"authenticationMode": "API"}}, check: func(v any) {
		updateID, _ = get(v, "update", "id").(string)
	}})
	eks("UpdateClusterConfig", "/clusters/oracle/update-config", map[string]any{"accessConfig": map[string]any{"authenticationMode": "CONFIG_MAP"}}, "InvalidParameterException")
	eks("ListUpdates", "/clusters/oracle/updates", nil, "")
	eks("DescribeUpdate", "/clusters/oracle/updates/"+updateID, nil, "")
	eks("DescribeUpdate", "/clusters/oracle/updates/nope", nil, "ResourceNotFoundException")
	eks("DeleteCluster", "/clusters/oracle", nil, "")
	eks("DeleteCluster", "/clusters/nope", nil, "ResourceNotFoundException")
	o.do(call{service: "eks", op: "CreateAccessEntry", as: "carol", path: "/clusters/" + DemoCluster + "/access-entries", body: map[string]any{"principalArn": alice}, wantErr: "AccessDeniedException"})
	o.do(call{service: "eks", op: "DescribeCluster", as: "partner", path: "/clusters/" + PartnerCluster})

	// SageMaker.
	o.do(call{service: "sagemaker", op: "DescribeCluster", body: map[string]any{"ClusterName": DemoHyperPod}})
	o.do(call{service: "sagemaker", op: "DescribeCluster", body: map[string]any{"ClusterName": "nope"}, wantErr: "ResourceNotFound"})
	o.do(call{service: "sagemaker", op: "ListClusters", body: map[string]any{"MaxResults": 1}})
	o.do(call{service: "sagemaker", op: "ListClusters", body: map[string]any{"MaxResults": 1000}, wantErr: "ValidationException"})
	o.do(call{service: "sagemaker", op: "ListClusters", body: map[string]any{"NextToken": "garbage!"}, wantErr: "ValidationException"})

	// Every operation the sandbox routes was exercised.
	var missing []string
	for _, op := range implementedOperations() {
		if !o.seen[op] {
			missing = append(missing, op)
		}
	}
	if len(missing) > 0 {
		t.Errorf("operations the sandbox implements but this test never sent: %v", missing)
	}
}

// implementedOperations are service/operation of everything the sandbox serves.
func implementedOperations() []string {
	var out []string
	for _, op := range iamOps() {
		out = append(out, "iam/"+op)
	}
	for _, op := range eksOps() {
		out = append(out, "eks/"+op)
	}
	out = append(out, "sts/GetCallerIdentity", "sts/AssumeRole", "sagemaker/DescribeCluster", "sagemaker/ListClusters")
	return out
}

func iamOps() []string { return iamservice.Operations() }
func eksOps() []string { return ekssvc.Operations }

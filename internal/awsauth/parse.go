// Package awsauth reads the aws-auth ConfigMap (kube-system/aws-auth) and
// converts its mappings into access-file items for `eksaccess migrate
// aws-auth`. Nothing is dropped silently: every mapping is either converted
// or reported as a Warning saying why and what to do.
package awsauth

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/principal"
	"eksaccess/internal/yamlpos"
)

// Position is a 1-based line and column in the ConfigMap file.
type Position = yamlpos.Pos

// Warning is something in the ConfigMap that could not be converted as is; it prints as
// FILE:LINE:COL: message.
type Warning = yamlpos.Problem

// RoleMapping is one mapRoles item.
type RoleMapping struct {
	RoleARN  string
	Username string
	Groups   []string
	Pos      Position
}

// UserMapping is one mapUsers item.
type UserMapping struct {
	UserARN  string
	Username string
	Groups   []string
	Pos      Position
}

// AccountMapping is one mapAccounts item.
type AccountMapping struct {
	Account string
	Pos     Position
}

// ConfigMap is the content of an aws-auth ConfigMap.
type ConfigMap struct {
	File      string
	Name      string
	Namespace string
	Roles     []RoleMapping
	Users     []UserMapping
	Accounts  []AccountMapping
	// Warnings are things Parse ignored, such as unknown keys.
	Warnings []Warning
}

// Parse reads an aws-auth ConfigMap as YAML or JSON (kubectl get -o yaml|json).
// mapRoles, mapUsers and mapAccounts are YAML documents inside strings; their
// problems are reported at the file's lines when the string is a literal
// block (|), else at the string's start. It returns an *accessfile.Error with
// every problem when the ConfigMap cannot be read.
func Parse(name string, data []byte) (*ConfigMap, error) {
	p := &cmParser{file: name, src: data}
	cm := p.parse()
	if len(p.probs) > 0 {
		return nil, &accessfile.Error{Problems: p.probs}
	}
	return cm, nil
}

type cmParser struct {
	file  string
	src   []byte
	probs []accessfile.Problem
	warns []Warning
}

func (p *cmParser) errf(pos Position, format string, args ...any) {
	p.probs = append(p.probs, accessfile.Problem{File: p.file, Line: pos.Line, Col: pos.Col, Msg: fmt.Sprintf(format, args...)})
}

func (p *cmParser) warnf(pos Position, format string, args ...any) {
	p.warns = append(p.warns, Warning{File: p.file, Line: pos.Line, Col: pos.Col, Msg: fmt.Sprintf(format, args...)})
}

func posOf(n ast.Node) Position { return yamlpos.Of(n) }

func unwrap(n ast.Node) ast.Node {
	for i := 0; i < 10; i++ {
		switch t := n.(type) {
		case *ast.AnchorNode:
			n = t.Value
		case *ast.TagNode:
			n = t.Value
		default:
			return n
		}
	}
	return n
}

func scalarString(n ast.Node) (string, bool) { return yamlpos.String(unwrap(n)) }

func syntaxProblem(err error) (Position, string) { return yamlpos.Syntax(err) }

func mappingFields(n ast.Node) (*ast.MappingNode, bool) {
	m, ok := unwrap(n).(*ast.MappingNode)
	return m, ok
}

func (p *cmParser) parse() *ConfigMap {
	f, err := parser.ParseBytes(yamlpos.TrimBOM(p.src), 0)
	if err != nil {
		pos, msg := syntaxProblem(err)
		p.errf(pos, "YAML syntax error: %s; fix the YAML of the ConfigMap", msg)
		return nil
	}
	var body ast.Node
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			if body != nil {
				p.errf(posOf(d.Body), "the file holds more than one YAML document; keep only the aws-auth ConfigMap")
				return nil
			}
			body = d.Body
		}
	}
	if body == nil {
		p.errf(Position{Line: 1, Col: 1}, "the file is empty; save the ConfigMap with kubectl get configmap aws-auth -n kube-system -o yaml")
		return nil
	}
	top, ok := mappingFields(body)
	if !ok {
		p.errf(posOf(body), "the file is not a Kubernetes object; save the ConfigMap with kubectl get configmap aws-auth -n kube-system -o yaml")
		return nil
	}
	cm := &ConfigMap{File: p.file}
	var kind, apiVersion string
	var data *ast.MappingValueNode
	for _, mv := range top.Values {
		switch key := mv.Key.GetToken().Value; key {
		case "kind":
			kind, _ = scalarString(mv.Value)
		case "apiVersion":
			apiVersion, _ = scalarString(mv.Value)
		case "metadata":
			if md, ok := mappingFields(mv.Value); ok {
				for _, f := range md.Values {
					switch f.Key.GetToken().Value {
					case "name":
						cm.Name, _ = scalarString(f.Value)
					case "namespace":
						cm.Namespace, _ = scalarString(f.Value)
					}
				}
			}
		case "data":
			data = mv
		}
	}
	if kind != "ConfigMap" || apiVersion != "v1" {
		p.errf(posOf(body), "the file is a %q %q, not a v1 ConfigMap; save the ConfigMap with kubectl get configmap aws-auth -n kube-system -o yaml", clip(apiVersion), clip(kind))
		return nil
	}
	if cm.Name != "aws-auth" || (cm.Namespace != "" && cm.Namespace != "kube-system") {
		p.warnf(posOf(body), "the ConfigMap is %s/%s, not kube-system/aws-auth; EKS reads only kube-system/aws-auth, so check that this is the right file", cm.Namespace, cm.Name)
	}
	if data == nil {
		p.errf(posOf(body), "the ConfigMap has no data; it maps no one, so there is nothing to migrate")
		return nil
	}
	dm, ok := mappingFields(data.Value)
	if !ok {
		if _, null := unwrap(data.Value).(*ast.NullNode); null || data.Value == nil {
			p.errf(posOf(data.Key), "the ConfigMap's data is empty; it maps no one, so there is nothing to migrate")
		} else {
			p.errf(posOf(data.Value), "data must be a mapping of strings; check the ConfigMap")
		}
		return nil
	}
	for _, mv := range dm.Values {
		key := mv.Key.GetToken().Value
		switch key {
		case "mapRoles", "mapUsers", "mapAccounts":
			p.embedded(cm, key, mv)
		default:
			p.warnf(posOf(mv.Key), "data key %q is not read by EKS (only mapRoles, mapUsers and mapAccounts are); not migrated", clip(key))
		}
	}
	cm.Warnings = p.warns
	return cm
}

// embedded parses one of the YAML-in-a-string data keys.
func (p *cmParser) embedded(cm *ConfigMap, key string, mv *ast.MappingValueNode) {
	val := unwrap(mv.Value)
	text, ok := scalarString(val)
	if !ok {
		p.errf(posOf(mv.Value), "data.%s must be a string holding YAML (write %s: |), not a structure; quote or indent it as a block", key, key)
		return
	}
	tr := p.translator(val, posOf(mv.Value))
	if strings.TrimSpace(text) == "" {
		return
	}
	f, err := parser.ParseBytes([]byte(text), 0)
	if err != nil {
		pos, msg := syntaxProblem(err)
		p.errf(tr(pos), "YAML syntax error in data.%s: %s; fix the YAML inside the string", key, msg)
		return
	}
	if len(f.Docs) == 0 || f.Docs[0] == nil || f.Docs[0].Body == nil {
		return
	}
	seq, ok := unwrap(f.Docs[0].Body).(*ast.SequenceNode)
	if !ok {
		p.errf(tr(posOf(f.Docs[0].Body)), "data.%s must be a YAML list; start each item with '- '", key)
		return
	}
	for _, it := range seq.Values {
		itPos := tr(posOf(it))
		if key == "mapAccounts" {
			v := unwrap(it)
			acct, ok := scalarString(v)
			if !ok {
				// Account IDs are often written unquoted, so YAML reads a number.
				if num, isNum := v.(*ast.IntegerNode); isNum {
					acct, ok = num.GetToken().Value, true
				}
			}
			if !ok || acct == "" {
				p.errf(itPos, "mapAccounts items must be account IDs; fix the item")
				continue
			}
			cm.Accounts = append(cm.Accounts, AccountMapping{Account: acct, Pos: itPos})
			continue
		}
		m, ok := mappingFields(it)
		if !ok {
			p.errf(itPos, "data.%s items must be mappings (rolearn/userarn, username, groups); fix the item", key)
			continue
		}
		var arn, username string
		var groups []string
		arnKey := "rolearn"
		if key == "mapUsers" {
			arnKey = "userarn"
		}
		for _, f := range m.Values {
			k := f.Key.GetToken().Value
			// aws-iam-authenticator decodes with encoding/json rules, which
			// match field names case-insensitively (rolearn = roleARN).
			switch strings.ToLower(k) {
			case arnKey:
				s, ok := scalarString(f.Value)
				if !ok {
					p.errf(tr(posOf(f.Value)), "%s must be a string; fix the item", k)
				}
				arn = strings.TrimSpace(s)
			case "username":
				s, ok := scalarString(f.Value)
				if !ok {
					p.errf(tr(posOf(f.Value)), "username must be a string; fix the item")
				}
				username = s
			case "groups":
				gs, ok := unwrap(f.Value).(*ast.SequenceNode)
				if !ok {
					if _, null := unwrap(f.Value).(*ast.NullNode); !null {
						p.errf(tr(posOf(f.Value)), "groups must be a list of strings; write groups: [a, b]")
					}
					continue
				}
				for _, g := range gs.Values {
					s, ok := scalarString(g)
					if !ok {
						p.errf(tr(posOf(g)), "groups items must be strings; quote it")
						continue
					}
					groups = append(groups, s)
				}
			default:
				p.warnf(tr(posOf(f.Key)), "key %q in data.%s is ignored by EKS too; not migrated", clip(k), key)
			}
		}
		if key == "mapRoles" {
			cm.Roles = append(cm.Roles, RoleMapping{RoleARN: arn, Username: username, Groups: groups, Pos: itPos})
		} else {
			cm.Users = append(cm.Users, UserMapping{UserARN: arn, Username: username, Groups: groups, Pos: itPos})
		}
	}
}

// translator maps a position inside an embedded YAML string to the file.
// Only literal blocks (|) keep the string's lines as the file's lines; for
// any other style everything maps to where the string starts.
func (p *cmParser) translator(val ast.Node, start Position) func(Position) Position {
	lit, ok := val.(*ast.LiteralNode)
	if !ok || lit.Start == nil || lit.Start.Position == nil || !strings.HasPrefix(lit.Start.Value, "|") {
		return func(Position) Position { return start }
	}
	lines := strings.Split(string(p.src), "\n")
	first := lit.Start.Position.Line // 1-based line of the '|'
	indent := -1
	for i := first; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], "\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		indent = len(l) - len(strings.TrimLeft(l, " "))
		break
	}
	if indent < 0 {
		return func(Position) Position { return start }
	}
	return func(in Position) Position {
		return Position{Line: first + in.Line, Col: in.Col + indent}
	}
}

// clip shortens a value from the ConfigMap for a message (principal.MaxEcho characters).
func clip(s string) string { return principal.Clip(s) }

package accessfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"eksaccess/internal/principal"
	"eksaccess/internal/rbac"
	"eksaccess/internal/yamlpos"
)

// User is one principal read from a users file, with its 1-based line.
type User struct {
	Principal string
	Line      int
}

// UsersFileParser reads the principals of a users file. path is the file's
// path as resolved by the loader (used in messages), data its content. It
// may return an *Error whose problems point into the users file; any other
// error is reported at the usersFile field.
type UsersFileParser func(path string, data []byte) ([]User, error)

// Options adjust loading. The zero value is ready to use.
type Options struct {
	// KnownPolicy reports whether an access policy name exists. Pass the
	// live ListAccessPolicies names; nil uses BuiltinPolicies.
	KnownPolicy func(name string) bool
	// UsersFileParser parses users files; nil uses principal.ParseUsersFile,
	// the parser --users-file uses.
	UsersFileParser UsersFileParser
	// ReadFile reads users files; nil uses os.ReadFile.
	ReadFile func(path string) ([]byte, error)
	// AllowOutsidePaths lets a usersFile resolve outside the access file's directory
	// (after symlinks). Without it such a usersFile is refused as bad input.
	AllowOutsidePaths bool
}

// maxAliasExpansions bounds how often aliases may be followed, so that a
// hostile file ("billion laughs") cannot make loading explode.
const maxAliasExpansions = 10000

// Load reads, parses and validates the access file at path. It returns an
// *Error listing every problem when the file is not valid.
func Load(path string, opts Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("access file %s does not exist: %w; check the path given to -f", path, err)
		}
		return nil, fmt.Errorf("cannot read access file: %w; check that it is a readable file", err)
	}
	return Parse(path, data, opts)
}

// Parse parses and validates an access file held in memory. name is used in
// messages and as the base for relative usersFile paths.
func Parse(name string, data []byte, opts Options) (*Config, error) {
	if opts.KnownPolicy == nil {
		opts.KnownPolicy = IsBuiltinPolicy
	}
	if opts.UsersFileParser == nil {
		opts.UsersFileParser = parseUsersFile
	}
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	// A UTF-8 byte order mark (Windows editors write one) is not part of the YAML.
	data = yamlpos.TrimBOM(data)
	l := &loader{file: name, dir: filepath.Dir(name), opts: opts, anchors: map[string]ast.Node{}}
	cfg := l.parse(data)
	if len(l.probs) > 0 {
		return nil, &Error{Problems: sortProblems(l.probs)}
	}
	cfg.File = name
	return cfg, nil
}

type loader struct {
	file    string
	dir     string
	opts    Options
	probs   []Problem
	anchors map[string]ast.Node
	aliases int
}

func (l *loader) addf(p Pos, format string, args ...any) {
	l.probs = append(l.probs, Problem{File: l.file, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) add(p Pos, msg string) {
	l.probs = append(l.probs, Problem{File: l.file, Line: p.Line, Col: p.Col, Msg: msg})
}

func (l *loader) parse(data []byte) *Config {
	f, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		l.syntaxError(err)
		return nil
	}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		l.add(Pos{Line: 1, Col: 1}, "the access file is empty; start it with apiVersion: eksaccess/v1, kind: AccessConfig and clusters:")
		return nil
	}
	if len(docs) > 1 {
		l.add(nodePos(docs[1].Body), "the file holds more than one YAML document; keep one (list all clusters under one clusters:) and remove the ---")
	}
	for _, a := range ast.Filter(ast.AnchorType, docs[0].Body) {
		an := a.(*ast.AnchorNode)
		if an.Name != nil {
			l.anchors[an.Name.GetToken().Value] = an.Value
		}
	}
	return l.config(docs[0].Body)
}

// syntaxError turns a YAML parser error into a problem with its position.
func (l *loader) syntaxError(err error) {
	pos, msg := yamlpos.Syntax(err)
	l.addf(pos, "YAML syntax error: %s; fix the YAML (indent with spaces, quote values containing ': ' or '#')", msg)
}

// nodePos is where a node starts; valuePos where a field's value is (its key when empty).
func nodePos(n ast.Node) Pos                { return yamlpos.Of(n) }
func valuePos(mv *ast.MappingValueNode) Pos { return yamlpos.Value(mv) }

// resolve follows anchors, aliases and tags to the node that holds the data.
func (l *loader) resolve(n ast.Node) ast.Node {
	for i := 0; i < 100 && n != nil; i++ {
		switch t := n.(type) {
		case *ast.AnchorNode:
			n = t.Value
		case *ast.TagNode:
			n = t.Value
		case *ast.AliasNode:
			l.aliases++
			if l.aliases > maxAliasExpansions {
				return nil
			}
			if t.Value == nil {
				return nil
			}
			target, ok := l.anchors[t.Value.GetToken().Value]
			if !ok {
				return nil
			}
			n = target
		default:
			return n
		}
	}
	return nil
}

// kindOf names a node's YAML type for messages.
func kindOf(n ast.Node) string {
	switch n.(type) {
	case nil, *ast.NullNode:
		return "empty"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode:
		return "a number"
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	}
	return "an unsupported YAML value"
}

func isScalar(n ast.Node) bool {
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return true
	}
	return false
}

// fields checks a mapping's keys against allowed and returns its fields by
// name. It reports non-mappings, unknown keys, duplicate keys and merge keys.
func (l *loader) fields(n ast.Node, what string, allowed []string) (map[string]*ast.MappingValueNode, bool) {
	raw := n
	n = l.resolve(n)
	m, ok := n.(*ast.MappingNode)
	if !ok {
		l.addf(nodePos(raw), "%s must be a mapping of fields, not %s; write field: value lines (%s)", what, kindOf(n), strings.Join(allowed, ", "))
		return nil, false
	}
	out := map[string]*ast.MappingValueNode{}
	for _, mv := range m.Values {
		if _, ok := mv.Key.(*ast.MergeKeyNode); ok {
			l.add(nodePos(mv.Key), "merge keys (<<) are not supported; write the fields out")
			continue
		}
		key, ok := l.resolve(mv.Key).(*ast.StringNode)
		if !ok {
			l.addf(nodePos(mv.Key), "field names must be strings, not %s; valid fields of %s: %s", kindOf(l.resolve(mv.Key)), what, strings.Join(allowed, ", "))
			continue
		}
		name := key.Value
		if !slices.Contains(allowed, name) {
			msg := fmt.Sprintf("unknown field %q in %s", name, what)
			if s := suggest(name, allowed, nil); s != "" && len(name) < 200 {
				msg += fmt.Sprintf("; did you mean %q?", s)
			} else {
				msg += "; valid fields: " + strings.Join(allowed, ", ")
			}
			l.add(nodePos(mv.Key), msg)
			continue
		}
		if first, dup := out[name]; dup {
			l.addf(nodePos(mv.Key), "field %q is set twice in %s (first at line %d); remove one", name, what, nodePos(first.Key).Line)
			continue
		}
		out[name] = mv
	}
	return out, true
}

// str reads a string field. Empty values read as "". ok is false after a
// type error.
func (l *loader) str(mv *ast.MappingValueNode, field string) (string, bool) {
	return l.stringAt(valuePos(mv), l.resolve(mv.Value), field+" must be a string", "; write a single value")
}

// stringAt reads n as a string, or reports at p that it is not: what says what it must be
// ("F must be a string"), with a hint to quote a scalar and otherwise after anything else.
func (l *loader) stringAt(p Pos, n ast.Node, what, otherwise string) (string, bool) {
	if s, ok := yamlpos.String(n); ok {
		return s, true
	}
	if isScalar(n) {
		l.addf(p, "%s, not %s; quote it: %q", what, kindOf(n), clip(n.GetToken().Value))
	} else {
		l.addf(p, "%s, not %s%s", what, kindOf(n), otherwise)
	}
	return "", false
}

// strItem reads a string element of a list.
func (l *loader) strItem(raw ast.Node, field string) (string, bool) {
	n := l.resolve(raw)
	switch n.(type) {
	case nil, *ast.NullNode:
		l.addf(nodePos(raw), "%s has an empty item; remove it", field)
		return "", false
	}
	return l.stringAt(nodePos(raw), n, "items of "+field+" must be strings", "")
}

// list reads a list field. present is false when the value is empty (null).
func (l *loader) list(mv *ast.MappingValueNode, field, example string) (items []ast.Node, present, ok bool) {
	n := l.resolve(mv.Value)
	switch t := n.(type) {
	case nil, *ast.NullNode:
		return nil, false, true
	case *ast.SequenceNode:
		return t.Values, true, true
	}
	l.addf(valuePos(mv), "%s must be a list, not %s; write it like %s", field, kindOf(n), example)
	return nil, false, false
}

// strList reads a list of strings, reporting duplicates.
func (l *loader) strList(mv *ast.MappingValueNode, field, example string, check func(string) string) ([]string, bool) {
	items, present, ok := l.list(mv, field, example)
	if !ok || !present {
		return nil, ok
	}
	out := make([]string, 0, len(items))
	seen := map[string]Pos{}
	good := true
	for _, it := range items {
		s, ok := l.strItem(it, field)
		if !ok {
			good = false
			continue
		}
		p := nodePos(it)
		if msg := check(s); msg != "" {
			l.add(p, msg)
			good = false
			continue
		}
		if first, dup := seen[s]; dup {
			l.addf(p, "%q is listed twice in %s (first at line %d); remove one", clip(s), field, first.Line)
			good = false
			continue
		}
		seen[s] = p
		out = append(out, s)
	}
	if len(out) == 0 {
		out = nil
	}
	return out, good
}

var (
	topFields     = []string{"apiVersion", "kind", "clusters"}
	clusterFields = []string{"name", "hyperpod", "region", "account", "profile", "assumeRole", "authenticationMode", "prune", "access", "teams"}
	itemFields    = []string{"principal", "usersFile", "iamGroup", "permissionSet", "policies", "kubernetesGroups", "username", "type", "expires", "tags"}
	whoFields     = []string{"principal", "usersFile", "iamGroup", "permissionSet"}
	teamFields    = []string{"name", "namespace", "rbac", "members"}
	memberFields  = whoFields
	policyFields  = []string{"policy", "namespaces"}
)

// header reads apiVersion or kind, whose value must be want: a missing one is reported at top
// (where says where to add it), another value at the value.
func (l *loader) header(fs map[string]*ast.MappingValueNode, top Pos, field, want, where string) string {
	mv := fs[field]
	if mv == nil {
		l.addf(top, "missing %s; add %s: %s%s", field, field, want, where)
		return ""
	}
	v, ok := l.str(mv, field)
	if ok && v != want {
		l.addf(valuePos(mv), "unsupported %s %q; write %s: %s", field, clip(v), field, want)
	}
	return v
}

func (l *loader) config(body ast.Node) *Config {
	fs, ok := l.fields(body, "the access file", topFields)
	if !ok {
		return nil
	}
	cfg := &Config{}
	top := nodePos(body)
	cfg.APIVersion = l.header(fs, top, "apiVersion", APIVersion, " as the first line")
	cfg.Kind = l.header(fs, top, "kind", Kind, "")
	mv := fs["clusters"]
	if mv == nil {
		l.add(top, "missing clusters; add clusters: with at least one cluster (name and region)")
		return cfg
	}
	items, present, ok := l.list(mv, "clusters", "'- name: CLUSTER' items")
	if ok && (!present || len(items) == 0) {
		l.add(valuePos(mv), "clusters is empty; list at least one cluster (name and region)")
	}
	seen := map[string]Pos{}
	for _, it := range items {
		c, ok := l.cluster(it)
		if !ok {
			continue
		}
		if c.Region != "" && (c.Name != "") != (c.HyperPod != "") {
			if first, dup := seen[c.ID()]; dup {
				what := "cluster " + c.Name
				if c.HyperPod != "" {
					what = "hyperpod cluster " + c.HyperPod
				}
				if a := c.AccountOf(); a != "" {
					what += " of account " + a
				}
				l.addf(c.Pos, "%s in %s is listed twice (first at line %d); merge the two into one", what, c.Region, first.Line)
			} else {
				seen[c.ID()] = c.Pos
			}
		}
		cfg.Clusters = append(cfg.Clusters, *c)
	}
	return cfg
}

func (l *loader) cluster(n ast.Node) (*Cluster, bool) {
	fs, ok := l.fields(n, "a cluster", clusterFields)
	if !ok {
		return nil, false
	}
	c := &Cluster{Pos: nodePos(l.resolve(n))}
	if mv := fs["name"]; mv != nil {
		if v, ok := l.str(mv, "name"); ok {
			c.Name = v
			if v == "" {
				l.add(valuePos(mv), "name is empty; write the EKS cluster name")
			} else if len(v) > 100 || !clusterNameRE.MatchString(v) {
				l.addf(valuePos(mv), "cluster name %q is not a valid EKS cluster name; use up to 100 letters, digits, '-' and '_', starting with a letter or digit", clip(v))
			}
		}
	}
	if mv := fs["hyperpod"]; mv != nil {
		if v, ok := l.str(mv, "hyperpod"); ok {
			c.HyperPod = v
			if v == "" {
				l.add(valuePos(mv), "hyperpod is empty; write the HyperPod cluster name or ARN")
			} else if !hyperPodNameRE.MatchString(v) && !hyperPodARNRE.MatchString(v) {
				l.addf(valuePos(mv), "hyperpod %q is not a SageMaker HyperPod cluster name or ARN; names are up to 63 letters, digits and '-'", clip(v))
			}
		}
		if fs["name"] != nil {
			l.add(nodePos(mv.Key), "set either name or hyperpod, not both; remove one")
		}
	}
	if fs["name"] == nil && fs["hyperpod"] == nil {
		l.add(c.Pos, "cluster has neither name nor hyperpod; add name: CLUSTER (or hyperpod: HYPERPOD-CLUSTER)")
	}
	partition := ""
	if mv := fs["region"]; mv == nil {
		l.add(c.Pos, "cluster is missing region; add region: (the cluster's AWS Region, e.g. us-west-2)")
	} else if v, ok := l.str(mv, "region"); ok {
		switch {
		case v == "":
			l.add(valuePos(mv), "region is empty; write the cluster's AWS Region, e.g. us-west-2")
		case !regionRE.MatchString(v):
			l.addf(valuePos(mv), "region %q is not an AWS Region name; write it like us-west-2", clip(v))
		default:
			c.Region = v
			partition = PartitionOf(v)
		}
	}
	if c.HyperPod != "" && hyperPodARNRE.MatchString(c.HyperPod) && c.Region != "" {
		parts := strings.Split(c.HyperPod, ":")
		if parts[3] != c.Region || parts[1] != partition {
			l.addf(valuePos(fs["hyperpod"]), "hyperpod ARN %q is not in region %s; fix the ARN or the region", clip(c.HyperPod), c.Region)
		}
	}
	l.clusterAccount(c, fs, partition)
	if mv := fs["authenticationMode"]; mv != nil {
		if v, ok := l.str(mv, "authenticationMode"); ok {
			switch v {
			case AuthModeConfigMap, AuthModeAPIAndConfigMap, AuthModeAPI:
				c.AuthenticationMode = v
			default:
				msg := fmt.Sprintf("authenticationMode %q is not one of CONFIG_MAP, API_AND_CONFIG_MAP, API", clip(v))
				if s := suggest(v, []string{AuthModeConfigMap, AuthModeAPIAndConfigMap, AuthModeAPI}, nil); s != "" && len(v) < 200 {
					msg += fmt.Sprintf("; did you mean %q?", s)
				} else {
					msg += "; use one of them (modes only switch forward)"
				}
				l.add(valuePos(mv), msg)
			}
		}
	}
	if mv := fs["prune"]; mv != nil {
		switch t := l.resolve(mv.Value).(type) {
		case *ast.BoolNode:
			c.Prune = t.Value
		case nil, *ast.NullNode:
			l.add(valuePos(mv), "prune is empty; write prune: true or prune: false")
		default:
			l.addf(valuePos(mv), "prune must be true or false, not %s %q; write true or false", kindOf(t), clip(t.GetToken().Value))
		}
	}
	if mv := fs["access"]; mv != nil {
		items, _, ok := l.list(mv, "access", "'- principal: role/NAME' items")
		if ok {
			d := newDupTracker("this cluster", "merge the two items into one")
			for _, it := range items {
				if a, ok := l.item(it, partition); ok {
					d.check(l, a)
					c.Access = append(c.Access, *a)
				}
			}
		}
	}
	if mv := fs["teams"]; mv != nil {
		l.teams(c, mv, partition)
	}
	return c, true
}

// teams reads a cluster's teams: each name once, each namespace one team's, and no member
// that the cluster's access list makes a node entry (those take no Kubernetes groups).
func (l *loader) teams(c *Cluster, mv *ast.MappingValueNode, partition string) {
	items, _, ok := l.list(mv, "teams", "'- name: TEAM' items")
	if !ok {
		return
	}
	nodes := map[string]string{} // principal → FILE:LINE of its non-STANDARD access item
	for _, a := range c.Access {
		if a.EntryType() != TypeStandard && a.Principal != "" {
			nodes[a.Principal] = fmt.Sprintf("%s:%d", l.file, a.Pos.Line)
		}
	}
	names := map[string]Pos{}
	type claim struct {
		team string
		pos  Pos
	}
	namespaces := map[string]claim{}
	for _, it := range items {
		t, _ := l.team(it, partition)
		if t == nil {
			continue
		}
		if t.Name != "" {
			if first, dup := names[t.Name]; dup {
				l.addf(t.Pos, "team %s is listed twice in this cluster (first at line %d); merge the two into one", t.Name, first.Line)
				continue
			}
			names[t.Name] = t.Pos
			ns := t.NamespaceOrDefault()
			if first, dup := namespaces[ns]; dup {
				l.addf(t.Pos, "team %s's namespace %s is already team %s's (line %d); give each team its own namespace", t.Name, ns, first.team, first.pos.Line)
			} else {
				namespaces[ns] = claim{t.Name, t.Pos}
			}
		}
		for _, m := range t.Members {
			if where, ok := nodes[m.Principal]; ok && m.Principal != "" {
				l.addf(m.Pos, "principal %s is a member of team %s and has a non-STANDARD access entry from the access item at %s, which takes no Kubernetes groups; remove it from the team or from that item", m.Principal, t.Name, where)
			}
		}
		c.Teams = append(c.Teams, *t)
	}
}

// team reads one team: name (required, as team add's TEAM), namespace, rbac, members.
func (l *loader) team(n ast.Node, partition string) (*Team, bool) {
	fs, ok := l.fields(n, "a team", teamFields)
	if !ok {
		return nil, false
	}
	t := &Team{Pos: nodePos(l.resolve(n))}
	good := true
	if mv := fs["name"]; mv == nil {
		l.add(t.Pos, "team is missing name; add name: TEAM (its namespace is then hyperpod-ns-TEAM)")
		good = false
	} else if v, ok := l.str(mv, "name"); !ok {
		good = false
	} else if err := rbac.ValidateName(v); err != nil {
		l.addf(valuePos(mv), "%v; write it like ml-research", err)
		good = false
	} else {
		t.Name = v
	}
	good = l.checkedStr(fs, "namespace", &t.Namespace, func(v string) bool { return len(v) <= 63 && dns1123Label.MatchString(v) }, func(v string) string {
		return fmt.Sprintf("namespace %q is not a valid Kubernetes namespace; use lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit (or omit it for hyperpod-ns-TEAM)", clip(v))
	}) && good
	good = l.checkedStr(fs, "rbac", &t.RBAC, func(v string) bool { return rbac.ValidateVariant(v) == nil }, func(v string) string {
		if s := suggest(v, rbac.Variants, nil); s != "" && len(v) < 200 {
			return fmt.Sprintf("rbac %q is not an RBAC variant; did you mean %q?", clip(v), s)
		}
		return fmt.Sprintf("rbac %q is not an RBAC variant; use %s (default) or %s", clip(v), rbac.SageMakerGuide, rbac.HyperPodCLI)
	}) && good
	if mv := fs["members"]; mv != nil {
		items, _, ok := l.list(mv, "members", "'- principal: NAME' items")
		good = good && ok
		d := newDupTracker("team "+t.Name, "remove one")
		for _, it := range items {
			m, ok := l.member(it, partition)
			if !ok {
				good = false
				continue
			}
			a := m.Item()
			d.check(l, &a)
			t.Members = append(t.Members, *m)
		}
	}
	return t, good
}

// member reads one team member: the who fields of an access item, by the same rules.
func (l *loader) member(n ast.Node, partition string) (*TeamMember, bool) {
	fs, ok := l.fields(n, "a team member", memberFields)
	if !ok {
		return nil, false
	}
	a := &AccessItem{Pos: nodePos(l.resolve(n))}
	_, good := l.who(fs, a, partition, "team member")
	if good && a.UsersFile != "" && !l.usersFile(a, valuePos(fs["usersFile"]), partition) {
		good = false
	}
	return &TeamMember{Principal: a.Principal, UsersFile: a.UsersFile, IAMGroup: a.IAMGroup, PermissionSet: a.PermissionSet,
		Users: a.Users, UsersFilePath: a.UsersFilePath, Pos: a.Pos}, good
}

func (l *loader) item(n ast.Node, partition string) (*AccessItem, bool) {
	fs, ok := l.fields(n, "an access item", itemFields)
	if !ok {
		return nil, false
	}
	a := &AccessItem{Pos: nodePos(l.resolve(n))}
	who, good := l.who(fs, a, partition, "access item")

	if mv := fs["type"]; mv != nil {
		if v, ok := l.str(mv, "type"); ok {
			switch v {
			case TypeStandard, TypeEC2Linux, TypeEC2Windows, TypeFargateLinux, TypeHybridLinux, TypeEC2:
				a.Type = v
			case TypeHyperPodLinux:
				l.add(valuePos(mv), "type HYPERPOD_LINUX entries are created by SageMaker HyperPod, not by users; remove this item")
				good = false
			default:
				l.addf(valuePos(mv), "type %q is not an access entry type; use STANDARD (default), EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, HYBRID_LINUX or EC2", clip(v))
				good = false
			}
		} else {
			good = false
		}
	}
	nonStandard := a.Type != "" && a.Type != TypeStandard
	if nonStandard {
		for _, k := range []string{"policies", "kubernetesGroups", "username", "expires"} {
			if mv := fs[k]; mv != nil {
				l.addf(nodePos(mv.Key), "type %s entries take no %s; remove it (only STANDARD entries have them)", a.Type, k)
				good = false
			}
		}
		if a.Principal == "" && len(who) == 1 {
			l.addf(nodePos(who[0].Key), "type %s needs a single role as principal, not %s; write principal: role/NAME", a.Type, keyName(who[0]))
			good = false
		} else if a.Principal != "" && !IsRolePrincipal(a.Principal) {
			l.addf(valuePos(fs["principal"]), "type %s needs an IAM role, and %q is not one; write principal: role/NAME", a.Type, clip(a.Principal))
			good = false
		}
	}

	if mv := fs["policies"]; mv != nil && !nonStandard {
		items, _, ok := l.list(mv, "policies", "'- policy: AmazonEKSViewPolicy' items")
		good = good && ok
		seen := map[string]Pos{}
		for _, it := range items {
			p, ok := l.policy(it, partition)
			if !ok {
				good = false
				continue
			}
			pos := nodePos(l.resolve(it))
			if first, dup := seen[p.Name()]; dup {
				l.addf(pos, "policy %s is listed twice in this item (first at line %d); merge their namespaces into one", p.Name(), first.Line)
				good = false
				continue
			}
			seen[p.Name()] = pos
			a.Policies = append(a.Policies, p)
		}
	}
	if mv := fs["kubernetesGroups"]; mv != nil && !nonStandard {
		gs, ok := l.strList(mv, "kubernetesGroups", "[team-a, viewers]", checkGroup)
		good = good && ok
		a.KubernetesGroups = gs
	}
	if mv := fs["username"]; mv != nil && !nonStandard {
		if v, ok := l.str(mv, "username"); ok {
			a.Username = v
			if v == "" {
				l.add(valuePos(mv), "username is empty; write a username or remove the field to let EKS generate one")
				good = false
			} else if msg := checkUsername(v); msg != "" {
				l.add(valuePos(mv), msg)
				good = false
			}
		} else {
			good = false
		}
	}
	if mv := fs["expires"]; mv != nil && !nonStandard {
		if v, ok := l.str(mv, "expires"); ok {
			a.Expires = v
			at, in, err := ParseExpires(v)
			if err != nil {
				l.add(valuePos(mv), err.Error())
				good = false
			}
			a.ExpiresAt, a.ExpiresIn = at, in
		} else {
			good = false
		}
	}
	if mv := fs["tags"]; mv != nil {
		tags, ok := l.tags(mv)
		good = good && ok
		a.Tags = tags
	}
	if a.UsersFile != "" {
		if !l.usersFile(a, valuePos(fs["usersFile"]), partition) {
			good = false
		}
	}
	return a, good
}

// who reads the fields that say whom an access item (or a team member, what names which)
// is about: exactly one of principal, usersFile, iamGroup and permissionSet, checked by the
// same rules wherever they appear. It returns the fields found and whether they are good.
func (l *loader) who(fs map[string]*ast.MappingValueNode, a *AccessItem, partition, what string) ([]*ast.MappingValueNode, bool) {
	good := true
	var who []*ast.MappingValueNode
	for _, k := range whoFields {
		mv := fs[k]
		if mv == nil {
			continue
		}
		who = append(who, mv)
		v, ok := l.str(mv, k)
		if !ok {
			good = false
			continue
		}
		if v == "" {
			l.addf(valuePos(mv), "%s is empty; write a value or remove the field", k)
			good = false
			continue
		}
		var msg string
		switch k {
		case "principal":
			a.Principal = v
			msg = checkPrincipal(v, partition)
		case "usersFile":
			a.UsersFile = v
		case "iamGroup":
			a.IAMGroup = v
			if !iamNameRE.MatchString(v) || len(v) > 128 {
				msg = fmt.Sprintf("iamGroup %q is not a valid IAM group name; use up to 128 letters, digits and +=,.@_-", clip(v))
			}
		case "permissionSet":
			a.PermissionSet = v
			if !iamNameRE.MatchString(v) || len(v) > 32 {
				msg = fmt.Sprintf("permissionSet %q is not a valid permission set name; use up to 32 letters, digits and +=,.@_-", clip(v))
			}
		}
		if msg != "" {
			l.add(valuePos(mv), msg)
			good = false
		}
	}
	switch {
	case len(who) == 0:
		l.addf(a.Pos, "%s names no one; add one of principal, usersFile, iamGroup or permissionSet", what)
		good = false
	case len(who) > 1:
		l.addf(nodePos(who[1].Key), "%s sets both %s and %s; use exactly one per item (split it into two items)", what, keyName(who[0]), keyName(who[1]))
		good = false
	}
	return who, good
}

func keyName(mv *ast.MappingValueNode) string {
	return mv.Key.GetToken().Value
}

func (l *loader) policy(n ast.Node, partition string) (PolicyRef, bool) {
	var p PolicyRef
	raw := n
	// A bare string is the commonest slip: "- AmazonEKSViewPolicy".
	if s, ok := l.resolve(n).(*ast.StringNode); ok {
		l.addf(nodePos(raw), "policies items are mappings, not a plain string; write - policy: %s", s.Value)
		return p, false
	}
	fs, ok := l.fields(n, "a policy", policyFields)
	if !ok {
		return p, false
	}
	good := true
	mv := fs["policy"]
	if mv == nil {
		l.add(nodePos(l.resolve(n)), "policy item is missing policy; add policy: NAME (e.g. AmazonEKSViewPolicy)")
		good = false
	} else if v, ok := l.str(mv, "policy"); ok {
		p.Policy = v
		if v == "" {
			l.add(valuePos(mv), "policy is empty; write a policy name such as AmazonEKSViewPolicy")
			good = false
		} else if msg := checkPolicy(v, partition, l.opts.KnownPolicy); msg != "" {
			l.add(valuePos(mv), msg)
			good = false
		}
	} else {
		good = false
	}
	if mv := fs["namespaces"]; mv != nil {
		items, present, _ := l.list(mv, "namespaces", "[team-a, team-b]")
		if present && len(items) == 0 {
			l.add(valuePos(mv), "namespaces is an empty list; omit namespaces for cluster scope, or list at least one")
			good = false
		}
		ns, ok := l.strList(mv, "namespaces", "[team-a, team-b]", checkNamespace)
		good = good && ok
		p.Namespaces = ns
	}
	return p, good
}

func (l *loader) tags(mv *ast.MappingValueNode) (map[string]string, bool) {
	n := l.resolve(mv.Value)
	switch n.(type) {
	case nil, *ast.NullNode:
		return nil, true
	}
	m, ok := n.(*ast.MappingNode)
	if !ok {
		l.addf(valuePos(mv), "tags must be a mapping, not %s; write it like {team: a}", kindOf(n))
		return nil, false
	}
	out := map[string]string{}
	good := true
	for _, kv := range m.Values {
		k, ok := l.resolve(kv.Key).(*ast.StringNode)
		if !ok {
			l.addf(nodePos(kv.Key), "tag keys must be strings, not %s; quote the key", kindOf(l.resolve(kv.Key)))
			good = false
			continue
		}
		v, ok := l.str(kv, "tag "+k.Value)
		if !ok {
			good = false
			continue
		}
		if _, dup := out[k.Value]; dup {
			l.addf(nodePos(kv.Key), "tag %q is set twice; remove one", clip(k.Value))
			good = false
			continue
		}
		if msg := checkTag(k.Value, v); msg != "" {
			l.add(nodePos(kv.Key), msg)
			good = false
			continue
		}
		out[k.Value] = v
	}
	if len(out) == 0 {
		out = nil
	}
	if len(out) > maxUserTags {
		l.addf(valuePos(mv), "%d tags is more than the %d an entry can take besides eksaccess's own; remove some", len(out), maxUserTags)
		good = false
	}
	return out, good
}

// confine refuses a users file outside the access file's directory, symlinks resolved: an
// access file under review (a pull request's, in CI) must not read ~/.aws/credentials or
// /etc/shadow. A path that does not exist is judged as written, so that the read reports
// it missing.
func (l *loader) confine(path string) string {
	dir, err := filepath.Abs(l.dir)
	if err != nil {
		return ""
	}
	target, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	resolved := target
	if real, err := filepath.EvalSymlinks(target); err == nil {
		resolved = real
	} else if real, err := filepath.EvalSymlinks(filepath.Dir(target)); err == nil {
		resolved = filepath.Join(real, filepath.Base(target))
	}
	if rel, err := filepath.Rel(dir, resolved); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	how := ""
	if resolved != target {
		to := resolved
		if rel, err := filepath.Rel(dir, resolved); err == nil {
			to = rel
		}
		how = " (through a symbolic link, to " + to + " from there)"
	}
	return fmt.Sprintf("usersFile %s is outside the access file's directory %s%s: keep users files beside the access file, or pass --allow-outside-paths if this file is trusted",
		path, l.dir, how)
}

// usersFile reads and checks the item's users file.
func (l *loader) usersFile(a *AccessItem, at Pos, partition string) bool {
	path := a.UsersFile
	if !filepath.IsAbs(path) {
		path = filepath.Join(l.dir, path)
	}
	a.UsersFilePath = path
	if !l.opts.AllowOutsidePaths {
		if msg := l.confine(path); msg != "" {
			l.add(at, msg)
			return false
		}
	}
	data, err := l.opts.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			l.addf(at, "users file %s does not exist; usersFile is relative to the access file's directory", path)
		} else {
			l.addf(at, "cannot read users file %s: %v; check that it is a readable file", path, unwrapPathError(err))
		}
		return false
	}
	users, err := l.opts.UsersFileParser(path, data)
	if err != nil {
		var fe *Error
		if errors.As(err, &fe) {
			for _, p := range fe.Problems {
				if p.Line < 1 {
					// A problem with the whole file: point at the field naming it.
					p = Problem{File: l.file, Line: at.Line, Col: at.Col, Msg: fmt.Sprintf("users file %s: %s", path, p.Msg)}
				}
				l.probs = append(l.probs, p)
			}
		} else {
			l.addf(at, "users file %s: %v", path, err)
		}
		return false
	}
	if len(users) == 0 {
		l.addf(at, "users file %s lists no principals; add one a line, or remove this item", path)
		return false
	}
	good := true
	seen := map[string]int{}
	for _, u := range users {
		p := Problem{File: path, Line: max(u.Line, 1), Col: 1}
		if msg := checkPrincipal(u.Principal, partition); msg != "" {
			p.Msg = msg
			l.probs = append(l.probs, p)
			good = false
			continue
		}
		if first, dup := seen[u.Principal]; dup {
			p.Msg = fmt.Sprintf("principal %q is listed twice (first at line %d); remove one", clip(u.Principal), first)
			l.probs = append(l.probs, p)
			good = false
			continue
		}
		seen[u.Principal] = p.Line
		a.Users = append(a.Users, u)
	}
	return good
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// dupTracker finds the same principal, group, permission set or users file
// named twice in one cluster, as written.
type dupTracker struct {
	seen map[string]Pos
	// users maps principals from users files to where they were read.
	users map[string]string
	// where names the list ("this cluster", "team ml"); fix says what to do about a repeat.
	where, fix string
}

func newDupTracker(where, fix string) *dupTracker {
	return &dupTracker{seen: map[string]Pos{}, users: map[string]string{}, where: where, fix: fix}
}

func (d *dupTracker) check(l *loader, a *AccessItem) {
	var key string
	switch {
	case a.Principal != "":
		key = "principal " + a.Principal
	case a.UsersFile != "":
		key = "usersFile " + a.UsersFilePath
	case a.IAMGroup != "":
		key = "iamGroup " + a.IAMGroup
	case a.PermissionSet != "":
		key = "permissionSet " + a.PermissionSet
	default:
		return
	}
	if first, dup := d.seen[key]; dup {
		l.addf(a.Pos, "%s is listed twice in %s (first at line %d); %s", a.Source(), d.where, first.Line, d.fix)
		return
	}
	d.seen[key] = a.Pos
	if a.Principal != "" {
		if where, dup := d.users[a.Principal]; dup {
			l.addf(a.Pos, "principal %s is also listed in %s; remove it from one of them", a.Principal, where)
		}
		d.users[a.Principal] = fmt.Sprintf("%s:%d", l.file, a.Pos.Line)
	}
	for _, u := range a.Users {
		where := fmt.Sprintf("%s:%d", a.UsersFilePath, u.Line)
		if first, dup := d.users[u.Principal]; dup {
			l.probs = append(l.probs, Problem{File: a.UsersFilePath, Line: u.Line, Col: 1,
				Msg: fmt.Sprintf("principal %s is also listed in %s; remove it from one of them", u.Principal, first)})
			continue
		}
		d.users[u.Principal] = where
	}
}

// parseUsersFile adapts principal.ParseUsersFile, so that access files and
// --users-file read users files by the same rules.
func parseUsersFile(path string, data []byte) ([]User, error) {
	refs, err := principal.ParseUsersFile(path, bytes.NewReader(data))
	if err != nil {
		var ie *principal.InputError
		if !errors.As(err, &ie) {
			return nil, err
		}
		fe := &Error{}
		for _, p := range ie.Problems {
			fe.Problems = append(fe.Problems, Problem{File: path, Line: p.Line, Col: 1, Msg: p.Msg})
		}
		return nil, fe
	}
	out := make([]User, 0, len(refs))
	for _, r := range refs {
		out = append(out, User{Principal: r.Raw, Line: r.Source.Line})
	}
	return out, nil
}

package awsauth

import (
	"fmt"
	"sort"
	"strings"

	"eksaccess/internal/accessfile"
)

// Groups with a meaning in aws-auth that access entries express differently.
const (
	groupMasters      = "system:masters"
	groupBootstrapper = "system:bootstrappers"
	groupNodes        = "system:nodes"
	groupNodeProxier  = "system:node-proxier"
	groupWinProxy     = "eks:kube-proxy-windows"
	ec2NodeUsername   = "system:node:{{EC2PrivateDNSName}}"
	sessionNodeUser   = "system:node:{{SessionName}}"
	ssoRolePrefix     = "AWSReservedSSO_"
)

// Options adjust Convert.
type Options struct {
	// ClusterName and Region fill the returned cluster's name and region.
	ClusterName string
	Region      string
	// ResolveRole, when set, returns the full ARN (path included) of the
	// role that an aws-auth role ARN names. aws-auth ARNs carry no path, but
	// access entries need the real ARN: IAM Identity Center roles, for one,
	// always live under /aws-reserved/sso.amazonaws.com/. The CLI passes a
	// resolver backed by iam:GetRole. Without it, roles are kept as written
	// and Identity Center roles get a warning.
	ResolveRole func(arn string) (string, error)
}

// Convert turns the ConfigMap's mappings into access-file items of one
// cluster. Every mapping is either converted or named in a warning; the
// warnings also include those Parse found. The result loads with
// accessfile.Parse once written with accessfile.Marshal.
func Convert(cm *ConfigMap, opts Options) (*accessfile.Cluster, []Warning) {
	c := &converter{file: cm.File, opts: opts, seen: map[string]Position{}}
	c.warns = append(c.warns, cm.Warnings...)
	cl := &accessfile.Cluster{Name: opts.ClusterName, Region: opts.Region}
	for _, r := range cm.Roles {
		if it, ok := c.role(r); ok {
			cl.Access = append(cl.Access, it)
		}
	}
	for _, u := range cm.Users {
		if it, ok := c.user(u); ok {
			cl.Access = append(cl.Access, it)
		}
	}
	for _, a := range cm.Accounts {
		c.warnf(a.Pos, "mapAccounts entry %s not migrated: access entries name single IAM principals, not whole accounts; add an item for each principal of account %s that needs access", a.Account, a.Account)
	}
	sort.SliceStable(c.warns, func(i, j int) bool {
		if c.warns[i].Line != c.warns[j].Line {
			return c.warns[i].Line < c.warns[j].Line
		}
		return c.warns[i].Col < c.warns[j].Col
	})
	return cl, c.warns
}

type converter struct {
	file  string
	opts  Options
	warns []Warning
	seen  map[string]Position
}

func (c *converter) warnf(pos Position, format string, args ...any) {
	c.warns = append(c.warns, Warning{File: c.file, Line: pos.Line, Col: pos.Col, Msg: fmt.Sprintf(format, args...)})
}

// splitARN returns partition, account, resource of an IAM ARN.
func splitARN(arn string) (partition, account, resource string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" {
		return "", "", "", false
	}
	return parts[1], parts[4], parts[5], true
}

func (c *converter) role(r RoleMapping) (accessfile.AccessItem, bool) {
	var it accessfile.AccessItem
	if r.RoleARN == "" {
		c.warnf(r.Pos, "mapRoles item without rolearn not migrated: it maps no one; remove it from aws-auth")
		return it, false
	}
	if msg := accessfile.CheckPrincipal(r.RoleARN, ""); msg != "" || !accessfile.IsRolePrincipal(r.RoleARN) || !strings.HasPrefix(r.RoleARN, "arn:") {
		if msg == "" {
			msg = fmt.Sprintf("%q is not an IAM role ARN", clip(r.RoleARN))
		}
		c.warnf(r.Pos, "mapRoles item not migrated: %s", msg)
		return it, false
	}
	_, account, resource, _ := splitARN(r.RoleARN)
	roleName := resource[strings.LastIndex(resource, "/")+1:]
	hasPath := strings.Count(resource, "/") > 1
	principal := r.RoleARN
	if hasPath {
		c.warnf(r.Pos, "role %s has a path, but aws-auth matches role ARNs without their path, so this mapping probably never took effect; kept as written: check that the access is wanted", r.RoleARN)
	}
	if c.opts.ResolveRole != nil && !hasPath {
		full, err := c.opts.ResolveRole(r.RoleARN)
		switch {
		case err != nil:
			c.warnf(r.Pos, "role %s could not be resolved to its full ARN (%v); kept as written: fix the principal if the role has a path", r.RoleARN, err)
		case full != "":
			principal = full
		}
	} else if c.opts.ResolveRole == nil && !hasPath && strings.HasPrefix(roleName, ssoRolePrefix) {
		c.warnf(r.Pos, "role %s is an IAM Identity Center role written without its path (as aws-auth requires); the access entry needs the full ARN with /aws-reserved/sso.amazonaws.com/: kept as written, so resolve it (run migrate with IAM access) or replace it with permissionSet: %s", r.RoleARN, permissionSetName(roleName))
	}
	if first, dup := c.seen[principal]; dup {
		c.warnf(r.Pos, "role %s is mapped twice (first at line %d); EKS used only one mapping, so this one is not migrated: check which groups it should have", r.RoleARN, first.Line)
		return it, false
	}
	c.seen[principal] = r.Pos
	it.Principal = principal

	set := map[string]bool{}
	for _, g := range r.Groups {
		set[g] = true
	}
	node := set[groupBootstrapper] || set[groupNodes] || set[groupNodeProxier]
	if !node {
		c.standard(&it, r.Pos, r.Username, r.Groups, account, "role "+r.RoleARN)
		return it, true
	}
	// A node role: EKS sets the username and groups from the entry type.
	want := ec2NodeUsername
	switch {
	case set[groupNodeProxier]:
		it.Type = accessfile.TypeFargateLinux
		want = sessionNodeUser
	case set[groupWinProxy]:
		it.Type = accessfile.TypeEC2Windows
	case r.Username == sessionNodeUser:
		it.Type = accessfile.TypeHybridLinux
		want = sessionNodeUser
		c.warnf(r.Pos, "role %s maps nodes named by session (%s) without system:node-proxier: migrated as HYBRID_LINUX (hybrid nodes); change type to EC2_LINUX if these are EC2 nodes", r.RoleARN, sessionNodeUser)
	default:
		it.Type = accessfile.TypeEC2Linux
	}
	if !set[groupBootstrapper] || !set[groupNodes] {
		c.warnf(r.Pos, "role %s has only some node groups (%s); migrated as a %s node entry, which gets both system:bootstrappers and system:nodes: check that it is a node role", r.RoleARN, strings.Join(r.Groups, ", "), it.Type)
	}
	var extra []string
	for _, g := range r.Groups {
		switch g {
		case groupBootstrapper, groupNodes, groupNodeProxier, groupWinProxy:
		default:
			extra = append(extra, g)
		}
	}
	if len(extra) > 0 {
		c.warnf(r.Pos, "role %s: groups %s not migrated: %s entries take no groups or policies; give that access through a separate STANDARD role", r.RoleARN, strings.Join(extra, ", "), it.Type)
	}
	if r.Username != "" && r.Username != want {
		c.warnf(r.Pos, "role %s: username %q not migrated: EKS names %s nodes %s itself", r.RoleARN, clip(r.Username), it.Type, want)
	}
	return it, true
}

func (c *converter) user(u UserMapping) (accessfile.AccessItem, bool) {
	var it accessfile.AccessItem
	if u.UserARN == "" {
		c.warnf(u.Pos, "mapUsers item without userarn not migrated: it maps no one; remove it from aws-auth")
		return it, false
	}
	if msg := accessfile.CheckPrincipal(u.UserARN, ""); msg != "" || accessfile.IsRolePrincipal(u.UserARN) || !strings.HasPrefix(u.UserARN, "arn:") {
		if msg == "" {
			msg = fmt.Sprintf("%q is not an IAM user ARN", clip(u.UserARN))
		}
		c.warnf(u.Pos, "mapUsers item not migrated: %s", msg)
		return it, false
	}
	if first, dup := c.seen[u.UserARN]; dup {
		c.warnf(u.Pos, "user %s is mapped twice (first at line %d); EKS used only one mapping, so this one is not migrated: check which groups it should have", u.UserARN, first.Line)
		return it, false
	}
	c.seen[u.UserARN] = u.Pos
	_, account, _, _ := splitARN(u.UserARN)
	it.Principal = u.UserARN
	c.standard(&it, u.Pos, u.Username, u.Groups, account, "user "+u.UserARN)
	return it, true
}

// standard fills a STANDARD item's policies, groups and username.
func (c *converter) standard(it *accessfile.AccessItem, pos Position, username string, groups []string, account, who string) {
	seen := map[string]bool{}
	for _, g := range groups {
		switch {
		case g == groupMasters:
			if len(it.Policies) == 0 {
				it.Policies = []accessfile.PolicyRef{{Policy: accessfile.ClusterAdminPolicy}}
			}
		case seen[g]:
			c.warnf(pos, "%s: group %q is listed twice; migrated once", who, clip(g))
		case strings.Contains(g, "{{"):
			c.warnf(pos, "%s: templated group %q not migrated: access-entry groups are literal names; list the groups it expands to", who, clip(g))
		case g == groupWinProxy || strings.HasPrefix(g, "system:"):
			c.warnf(pos, "%s: group %q not migrated: EKS refuses system: groups (and node groups) on STANDARD entries; use an access policy or a group bound by RBAC", who, clip(g))
		default:
			if msg := accessfile.CheckGroup(g); msg != "" {
				c.warnf(pos, "%s: group not migrated: %s", who, msg)
				continue
			}
			it.KubernetesGroups = append(it.KubernetesGroups, g)
		}
		seen[g] = true
	}
	if username == "" {
		return
	}
	u := username
	if strings.Contains(u, "{{AccountID}}") && account != "" {
		u = strings.ReplaceAll(u, "{{AccountID}}", account)
		c.warnf(pos, "%s: username %q uses {{AccountID}}, which access entries do not support; migrated as %q (the principal's account)", who, clip(username), clip(u))
	}
	if msg := accessfile.CheckUsername(u); msg != "" {
		c.warnf(pos, "%s: username not migrated, EKS will generate one: %s", who, msg)
		return
	}
	it.Username = u
}

// permissionSetName extracts NAME from AWSReservedSSO_NAME_suffix.
func permissionSetName(role string) string {
	s := strings.TrimPrefix(role, ssoRolePrefix)
	if i := strings.LastIndex(s, "_"); i > 0 {
		return s[:i]
	}
	return s
}

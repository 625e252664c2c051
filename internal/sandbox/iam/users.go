package iam

import (
	"context"
	"slices"
	"sort"
	"strings"

	"eksaccess/internal/sandbox/query"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/wire"
)

// maxAccessKeysPerUser is IAM's fixed quota of access keys per user.
const maxAccessKeysPerUser = 2

// userResult is the answer of GetUser and CreateUser.
type userResult struct {
	User xmlUser `xml:"User"`
}

func (s *service) getUser(ctx context.Context, p query.Params) (any, error) {
	return readUser(s, ctx, p, func(_ *state.Data, u *state.User) (userResult, error) {
		return userResult{User: toXMLUser(u, true)}, nil
	})
}

func (s *service) listUsers(ctx context.Context, p query.Params) (any, error) {
	return listUnderPath(s, ctx, p, "Users", allUsers,
		func(u *state.User) string { return u.Path }, func(u *state.User) xmlUser { return toXMLUser(u, false) })
}

// newEntity holds what CreateUser and CreateRole validate alike.
type newEntity struct {
	name, path  string
	tags        []state.Tag
	boundary    string
	hasBoundary bool
}

// entityParams validates the name, Path, Tags and PermissionsBoundary of a new user or role
// (both names are at most 64 characters); more adds the operation's own parameters.
func entityParams(p query.Params, param, field string, more func(*query.Validator)) (newEntity, error) {
	var v query.Validator
	e := newEntity{name: name(&v, p, param, field, 64), path: entityPath(&v, p)}
	if more != nil {
		more(&v)
	}
	var err error
	if e.tags, err = tags(&v, p); err != nil {
		return e, err
	}
	if err := v.Err(); err != nil {
		return e, err
	}
	if e.boundary, e.hasBoundary = p.Get("PermissionsBoundary"); e.hasBoundary {
		if err := checkArn(e.boundary); err != nil {
			return e, err
		}
	}
	return e, nil
}

// add stores x under the new entity's key in *m, refusing a name in use; kind names it
// in the refusal ("User", "Role"). boundary is the new entity's PermissionsBoundary field.
func add[T any](root, d *state.Data, m *map[string]*T, e newEntity, kind string, x *T, boundary *string) error {
	key := strings.ToLower(e.name)
	if _, exists := (*m)[key]; exists {
		return query.Errorf(409, "EntityAlreadyExists", "%s with name %s already exists.", kind, e.name)
	}
	if e.hasBoundary {
		if err := setBoundary(root, d, boundary, e.boundary); err != nil {
			return err
		}
	}
	if *m == nil {
		*m = map[string]*T{}
	}
	(*m)[key] = x
	d.Seq++
	return nil
}

func (s *service) createUser(ctx context.Context, p query.Params) (any, error) {
	e, err := entityParams(p, "UserName", "userName", nil)
	if err != nil {
		return nil, err
	}
	return write(s, ctx, func(root, d *state.Data) (userResult, error) {
		u := &state.User{
			Path:       e.path,
			UserName:   e.name,
			UserID:     uniqueID("AIDA", func(id string) bool { return idInUse(d, id) }),
			Arn:        arn(d, "user", e.path, e.name),
			CreateDate: s.Now(),
			Tags:       e.tags,
		}
		if err := add(root, d, &d.Users, e, "User", u, &u.PermissionsBoundary); err != nil {
			return userResult{}, err
		}
		return userResult{User: toXMLUser(u, true)}, nil
	})
}

type getGroupResult struct {
	Group xmlGroup         `xml:"Group"`
	Users xmlList[xmlUser] `xml:"Users"`
	page
}

func (s *service) getGroup(ctx context.Context, p query.Params) (any, error) {
	groupName, err := entityAnd(p, "group", 128, nil)
	if err != nil {
		return nil, err
	}
	return readNamed(s, ctx, allGroups, groupName, noSuchGroup, func(d *state.Data, g *state.Group) (res getGroupResult, err error) {
		var keys []string
		for _, m := range g.Members {
			if _, ok := d.Users[strings.ToLower(m)]; ok {
				keys = append(keys, strings.ToLower(m))
			}
		}
		sort.Strings(keys)
		res.Group = toXMLGroup(g)
		res.Users, res.page, err = paginate(p, slices.Compact(keys), func(k string) xmlUser { return toXMLUser(d.Users[k], false) })
		return res, err
	})
}

func (s *service) listGroups(ctx context.Context, p query.Params) (any, error) {
	return listUnderPath(s, ctx, p, "Groups", allGroups,
		func(g *state.Group) string { return g.Path }, toXMLGroup)
}

type xmlAccessKey struct {
	UserName        string `xml:"UserName"`
	AccessKeyID     string `xml:"AccessKeyId"`
	Status          string `xml:"Status"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	CreateDate      string `xml:"CreateDate"`
}

type createAccessKeyResult struct {
	AccessKey xmlAccessKey `xml:"AccessKey"`
}

func (s *service) createAccessKey(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	userName, err := userOrCaller(ctx, &v, p)
	if err != nil {
		return nil, err
	}
	return write(s, ctx, func(_, d *state.Data) (createAccessKeyResult, error) {
		u, err := find(d.Users, userName, noSuchUser)
		if err != nil {
			return createAccessKeyResult{}, err
		}
		if n := len(ownedBy(d.AccessKeys, u.UserName, func(k *state.AccessKey) string { return k.UserName })); n >= maxAccessKeysPerUser {
			return createAccessKeyResult{}, query.Errorf(409, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: %d", maxAccessKeysPerUser)
		}
		id := query.NewID("AKIA", 16)
		for d.AccessKeys[id] != nil || d.Sessions[id] != nil {
			id = query.NewID("AKIA", 16)
		}
		k := &state.AccessKey{
			AccessKeyID:     id,
			SecretAccessKey: query.NewSecret(),
			UserName:        u.UserName,
			Status:          "Active",
			CreateDate:      s.Now(),
		}
		if d.AccessKeys == nil {
			d.AccessKeys = map[string]*state.AccessKey{}
		}
		d.AccessKeys[id] = k
		d.Seq++
		return createAccessKeyResult{AccessKey: xmlAccessKey{
			UserName: k.UserName, AccessKeyID: k.AccessKeyID, Status: k.Status,
			SecretAccessKey: k.SecretAccessKey, CreateDate: wire.ISO(k.CreateDate),
		}}, nil
	})
}

package iam

import (
	"context"
	"sort"
	"strings"

	"eksaccess/internal/sandbox/query"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/wire"
)

// maxAccessKeysPerUser is IAM's fixed quota of access keys per user.
const maxAccessKeysPerUser = 2

type getUserResult struct {
	User xmlUser `xml:"User"`
}

func (s *service) getUser(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	userName, given := p.Get("UserName")
	if given {
		v.Length(userName, "userName", 1, 128)
		v.Pattern(userName, "userName", nameRe, namePat)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !given {
		var err error
		if userName, err = callerUserName(ctx); err != nil {
			return nil, err
		}
	}
	var res getUserResult
	err := s.st.Read(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		u, ok := d.Users[strings.ToLower(userName)]
		if !ok {
			return noSuchUser(userName)
		}
		res.User = toXMLUser(u, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

type listUsersResult struct {
	Users       xmlList[xmlUser] `xml:"Users"`
	IsTruncated bool             `xml:"IsTruncated"`
	Marker      string           `xml:"Marker,omitempty"`
}

func (s *service) listUsers(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	prefix := pathPrefix(&v, p, pathPrefixRe, pathPrefixPat)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var res listUsersResult
	err := s.st.Read(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		var keys []string
		for _, k := range sortedKeys(d.Users) {
			if strings.HasPrefix(d.Users[k].Path, prefix) {
				keys = append(keys, k)
			}
		}
		pg, err := query.Paginate(p, keys)
		if err != nil {
			return err
		}
		res.Users.Member = []xmlUser{}
		for _, k := range keys[pg.Start:pg.End] {
			res.Users.Member = append(res.Users.Member, toXMLUser(d.Users[k], false))
		}
		res.IsTruncated, res.Marker = pg.IsTruncated, pg.Marker
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

type createUserResult struct {
	User xmlUser `xml:"User"`
}

func (s *service) createUser(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	userName := name(&v, p, "UserName", "userName", 64)
	path := entityPath(&v, p)
	tags, err := tags(&v, p)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	boundary, hasBoundary := p.Get("PermissionsBoundary")
	if hasBoundary {
		if err := checkArn(boundary); err != nil {
			return nil, err
		}
	}
	var res createUserResult
	err = s.st.Update(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		key := strings.ToLower(userName)
		if _, exists := d.Users[key]; exists {
			return query.Errorf(409, "EntityAlreadyExists", "User with name %s already exists.", userName)
		}
		u := &state.User{
			Path:       path,
			UserName:   userName,
			UserID:     uniqueID("AIDA", func(id string) bool { return idInUse(d, id) }),
			Arn:        arn(d, "user", path, userName),
			CreateDate: s.now(),
			Tags:       tags,
		}
		if hasBoundary {
			if err := setBoundary(root, d, &u.PermissionsBoundary, boundary); err != nil {
				return err
			}
		}
		if d.Users == nil {
			d.Users = map[string]*state.User{}
		}
		d.Users[key] = u
		d.Seq++
		res.User = toXMLUser(u, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

type getGroupResult struct {
	Group       xmlGroup         `xml:"Group"`
	Users       xmlList[xmlUser] `xml:"Users"`
	IsTruncated bool             `xml:"IsTruncated"`
	Marker      string           `xml:"Marker,omitempty"`
}

func (s *service) getGroup(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	groupName := name(&v, p, "GroupName", "groupName", 128)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var res getGroupResult
	err := s.st.Read(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		g, ok := d.Groups[strings.ToLower(groupName)]
		if !ok {
			return query.Errorf(404, "NoSuchEntity", "The group with name %s cannot be found.", groupName)
		}
		var keys []string
		for _, m := range g.Members {
			if _, ok := d.Users[strings.ToLower(m)]; ok {
				keys = append(keys, strings.ToLower(m))
			}
		}
		sort.Strings(keys)
		keys = dedupe(keys)
		pg, err := query.Paginate(p, keys)
		if err != nil {
			return err
		}
		res.Group = toXMLGroup(g)
		res.Users.Member = []xmlUser{}
		for _, k := range keys[pg.Start:pg.End] {
			res.Users.Member = append(res.Users.Member, toXMLUser(d.Users[k], false))
		}
		res.IsTruncated, res.Marker = pg.IsTruncated, pg.Marker
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, k := range sorted {
		if i == 0 || k != sorted[i-1] {
			out = append(out, k)
		}
	}
	return out
}

type listGroupsResult struct {
	Groups      xmlList[xmlGroup] `xml:"Groups"`
	IsTruncated bool              `xml:"IsTruncated"`
	Marker      string            `xml:"Marker,omitempty"`
}

func (s *service) listGroups(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	prefix := pathPrefix(&v, p, pathPrefixRe, pathPrefixPat)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var res listGroupsResult
	err := s.st.Read(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		var keys []string
		for _, k := range sortedKeys(d.Groups) {
			if strings.HasPrefix(d.Groups[k].Path, prefix) {
				keys = append(keys, k)
			}
		}
		pg, err := query.Paginate(p, keys)
		if err != nil {
			return err
		}
		res.Groups.Member = []xmlGroup{}
		for _, k := range keys[pg.Start:pg.End] {
			res.Groups.Member = append(res.Groups.Member, toXMLGroup(d.Groups[k]))
		}
		res.IsTruncated, res.Marker = pg.IsTruncated, pg.Marker
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
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
	userName, given := optName(&v, p, "UserName", "userName", 128)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !given {
		var err error
		if userName, err = callerUserName(ctx); err != nil {
			return nil, err
		}
	}
	var res createAccessKeyResult
	err := s.st.Update(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		u, ok := d.Users[strings.ToLower(userName)]
		if !ok {
			return noSuchUser(userName)
		}
		n := 0
		for _, k := range d.AccessKeys {
			if strings.EqualFold(k.UserName, u.UserName) {
				n++
			}
		}
		if n >= maxAccessKeysPerUser {
			return query.Errorf(409, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: %d", maxAccessKeysPerUser)
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
			CreateDate:      s.now(),
		}
		if d.AccessKeys == nil {
			d.AccessKeys = map[string]*state.AccessKey{}
		}
		d.AccessKeys[id] = k
		d.Seq++
		res.AccessKey = xmlAccessKey{
			UserName: k.UserName, AccessKeyID: k.AccessKeyID, Status: k.Status,
			SecretAccessKey: k.SecretAccessKey, CreateDate: wire.ISO(k.CreateDate),
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

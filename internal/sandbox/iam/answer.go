package iam

// The shapes every IAM operation shares: validate, then read or change the caller's
// account under the store's lock, then answer; lists answer a page of sorted keys.

import (
	"context"
	"encoding/xml"
	"strings"

	"eksaccess/internal/sandbox/query"
	"eksaccess/internal/sandbox/state"
)

// page is the IsTruncated and Marker pair of every paginated IAM answer (embedded last, so
// the elements keep the model's order).
type page struct {
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

// paginate answers the page of keys (sorted) that the request's Marker and MaxItems select,
// each key rendered by item.
func paginate[T any](p query.Params, keys []string, item func(string) T) (xmlList[T], page, error) {
	pg, err := query.Paginate(p, keys)
	if err != nil {
		return xmlList[T]{}, page{}, err
	}
	l := xmlList[T]{Member: make([]T, 0, pg.End-pg.Start)}
	for _, k := range keys[pg.Start:pg.End] {
		l.Member = append(l.Member, item(k))
	}
	return l, page{IsTruncated: pg.IsTruncated, Marker: pg.Marker}, nil
}

// listed is the answer of a listing: a page of items, in the element the operation's model
// names (Users, Tags, PolicyNames, ...), then IsTruncated and Marker.
type listed[T any] struct {
	Items namedList[T]
	page
}

// namedList is an xmlList whose element name (XMLName) is the listing's.
type namedList[T any] struct {
	XMLName xml.Name
	Member  []T `xml:"member"`
}

// pageOf is paginate's page of keys as the listing's answer, the items in element name.
func pageOf[T any](p query.Params, name string, keys []string, item func(string) T) (listed[T], error) {
	l, pg, err := paginate(p, keys, item)
	return listed[T]{Items: namedList[T]{XMLName: xml.Name{Local: name}, Member: l.Member}, page: pg}, err
}

// read answers what fn computes from the caller's account (d) under the read lock; root is
// the primary account, which holds the AWS managed policies.
func read[T any](s *service, ctx context.Context, fn func(root, d *state.Data) (T, error)) (any, error) {
	return locked(ctx, s.Store.Read, fn)
}

// write answers what fn computes while it changes the caller's account under the write lock.
func write[T any](s *service, ctx context.Context, fn func(root, d *state.Data) (T, error)) (any, error) {
	return locked(ctx, s.Store.Update, fn)
}

func locked[T any](ctx context.Context, lock func(func(*state.Data) error) error, fn func(root, d *state.Data) (T, error)) (any, error) {
	res, err := state.InAccount(ctx, lock, fn)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// change runs fn under the write lock on the caller's account; the answer is empty.
func (s *service) change(ctx context.Context, fn func(root, d *state.Data) error) (any, error) {
	return nil, s.Store.Update(func(root *state.Data) error {
		return fn(root, state.AccountData(ctx, root))
	})
}

// valid is the validator's verdict, then checkArn's on each ARN.
func valid(v *query.Validator, arns ...string) error {
	if err := v.Err(); err != nil {
		return err
	}
	for _, a := range arns {
		if err := checkArn(a); err != nil {
			return err
		}
	}
	return nil
}

// find looks an entity up by name (names compare case-insensitively, as IAM's do).
func find[T any](m map[string]*T, name string, missing func(string) error) (*T, error) {
	if x, ok := m[strings.ToLower(name)]; ok {
		return x, nil
	}
	return nil, missing(name)
}

func noSuchGroup(name string) error {
	return query.Errorf(404, "NoSuchEntity", "The group with name %s cannot be found.", name)
}

// readNamed answers what fn computes from the item named name in the caller's account's
// collection of (allUsers, allRoles, allGroups), or the NoSuchEntity error missing makes.
func readNamed[T, R any](s *service, ctx context.Context, of func(*state.Data) map[string]*T, name string, missing func(string) error, fn func(d *state.Data, x *T) (R, error)) (any, error) {
	return read(s, ctx, func(_, d *state.Data) (R, error) {
		x, err := find(of(d), name, missing)
		if err != nil {
			var zero R
			return zero, err
		}
		return fn(d, x)
	})
}

func allUsers(d *state.Data) map[string]*state.User   { return d.Users }
func allRoles(d *state.Data) map[string]*state.Role   { return d.Roles }
func allGroups(d *state.Data) map[string]*state.Group { return d.Groups }

// listUnderPath answers ListUsers, ListRoles and ListGroups: the page of the caller's
// entities (of) whose path starts with PathPrefix, each rendered by item, in element name.
func listUnderPath[T, X any](s *service, ctx context.Context, p query.Params, name string, of func(*state.Data) map[string]*T,
	path func(*T) string, item func(*T) X) (any, error) {
	var v query.Validator
	prefix := pathPrefix(&v, p, pathPrefixRe, pathPrefixPat)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return read(s, ctx, func(_, d *state.Data) (listed[X], error) {
		m := of(d)
		return pageOf(p, name, underPath(m, prefix, path), func(k string) X { return item(m[k]) })
	})
}

// underPath returns the keys of m, sorted, whose entity's path starts with prefix.
func underPath[T any](m map[string]*T, prefix string, path func(*T) string) []string {
	return keysWhere(m, func(v *T) bool { return strings.HasPrefix(path(v), prefix) })
}

// ownedBy returns the keys of m, sorted, whose item belongs to user (IAM compares user names
// case-insensitively).
func ownedBy[T any](m map[string]*T, user string, owner func(*T) string) []string {
	return keysWhere(m, func(v *T) bool { return strings.EqualFold(owner(v), user) })
}

// keysWhere returns the keys of m, sorted, whose item keep accepts.
func keysWhere[T any](m map[string]*T, keep func(*T) bool) []string {
	var keys []string
	for _, k := range state.SortedKeys(m) {
		if keep(m[k]) {
			keys = append(keys, k)
		}
	}
	return keys
}

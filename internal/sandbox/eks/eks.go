// Package eks is the sandbox's Amazon EKS service (restJson1): clusters, access entries,
// access policies and tags, with the rules EKS enforces on them. The wire facts it follows
// are in shared/reference/aws-wire.md §1.
package eks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/wire"
)

// New returns the handler for every request whose SigV4 service is eks. The server has
// already verified the signature and put the caller (state.CallerFrom) and the request id
// (wire.RequestID) in the request's context.
func New(st *state.Store, cfg state.Config) http.Handler {
	return &service{state.NewService(st, cfg)}
}

type service struct{ state.Service }

// apiError is a modeled EKS error: HTTP status, shape name, message and extra members.
type apiError struct {
	status  int
	code    string
	message string
	extra   map[string]any
	// constraint: the input broke a model constraint (a range, a length); where the
	// operation does not declare InvalidParameterException it is a ValidationException.
	constraint bool
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func invalidParam(format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, "InvalidParameterException", format, args...)
}

func invalidRequest(format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, "InvalidRequestException", format, args...)
}

func notFound(format string, args ...any) *apiError {
	return errf(http.StatusNotFound, "ResourceNotFoundException", format, args...)
}

// withCluster adds the clusterName member EKS puts on cluster-related errors.
func (e *apiError) withCluster(name string) *apiError {
	if e.extra == nil {
		e.extra = map[string]any{}
	}
	e.extra["clusterName"] = name
	return e
}

func (s *service) fail(ctx context.Context, w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = errf(http.StatusInternalServerError, "ServerException", "internal error: %v", err)
	}
	wire.RestJSONError(ctx, w, ae.status, ae.code, ae.message, ae.extra)
}

// handlerFunc serves one operation; a returned error is written as the EKS error it is.
type handlerFunc func(ctx context.Context, w http.ResponseWriter, r *http.Request, labels []string) error

type route struct {
	op       string
	mutating bool
	fn       handlerFunc
}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	segs, err := pathSegments(r.URL.EscapedPath())
	if err != nil {
		state.SetOperation(ctx, "Unknown", false)
		s.fail(ctx, w, errf(http.StatusBadRequest, "BadRequestException", "the request path is not valid percent-encoding: %v", err))
		return
	}
	rt, labels := s.match(r.Method, segs)
	if rt == nil {
		state.SetOperation(ctx, "Unknown", false)
		s.fail(ctx, w, errf(http.StatusNotFound, "UnknownOperationException", "no EKS operation matches %s %s", r.Method, r.URL.EscapedPath()))
		return
	}
	state.SetOperation(ctx, rt.op, rt.mutating)
	if err := s.authorize(ctx, r, rt, labels); err != nil {
		s.fail(ctx, w, err)
		return
	}
	if err := rt.fn(ctx, w, r, labels); err != nil {
		s.fail(ctx, w, declared(rt.op, err))
	}
}

// pathSegments splits the escaped path on "/" first and decodes each segment after, because
// labels such as principalArn carry percent-encoded slashes (%2F) that must stay inside one label.
func pathSegments(escaped string) ([]string, error) {
	escaped = strings.Trim(escaped, "/")
	if escaped == "" {
		return nil, nil
	}
	raw := strings.Split(escaped, "/")
	out := make([]string, len(raw))
	for i, seg := range raw {
		d, err := url.PathUnescape(seg)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// routes are EKS's operations by method and path; a {label} segment matches any one segment
// and is handed to the operation, the labels in URI order.
var routes = []struct {
	method, path, op string
	mutating         bool
	fn               operation
}{
	{http.MethodGet, "access-policies", "ListAccessPolicies", false, (*service).listAccessPolicies},
	{http.MethodGet, "clusters", "ListClusters", false, (*service).listClusters},
	{http.MethodPost, "clusters", "CreateCluster", true, withBody((*service).createCluster)},
	{http.MethodGet, "clusters/{name}", "DescribeCluster", false, (*service).describeCluster},
	{http.MethodDelete, "clusters/{name}", "DeleteCluster", true, (*service).deleteCluster},
	{http.MethodGet, "clusters/{name}/updates", "ListUpdates", false, (*service).listUpdates},
	{http.MethodGet, "clusters/{name}/updates/{updateId}", "DescribeUpdate", false, (*service).describeUpdate},
	{http.MethodPost, "clusters/{name}/update-config", "UpdateClusterConfig", true, withBody((*service).updateClusterConfig)},
	{http.MethodGet, "clusters/{name}/access-entries", "ListAccessEntries", false, (*service).listAccessEntries},
	{http.MethodPost, "clusters/{name}/access-entries", "CreateAccessEntry", true, withBody((*service).createAccessEntry)},
	{http.MethodGet, "clusters/{name}/access-entries/{principalArn}", "DescribeAccessEntry", false, (*service).describeAccessEntry},
	{http.MethodPost, "clusters/{name}/access-entries/{principalArn}", "UpdateAccessEntry", true, withBody((*service).updateAccessEntry)},
	{http.MethodDelete, "clusters/{name}/access-entries/{principalArn}", "DeleteAccessEntry", true, (*service).deleteAccessEntry},
	{http.MethodGet, "clusters/{name}/access-entries/{principalArn}/access-policies", "ListAssociatedAccessPolicies", false, (*service).listAssociatedAccessPolicies},
	{http.MethodPost, "clusters/{name}/access-entries/{principalArn}/access-policies", "AssociateAccessPolicy", true, withBody((*service).associateAccessPolicy)},
	{http.MethodDelete, "clusters/{name}/access-entries/{principalArn}/access-policies/{policyArn}", "DisassociateAccessPolicy", true, (*service).disassociateAccessPolicy},
	{http.MethodGet, "tags/{resourceArn}", "ListTagsForResource", false, (*service).listTagsForResource},
	{http.MethodPost, "tags/{resourceArn}", "TagResource", true, withBody((*service).tagResource)},
	{http.MethodDelete, "tags/{resourceArn}", "UntagResource", true, (*service).untagResource},
}

// match finds the operation for method and path, returning the path labels in URI order.
func (s *service) match(method string, segs []string) (*route, []string) {
	for _, rt := range routes {
		if rt.method != method {
			continue
		}
		if labels, ok := matchPath(rt.path, segs); ok {
			fn := rt.fn
			return &route{rt.op, rt.mutating, func(ctx context.Context, w http.ResponseWriter, r *http.Request, labels []string) error {
				return fn(s, ctx, w, r, labels)
			}}, labels
		}
	}
	return nil, nil
}

// matchPath matches the path segments against a route's path, returning the {label} segments.
func matchPath(path string, segs []string) ([]string, bool) {
	parts := strings.Split(path, "/")
	if len(parts) != len(segs) {
		return nil, false
	}
	var labels []string
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, "{"):
			labels = append(labels, segs[i])
		case p != segs[i]:
			return nil, false
		}
	}
	return labels, true
}

// operation is an entry of the routes table: it serves one operation for s.
type operation = func(s *service, ctx context.Context, w http.ResponseWriter, r *http.Request, labels []string) error

// withBody is the operation of fn, which takes the request's JSON body decoded into an In
// (decodeBody) instead of the request.
func withBody[In any](fn func(s *service, ctx context.Context, w http.ResponseWriter, labels []string, in In) error) operation {
	return func(s *service, ctx context.Context, w http.ResponseWriter, r *http.Request, labels []string) error {
		var in In
		if err := decodeBody(r, &in); err != nil {
			return err
		}
		return fn(s, ctx, w, labels, in)
	}
}

// decodeBody reads a JSON request body into v; an empty body leaves v as it is.
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return errf(http.StatusBadRequest, "BadRequestException", "could not read the request body: %v", err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errf(http.StatusBadRequest, "SerializationException", "the request body is not valid JSON for this operation: %v", err)
	}
	return nil
}

// page is one page of a sorted key list, from the query's maxResults and nextToken.
type page struct {
	max   int
	after string // keys > after; "" = from the start
}

func parsePage(q url.Values) (page, error) {
	p := page{max: 100}
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			bound := "greater than or equal to 1"
			if err == nil && n > 100 {
				bound = "less than or equal to 100"
			}
			e := invalidParam("1 validation error detected: Value '%s' at 'maxResults' failed to satisfy constraint: Member must have value %s", v, bound)
			e.constraint = true
			return p, e
		}
		p.max = n
	}
	if t := q.Get("nextToken"); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil || len(b) == 0 {
			return p, invalidParam("The nextToken %q is not valid; use the nextToken of the previous response.", t)
		}
		p.after = string(b)
	}
	return p, nil
}

// apply returns the keys of this page (keys must be sorted) and the token of the next, if any.
func (p page) apply(keys []string) ([]string, *string) {
	start := 0
	if p.after != "" {
		start = sort.SearchStrings(keys, p.after)
		if start < len(keys) && keys[start] == p.after {
			start++
		}
	}
	end := start + p.max
	if end >= len(keys) {
		return keys[start:], nil
	}
	tok := base64.RawURLEncoding.EncodeToString([]byte(keys[end-1]))
	return keys[start:end], &tok
}

// cluster finds a cluster by name (one that finished deleting at now is gone) or answers
// EKS's 404.
func cluster(d *state.Data, name string, now time.Time) (*state.Cluster, error) {
	c, ok := d.Clusters[name]
	if !ok || gone(c, now) {
		return nil, notFound("No cluster found for name: %s.", name).withCluster(name)
	}
	return c, nil
}

// accessCluster is cluster plus the authentication-mode check every access-entry operation makes.
func accessCluster(d *state.Data, name string, now time.Time) (*state.Cluster, error) {
	c, err := cluster(d, name, now)
	if err != nil {
		return nil, err
	}
	if c.AuthenticationMode != "API" && c.AuthenticationMode != "API_AND_CONFIG_MAP" {
		return nil, invalidRequest("The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.").withCluster(name)
	}
	return c, nil
}

func errEntryNotFound(clusterName string) *apiError {
	return notFound("The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.").withCluster(clusterName)
}

// entry finds an access entry by the principal ARN of its URI label.
func entry(c *state.Cluster, principal string) (*state.AccessEntry, error) {
	e, ok := c.Entries[principal]
	if !ok {
		return nil, errEntryNotFound(c.Name)
	}
	return e, nil
}

// regionOf returns the region of an ARN (its fourth field), or def.
func regionOf(arn, def string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[3] != "" {
		return parts[3]
	}
	return def
}

// Operations lists the EKS operations the sandbox implements.
var Operations = []string{
	"ListAccessPolicies", "ListClusters", "CreateCluster", "DescribeCluster", "DeleteCluster",
	"UpdateClusterConfig", "ListUpdates", "DescribeUpdate",
	"CreateAccessEntry", "ListAccessEntries", "DescribeAccessEntry", "UpdateAccessEntry", "DeleteAccessEntry",
	"AssociateAccessPolicy", "DisassociateAccessPolicy", "ListAssociatedAccessPolicies",
	"ListTagsForResource", "TagResource", "UntagResource",
}

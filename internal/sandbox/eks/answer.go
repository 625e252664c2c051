package eks

// The shape every EKS operation shares: read or change the caller's account under the
// store's lock, then answer JSON; lists answer a page of sorted keys and the next token.

import (
	"context"
	"net/http"
	"time"

	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/wire"
)

// answer runs fn on the caller's account (d; root is the primary account) under the
// store's read lock, or its write lock when write, and answers what fn returns as JSON (an
// empty object for nil).
func (s *service) answer(ctx context.Context, w http.ResponseWriter, write bool, fn func(root, d *state.Data) (any, error)) error {
	lock := s.Store.Read
	if write {
		lock = s.Store.Update
	}
	out, err := state.InAccount(ctx, lock, fn)
	if err != nil {
		return err
	}
	if out == nil {
		out = map[string]any{}
	}
	wire.WriteJSON(ctx, w, http.StatusOK, out)
	return nil
}

// onCluster is answer for the cluster named name; find is cluster, or accessCluster for the
// operations that need access entries.
func (s *service) onCluster(ctx context.Context, w http.ResponseWriter, write bool, find func(*state.Data, string, time.Time) (*state.Cluster, error), name string, fn func(root, d *state.Data, c *state.Cluster) (any, error)) error {
	return s.answer(ctx, w, write, func(root, d *state.Data) (any, error) {
		c, err := find(d, name, s.Now())
		if err != nil {
			return nil, err
		}
		return fn(root, d, c)
	})
}

// onEntry is answer for the access entry of principal labels[1] on cluster labels[0].
func (s *service) onEntry(ctx context.Context, w http.ResponseWriter, write bool, labels []string, fn func(c *state.Cluster, e *state.AccessEntry) (any, error)) error {
	return s.onCluster(ctx, w, write, accessCluster, labels[0], func(_, _ *state.Data, c *state.Cluster) (any, error) {
		e, err := entry(c, labels[1])
		if err != nil {
			return nil, err
		}
		return fn(c, e)
	})
}

// paged sets resp[key] to this page of keys (sorted), each rendered by item, and
// resp["nextToken"] when more follow.
func paged[T any](resp map[string]any, pg page, key string, keys []string, item func(string) T) map[string]any {
	ks, next := pg.apply(keys)
	list := make([]T, 0, len(ks))
	for _, k := range ks {
		list = append(list, item(k))
	}
	resp[key] = list
	if next != nil {
		resp["nextToken"] = *next
	}
	return resp
}

func same(k string) string { return k }

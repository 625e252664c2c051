package eks

import (
	"context"
	"net/http"
	"strings"

	"eksaccess/internal/sandbox/state"
)

// The tagging operations model only BadRequestException (400) and NotFoundException (404).
func badRequest(format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, "BadRequestException", format, args...)
}

// isEntryArn tells an access-entry ARN from a cluster ARN for the tagging operations.
func isEntryArn(arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	return len(parts) == 6 && strings.HasPrefix(parts[5], "access-entry/")
}

// taggable finds the tag map holder for a cluster or access-entry ARN.
func taggable(d *state.Data, arn string) (*map[string]string, error) {
	for _, c := range d.Clusters {
		if c.Arn == arn {
			return &c.Tags, nil
		}
		if !isEntryArn(arn) {
			continue
		}
		for _, e := range c.Entries {
			if e.AccessEntryArn == arn {
				return &e.Tags, nil
			}
		}
	}
	return nil, errf(http.StatusNotFound, "NotFoundException", "Resource %s was not found; check the ARN with describe-cluster or describe-access-entry.", arn)
}

func (s *service) listTagsForResource(ctx context.Context, w http.ResponseWriter, r *http.Request, labels []string) error {
	tags := map[string]string{}
	return s.answer(ctx, w, false, func(_, d *state.Data) (any, error) {
		m, err := taggable(d, labels[0])
		if err != nil {
			return nil, err
		}
		for k, v := range *m {
			tags[k] = v
		}
		return map[string]any{"tags": tags}, nil
	})
}

type tagResourceInput struct {
	Tags map[string]string `json:"tags"`
}

func (s *service) tagResource(ctx context.Context, w http.ResponseWriter, labels []string, in tagResourceInput) error {
	return s.answer(ctx, w, true, func(_, d *state.Data) (any, error) {
		m, err := taggable(d, labels[0])
		if err != nil {
			return nil, err
		}
		if len(in.Tags) == 0 {
			return nil, badRequest("tags is required and must hold at least one tag.")
		}
		merged := map[string]string{}
		for k, v := range *m {
			merged[k] = v
		}
		for k, v := range in.Tags {
			merged[k] = v
		}
		if err := checkTags(in.Tags, badRequest); err != nil {
			return nil, err
		}
		if err := checkTags(merged, badRequest); err != nil {
			return nil, err
		}
		*m = merged
		return map[string]any{}, nil
	})
}

func (s *service) untagResource(ctx context.Context, w http.ResponseWriter, r *http.Request, labels []string) error {
	keys := r.URL.Query()["tagKeys"]
	return s.answer(ctx, w, true, func(_, d *state.Data) (any, error) {
		m, err := taggable(d, labels[0])
		if err != nil {
			return nil, err
		}
		if len(keys) < 1 || len(keys) > 50 {
			return nil, badRequest("tagKeys must hold 1 to 50 keys, got %d.", len(keys))
		}
		for _, k := range keys {
			if len(k) < 1 || len(k) > 128 {
				return nil, badRequest("Tag key %q must be 1 to 128 characters long.", k)
			}
		}
		for _, k := range keys {
			delete(*m, k)
		}
		if len(*m) == 0 {
			*m = nil
		}
		return map[string]any{}, nil
	})
}

// Package sagemaker is the sandbox's SageMaker service: DescribeCluster and ListClusters for
// HyperPod clusters, in awsJson1_1 (shared/reference/aws-wire.md §4). DescribeCluster is
// what maps a HyperPod cluster to its EKS orchestrator (Orchestrator.Eks.ClusterArn).
package sagemaker

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"eksaccess/internal/sandbox/iam/authz"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/wire"
)

// TargetPrefix is the X-Amz-Target prefix of every SageMaker operation.
const TargetPrefix = "SageMaker."

type service struct{ state.Service }

// New returns the SageMaker handler (POST / with X-Amz-Target SageMaker.<Operation>).
func New(st *state.Store, cfg state.Config) http.Handler {
	return &service{state.NewService(st, cfg)}
}

// apiError is a modeled or common awsJson1_1 error.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func validation(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationException", fmt.Sprintf(format, args...)}
}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, TargetPrefix)
	var err error
	switch {
	case !ok || r.Method != http.MethodPost:
		state.SetOperation(ctx, op, false)
		err = &apiError{http.StatusBadRequest, "UnknownOperationException", "The requested operation is not supported in the called endpoint."}
	case op == "DescribeCluster":
		state.SetOperation(ctx, op, false)
		if err = s.authorize(ctx, r, op); err == nil {
			err = s.describeCluster(ctx, w, r)
		}
	case op == "ListClusters":
		state.SetOperation(ctx, op, false)
		if err = s.authorize(ctx, r, op); err == nil {
			err = s.listClusters(ctx, w, r)
		}
	default:
		state.SetOperation(ctx, op, false)
		err = &apiError{http.StatusBadRequest, "UnknownOperationException", "The requested operation is not supported in the called endpoint."}
	}
	if err != nil {
		e, ok := err.(*apiError)
		if !ok {
			e = &apiError{http.StatusInternalServerError, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure."}
		}
		wire.JSON11Error(ctx, w, e.status, e.code, e.message)
	}
}

// authorize evaluates the caller's identity policies for sagemaker:OP (when enforcement is
// on); a refusal is the AccessDeniedException SageMaker answers with HTTP 400, as the AWS
// JSON services' common errors do.
func (s *service) authorize(ctx context.Context, r *http.Request, op string) error {
	if !s.Config.EnforceIAM {
		return nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return &apiError{http.StatusBadRequest, "SerializationException", "could not read the request body"}
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	var den *authz.Denial
	s.Store.Read(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		req := authz.Request{Action: "sagemaker:" + op, Resource: "*"}
		if op == "DescribeCluster" {
			var in describeClusterInput
			json.Unmarshal(b, &in)
			if in.ClusterName != nil {
				if c := find(d, *in.ClusterName); c != nil {
					req.Resource = c.ClusterArn
				} else if strings.HasPrefix(*in.ClusterName, "arn:") {
					req.Resource = *in.ClusterName
				} else {
					req.Resource = "arn:" + d.Partition + ":sagemaker:" + d.Region + ":" + d.Account + ":cluster/*"
				}
			}
		}
		den = authz.Check(root, state.CallerFrom(ctx), s.Config.Now(), req)
		return nil
	})
	if den != nil {
		return &apiError{http.StatusBadRequest, "AccessDeniedException", den.Message}
	}
	return nil
}

// decode reads the JSON body into v, refusing what SageMaker refuses: malformed JSON and
// members of the wrong type.
func decode(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return &apiError{http.StatusBadRequest, "SerializationException", "could not read the request body"}
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		b = []byte("{}")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return &apiError{http.StatusBadRequest, "SerializationException", "Start of structure or map found where not expected, or a member has the wrong type: " + err.Error()}
	}
	return nil
}

// Patterns of the model (ClusterNameOrArn, ClusterName, NameContains).
var (
	clusterNameOrArnRe = regexp.MustCompile(`^((arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:cluster/[a-z0-9]{12})|([a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}))$`)
	nameContainsRe     = regexp.MustCompile(`^[a-zA-Z0-9\-]+$`)
)

const clusterNameOrArnPattern = `(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:cluster/[a-z0-9]{12})|([a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})`

type describeClusterInput struct {
	ClusterName *string `json:"ClusterName"`
}

type instanceGroupJSON struct {
	CurrentCount      int    `json:"CurrentCount"`
	TargetCount       int    `json:"TargetCount"`
	InstanceGroupName string `json:"InstanceGroupName"`
	InstanceType      string `json:"InstanceType"`
	ExecutionRole     string `json:"ExecutionRole"`
	ThreadsPerCore    int    `json:"ThreadsPerCore"`
	LifeCycleConfig   struct {
		SourceS3Uri string `json:"SourceS3Uri"`
		OnCreate    string `json:"OnCreate"`
	} `json:"LifeCycleConfig"`
}

type describeClusterOutput struct {
	ClusterArn     string              `json:"ClusterArn"`
	ClusterName    string              `json:"ClusterName"`
	ClusterStatus  string              `json:"ClusterStatus"`
	CreationTime   wire.Epoch          `json:"CreationTime"`
	InstanceGroups []instanceGroupJSON `json:"InstanceGroups"`
	Orchestrator   *orchestratorJSON   `json:"Orchestrator,omitempty"`
	NodeRecovery   string              `json:"NodeRecovery"`
}

type orchestratorJSON struct {
	Eks struct {
		ClusterArn string `json:"ClusterArn"`
	} `json:"Eks"`
}

// find looks a HyperPod cluster up by name or by ARN, as DescribeCluster accepts either.
func find(d *state.Data, nameOrArn string) *state.HyperPodCluster {
	if strings.HasPrefix(nameOrArn, "arn:") {
		for _, c := range d.HyperPod {
			if c.ClusterArn == nameOrArn {
				return c
			}
		}
		return nil
	}
	return d.HyperPod[nameOrArn]
}

func (s *service) describeCluster(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var in describeClusterInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.ClusterName == nil {
		return validation("1 validation error detected: Value null at 'clusterName' failed to satisfy constraint: Member must not be null")
	}
	name := *in.ClusterName
	if len(name) > 256 || !clusterNameOrArnRe.MatchString(name) {
		return validation("1 validation error detected: Value '%s' at 'clusterName' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", name, clusterNameOrArnPattern)
	}
	var out describeClusterOutput
	err := s.Store.Read(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		c := find(d, name)
		if c == nil {
			return &apiError{http.StatusBadRequest, "ResourceNotFound", fmt.Sprintf("Cluster %s not found", name)}
		}
		out = describeClusterOutput{
			ClusterArn:     c.ClusterArn,
			ClusterName:    c.ClusterName,
			ClusterStatus:  c.ClusterStatus,
			CreationTime:   wire.Epoch(c.CreationTime),
			InstanceGroups: []instanceGroupJSON{},
			NodeRecovery:   "Automatic",
		}
		for _, g := range c.InstanceGroups {
			ig := instanceGroupJSON{
				CurrentCount:      g.CurrentCount,
				TargetCount:       g.TargetCount,
				InstanceGroupName: g.InstanceGroupName,
				InstanceType:      g.InstanceType,
				ExecutionRole:     g.ExecutionRole,
				ThreadsPerCore:    1,
			}
			ig.LifeCycleConfig.SourceS3Uri = "s3://sagemaker-" + c.ClusterName + "-" + d.Account + "/lifecycle/"
			ig.LifeCycleConfig.OnCreate = "on_create.sh"
			out.InstanceGroups = append(out.InstanceGroups, ig)
		}
		if c.EksClusterArn != "" {
			out.Orchestrator = &orchestratorJSON{}
			out.Orchestrator.Eks.ClusterArn = c.EksClusterArn
		}
		return nil
	})
	if err != nil {
		return err
	}
	wire.WriteJSON11(ctx, w, out)
	return nil
}

type listClustersInput struct {
	CreationTimeAfter  *wire.Epoch `json:"CreationTimeAfter"`
	CreationTimeBefore *wire.Epoch `json:"CreationTimeBefore"`
	MaxResults         *int        `json:"MaxResults"`
	NameContains       *string     `json:"NameContains"`
	NextToken          *string     `json:"NextToken"`
	SortBy             *string     `json:"SortBy"`
	SortOrder          *string     `json:"SortOrder"`
	TrainingPlanArn    *string     `json:"TrainingPlanArn"`
}

type clusterSummaryJSON struct {
	ClusterArn    string     `json:"ClusterArn"`
	ClusterName   string     `json:"ClusterName"`
	CreationTime  wire.Epoch `json:"CreationTime"`
	ClusterStatus string     `json:"ClusterStatus"`
}

type listClustersOutput struct {
	NextToken        *string              `json:"NextToken,omitempty"`
	ClusterSummaries []clusterSummaryJSON `json:"ClusterSummaries"`
}

// Page tokens are opaque to clients: the offset, base64-encoded.
func encodeToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset)))
}

func decodeToken(tok string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
	if err != nil || n < 0 || !strings.HasPrefix(string(b), "o:") {
		return 0, false
	}
	return n, true
}

func (s *service) listClusters(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var in listClustersInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var problems []string
	// The default page size is not in the model; 10 is what SageMaker's List operations
	// commonly use [unverified].
	limit := 10
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 100 {
			cmp := "greater than or equal to 1"
			if *in.MaxResults > 100 {
				cmp = "less than or equal to 100"
			}
			problems = append(problems, fmt.Sprintf("Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value %s", *in.MaxResults, cmp))
		}
		limit = *in.MaxResults
	}
	if in.NameContains != nil && (len(*in.NameContains) > 63 || (*in.NameContains != "" && !nameContainsRe.MatchString(*in.NameContains))) {
		problems = append(problems, fmt.Sprintf("Value '%s' at 'nameContains' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9\\-]+", *in.NameContains))
	}
	sortBy := "CREATION_TIME"
	if in.SortBy != nil {
		if *in.SortBy != "CREATION_TIME" && *in.SortBy != "NAME" {
			problems = append(problems, fmt.Sprintf("Value '%s' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [CREATION_TIME, NAME]", *in.SortBy))
		}
		sortBy = *in.SortBy
	}
	order := "Descending"
	if in.SortOrder != nil {
		if *in.SortOrder != "Ascending" && *in.SortOrder != "Descending" {
			problems = append(problems, fmt.Sprintf("Value '%s' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [Ascending, Descending]", *in.SortOrder))
		}
		order = *in.SortOrder
	}
	if len(problems) > 0 {
		noun := "error"
		if len(problems) > 1 {
			noun = "errors"
		}
		return validation("%d validation %s detected: %s", len(problems), noun, strings.Join(problems, "; "))
	}
	offset := 0
	if in.NextToken != nil && *in.NextToken != "" {
		n, ok := decodeToken(*in.NextToken)
		if !ok {
			return validation("Invalid pagination token: %s", *in.NextToken)
		}
		offset = n
	}

	var all []clusterSummaryJSON
	var created []time.Time
	err := s.Store.Read(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		for _, c := range d.HyperPod {
			if in.NameContains != nil && !strings.Contains(c.ClusterName, *in.NameContains) {
				continue
			}
			if in.CreationTimeAfter != nil && !c.CreationTime.After(time.Time(*in.CreationTimeAfter)) {
				continue
			}
			if in.CreationTimeBefore != nil && !c.CreationTime.Before(time.Time(*in.CreationTimeBefore)) {
				continue
			}
			all = append(all, clusterSummaryJSON{
				ClusterArn:    c.ClusterArn,
				ClusterName:   c.ClusterName,
				CreationTime:  wire.Epoch(c.CreationTime),
				ClusterStatus: c.ClusterStatus,
			})
			created = append(created, c.CreationTime)
		}
		return nil
	})
	if err != nil {
		return err
	}
	idx := make([]int, len(all))
	for i := range idx {
		idx[i] = i
	}
	less := func(i, j int) bool {
		if sortBy == "NAME" || created[i].Equal(created[j]) {
			return all[i].ClusterName < all[j].ClusterName
		}
		return created[i].Before(created[j])
	}
	sort.SliceStable(idx, func(a, b int) bool {
		if order == "Descending" {
			return less(idx[b], idx[a])
		}
		return less(idx[a], idx[b])
	})
	sorted := make([]clusterSummaryJSON, len(all))
	for k, i := range idx {
		sorted[k] = all[i]
	}
	out := listClustersOutput{ClusterSummaries: []clusterSummaryJSON{}}
	if offset < len(sorted) {
		end := min(offset+limit, len(sorted))
		out.ClusterSummaries = sorted[offset:end]
		if end < len(sorted) {
			t := encodeToken(end)
			out.NextToken = &t
		}
	}
	wire.WriteJSON11(ctx, w, out)
	return nil
}

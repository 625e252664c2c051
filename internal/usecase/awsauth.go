package usecase

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/kubeauth"
	"eksaccess/internal/plan"
)

// ErrNoAWSAuth: the cluster has no aws-auth ConfigMap (nothing is mapped there).
var ErrNoAWSAuth = errors.New("no aws-auth ConfigMap")

// FetchAWSAuth reads kube-system/aws-auth from the cluster's Kubernetes API with an EKS
// token for the caller's credentials.
func FetchAWSAuth(ctx context.Context, c *awsapi.Clients, cluster string, now func() time.Time, timeouts awsapi.Timeouts) ([]byte, error) {
	hint := "save it with `kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml` and run again with --from aws-auth.yaml"
	body, status, err := kubeGet(ctx, c, cluster, "/api/v1/namespaces/kube-system/configmaps/aws-auth", now, timeouts, hint)
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusOK:
		return body, nil
	case http.StatusNotFound:
		return nil, fmt.Errorf("%w: "+"cluster %s has no aws-auth ConfigMap in kube-system (HTTP 404): nothing to migrate, or %s", ErrNoAWSAuth, cluster, hint)
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, fmt.Errorf("the Kubernetes API of %s refused to show aws-auth to you (HTTP %d): ask someone mapped in it to %s", cluster, status, hint)
	}
	return nil, fmt.Errorf("read aws-auth from %s's Kubernetes API: HTTP %d: %s; %s", cluster, status, strings.TrimSpace(string(body)), hint)
}

// FetchKube reads one path (a list of namespaces or bindings) from the cluster's Kubernetes
// API with an EKS token for the caller's credentials; any answer but 200 is an error.
func FetchKube(ctx context.Context, c *awsapi.Clients, cluster, path string, now func() time.Time, timeouts awsapi.Timeouts) ([]byte, error) {
	body, status, err := kubeGet(ctx, c, cluster, path, now, timeouts, "run it where the cluster's endpoint is reachable, with credentials that may read "+path)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("read %s from %s's Kubernetes API: HTTP %d: %s", path, cluster, status, clip(strings.TrimSpace(string(body)), 200))
	}
	return body, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// kubeGet GETs path on the cluster's Kubernetes endpoint (from DescribeCluster) with an EKS
// bearer token; hint ends the errors that mean the endpoint could not be used.
func kubeGet(ctx context.Context, c *awsapi.Clients, cluster, path string, now func() time.Time, timeouts awsapi.Timeouts, hint string) ([]byte, int, error) {
	out, err := c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		return nil, 0, plan.ClusterError(cluster, err)
	}
	dc := out.Cluster
	if dc == nil || aws.ToString(dc.Endpoint) == "" {
		return nil, 0, fmt.Errorf("cluster %s has no Kubernetes endpoint in DescribeCluster: %s", cluster, hint)
	}
	tok, err := kubeauth.GetToken(ctx, c.Config, cluster, now, atEndpoint(stsEndpoint(c)))
	if err != nil {
		return nil, 0, fmt.Errorf("make a Kubernetes token for %s: %w; or %s", cluster, err, hint)
	}
	var caPEM []byte
	if dc.CertificateAuthority != nil {
		if pem, err := base64.StdEncoding.DecodeString(aws.ToString(dc.CertificateAuthority.Data)); err == nil {
			caPEM = pem
		}
	}
	hc, err := kubeauth.HTTPClient(caPEM, timeouts)
	if err != nil {
		return nil, 0, fmt.Errorf("cluster %s: %w", cluster, err)
	}
	url := strings.TrimRight(aws.ToString(dc.Endpoint), "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		err = kubeauth.TimeoutError(aws.ToString(dc.Endpoint), err, timeouts)
		return nil, 0, fmt.Errorf("read %s from %s's Kubernetes API: %w; if the endpoint is private or unreachable from here, %s", path, cluster, err, hint)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		err = kubeauth.TimeoutError(aws.ToString(dc.Endpoint), err, timeouts)
		return nil, 0, fmt.Errorf("read %s from %s's Kubernetes API: %w; %s", path, cluster, err, hint)
	}
	return body, resp.StatusCode, nil
}

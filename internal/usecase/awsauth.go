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
	out, err := c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		return nil, plan.ClusterError(cluster, err)
	}
	dc := out.Cluster
	hint := "save it with `kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml` and run again with --from aws-auth.yaml"
	if dc == nil || aws.ToString(dc.Endpoint) == "" {
		return nil, fmt.Errorf("cluster %s has no Kubernetes endpoint in DescribeCluster: %s", cluster, hint)
	}
	tok, err := kubeauth.GetToken(ctx, c.Config, cluster, now, atEndpoint(stsEndpoint(c)))
	if err != nil {
		return nil, fmt.Errorf("make a Kubernetes token for %s: %w; or %s", cluster, err, hint)
	}
	var caPEM []byte
	if dc.CertificateAuthority != nil {
		if pem, err := base64.StdEncoding.DecodeString(aws.ToString(dc.CertificateAuthority.Data)); err == nil {
			caPEM = pem
		}
	}
	hc, err := kubeauth.HTTPClient(caPEM, timeouts)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cluster, err)
	}
	url := strings.TrimRight(aws.ToString(dc.Endpoint), "/") + "/api/v1/namespaces/kube-system/configmaps/aws-auth"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		err = kubeauth.TimeoutError(aws.ToString(dc.Endpoint), err, timeouts)
		return nil, fmt.Errorf("read aws-auth from %s's Kubernetes API: %w; if the endpoint is private or unreachable from here, %s", cluster, err, hint)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		err = kubeauth.TimeoutError(aws.ToString(dc.Endpoint), err, timeouts)
		return nil, fmt.Errorf("read aws-auth from %s's Kubernetes API: %w; %s", cluster, err, hint)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return body, nil
	case http.StatusNotFound:
		return nil, fmt.Errorf("%w: "+"cluster %s has no aws-auth ConfigMap in kube-system (HTTP 404): nothing to migrate, or %s", ErrNoAWSAuth, cluster, hint)
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, fmt.Errorf("the Kubernetes API of %s refused to show aws-auth to you (HTTP %d): ask someone mapped in it to %s", cluster, resp.StatusCode, hint)
	}
	return nil, fmt.Errorf("read aws-auth from %s's Kubernetes API: HTTP %d: %s; %s", cluster, resp.StatusCode, strings.TrimSpace(string(body)), hint)
}

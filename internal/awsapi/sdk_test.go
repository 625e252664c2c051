package awsapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/smithy-go/middleware"
)

// Helpers for the tests that call through the SDK, against an httptest server or a
// stalled listener.

// testClients loads a config with settings s and static credentials, adds the API options
// opts, and builds clients for endpoint.
func testClients(t *testing.T, endpoint string, s Settings, opts ...func(*middleware.Stack) error) *Clients {
	t.Helper()
	s.Credentials = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	cfg, err := LoadConfig(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	cfg.APIOptions = append(cfg.APIOptions, opts...)
	return NewClients(cfg, endpoint)
}

// eksServer answers every call with cluster ml-prod in JSON, except those that intercept
// (when not nil) answers itself, reporting true.
func eksServer(t *testing.T, intercept func(w http.ResponseWriter) bool) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if intercept != nil && intercept(w) {
			return
		}
		fmt.Fprint(w, `{"cluster":{"name":"ml-prod"}}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// describe asks c's EKS client for cluster ml-prod.
func describe(ctx context.Context, c *Clients) error {
	_, err := c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("ml-prod")})
	return err
}

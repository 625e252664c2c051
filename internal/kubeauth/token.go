// Package kubeauth makes and checks EKS bearer tokens (presigned STS GetCallerIdentity
// URLs, as `aws eks get-token` and aws-iam-authenticator make them), prints them as
// client-go ExecCredentials, caches them, and merges EKS clusters into kubeconfig files.
package kubeauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const (
	// TokenPrefix starts every EKS bearer token.
	TokenPrefix = "k8s-aws-v1."
	// ClusterIDHeader binds a token to one cluster; it is signed, so it cannot be changed.
	ClusterIDHeader = "x-k8s-aws-id"
	// presignExpires is what `aws eks get-token` asks for; EKS ignores it and allows 15 minutes.
	presignExpires = "60"
	// TokenLifetime is the expiry get-token reports: 14 minutes, one less than STS allows.
	TokenLifetime = 14 * time.Minute
	// tokenValidity is how long EKS accepts a token after its X-Amz-Date.
	tokenValidity = 15 * time.Minute
)

// Exec credential API versions client-go speaks.
const (
	ExecV1       = "client.authentication.k8s.io/v1"
	ExecV1beta1  = "client.authentication.k8s.io/v1beta1"
	execV1alpha1 = "client.authentication.k8s.io/v1alpha1"
)

// Token is an EKS bearer token and when it should be replaced.
type Token struct {
	Token      string    `json:"token"`
	Expiration time.Time `json:"expiration"`
}

// GetToken presigns STS GetCallerIdentity for cluster with cfg's credentials, region and
// STS endpoint (AWS_ENDPOINT_URL_STS and friends honoured), exactly as `aws eks get-token`
// does: header x-k8s-aws-id signed, X-Amz-Expires=60, base64url without padding, prefix
// k8s-aws-v1. now is the signing clock (nil means time.Now). It makes no network call.
func GetToken(ctx context.Context, cfg aws.Config, cluster string, now func() time.Time, optFns ...func(*sts.Options)) (Token, error) {
	if cluster == "" {
		return Token{}, fmt.Errorf("no cluster name for the token: pass -c CLUSTER")
	}
	if now == nil {
		now = time.Now
	}
	client := sts.NewFromConfig(cfg, optFns...)
	pc := sts.NewPresignClient(client, func(po *sts.PresignOptions) {
		po.Presigner = clockPresigner{signer: v4.NewSigner(), now: now}
		po.ClientOptions = append(po.ClientOptions, func(o *sts.Options) {
			o.APIOptions = append(o.APIOptions, bindCluster(cluster))
		})
	})
	req, err := pc.PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Token{}, fmt.Errorf("presign sts GetCallerIdentity for cluster %s: %w: check your AWS credentials and region", cluster, err)
	}
	return Token{
		Token:      TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(req.URL)),
		Expiration: now().UTC().Add(TokenLifetime).Truncate(time.Second),
	}, nil
}

// bindCluster adds the signed cluster header and the expiry query parameter before signing.
func bindCluster(cluster string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Build.Add(middleware.BuildMiddlewareFunc("eksaccessBindCluster",
			func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				req, ok := in.Request.(*smithyhttp.Request)
				if !ok {
					return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("unexpected request type %T", in.Request)
				}
				req.Header.Set(ClusterIDHeader, cluster)
				q := req.URL.Query()
				q.Set("X-Amz-Expires", presignExpires)
				req.URL.RawQuery = q.Encode()
				return next.HandleBuild(ctx, in)
			}), middleware.After)
	}
}

// clockPresigner signs at the injected time instead of the SDK's own clock.
type clockPresigner struct {
	signer *v4.Signer
	now    func() time.Time
}

func (p clockPresigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.signer.PresignHTTP(ctx, creds, r, payloadHash, service, region, p.now().UTC(), optFns...)
}

// ExecCredential is client-go's exec plugin output, laid out as `aws eks get-token` prints it.
type ExecCredential struct {
	Kind       string               `json:"kind"`
	APIVersion string               `json:"apiVersion"`
	Spec       struct{}             `json:"spec"`
	Status     ExecCredentialStatus `json:"status"`
}

// ExecCredentialStatus carries the token.
type ExecCredentialStatus struct {
	ExpirationTimestamp string `json:"expirationTimestamp"`
	Token               string `json:"token"`
}

// ExecAPIVersion picks the ExecCredential apiVersion from the KUBERNETES_EXEC_INFO value
// kubectl passes: v1 or v1beta1 as asked, otherwise v1beta1.
// warning is non-empty when the value was unusable or deprecated (print it to stderr).
func ExecAPIVersion(execInfo string) (apiVersion, warning string) {
	if strings.TrimSpace(execInfo) == "" {
		return ExecV1beta1, ""
	}
	var info struct {
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal([]byte(execInfo), &info); err != nil {
		return ExecV1beta1, "KUBERNETES_EXEC_INFO is not valid JSON; using " + ExecV1beta1
	}
	switch info.APIVersion {
	case ExecV1, ExecV1beta1:
		return info.APIVersion, ""
	case execV1alpha1:
		// client-go dropped v1alpha1 exec plugins in 1.24; answer with the default.
		return ExecV1beta1, execV1alpha1 + " is no longer supported; using " + ExecV1beta1 + ": upgrade kubectl"
	}
	return ExecV1beta1, fmt.Sprintf("KUBERNETES_EXEC_INFO asks for unknown apiVersion %q; using %s", info.APIVersion, ExecV1beta1)
}

// ExecCredentialJSON renders tok as the ExecCredential `aws eks get-token --output json`
// prints (4-space indent, same key order, trailing newline).
func ExecCredentialJSON(tok Token, apiVersion string) ([]byte, error) {
	ec := ExecCredential{Kind: "ExecCredential", APIVersion: apiVersion}
	ec.Status = ExecCredentialStatus{
		ExpirationTimestamp: tok.Expiration.UTC().Format("2006-01-02T15:04:05Z"),
		Token:               tok.Token,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(ec); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

package kubeauth

import (
	"context"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authnclient "k8s.io/client-go/kubernetes/typed/authentication/v1"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/stalltest"
)

func stalled(t *testing.T) string { return stalltest.Listen(t).Addr() }

func TestStalledKubernetesAPITimesOut(t *testing.T) {
	t.Parallel()
	addr := stalled(t)
	to := awsapi.TimeoutsFor(400 * time.Millisecond)
	for _, tc := range []struct {
		name, server, phase string
	}{
		{"https (no TLS handshake)", "https://" + addr, "did not complete the TLS handshake within 200ms"},
		{"http (no answer)", "http://" + addr, "did not answer within 400ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rc, err := RESTConfig(tc.server, "k8s-aws-v1.secret-token", nil, "eksaccess/test", to)
			if err != nil {
				t.Fatal(err)
			}
			c, err := authnclient.NewForConfig(rc)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = c.SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
			took := time.Since(start)
			err = TimeoutError(tc.server, err, to)
			if err == nil {
				t.Fatal("no error from a stalled endpoint")
			}
			if took > 3*time.Second {
				t.Errorf("took %s with a 400ms timeout", took)
			}
			msg := err.Error()
			for _, want := range []string{tc.server, tc.phase, "--timeout", "EKSACCESS_TIMEOUT"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q: %s", want, msg)
				}
			}
			if strings.Contains(msg, "secret-token") {
				t.Errorf("error shows the token: %s", msg)
			}
		})
	}
}

func TestHTTPClientBoundsTheWholeRequest(t *testing.T) {
	t.Parallel()
	addr := stalled(t)
	to := awsapi.TimeoutsFor(300 * time.Millisecond)
	hc, err := HTTPClient(nil, to)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = hc.Get("http://" + addr + "/api/v1/namespaces/kube-system/configmaps/aws-auth")
	if err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("err %v after %s", err, time.Since(start))
	}
	if msg := TimeoutError("http://"+addr, err, to).Error(); !strings.Contains(msg, "did not answer within 300ms") {
		t.Errorf("error: %s", msg)
	}
	if _, err := HTTPClient([]byte("not a certificate"), to); err == nil {
		t.Error("HTTPClient accepted CA data without a certificate")
	}
}

package kubeauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strings"

	"k8s.io/client-go/rest"

	"eksaccess/internal/awsapi"
)

// Transport is an HTTP transport for a cluster's Kubernetes API that trusts caPEM (the
// cluster's certificate authority; empty: the system roots) and bounds the connection and
// TLS handshake by t, and the wait for response headers by t.Attempt.
func Transport(caPEM []byte, t awsapi.Timeouts) (*http.Transport, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(caPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("the cluster's certificate authority data holds no PEM certificate")
		}
		tlsCfg.RootCAs = pool
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: t.Connect}).DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   t.TLSHandshake,
		ResponseHeaderTimeout: t.Attempt,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   8,
	}, nil
}

// HTTPClient is a client for a cluster's Kubernetes API whose every request (body included)
// ends within t.Attempt.
func HTTPClient(caPEM []byte, t awsapi.Timeouts) (*http.Client, error) {
	tr, err := Transport(caPEM, t)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: tr, Timeout: t.Attempt}, nil
}

// RESTConfig is a client-go configuration for host with a bearer token, trusting caPEM,
// with the timeouts of t on every request.
func RESTConfig(host, token string, caPEM []byte, userAgent string, t awsapi.Timeouts) (*rest.Config, error) {
	tr, err := Transport(caPEM, t)
	if err != nil {
		return nil, err
	}
	return &rest.Config{
		Host:        host,
		BearerToken: token,
		UserAgent:   userAgent,
		Transport:   tr,
		Timeout:     t.Attempt,
	}, nil
}

// TimeoutError turns a timed-out request to a cluster's Kubernetes API into an error that
// names the endpoint and the flag; other errors are returned as they are.
func TimeoutError(server string, err error, t awsapi.Timeouts) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	phase, after := "", t.Attempt
	var ne net.Error
	switch {
	case strings.Contains(msg, "TLS handshake timeout"):
		phase, after = "TLS handshake", t.TLSHandshake
	case strings.Contains(msg, "Client.Timeout exceeded"), strings.Contains(msg, "timeout awaiting response headers"),
		errors.Is(err, context.DeadlineExceeded):
		phase = "answer"
	case errors.As(err, &ne) && ne.Timeout():
		phase = "answer"
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			phase, after = "connect", t.Connect
		}
	default:
		return err
	}
	return &awsapi.TimeoutError{Service: "Kubernetes", Endpoint: server, Phase: phase, After: after, Err: err}
}

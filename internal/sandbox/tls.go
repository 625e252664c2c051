package sandbox

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"eksaccess/internal/sandbox/certs"
)

// Files of the Kubernetes endpoints' certificate authority inside a state directory.
const (
	CACertFile = "ca.crt"
	CAKeyFile  = "ca.key"
)

type authority struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

// loadOrCreateCA returns the state directory's CA, making it on first use. It lives as long
// as the directory so that kubeconfigs written earlier (certificate-authority-data) keep working.
func loadOrCreateCA(dir string, now time.Time) (*authority, error) {
	certPEM, errC := os.ReadFile(filepath.Join(dir, CACertFile))
	keyPEM, errK := os.ReadFile(filepath.Join(dir, CAKeyFile))
	if errC == nil && errK == nil {
		ca, err := parseCA(certPEM, keyPEM)
		if err == nil && now.Before(ca.cert.NotAfter) {
			return ca, nil
		}
	} else if !errors.Is(errC, os.ErrNotExist) && errC != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, CACertFile), errC)
	}
	return createCA(dir, now)
}

func parseCA(certPEM, keyPEM []byte) (*authority, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, errors.New("not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, err
	}
	return &authority{cert: cert, key: key, certPEM: certPEM}, nil
}

func createCA(dir string, now time.Time) (*authority, error) {
	tmpl := &x509.Certificate{
		SerialNumber:          certs.Serial(127),
		Subject:               pkix.Name{CommonName: "eksaccess sandbox CA", Organization: []string{"eksaccess sandbox"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, key, err := certs.Issue(tmpl, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("create sandbox CA: %w", err)
	}
	cert, _ := x509.ParseCertificate(der)
	// Key first: a crash between the two writes leaves no certificate, so the pair is remade.
	if err := certs.WriteKey(filepath.Join(dir, CAKeyFile), key, true); err != nil {
		return nil, fmt.Errorf("write sandbox CA key: %w", err)
	}
	certPEM, err := certs.WritePEM(filepath.Join(dir, CACertFile), "CERTIFICATE", der, 0o600, true)
	if err != nil {
		return nil, fmt.Errorf("write sandbox CA certificate: %w", err)
	}
	return &authority{cert: cert, key: key, certPEM: certPEM}, nil
}

// serverCert issues a fresh certificate for the loopback names, signed by the CA.
func (ca *authority) serverCert(now time.Time) (tls.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber: certs.Serial(127),
		Subject:      pkix.Name{CommonName: "eksaccess sandbox kubernetes"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  certs.LoopbackIPs(),
	}
	der, key, err := certs.Issue(tmpl, ca.cert, ca.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issue sandbox server certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key}, nil
}

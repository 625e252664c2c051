package sandbox

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"eksaccess/internal/atomicfile"
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

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return n
}

func createCA(dir string, now time.Time) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate sandbox CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "eksaccess sandbox CA", Organization: []string{"eksaccess sandbox"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create sandbox CA: %w", err)
	}
	cert, _ := x509.ParseCertificate(der)
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	// Key first: a crash between the two writes leaves no certificate, so the pair is remade.
	if err := atomicfile.Write(filepath.Join(dir, CAKeyFile), keyPEM, 0o600, true); err != nil {
		return nil, fmt.Errorf("write sandbox CA key: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, CACertFile), certPEM, 0o600, true); err != nil {
		return nil, fmt.Errorf("write sandbox CA certificate: %w", err)
	}
	return &authority{cert: cert, key: key, certPEM: certPEM}, nil
}

// serverCert issues a fresh certificate for the loopback names, signed by the CA.
func (ca *authority) serverCert(now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "eksaccess sandbox kubernetes"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issue sandbox server certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key}, nil
}

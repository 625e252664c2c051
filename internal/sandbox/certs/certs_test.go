package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestIssueChain issues a CA and a loopback server certificate under it, writes both as PEM
// and checks that the server certificate verifies against the CA read back from disk.
func TestIssueChain(t *testing.T) {
	now := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	caTmpl := &x509.Certificate{
		SerialNumber: Serial(127), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, caKey, err := Issue(caTmpl, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	srvDER, _, err := Issue(&x509.Certificate{
		SerialNumber: Serial(62), Subject: pkix.Name{CommonName: "test server"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 1, 0),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"}, IPAddresses: LoopbackIPs(),
	}, ca, caKey)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	caPEM, err := WritePEM(filepath.Join(dir, "ca.crt"), "CERTIFICATE", caDER, 0o644, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKey(filepath.Join(dir, "ca.key"), caKey, false); err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil || string(onDisk) != string(caPEM) {
		t.Fatalf("ca.crt = %q, %v; WritePEM returned %q", onDisk, err, caPEM)
	}
	if fi, err := os.Stat(filepath.Join(dir, "ca.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("ca.key: %v, %v", fi, err)
	}
	keyPEM, _ := os.ReadFile(filepath.Join(dir, "ca.key"))
	if b, _ := pem.Decode(keyPEM); b == nil || b.Type != "EC PRIVATE KEY" {
		t.Fatalf("ca.key is not an EC PRIVATE KEY block: %q", keyPEM)
	} else if k, err := x509.ParseECPrivateKey(b.Bytes); err != nil || !k.Equal(caKey) {
		t.Fatalf("ca.key holds another key: %v", err)
	}

	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(onDisk) {
		t.Fatal("ca.crt does not parse")
	}
	srv, err := x509.ParseCertificate(srvDER)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := srv.Verify(x509.VerifyOptions{Roots: pool, DNSName: name, CurrentTime: now}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	if srv.SerialNumber.BitLen() > 62 || ca.SerialNumber.BitLen() > 127 {
		t.Errorf("serials too long: %d, %d bits", srv.SerialNumber.BitLen(), ca.SerialNumber.BitLen())
	}
}

package kubereal

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"eksaccess/internal/sandbox/certs"
)

// pki is a cluster's key material, kept in its directory so the API server's data (service
// account tokens, the serving certificate kubelets would pin) stays valid across restarts:
//
//	ca.crt/ca.key           signs the API server's serving certificate and the admin client's
//	apiserver.crt/.key      the serving certificate, for 127.0.0.1
//	admin.crt/.key          the sandbox's own client (group system:masters)
//	sa.key/sa.pub           service account token signing
type pki struct {
	dir    string
	caPool *x509.CertPool
	admin  tls.Certificate
}

func (p *pki) path(name string) string { return filepath.Join(p.dir, name) }

func loadOrCreatePKI(dir string, now time.Time) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := &pki{dir: dir}
	if err := p.load(now); err == nil {
		return p, nil
	}
	if err := p.create(now); err != nil {
		return nil, fmt.Errorf("create the API server's certificates in %s: %w", dir, err)
	}
	if err := p.load(now); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *pki) load(now time.Time) error {
	caPEM, err := os.ReadFile(p.path("ca.crt"))
	if err != nil {
		return err
	}
	for _, f := range []string{"apiserver.crt", "apiserver.key", "sa.key", "sa.pub"} {
		if _, err := os.Stat(p.path(f)); err != nil {
			return err
		}
	}
	admin, err := tls.LoadX509KeyPair(p.path("admin.crt"), p.path("admin.key"))
	if err != nil {
		return err
	}
	if admin.Leaf != nil && now.After(admin.Leaf.NotAfter) {
		return fmt.Errorf("expired")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return fmt.Errorf("bad ca.crt")
	}
	p.caPool, p.admin = pool, admin
	return nil
}

func (p *pki) create(now time.Time) error {
	ca := &x509.Certificate{
		SerialNumber:          certs.Serial(62),
		Subject:               pkix.Name{CommonName: "eksaccess sandbox kube-apiserver CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, caKey, err := certs.Issue(ca, nil, nil)
	if err != nil {
		return err
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		return err
	}
	leaf := func(name, cn string, org []string, usage x509.ExtKeyUsage, ips []net.IP, dns []string) error {
		tmpl := &x509.Certificate{
			SerialNumber: certs.Serial(62),
			Subject:      pkix.Name{CommonName: cn, Organization: org},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.AddDate(10, 0, 0),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  ips,
			DNSNames:     dns,
		}
		der, key, err := certs.Issue(tmpl, ca, caKey)
		if err != nil {
			return err
		}
		if err := certs.WriteKey(p.path(name+".key"), key, false); err != nil {
			return err
		}
		return writePEM(p.path(name+".crt"), "CERTIFICATE", der, 0o644)
	}
	if err := leaf("apiserver", "kube-apiserver", nil, x509.ExtKeyUsageServerAuth,
		certs.LoopbackIPs(), []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}); err != nil {
		return err
	}
	if err := leaf("admin", "eksaccess-sandbox", []string{"system:masters"}, x509.ExtKeyUsageClientAuth, nil, nil); err != nil {
		return err
	}
	// Service account tokens: RSA, as kube-apiserver's examples and EKS use.
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return err
	}
	if err := writePEM(p.path("sa.key"), "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(saKey), 0o600); err != nil {
		return err
	}
	if err := writePEM(p.path("sa.pub"), "PUBLIC KEY", pub, 0o644); err != nil {
		return err
	}
	// ca.key is written but never needed again; the CA certificate last, as the marker.
	if err := certs.WriteKey(p.path("ca.key"), caKey, false); err != nil {
		return err
	}
	return writePEM(p.path("ca.crt"), "CERTIFICATE", caDER, 0o644)
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	_, err := certs.WritePEM(path, typ, der, mode, false)
	return err
}

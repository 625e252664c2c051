// Package certs issues the sandbox's X.509 certificates (the Kubernetes endpoints' CA and
// serving certificate, and a real kube-apiserver's PKI): P-256 keys, random serial numbers,
// PEM files written atomically.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"

	"eksaccess/internal/atomicfile"
)

// Serial returns a random serial number below 2^bits.
func Serial(bits uint) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), bits))
	if err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return n
}

// Issue makes a fresh P-256 key and a certificate for it from tmpl, signed by parent with
// parentKey; a nil parent makes it self-signed (a CA's own certificate). It returns the
// certificate's DER bytes.
func Issue(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) ([]byte, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, err
	}
	return der, key, nil
}

// LoopbackIPs are the addresses a certificate for a server on loopback names: 127.0.0.1, ::1.
func LoopbackIPs() []net.IP { return []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")} }

// WritePEM writes der as one PEM block of type typ to path, atomically (and synced to disk
// when fsync), and returns the PEM bytes.
func WritePEM(path, typ string, der []byte, mode os.FileMode, fsync bool) ([]byte, error) {
	b := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	return b, atomicfile.Write(path, b, mode, fsync)
}

// WriteKey writes key to path as an EC PRIVATE KEY block readable by its owner only.
func WriteKey(path string, key *ecdsa.PrivateKey, fsync bool) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	_, err = WritePEM(path, "EC PRIVATE KEY", der, 0o600, fsync)
	return err
}

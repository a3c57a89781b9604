// Package pkitest makes a hospital's own PKI for tests of the kiosk's
// transport: a CA, a CA nobody asked for, and a centre certificate the
// first issued for loopback, with the pins of their keys worked out here
// rather than by the code under test. It is imported by tests only.
package pkitest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI is a CA, another CA and a centre certificate the first issued.
type PKI struct {
	CAFile      string          // the hospital's CA, PEM
	OtherCAFile string          // a CA that issued nothing here, PEM
	Centre      tls.Certificate // for 127.0.0.1, ::1 and localhost
	CertFile    string          // the centre's certificate, PEM
	KeyFile     string          // its key, PEM
	CentrePin   string          // "sha256//BASE64" of the centre's key
	CAPin       string          // the same of the CA's key
}

// New makes a PKI in a temp dir of tb's.
func New(tb testing.TB) PKI {
	tb.Helper()
	dir := tb.TempDir()
	now := time.Now()
	ca, caKey, caFile := newCA(tb, dir, "hospital-ca", now)
	_, _, otherFile := newCA(tb, dir, "other-ca", now)
	key := newKey(tb)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "centre"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	return PKI{CAFile: caFile, OtherCAFile: otherFile, CentrePin: pin(leaf), CAPin: pin(ca),
		Centre:   tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		CertFile: writePEM(tb, filepath.Join(dir, "centre.crt"), "CERTIFICATE", der),
		KeyFile:  writePEM(tb, filepath.Join(dir, "centre.key"), "EC PRIVATE KEY", kder)}
}

// writePEM writes one PEM block to path and returns path.
func writePEM(tb testing.TB, path, kind string, der []byte) string {
	tb.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// Serve serves h over HTTPS on loopback with the centre's certificate
// until the test ends, and returns its base URL.
func (p PKI) Serve(tb testing.TB, h http.Handler) string {
	tb.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.Centre}}
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	return srv.URL
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// newCA makes a self-signed CA and writes it to dir/name.pem.
func newCA(tb testing.TB, dir, name string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, string) {
	tb.Helper()
	key := newKey(tb)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return cert, key, writePEM(tb, filepath.Join(dir, name+".pem"), "CERTIFICATE", der)
}

// pin is curl's --pinnedpubkey form of a certificate's key.
func pin(c *x509.Certificate) string {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return "sha256//" + base64.StdEncoding.EncodeToString(sum[:])
}

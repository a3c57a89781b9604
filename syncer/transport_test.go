package syncer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lobbyline/syncer"
	"lobbyline/syncer/centre"
)

func TestCheckCentreURL(t *testing.T) {
	for _, tc := range []struct {
		url      string
		insecure bool
		ok       bool
	}{
		{"https://centre.example:8470", false, true},
		{"https://10.1.2.3", false, true},
		{"http://127.0.0.1:8470", false, true},
		{"http://127.9.8.7", false, true},
		{"http://[::1]:8470", false, true},
		{"http://localhost:8470", false, true},
		{"http://LocalHost", false, true},
		{"http://centre.example:8470", false, false},
		{"http://10.1.2.3:8470", false, false},
		{"http://localhost.example.com", false, false},
		{"http://[::ffff:10.0.0.1]", false, false},
		{"http://centre.example:8470", true, true},
		{"ftp://centre.example", true, false},
		{"centre.example:8470", true, false},
	} {
		err := syncer.CheckCentreURL(tc.url, tc.insecure)
		if (err == nil) != tc.ok {
			t.Errorf("CheckCentreURL(%q, insecure %v) = %v, want ok %v", tc.url, tc.insecure, err, tc.ok)
		}
		if err != nil && strings.HasPrefix(tc.url, "http://") && (!errors.Is(err, syncer.ErrPlainHTTP) || !strings.Contains(err.Error(), "insecure = true")) {
			t.Errorf("CheckCentreURL(%q): %v, want it to say how to go on", tc.url, err)
		}
	}
}

func TestParsePins(t *testing.T) {
	pin := "sha256//" + strings.Repeat("A", 43) + "="
	for _, tc := range []struct {
		in   string
		want int // pins read; -1 an error
	}{
		{"", 0},
		{pin, 1},
		{strings.Replace(pin, "//", "/", 1), 1},
		{pin + ";" + pin, 2},
		{" " + pin + " ; ", 1},
		{strings.TrimPrefix(pin, "sha256//"), -1},
		{"sha1//" + strings.Repeat("A", 27) + "=", -1},
		{"sha256//" + strings.Repeat("A", 40) + "=", -1},
		{"sha256//not base64!", -1},
	} {
		got, err := syncer.ParsePins(tc.in)
		if (err != nil) != (tc.want < 0) || (err == nil && len(got) != tc.want) {
			t.Errorf("ParsePins(%q) = %d pins, %v; want %d", tc.in, len(got), err, tc.want)
		}
	}
}

// pki is a hospital's own CA and a centre certificate it issued for
// loopback, as PEM files in a temp dir.
type pki struct {
	caFile, otherCAFile string
	centre              tls.Certificate
	leafPin, caPin      string
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	now := time.Now()
	newCA := func(name string) (*x509.Certificate, *ecdsa.PrivateKey, string) {
		key := newKey()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+".pem")
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return cert, key, path
	}
	ca, caKey, caFile := newCA("hospital-ca")
	_, _, otherFile := newCA("other-ca")
	leafKey := newKey()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "centre"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return pki{caFile: caFile, otherCAFile: otherFile, leafPin: syncer.PinOf(leaf), caPin: syncer.PinOf(ca),
		centre: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: leafKey, Leaf: leaf}}
}

// serveTLS serves h over HTTPS on loopback with the centre's certificate.
func serveTLS(t *testing.T, p pki, h http.Handler) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.centre}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

// A kiosk reaches a centre whose certificate the hospital's CA issued
// only with that CA, and, with a pin, only if the centre's key is pinned.
func TestTransportTrustsTheHospitalCAAndThePin(t *testing.T) {
	ctx := context.Background()
	p := newPKI(t)
	c := startCentre(t)
	token, err := c.store.Enroll(ctx, "north", "a", "A")
	if err != nil {
		t.Fatal(err)
	}
	url := serveTLS(t, p, centre.NewServer(c.store.Service, centre.ServerOptions{}))

	for _, tc := range []struct {
		name string
		tr   syncer.Transport
		want error // nil, or what the error is
	}{
		{"the system's roots", syncer.Transport{}, &tls.CertificateVerificationError{}},
		{"another CA", syncer.Transport{CAFile: p.otherCAFile}, &tls.CertificateVerificationError{}},
		{"the hospital's CA", syncer.Transport{CAFile: p.caFile}, nil},
		{"the CA and the centre's pin", syncer.Transport{CAFile: p.caFile, Pin: p.leafPin}, nil},
		{"a new pin beside the old", syncer.Transport{CAFile: p.caFile, Pin: p.caPin + ";" + p.leafPin}, nil},
		{"the CA's pin, not the centre's", syncer.Transport{CAFile: p.caFile, Pin: p.caPin}, syncer.ErrPinMismatch},
		{"the pin without the CA", syncer.Transport{Pin: p.leafPin}, &tls.CertificateVerificationError{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hc, err := tc.tr.HTTPClient()
			if err != nil {
				t.Fatal(err)
			}
			client, err := syncer.NewClient(url, "north", token, hc)
			if err != nil {
				t.Fatal(err)
			}
			for what, err := range map[string]error{
				"probe": client.Healthy(ctx),
				"pull":  func() error { _, err := client.Pull(ctx, 0, 10, false); return err }(),
				"enrol": func() error { _, err := client.Enrol(ctx, "ABCDE-FGHJK", "b"); return err }(),
			} {
				var cve *tls.CertificateVerificationError
				switch {
				case tc.want == nil && what == "enrol":
					if _, ok := errors.AsType[*syncer.HTTPError](err); !ok {
						t.Errorf("%s: %v, want the centre's refusal of the code", what, err)
					}
				case tc.want == nil && err != nil:
					t.Errorf("%s: %v", what, err)
				case tc.want == syncer.ErrPinMismatch:
					if !errors.Is(err, syncer.ErrPinMismatch) || !strings.Contains(err.Error(), p.leafPin) {
						t.Errorf("%s: %v, want a pin mismatch naming the centre's key %s", what, err, p.leafPin)
					}
				case tc.want != nil && !errors.As(err, &cve):
					t.Errorf("%s: %v, want an unknown authority", what, err)
				}
			}
		})
	}
}

// A centre whose key is not pinned: the sync fails at the handshake, and
// the status staff see says why.
func TestTransportPinMismatchReachesTheStatus(t *testing.T) {
	ctx := context.Background()
	p := newPKI(t)
	c := startCentre(t)
	token, err := c.store.Enroll(ctx, "north", "a", "A")
	if err != nil {
		t.Fatal(err)
	}
	url := serveTLS(t, p, centre.NewServer(c.store.Service, centre.ServerOptions{}))
	k := newKioskWithToken(t, url, "a", token)
	hc, err := syncer.Transport{CAFile: p.caFile, Pin: p.caPin}.HTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	client, err := syncer.NewClient(url, "north", token, hc)
	if err != nil {
		t.Fatal(err)
	}
	sy := syncer.New(k.store, client, syncer.Config{})
	k.checkIn(t, "Ann")
	if err := sy.Sync(ctx); !errors.Is(err, syncer.ErrPinMismatch) {
		t.Fatalf("sync: %v, want a pin mismatch", err)
	}
	if st := sy.Status(); st.State != syncer.Offline || !strings.Contains(st.LastError, "does not match centre_pin: it presents "+p.leafPin) {
		t.Errorf("status: %s, %q", st.State, st.LastError)
	}
}

// A redirect does not take the kiosk's token to plain HTTP.
func TestTransportRefusesARedirectToPlainHTTP(t *testing.T) {
	p := newPKI(t)
	url := serveTLS(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://centre.example"+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	hc, err := syncer.Transport{CAFile: p.caFile}.HTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	client, err := syncer.NewClient(url, "north", "llk_secret", hc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Pull(context.Background(), 0, 10, false); !errors.Is(err, syncer.ErrPlainHTTP) {
		t.Fatalf("pull redirected to plain HTTP: %v", err)
	}
}

func TestTransportRefusesABadCAFile(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bad, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tr := range []syncer.Transport{{CAFile: bad}, {CAFile: bad + ".missing"}, {Pin: "sha256//short"}} {
		if _, err := tr.HTTPClient(); err == nil {
			t.Errorf("%+v: no error", tr)
		}
	}
}

package syncer

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Transport is how a kiosk's requests reach its centre: which
// certificates it trusts, and whether plain HTTP may cross a network.
// Every request of a kiosk (sync, the outage monitor's probe, enrolment)
// goes through the client HTTPClient builds, so the rules hold for all.
type Transport struct {
	// CAFile is a PEM bundle of the CAs the centre's certificate must
	// chain to, for a hospital's own PKI. Set, it replaces the system's
	// roots: a centre on an internal name needs no public CA, and trusting
	// only the hospital's narrows who can pose as the centre. "" uses the
	// system's roots.
	CAFile string
	// Pin is the centre's public key this kiosk accepts,
	// "sha256//BASE64" (as curl's --pinnedpubkey): the SHA-256 of the
	// certificate's SubjectPublicKeyInfo; several, for a change of key,
	// are separated by ";". It is checked after the certificate chain,
	// not instead of it. "" means no pinning.
	Pin string
	// Insecure allows plain http:// to a centre that is not on this
	// machine, for a lab without TLS. It never turns certificate checks
	// off.
	Insecure bool
	// Timeout bounds each request; zero means none (callers pass
	// contexts).
	Timeout time.Duration
}

// ErrPlainHTTP is a centre address over plain HTTP to another machine,
// which the transport refuses unless told Insecure; the error is a
// *PlainHTTPError.
var ErrPlainHTTP = errors.New("syncer: plain HTTP to a centre on another machine")

// PlainHTTPError is the refusal of an address over plain HTTP, saying
// what to do instead.
type PlainHTTPError struct{ URL string }

func (e *PlainHTTPError) Error() string {
	return fmt.Sprintf("the centre's address %s is plain HTTP to another machine, which would carry the kiosk's token and visitors' names in clear: "+
		"use https:// (with ca_file for the hospital's own CA), or, for a lab without TLS only, set insecure = true in the kiosk's config", e.URL)
}

func (e *PlainHTTPError) Is(target error) bool { return target == ErrPlainHTTP }

// CheckCentreURL refuses an address the transport would not use: plain
// http:// to a host other than loopback (127.0.0.0/8, ::1, localhost),
// unless insecure. The kiosk's token and visitors' names would cross the
// network in clear.
func CheckCentreURL(raw string, insecure bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("centre address %q: want https://host[:port]", raw)
	}
	if u.Scheme == "https" || insecure || loopbackHost(u.Hostname()) {
		return nil
	}
	return &PlainHTTPError{URL: u.Redacted()}
}

// loopbackHost reports whether host names this machine: localhost, or a
// loopback IP.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// pinPrefix starts a pin, as curl writes it; "sha256/" is read too.
const pinPrefix = "sha256//"

// ParsePins reads pins written "sha256//BASE64", several separated by
// ";" (as curl's --pinnedpubkey), into the digests they name.
func ParsePins(s string) ([][]byte, error) {
	var out [][]byte
	for p := range strings.SplitSeq(s, ";") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		b64, ok := strings.CutPrefix(p, "sha256/")
		b64 = strings.TrimPrefix(b64, "/")
		sum, err := base64.StdEncoding.DecodeString(b64)
		if !ok || err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("pin %q: want %sBASE64, the SHA-256 of the centre's public key (see README, Transport)", p, pinPrefix)
		}
		out = append(out, sum)
	}
	return out, nil
}

// PinOf is the pin of a certificate's public key, "sha256//BASE64".
func PinOf(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return pinPrefix + base64.StdEncoding.EncodeToString(sum[:])
}

// LoadCAFile reads a PEM bundle of CA certificates; a file with none is
// an error.
func LoadCAFile(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- ca_file, the path the config names
	if err != nil {
		return nil, fmt.Errorf("ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("ca_file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// ErrPinMismatch is a centre whose certificate's key is not pinned; the
// error is a *PinError.
var ErrPinMismatch = errors.New("syncer: the centre's key is not pinned")

// PinError is a TLS handshake refused for the centre's key, naming the
// key it presented.
type PinError struct{ Presented string }

func (e *PinError) Error() string {
	return fmt.Sprintf("the centre's certificate does not match centre_pin: it presents %s "+
		"(if IT changed the centre's key, centre_pin needs the new one; if not, something else answers as the centre)", e.Presented)
}

func (e *PinError) Is(target error) bool { return target == ErrPinMismatch }

// HTTPClient builds the client for every request to the centre. Its
// redirects obey CheckCentreURL too, so a centre cannot send the token
// on to plain HTTP.
func (t Transport) HTTPClient() (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pool, err := LoadCAFile(t.CAFile)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	}
	pins, err := ParsePins(t.Pin)
	if err != nil {
		return nil, fmt.Errorf("centre_pin: %w", err)
	}
	if len(pins) > 0 {
		// After the chain is verified: the leaf's key must be one pinned.
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return &PinError{Presented: "no certificate"}
			}
			leaf := cs.PeerCertificates[0]
			sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
			for _, p := range pins {
				if bytes.Equal(p, sum[:]) {
					return nil
				}
			}
			return &PinError{Presented: PinOf(leaf)}
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	return &http.Client{
		Transport: tr,
		Timeout:   t.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return CheckCentreURL(req.URL.String(), t.Insecure)
		},
	}, nil
}

package syncer_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/pkitest"
	"lobbyline/syncer/wire"
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

// tlsCentre is a centre serving HTTPS with a certificate from a
// hospital's own CA, and the token of kiosk a at site north.
func tlsCentre(t *testing.T) (p pkitest.PKI, url, token string) {
	t.Helper()
	p = pkitest.New(t)
	c := startCentre(t)
	token, err := c.store.Enroll(context.Background(), "north", "a", "A", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	return p, p.Serve(t, centre.NewServer(c.store.Service, centre.ServerOptions{})), token
}

// A kiosk reaches a centre whose certificate the hospital's CA issued
// only with that CA, and, with a pin, only if the centre's key is pinned.
func TestTransportTrustsTheHospitalCAAndThePin(t *testing.T) {
	ctx := context.Background()
	p, url, token := tlsCentre(t)

	for _, tc := range []struct {
		name string
		tr   syncer.Transport
		want error // nil, or what the error is
	}{
		{"the system's roots", syncer.Transport{}, &tls.CertificateVerificationError{}},
		{"another CA", syncer.Transport{CAFile: p.OtherCAFile}, &tls.CertificateVerificationError{}},
		{"the hospital's CA", syncer.Transport{CAFile: p.CAFile}, nil},
		{"the CA and the centre's pin", syncer.Transport{CAFile: p.CAFile, Pin: p.CentrePin}, nil},
		{"a new pin beside the old", syncer.Transport{CAFile: p.CAFile, Pin: p.CAPin + ";" + p.CentrePin}, nil},
		{"the CA's pin, not the centre's", syncer.Transport{CAFile: p.CAFile, Pin: p.CAPin}, syncer.ErrPinMismatch},
		{"the pin without the CA", syncer.Transport{Pin: p.CentrePin}, &tls.CertificateVerificationError{}},
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
					if !errors.Is(err, syncer.ErrPinMismatch) || !strings.Contains(err.Error(), p.CentrePin) {
						t.Errorf("%s: %v, want a pin mismatch naming the centre's key %s", what, err, p.CentrePin)
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
	p, url, token := tlsCentre(t)
	k := newKioskWithToken(t, url, "a", token)
	hc, err := syncer.Transport{CAFile: p.CAFile, Pin: p.CAPin}.HTTPClient()
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
	if st := sy.Status(); st.State != syncer.Offline || !strings.Contains(st.LastError, "does not match centre_pin: it presents "+p.CentrePin) {
		t.Errorf("status: %s, %q", st.State, st.LastError)
	}
}

// A redirect does not take the kiosk's token to plain HTTP.
func TestTransportRefusesARedirectToPlainHTTP(t *testing.T) {
	p := pkitest.New(t)
	url := p.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://centre.example"+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	hc, err := syncer.Transport{CAFile: p.CAFile}.HTTPClient()
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

// The outage monitor's probe asks up or down and learns nothing else: it
// neither teaches the client the centre's protocol nor unlearns it.
func TestProbeLearnsOnlyUpOrDown(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	k := newKiosk(t, c, "a")
	if err := k.client.Healthy(ctx); err != nil {
		t.Fatal(err)
	}
	if got := k.client.Centre(); got.Protocol != 0 || got.Accepts != nil {
		t.Fatalf("after a probe the client knows %+v of the centre", got)
	}
	if _, err := k.client.Pull(ctx, 0, 10, false); err != nil {
		t.Fatal(err)
	}
	if err := k.client.Healthy(ctx); err != nil {
		t.Fatal(err)
	}
	if got := k.client.Centre(); got.Protocol != wire.Version || !got.Accepts[queue.KindCheckIn] {
		t.Fatalf("after a pull and a probe the client knows %+v of the centre", got)
	}
}

// A push over the body limit is answered 413, which the syncer splits on,
// though the centre closes the connection rather than read the body.
func TestOversizedPushIsAnswered413(t *testing.T) {
	c := startCentre(t)
	k := newKiosk(t, c, "a")
	pad := `{"pad":"` + strings.Repeat("x", wire.MaxBody) + `"}`
	for range 3 { // and the connection after it is a fresh one that works
		_, err := k.client.Push(context.Background(), wire.PushRequest{Kiosk: "a", Mutations: []wire.PushMutation{
			{Epoch: 1, Seq: 1, Kind: queue.KindCall, At: time.Now().UTC(), Payload: json.RawMessage(pad)}}})
		if he, ok := errors.AsType[*syncer.HTTPError](err); !ok || he.Status != http.StatusRequestEntityTooLarge || !he.AboutContent() {
			t.Fatalf("oversized push: %v, want 413", err)
		}
		if _, err := k.client.Pull(context.Background(), 0, 10, false); err != nil {
			t.Fatalf("pull after the 413: %v", err)
		}
	}
}

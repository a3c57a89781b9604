package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/pkitest"
	"lobbyline/syncer/wire"
)

// startServe runs serve with args in the background until the test ends,
// and returns its base URL once it listens.
func startServe(t *testing.T, scheme string, args ...string) string {
	t.Helper()
	m, _ := newMain(t)
	if err := m.ParseFlags(append(args, "--listen", "127.0.0.1:0")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve after shutdown: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	select {
	case <-m.Listening():
	case err := <-done:
		done <- err // for the cleanup
		t.Fatalf("serve ended before it listened: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("serve did not listen within a minute")
	}
	return scheme + "://" + m.Addr().String()
}

func testServe(t *testing.T, store string) {
	c := newCentre(t, store)
	c.mustRun("site", "add", "north", "North Hospital")
	c.mustRun("site", "add", "south", "South Clinic")
	token := c.enroll("north", "lobby-1")
	revoked := c.enroll("north", "lobby-2")
	c.mustRun("revoke", "lobby-2")
	c.mustRun("import", "prereg", "--site", "north",
		writeFile(t, t.TempDir(), "p.csv", "code,name,host,expected\nAB12-CD34,Ana García,Dr Ruiz,2026-03-02T10:00:00Z\n"))

	const scrape = "q3Jz0c1bW9fQm2n5Yt8Lx4Vr7Pk6Hs2Ge1Da0Fc9Ub8="
	cfg := writeFile(t, t.TempDir(), "central.toml", `metrics_token = "`+scrape+`"`+"\n")
	base := startServe(t, "http", "--config", cfg, "--store", store)
	ctx := context.Background()
	hc := &http.Client{Timeout: 10 * time.Second}
	pull := func(site, token string) (wire.PullResponse, error) {
		t.Helper()
		cl, err := syncer.NewClient(base, site, token, hc)
		if err != nil {
			t.Fatal(err)
		}
		return cl.Pull(ctx, 0, 100, false)
	}
	status := func(err error) int {
		var he *syncer.HTTPError
		if errors.As(err, &he) {
			return he.Status
		}
		return 0
	}

	page, err := pull("north", token)
	if err != nil {
		t.Fatalf("pull with a good token: %v", err)
	}
	if len(page.Records) != 1 || page.Records[0].Entity != queue.EntityPreReg || page.Records[0].Key != "AB12-CD34" || page.Cursor != 1 {
		t.Fatalf("pull returned %+v", page)
	}
	var p queue.PreRegistration
	if err := json.Unmarshal(page.Records[0].Data, &p); err != nil || p.Name != "Ana García" || !p.Expected.Equal(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("pulled %s: %+v, %v", page.Records[0].Data, p, err)
	}
	if _, err := pull("north", revoked); status(err) != http.StatusUnauthorized {
		t.Fatalf("pull with a revoked token: %v, want 401", err)
	}
	if _, err := pull("south", token); status(err) != http.StatusForbidden {
		t.Fatalf("pull from another site: %v, want 403", err)
	}
	// The centre keeps no state of its own: a kiosk enrolled while it
	// runs can pull at once, and one revoked while it runs cannot.
	late := c.enroll("south", "er-1")
	if _, err := pull("south", late); err != nil {
		t.Fatalf("pull by a kiosk enrolled while serving: %v", err)
	}
	c.mustRun("revoke", "lobby-1")
	if _, err := pull("north", token); status(err) != http.StatusUnauthorized {
		t.Fatalf("pull after revoke while serving: %v, want 401", err)
	}

	if code, body := get(t, hc, base+"/healthz"); code != http.StatusOK || !strings.Contains(body, `"ok"`) {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	if code, body := get(t, hc, base+"/metrics"); code != http.StatusUnauthorized || strings.Contains(body, "lobby-1") {
		t.Fatalf("/metrics without the scrape token: %d\n%s", code, body)
	}
	req, err := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+scrape)
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	code, body := res.StatusCode, string(b)
	for _, want := range []string{
		`lobbyline_central_requests_total{code="200",route="pull"} 2`,
		`lobbyline_central_requests_total{code="401",route="pull"} 2`,
		"go_goroutines", "go_sql_open_connections",
	} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("/metrics: %d, no %q in\n%s", code, want, body)
		}
	}
}

func get(t *testing.T, hc *http.Client, url string) (int, string) {
	t.Helper()
	res, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// TestServeTLS: the centre serves HTTPS with its certificate, which a
// kiosk's transport accepts with the hospital's CA and the centre's pin.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	p := pkitest.New(t)
	cfg := writeFile(t, dir, "central.toml", `tls_cert = "`+p.CertFile+`"
tls_key = "`+p.KeyFile+`"
`)
	base := startServe(t, "https", "--config", cfg, "--store", dir+"/central.db")
	hc, err := syncer.Transport{CAFile: p.CAFile, Pin: p.CentrePin, Timeout: 10 * time.Second}.HTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, hc, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz over TLS: %d", code)
	}
	// Plain HTTP to the TLS port is refused.
	res, err := http.Get("http" + strings.TrimPrefix(base, "https") + "/healthz")
	if err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP served on the TLS port")
		}
	}

	// A key that does not match its certificate stops serve before it
	// listens, naming the keys.
	bad := writeFile(t, dir, "bad.toml", `tls_cert = "`+p.CertFile+`"
tls_key = "`+pkitest.New(t).KeyFile+`"
`)
	m, _ := newMain(t)
	if err := m.ParseFlags([]string{"--config", bad, "--store", dir + "/central.db", "--listen", "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // had it started, serve would stop at once
	if err := m.Run(ctx); err == nil || !strings.Contains(err.Error(), "tls_cert and tls_key") {
		t.Fatalf("serve with a mismatched key: %v", err)
	}
	if m.Addr() != nil {
		t.Fatal("serve listened with a mismatched key")
	}
	m.Close()
}

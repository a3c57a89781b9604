package centre_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/wire"
)

// server is a centre on SQLite with a site "north", served over loopback.
type server struct {
	store centretest.Centre
	http  *httptest.Server
}

func startCentre(t *testing.T, opts ...centre.ServerOptions) *server {
	t.Helper()
	c := centretest.Open(t, filepath.Join(t.TempDir(), "central.db"), nil)
	if err := c.AddSite(context.Background(), "north", "North Hospital"); err != nil {
		t.Fatal(err)
	}
	var o centre.ServerOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	srv := httptest.NewServer(centre.NewServer(c.Service, o))
	t.Cleanup(srv.Close)
	return &server{store: c, http: srv}
}

// The API's answers to bad requests: a status and a reason a person can act on.
func TestServerRefusals(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	token, err := c.store.Enroll(ctx, "north", "a", "A", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.store.AddSite(ctx, "south", "South"); err != nil {
		t.Fatal(err)
	}
	revokedToken, err := c.store.Enroll(ctx, "north", "gone", "Gone", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.store.Revoke(ctx, "gone", centretest.IT); err != nil {
		t.Fatal(err)
	}
	huge := `{"kiosk":"a","mutations":[{"epoch":1,"seq":1,"kind":"call","at":"2026-11-23T09:00:00Z","hlc":"","payload":{"pad":"` +
		strings.Repeat("x", wire.MaxBody) + `"}}]}`
	tests := []struct {
		name, method, path, token, body string
		status                          int
		reason                          string
		protocol                        string // the Lobbyline-Protocol header, if any
	}{
		{"no token", "GET", "/v1/sites/north/pull", "", "", 401, "missing bearer token", ""},
		{"unknown token", "GET", "/v1/sites/north/pull", "llk_nope", "", 401, "not enrolled", ""},
		{"revoked token", "GET", "/v1/sites/north/pull", revokedToken, "", 401, "not enrolled", ""},
		{"other site", "GET", "/v1/sites/south/pull", token, "", 403, "not enrolled at site south", ""},
		{"bad cursor", "GET", "/v1/sites/north/pull?cursor=-4", token, "", 400, "cursor", ""},
		{"not json", "POST", "/v1/sites/north/push", token, "hello", 400, "malformed", ""},
		{"batch for another kiosk", "POST", "/v1/sites/north/push", token, `{"kiosk":"b","mutations":[]}`, 403, "batch names b", ""},
		{"oversized", "POST", "/v1/sites/north/push", token, huge, 413, "body over", ""},
		{"bad hlc", "POST", "/v1/sites/north/push", token, `{"kiosk":"a","mutations":[{"epoch":7,"seq":1,"kind":"call","at":"2026-11-23T09:00:00Z","hlc":"yesterday","payload":{}}]}`, 400, "mutation 0: hlc", ""},
		{"not a protocol", "GET", "/v1/sites/north/pull", token, "", 400, "not a protocol version", "two"},
		{"protocol zero", "GET", "/v1/sites/north/pull", token, "", 400, "not a protocol version", "0"},
		{"fine", "GET", "/v1/sites/north/pull", token, "", 200, "", ""},
		{"fine, protocol 2", "GET", "/v1/sites/north/pull", token, "", 200, "", "2"},
		{"fine, a newer kiosk", "GET", "/v1/sites/north/pull", token, "", 200, "", "3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, c.http.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			if tc.protocol != "" {
				req.Header.Set(wire.Header, tc.protocol)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if v := res.Header.Get(wire.Header); v != strconv.Itoa(wire.Version) {
				t.Errorf("%s: %q, want %d on every answer", wire.Header, v, wire.Version)
			}
			if tc.reason == "" {
				return
			}
			var e wire.ErrorBody
			if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Error, tc.reason) {
				t.Fatalf("reason %q, want it to mention %q (%v)", e.Error, tc.reason, err)
			}
		})
	}
}

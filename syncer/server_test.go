package syncer_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"lobbyline/syncer"
)

// The API's answers to bad requests: a status and a reason a person can act on.
func TestServerRefusals(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	token, err := c.store.Enroll(ctx, "north", "a", "A")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.store.AddSite(ctx, "south", "South"); err != nil {
		t.Fatal(err)
	}
	revokedToken, err := c.store.Enroll(ctx, "north", "gone", "Gone")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.store.Revoke(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	huge := `{"kiosk":"a","mutations":[{"epoch":1,"seq":1,"kind":"call","at":"2026-11-23T09:00:00Z","hlc":"","payload":{"pad":"` +
		strings.Repeat("x", syncer.MaxBody) + `"}}]}`
	tests := []struct {
		name, method, path, token, body string
		status                          int
		reason                          string
	}{
		{"no token", "GET", "/v1/sites/north/pull", "", "", 401, "missing bearer token"},
		{"unknown token", "GET", "/v1/sites/north/pull", "llk_nope", "", 401, "not enrolled"},
		{"revoked token", "GET", "/v1/sites/north/pull", revokedToken, "", 401, "not enrolled"},
		{"other site", "GET", "/v1/sites/south/pull", token, "", 403, "not enrolled at site south"},
		{"bad cursor", "GET", "/v1/sites/north/pull?cursor=-4", token, "", 400, "cursor"},
		{"not json", "POST", "/v1/sites/north/push", token, "hello", 400, "malformed"},
		{"batch for another kiosk", "POST", "/v1/sites/north/push", token, `{"kiosk":"b","mutations":[]}`, 403, "batch names b"},
		{"oversized", "POST", "/v1/sites/north/push", token, huge, 413, "body over"},
		{"fine", "GET", "/v1/sites/north/pull", token, "", 200, ""},
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
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if tc.reason == "" {
				return
			}
			var e syncer.ErrorBody
			if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Error, tc.reason) {
				t.Fatalf("reason %q, want it to mention %q (%v)", e.Error, tc.reason, err)
			}
		})
	}
}

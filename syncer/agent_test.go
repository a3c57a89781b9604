package syncer_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"lobbyline/syncer"
	"lobbyline/syncer/wire"
)

// TestClientDeclaresItsSoftware: every request with the token says which
// software the kiosk runs, for the centre's fleet console.
func TestClientDeclaresItsSoftware(t *testing.T) {
	agents := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents <- r.Header.Get("User-Agent")
		wire.SetVersion(w.Header())
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"records":[],"cursor":0,"now":"2026-12-01T09:00:00Z"}`))
	}))
	defer srv.Close()
	c, err := syncer.NewClient(srv.URL, "north", "llk_token", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Pull(context.Background(), 0, 10, false); err != nil {
		t.Fatal(err)
	}
	if got, want := <-agents, "lobbyline-kiosk/"+wire.BuildVersion(); got != want {
		t.Fatalf("User-Agent %q, want %q", got, want)
	}
	c.SetSoftware("1.5.0")
	if _, err := c.Pull(context.Background(), 0, 10, false); err != nil {
		t.Fatal(err)
	}
	if got := <-agents; got != "lobbyline-kiosk/1.5.0" {
		t.Fatalf("User-Agent %q after SetSoftware", got)
	}
}

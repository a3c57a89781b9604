package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// runWithStdin runs the program with --store and stdin.
func (c *program) runWithStdin(stdin string, args ...string) (string, error) {
	c.t.Helper()
	m, out := newMain(c.t)
	m.Stdin = strings.NewReader(stdin)
	m.PasswordCost = bcrypt.MinCost
	err := m.ParseFlags(append([]string{"--store", c.store}, args...))
	if err == nil {
		err = m.Run(context.Background())
	}
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	return out.String(), err
}

func TestAdminAddReadsThePasswordFromStdin(t *testing.T) {
	c := newCentre(t, t.TempDir()+"/central.db")
	for _, tc := range []struct{ stdin, want string }{
		{"", "no password on standard input"},
		{"\n", "no password on standard input"},
		{"short\n", "needs 12 characters or more"},
	} {
		if _, err := c.runWithStdin(tc.stdin, "admin", "add", "it-ops"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("admin add with stdin %q: %v, want %q", tc.stdin, err, tc.want)
		}
	}
	c.mustFail(`admin name "IT" must be lower-case`, "admin", "add", "IT")
	c.mustFail("admin add: takes 1 argument(s), NAME; got 2", "admin", "add", "it-ops", "correct horse battery")
	out, err := c.runWithStdin("correct horse battery\n", "admin", "add", "it-ops")
	if err != nil || !strings.Contains(out, "Admin it-ops can sign in") {
		t.Fatalf("admin add: %q, %v", out, err)
	}
}

// TestServeConsole: the console answers on admin_listen, and only there.
func TestServeConsole(t *testing.T) {
	store := t.TempDir() + "/central.db"
	c := newCentre(t, store)
	c.mustRun("site", "add", "north", "North Hospital")
	if _, err := c.runWithStdin("correct horse battery\n", "admin", "add", "it-ops"); err != nil {
		t.Fatal(err)
	}
	m, _ := newMain(t)
	m.PasswordCost = bcrypt.MinCost
	if err := m.ParseFlags([]string{"--store", store, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve after shutdown: %v", err)
		}
		m.Close()
	}()
	select {
	case <-m.Listening():
	case err := <-done:
		done <- nil
		t.Fatalf("serve ended before it listened: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("serve did not listen within a minute")
	}
	api, console := "http://"+m.Addr().String(), "http://"+m.AdminAddr().String()
	hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	if code, _ := get(t, hc, api+"/login"); code != http.StatusNotFound {
		t.Fatalf("the API serves the console's sign-in page: %d", code)
	}
	code, body := get(t, hc, console+"/login")
	if code != http.StatusOK || !strings.Contains(body, `name="csrf"`) {
		t.Fatalf("GET console /login: %d\n%s", code, body)
	}
	if code, _ := get(t, hc, console+"/healthz"); code == http.StatusOK {
		t.Fatal("the console serves the API's /healthz")
	}
	// Sign in as a browser would: the form's token and its cookie.
	req, _ := http.NewRequest(http.MethodGet, console+"/login", nil)
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body = readAll(t, res)
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)[1]
	form := url.Values{"csrf": {token}, "name": {"it-ops"}, "password": {"correct horse battery"}}
	req, _ = http.NewRequest(http.MethodPost, console+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range res.Cookies() {
		req.AddCookie(ck)
	}
	res, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, res)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %s", res.Status)
	}
	req, _ = http.NewRequest(http.MethodGet, console+"/", nil)
	for _, ck := range res.Cookies() {
		req.AddCookie(ck)
	}
	res, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, res); res.StatusCode != http.StatusOK || !strings.Contains(body, "North Hospital") {
		t.Fatalf("the fleet page: %s\n%s", res.Status, body)
	}
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

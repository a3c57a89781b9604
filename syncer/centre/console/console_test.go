package console_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"lobbyline/queue"
	"lobbyline/queue/hlc"
	"lobbyline/queue/siteconfig"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/centre/console"
	"lobbyline/syncer/wire"
)

const (
	adminName     = "it-ops"
	adminPassword = "correct horse battery"
)

// clock is a clock tests move by hand, shared by the centre and the
// console.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a centre with a site, an admin and the console on loopback.
type fixture struct {
	clk    *clock
	centre centretest.Centre
	url    string
}

func newFixture(t *testing.T, dsn string, start time.Time) *fixture {
	t.Helper()
	clk := &clock{t: start}
	c := centretest.Open(t, dsn, clk.Now, centre.Options{PasswordCost: bcrypt.MinCost, PINParams: cheapPIN})
	ctx := context.Background()
	if err := c.AddSite(ctx, "north", "North Hospital"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddAdmin(ctx, adminName, adminPassword); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(console.New(c.Service, console.Options{Now: clk.Now, Refresh: -1}))
	t.Cleanup(srv.Close)
	return &fixture{clk: clk, centre: c, url: srv.URL}
}

// browser is an HTTP client that keeps cookies by name, Secure ones too
// (as browsers do for loopback; net/http/cookiejar sends them over https
// only), and does not follow redirects, so tests see them.
type browser struct {
	t       *testing.T
	base    string
	cookies map[string]string
	hc      *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	return &browser{t: t, base: base, cookies: make(map[string]string), hc: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type response struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (b *browser) do(method, path string, form url.Values) response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for name, value := range b.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	res, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return response{status: res.StatusCode, body: string(raw), location: res.Header.Get("Location"), header: res.Header}
}

func (b *browser) get(path string) response { b.t.Helper(); return b.do(http.MethodGet, path, nil) }

func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	return b.do(http.MethodPost, path, form)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token of the first form on a page.
func csrf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field in the page:\n%s", page)
	}
	return m[1]
}

// login fills in the sign-in form as a person would.
func (b *browser) login(name, password string) response {
	b.t.Helper()
	form := b.get("/login")
	if form.status != http.StatusOK {
		b.t.Fatalf("GET /login: %d", form.status)
	}
	return b.post("/login", url.Values{"csrf": {csrf(b.t, form.body)}, "name": {name}, "password": {password}})
}

func (b *browser) mustLogin() {
	b.t.Helper()
	if res := b.login(adminName, adminPassword); res.status != http.StatusSeeOther || res.location != "/" {
		b.t.Fatalf("sign in: %d → %q\n%s", res.status, res.location, res.body)
	}
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Fatalf("%s lacks %q:\n%s", what, w, body)
		}
	}
}

// enroll enrols a kiosk at north and returns its token.
func (f *fixture) enroll(t *testing.T, id, name string) string {
	t.Helper()
	token, err := f.centre.Enroll(context.Background(), "north", id, name, centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// pushIncident sends an incident summary as the kiosk would, once over.
func (f *fixture) pushIncident(t *testing.T, token string, seq int64, s queue.IncidentSummary) {
	t.Helper()
	ctx := context.Background()
	k, err := f.centre.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	var h hlc.Timestamp
	h = h.Next(s.End)
	mut := queue.Mutation{Kind: queue.KindIncident, Kiosk: k.ID, Epoch: 1, At: s.End.UTC(), HLC: h.String(), Incident: &s}
	raw, err := json.Marshal(mut)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.centre.Push(ctx, k, wire.PushRequest{Kiosk: k.ID, Sent: f.clk.Now(), Mutations: []wire.PushMutation{
		{Epoch: 1, Seq: seq, Kind: queue.KindIncident, At: s.End.UTC(), HLC: h.String(), Payload: raw}}})
	if err != nil || resp.Results[0].Status != wire.StatusApplied {
		t.Fatalf("push incident: %+v, %v", resp, err)
	}
}

func TestConsoleSignIn(t *testing.T) {
	centretest.EachStore(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		b := newBrowser(t, f.url)

		if res := b.get("/"); res.status != http.StatusSeeOther || res.location != "/login" {
			t.Fatalf("GET / signed out: %d → %q, want the sign-in page", res.status, res.location)
		}
		res := b.login(adminName, "wrong password")
		if res.status != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d, want 401", res.status)
		}
		mustContain(t, "the page after a wrong password", res.body, "Wrong name or password.")
		if res := b.login("nobody", adminPassword); res.status != http.StatusUnauthorized {
			t.Fatalf("unknown admin: %d, want 401", res.status)
		}

		res = b.login(adminName, adminPassword)
		if res.status != http.StatusSeeOther || res.location != "/" {
			t.Fatalf("sign in: %d → %q\n%s", res.status, res.location, res.body)
		}
		var session string
		for _, c := range res.header.Values("Set-Cookie") {
			if strings.HasPrefix(c, console.SessionCookie+"=") {
				session = c
			}
		}
		for _, attr := range []string{"Secure", "HttpOnly", "SameSite=Strict", "Path=/"} {
			if !strings.Contains(session, "; "+attr) {
				t.Errorf("session cookie %q lacks %s", session, attr)
			}
		}
		home := b.get("/")
		if home.status != http.StatusOK {
			t.Fatalf("GET / signed in: %d", home.status)
		}
		mustContain(t, "the fleet page", home.body, "North Hospital", "Signed in as <b>it-ops</b>")
		if csp := home.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("Content-Security-Policy %q", csp)
		}

		// The session ends SessionTTL after sign-in.
		f.clk.Advance(centre.SessionTTL)
		if res := b.get("/"); res.status != http.StatusSeeOther || res.location != "/login" {
			t.Fatalf("GET / after the session's TTL: %d → %q, want the sign-in page", res.status, res.location)
		}

		// Signing out ends the session at the centre, not just the cookie.
		b.mustLogin()
		token := b.cookies[console.SessionCookie]
		home = b.get("/")
		if res := b.post("/logout", url.Values{"csrf": {csrf(t, home.body)}}); res.status != http.StatusSeeOther {
			t.Fatalf("sign out: %d", res.status)
		}
		if _, err := f.centre.SessionFor(context.Background(), token); !errors.Is(err, centre.ErrNoSession) {
			t.Fatalf("session after sign-out: %v, want ErrNoSession", err)
		}
	})
}

func TestConsoleLocksAnAccountAfterRepeatedWrongPasswords(t *testing.T) {
	f := newFixture(t, centretest.DSN(t, "sqlite"), time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	b := newBrowser(t, f.url)
	for i := 1; i < centre.LoginLimit; i++ {
		if res := b.login(adminName, "wrong password"); res.status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d, want 401", i, res.status)
		}
	}
	res := b.login(adminName, "wrong password")
	if res.status != http.StatusTooManyRequests {
		t.Fatalf("wrong password %d: %d, want 429", centre.LoginLimit, res.status)
	}
	mustContain(t, "the locked page", res.body, "This account is locked after 5 wrong passwords, until 09:15 UTC")
	if res := b.login(adminName, adminPassword); res.status != http.StatusTooManyRequests {
		t.Fatalf("right password while locked: %d, want 429", res.status)
	}
	f.clk.Advance(centre.LockWindow)
	b.mustLogin()
}

func TestConsoleRefusesFormsWithoutTheirCSRFToken(t *testing.T) {
	f := newFixture(t, centretest.DSN(t, "sqlite"), time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	token := f.enroll(t, "lobby-1", "Main entrance")
	b := newBrowser(t, f.url)

	// The sign-in form: a token that is not the login cookie's.
	b.get("/login")
	if res := b.post("/login", url.Values{"csrf": {"forged"}, "name": {adminName}, "password": {adminPassword}}); res.status != http.StatusForbidden {
		t.Fatalf("sign in with a forged token: %d, want 403", res.status)
	}
	b.mustLogin()

	other := newBrowser(t, f.url)
	other.mustLogin()
	otherToken := csrf(t, other.get("/").body)

	for _, c := range []struct {
		name string
		form url.Values
	}{
		{"no token", url.Values{}},
		{"an empty token", url.Values{"csrf": {""}}},
		{"a forged token", url.Values{"csrf": {"forged"}}},
		{"another session's token", url.Values{"csrf": {otherToken}}},
	} {
		res := b.post("/kiosks/lobby-1/revoke", c.form)
		if res.status != http.StatusForbidden {
			t.Fatalf("revoke with %s: %d, want 403", c.name, res.status)
		}
		mustContain(t, "the refusal", res.body, "This form did not come from this console session")
		if res := b.post("/enroll", url.Values{"csrf": c.form["csrf"], "site": {"north"}, "kiosk": {"lobby-2"}}); res.status != http.StatusForbidden {
			t.Fatalf("enrol with %s: %d, want 403", c.name, res.status)
		}
	}
	if _, err := f.centre.Authenticate(context.Background(), token); err != nil {
		t.Fatalf("a refused form revoked the kiosk: %v", err)
	}
	// Without a session, a POST is refused outright.
	if res := newBrowser(t, f.url).post("/kiosks/lobby-1/revoke", url.Values{"csrf": {otherToken}}); res.status != http.StatusUnauthorized {
		t.Fatalf("revoke signed out: %d, want 401", res.status)
	}
}

func TestConsoleRevokesAKiosk(t *testing.T) {
	centretest.EachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		f := newFixture(t, dsn, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		token := f.enroll(t, "lobby-1", "Main entrance")
		b := newBrowser(t, f.url)
		b.mustLogin()

		home := b.get("/")
		mustContain(t, "the fleet page", home.body, `href="/kiosks/lobby-1/revoke"`, `data-state="never seen"`)
		confirm := b.get("/kiosks/lobby-1/revoke")
		mustContain(t, "the revoke page", confirm.body, "Revoke kiosk lobby-1?")
		res := b.post("/kiosks/lobby-1/revoke", url.Values{"csrf": {csrf(t, confirm.body)}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("revoke: %d\n%s", res.status, res.body)
		}
		if _, err := f.centre.Authenticate(ctx, token); !errors.Is(err, centre.ErrUnauthorized) {
			t.Fatalf("the revoked kiosk's token: %v, want ErrUnauthorized", err)
		}
		home = b.get(res.location)
		mustContain(t, "the fleet page after revoking", home.body,
			"Kiosk lobby-1 is revoked: its token no longer works", `data-state="revoked"`)
		if res := b.post("/kiosks/lobby-1/revoke", url.Values{"csrf": {csrf(t, home.body)}}); res.status != http.StatusNotFound {
			t.Fatalf("revoke again: %d, want 404", res.status)
		}
	})
}

func TestConsoleEnrolsAKiosk(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, centretest.DSN(t, "sqlite"), time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	b := newBrowser(t, f.url)
	b.mustLogin()
	form := b.get("/enroll")
	mustContain(t, "the enrol page", form.body, `<option value="north"`)
	tok := csrf(t, form.body)

	res := b.post("/enroll", url.Values{"csrf": {tok}, "site": {"north"}, "kiosk": {"Lobby 1"}})
	if res.status != http.StatusBadRequest {
		t.Fatalf("enrol a bad id: %d, want 400", res.status)
	}
	res = b.post("/enroll", url.Values{"csrf": {tok}, "site": {"south"}, "kiosk": {"lobby-1"}})
	if res.status != http.StatusBadRequest {
		t.Fatalf("enrol at a site that does not exist: %d, want 400", res.status)
	}
	mustContain(t, "the refusal", res.body, `site &#34;south&#34; does not exist`)

	res = b.post("/enroll", url.Values{"csrf": {tok}, "site": {"north"}, "kiosk": {"lobby-1"}, "name": {"Main entrance"}})
	if res.status != http.StatusOK {
		t.Fatalf("enrol: %d\n%s", res.status, res.body)
	}
	// Again for the same kiosk: only when told to replace it.
	res2 := b.post("/enroll", url.Values{"csrf": {tok}, "site": {"north"}, "kiosk": {"lobby-1"}})
	if res2.status != http.StatusOK {
		t.Fatalf("a second code before the first is used: %d", res2.status)
	}
	m := regexp.MustCompile(`<pre class="secret" id="code">([^<]+)</pre>`).FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no code on the page:\n%s", res.body)
	}
	mustContain(t, "the code page", res.body, "lobbyline-kiosk enroll --centre URL --code "+m[1],
		"Site north has no enabled supervisor account, so a kiosk enrolled now asks for its first supervisor at set-up.")
	resp, err := f.centre.Redeem(ctx, m[1])
	if err != nil || resp.Kiosk != "lobby-1" || resp.Site != "north" {
		t.Fatalf("the code shown: %+v, %v", resp, err)
	}
	if k, err := f.centre.Authenticate(ctx, resp.Token); err != nil || k.ID != "lobby-1" {
		t.Fatalf("the token the code gave: %+v, %v", k, err)
	}
	res = b.post("/enroll", url.Values{"csrf": {tok}, "site": {"north"}, "kiosk": {"lobby-1"}})
	if res.status != http.StatusConflict || !strings.Contains(res.body, `name="replace"`) {
		t.Fatalf("enrol an enrolled kiosk again: %d\n%s", res.status, res.body)
	}
	res = b.post("/enroll", url.Values{"csrf": {tok}, "site": {"north"}, "kiosk": {"lobby-1"}, "replace": {"yes"}})
	if res.status != http.StatusOK || !strings.Contains(res.body, `id="code"`) {
		t.Fatalf("enrol again, replacing: %d\n%s", res.status, res.body)
	}
}

func TestConsoleFleetShowsWhatKiosksReport(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	f := newFixture(t, centretest.DSN(t, "sqlite"), start)
	token := f.enroll(t, "lobby-1", "Main entrance")
	f.enroll(t, "lobby-2", "")
	f.pushIncident(t, token, 1, queue.IncidentSummary{ID: 1, Drill: true, Cause: "drill", Peak: queue.SeverityMinor,
		Start: start.Add(-48 * time.Hour), End: start.Add(-47 * time.Hour), Duration: time.Hour})
	f.pushIncident(t, token, 2, queue.IncidentSummary{ID: 2, Cause: "central unreachable", Peak: queue.SeverityMajor,
		Start: start.Add(-3 * time.Hour), End: start.Add(-2 * time.Hour), Duration: time.Hour, CheckIns: 7})
	k, _ := f.centre.Authenticate(ctx, token)
	k.Software, k.Config = "1.4.0", 3
	if _, err := f.centre.Pull(ctx, k, 0, 10); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, f.url)
	b.mustLogin()

	row := func() string {
		t.Helper()
		body := b.get("/").body
		i := strings.Index(body, `<tr id="kiosk-lobby-1"`)
		if i < 0 {
			t.Fatalf("no row for lobby-1:\n%s", body)
		}
		return body[i : i+strings.Index(body[i:], "</tr>")]
	}
	mustContain(t, "lobby-1's row", row(), `data-state="online"`, "1.4.0", "version 3", `<span class="sev major">major</span> central unreachable`,
		`href="/sites/north/incidents/lobby-1/1/2"`, "ended 2h 00m ago")
	f.clk.Advance(console.DefaultOfflineAfter + time.Second)
	mustContain(t, "lobby-1's row after two minutes unheard", row(), `data-state="offline"`)

	report := b.get("/sites/north/incidents/lobby-1/1/2")
	mustContain(t, "the report", report.body, "Outage at North Hospital, kiosk lobby-1", "<tr><th>Check-ins during it</th><td>7</td></tr>")
	if res := b.get("/sites/north/incidents/lobby-1/1/9"); res.status != http.StatusNotFound {
		t.Fatalf("a report that does not exist: %d, want 404", res.status)
	}
	list := b.get("/incidents?site=north")
	mustContain(t, "the incidents page", list.body, "central unreachable", ">drill<")
}

// The configuration form: a form without its session's CSRF token stores
// nothing; a good one stores the next version; one made from a version
// that is no longer the current is refused, so nobody overwrites a
// version they have not seen; a site that does not exist is a 404.
func TestConsoleEditsASiteConfiguration(t *testing.T) {
	centretest.EachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		f := newFixture(t, dsn, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		b := newBrowser(t, f.url)
		b.mustLogin()
		form := b.get("/sites/north/config")
		mustContain(t, "the configuration page", form.body, "No configuration set yet", `name="base" value="0"`)
		tok := csrf(t, form.body)
		if res := b.post("/sites/north/config", url.Values{"csrf": {"forged"}, "base": {"0"}, "toml": {browserConfig}}); res.status != http.StatusForbidden {
			t.Fatalf("a configuration without its CSRF token: %d, want 403", res.status)
		}
		if res := newBrowser(t, f.url).post("/sites/north/config", url.Values{"csrf": {tok}, "base": {"0"}, "toml": {browserConfig}}); res.status != http.StatusUnauthorized {
			t.Fatalf("a configuration without a session: %d, want 401", res.status)
		}
		if _, ok, _ := f.centre.SiteConfig(ctx, "north"); ok {
			t.Fatal("a refused form stored a configuration")
		}
		res := b.post("/sites/north/config", url.Values{"csrf": {tok}, "base": {"0"}, "toml": {strings.ReplaceAll(browserConfig, "\n", "\r\n")}})
		if res.status != http.StatusSeeOther || res.location != "/sites/north/config?saved=1" {
			t.Fatalf("a good configuration: %d %q\n%s", res.status, res.location, res.body)
		}
		// Someone else saves version 2 from version 1 meanwhile.
		if _, err := f.centre.SetSiteConfig(ctx, "north", "ana", func(cur siteconfig.Record, _ bool) (siteconfig.Document, error) { return cur.Document, nil }); err != nil {
			t.Fatal(err)
		}
		res = b.post("/sites/north/config", url.Values{"csrf": {tok}, "base": {"1"}, "toml": {browserConfig}})
		mustContain(t, "a form made from version 1", res.body, "Nothing stored: version 2 was saved by ana since this page was opened")
		if res.status != http.StatusBadRequest {
			t.Fatalf("a form made from an older version: %d, want 400", res.status)
		}
		if rec, _, _ := f.centre.SiteConfig(ctx, "north"); rec.Version != 2 || rec.SetBy != "ana" {
			t.Fatalf("after a refused form: version %d by %s, want 2 by ana", rec.Version, rec.SetBy)
		}
		mustContain(t, "the page after a refusal, which keeps what was typed", res.body, `critical_after = &#34;4h&#34;`)
		if res := b.get("/sites/nowhere/config"); res.status != http.StatusNotFound {
			t.Fatalf("the configuration of a site that does not exist: %d, want 404", res.status)
		}
	})
}

// An enrolment code or a revocation made in the console and its audit
// entry are one transaction: when the audit log refuses the entry, the
// page says nothing was done, and nothing was; once it takes it, the
// entry names the admin.
func TestConsoleActionsAreAuditedWithThem(t *testing.T) {
	centretest.EachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		f := newFixture(t, dsn, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		token := f.enroll(t, "lobby-1", "Main entrance")
		b := newBrowser(t, f.url)
		b.mustLogin()
		codes := func() int {
			var n int
			if err := f.centre.DB().QueryRowContext(ctx, "SELECT count(*) FROM enrolment_codes").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		form := b.get("/enroll")
		tok := csrf(t, form.body)
		confirm := b.get("/kiosks/lobby-1/revoke")

		allow := centretest.RefuseAudit(t, dsn)
		res := b.post("/enroll", url.Values{"csrf": {tok}, "site": {"north"}, "kiosk": {"lobby-2"}})
		if res.status != http.StatusInternalServerError || strings.Contains(res.body, `id="code"`) {
			t.Fatalf("enrol while the audit log refuses entries: %d\n%s", res.status, res.body)
		}
		mustContain(t, "the failed enrolment", res.body, "The centre could not make the code; nothing was made. Try again.")
		if n := codes(); n != 0 {
			t.Fatalf("%d enrolment codes stored without their audit entry", n)
		}
		res = b.post("/kiosks/lobby-1/revoke", url.Values{"csrf": {csrf(t, confirm.body)}})
		if res.status != http.StatusInternalServerError {
			t.Fatalf("revoke while the audit log refuses entries: %d\n%s", res.status, res.body)
		}
		mustContain(t, "the failed revocation", res.body, "The centre could not revoke the kiosk; nothing changed. Try again.")
		if _, err := f.centre.Authenticate(ctx, token); err != nil {
			t.Fatalf("the kiosk whose revocation failed: %v, want its token to work", err)
		}
		allow()

		if res := b.post("/enroll", url.Values{"csrf": {tok}, "site": {"north"}, "kiosk": {"lobby-2"}}); res.status != http.StatusOK || !strings.Contains(res.body, `id="code"`) {
			t.Fatalf("enrol: %d\n%s", res.status, res.body)
		}
		f.clk.Advance(time.Second) // the audit log lists entries by time
		if res := b.post("/kiosks/lobby-1/revoke", url.Values{"csrf": {csrf(t, confirm.body)}}); res.status != http.StatusSeeOther {
			t.Fatalf("revoke: %d\n%s", res.status, res.body)
		}
		log, err := f.centre.AuditLog(ctx, centre.AuditQuery{Site: "north"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range log {
			if r.Entry.Source == queue.AuditConsole && r.Entry.Name == adminName {
				got = append(got, r.Entry.Action+": "+r.Entry.Detail)
			}
		}
		want := []string{"enrol_code: kiosk lobby-2, valid until 2026-12-02 09:00 UTC", "revoke: kiosk lobby-1"}
		if !slices.Equal(got, want) {
			t.Fatalf("the console's audit entries %q, want %q", got, want)
		}
	})
}

package centre_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/wire"
)

// call sends one request and returns its status and body.
func call(t *testing.T, method, url, token, body string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// /healthz tells anyone up or down and nothing else; a kiosk of the
// release before, which declares its protocol there, still hears the
// centre's protocol and kinds.
func TestHealthzSaysUpOrDown(t *testing.T) {
	clk := newStoreClock()
	c := centretest.Open(t, filepath.Join(t.TempDir(), "central.db"), clk.Now)
	srv := httptest.NewServer(centre.NewServer(c.Service, centre.ServerOptions{Now: clk.Now}))
	t.Cleanup(srv.Close)

	code, h, body := call(t, "GET", srv.URL+"/healthz", "", "")
	if code != http.StatusOK || body != `{"status":"ok"}`+"\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	for k := range h {
		if k != "Content-Type" && k != "Content-Length" && k != "Date" {
			t.Errorf("/healthz answers an unauthenticated caller with %s: %q", k, h.Get(k))
		}
	}
	_, h, _ = call(t, "GET", srv.URL+"/healthz", "", "", wire.Header, "3")
	if h.Get(wire.Header) != strconv.Itoa(wire.Version) || !strings.Contains(h.Get(wire.AcceptsHeader), queue.KindCheckIn) {
		t.Errorf("a previous kiosk's probe: %s %q, %s %q", wire.Header, h.Get(wire.Header), wire.AcceptsHeader, h.Get(wire.AcceptsHeader))
	}

	if err := c.Store.Close(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	code, h, body = call(t, "GET", srv.URL+"/healthz", "", "")
	if code != http.StatusServiceUnavailable || body != `{"status":"down"}`+"\n" || h.Get(wire.Header) != "" {
		t.Fatalf("/healthz with the store closed: %d %q %v", code, body, h)
	}
}

// /metrics lists every kiosk: it is served only with a scrape token, and
// only to a request that carries it.
func TestMetricsNeedTheScrapeToken(t *testing.T) {
	ctx := context.Background()
	without := startCentre(t)
	if _, err := without.store.Enroll(ctx, "north", "lobby-1", "Lobby", centretest.IT); err != nil {
		t.Fatal(err)
	}
	if code, _, body := call(t, "GET", without.http.URL+"/metrics", "", ""); code != http.StatusNotFound {
		t.Errorf("/metrics with no metrics token: %d %s", code, body)
	}
	const scrape = "a-scrape-token-of-thirty-two-chars"
	with := startCentre(t, centre.ServerOptions{MetricsToken: scrape})
	if _, err := with.store.Enroll(ctx, "north", "lobby-1", "Lobby", centretest.IT); err != nil {
		t.Fatal(err)
	}
	kiosk, err := with.store.Enroll(ctx, "north", "lobby-2", "Lobby", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{"", "wrong", kiosk, scrape + "x"} {
		code, _, body := call(t, "GET", with.http.URL+"/metrics", token, "")
		if code != http.StatusUnauthorized || strings.Contains(body, "lobby-1") {
			t.Errorf("/metrics with token %q: %d %s", token, code, body)
		}
	}
	code, _, body := call(t, "GET", with.http.URL+"/metrics", scrape, "")
	if code != http.StatusOK || !strings.Contains(body, `lobbyline_central_kiosk_backlog{kiosk="lobby-1",site="north"}`) {
		t.Errorf("/metrics with the scrape token: %d %s", code, body)
	}
}

// trickle starts a request whose body arrives only as the test writes
// it. done receives its status once it is answered; release ends the body
// and waits for that.
func trickle(t *testing.T, url, token, start string) (done <-chan int, release func() int) {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest("POST", url, pr)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	answered := make(chan int, 1)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}} // a connection of its own
	go func() {
		res, err := client.Do(req)
		if err != nil { // 0: no answer came (holdSlot tries again; release's callers check it)
			answered <- 0
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		answered <- res.StatusCode
	}()
	// It fails if the request is answered before its body is read (or
	// returns when release closes the pipe).
	go pw.Write([]byte(start))
	status := make(chan int, 1)
	var once sync.Once
	code := 0
	release = func() int {
		once.Do(func() {
			pw.Close()
			code = <-status
		})
		return code
	}
	// done and release both see the one answer.
	seen := make(chan int, 1)
	go func() {
		c := <-answered
		seen <- c
		status <- c
	}()
	t.Cleanup(func() { release() })
	return seen, release
}

// holdSlot starts a trickled request and returns once it holds its
// route's slot: once refused, a request of the same route, is refused
// for want of a slot while the trickle is still under way. A trickle that
// lost the slot to refused's request is started again.
func holdSlot(t *testing.T, url, token, start string, refused func() bool) (release func() int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		done, release := trickle(t, url, token, start)
		for time.Now().Before(deadline) {
			if refused() {
				select {
				case <-done: // it was not the trickle that held the slot
				default:
					return release
				}
				break
			}
			select {
			case <-done: // lost the race for the slot: again
			default:
				continue
			}
			break
		}
	}
	t.Fatalf("no trickled request to %s held its slot within 10 s", url)
	return nil
}

// A request is authenticated and scoped before it takes one of the
// slots, so callers without a kiosk's token cannot keep kiosks out, and
// enrolment has slots of its own.
func TestCredentialsAreCheckedBeforeASlotIsTaken(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t, centre.ServerOptions{MaxInFlight: 1, MaxEnrolInFlight: 1})
	if err := c.store.AddSite(ctx, "south", "South"); err != nil {
		t.Fatal(err)
	}
	a, err := c.store.Enroll(ctx, "north", "a", "A", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.store.Enroll(ctx, "north", "b", "B", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	pull := func(site, token string) int {
		code, _, _ := call(t, "GET", c.http.URL+"/v1/sites/"+site+"/pull", token, "")
		return code
	}
	// slotTaken: kiosk b is refused for want of a slot, not while another
	// request's token is looked up.
	slotTaken := func() bool {
		code, _, body := call(t, "GET", c.http.URL+"/v1/sites/north/pull", b, "")
		return code == http.StatusTooManyRequests && !strings.Contains(body, "credentials")
	}
	enrol := func() int {
		code, _, _ := call(t, "POST", c.http.URL+"/v1/enrol", "", `{"code":"ABCDE-FGHJK","kiosk":"c","site":"north"}`)
		return code
	}

	// Kiosk a's push holds the one slot while its body arrives.
	release := holdSlot(t, c.http.URL+"/v1/sites/north/push", a, `{"kiosk":"a",`, slotTaken)
	for _, tc := range []struct {
		name   string
		status int
		got    int
	}{
		{"no token", http.StatusUnauthorized, pull("north", "")},
		{"unknown token", http.StatusUnauthorized, pull("north", "llk_nope")},
		{"a token too long to be one", http.StatusUnauthorized, pull("north", strings.Repeat("x", 300))},
		{"another site", http.StatusForbidden, pull("south", b)},
		{"an unknown enrolment code", http.StatusForbidden, enrol()},
		{"kiosk b, with the slot taken", http.StatusTooManyRequests, pull("north", b)},
	} {
		if tc.got != tc.status {
			t.Errorf("%s, while a kiosk holds the only slot: %d, want %d", tc.name, tc.got, tc.status)
		}
	}
	if code := release(); code != http.StatusBadRequest {
		t.Errorf("the trickled push: %d, want 400 (it was cut short)", code)
	}

	// An enrolment whose body trickles holds enrolment's one slot, not
	// the kiosks'.
	release = holdSlot(t, c.http.URL+"/v1/enrol", "", `{"code":`, func() bool { return enrol() == http.StatusTooManyRequests })
	if code := pull("north", b); code != http.StatusOK {
		t.Errorf("kiosk b while an enrolment is under way: %d", code)
	}
	if code := enrol(); code != http.StatusTooManyRequests {
		t.Errorf("a second enrolment at once: %d, want 429", code)
	}
	release()
	if code := enrol(); code != http.StatusForbidden {
		t.Errorf("an enrolment after: %d, want 403", code)
	}
}

// blockingStore is a real store whose token lookups wait for the test.
type blockingStore struct {
	centre.Store
	entered chan struct{}
	release chan struct{}
}

func (s *blockingStore) KioskByToken(ctx context.Context, hash string) (centre.Kiosk, bool, error) {
	s.entered <- struct{}{}
	<-s.release
	return s.Store.KioskByToken(ctx, hash)
}

// Token lookups in the store are bounded: made-up tokens cost the store
// at most MaxInFlight reads at once.
func TestTokenLookupsAreBounded(t *testing.T) {
	c := centretest.Open(t, filepath.Join(t.TempDir(), "central.db"), nil)
	store := &blockingStore{Store: c.Store, entered: make(chan struct{}, 4), release: make(chan struct{})}
	srv := httptest.NewServer(centre.NewServer(centre.New(store, centre.Options{}), centre.ServerOptions{MaxInFlight: 1}))
	t.Cleanup(srv.Close)
	first := make(chan int, 1)
	go func() {
		code, _, _ := call(t, "GET", srv.URL+"/v1/sites/north/pull", "llk_one", "")
		first <- code
	}()
	<-store.entered
	if code, h, _ := call(t, "GET", srv.URL+"/v1/sites/north/pull", "llk_two", ""); code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Errorf("a second lookup while the only one runs: %d, Retry-After %q", code, h.Get("Retry-After"))
	}
	close(store.release)
	if code := <-first; code != http.StatusUnauthorized {
		t.Errorf("the first made-up token: %d, want 401", code)
	}
}

// A body over a route's limit is answered 413 and the connection closed:
// the server reads on no further than the 256 KB net/http drains so that
// the client reads the answer rather than a reset.
func TestOversizedBodyClosesTheConnection(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	token, err := c.store.Enroll(ctx, "north", "a", "A", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(c.http.URL, "http://")
	const beyond = 32 << 20 // what the client offers past the limit
	for _, tc := range []struct {
		name, path, token string
		limit             int
		chunked           bool
	}{
		{"push, declared too long", "/v1/sites/north/push", token, wire.MaxBody, false},
		{"push, chunked past the limit", "/v1/sites/north/push", token, wire.MaxBody, true},
		{"enrolment, declared too long", "/v1/enrol", "", wire.MaxEnrolBody, false},
		{"enrolment, chunked past the limit", "/v1/enrol", "", wire.MaxEnrolBody, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(20 * time.Second))
			head := "POST " + tc.path + " HTTP/1.1\r\nHost: centre\r\nContent-Type: application/json\r\n"
			if tc.token != "" {
				head += "Authorization: Bearer " + tc.token + "\r\n"
			}
			if tc.chunked {
				head += "Transfer-Encoding: chunked\r\n\r\n"
			} else {
				head += fmt.Sprintf("Content-Length: %d\r\n\r\n", tc.limit+beyond)
			}
			if _, err := io.WriteString(conn, head); err != nil {
				t.Fatal(err)
			}
			// The client sends its body, as a real one would, until the
			// server stops taking it; it never ends a chunked body, so a
			// server that read on to its end would wait.
			sent := make(chan int, 1)
			go func() {
				const size = 64 << 10
				piece := strings.Repeat(" ", size)
				if tc.chunked {
					piece = fmt.Sprintf("%x\r\n%s\r\n", size, piece)
				}
				n := 0
				for n < tc.limit+beyond {
					if _, err := io.WriteString(conn, piece); err != nil {
						break
					}
					n += size
				}
				sent <- n
			}()
			br := bufio.NewReader(conn)
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusRequestEntityTooLarge || !res.Close || !strings.Contains(string(body), "body over") {
				t.Fatalf("%d, Connection %q: %s", res.StatusCode, res.Header.Get("Connection"), body)
			}
			_, err = br.ReadByte()
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				t.Fatalf("the connection stayed open after 413: %v", err)
			}
			if err == nil {
				t.Fatal("more bytes after the 413")
			}
			if n := <-sent; n >= tc.limit+beyond {
				t.Errorf("the server took the whole body (%d bytes) before closing", n)
			}
		})
	}
}

package syncer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/wire"
)

// routeCounter counts the API requests reaching next, by route.
type routeCounter struct {
	next http.Handler
	mu   sync.Mutex
	n    map[string]int
}

func (c *routeCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.n[r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]]++
	c.mu.Unlock()
	c.next.ServeHTTP(w, r)
}

// take returns the counts so far and starts again.
func (c *routeCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = make(map[string]int)
	return n
}

// rewrite serves next, then lets edit change the answer's headers and
// JSON body before it is sent: an older centre, played by a current one.
func rewrite(next http.Handler, edit func(r *http.Request, h http.Header, body map[string]any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var v map[string]any
		if json.Unmarshal(body, &v) == nil {
			edit(r, rec.Header(), v)
			body, _ = json.Marshal(v)
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// watchedCheckIn puts Rex Danger on the site's watch-list, which kiosk a
// has not pulled yet, and checks him in there: the centre's alert about
// him comes back in what a pulls next.
func watchedCheckIn(t *testing.T, c centretest.Centre, a *kiosk) {
	t.Helper()
	if _, err := c.Write(context.Background(), "north", []centre.RecordWrite{
		{Entity: queue.EntityWatch, Key: "w1", Data: queue.WatchEntry{Name: "Rex Danger", Action: queue.WatchBlock}},
	}); err != nil {
		t.Fatal(err)
	}
	a.checkIn(t, "Rex Danger")
}

func wantDelivered(t *testing.T, ctx context.Context, c centretest.Centre, a *kiosk, applied int) {
	t.Helper()
	if st := a.sync.Status(); st.State != syncer.Online || st.Backlog != 0 || st.Rejected != 0 {
		t.Fatalf("status %+v; want online, everything delivered, nothing rejected", st)
	}
	if n := appliedAt(t, c, "a"); n != applied {
		t.Fatalf("the centre applied %d of the kiosk's changes; want %d", n, applied)
	}
	alerts, err := a.store.Alerts(ctx, true)
	if err != nil || len(alerts) != 1 || alerts[0].Kind != queue.AlertWatch {
		t.Fatalf("alerts after one sync: %+v, %v; want the centre's watch-list alert", alerts, err)
	}
}

// A change costs one request: the push, whose answer carries the page of
// the site's changes read after it was applied (the centre's alert on the
// check-in it has just screened included). A sync with nothing to send
// costs one pull.
func TestAChangeCostsOneRequest(t *testing.T) {
	ctx := context.Background()
	var count *routeCounter
	a, c := kioskBehind(t, func(c centretest.Centre) http.Handler {
		count = &routeCounter{next: centre.NewServer(c.Service, centre.ServerOptions{}), n: make(map[string]int)}
		return count
	})
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := count.take(); got["pull"] != 1 || got["push"] != 0 {
		t.Fatalf("first sync, nothing to send: %v; want one pull", got)
	}
	watchedCheckIn(t, c, a)
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := count.take(); got["push"] != 1 || got["pull"] != 0 {
		t.Fatalf("a sync with one change made %v; want one push and nothing else", got)
	}
	wantDelivered(t, ctx, c, a, 1)
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := count.take(); got["pull"] != 1 || got["push"] != 0 {
		t.Fatalf("a sync with nothing to send made %v; want one pull", got)
	}
}

// A centre of protocol 2 does not answer a push's pull: the kiosk, which
// heard its protocol, does not ask it and pulls after the push.
func TestAProtocol2CentreIsAskedForThePageApart(t *testing.T) {
	ctx := context.Background()
	var count *routeCounter
	a, c := kioskBehind(t, func(c centretest.Centre) http.Handler {
		p2 := rewrite(centre.NewServer(c.Service, centre.ServerOptions{}), func(r *http.Request, h http.Header, body map[string]any) {
			h.Set(wire.Header, "2")
			delete(body, "pull")
		})
		count = &routeCounter{next: refuseField(t, "pull", p2), n: make(map[string]int)}
		return count
	})
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	count.take()
	watchedCheckIn(t, c, a)
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := count.take(); got["push"] != 1 || got["pull"] != 1 {
		t.Fatalf("a sync with one change made %v; want a push and a pull", got)
	}
	wantDelivered(t, ctx, c, a, 1)
}

// refuseField fails the test if a push names field: a centre of the
// protocol next plays would not know it.
func refuseField(t *testing.T, field string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			var v map[string]any
			if json.Unmarshal(body, &v) == nil && v[field] != nil {
				t.Errorf("the kiosk sent %q to a centre that had declared an older protocol", field)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// During a rolling upgrade gone wrong, an instance of protocol 1 (which
// refuses fields it does not know) may take a push after an instance of
// protocol 3 answered the pull. The kiosk sends the batch again without
// asking for the page: the change is applied once, not rejected.
func TestAProtocol1InstanceRefusingThePageLosesNothing(t *testing.T) {
	ctx := context.Background()
	var to swappable
	var current, strict http.Handler
	a, c := kioskBehind(t, func(c centretest.Centre) http.Handler {
		current = centre.NewServer(c.Service, centre.ServerOptions{})
		p1 := rewrite(current, func(r *http.Request, h http.Header, body map[string]any) {
			h.Del(wire.Header)
			h.Del(wire.AcceptsHeader)
		})
		strict = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			var v map[string]any
			if json.Unmarshal(body, &v) == nil && v["pull"] != nil {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"error":"wire: malformed request: json: unknown field \"pull\""}`))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			p1.ServeHTTP(w, r)
		})
		to.set(current)
		return &to
	})
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := a.client.Centre().Protocol; got != wire.Version {
		t.Fatalf("the kiosk heard protocol %d; want %d", got, wire.Version)
	}
	watchedCheckIn(t, c, a)
	to.set(strict)
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	wantDelivered(t, ctx, c, a, 1)
}

package syncer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
)

// testCentre is a central service on loopback with one site.
type testCentre struct {
	store centretest.Centre
	http  *httptest.Server
}

func startCentre(t *testing.T, opts ...centre.Options) *testCentre {
	t.Helper()
	return startCentreOn(t, filepath.Join(t.TempDir(), "central.db"), opts...)
}

// startCentreOn is startCentre on the store at dsn (centretest.DSN).
func startCentreOn(t *testing.T, dsn string, opts ...centre.Options) *testCentre {
	t.Helper()
	store := centretest.Open(t, dsn, nil, opts...)
	if err := store.AddSite(context.Background(), "north", "North Hospital"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(centre.NewServer(store.Service, centre.ServerOptions{MetricsToken: scrapeToken}))
	t.Cleanup(srv.Close)
	return &testCentre{store: store, http: srv}
}

// scrapeToken is the test centres' metrics token.
const scrapeToken = "test-scrape-token"

// scrape reads the metrics of the centre at base.
func scrape(t *testing.T, base string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+scrapeToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %v", res.StatusCode, err)
	}
	return string(body)
}

// kiosk is an enrolled kiosk store with a syncer pointed at c.
type kiosk struct {
	path   string // of its database
	store  *queue.Store
	client *syncer.Client
	sync   *syncer.Syncer
}

func newKiosk(t *testing.T, c *testCentre, id string) *kiosk {
	t.Helper()
	ctx := context.Background()
	token, err := c.store.Enroll(ctx, "north", id, "Kiosk "+id, centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	return newKioskWithToken(t, c.http.URL, id, token)
}

func newKioskWithToken(t *testing.T, url, id, token string) *kiosk {
	t.Helper()
	path := filepath.Join(t.TempDir(), id+".db")
	store, err := queue.Open(context.Background(), path, queue.Options{
		KioskID:  id,
		Services: []queue.Service{{ID: "registration", Prefix: "R", Name: "Registration"}},
		Desks:    []queue.Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"registration"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	client, err := syncer.NewClient(url, "north", token, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &kiosk{path: path, store: store, client: client, sync: syncer.New(store, client, syncer.Config{})}
}

func (k *kiosk) checkIn(t *testing.T, name string) queue.Ticket {
	t.Helper()
	tk, err := k.store.CheckIn(context.Background(), queue.CheckInForm{Name: name, Service: "registration"}, queue.SourceKiosk)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestSyncPushesOutboxAndPullsOtherKiosksVisits(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	a, b := newKiosk(t, c, "a"), newKiosk(t, c, "b")
	a.checkIn(t, "Zoë Adams")
	a.checkIn(t, "Li Lei")
	if _, err := a.store.Apply(ctx, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Ana"}); err != nil {
		t.Fatal(err)
	}
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if st := a.sync.Status(); st.State != syncer.Online || st.Backlog != 0 {
		t.Fatalf("after a sync: %+v", st)
	}
	if pending, _ := a.store.PendingOutbox(ctx, 10); len(pending) != 0 {
		t.Fatalf("outbox still holds %d", len(pending))
	}
	if err := b.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	visits, err := b.store.Remote(ctx, queue.EntityVisit)
	if err != nil {
		t.Fatal(err)
	}
	if len(visits) != 2 {
		t.Fatalf("kiosk b sees %d of kiosk a's visits, want 2", len(visits))
	}
	var sv queue.SiteVisit
	if err := json.Unmarshal(visits[0].Data, &sv); err != nil || sv.Kiosk != "a" || sv.Visit.Ticket == "" {
		t.Fatalf("site visit %s: %+v, %v", visits[0].Data, sv, err)
	}
}

func TestSyncStates(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	a := newKiosk(t, c, "a")
	a.checkIn(t, "Ann")
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	// The centre goes away: offline, and the check-in taken meanwhile waits.
	down := newKioskWithToken(t, "http://127.0.0.1:1", "c", "x")
	down.checkIn(t, "Bo")
	if err := down.sync.Sync(ctx); err == nil {
		t.Fatal("sync to a closed port succeeded")
	}
	if st := down.sync.Status(); st.State != syncer.Offline || st.Backlog != 1 || st.Oldest.IsZero() {
		t.Fatalf("unreachable centre: %+v", st)
	}

	// Revoked: unenrolled, and the kiosk keeps its data.
	if err := c.store.Revoke(ctx, "a", centretest.IT); err != nil {
		t.Fatal(err)
	}
	a.checkIn(t, "Cy")
	if err := a.sync.Sync(ctx); err == nil {
		t.Fatal("sync with a revoked token succeeded")
	}
	if st := a.sync.Status(); st.State != syncer.Unenrolled || st.Backlog != 1 {
		t.Fatalf("revoked: %+v", st)
	}
	log, err := a.store.ConnectivityLog(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, l := range log {
		states = append(states, l.State)
	}
	if len(states) != 2 || states[0] != "online" || states[1] != "unenrolled" {
		t.Fatalf("connectivity log %v, want [online unenrolled]", states)
	}
}

func TestInviteAndWatchListReachTheKiosk(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	a := newKiosk(t, c, "a")
	_, err := c.store.Write(ctx, "north", []centre.RecordWrite{
		{Entity: queue.EntityPreReg, Key: "AB12-CD34", Data: queue.PreRegistration{Code: "AB12-CD34", Name: "Marta Ruiz", Host: "Dr Osei",
			Expected: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}},
		{Entity: queue.EntityWatch, Key: "w1", Data: queue.WatchEntry{Name: "Rex Danger", Action: queue.WatchFlag}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	tk, err := a.store.CheckIn(ctx, queue.CheckInForm{Invite: "ab12-cd34 ", Service: "registration"}, queue.SourceKiosk)
	if err != nil {
		t.Fatal(err)
	}
	if tk.PreReg == nil || tk.Visit.Name != "Marta Ruiz" || tk.Visit.Host != "Dr Osei" {
		t.Fatalf("invite check-in: %+v", tk)
	}
	_, err = a.store.CheckIn(ctx, queue.CheckInForm{Invite: "ZZZZ-0000", Name: "X", Service: "registration"}, queue.SourceKiosk)
	if queue.ErrorCode(err) != queue.EInvalid {
		t.Fatalf("unknown invite: %v", err)
	}
	a.checkIn(t, "rex  DANGER")
	alerts, err := a.store.Alerts(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].Kind != queue.AlertWatch {
		t.Fatalf("alerts after a watch-list check-in: %+v", alerts)
	}
}

// A request the centre refuses for good (413 here) is split until the
// mutation at fault is alone; it waits for staff, the rest go through.
func TestPermanentRefusalRejectsOnlyTheMutationAtFault(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	token, err := c.store.Enroll(ctx, "north", "a", "A", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int32
	picky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		body, _ := io.ReadAll(r.Body)
		if bytes.Contains(body, []byte("Oversized Owen")) {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			fmt.Fprint(w, `{"error":"body over 8388608 bytes"}`)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy := httputil.NewSingleHostReverseProxy(mustParse(t, c.http.URL))
		proxy.ServeHTTP(w, r)
	}))
	defer picky.Close()
	k := newKioskWithToken(t, picky.URL, "a", token)
	for _, name := range []string{"Ann", "Bo", "Cy", "Oversized Owen", "Di", "Ed", "Flo"} {
		k.checkIn(t, name)
	}
	if err := k.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	st := k.sync.Status()
	if st.State != syncer.Online || st.Backlog != 0 || st.Rejected != 1 {
		t.Fatalf("after the sync: %+v", st)
	}
	rejected, err := k.store.RejectedOutbox(ctx, 10)
	if err != nil || len(rejected) != 1 || !bytes.Contains(rejected[0].Payload, []byte("Oversized Owen")) || !strings.Contains(rejected[0].Reason, "413") {
		t.Fatalf("needs attention: %+v, %v", rejected, err)
	}
	var applied int
	if err := c.store.DB().QueryRowContext(ctx, "SELECT count(*) FROM mutations WHERE kiosk_id = 'a' AND status = 'applied'").Scan(&applied); err != nil || applied != 6 {
		t.Fatalf("centre applied %d, want 6 (%v)", applied, err)
	}
	// Staff fix it and put it back in line; the centre still refuses.
	if err := k.store.RetryRejected(ctx, rejected[0].Seq); err != nil {
		t.Fatal(err)
	}
	if err := k.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if st := k.sync.Status(); st.Rejected != 1 || st.Backlog != 0 {
		t.Fatalf("after a retry: %+v", st)
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestMetricsReportEveryKioskFromTheStore(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	a := newKiosk(t, c, "a")
	a.checkIn(t, "Ann")
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	newKiosk(t, c, "b") // enrolled, never seen
	// A second instance on the same store reports what the first saw.
	other := httptest.NewServer(centre.NewServer(c.store.Service, centre.ServerOptions{MetricsToken: scrapeToken}))
	defer other.Close()
	body := scrape(t, other.URL)
	for _, want := range []string{
		`lobbyline_central_kiosk_backlog{kiosk="a",site="north"} 0`,
		`lobbyline_central_kiosk_last_seen_timestamp_seconds{kiosk="a",site="north"}`,
		`lobbyline_central_kiosk_backlog{kiosk="b",site="north"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, `last_seen_timestamp_seconds{kiosk="b"`) {
		t.Error("a kiosk never seen has a last-seen time")
	}
	body = scrape(t, c.http.URL)
	if !strings.Contains(body, `lobbyline_central_requests_total{code="200",route="push"} 1`) {
		t.Errorf("first instance's request count:\n%s", body)
	}
}

// A watch-list entry added at the centre during an outage: the check-in
// made offline is screened by the centre when it arrives, and the alert
// reaches the kiosk's staff in that same sync.
func TestWatchListAddedDuringAnOutageAlertsStaffOnReconnect(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	a := newKiosk(t, c, "a")
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// Offline: the kiosk's cached list is empty, so it raises nothing.
	a.checkIn(t, "Rex Danger")
	if alerts, _ := a.store.Alerts(ctx, true); len(alerts) != 0 {
		t.Fatalf("alerts before the centre knew: %+v", alerts)
	}
	if _, err := c.store.Write(ctx, "north", []centre.RecordWrite{
		{Entity: queue.EntityWatch, Key: "w1", Data: queue.WatchEntry{Name: "Rex Danger", Action: queue.WatchBlock}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	alerts, err := a.store.Alerts(ctx, true)
	if err != nil || len(alerts) != 1 || alerts[0].Kind != queue.AlertWatch || !strings.Contains(alerts[0].Message, "Watch-list (block): Rex Danger") {
		t.Fatalf("alerts after one sync: %+v, %v", alerts, err)
	}
	// And the kiosk now screens new check-ins itself, offline too.
	a.checkIn(t, "rex danger")
	if alerts, _ := a.store.Alerts(ctx, true); len(alerts) != 2 {
		t.Fatalf("a second check-in: %d alerts, want 2", len(alerts))
	}
}

package syncer_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/siteconfig"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
)

// syncLog is a log the test reads while the syncer writes it.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func setSiteConfig(t *testing.T, c *testCentre, version int64, text string) {
	t.Helper()
	doc, err := siteconfig.Parse(text)
	if err != nil {
		t.Fatalf("site configuration %d: %v", version, err)
	}
	writeSiteConfig(t, c, siteconfig.Record{Version: version, SetAt: time.Now().UTC(), SetBy: "test", Document: doc})
}

func writeSiteConfig(t *testing.T, c *testCentre, rec siteconfig.Record) {
	t.Helper()
	_, err := c.store.Write(context.Background(), "north", []centre.RecordWrite{{Entity: siteconfig.Entity, Key: siteconfig.Key, Data: rec}})
	if err != nil {
		t.Fatal(err)
	}
}

const siteV1 = `
[[services]]
id = "registration"
prefix = "R"
name = "Registration"

[[desks]]
id = "desk-1"
name = "Desk 1"
services = ["registration"]
`

const siteV2 = `
[[services]]
id = "imaging"
prefix = "I"
name = "Imaging"
time_per_visitor = "20m"

[[services]]
id = "pharmacy"
prefix = "P"
name = "Pharmacy"

[[desks]]
id = "desk-7"
name = "Desk 7"
services = ["imaging", "pharmacy"]
`

func managedServices(s *queue.Store) []string {
	var ids []string
	for _, svc := range s.Services() {
		ids = append(ids, svc.ID)
	}
	return ids
}

// A kiosk (real store, real syncer, a real centre on loopback) takes the
// site's configuration from the centre, uses its services for check-in,
// refuses one it cannot apply, and keeps the last good one through a
// restart with the centre away.
func TestSiteConfigReachesTheKioskAndSurvivesARestart(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { testSiteConfigReachesTheKiosk(t, centretest.DSN(t, backend)) })
	}
}

func testSiteConfigReachesTheKiosk(t *testing.T, dsn string) {
	ctx := context.Background()
	c := startCentreOn(t, dsn)
	token, err := c.store.Enroll(ctx, "north", "a", "Kiosk a", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a.db")
	var logs syncLog
	log := slog.New(slog.NewTextHandler(&logs, nil))
	opts := queue.Options{
		KioskID:       "a",
		Services:      []queue.Service{{ID: "visit", Prefix: "V", Name: "Visit a patient"}},
		Desks:         []queue.Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"visit"}}},
		ManagedConfig: true,
		Logger:        log,
	}
	open := func() (*queue.Store, *syncer.Syncer) {
		t.Helper()
		store, err := queue.Open(ctx, path, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		client, err := syncer.NewClient(c.http.URL, "north", token, &http.Client{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return store, syncer.New(store, client, syncer.Config{Logger: log})
	}
	store, sy := open()

	// No configuration at the centre: the file's services.
	if err := sy.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := managedServices(store); !slices.Equal(got, []string{"visit"}) || store.ConfigVersion() != 0 {
		t.Fatalf("with no site configuration: services %v, version %d", got, store.ConfigVersion())
	}

	setSiteConfig(t, c, 1, siteV1)
	setSiteConfig(t, c, 2, siteV2)
	if err := sy.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := managedServices(store); !slices.Equal(got, []string{"imaging", "pharmacy"}) || store.ConfigVersion() != 2 {
		t.Fatalf("after version 2: services %v, version %d", got, store.ConfigVersion())
	}
	tk, err := store.CheckIn(ctx, queue.CheckInForm{Name: "Ana", Service: "imaging"}, queue.SourceKiosk)
	if err != nil {
		t.Fatalf("check in for a service of version 2: %v", err)
	}
	if !strings.HasPrefix(tk.Visit.Ticket, "I") {
		t.Errorf("ticket %q, want imaging's prefix I", tk.Visit.Ticket)
	}
	if _, err := store.CheckIn(ctx, queue.CheckInForm{Name: "Bo", Service: "visit"}, queue.SourceKiosk); queue.ErrorCode(err) != queue.EInvalid {
		t.Errorf("check in for the file's service after version 2: got %v, want invalid", err)
	}
	if err := sy.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if b, err := store.Backlog(ctx); err != nil || b.Pending != 0 || b.Rejected != 0 {
		t.Fatalf("the check-in under version 2 did not reach the centre: %+v, %v", b, err)
	}
	// The kiosk told the centre which version it runs (the fleet console's
	// Configuration column).
	kiosks, err := c.store.Kiosks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(kiosks) != 1 || kiosks[0].Config != 2 {
		t.Fatalf("the centre's kiosks after version 2: %+v, want config 2", kiosks)
	}

	// A version this kiosk cannot apply (a neighbouring centre checked
	// less): refused with a log line, version 2 kept.
	bad, err := siteconfig.Parse(siteV2)
	if err != nil {
		t.Fatal(err)
	}
	bad.Desks[0].Services = []string{"imaging", "surgery"}
	writeSiteConfig(t, c, siteconfig.Record{Version: 3, Document: bad})
	if err := sy.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := managedServices(store); !slices.Equal(got, []string{"imaging", "pharmacy"}) || store.ConfigVersion() != 2 {
		t.Fatalf("after a bad version 3: services %v, version %d; want version 2 kept", got, store.ConfigVersion())
	}
	if !strings.Contains(logs.String(), "refused the centre's site configuration") || !strings.Contains(logs.String(), `no service has id \"surgery\"`) {
		t.Errorf("no log line for the refused version 3:\n%s", logs.String())
	}

	// Restart with the centre away: version 2 stays.
	store.Close()
	c.http.Close()
	store, sy = open()
	if got := managedServices(store); !slices.Equal(got, []string{"imaging", "pharmacy"}) || store.ConfigVersion() != 2 {
		t.Fatalf("after a restart in an outage: services %v, version %d", got, store.ConfigVersion())
	}
	if err := sy.Sync(ctx); err == nil {
		t.Fatal("sync with the centre closed succeeded")
	}
	if _, err := store.CheckIn(ctx, queue.CheckInForm{Name: "Cy", Service: "pharmacy"}, queue.SourceKiosk); err != nil {
		t.Fatalf("check in during the outage after the restart: %v", err)
	}
}

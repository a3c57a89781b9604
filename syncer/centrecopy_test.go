package syncer_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"lobbyline/internal/dbdamage"
	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
)

// The centre's copy (protocol 5) is the calling kiosk's own visits, as
// the centre holds them now: never another kiosk's or another site's,
// nothing purged. A recovery takes from it what the kiosk lost, and the
// origins it sets reach the centre's store.
func TestCentreCopyIsTheKiosksOwnAndNothingPurged(t *testing.T) {
	centretest.EachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clock := clockwork.NewFakeClockAt(time.Now())
		c := centretest.Open(t, dsn, clock.Now)
		for _, site := range []string{"north", "south"} {
			if err := c.AddSite(ctx, site, site); err != nil {
				t.Fatal(err)
			}
		}
		srv := httptest.NewServer(centre.NewServer(c.Service, centre.ServerOptions{}))
		t.Cleanup(srv.Close)
		tc := &testCentre{store: c, http: srv}
		a, b := newKiosk(t, tc, "a"), newKiosk(t, tc, "b")
		southToken, err := c.Enroll(ctx, "south", "s", "South kiosk", centretest.IT)
		if err != nil {
			t.Fatal(err)
		}
		s := newKioskWithToken(t, srv.URL, "s", southToken)
		s.client, _ = syncer.NewClient(srv.URL, "south", southToken, &http.Client{Timeout: 5 * time.Second})
		s.sync = syncer.New(s.store, s.client, syncer.Config{})

		ada := a.checkIn(t, "Ada Served")
		for _, cmd := range []queue.Command{{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Ana"},
			{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Ana"}, {Action: queue.ActServe, Visit: ada.Visit.ID, Desk: "desk-1", Staff: "Ana"}} {
			if _, err := a.store.Apply(ctx, cmd); err != nil {
				t.Fatal(err)
			}
		}
		cy := a.checkIn(t, "Cy Waiting")
		b.checkIn(t, "Bea Other Kiosk")
		s.checkIn(t, "Sue Other Site")
		for _, k := range []*kiosk{a, b, s} {
			if err := k.sync.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
		names := func(vs []queue.SiteVisit) map[string]bool {
			out := map[string]bool{}
			for _, v := range vs {
				if v.Kiosk != "a" {
					t.Fatalf("kiosk a was given kiosk %s's visit %+v", v.Kiosk, v.Visit)
				}
				out[v.Visit.Name] = true
			}
			return out
		}
		got, err := a.client.Visits(ctx)
		if err != nil || len(got) != 2 || !names(got)["Ada Served"] || !names(got)["Cy Waiting"] {
			t.Fatalf("kiosk a's copy: %+v, %v", got, err)
		}
		// A's token at the other site is refused.
		other, _ := c.Enroll(ctx, "north", "x", "X", centretest.IT)
		wrong, _ := syncer.NewClient(srv.URL, "south", other, nil)
		var he *syncer.HTTPError
		if _, err := wrong.Visits(ctx); !errors.As(err, &he) || he.Status != http.StatusForbidden {
			t.Fatalf("a north kiosk's token asking for south's visits: %v", err)
		}
		if got, err := s.client.Visits(ctx); err != nil || len(got) != 1 || got[0].Visit.Name != "Sue Other Site" {
			t.Fatalf("the south kiosk's copy: %+v, %v", got, err)
		}

		// Past the retention the centre's purge makes Ada a tombstone:
		// her visit never comes back through the copy.
		clock.Advance(queue.DefaultRetention + 24*time.Hour)
		if _, err := c.PurgeSite(ctx, "north"); err != nil {
			t.Fatal(err)
		}
		if got, err := a.client.Visits(ctx); err != nil || len(got) != 1 || got[0].Visit.ID != cy.Visit.ID {
			t.Fatalf("kiosk a's copy after the purge: %+v, %v", got, err)
		}

		// A loses its visits and its outbox; no snapshot: Cy comes back
		// from the centre, Ada does not.
		if err := a.store.Close(); err != nil {
			t.Fatal(err)
		}
		for i, table := range []string{"visits", "outbox"} {
			if err := dbdamage.Table(a.path, table, 600, uint64(i+3)); err != nil {
				t.Fatal(err)
			}
		}
		r, err := queue.Recover(ctx, a.path, queue.RecoverOptions{KioskID: "a", Centre: a.client.Visits})
		if err != nil {
			t.Fatal(err)
		}
		if r.Centre.Read != 1 || r.Centre.Added != 1 || r.Origins[queue.OriginCentre] != 1 {
			t.Fatalf("recovery: %+v", r)
		}
		re := reopen(t, a.path, "a")
		if v, err := re.Visit(ctx, cy.Visit.ID); err != nil || v.Name != "Cy Waiting" || v.Origin != queue.OriginCentre {
			t.Fatalf("Cy after the recovery: %+v, %v", v, err)
		}
		if v, err := re.Visit(ctx, ada.Visit.ID); err == nil {
			t.Fatalf("purged Ada came back: %+v", v)
		}
		if err := syncer.New(re, a.client, syncer.Config{}).Sync(ctx); err != nil {
			t.Fatal(err)
		}
		origins, err := c.VisitOrigins(ctx, "north")
		if err != nil || len(origins) != 1 || origins[0].Kiosk != "a" || origins[0].Origin != string(queue.OriginCentre) {
			t.Fatalf("the centre's origins: %+v, %v", origins, err)
		}
	})
}

// reopen opens the kiosk database at path again, as newKiosk does.
func reopen(t *testing.T, path, id string) *queue.Store {
	t.Helper()
	s, err := queue.Open(context.Background(), path, queue.Options{
		KioskID:  id,
		Services: []queue.Service{{ID: "registration", Prefix: "R", Name: "Registration"}},
		Desks:    []queue.Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"registration"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

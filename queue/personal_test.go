package queue_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
)

// TestPurgeIsVisitAnonymous holds the kiosk's purge (SQL) and the rule the
// centre applies (Visit.Purgeable, Visit.Anonymous) together: what the
// purge leaves of a visit is exactly Anonymous of it, and it purges the
// visits Purgeable says.
func TestPurgeIsVisitAnonymous(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Ann"})
	tk, err := s.CheckIn(ctx, queue.CheckInForm{Name: "Ana García", Service: "visit", Host: "Dr. Okafor", Phone: "+34 600 123 456"}, queue.SourceKiosk)
	if err != nil {
		t.Fatal(err)
	}
	open := mustCheckIn(t, s, "Still Waiting", "registration")
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Ann"})
	mustApply(t, s, queue.Command{Action: queue.ActServe, Visit: tk.Visit.ID, Staff: "Ann"})
	before, _ := s.Visit(ctx, tk.Visit.ID)
	waiting, _ := s.Visit(ctx, open.Visit.ID)
	c.Advance(31 * 24 * time.Hour)
	cutoff := c.Now().Add(-30 * 24 * time.Hour)
	if !before.Purgeable(cutoff) || waiting.Purgeable(cutoff) {
		t.Fatalf("Purgeable: served %v, waiting %v; want true, false", before.Purgeable(cutoff), waiting.Purgeable(cutoff))
	}
	if _, err := s.Purge(ctx, cutoff); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Visit(ctx, tk.Visit.ID)
	if want := before.Anonymous(); after != want {
		t.Errorf("after the purge: %+v\nVisit.Anonymous: %+v", after, want)
	}
	if after.Name != "" || after.Host != "" || after.Phone != "" {
		t.Errorf("purged visit %+v keeps personal data", after)
	}
	if still, _ := s.Visit(ctx, open.Visit.ID); still != waiting {
		t.Errorf("a visit that is not over changed: %+v, was %+v", still, waiting)
	}
}

// TestPullNeverBringsBackWhatThePurgeErased: once the kiosk purged, a
// page from the centre (a snapshot after a compaction, or a centre that
// keeps data longer) with visits and alerts from before the cut-off does
// not put them back; younger ones arrive as usual.
func TestPullNeverBringsBackWhatThePurgeErased(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	old := c.Now()
	c.Advance(31 * 24 * time.Hour)
	if _, err := s.Purge(ctx, c.Now().Add(-30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	visit := func(name string, at time.Time) json.RawMessage {
		b, _ := json.Marshal(queue.SiteVisit{Kiosk: "lobby-2", Visit: queue.Visit{ID: 1, Name: name, CheckedInAt: at, Status: queue.StatusServed}})
		return b
	}
	alert := func(msg string, at time.Time) json.RawMessage {
		b, _ := json.Marshal(queue.Alert{Kind: queue.AlertDuplicate, Kiosk: "lobby-1", Epoch: 1, Visit: 1, Ticket: "R-001", Message: msg, At: at})
		return b
	}
	page := queue.PullPage{Snapshot: true, Cursor: 4, Records: []queue.RemoteRecord{
		{Entity: queue.EntityVisit, Key: "lobby-2/1/1", Version: 1, Data: visit("Old Person", old)},
		{Entity: queue.EntityAlert, Key: "duplicate/old", Version: 2, Data: alert("Old Person checked in twice", old)},
		{Entity: queue.EntityVisit, Key: "lobby-2/1/2", Version: 3, Data: visit("New Person", c.Now())},
		{Entity: queue.EntityAlert, Key: "duplicate/new", Version: 4, Data: alert("New Person checked in twice", c.Now())},
	}}
	if err := s.ApplyPull(ctx, page); err != nil {
		t.Fatal(err)
	}
	var held []string
	for _, e := range []string{queue.EntityVisit, queue.EntityAlert} {
		recs, err := s.Remote(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			held = append(held, string(r.Data))
		}
	}
	all := strings.Join(held, "\n")
	if strings.Contains(all, "Old Person") || !strings.Contains(all, "New Person") || len(held) != 2 {
		t.Errorf("after the pull the kiosk holds:\n%s\nwant the two young records only", all)
	}
	alerts, err := s.Alerts(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if strings.Contains(a.Message, "Old Person") {
			t.Errorf("staff alert %q came back", a.Message)
		}
	}
}

// TestAnonymousMutation keeps a mutation's figures and drops the visitor's
// personal fields, wherever the visit appears.
func TestAnonymousMutation(t *testing.T) {
	v := queue.Visit{ID: 7, Ticket: "R-007", Service: "registration", Name: "Ana", Host: "Dr. Okafor", Phone: "600", Invite: "AB12",
		Status: queue.StatusCalled, CheckedInAt: time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)}
	in, _ := json.Marshal(queue.Mutation{Kiosk: "lobby-1", Epoch: 3, Kind: queue.KindCall, Actor: "Ann", Visit: &v,
		Desk: &queue.DeskState{Desk: queue.Desk{ID: "desk-1"}, Open: true, Staff: "Ann", Serving: &v}})
	out, err := queue.AnonymousMutation(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, personal := range []string{"Ana", "Okafor", "600", "AB12"} {
		if strings.Contains(out, personal) {
			t.Errorf("anonymous mutation %s holds %q", out, personal)
		}
	}
	var m queue.Mutation
	if err := json.Unmarshal([]byte(out), &m); err != nil || m.Visit == nil || m.Visit.Ticket != "R-007" || m.Visit.Service != "registration" ||
		!m.Visit.CheckedInAt.Equal(v.CheckedInAt) || m.Kind != queue.KindCall || m.Epoch != 3 {
		t.Errorf("anonymous mutation %s lost its figures (%v)", out, err)
	}
	if out, err := queue.AnonymousMutation([]byte("not json")); out != "" || err != nil {
		t.Errorf("a payload that is not a mutation: %q, %v; want it dropped", out, err)
	}
}

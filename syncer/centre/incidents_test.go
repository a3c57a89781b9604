package centre_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/hlc"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/wire"
)

// handOutbox writes a kiosk's next mutations by hand, for kinds the
// kiosk store does not make yet and for payloads it never would.
type handOutbox struct {
	kiosk string
	epoch int64
	seq   int64
	hlc   hlc.Timestamp
}

// continueOutbox carries on after the last mutation a kiosk store made.
func continueOutbox(tb testing.TB, kiosk string, last wire.PushMutation) *handOutbox {
	tb.Helper()
	h, err := hlc.Parse(last.HLC)
	if err != nil {
		tb.Fatal(err)
	}
	return &handOutbox{kiosk: kiosk, epoch: last.Epoch, seq: last.Seq, hlc: h}
}

// next is the kiosk's next mutation of mut's kind, made at at.
func (o *handOutbox) next(tb testing.TB, at time.Time, mut queue.Mutation) wire.PushMutation {
	tb.Helper()
	o.seq++
	o.hlc = o.hlc.Next(at)
	mut.Kiosk, mut.Epoch, mut.At, mut.HLC = o.kiosk, o.epoch, at.UTC(), o.hlc.String()
	raw, err := json.Marshal(mut)
	if err != nil {
		tb.Fatal(err)
	}
	return wire.PushMutation{Epoch: o.epoch, Seq: o.seq, Kind: mut.Kind, At: at.UTC(), HLC: mut.HLC, Payload: raw}
}

func (o *handOutbox) incident(tb testing.TB, at time.Time, s queue.IncidentSummary) wire.PushMutation {
	tb.Helper()
	return o.next(tb, at, queue.Mutation{Kind: queue.KindIncident, Incident: &s})
}

func (o *handOutbox) checkOut(tb testing.TB, at time.Time, v queue.Visit) wire.PushMutation {
	tb.Helper()
	v.LeftAt = at
	return o.next(tb, at, queue.Mutation{Kind: queue.KindCheckOut, Visit: &v})
}

// outage is an incident summary with every figure set, as a kiosk sends
// it once the centre is back and the backlog has drained.
func outage(id int64, start time.Time) queue.IncidentSummary {
	return queue.IncidentSummary{
		ID: id, Cause: "central unreachable", Peak: queue.SeverityMajor,
		Start: start.UTC(), End: start.Add(40 * time.Minute).UTC(), Duration: 40 * time.Minute,
		CheckIns: 7, PeakWaiting: 5, LongestWait: 12 * time.Minute, DrainTime: 90 * time.Second,
		Conflicts: 1, WatchHits: 0, Messages: 2, StepsDone: 3, StepsTotal: 4,
		Feedback: 2, FeedbackAvg: 4.5, FirstSaid: 4 * time.Minute, AllTicked: 0,
	}
}

func summaryJSON(tb testing.TB, s queue.IncidentSummary) string {
	tb.Helper()
	raw, err := json.Marshal(s)
	if err != nil {
		tb.Fatal(err)
	}
	return string(raw)
}

func mustIncidents(tb testing.TB, c centretest.Centre, site string, since time.Time) []centre.IncidentRecord {
	tb.Helper()
	recs, err := c.Incidents(context.Background(), site, since)
	if err != nil {
		tb.Fatalf("incidents at %s: %v", site, err)
	}
	return recs
}

// incidentRows counts the incidents table's rows, whatever Incidents shows.
func incidentRows(tb testing.TB, c centretest.Centre) int {
	tb.Helper()
	var n int
	if err := c.DB().QueryRowContext(context.Background(), "SELECT count(*) FROM incidents").Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// siteVisits decodes the visit records a kiosk holds after following its
// site, by ticket.
func siteVisits(tb testing.TB, p pulled) map[string]queue.SiteVisit {
	tb.Helper()
	out := make(map[string]queue.SiteVisit)
	for _, r := range p.records {
		if r.Entity != queue.EntityVisit {
			tb.Errorf("the site's kiosks pulled a %s record %s: %s", r.Entity, r.Key, r.Data)
			continue
		}
		var sv queue.SiteVisit
		if err := json.Unmarshal(r.Data, &sv); err != nil {
			tb.Fatal(err)
		}
		if sv.Left.IsZero() && strings.Contains(string(r.Data), `"left"`) {
			tb.Errorf("visit %s carries a zero left: %s", sv.Visit.Ticket, r.Data)
		}
		out[sv.Visit.Ticket] = sv
	}
	return out
}

func TestCentralCheckOutAndIncidents(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		mustAddSite(t, c, "south")
		k1 := mustEnrollKiosk(t, c, "north", "lobby-1")
		k2 := mustEnrollKiosk(t, c, "north", "lobby-2")
		mustEnrollKiosk(t, c, "south", "lobby-9")
		s1 := openKioskStore(t, "lobby-1", clk)
		s2 := openKioskStore(t, "lobby-2", clk)

		start := clk.Now()
		ana := kioskCheckIn(t, s1, queue.CheckInForm{Name: "Ana"})
		clk.Advance(time.Minute)
		bo := kioskCheckIn(t, s1, queue.CheckInForm{Name: "Bo"})
		batch := pendingBatch(t, s1)
		o := continueOutbox(t, "lobby-1", batch[len(batch)-1])
		clk.Advance(time.Hour)
		left := clk.Now()
		first := outage(1, start)
		batch = append(batch, o.checkOut(t, left, ana), o.incident(t, clk.Now(), first))

		applied, dup := wire.StatusApplied, wire.StatusDuplicate
		if got := statusesOf(mustPush(t, c, k1, batch)); !slices.Equal(got, repeated(applied, 4)) {
			t.Fatalf("push: %v", got)
		}

		// The site's other kiosk sees Ana has left and Bo has not; the
		// incident is no visit and raises no alert.
		site := follow(t, c, k2, 0, 0)
		visits := siteVisits(t, site)
		if len(visits) != 2 || len(site.records) != 2 {
			t.Fatalf("lobby-2 pulled %d records, %d visits; want the 2 visits only", len(site.records), len(visits))
		}
		if sv := visits[ana.Ticket]; !sv.Left.Equal(left) || !sv.Visit.LeftAt.Equal(left) || sv.Kiosk != "lobby-1" || sv.HLC != batch[2].HLC {
			t.Errorf("Ana's visit as pulled: left %v (visit says %v) from %s at %s; want left %v from lobby-1 at %s",
				sv.Left, sv.Visit.LeftAt, sv.Kiosk, sv.HLC, left, batch[2].HLC)
		}
		if sv := visits[bo.Ticket]; !sv.Left.IsZero() {
			t.Errorf("Bo has left at %v; he never checked out", sv.Left)
		}
		for _, page := range site.pages {
			if err := s2.ApplyPull(ctx, queue.PullPage{Snapshot: page.Snapshot, Records: syncer.PageOf(page).Records, Cursor: page.Cursor}); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(alertsAt(t, c, "north")); n != 0 {
			t.Errorf("%d alerts at the site, want none", n)
		}
		head := site.cursor

		// The centre lists the incident with its figures, and keeps them
		// in columns for reports in SQL.
		check := func(step string, want []centre.IncidentRecord) {
			t.Helper()
			got := mustIncidents(t, c, "north", time.Time{})
			if len(got) != len(want) {
				t.Fatalf("%s: %d incidents %+v, want %d", step, len(got), got, len(want))
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.Kiosk != w.Kiosk || g.KioskName != w.KioskName || g.Epoch != w.Epoch || !g.Received.Equal(w.Received) ||
					summaryJSON(t, g.Summary) != summaryJSON(t, w.Summary) {
					t.Errorf("%s: incident %d\n got %+v\nwant %+v", step, i, g, w)
				}
			}
		}
		epoch := batch[0].Epoch
		check("after the push", []centre.IncidentRecord{{Kiosk: "lobby-1", KioskName: "Kiosk lobby-1", Epoch: epoch, Summary: first, Received: clk.Now()}})
		var cols string
		{
			var (
				kiosk, siteID, cause, peak, started, ended                                       string
				drill                                                                            bool
				duration, checkIns, peakWaiting, longest, drain, conflicts, watchHits, messages  int64
				stepsDone, stepsTotal, feedback, firstSaid, allTicked, incidentID, incidentEpoch int64
				avg                                                                              float64
			)
			err := c.DB().QueryRowContext(ctx, `SELECT kiosk_id, epoch, incident_id, site_id, drill, cause, peak, started_at, ended_at,
				duration_ms, check_ins, peak_waiting, longest_wait_ms, drain_ms, conflicts, watch_hits, messages,
				steps_done, steps_total, feedback, feedback_avg, first_said_ms, all_ticked_ms FROM incidents`).Scan(
				&kiosk, &incidentEpoch, &incidentID, &siteID, &drill, &cause, &peak, &started, &ended,
				&duration, &checkIns, &peakWaiting, &longest, &drain, &conflicts, &watchHits, &messages,
				&stepsDone, &stepsTotal, &feedback, &avg, &firstSaid, &allTicked)
			if err != nil {
				t.Fatal(err)
			}
			cols = fmt.Sprint(kiosk, incidentEpoch == epoch, incidentID, siteID, drill, cause, peak, started, ended,
				duration, checkIns, peakWaiting, longest, drain, conflicts, watchHits, messages,
				stepsDone, stepsTotal, feedback, avg, firstSaid, allTicked)
		}
		if want := fmt.Sprint("lobby-1", true, 1, "north", false, "central unreachable", "major", "2026-11-23T09:00:00.000Z", "2026-11-23T09:40:00.000Z",
			2400000, 7, 5, 720000, 90000, 1, 0, 2, 3, 4, 2, 4.5, 240000, 0); cols != want {
			t.Errorf("incident columns\n got %s\nwant %s", cols, want)
		}

		// A replayed batch is answered duplicate and changes nothing.
		received := clk.Now()
		clk.Advance(time.Minute)
		if got := statusesOf(mustPush(t, c, k1, batch)); !slices.Equal(got, repeated(dup, 4)) {
			t.Errorf("replay: %v", got)
		}
		if n := incidentRows(t, c); n != 1 {
			t.Errorf("%d incident rows after a replay, want 1", n)
		}
		if h := siteHead(t, c, k2); h != head {
			t.Errorf("site version %d after a replay, want %d", h, head)
		}
		check("after a replay", []centre.IncidentRecord{{Kiosk: "lobby-1", KioskName: "Kiosk lobby-1", Epoch: epoch, Summary: first, Received: received}})

		// A newer summary of the same incident, under a new name (the
		// centre's re-screen found a watch-list hit), replaces the row.
		clk.Advance(time.Hour)
		newer := first
		newer.WatchHits = 1
		if res := mustPush(t, c, k1, []wire.PushMutation{o.incident(t, clk.Now(), newer)}); res[0].Status != applied {
			t.Fatalf("newer summary: %+v", res[0])
		}
		if n := incidentRows(t, c); n != 1 {
			t.Errorf("%d incident rows after a newer summary, want 1", n)
		}
		check("after a newer summary", []centre.IncidentRecord{{Kiosk: "lobby-1", KioskName: "Kiosk lobby-1", Epoch: epoch, Summary: newer, Received: clk.Now()}})

		// lobby-2 ran a drill later, and sent its summary twice in one
		// batch: the last one stands. Its incident 1 is not lobby-1's.
		o2 := &handOutbox{kiosk: "lobby-2", epoch: 42}
		drill := outage(1, start.Add(3*time.Hour))
		drill.Drill, drill.Cause, drill.Peak = true, "drill", queue.SeverityCritical
		drillAgain := drill
		drillAgain.Feedback, drillAgain.FeedbackAvg = 3, 4
		res := mustPush(t, c, k2, []wire.PushMutation{o2.incident(t, clk.Now(), drill), o2.incident(t, clk.Now(), drillAgain)})
		if got := statusesOf(res); !slices.Equal(got, repeated(applied, 2)) {
			t.Fatalf("drill: %v", got)
		}
		both := []centre.IncidentRecord{
			{Kiosk: "lobby-2", KioskName: "Kiosk lobby-2", Epoch: 42, Summary: drillAgain, Received: clk.Now()},
			{Kiosk: "lobby-1", KioskName: "Kiosk lobby-1", Epoch: epoch, Summary: newer, Received: clk.Now()},
		}
		check("newest first", both)
		if h := siteHead(t, c, k2); h != head {
			t.Errorf("site version %d after incidents, want %d: an incident wrote a record", h, head)
		}

		// since keeps the incidents that ended at or after it.
		for _, tc := range []struct {
			since time.Time
			want  int
		}{
			{first.End, 2},
			{first.End.Add(time.Millisecond), 1},
			{drill.End.Add(time.Millisecond), 0},
		} {
			if got := mustIncidents(t, c, "north", tc.since); len(got) != tc.want || tc.want == 1 && got[0].Kiosk != "lobby-2" {
				t.Errorf("incidents since %v: %+v, want %d", tc.since, got, tc.want)
			}
		}
		if got := mustIncidents(t, c, "south", time.Time{}); len(got) != 0 {
			t.Errorf("south lists north's incidents: %+v", got)
		}
	})
}

// badPayloads are check-outs and incident summaries the centre refuses,
// each with the reason it gives.
var badPayloads = []struct {
	name   string
	kind   string // what the genuine mutation is
	spoil  func(m *wire.PushMutation, mut map[string]any)
	reason string
}{
	{"check-out without its visit", queue.KindCheckOut, func(_ *wire.PushMutation, mut map[string]any) { delete(mut, "visit") },
		"a visit change without its visit"},
	{"check-out without the time", queue.KindCheckOut, func(_ *wire.PushMutation, mut map[string]any) {
		mut["visit"].(map[string]any)["LeftAt"] = time.Time{}
	}, "a check-out without the time the visitor left"},
	{"incident without its summary", queue.KindIncident, func(_ *wire.PushMutation, mut map[string]any) { delete(mut, "incident") },
		"an incident without its summary"},
	{"incident id 0", queue.KindIncident, func(_ *wire.PushMutation, mut map[string]any) { summaryOf(mut)["id"] = 0 },
		"incident id 0 must be positive"},
	{"no start", queue.KindIncident, func(_ *wire.PushMutation, mut map[string]any) { delete(summaryOf(mut), "start") },
		"has no start"},
	{"no end", queue.KindIncident, func(_ *wire.PushMutation, mut map[string]any) { delete(summaryOf(mut), "end") },
		"has no end"},
	{"ends before it starts", queue.KindIncident, func(_ *wire.PushMutation, mut map[string]any) {
		summaryOf(mut)["end"] = "2026-11-23T08:59:59Z"
	}, "ends (2026-11-23T08:59:59.000Z) before it starts (2026-11-23T09:00:00.000Z)"},
	{"peak none", queue.KindIncident, func(_ *wire.PushMutation, mut map[string]any) { summaryOf(mut)["peak"] = "none" },
		"peak severity none must be minor, major or critical"},
	{"peak out of range", queue.KindIncident, func(_ *wire.PushMutation, mut map[string]any) { summaryOf(mut)["peak"] = 9 },
		"payload is not a mutation"}, // a severity is sent by name
	{"peak unknown", queue.KindIncident, func(_ *wire.PushMutation, mut map[string]any) { summaryOf(mut)["peak"] = "extreme" },
		"payload is not a mutation"},
	{"negative check-ins", queue.KindIncident, func(_ *wire.PushMutation, mut map[string]any) { summaryOf(mut)["check_ins"] = -1 },
		"check_ins -1 is negative"},
	{"negative steps", queue.KindIncident, func(_ *wire.PushMutation, mut map[string]any) { summaryOf(mut)["steps_done"] = -2 },
		"steps_done -2 is negative"},
	{"negative feedback", queue.KindIncident, func(_ *wire.PushMutation, mut map[string]any) { summaryOf(mut)["feedback"] = -1 },
		"feedback -1 is negative"},
}

func summaryOf(mut map[string]any) map[string]any { return mut["incident"].(map[string]any) }

func TestCentralRejectsBadCheckOutsAndIncidents(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		k := mustEnrollKiosk(t, c, "north", "lobby-1")
		store := openKioskStore(t, "lobby-1", clk)

		start := clk.Now()
		ana := kioskCheckIn(t, store, queue.CheckInForm{Name: "Ana"})
		batch := pendingBatch(t, store)
		o := continueOutbox(t, "lobby-1", batch[0])
		clk.Advance(time.Hour)
		for _, bad := range badPayloads {
			m := o.incident(t, clk.Now(), outage(5, start))
			if bad.kind == queue.KindCheckOut {
				m = o.checkOut(t, clk.Now(), ana)
			}
			batch = append(batch, spoil(t, m, bad.spoil))
		}
		// The genuine ones behind the bad ones.
		batch = append(batch, o.checkOut(t, clk.Now(), ana), o.incident(t, clk.Now(), outage(6, start)))

		applied, dup, rejected := wire.StatusApplied, wire.StatusDuplicate, wire.StatusRejected
		want := slices.Concat([]string{applied}, repeated(rejected, len(badPayloads)), []string{applied, applied})
		res := mustPush(t, c, k, batch)
		if got := statusesOf(res); !slices.Equal(got, want) {
			t.Fatalf("statuses %v, want %v", got, want)
		}
		for i, bad := range badPayloads {
			if r := res[1+i]; !strings.Contains(r.Reason, bad.reason) {
				t.Errorf("%s: reason %q, want it to contain %q", bad.name, r.Reason, bad.reason)
			}
		}
		// Judged again on a replay, refused again; the rest are duplicates.
		want = slices.Concat([]string{dup}, repeated(rejected, len(badPayloads)), []string{dup, dup})
		if got := statusesOf(mustPush(t, c, k, batch)); !slices.Equal(got, want) {
			t.Errorf("replay: statuses %v, want %v", got, want)
		}

		got := mustIncidents(t, c, "north", time.Time{})
		if len(got) != 1 || got[0].Summary.ID != 6 || incidentRows(t, c) != 1 {
			t.Errorf("incidents %+v, want only the genuine one, 6", got)
		}
		visits := siteVisits(t, follow(t, c, k, 0, 0))
		if sv := visits[ana.Ticket]; len(visits) != 1 || !sv.Left.Equal(clk.Now()) {
			t.Errorf("visits %+v, want Ana's, left at %v", visits, clk.Now())
		}
	})
}

// TestCentralTakesADrillThatNeverRose: a drill a kiosk of the previous
// release stopped within the grace period comes with peak "none"; the
// centre applies it (so staff can send again what an older centre
// refused), while an outage with peak "none" is still refused.
func TestCentralTakesADrillThatNeverRose(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		k := mustEnrollKiosk(t, c, "north", "lobby-1")
		o := &handOutbox{kiosk: "lobby-1", epoch: 3}
		drill, short := outage(1, clk.Now()), outage(2, clk.Now())
		drill.Drill, drill.Peak = true, queue.SeverityNone
		short.Peak = queue.SeverityNone
		res := mustPush(t, c, k, []wire.PushMutation{o.incident(t, clk.Now(), drill), o.incident(t, clk.Now(), short)})
		if got := statusesOf(res); !slices.Equal(got, []string{wire.StatusApplied, wire.StatusRejected}) {
			t.Fatalf("statuses %v, want the drill applied and the outage refused (%+v)", got, res)
		}
		got := mustIncidents(t, c, "north", time.Time{})
		if len(got) != 1 || !got[0].Summary.Drill || got[0].Summary.Peak != queue.SeverityNone {
			t.Fatalf("incidents %+v, want the drill with peak none", got)
		}
	})
}

// FuzzCentralPushIncident pushes incident payloads: whatever the bytes,
// the centre answers, and it stores exactly the summaries it applies.
func FuzzCentralPushIncident(f *testing.F) {
	clk := newStoreClock()
	c := openTestCentral(f, filepath.Join(f.TempDir(), "central.db"), clk)
	mustAddSite(f, c, "north")
	k := mustEnrollKiosk(f, c, "north", "lobby-1")
	o := &handOutbox{kiosk: "lobby-1", epoch: 7}
	for _, bad := range badPayloads {
		if bad.kind == queue.KindIncident {
			f.Add([]byte(spoil(f, o.incident(f, clk.Now(), outage(5, clk.Now())), bad.spoil).Payload))
		}
	}
	f.Add([]byte(o.incident(f, clk.Now(), outage(5, clk.Now())).Payload))
	f.Fuzz(func(t *testing.T, payload []byte) {
		o.seq++
		m := wire.PushMutation{Epoch: o.epoch, Seq: o.seq, Kind: queue.KindIncident, At: clk.Now(), HLC: "000000000000001.000000", Payload: payload}
		var mut queue.Mutation
		if json.Unmarshal(payload, &mut) == nil && mut.Incident != nil {
			// Make the name the payload claims the one it is pushed under.
			m.Epoch = mut.Epoch
		}
		res := mustPush(t, c, k, []wire.PushMutation{m})[0]
		switch res.Status {
		case wire.StatusRejected:
			if res.Reason == "" {
				t.Fatal("rejected without a reason")
			}
		case wire.StatusApplied:
			found := false
			for _, r := range mustIncidents(t, c, "north", time.Time{}) {
				if r.Epoch == m.Epoch && r.Summary.ID == mut.Incident.ID {
					found = summaryJSON(t, r.Summary) == summaryJSON(t, *mut.Incident)
				}
			}
			if !found {
				t.Fatalf("applied %s but the centre does not list it as sent", payload)
			}
		default:
			t.Fatalf("answer %+v to a new name", res)
		}
	})
}

package centre_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/wire"
)

// scenarioLog runs a morning at a real kiosk database named id — check-ins,
// calls, recalls, transfers, a priority, no-shows, a cancellation,
// services and check-outs — and returns its outbox as the client sends it.
func scenarioLog(tb testing.TB, id string) []wire.PushMutation {
	tb.Helper()
	ctx := context.Background()
	clk := newStoreClock()
	s, err := queue.Open(ctx, filepath.Join(tb.TempDir(), id+".db"), queue.Options{
		KioskID: id,
		Services: []queue.Service{
			{ID: "registration", Prefix: "R", Name: "Registration", DefaultWait: 10 * time.Minute},
			{ID: "lab", Prefix: "L", Name: "Laboratory", DefaultWait: 10 * time.Minute},
		},
		Desks: []queue.Desk{
			{ID: "desk-1", Name: "Desk 1", Services: []string{"registration"}},
			{ID: "desk-2", Name: "Desk 2", Services: []string{"lab"}},
		},
		Now:      clk.Now,
		Location: time.UTC,
	})
	if err != nil {
		tb.Fatalf("open kiosk store: %v", err)
	}
	defer s.Close()
	step := func() { clk.Advance(37 * time.Second) }
	apply := func(cmd queue.Command) queue.Visit {
		tb.Helper()
		step()
		v, err := s.Apply(ctx, cmd)
		if err != nil {
			tb.Fatalf("%s: %v", cmd.Action, err)
		}
		return v
	}
	apply(queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Ana"})
	apply(queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Ben"})
	var vs []queue.Visit
	for i, name := range []string{"Marta Díaz", "Jon O'Neil", "Li Wei", "Ana Costa", "Sam Berg", "Noor Haddad", "Eva Horn", "Tom Ruiz"} {
		step()
		svc := "registration"
		if i%3 == 2 {
			svc = "lab"
		}
		vs = append(vs, kioskCheckIn(tb, s, queue.CheckInForm{Name: name, Service: svc, Phone: "+34 600 123 45" + fmt.Sprint(i)}))
	}
	apply(queue.Command{Action: queue.ActPrioritize, Visit: vs[4].ID, Staff: "Ana"})
	apply(queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Ana"})
	apply(queue.Command{Action: queue.ActRecall, Desk: "desk-1", Staff: "Ana"})
	apply(queue.Command{Action: queue.ActCallNext, Desk: "desk-2", Staff: "Ben"})
	apply(queue.Command{Action: queue.ActTransfer, Visit: vs[1].ID, Service: "lab", Staff: "Ana"})
	apply(queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Ana"}) // serves the first
	apply(queue.Command{Action: queue.ActNoShow, Desk: "desk-1", Visit: apply(queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Ana"}).ID, Staff: "Ana"})
	apply(queue.Command{Action: queue.ActCancel, Visit: vs[6].ID, Staff: "Ana"})
	apply(queue.Command{Action: queue.ActCallNext, Desk: "desk-2", Staff: "Ben"})
	atDesk2 := apply(queue.Command{Action: queue.ActCallNext, Desk: "desk-2", Staff: "Ben"})
	for _, v := range vs[:3] {
		step()
		if _, err := s.CheckOutVisit(ctx, v.ID, "Ana", queue.ProofStaff); err != nil {
			tb.Fatalf("check out %s: %v", v.Ticket, err)
		}
	}
	step()
	if _, err := s.CheckOutVisit(ctx, vs[7].ID, "", queue.ProofSelf); err != nil {
		tb.Fatalf("check out %s: %v", vs[7].Ticket, err)
	}
	apply(queue.Command{Action: queue.ActServe, Desk: "desk-2", Visit: atDesk2.ID, Staff: "Ben"})
	apply(queue.Command{Action: queue.ActCloseDesk, Desk: "desk-2", Staff: "Ben"})
	ms := pendingBatch(tb, s)
	if len(ms) < 30 {
		tb.Fatalf("the scenario left %d changes; want a real morning", len(ms))
	}
	return ms
}

// siteRecords are a site's live records as its kiosks pull them, by
// entity/key, their data without white space.
func siteRecords(tb testing.TB, c centretest.Centre, k centre.Kiosk) map[string]string {
	tb.Helper()
	out := make(map[string]string)
	for key, r := range follow(tb, c, k, 0, 0).records {
		var b bytes.Buffer
		if err := json.Compact(&b, r.Data); err != nil {
			tb.Fatalf("%s: %v", key, err)
		}
		out[key] = b.String()
	}
	return out
}

// TestRecordsConvergeWhateverTheOrder is issue 16's property: a kiosk's
// log pushed in random orders, split into random batches, with
// duplicates, through two centre instances on one database, ends in the
// records the in-order push gives, on SQLite and on PostgreSQL.
func TestRecordsConvergeWhateverTheOrder(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	eachStore(t, func(t *testing.T, dsn string) {
		clk := newStoreClock()
		clk.Advance(time.Hour) // every trial's morning is over by then
		backend := "sqlite"
		if filepath.Base(dsn) != "central.db" {
			backend = "postgres"
		}
		ref := openTestCentral(t, centretest.DSN(t, backend), clk)
		a := openTestCentral(t, dsn, clk)
		b := openTestCentral(t, dsn, clk) // a second instance on the same database
		rng := rand.New(rand.NewPCG(seed, 16))
		trials := 12
		if testing.Short() {
			trials = 4
		}
		for trial := range trials {
			site, id := fmt.Sprintf("s%d", trial), fmt.Sprintf("k%d", trial)
			log := scenarioLog(t, id)
			mustAddSite(t, ref, site)
			mustAddSite(t, a, site)
			rk := mustEnrollKiosk(t, ref, site, id)
			ka := mustEnrollKiosk(t, a, site, id)
			for from := 0; from < len(log); from += 7 {
				for _, r := range mustPush(t, ref, rk, log[from:min(from+7, len(log))]) {
					if r.Status != wire.StatusApplied {
						t.Fatalf("in order: %d/%d %s %s", r.Epoch, r.Seq, r.Status, r.Reason)
					}
				}
			}
			want := siteRecords(t, ref, rk)

			// Every change once, and a third of them again, in random
			// batches of random changes, in random order.
			order := rng.Perm(len(log))
			order = append(order, rng.Perm(len(log))[:len(log)/3]...)
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			for len(order) > 0 {
				n := min(1+rng.IntN(12), len(order))
				var idx []int
				for _, i := range order[:n] {
					if !slices.Contains(idx, i) {
						idx = append(idx, i)
					}
				}
				order = order[n:]
				slices.Sort(idx) // a batch is in sequence order on the wire
				batch := make([]wire.PushMutation, len(idx))
				for j, i := range idx {
					batch[j] = log[i]
				}
				c := a
				if rng.IntN(2) == 0 {
					c = b
				}
				for _, r := range mustPush(t, c, ka, batch) {
					if r.Status != wire.StatusApplied && r.Status != wire.StatusDuplicate {
						t.Fatalf("trial %d: %d/%d %s %s", trial, r.Epoch, r.Seq, r.Status, r.Reason)
					}
				}
			}
			got := siteRecords(t, b, ka)
			if len(got) != len(want) {
				t.Fatalf("trial %d: %d records, in order %d", trial, len(got), len(want))
			}
			for key, w := range want {
				if got[key] != w {
					t.Fatalf("trial %d: %s is\n%s\nin order it is\n%s", trial, key, got[key], w)
				}
			}
		}
	})
}

// TestCentralRefusesWhatNoHonestKioskSends: each spoilt copy of a real
// check-in, sent under a fresh name, is refused with its reason and
// changes no record; the honest one and a kiosk whose whole clock is a
// day ahead are applied.
func TestCentralRefusesWhatNoHonestKioskSends(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		k := mustEnrollKiosk(t, c, "north", "k1")
		s := openKioskStore(t, "k1", clk)
		kioskCheckIn(t, s, queue.CheckInForm{Name: "Marta Díaz"})
		honest := pendingBatch(t, s)[0]
		visit := func(fn func(v map[string]any)) func(*wire.PushMutation, map[string]any) {
			return func(_ *wire.PushMutation, mut map[string]any) { fn(mut["visit"].(map[string]any)) }
		}
		cases := []struct {
			name, reason string
			spoil        func(*wire.PushMutation, map[string]any)
		}{
			{"envelope hlc", "payload hlc", func(m *wire.PushMutation, _ map[string]any) { m.HLC = "001795425000000.000009" }},
			{"payload hlc", "payload hlc", func(_ *wire.PushMutation, mut map[string]any) { mut["hlc"] = "" }},
			{"time zero", "has no time", func(m *wire.PushMutation, mut map[string]any) { m.At = time.Time{}; mut["at"] = time.Time{} }},
			{"payload time", "payload time", func(_ *wire.PushMutation, mut map[string]any) { mut["at"] = clk.Now().Add(time.Minute) }},
			{"an hour ahead", "ahead of the centre's clock", func(m *wire.PushMutation, mut map[string]any) {
				m.At = clk.Now().Add(time.Hour)
				mut["at"] = m.At
				m.HLC = fmt.Sprintf("%015d.000000", m.At.UnixMilli())
				mut["hlc"] = m.HLC
			}},
			{"right-to-left override", "invisible formatting", visit(func(v map[string]any) { v["Name"] = "Marta \u202eDíaz" })},
			{"control character", "letters, spaces", visit(func(v map[string]any) { v["Name"] = "Marta\x07" })},
			{"long name", "under 100", visit(func(v map[string]any) { v["Name"] = strings.Repeat("a", 101) })},
			{"ticket", "ticket", visit(func(v map[string]any) { v["Ticket"] = "R-0'; DROP" })},
			{"status", "status", visit(func(v map[string]any) { v["Status"] = "teleported" })},
			{"times out of order", "called_at", visit(func(v map[string]any) { v["CalledAt"] = clk.Now().Add(-48 * time.Hour) })},
		}
		seq := int64(100)
		before := siteRecords(t, c, k)
		for _, tc := range cases {
			m := spoil(t, honest, tc.spoil)
			seq++
			m.Seq = seq
			res := mustPush(t, c, k, []wire.PushMutation{m})[0]
			if res.Status != wire.StatusRejected || !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("%s: %s %q, want rejected with %q", tc.name, res.Status, res.Reason, tc.reason)
			}
		}
		if after := siteRecords(t, c, k); len(after) != len(before) {
			t.Fatalf("refused changes wrote records: %d, before %d", len(after), len(before))
		}
		if res := mustPush(t, c, k, []wire.PushMutation{honest})[0]; res.Status != wire.StatusApplied {
			t.Fatalf("the honest check-in: %s %s", res.Status, res.Reason)
		}
		// An empty HLC is refused with the batch, 4xx, as one that does not parse.
		empty := honest
		empty.Seq, empty.HLC = 999, ""
		if _, err := c.Push(ctx, k, wire.PushRequest{Kiosk: k.ID, Mutations: []wire.PushMutation{empty}}); !errors.Is(err, wire.ErrMalformed) {
			t.Fatalf("an empty HLC: %v", err)
		}

		// A kiosk whose clock is a day ahead, and says so in Sent, is
		// flagged, not refused.
		k2 := mustEnrollKiosk(t, c, "north", "k2")
		ahead := &storeClock{t: clk.Now().Add(24 * time.Hour)}
		s2 := openKioskStore(t, "k2", ahead)
		kioskCheckIn(t, s2, queue.CheckInForm{Name: "Li Wei"})
		resp, err := c.Push(ctx, k2, wire.PushRequest{Kiosk: "k2", Sent: ahead.Now(), Mutations: pendingBatch(t, s2)})
		if err != nil || resp.Results[0].Status != wire.StatusApplied {
			t.Fatalf("a kiosk a day ahead that says so: %+v, %v", resp, err)
		}
	})
}

// FuzzCentralPushVisit applies a batch of a real check-in with fields
// altered: whatever the values, the centre answers (a 4xx error or a
// result per change), a refused change has a reason and writes no record,
// and every visit record the site's kiosks pull carries a clock and
// passes queue.CheckVisit. The corpus is in
// testdata/fuzz/FuzzCentralPushVisit; ./dev.sh test runs it briefly.
func FuzzCentralPushVisit(f *testing.F) {
	clk := newStoreClock()
	c := openTestCentral(f, filepath.Join(f.TempDir(), "central.db"), clk)
	mustAddSite(f, c, "north")
	k := mustEnrollKiosk(f, c, "north", "k1")
	s := openKioskStore(f, "k1", clk)
	kioskCheckIn(f, s, queue.CheckInForm{Name: "Marta Díaz"})
	honest := pendingBatch(f, s)[0]
	f.Add("Marta Díaz", "R-001", "waiting", int64(0), int64(0), int64(0), "")
	f.Add("Marta \u202eDíaz", "R-001", "called", int64(0), int64(-1), int64(60_000), "")
	f.Add("", "R-0", "no_show", int64(1), int64(3_600_000), int64(-90_000_000), "x")
	seq := int64(1000)
	f.Fuzz(func(t *testing.T, name, ticket, status string, hlcShift, atShift, calledShift int64, hlcText string) {
		seq++
		m := spoil(t, honest, func(m *wire.PushMutation, mut map[string]any) {
			v := mut["visit"].(map[string]any)
			v["Name"], v["Ticket"], v["Status"] = name, ticket, status
			at := m.At.Add(time.Duration(atShift%(1<<40)) * time.Millisecond)
			m.At, mut["at"] = at, at
			h := fmt.Sprintf("%015d.000000", max(at.UnixMilli()+hlcShift%(1<<40), 0))
			if hlcText != "" {
				h = hlcText
			}
			m.HLC, mut["hlc"] = h, h
			if calledShift != 0 {
				v["CalledAt"] = clk.Now().Add(time.Duration(calledShift%(1<<40)) * time.Millisecond)
			}
		})
		m.Seq = seq
		before := siteRecords(t, c, k)
		resp, err := c.Push(context.Background(), k, wire.PushRequest{Kiosk: "k1", Mutations: []wire.PushMutation{m}})
		after := siteRecords(t, c, k)
		if err != nil {
			if !errors.Is(err, wire.ErrMalformed) {
				t.Fatalf("push: %v", err)
			}
			if len(after) != len(before) {
				t.Fatal("a refused batch wrote records")
			}
			return
		}
		switch res := resp.Results[0]; res.Status {
		case wire.StatusRejected:
			if res.Reason == "" {
				t.Fatal("rejected without a reason")
			}
			for key, data := range after {
				if before[key] != data {
					t.Fatalf("a refused change (%s) changed %s", res.Reason, key)
				}
			}
		case wire.StatusApplied:
		default:
			t.Fatalf("answer %+v to a new name", res)
		}
		for key, data := range after {
			if !strings.HasPrefix(key, queue.EntityVisit+"/") {
				continue
			}
			var sv queue.SiteVisit
			if err := json.Unmarshal([]byte(data), &sv); err != nil {
				t.Fatal(err)
			}
			if sv.HLC == "" || queue.CheckVisit(sv.Visit) != nil {
				t.Fatalf("the site's record %s: %s (%v)", key, data, queue.CheckVisit(sv.Visit))
			}
		}
	})
}

package centre_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/siteconfig"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centredb"
	"lobbyline/syncer/wire"
)

// siteDoc is a site configuration that keeps personal data 14 days.
const siteDoc = `
[jobs]
retention_days = 14

[[services]]
id = "registration"
prefix = "R"
name = "Registration"

[[desks]]
id = "desk-1"
name = "Desk 1"
services = ["registration"]
`

// pullInto follows the site's pages into a kiosk store as the syncer does.
func pullInto(tb testing.TB, c *centre.Service, k centre.Kiosk, s *queue.Store) {
	tb.Helper()
	ctx := context.Background()
	for range 1000 {
		cursor, continuing, err := s.PullState(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		resp, err := c.PullFrom(ctx, k, centre.PullQuery{Cursor: cursor, Continuing: continuing})
		if err != nil {
			tb.Fatalf("pull: %v", err)
		}
		if err := s.ApplyPull(ctx, syncer.PageOf(resp)); err != nil {
			tb.Fatalf("apply pull: %v", err)
		}
		if !resp.More {
			return
		}
	}
	tb.Fatal("pull did not end after 1000 pages")
}

// pushAll pushes a kiosk's pending outbox and settles it; it returns the
// batch.
func pushAll(tb testing.TB, c *centre.Service, k centre.Kiosk, s *queue.Store) []wire.PushMutation {
	tb.Helper()
	batch := pendingBatch(tb, s)
	if len(batch) == 0 {
		return nil
	}
	resp, err := c.Push(context.Background(), k, wire.PushRequest{Kiosk: k.ID, Mutations: batch})
	if err != nil {
		tb.Fatalf("push: %v", err)
	}
	for i, r := range resp.Results {
		if r.Status != wire.StatusApplied {
			tb.Fatalf("push: mutation %d %s: %s %s", i, batch[i].Kind, r.Status, r.Reason)
		}
	}
	settle(tb, s, batch)
	return batch
}

// person is one visitor's personal data as the test wrote it.
type person struct {
	at                            time.Time
	name, host, phone, normalised string
}

func (p person) strings() []string { return []string{p.name, p.host, p.phone, p.normalised} }

// rowsHolding scans every table of a database for any of the strings,
// and returns "table: value" for each cell that holds one.
func rowsHolding(tb testing.TB, db *sql.DB, tables []string, needles map[string]bool) []string {
	tb.Helper()
	var found []string
	for _, table := range tables {
		rows, err := db.Query("SELECT * FROM " + table)
		if err != nil {
			tb.Fatalf("scan %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			for i, v := range vals {
				text := fmt.Sprint(v)
				if b, ok := v.([]byte); ok {
					text = string(b)
				}
				for n := range needles {
					if strings.Contains(text, n) {
						found = append(found, fmt.Sprintf("%s.%s holds %q", table, cols[i], n))
					}
				}
			}
		}
		if err := rows.Err(); err != nil {
			tb.Fatal(err)
		}
		rows.Close()
	}
	return found
}

// kioskHolding is rowsHolding for the kiosk database dir/id.db.
func kioskHolding(tb testing.TB, dir, id string, needles map[string]bool) []string {
	tb.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, id+".db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	return rowsHolding(tb, db, tablesOf(tb, db, false), needles)
}

func tablesOf(tb testing.TB, db *sql.DB, postgres bool) []string {
	tb.Helper()
	query := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	if postgres {
		query = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
	}
	rows, err := db.Query(query)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			tb.Fatal(err)
		}
		out = append(out, t)
	}
	return out
}

// TestPurgeThroughAYear runs a site for a year on a fake clock: visitors
// check in every day at one kiosk, and one of them at a second kiosk too
// (an alert names them), which pulls every day but misses a month
// before a compaction, so it comes back through a snapshot. The centre,
// and both kiosks, purge every day with the site's 14 days. At the end
// nothing older than that holds a name, host or phone in any table of the
// centre or of the kiosks; a replay of the first day is still a
// duplicate; a fresh kiosk's snapshot brings no purged person; and the
// anonymous figures are still there.
func TestPurgeThroughAYear(t *testing.T) {
	if testing.Short() {
		t.Skip("a year of days: about a minute per store, four under the race detector")
	}
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		doc, err := siteconfig.Parse(siteDoc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SetSiteConfig(ctx, "north", "test", func(siteconfig.Record, bool) (siteconfig.Document, error) { return doc, nil }); err != nil {
			t.Fatal(err)
		}
		retention := doc.Retention()
		if retention != 14*24*time.Hour {
			t.Fatalf("retention %v, want the document's 14 days", retention)
		}
		k1, k2 := mustEnrollKiosk(t, c, "north", "lobby-1"), mustEnrollKiosk(t, c, "north", "lobby-2")
		dir := t.TempDir()
		s1, s2 := openKioskStoreAt(t, dir, "lobby-1", clk), openKioskStoreAt(t, dir, "lobby-2", clk)
		reporter := &handOutbox{kiosk: "lobby-9", epoch: 77}
		k9 := mustEnrollKiosk(t, c, "north", "lobby-9")

		var people []person
		var firstDay []wire.PushMutation
		const days = 365
		for day := range days {
			kioskApply(t, s1, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Ann"})
			for i, slot := range []string{"A", "B", "C"} {
				p := person{at: clk.Now(), name: fmt.Sprintf("Visitor D%03d-%s", day, slot),
					host: fmt.Sprintf("Host H%03d-%s", day, slot), phone: fmt.Sprintf("+44 7700 9%03d%d", day, i)}
				p.normalised = queue.NormalizeName(p.name)
				people = append(people, p)
				kioskCheckIn(t, s1, queue.CheckInForm{Name: p.name, Host: p.host, Phone: p.phone})
			}
			// The first visitor checks in at the other kiosk too: both
			// kiosks' staff get an alert that names them.
			kioskCheckIn(t, s2, queue.CheckInForm{Name: people[len(people)-3].name})
			kioskApply(t, s1, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Ann"})
			kioskApply(t, s1, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Ann"})
			if b := pushAll(t, c.Service, k1, s1); day == 0 {
				firstDay = b
			}
			pushAll(t, c.Service, k2, s2)
			if day == 10 {
				mustPush(t, c, k9, []wire.PushMutation{reporter.incident(t, clk.Now(), outage(1, clk.Now().Add(-time.Hour)))})
			}
			// The second kiosk is switched off for a month; meanwhile
			// the centre compacts its tombstones.
			away := day >= 200 && day < 230
			if !away {
				pullInto(t, c.Service, k2, s2)
			}
			if day == 229 {
				if _, err := c.Compact(ctx, "north", clk.Now().Add(-time.Hour)); err != nil {
					t.Fatal(err)
				}
			}

			clk.Advance(9 * time.Hour) // the day closes at 18:00
			for _, s := range []*queue.Store{s1, s2} {
				if _, err := s.CloseDay(ctx); err != nil {
					t.Fatal(err)
				}
			}
			pushAll(t, c.Service, k1, s1)
			pushAll(t, c.Service, k2, s2)
			clk.Advance(9*time.Hour + 15*time.Minute) // 03:15: the purges
			if _, err := c.Purge(ctx); err != nil {
				t.Fatalf("day %d: centre purge: %v", day, err)
			}
			for _, s := range []*queue.Store{s1, s2} {
				if _, err := s.Purge(ctx, clk.Now().Add(-retention)); err != nil {
					t.Fatalf("day %d: kiosk purge: %v", day, err)
				}
			}
			clk.Advance(5*time.Hour + 45*time.Minute) // 09:00
		}
		pullInto(t, c.Service, k2, s2)

		cutoff := clk.Now().Add(-retention)
		purged, kept := map[string]bool{}, map[string]bool{}
		for _, p := range people {
			for _, s := range p.strings() {
				if p.at.Before(cutoff) {
					purged[s] = true
				} else {
					kept[s] = true
				}
			}
		}
		if len(purged) == 0 || len(kept) == 0 {
			t.Fatalf("%d purged and %d kept strings: the test proves nothing", len(purged), len(kept))
		}

		// Nothing older than the retention in any table, at the centre or
		// at either kiosk; what is younger is still there.
		tables := tablesOf(t, c.DB(), centredb.IsPostgres(dsn))
		if found := rowsHolding(t, c.DB(), tables, purged); len(found) > 0 {
			t.Errorf("the centre still holds %d purged values, e.g. %v", len(found), found[:min(5, len(found))])
		}
		if found := rowsHolding(t, c.DB(), tables, kept); len(found) == 0 {
			t.Error("the centre holds nobody from within the retention: the scan cannot see names")
		}
		for _, id := range []string{"lobby-1", "lobby-2"} {
			if found := kioskHolding(t, dir, id, purged); len(found) > 0 {
				t.Errorf("kiosk %s still holds %d purged values, e.g. %v", id, len(found), found[:min(5, len(found))])
			}
		}

		// A replay of the first day, however late, is a duplicate.
		if got := statusesOf(mustPush(t, c, k1, firstDay)); strings.Join(got, ",") != strings.Join(repeated(wire.StatusDuplicate, len(firstDay)), ",") {
			t.Errorf("replay of the first day: %v; want all duplicates", got)
		}

		// A fresh kiosk's snapshot brings nobody from before the cut-off.
		k3 := mustEnrollKiosk(t, c, "north", "lobby-3")
		snap := follow(t, c, k3, 0, 0)
		visits := 0
		for key, r := range snap.records {
			for n := range purged {
				if strings.Contains(string(r.Data), n) {
					t.Errorf("the snapshot's %s holds %q", key, n)
				}
			}
			if r.Entity == queue.EntityVisit {
				visits++
			}
		}
		if visits == 0 {
			t.Error("the snapshot holds no visits at all")
		}

		// The anonymous figures stay: every check-in is counted, its
		// payload keeps service, ticket and times, and the incident report
		// is listed.
		var checkIns int
		if err := c.DB().QueryRow("SELECT count(*) FROM mutations WHERE kind = 'check_in'").Scan(&checkIns); err != nil || checkIns != 4*days {
			t.Errorf("%d check-ins recorded (%v), want %d", checkIns, err, 4*days)
		}
		var payload string
		if err := c.DB().QueryRow("SELECT payload FROM mutations WHERE kind = 'check_in' AND kiosk_id = 'lobby-1' ORDER BY kiosk_at LIMIT 1").Scan(&payload); err != nil {
			t.Fatal(err)
		}
		var m queue.Mutation
		if err := json.Unmarshal([]byte(payload), &m); err != nil || m.Visit == nil {
			t.Fatalf("first check-in's payload %s: %v", payload, err)
		}
		if v := m.Visit; v.Service != "registration" || v.Ticket == "" || v.CheckedInAt.IsZero() || v.Name != "" || v.Phone != "" || v.Host != "" {
			t.Errorf("first check-in as kept: %+v; want service, ticket and time without name, host or phone", v)
		}
		if got := mustIncidents(t, c, "north", time.Time{}); len(got) != 1 || got[0].Summary.CheckIns != 7 {
			t.Errorf("incidents after the year: %+v; want the one report with its figures", got)
		}
	})
}

// TestLateChangeOfAPurgedVisit: a kiosk offline longer than the site's
// retention sends a visit that is already past it. The centre keeps no
// live record of it for the site's kiosks to pull, and its next purge
// takes the person out of the payload; the replay is still a duplicate.
func TestLateChangeOfAPurgedVisit(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		doc, err := siteconfig.Parse(siteDoc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SetSiteConfig(ctx, "north", "test", func(siteconfig.Record, bool) (siteconfig.Document, error) { return doc, nil }); err != nil {
			t.Fatal(err)
		}
		k1, k2 := mustEnrollKiosk(t, c, "north", "lobby-1"), mustEnrollKiosk(t, c, "north", "lobby-2")
		s1 := openKioskStore(t, "lobby-1", clk)
		kioskCheckIn(t, s1, queue.CheckInForm{Name: "Late Larry", Phone: "+44 7700 900555"})
		if _, err := s1.CloseDay(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Advance(20 * 24 * time.Hour)
		kioskCheckIn(t, s1, queue.CheckInForm{Name: "Fresh Fiona"})
		late := pushAll(t, c.Service, k1, s1)

		visits := 0
		for key, r := range follow(t, c, k2, 0, 0).records {
			if strings.Contains(string(r.Data), "Late Larry") {
				t.Errorf("the site's kiosks pull %s with the late visitor in it", key)
			}
			if r.Entity == queue.EntityVisit {
				visits++
			}
		}
		if visits != 1 {
			t.Errorf("%d visits pulled; want Fiona's alone", visits)
		}
		p, err := c.PurgeSite(ctx, "north")
		if err != nil {
			t.Fatal(err)
		}
		if p.Mutations == 0 || p.Mutations >= len(late) {
			t.Errorf("purge %+v; want the late visit's payloads and not Fiona's", p)
		}
		tables := tablesOf(t, c.DB(), centredb.IsPostgres(dsn))
		if found := rowsHolding(t, c.DB(), tables, map[string]bool{"Late Larry": true, "+44 7700 900555": true}); len(found) > 0 {
			t.Errorf("after the purge the centre holds %v", found)
		}
		if got := statusesOf(mustPush(t, c, k1, late)); strings.Join(got, ",") != strings.Join(repeated(wire.StatusDuplicate, len(late)), ",") {
			t.Errorf("replay: %v; want duplicates", got)
		}
	})
}

package centre_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
)

// checkPulled checks what kiosk self got of the site (issue 13 §2): no
// plain watch-list (nor its tombstones), no other kiosk's alert, other
// kiosks' visits without phone, host or invitation; its own whole.
func checkPulled(t *testing.T, self string, p pulled, wantAlerts, wantSealed int) {
	t.Helper()
	alerts, sealed := 0, 0
	for _, page := range p.pages {
		for _, r := range page.Records {
			switch r.Entity {
			case queue.EntityWatch:
				t.Errorf("kiosk %s got plain watch-list record %s (deleted %v)", self, r.Key, r.Deleted)
			case queue.EntityAlert:
				var a queue.Alert
				if !r.Deleted && (json.Unmarshal(r.Data, &a) != nil || a.Kiosk != self) {
					t.Errorf("kiosk %s got another kiosk's alert %s: %s", self, r.Key, r.Data)
				}
			}
		}
	}
	for _, r := range p.records {
		switch r.Entity {
		case queue.EntityAlert:
			alerts++
		case queue.EntitySealedWatch:
			sealed++
		case queue.EntityVisit:
			var sv queue.SiteVisit
			if err := json.Unmarshal(r.Data, &sv); err != nil {
				t.Fatal(err)
			}
			if other := sv.Kiosk != self; other && (sv.Visit.Phone != "" || sv.Visit.Host != "" || sv.Visit.Invite != "") {
				t.Errorf("kiosk %s got kiosk %s's visit %s with phone %q, host %q, invite %q", self, sv.Kiosk, sv.Visit.Ticket, sv.Visit.Phone, sv.Visit.Host, sv.Visit.Invite)
			} else if !other && sv.Visit.Phone == "" {
				t.Errorf("kiosk %s got its own visit %s without its phone", self, sv.Visit.Ticket)
			}
		}
	}
	if alerts != wantAlerts || sealed != wantSealed {
		t.Errorf("kiosk %s holds %d alerts and %d sealed entries; want %d and %d", self, alerts, sealed, wantAlerts, wantSealed)
	}
}

func TestPullGivesEachKioskWhatItNeeds(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		a := mustEnrollKiosk(t, c, "north", "a")
		b := mustEnrollKiosk(t, c, "north", "b")
		if _, err := c.Write(ctx, "north", []centre.RecordWrite{
			{Entity: queue.EntityWatch, Key: "w1", Data: queue.WatchEntry{Name: "Rex Danger", Action: queue.WatchBlock, Note: "Escort off site"}},
			{Entity: queue.EntityWatch, Key: "w2", Data: queue.WatchEntry{Name: "Marta Ruiz", Action: queue.WatchFlag}},
		}); err != nil {
			t.Fatal(err)
		}
		atB := openKioskStore(t, "b", clk)
		kioskCheckIn(t, atB, queue.CheckInForm{Name: "Olga Other", Phone: "+34 600 999 888", Host: "Dr Hidden"})
		kioskCheckIn(t, atB, queue.CheckInForm{Name: "Rex Danger", Phone: "+34 600 000 111"})
		mustPush(t, c, b, pendingBatch(t, atB))
		atA := openKioskStore(t, "a", clk)
		kioskCheckIn(t, atA, queue.CheckInForm{Name: "Ana Own", Phone: "+34 611 222 333"})
		mustPush(t, c, a, pendingBatch(t, atA))

		for _, limit := range []int{0, 1, 2} {
			checkPulled(t, "a", follow(t, c, a, 0, limit), 0, 2)
			checkPulled(t, "b", follow(t, c, b, 0, limit), 1, 2)
		}

		// A deleted entry's sealed companion goes too, as a tombstone; the
		// plain one's tombstone stays at the centre.
		head := siteHead(t, c, a)
		if _, err := c.Write(ctx, "north", []centre.RecordWrite{{Entity: queue.EntityWatch, Key: "w2", Delete: true}}); err != nil {
			t.Fatal(err)
		}
		p := follow(t, c, a, head, 0)
		if rs := p.pages[0].Records; len(rs) != 1 || rs[0].Entity != queue.EntitySealedWatch || !rs[0].Deleted {
			t.Errorf("after deleting an entry, kiosk a got %+v; want one sealed tombstone", rs)
		}

		// A snapshot keeps the same rule.
		clk.Advance(time.Hour)
		if n, err := c.Compact(ctx, "north", clk.Now()); err != nil || n == 0 {
			t.Fatalf("compact: %d, %v", n, err)
		}
		for _, limit := range []int{0, 1, 3} {
			p := follow(t, c, a, 1, limit)
			if !p.pages[0].Snapshot {
				t.Fatal("a pull below the floor is not a snapshot")
			}
			checkPulled(t, "a", p, 0, 1)
			checkPulled(t, "b", follow(t, c, b, 1, limit), 1, 1)
		}
	})
}

// openSealed opens the sealed entries a kiosk pulled with a check-in's name.
func openSealed(t *testing.T, p pulled, name string) []queue.WatchEntry {
	t.Helper()
	var out []queue.WatchEntry
	for _, r := range p.records {
		if r.Entity != queue.EntitySealedWatch {
			continue
		}
		sw, err := queue.ParseSealedWatch(r.Data)
		if err != nil {
			t.Fatalf("sealed entry %s: %v", r.Key, err)
		}
		if w, ok := sw.Open(queue.DeriveWatch(name, sw.Salt, sw.WatchParams)); ok {
			out = append(out, w)
		}
	}
	return out
}

// putPlain writes watch-list records as a centre before this release did:
// without sealed companions.
func putPlain(t *testing.T, c centretest.Centre, site string, recs map[string]*queue.WatchEntry) {
	t.Helper()
	ctx := context.Background()
	err := c.Store.Update(ctx, func(tx centre.Ops) error {
		top, err := tx.NextVersions(ctx, site, len(recs))
		if err != nil {
			return err
		}
		v := top - int64(len(recs))
		var rows []centre.RecordRow
		for key, w := range recs {
			v++
			row := centre.RecordRow{Site: site, Entity: queue.EntityWatch, Key: key, Version: v, Deleted: w == nil, Data: "{}", Updated: time.Now()}
			if w != nil {
				data, _ := json.Marshal(w)
				row.Data = string(data)
			}
			rows = append(rows, row)
		}
		return tx.PutRecords(ctx, rows)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSealWatchListsSealsWhatAnEarlierReleaseWrote: entries written
// before this release (or by an instance of the earlier one during a
// rolling upgrade) get their sealed companions when the centre starts;
// changed ones are sealed again, deleted ones lose theirs. Each site has
// its own salt.
func TestSealWatchListsSealsWhatAnEarlierReleaseWrote(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		mustAddSite(t, c, "south")
		k := mustEnrollKiosk(t, c, "north", "a")
		south := mustEnrollKiosk(t, c, "south", "s")
		putPlain(t, c, "north", map[string]*queue.WatchEntry{
			"w1": {Name: "Rex Danger", Action: queue.WatchBlock, Note: "first note"},
			"w2": {Name: "Marta Ruiz", Action: queue.WatchFlag},
		})
		putPlain(t, c, "south", map[string]*queue.WatchEntry{"w1": {Name: "Rex Danger", Action: queue.WatchFlag}})
		seal := func(want int) {
			t.Helper()
			if n, err := c.SealWatchLists(ctx); err != nil || n != want {
				t.Fatalf("seal watch-lists: %d, %v; want %d", n, err, want)
			}
		}
		seal(3)
		seal(0)
		if got := openSealed(t, follow(t, c, k, 0, 0), "rex danger"); len(got) != 1 || got[0].Note != "first note" {
			t.Fatalf("Rex Danger opens %+v", got)
		}

		putPlain(t, c, "north", map[string]*queue.WatchEntry{"w1": {Name: "Rex Danger", Action: queue.WatchBlock, Note: "second note"}, "w2": nil})
		seal(2)
		p := follow(t, c, k, 0, 0)
		if got := openSealed(t, p, "Rex Danger"); len(got) != 1 || got[0].Note != "second note" {
			t.Errorf("after the entry changed, Rex Danger opens %+v", got)
		}
		if got := openSealed(t, p, "Marta Ruiz"); len(got) != 0 {
			t.Errorf("a deleted entry still opens: %+v", got)
		}

		// The same name at two sites: two salts, two tags.
		tag := func(p pulled) (salt, tag []byte) {
			for _, r := range p.records {
				if r.Entity == queue.EntitySealedWatch {
					sw, _ := queue.ParseSealedWatch(r.Data)
					return sw.Salt, sw.Tag
				}
			}
			return nil, nil
		}
		ns, nt := tag(p)
		ss, st := tag(follow(t, c, south, 0, 0))
		if ns == nil || ss == nil || bytes.Equal(ns, ss) || bytes.Equal(nt, st) {
			t.Errorf("north salt %x tag %x, south salt %x tag %x; want them apart", ns, nt, ss, st)
		}
	})
}

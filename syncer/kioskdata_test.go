package syncer_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"lobbyline/queue"
	"lobbyline/queue/sqldb"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
)

// TestAKioskHoldsOnlyWhatItNeeds (issue 13 §2): after a full sync with a
// centre whose site has a watch-list, another kiosk's visit with a phone
// number and host, and another kiosk's watch-list alert, nothing of these
// is anywhere in the kiosk's database (any table, any column, the file
// and its WAL), in plain text or encoded. Offline, the kiosk still
// screens a check-in against the list, and the note shows only on a
// match.
func TestAKioskHoldsOnlyWhatItNeeds(t *testing.T) {
	centretest.EachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := startCentreOn(t, dsn, centre.Options{})
		_, err := c.store.Write(ctx, "north", []centre.RecordWrite{
			{Entity: queue.EntityWatch, Key: "w1", Data: queue.WatchEntry{Name: "Rex Danger", Born: "1971-03-04", IDCard: "Z1234567Q",
				Action: queue.WatchBlock, Note: "Escort him off site, call ext 4412"}},
			{Entity: queue.EntityWatch, Key: "w2", Data: queue.WatchEntry{Name: "Marta Ruiz-Peña", Born: "1985-12-30", IDCard: "Y7654321R",
				Action: queue.WatchFlag, Note: "Custody order against her"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		a, b := newKiosk(t, c, "a"), newKiosk(t, c, "b")
		// At b: a visitor with a phone and a host, and Rex Danger, whose
		// watch-list alert (with its note) is b's.
		if _, err := b.store.CheckIn(ctx, queue.CheckInForm{Name: "Olga Other", Phone: "+34 600 999 888", Host: "Dr Hidden Host",
			Service: "registration"}, queue.SourceKiosk); err != nil {
			t.Fatal(err)
		}
		b.checkIn(t, "Rex Danger")
		if err := b.sync.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if alerts, err := b.store.Remote(ctx, queue.EntityAlert); err != nil || len(alerts) != 1 {
			t.Fatalf("kiosk b's alerts from the centre: %d, %v; want its watch-list hit", len(alerts), err)
		}
		// At a: its own visitor, then a full sync.
		if _, err := a.store.CheckIn(ctx, queue.CheckInForm{Name: "Own Visitor", Phone: "+34 611 222 333", Service: "registration"}, queue.SourceKiosk); err != nil {
			t.Fatal(err)
		}
		if err := a.sync.Sync(ctx); err != nil {
			t.Fatal(err)
		}

		// What a needs arrived: the site's visits (b's without phone or
		// host), the sealed list; its own visit is whole.
		visits, err := a.store.Remote(ctx, queue.EntityVisit)
		if err != nil || len(visits) != 3 {
			t.Fatalf("kiosk a holds %d site visits (%v); want 3", len(visits), err)
		}
		if sealed, err := a.store.Remote(ctx, queue.EntitySealedWatch); err != nil || len(sealed) != 2 {
			t.Fatalf("kiosk a holds %d sealed watch-list entries (%v); want 2", len(sealed), err)
		}
		for _, e := range []string{queue.EntityWatch, queue.EntityAlert} {
			if got, err := a.store.Remote(ctx, e); err != nil || len(got) != 0 {
				t.Errorf("kiosk a holds %d %s records (%v); want none", len(got), e, err)
			}
		}

		hay := readKioskDisk(t, a.path)
		if !bytes.Contains(hay, []byte("+34 611 222 333")) || !bytes.Contains(hay, []byte("Olga Other")) {
			t.Fatal("the scan does not see the kiosk's own visitor's phone, or b's visitor's name: it is looking in the wrong place")
		}
		for _, secret := range []string{
			"Marta Ruiz-Peña", "marta ruiz pena", "Ruiz-Pe", "1985-12-30", "Y7654321R", "Custody order", // on the list, never checked in
			"1971-03-04", "Z1234567Q", "Escort him off site", // Rex Danger's details: his name is on b's visit, rightly
			"+34 600 999 888", "34600999888", "Dr Hidden Host", // b's visitor's phone and host
		} {
			for _, form := range encodings(secret) {
				if bytes.Contains(hay, []byte(form)) {
					t.Errorf("kiosk a's disk holds %q (as %q)", secret, form)
					break
				}
			}
		}

		// Offline, a screens with the sealed list: a match in any case and
		// without accents alerts staff with the entry's note; a near miss
		// reveals nothing.
		a.checkIn(t, "Martha Ruiz")
		if alerts, err := a.store.Alerts(ctx, true); err != nil || len(alerts) != 0 {
			t.Fatalf("alerts after a near miss: %+v, %v", alerts, err)
		}
		a.checkIn(t, "MARTA RUIZ PENA")
		alerts, err := a.store.Alerts(ctx, true)
		if err != nil || len(alerts) != 1 || alerts[0].Kind != queue.AlertWatch || !strings.Contains(alerts[0].Message, "Custody order against her") {
			t.Fatalf("alerts after Marta Ruiz-Peña checked in: %+v, %v; want the watch-list hit with its note", alerts, err)
		}
	})
}

// readKioskDisk returns everything a thief of the kiosk's disk could
// read: every column of every row of every table, then the database file
// and its WAL after a checkpoint.
func readKioskDisk(t *testing.T, path string) []byte {
	t.Helper()
	db, err := sql.Open("sqlite", sqldb.SQLiteDSN(path, "busy_timeout(10000)"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var hay bytes.Buffer
	tables, err := db.Query("SELECT name FROM sqlite_master WHERE type = 'table'")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		if err := tables.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	tables.Close()
	for _, n := range names {
		rows, err := db.Query(`SELECT * FROM "` + n + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					hay.Write(b)
				} else {
					fmt.Fprint(&hay, v)
				}
				hay.WriteByte(0)
			}
		}
		rows.Close()
	}
	if _, err := db.Exec("PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		hay.Write(b)
	}
	return hay.Bytes()
}

// encodings are the forms a string could take on disk: as it is, lower
// and upper case, JSON-escaped, hex, and base64 (standard and URL, at each
// of the three alignments it could sit at inside a longer encoded text).
func encodings(s string) []string {
	forms := []string{s, strings.ToLower(s), strings.ToUpper(s), hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s)))}
	if q := strconv.QuoteToASCII(s); q[1:len(q)-1] != s {
		forms = append(forms, q[1:len(q)-1])
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for pad := range 3 {
			e := enc.EncodeToString(append(make([]byte, pad), s...))
			// Leave out the groups the padding or what follows shares.
			from, to := 0, len(e)-4
			if pad > 0 {
				from = 4
			}
			if to-from >= 8 {
				forms = append(forms, e[from:to])
			}
		}
	}
	return forms
}

package queue_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"lobbyline/queue"
)

var testSalt = []byte("site-salt-16byte")

func mustSeal(tb testing.TB, w queue.WatchEntry) queue.SealedWatch {
	tb.Helper()
	sw, err := queue.SealWatch(w, testSalt, queue.DefaultWatchParams)
	if err != nil {
		tb.Fatal(err)
	}
	return sw
}

// sealedCases are check-in names against an entry sealed for "José
// O'Brien": the watch-list's normalisation forgives case, accents and
// punctuation, and nothing more. The names double as fuzz seeds.
var sealedCases = []struct {
	name  string
	match bool
}{
	{"José O'Brien", true},
	{"jose obrien", true},
	{"  JOSÉ   O’BRIEN ", true},
	{"Jose O-Brien", false}, // a dash separates words
	{"Jose Obrien Smith", false},
	{"Joseph O'Brien", false},
	{"", false},
}

func TestSealedWatchOpensOnlyForTheName(t *testing.T) {
	entry := queue.WatchEntry{Name: "José O'Brien", Born: "1970-02-03", IDCard: "X9876543", Action: queue.WatchBlock, Note: "Call security on 4412"}
	sw := mustSeal(t, entry)
	data, err := json.Marshal(sw)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"José", "O'Brien", "obrien", "1970-02-03", "X9876543", "security", "4412", "block"} {
		if bytes.Contains(bytes.ToLower(data), bytes.ToLower([]byte(secret))) {
			t.Errorf("the sealed entry shows %q: %s", secret, data)
		}
	}
	parsed, err := queue.ParseSealedWatch(data)
	if err != nil {
		t.Fatalf("parse what was sealed: %v", err)
	}
	for _, c := range sealedCases {
		got, ok := parsed.Open(queue.DeriveWatch(c.name, parsed.Salt, parsed.WatchParams))
		if ok != c.match {
			t.Errorf("%q opens the entry: %v; want %v", c.name, ok, c.match)
		}
		if ok && got != entry {
			t.Errorf("%q opened %+v; want %+v", c.name, got, entry)
		}
	}
	// The same name under another site's salt does not match: a list
	// precomputed for one site is no use at another.
	if _, ok := parsed.Open(queue.DeriveWatch(entry.Name, []byte("another-site-slt"), parsed.WatchParams)); ok {
		t.Error("another salt opened the entry")
	}
	// The box is bound to its tag: moved under another entry's tag, it
	// does not open.
	other := mustSeal(t, queue.WatchEntry{Name: "Ana Pérez", Action: queue.WatchFlag})
	other.Box = parsed.Box
	if _, ok := other.Open(queue.DeriveWatch("Ana Perez", testSalt, queue.DefaultWatchParams)); ok {
		t.Error("a box opened under another entry's tag")
	}
}

func TestParseSealedWatchRefuses(t *testing.T) {
	good := mustSeal(t, queue.WatchEntry{Name: "Ana Pérez", Action: queue.WatchFlag})
	for name, mutate := range map[string]func(*queue.SealedWatch){
		"version":     func(sw *queue.SealedWatch) { sw.Version = 2 },
		"short salt":  func(sw *queue.SealedWatch) { sw.Salt = sw.Salt[:8] },
		"huge memory": func(sw *queue.SealedWatch) { sw.Memory = 4 << 20 },
		"no threads":  func(sw *queue.SealedWatch) { sw.Threads = 0 },
		"no time":     func(sw *queue.SealedWatch) { sw.Time = 0 },
		"short tag":   func(sw *queue.SealedWatch) { sw.Tag = sw.Tag[:16] },
		"short box":   func(sw *queue.SealedWatch) { sw.Box = sw.Box[:20] },
		"huge box":    func(sw *queue.SealedWatch) { sw.Box = make([]byte, 8192) },
	} {
		sw := good
		mutate(&sw)
		data, _ := json.Marshal(sw)
		if _, err := queue.ParseSealedWatch(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := queue.ParseSealedWatch([]byte(`{"name":"Plain Text"}`)); err == nil {
		t.Error("a plain entry parsed as a sealed one")
	}
}

// FuzzParseSealedWatch feeds the decoder what a centre, a broken one or a
// tampered record, might send: it must not panic, and what it accepts
// must open (or not) without panicking.
func FuzzParseSealedWatch(f *testing.F) {
	sw := mustSeal(f, queue.WatchEntry{Name: "José O'Brien", Action: queue.WatchFlag, Note: "n"})
	good, _ := json.Marshal(sw)
	f.Add(good, "José O'Brien")
	for _, c := range sealedCases {
		f.Add(good, c.name)
	}
	f.Add(good[:len(good)/2], "x")
	f.Add([]byte(`{"v":1,"salt":"`+base64.StdEncoding.EncodeToString(testSalt)+`","t":1,"m":8192,"p":1,"tag":"","box":""}`), "a")
	f.Add([]byte(`{"v":1,"m":4294967295,"t":4294967295,"p":255}`), "a")
	f.Add([]byte(`null`), "")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		sw, err := queue.ParseSealedWatch(data)
		if err != nil {
			return
		}
		if sw.Memory > 256*1024 || sw.Time > 10 || sw.Threads > 8 || len(sw.Box) > 4096 {
			t.Fatalf("accepted parameters out of bounds: %+v", sw.WatchParams)
		}
		if len(name) > 64 || sw.Memory > 8*1024 || sw.Time > 1 {
			return // the hash is slow on purpose; fuzz the cheap ones
		}
		sw.Open(queue.DeriveWatch(name, sw.Salt, sw.WatchParams))
	})
}

// TestScreensWithTheSealedWatchList: a kiosk holding only the sealed list
// still alerts staff offline on a check-in whose name matches (any case,
// accents, punctuation), with the entry's note; other check-ins reveal
// nothing. A plain-text entry from a centre of an earlier release is not
// kept, and screens nothing.
func TestScreensWithTheSealedWatchList(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t, "", newClock())
	page := queue.PullPage{Cursor: 7, Records: []queue.RemoteRecord{
		remote(t, queue.EntitySealedWatch, "k1", 1, mustSeal(t, queue.WatchEntry{Name: "José O'Brien", Action: queue.WatchBlock, Note: "Call security on 4412"})),
		remote(t, queue.EntitySealedWatch, "k2", 2, mustSeal(t, queue.WatchEntry{Name: "Ana Pérez", Action: queue.WatchFlag})),
		remote(t, queue.EntityWatch, "plain", 3, queue.WatchEntry{Name: "Plain Person", Action: queue.WatchFlag, Note: "plain note"}),
		remote(t, queue.EntityPreReg, "INV-0001", 4, queue.PreRegistration{Code: "INV-0001", Name: "Ana  PEREZ", Host: "Dr Osei"}),
		// Unusable entries (garbled, or from a newer centre) are skipped and
		// stop no check-in.
		remote(t, queue.EntitySealedWatch, "k3", 5, map[string]any{"v": "x", "salt": 5, "t": 1.5, "m": -1, "p": "y"}),
		remote(t, queue.EntitySealedWatch, "k4", 6, []int{1}),
		remote(t, queue.EntitySealedWatch, "k5", 7, map[string]any{"v": 2, "salt": base64.StdEncoding.EncodeToString(testSalt), "t": 1, "m": 8192, "p": 1}),
	}}
	if err := s.ApplyPull(ctx, page); err != nil {
		t.Fatal(err)
	}
	if plain, err := s.Remote(ctx, queue.EntityWatch); err != nil || len(plain) != 0 {
		t.Errorf("kept %d plain-text watch entries (%v); want none", len(plain), err)
	}
	for _, name := range []string{"Joseph O'Brien", "Plain Person", "Ana Perez Lopez"} {
		mustCheckIn(t, s, name, "registration")
	}
	if alerts, err := s.Alerts(ctx, true); err != nil || len(alerts) != 0 {
		t.Fatalf("alerts for names not on the sealed list: %+v, %v", alerts, err)
	}
	tk := mustCheckIn(t, s, "JOSE OBRIEN", "registration")
	mustCheckIn(t, s, "ana perez", "registration")
	alerts, err := s.Alerts(ctx, true)
	if err != nil || len(alerts) != 2 {
		t.Fatalf("alerts = %+v, %v; want two watch-list hits", alerts, err)
	}
	hit := alerts[1] // newest first
	if hit.Kind != queue.AlertWatch || hit.Visit != tk.Visit.ID || !strings.Contains(hit.Message, "(block)") || !strings.Contains(hit.Message, "Call security on 4412") {
		t.Errorf("the hit on José O'Brien: %+v; want a block alert with the note", hit)
	}
	if strings.Contains(alerts[0].Message, "4412") {
		t.Errorf("Ana Pérez's alert shows another entry's note: %q", alerts[0].Message)
	}
	// Checked in by invite code alone, the invitation's name is screened.
	if _, err := s.CheckIn(ctx, queue.CheckInForm{Invite: "inv-0001", Service: "registration"}, queue.SourceKiosk); err != nil {
		t.Fatal(err)
	}
	if alerts, err := s.Alerts(ctx, true); err != nil || len(alerts) != 3 || !strings.Contains(alerts[0].Message, "(flag): Ana  PEREZ") {
		t.Errorf("alerts after an invited check-in on the list: %+v, %v", alerts, err)
	}
}

// BenchmarkDeriveWatch is what screening one check-in costs a kiosk with
// a watch-list, and what one guess costs whoever holds a stolen disk.
func BenchmarkDeriveWatch(b *testing.B) {
	for b.Loop() {
		queue.DeriveWatch("José O'Brien", testSalt, queue.DefaultWatchParams)
	}
}

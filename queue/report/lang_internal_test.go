package report

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
)

// keyLiteral is a quoted catalogue key in the package's source: dotted
// lower-case words, like "heading.summary".
var keyLiteral = regexp.MustCompile(`"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"`)

var placeholder = regexp.MustCompile(`\{\{\.([A-Za-z]+)\}\}`)

// sourceKeys are the keys the package's code and templates name.
func sourceKeys(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "report.html.tmpl")
	keys := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyLiteral.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
	}
	if len(keys) < 50 {
		t.Fatalf("found only %d keys in the source; is the pattern right?", len(keys))
	}
	return keys
}

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestCataloguesAreCompleteAndUsed fails on a key the code names that a
// language lacks, a key no code names, and a translation whose
// arguments or plural forms differ from the English.
func TestCataloguesAreCompleteAndUsed(t *testing.T) {
	want := []string{"de", "en", "es", "fr", "it", "pt"}
	if got := Languages(); !slices.Equal(got, want) {
		t.Fatalf("Languages() = %v, want %v", got, want)
	}
	used := sourceKeys(t)
	en := catalogues["en"]
	for key := range used {
		if _, ok := en[key]; !ok {
			t.Errorf("the code uses %q, which en.json lacks", key)
		}
	}
	for code, msgs := range catalogues {
		for key := range en {
			if _, ok := msgs[key]; !ok {
				t.Errorf("%s.json lacks %q", code, key)
			}
		}
		for key, m := range msgs {
			ref, ok := en[key]
			switch {
			case !ok:
				t.Errorf("%s.json has %q, which en.json lacks", code, key)
				continue
			case !used[key]:
				t.Errorf("%s.json: %q is used nowhere", code, key)
			case (m.one == "") != (ref.one == ""):
				t.Errorf("%s.json: %q must have one and other forms exactly when en.json's has", code, key)
			case strings.TrimSpace(m.other) == "":
				t.Errorf("%s.json: %q is empty", code, key)
			}
			for _, form := range []string{m.one, m.other} {
				if form == "" {
					continue
				}
				if got, want := placeholders(form), placeholders(ref.other); !slices.Equal(got, want) {
					t.Errorf("%s.json: %q has arguments %v, want %v", code, key, got, want)
				}
			}
			if m.count != "" && !slices.Contains(placeholders(m.other), m.count) {
				t.Errorf("%s.json: %q counts %s, which it does not show", code, key, m.count)
			}
		}
	}
}

func TestPlurals(t *testing.T) {
	for _, tc := range []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"en", "lobby.waiting", []any{"N", 1}, "1 visitor waiting"},
		{"en", "lobby.waiting", []any{"N", 2}, "2 visitors waiting"},
		{"en", "lobby.waiting", []any{"N", 0}, "0 visitors waiting"},
		{"de", "lobby.waiting", []any{"N", 1}, "1 wartender Besucher"},
		{"de", "lobby.waiting", []any{"N", 3}, "3 wartende Besucher"},
		{"es", "roster.count", []any{"N", 1}, "1 persona en el edificio"},
		{"es", "roster.count", []any{"N", 2}, "2 personas en el edificio"},
		{"pt", "roster.count", []any{"N", 0}, "0 pessoas no local"},
		{"it", "roster.count", []any{"N", 1}, "1 persona presente"},
		{"it", "roster.count", []any{"N", 5}, "5 persone presenti"},
		// French counts 0 as singular.
		{"fr", "lobby.waiting", []any{"N", 0}, "0 visiteur en attente"},
		{"fr", "lobby.waiting", []any{"N", 1}, "1 visiteur en attente"},
		{"fr", "lobby.waiting", []any{"N", 2}, "2 visiteurs en attente"},
		// English agrees with the total, French and Italian with the steps done.
		{"en", "checklist.count", []any{"Done", 1, "N", 3}, "1 of 3 steps done"},
		{"en", "checklist.count", []any{"Done", 1, "N", 1}, "1 of 1 step done"},
		{"fr", "checklist.count", []any{"Done", 1, "N", 3}, "1 étape sur 3 effectuée"},
		{"fr", "checklist.count", []any{"Done", 2, "N", 3}, "2 étapes sur 3 effectuées"},
		{"it", "checklist.count", []any{"Done", 1, "N", 3}, "1 passaggio su 3 completato"},
		{"it", "checklist.count", []any{"Done", 3, "N", 3}, "3 passaggi su 3 completati"},
		{"de", "checklist.count", []any{"Done", 0, "N", 1}, "0 von 1 Schritt erledigt"},
		{"de", "checklist.count", []any{"Done", 1, "N", 2}, "1 von 2 Schritten erledigt"},
	} {
		l, err := newLanguage(tc.lang)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.t(tc.key, tc.args...); got != tc.want {
			t.Errorf("%s %s %v = %q, want %q", tc.lang, tc.key, tc.args, got, tc.want)
		}
	}
}

func TestDatesAndNumbers(t *testing.T) {
	d := time.Date(2026, 3, 2, 9, 5, 0, 0, time.UTC)
	for _, tc := range []struct {
		lang, date, day, decimal string
	}{
		{"en", "2026-03-02", "Mar 2", "4.5"},
		{"de", "02.03.2026", "2. März", "4,5"},
		{"fr", "02/03/2026", "2 mars", "4,5"},
		{"es", "02/03/2026", "2 mar", "4,5"},
		{"pt", "02/03/2026", "2 mar", "4,5"},
		{"it", "02/03/2026", "2 mar", "4,5"},
	} {
		l, err := newLanguage(tc.lang)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.date(d); got != tc.date {
			t.Errorf("%s date = %q, want %q", tc.lang, got, tc.date)
		}
		if got := l.day(d); got != tc.day {
			t.Errorf("%s day = %q, want %q", tc.lang, got, tc.day)
		}
		if got := l.decimal(4.5, 1); got != tc.decimal {
			t.Errorf("%s decimal = %q, want %q", tc.lang, got, tc.decimal)
		}
		if n := len(strings.Fields(l.t("chart.months"))); n != 12 {
			t.Errorf("%s has %d month names", tc.lang, n)
		}
	}
	if _, err := newLanguage("nl"); err == nil {
		t.Error("newLanguage(nl) did not fail")
	}
}

// The kiosk's own timeline notes are said in the report's language; what
// staff typed is not touched.
func TestStoredTextFollowsTheLanguage(t *testing.T) {
	de, err := newLanguage("de")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		e    queue.TimelineEntry
		want string
	}{
		{queue.TimelineEntry{Kind: queue.TimelineSeverity, Text: "minor → major (central unreachable)"}, "leicht → schwer (central unreachable)"},
		{queue.TimelineEntry{Kind: queue.TimelineExpected, Actor: "Anna", Text: "expected back at 10:30"}, "erwartet zurück um 10:30"},
		{queue.TimelineEntry{Kind: queue.TimelineDrained, Text: "every change made during it reached the centre"}, "alle währenddessen gemachten Änderungen sind bei der Zentrale angekommen"},
		{queue.TimelineEntry{Kind: queue.TimelineEnd, Text: "stopped by IT"}, "beendet durch IT"},
		{queue.TimelineEntry{Kind: queue.TimelineNote, Actor: "Lea", Text: "drill started for 15m0s"}, "Übung für 15 min gestartet"},
		{queue.TimelineEntry{Kind: queue.TimelineMessage, Actor: "Lea", Text: "message taken down"}, "message taken down"},
		{queue.TimelineEntry{Kind: queue.TimelineEnd, Text: "central reachable again"}, "central reachable again"},
	} {
		if got := de.storedText(tc.e); got != tc.want {
			t.Errorf("%s %q = %q, want %q", tc.e.Kind, tc.e.Text, got, tc.want)
		}
	}
}

package report_test

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"lobbyline/queue"
	"lobbyline/queue/report"
)

// englishReport are words of the reports' English text. The test reports
// carry English text of their own (staff messages, runbook steps, the
// kiosk's timeline notes such as "minor → major"), which no language
// changes; none of these words is in it.
var englishReport = []string{
	"Report made", "Summary", "The lobby during", "Peak severity", "Estimates against actual waits",
	"watch-list hits", "Watch-list hits", "Messages to the lobby", "Expected time back", "Visitor feedback",
	"Timeline", "Checked in", "Waited", "still waiting", "steps done", "visitors answered", "visitors waiting",
	"not yet at the centre", "after the end", "mean error", "Mean absolute error", "Longest line",
	"Check-ins during", "watch-list match", "duplicate check-in", "severity changed", "checklist step ticked",
	"message published", "message taken down", "Alert texts", "Last set", "Outage", "Drill", "Kind", "Cause",
	"Duration", "Score", "Answers", "Share", "Event", "Details", "By", "so far", "done", "of 5", "report",
	"Chart", "shaded", "Planned end", "Drill banner", "Severity now", "yes", "response times", "after the start",
	"First message", "Item", "Value", "Estimate", "Ticket",
}

// englishRoster are words of the printed roster's English text.
var englishRoster = []string{
	"On site", "List made", "people on site", "Counted at the assembly point",
	"Visiting", "Checked in", "served", "waiting", "called", "everyone checked in", "by ___", "at ___",
}

// sharedWords are words of the English lists that a language uses too.
var sharedWords = map[string][]string{
	"fr": {"Cause", "Ticket"},
}

// nativeReport are words each language's report must show: its own
// headings, plurals, dates and decimal mark.
var nativeReport = map[string][]string{
	"de": {"Ausfallbericht: Main lobby (kiosk-07)", "Zusammenfassung", "Höchster Schweregrad", "9 wartende Besucher",
		"02.03.2026 09:14:05 CET", "Mittelwert 4,0 von 5", "2 von 3 Schritten erledigt", "Zeitverlauf", "schwer"},
	"fr": {"Rapport de panne\u00a0: Main lobby (kiosk-07)", "Synthèse", "Gravité maximale", "9 visiteurs en attente",
		"02/03/2026 09:14:05 CET", "moyenne 4,0 sur 5", "2 étapes sur 3 effectuées", "Chronologie", "majeur"},
	"es": {"Informe de caída: Main lobby (kiosk-07)", "Resumen", "Gravedad máxima", "9 visitantes en espera",
		"02/03/2026 09:14:05 CET", "media de 4,0 sobre 5", "2 de 3 pasos hechos", "Cronología", "grave"},
	"pt": {"Relatório de falha: Main lobby (kiosk-07)", "Resumo", "Gravidade máxima", "9 visitantes à espera",
		"02/03/2026 09:14:05 CET", "média de 4,0 em 5", "2 de 3 passos feitos", "Cronologia", "grave"},
	"it": {"Rapporto sul guasto: Main lobby (kiosk-07)", "Riepilogo", "Gravità massima", "9 visitatori in attesa",
		"02/03/2026 09:14:05 CET", "media 4,0 su 5", "2 passaggi su 3 completati", "Cronologia", "grave"},
}

var nativeRoster = map[string][]string{
	"de": {"Im Haus: Main lobby, General Hospital", "3 Personen im Haus", "Gezählt am Sammelplatz", "22.11.2026 19:40", "bedient", "wartend", "Besuch bei"},
	"fr": {"Sur place\u00a0: Main lobby, General Hospital", "3 personnes sur place", "point de rassemblement", "22/11/2026 19:40", "servi", "en attente", "Visite à"},
	"es": {"En el edificio: Main lobby, General Hospital", "3 personas en el edificio", "punto de encuentro", "22/11/2026 19:40", "atendido", "en espera", "Visita a"},
	"pt": {"No local: Main lobby, General Hospital", "3 pessoas no local", "ponto de encontro", "22/11/2026 19:40", "atendido", "à espera", "Visita a"},
	"it": {"Presenti: Main lobby, General Hospital", "3 persone presenti", "punto di raccolta", "22/11/2026 19:40", "servito", "in attesa", "Visita a"},
}

var (
	pngData = regexp.MustCompile(`data:image/png;base64,[A-Za-z0-9+/=]*`)
	style   = regexp.MustCompile(`(?s)<style>.*</style>`)
	classes = regexp.MustCompile(`class="[^"]*"`)
)

// english returns the English words of list found in text as whole
// words, leaving out those the language shares.
func english(text string, list []string, lang string) []string {
	var found []string
	for _, w := range list {
		if slices.Contains(sharedWords[lang], w) {
			continue
		}
		pattern := regexp.QuoteMeta(w)
		if unicode.IsLetter(rune(w[0])) {
			pattern = `\b` + pattern
		}
		if unicode.IsLetter(rune(w[len(w)-1])) {
			pattern += `\b`
		}
		if regexp.MustCompile(pattern).MatchString(text) {
			found = append(found, w)
		}
	}
	return found
}

// pageText is an HTML page without its styles, class names and chart.
func pageText(page string) string {
	return classes.ReplaceAllString(style.ReplaceAllString(pngData.ReplaceAllString(page, ""), ""), "")
}

// TestReportsFollowTheLanguage renders the outage and the drill as Markdown
// and HTML in every language and fails on a word of English template text,
// and on any of the language's own words missing.
func TestReportsFollowTheLanguage(t *testing.T) {
	// The lists catch English: English itself has them all.
	var en bytes.Buffer
	if err := report.WriteMarkdown(&en, outage(), opts); err != nil {
		t.Fatal(err)
	}
	if found := english(en.String(), englishReport, "en"); len(found) < len(englishReport)/2 {
		t.Fatalf("the English report has only %v of the English words", found)
	}
	for lang, want := range nativeReport {
		t.Run(lang, func(t *testing.T) {
			o := opts
			o.Lang = lang
			for _, r := range []queue.IncidentReport{outage(), drill()} {
				var md, page bytes.Buffer
				if err := report.WriteMarkdown(&md, r, o); err != nil {
					t.Fatal(err)
				}
				if err := report.WriteHTML(&page, r, o); err != nil {
					t.Fatal(err)
				}
				keep(t, "incident-"+lang+"-"+strings.ToLower(r.Incident.Cause[:5])+".html", page.Bytes())
				h := pageText(page.String())
				for what, text := range map[string]string{"markdown": md.String(), "html": h} {
					if found := english(text, englishReport, lang); len(found) > 0 {
						t.Errorf("%s %s: English words %q", r.Incident.Cause, what, found)
					}
					if r.Incident.Drill {
						continue
					}
					for _, w := range want {
						if !strings.Contains(text, w) {
							t.Errorf("%s: lacks %q", what, w)
						}
					}
				}
				if !strings.Contains(page.String(), `<html lang="`+lang+`">`) {
					t.Errorf("html: not marked as %s", lang)
				}
			}
		})
	}
}

// TestCSVKeepsItsMachineWords: the header and codes stay English for
// scripts; the notes for people follow the language.
func TestCSVKeepsItsMachineWords(t *testing.T) {
	o := opts
	o.Lang = "de"
	var b bytes.Buffer
	if err := report.WriteCSV(&b, outage(), o); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, want := range []string{
		"section,at,name,value,detail\n",
		"summary,,peak_backlog,78,Änderungen noch nicht bei der Zentrale\n",
		"summary,,feedback_mean,4.00,von 5\n",
		"step,2026-03-02T09:22:00+01:00,Tell reception,done,Anna Berg\n",
		"summary,,kind,outage,\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("German CSV lacks %q", want)
		}
	}
	if strings.Contains(text, "changes not yet at the centre") {
		t.Error("German CSV has an English note")
	}
}

func TestChartFollowsTheLanguage(t *testing.T) {
	en, err := report.ChartWith(outage(), report.Options{Location: cet}, 640, 320)
	if err != nil {
		t.Fatal(err)
	}
	de, err := report.ChartWith(outage(), report.Options{Location: cet, Lang: "de"}, 640, 320)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(en, de) {
		t.Error("the German chart is the English one")
	}
	if _, err := report.ChartWith(outage(), report.Options{Lang: "xx"}, 640, 320); err == nil {
		t.Error("a chart in an unknown language did not fail")
	}
}

func TestRosterFollowsTheLanguage(t *testing.T) {
	var en bytes.Buffer
	if err := report.WriteRosterHTML(&en, rosterVisits(), rosterOpts); err != nil {
		t.Fatal(err)
	}
	if found := english(en.String(), englishRoster, "en"); len(found) != len(englishRoster) {
		t.Fatalf("the English roster has only %v of the English words", found)
	}
	for lang, want := range nativeRoster {
		o := rosterOpts
		o.Lang = lang
		var b bytes.Buffer
		if err := report.WriteRosterHTML(&b, rosterVisits(), o); err != nil {
			t.Fatal(err)
		}
		page := pageText(b.String())
		if found := english(page, englishRoster, lang); len(found) > 0 {
			t.Errorf("%s roster: English words %q", lang, found)
		}
		for _, w := range want {
			if !strings.Contains(page, w) {
				t.Errorf("%s roster lacks %q", lang, w)
			}
		}
		if !strings.Contains(page, `<html lang="`+lang+`">`) {
			t.Errorf("%s roster: not marked as its language", lang)
		}
	}
}

func TestUnknownLanguageFails(t *testing.T) {
	o := opts
	o.Lang = "nl"
	var b bytes.Buffer
	for name, err := range map[string]error{
		"markdown": report.WriteMarkdown(&b, outage(), o),
		"html":     report.WriteHTML(&b, outage(), o),
		"csv":      report.WriteCSV(&b, outage(), o),
		"roster":   report.WriteRosterHTML(&b, rosterVisits(), report.RosterOptions{Lang: "nl"}),
		"check":    report.CheckLang("nl"),
	} {
		if err == nil || !strings.Contains(err.Error(), `"nl"`) {
			t.Errorf("%s in nl: err = %v", name, err)
		}
	}
	if err := report.CheckLang(""); err != nil {
		t.Errorf("CheckLang(\"\") = %v", err)
	}
}

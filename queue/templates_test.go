package queue_test

import (
	"regexp"
	"strings"
	"testing"

	"lobbyline/assets"
	"lobbyline/queue"
)

func TestEmbeddedTemplatesCoverEverySeverityAndLanguage(t *testing.T) {
	ts, err := queue.ParseTemplates(assets.Templates, []string{"en", "es"})
	if err != nil {
		t.Fatal(err)
	}
	for _, sev := range []queue.Severity{queue.SeverityMinor, queue.SeverityMajor, queue.SeverityCritical} {
		if len(queue.TemplatesFor(ts, sev)) == 0 {
			t.Errorf("no template for %s", sev)
		}
	}
}

func TestTemplateErrorsNameTheTemplate(t *testing.T) {
	cases := []struct{ toml, want string }{
		{`[[templates]]
id = "x"
severity = "major"
text.en = "hi"`, `templates[0] (x).text.es is missing`},
		{`[[templates]]
id = "x"
severity = "loud"
text = { en = "a", es = "b" }`, `severity "loud" must be minor, major or critical`},
		{`[[templates]]
id = "Bad Id"
severity = "minor"`, `templates[0].id "Bad Id"`},
		{`[[templates]]
id = "x"
severity = "minor"
colour = "red"`, `unknown key templates.colour`},
	}
	for _, c := range cases {
		_, err := queue.ParseTemplates(c.toml, []string{"en", "es"})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s\n  error %v, want %q", c.toml, err, c.want)
		}
	}
}

func TestMergeTemplatesReplacesByID(t *testing.T) {
	base := []queue.MessageTemplate{{ID: "a", Severity: queue.SeverityMinor}, {ID: "b", Severity: queue.SeverityMajor}}
	got := queue.MergeTemplates(base, []queue.MessageTemplate{{ID: "b", Severity: queue.SeverityCritical}, {ID: "c", Severity: queue.SeverityMinor}})
	if len(got) != 3 || got[1].Severity != queue.SeverityCritical || got[2].ID != "c" || base[1].Severity != queue.SeverityMajor {
		t.Fatalf("merged %+v (base %+v)", got, base)
	}
}

// outageWords are what a lobby message says when it speaks of an outage,
// by language: the central system down or late, the kiosk broken. Such a
// sentence is true only while there is one.
var outageWords = map[string]*regexp.Regexp{
	"en": regexp.MustCompile(`(?i)(unavailable|\bdown\b|outage|central system|technical problem|arriving late)`),
	"es": regexp.MustCompile(`(?i)(no está disponible|caíd|sistema central|problema técnico|con retraso)`),
	"fr": regexp.MustCompile(`(?i)(indisponible|panne|système central|problème technique|avec du retard)`),
	"de": regexp.MustCompile(`(?i)(nicht erreichbar|ausgefallen|zentrale[ns]? system|technisches problem|verspätet)`),
	"pt": regexp.MustCompile(`(?i)(indisponível|fora do ar|sistema central|problema técnico|com atraso)`),
	"it": regexp.MustCompile(`(?i)(non è disponibile|fuori servizio|guasto|sistema centrale|problema tecnico|in ritardo)`),
}

// Issue (walk): "Longer waits than usual" told the lobby "Our systems
// have been down…" with no incident. Each template is held to the state
// it can be published in: one offered with no incident open speaks of no
// outage in any language; one offered only during an incident does (so
// the patterns are seen to catch what they are for).
func TestTemplatesAreTrueWhenTheyCanBePublished(t *testing.T) {
	languages := []string{"en", "es", "fr", "de", "pt", "it"}
	ts, err := queue.ParseTemplates(assets.Templates, languages)
	if err != nil {
		t.Fatal(err)
	}
	anytime := queue.TemplatesOffered(ts, false)
	if len(anytime) == 0 || len(queue.TemplatesOffered(ts, true)) != len(ts) {
		t.Fatalf("offered with no incident: %d; during one: %d of %d", len(anytime), len(queue.TemplatesOffered(ts, true)), len(ts))
	}
	for _, tpl := range ts {
		if tpl.Offered(false) != tpl.Anytime || !tpl.Offered(true) {
			t.Errorf("%s: offered %v with no incident, %v during one", tpl.ID, tpl.Offered(false), tpl.Offered(true))
		}
		for _, code := range languages {
			says := outageWords[code].FindString(tpl.Text[code])
			switch {
			case tpl.Anytime && says != "":
				t.Errorf("%s is offered with no incident open, but its %s text speaks of one (%q): %s", tpl.ID, code, says, tpl.Text[code])
			case !tpl.Anytime && says == "":
				t.Errorf("%s is offered only during an incident, but the %s patterns find no outage in: %s", tpl.ID, code, tpl.Text[code])
			}
		}
	}
}

func TestTemplateAnytimeIsRead(t *testing.T) {
	ts, err := queue.ParseTemplates(`[[templates]]
id = "busy"
severity = "minor"
anytime = true
text = { en = "Busy today" }

[[templates]]
id = "down"
severity = "major"
text = { en = "Down" }`, []string{"en"})
	if err != nil {
		t.Fatal(err)
	}
	if got := queue.TemplatesOffered(ts, false); len(got) != 1 || got[0].ID != "busy" {
		t.Errorf("offered with no incident: %+v", got)
	}
}

package queue_test

import (
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

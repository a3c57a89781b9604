package main

import (
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"

	"lobbyline/assets"
	"lobbyline/queue"
)

// configCases each change the embedded sample; their texts double as fuzz
// seeds. want is "" for a valid config, else a part of the error that names
// the key.
var configCases = []struct {
	name string
	edit func(string) string
	want string
}{
	{"sample", func(s string) string { return s }, ""},
	{"unknown key", func(s string) string { return strings.Replace(s, "idle_timeout =", "idle_timout =", 1) }, "unknown key idle_timout"},
	{"bad kiosk id", func(s string) string { return strings.Replace(s, `"lobby-1"`, `"Lobby 1"`, 1) }, "kiosk_id"},
	{"no name", func(s string) string { return strings.Replace(s, `"Main lobby"`, `"  "`, 1) }, "kiosk_name"},
	{"bad duration", func(s string) string { return strings.Replace(s, `"60s"`, `"soon"`, 1) }, "not a duration"},
	{"idle too short", func(s string) string { return strings.Replace(s, `"60s"`, `"1s"`, 1) }, "idle_timeout"},
	{"privacy", func(s string) string { return strings.Replace(s, `"initial"`, `"full"`, 1) }, "privacy"},
	{"language", func(s string) string { return strings.Replace(s, `"es", "fr"`, `"es", "ar"`, 1) }, `languages[2]: "ar" is not supported`},
	{"language twice", func(s string) string { return strings.Replace(s, `"es", "fr"`, `"es", "es"`, 1) }, "listed twice"},
	{"pin hash", func(s string) string { return strings.Replace(s, "$2a$10$", "plain", 1) }, "pin_hash"},
	{"prefix clash", func(s string) string { return strings.Replace(s, `prefix = "P"`, `prefix = "R"`, 1) }, "services[2].prefix"},
	{"prefix lower", func(s string) string { return strings.Replace(s, `prefix = "P"`, `prefix = "p"`, 1) }, "services[2].prefix"},
	{"service twice", func(s string) string { return strings.Replace(s, `id = "pharmacy"`, `id = "visit"`, 1) }, "services[2].id"},
	{"service name language", func(s string) string { return strings.Replace(s, "names = { es", "names = { ar", 1) }, "services[0].names"},
	{"desk unknown service", func(s string) string {
		return strings.Replace(s, `services = ["registration", "visit"]`, `services = ["registration", "xray"]`, 1)
	}, `desks[0].services[1]: no service has id "xray"`},
	{"desk no services", func(s string) string {
		return strings.Replace(s, `services = ["registration", "visit"]`, `services = []`, 1)
	}, "desks[0].services"},
	{"syntax", func(s string) string { return s + "\n[[desks]\n" }, "line"},
	{"empty", func(string) string { return "" }, "kiosk_id"},
}

func TestParseConfig(t *testing.T) {
	for _, tc := range configCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig(tc.edit(defaultConfig))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				if len(c.Services) != 3 || len(c.Desks) != 2 || c.IdleTimeout.Seconds() != 60 {
					t.Fatalf("sample decoded wrong: %+v", c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, tc := range configCases {
		f.Add(tc.edit(defaultConfig))
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseConfig(text)
		if err != nil {
			return
		}
		// Whatever parses must be usable by the store and the UI.
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed but invalid: %v", err)
		}
		if o := c.storeOptions(); len(o.Services) == 0 || len(o.Desks) == 0 {
			t.Fatalf("valid config without services or desks: %+v", c)
		}
	})
}

// A language is offered only with everything it needs, and every language
// shipped is offered: a translation file, and a text in every built-in
// lobby message template (kiosk's TestTranslationsAreComplete checks the
// files key by key).
func TestSupportedLanguagesAreShipped(t *testing.T) {
	paths, err := fs.Glob(assets.Translations, "translations/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var shipped []string
	for _, p := range paths {
		shipped = append(shipped, strings.TrimSuffix(path.Base(p), ".json"))
	}
	slices.Sort(shipped)
	supported := slices.Sorted(slices.Values(supportedLanguages))
	if !slices.Equal(shipped, supported) {
		t.Errorf("translations %v, supported languages %v", shipped, supported)
	}
	if _, err := queue.ParseTemplates(assets.Templates, supportedLanguages); err != nil {
		t.Error(err)
	}
}

package main

import (
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"

	"lobbyline/assets"
	"lobbyline/queue"
	"lobbyline/queue/siteconfig"
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
	{"central over plain http", func(s string) string {
		return strings.Replace(s, `central = "embedded"`, `central = "http://centre.example:8470"`, 1)
	}, "central: the centre's address http://centre.example:8470 is plain HTTP"},
	{"central over plain http, insecure", func(s string) string {
		return strings.Replace(s, `central = "embedded"`, `central = "http://centre.example:8470"`+"\ninsecure = true", 1)
	}, ""},
	{"central on loopback", func(s string) string {
		return strings.Replace(s, `central = "embedded"`, `central = "http://127.0.0.1:8470"`, 1)
	}, ""},
	{"ca_file missing", func(s string) string {
		return strings.Replace(s, `central = "embedded"`, `central = ""`+"\nca_file = \"/nonexistent/ca.pem\"", 1)
	}, "ca_file"},
	{"centre_pin", func(s string) string {
		return strings.Replace(s, `central = "embedded"`, `centre_pin = "sha256//`+strings.Repeat("A", 43)+`="`+"\ncentral = \"embedded\"", 1)
	}, ""},
	{"centre_pin not a pin", func(s string) string {
		return strings.Replace(s, `central = "embedded"`, `centre_pin = "AB:CD:EF"`+"\ncentral = \"embedded\"", 1)
	}, "centre_pin"},
	{"unknown key", func(s string) string { return strings.Replace(s, "idle_timeout =", "idle_timout =", 1) }, "unknown key idle_timout"},
	{"bad kiosk id", func(s string) string { return strings.Replace(s, `"lobby-1"`, `"Lobby 1"`, 1) }, "kiosk_id"},
	{"no name", func(s string) string { return strings.Replace(s, `"Main lobby"`, `"  "`, 1) }, "kiosk_name"},
	{"bad duration", func(s string) string { return strings.Replace(s, `"60s"`, `"soon"`, 1) }, "not a duration"},
	{"idle too short", func(s string) string { return strings.Replace(s, `"60s"`, `"1s"`, 1) }, "idle_timeout"},
	{"privacy", func(s string) string { return strings.Replace(s, `"initial"`, `"full"`, 1) }, "privacy"},
	{"keyboard", func(s string) string { return strings.Replace(s, `keyboard = "auto"`, `keyboard = "yes"`, 1) }, "keyboard"},
	{"keyboard on", func(s string) string { return strings.Replace(s, `keyboard = "auto"`, `keyboard = "on"`, 1) }, ""},
	{"keyboard off", func(s string) string { return strings.Replace(s, `keyboard = "auto"`, `keyboard = "off"`, 1) }, ""},
	{"language", func(s string) string { return strings.Replace(s, `"es", "fr"`, `"es", "ar"`, 1) }, `languages[2]: "ar" is not supported`},
	{"language twice", func(s string) string { return strings.Replace(s, `"es", "fr"`, `"es", "es"`, 1) }, "listed twice"},
	{"pin hash", func(s string) string { return strings.Replace(s, "$2a$10$", "plain", 1) }, "pin_hash"},
	{"prefix clash", func(s string) string { return strings.Replace(s, `prefix = "P"`, `prefix = "R"`, 1) }, "services[2].prefix"},
	{"prefix lower", func(s string) string { return strings.Replace(s, `prefix = "P"`, `prefix = "p"`, 1) }, "services[2].prefix"},
	{"service twice", func(s string) string { return strings.Replace(s, `id = "pharmacy"`, `id = "visit"`, 1) }, "services[2].id"},
	{"service name language", func(s string) string {
		return strings.Replace(s, "names = { es = \"Visitar", "names = { ar = \"Visitar", 1)
	}, "services[0].names"},
	{"kiosk name language", func(s string) string { return strings.Replace(s, "kiosk_names = { es", "kiosk_names = { ar", 1) }, "kiosk_names"},
	{"kiosk name empty", func(s string) string {
		return strings.Replace(s, `fr = "Hall principal"`, `fr = " "`, 1)
	}, "kiosk_names.fr is empty"},
	{"desk unknown service", func(s string) string {
		return strings.Replace(s, `services = ["registration", "visit"]`, `services = ["registration", "xray"]`, 1)
	}, `desks[0].services[1]: no service has id "xray"`},
	{"desk no services", func(s string) string {
		return strings.Replace(s, `services = ["registration", "visit"]`, `services = []`, 1)
	}, "desks[0].services"},
	{"per visitor too short", func(s string) string {
		return strings.Replace(s, `time_per_visitor = "5m"`, `time_per_visitor = "30s"`, 1)
	}, "time_per_visitor must be between 1m and 24h"},
	{"per visitor missing", func(s string) string { return strings.Replace(s, `time_per_visitor = "5m"`, ``, 1) }, "time_per_visitor is required"},
	{"older default_wait", func(s string) string { return strings.Replace(s, `time_per_visitor = "5m"`, `default_wait = "15m"`, 1) }, ""},
	{"older default_wait too long", func(s string) string { return strings.Replace(s, `time_per_visitor = "5m"`, `default_wait = "25h"`, 1) }, "default_wait must be between 1m and 24h"},
	{"both names", func(s string) string {
		return strings.Replace(s, `time_per_visitor = "5m"`, `time_per_visitor = "5m"`+"\ndefault_wait = \"15m\"", 1)
	}, "keep only time_per_visitor"},
	{"service per visitor", func(s string) string {
		return strings.Replace(s, `time_per_visitor = "6m"`, `time_per_visitor = "0.5s"`, 1)
	}, "services[1].time_per_visitor must be between"},
	{"service older default_wait", func(s string) string { return strings.Replace(s, `time_per_visitor = "6m"`, `default_wait = "15m"`, 1) }, ""},
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

// An older config's default_wait keeps working, read as the time per
// visitor.
func TestConfigOlderDefaultWait(t *testing.T) {
	text := strings.Replace(defaultConfig, `time_per_visitor = "5m"`, `default_wait = "15m"`, 1)
	text = strings.Replace(text, `time_per_visitor = "6m"`, `default_wait = "10m"`, 1)
	c, err := ParseConfig(text)
	if err != nil {
		t.Fatal(err)
	}
	o := c.storeOptions()
	if o.FallbackPerVisitor.Minutes() != 15 {
		t.Errorf("fallback per visitor %v, want 15m", o.FallbackPerVisitor)
	}
	for _, s := range o.Services {
		want := map[string]float64{"visit": 2, "registration": 10, "pharmacy": 4}[s.ID]
		if s.TimePerVisitor.Minutes() != want {
			t.Errorf("%s: time per visitor %v, want %vm", s.ID, s.TimePerVisitor, want)
		}
	}
}

// A config written before the keyboard key existed gets the keyboard that
// opens on a tap; the key reaches the UI as written.
func TestKeyboardConfig(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"", "auto"},
		{`keyboard = "auto"`, "auto"},
		{`keyboard = "on"`, "on"},
		{`keyboard = "off"`, "off"},
	} {
		c, err := ParseConfig(strings.Replace(defaultConfig, `keyboard = "auto"`, tc.line, 1))
		if err != nil {
			t.Fatalf("%q: %v", tc.line, err)
		}
		if got := string(c.uiConfig(c.siteSettings()).Keyboard); got != tc.want {
			t.Errorf("%q: the UI gets keyboard %q, want %q", tc.line, got, tc.want)
		}
	}
}

// [checkout] phone_proof: off by default, and in a file without the
// table; it reaches the UI, which asks the digits and the phone for it.
// A kiosk with a centre asks for invite codes; one without does not.
func TestCheckoutConfig(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       bool
		err        string
	}{
		{"sample", defaultConfig, false, ""},
		{"on", strings.Replace(defaultConfig, "phone_proof = false", "phone_proof = true", 1), true, ""},
		{"no table", strings.Replace(defaultConfig, "[checkout]\nphone_proof = false\n", "", 1), false, ""},
		{"not a boolean", strings.Replace(defaultConfig, "phone_proof = false", `phone_proof = "yes"`, 1), false, "phone_proof"},
		{"unknown key", strings.Replace(defaultConfig, "phone_proof = false", "phone_proof = false\nqr_only = true", 1), false, "checkout.qr_only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig(tc.text)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.uiConfig(c.siteSettings()).PhoneProof; got != tc.want {
				t.Errorf("the UI gets phone proof %v, want %v", got, tc.want)
			}
		})
	}
	c := DefaultConfig()
	if !c.uiConfig(c.siteSettings()).Centre {
		t.Error("the sample has a centre, but the UI is told it has none")
	}
	c.Central = CentralOff
	if c.uiConfig(c.siteSettings()).Centre {
		t.Error(`central = "off", but the UI is told it has a centre`)
	}
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
	supported := slices.Sorted(slices.Values(siteconfig.Languages))
	if !slices.Equal(shipped, supported) {
		t.Errorf("translations %v, supported languages %v", shipped, supported)
	}
	if _, err := queue.ParseTemplates(assets.Templates, siteconfig.Languages); err != nil {
		t.Error(err)
	}
}

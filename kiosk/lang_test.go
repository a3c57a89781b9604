package kiosk

import (
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"lobbyline/assets"
	"lobbyline/queue"
	"lobbyline/queue/tomlstrict"
)

func TestSetLanguageSwitchesTranslations(t *testing.T) {
	t.Cleanup(func() { _ = setLanguage("en") })
	if err := setLanguage("es"); err != nil {
		t.Fatal(err)
	}
	if got := lang.X("form.submit", "Get my ticket"); got != "Obtener mi número" {
		t.Errorf("in Spanish: %q", got)
	}
	if got := lang.X("error.pin.wrong", "", map[string]any{"Left": 2}); got != "PIN incorrecto. Intentos restantes: 2." {
		t.Errorf("in Spanish with a placeholder: %q", got)
	}
	if err := setLanguage("en"); err != nil {
		t.Fatal(err)
	}
	if got := lang.X("form.submit", "Get my ticket"); got != "Get my ticket" {
		t.Errorf("back in English: %q", got)
	}
}

func TestSetLanguageWorksUnderCLocale(t *testing.T) {
	// LC_ALL=C hides LANGUAGE from the locale lookup.
	t.Setenv("LC_ALL", "C")
	t.Cleanup(func() { _ = setLanguage("en") })
	if err := setLanguage("es"); err != nil {
		t.Fatal(err)
	}
	if got := lang.X("welcome.checkin", "Check in"); got != "Registrarme" {
		t.Errorf("under LC_ALL=C: %q", got)
	}
}

func TestLanguageButtonSwitchesWelcome(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.KioskNames = map[string]string{"es": "Vestíbulo principal"} })
	u := f.ui
	test.Tap(u.welcome.languages["es"])
	if got := u.welcome.checkIn.Text; got != "Registrarme" {
		t.Fatalf("check-in button in Spanish = %q", got)
	}
	if got := u.welcome.place.Text; got != "Vestíbulo principal" {
		t.Errorf("kiosk name in Spanish = %q", got)
	}
	test.Tap(u.welcome.checkIn)
	if got := u.form.services[0].Text; got != "Registro" {
		t.Errorf("service name in Spanish = %q", got)
	}
	test.Tap(u.form.submit)
	if got := u.form.nameMsg.Text; got != "Por favor, escriba su nombre." {
		t.Errorf("store message in Spanish = %q", got)
	}
	test.Tap(u.form.back)

	// The next visitor starts in the default language.
	u.idleCheck(f.clock.Now().Add(u.cfg.IdleTimeout))
	if got := u.welcome.checkIn.Text; got != "Check in" {
		t.Errorf("after idle, check-in button = %q, want English", got)
	}
	if got := u.welcome.place.Text; got != "Main lobby" {
		t.Errorf("after idle, kiosk name = %q, want the English kiosk_name", got)
	}
}

// Every language in assets/translations has a text for every key of
// en.json and no other, with the same placeholders as the English; every
// key the UI uses and every error key of the store is among them; every
// lobby message template has a title and a text in each of those languages
// and in no other; and each language has a name of its own for the
// welcome screen. A key added to en.json fails here until every language
// has it.
func TestTranslationsAreComplete(t *testing.T) {
	paths, err := fs.Glob(assets.Translations, "translations/*.json")
	if err != nil || len(paths) < 2 {
		t.Fatalf("translations: %d files, %v", len(paths), err)
	}
	files := map[string]map[string]string{} // a plural's forms joined, for the placeholders
	forms := map[string]map[string][]string{}
	for _, p := range paths {
		data, err := assets.Translations.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		raw := map[string]json.RawMessage{}
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		l := strings.TrimSuffix(path.Base(p), ".json")
		files[l], forms[l] = map[string]string{}, map[string][]string{}
		for k, v := range raw {
			var text string
			if json.Unmarshal(v, &text) == nil {
				files[l][k] = text
				continue
			}
			plural := map[string]string{}
			if err := json.Unmarshal(v, &plural); err != nil {
				t.Fatalf("%s: %q is neither a text nor plural forms: %v", p, k, err)
			}
			for f, text := range plural {
				forms[l][k] = append(forms[l][k], f)
				files[l][k] += text + "\n"
			}
			slices.Sort(forms[l][k])
		}
	}
	en, ok := files["en"]
	if !ok {
		t.Fatal("no en.json: English is the reference every language is checked against")
	}

	keys, counted := map[string]bool{}, map[string]bool{}
	scan := func(glob string, re *regexp.Regexp) {
		paths, err := filepath.Glob(glob)
		if err != nil || len(paths) == 0 {
			t.Fatalf("glob %s: %v", glob, err)
		}
		for _, p := range paths {
			if filepath.Ext(p) != ".go" || strings.HasSuffix(p, "_test.go") {
				continue
			}
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				keys[m[1]] = true
			}
		}
	}
	scan("*.go", regexp.MustCompile(`lang\.X\(\s*"([^"]+)"`))
	plain := maps.Clone(keys)
	scan("*.go", regexp.MustCompile(`(?:lang\.XN|addCount)\(\s*"([^"]+)"`)) // addCount: the sync panel's
	for k := range keys {
		if !plain[k] {
			counted[k] = true
		}
	}
	scan("../queue/*.go", regexp.MustCompile(`"(error\.[a-z_.]+)"`))
	if !keys["error.name.empty"] || !keys["welcome.checkin"] || !counted["sync.attention"] {
		t.Fatalf("key scan found too little: %d keys", len(keys))
	}
	for k := range keys {
		if _, ok := en[k]; !ok {
			t.Errorf("en.json lacks %q, which the code uses", k)
		}
	}

	placeholders := regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)
	names := func(s string) []string {
		var out []string
		for _, m := range placeholders.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	for _, l := range slices.Sorted(maps.Keys(files)) {
		texts := files[l]
		for _, k := range slices.Sorted(maps.Keys(en)) {
			text, ok := texts[k]
			switch {
			case !ok:
				t.Errorf("%s.json lacks %q (en: %q)", l, k, en[k])
			case strings.TrimSpace(text) == "":
				t.Errorf("%s.json %q is empty", l, k)
			case !slices.Equal(names(en[k]), names(text)):
				t.Errorf("%s.json %q: placeholders %v, en.json has %v", l, k, names(text), names(en[k]))
			}
		}
		for k := range texts {
			if _, ok := en[k]; !ok {
				t.Errorf("%s.json has %q, en.json does not", l, k)
			}
		}
		if name := languageName(l); name == strings.ToUpper(l) {
			t.Errorf("%s has no name of its own for the welcome screen (languageName)", l)
		}
	}
	// A key used with a count (lang.XN) has plural forms, at least "one"
	// and "other", in every language; only such a key has them.
	for _, l := range slices.Sorted(maps.Keys(forms)) {
		for k, f := range forms[l] {
			if !counted[k] {
				t.Errorf("%s.json: %q has plural forms %v, but the code gives it no count (lang.X)", l, k, f)
			} else if !slices.Contains(f, "one") || !slices.Contains(f, "other") {
				t.Errorf("%s.json: %q has plural forms %v, want one and other at least", l, k, f)
			}
		}
		for k := range counted {
			if _, ok := files[l][k]; ok && forms[l][k] == nil {
				t.Errorf("%s.json: %q is counted (lang.XN) but has no plural forms", l, k)
			}
		}
	}

	var tf struct {
		Templates []queue.MessageTemplate `toml:"templates"`
	}
	if _, err := tomlstrict.Decode(assets.Templates, &tf); err != nil || len(tf.Templates) == 0 {
		t.Fatalf("templates.toml: %d templates, %v", len(tf.Templates), err)
	}
	for _, tm := range tf.Templates {
		for field, texts := range map[string]map[string]string{"title": tm.Title, "text": tm.Text} {
			for l := range files {
				if strings.TrimSpace(texts[l]) == "" {
					t.Errorf("templates.toml %s: no %s in %s", tm.ID, field, l)
				}
			}
			for l := range texts {
				if _, ok := files[l]; !ok {
					t.Errorf("templates.toml %s: %s in %q, which has no translations/%s.json", tm.ID, field, l, l)
				}
			}
		}
	}
}

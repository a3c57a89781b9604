package kiosk

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"lobbyline/assets"
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
	for n, want := range map[int]string{1: "1 requiere atención", 3: "3 requieren atención"} {
		if got := lang.XN("sync.attention", "", n, map[string]any{"Count": n}); got != want {
			t.Errorf("in Spanish, %d: %q, want %q", n, got, want)
		}
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
	f := newFixture(t)
	u := f.ui
	test.Tap(u.welcome.languages["es"])
	if got := u.welcome.checkIn.Text; got != "Registrarme" {
		t.Fatalf("check-in button in Spanish = %q", got)
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
}

// Every key the UI uses and every error key of the store has an English
// and a Spanish text with the same placeholders; a key used with a count
// (lang.XN) has plural forms, at least "one" and "other", in both, and
// only such a key has them.
func TestTranslationsAreComplete(t *testing.T) {
	files := map[string]map[string]string{} // a plural's forms joined, for the placeholders
	forms := map[string]map[string][]string{}
	for _, l := range []string{"en", "es"} {
		data, err := assets.Translations.ReadFile("translations/" + l + ".json")
		if err != nil {
			t.Fatal(err)
		}
		raw := map[string]json.RawMessage{}
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatalf("%s.json: %v", l, err)
		}
		files[l], forms[l] = map[string]string{}, map[string][]string{}
		for k, v := range raw {
			var text string
			if json.Unmarshal(v, &text) == nil {
				files[l][k] = text
				continue
			}
			plural := map[string]string{}
			if err := json.Unmarshal(v, &plural); err != nil {
				t.Fatalf("%s.json: %q is neither a text nor plural forms: %v", l, k, err)
			}
			for f, text := range plural {
				forms[l][k] = append(forms[l][k], f)
				files[l][k] += text + "\n"
			}
			slices.Sort(forms[l][k])
		}
	}
	keys, counted := map[string]bool{}, map[string]bool{}
	scan := func(glob string, re *regexp.Regexp) {
		paths, err := filepath.Glob(glob)
		if err != nil || len(paths) == 0 {
			t.Fatalf("glob %s: %v", glob, err)
		}
		for _, p := range paths {
			if filepath.Ext(p) != ".go" || regexp.MustCompile(`_test\.go$`).MatchString(p) {
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
	placeholders := regexp.MustCompile(`\{\{\.(\w+)\}\}`)
	names := func(s string) []string {
		var out []string
		for _, m := range placeholders.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	for k := range keys {
		en, ok := files["en"][k]
		if !ok {
			t.Errorf("en.json lacks %q", k)
			continue
		}
		es, ok := files["es"][k]
		if !ok {
			t.Errorf("es.json lacks %q", k)
			continue
		}
		if !slices.Equal(names(en), names(es)) {
			t.Errorf("%q: placeholders differ: en %v, es %v", k, names(en), names(es))
		}
	}
	for l, fs := range forms {
		for k, f := range fs {
			if !counted[k] {
				t.Errorf("%s.json: %q has plural forms %v, but the code gives it no count (lang.X)", l, k, f)
			} else if !slices.Contains(f, "one") || !slices.Contains(f, "other") {
				t.Errorf("%s.json: %q has plural forms %v, want one and other at least", l, k, f)
			}
		}
	}
	for k := range counted {
		for l, fs := range forms {
			if _, ok := files[l][k]; ok && fs[k] == nil {
				t.Errorf("%s.json: %q is counted (lang.XN) but has no plural forms", l, k)
			}
		}
	}
	for k := range files["es"] {
		if _, ok := files["en"][k]; !ok {
			t.Errorf("es.json has %q, en.json does not", k)
		}
	}
}

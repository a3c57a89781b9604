package report

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The reports' and the roster's words live in translations/<code>.json,
// one file per language, as the kiosk's own translations do in assets/.
// A value is a text, or for a text that counts something an object with
// its "one" and "other" forms and, if the count is not the argument N,
// "count" naming the argument the words agree with (French says "1 étape
// sur 3", English "1 of 3 steps"); {{.Name}} marks where an argument goes.
// The kiosk's translations are Fyne's and cannot be used here: queue/
// must not depend on Fyne.

//go:embed translations/*.json
var translationFiles embed.FS

// DefaultLang is the language of a report or roster whose options name none.
const DefaultLang = "en"

// message is one entry of a catalogue: other is the text, one its form
// for a count of one where the language has it, count the argument that
// decides between them.
type message struct {
	one, other, count string
}

func (m *message) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &m.other); err == nil {
		return nil
	}
	var forms struct{ One, Other, Count string }
	if err := json.Unmarshal(b, &forms); err != nil {
		return err
	}
	if forms.One == "" || forms.Other == "" {
		return fmt.Errorf("a plural needs both one and other")
	}
	m.one, m.other, m.count = forms.One, forms.Other, forms.Count
	if m.count == "" {
		m.count = "N"
	}
	return nil
}

// catalogues are the translations by language code, read once.
var catalogues = mustLoadCatalogues()

func mustLoadCatalogues() map[string]map[string]message {
	out, err := loadCatalogues(translationFiles)
	if err != nil {
		panic(err)
	}
	return out
}

func loadCatalogues(fsys fs.FS) (map[string]map[string]message, error) {
	files, err := fs.Glob(fsys, "translations/*.json")
	if err != nil {
		return nil, err
	}
	out := make(map[string]map[string]message, len(files))
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var c map[string]message
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("report translations %s: %w", f, err)
		}
		out[strings.TrimSuffix(strings.TrimPrefix(f, "translations/"), ".json")] = c
	}
	return out, nil
}

// Languages are the codes of the languages reports and rosters are
// written in, sorted.
func Languages() []string {
	codes := make([]string, 0, len(catalogues))
	for c := range catalogues {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

// CheckLang says whether reports can be written in code; "" is English.
func CheckLang(code string) error {
	if _, ok := catalogues[code]; ok || code == "" {
		return nil
	}
	return fmt.Errorf("report language %q: reports are written in %s", code, strings.Join(Languages(), ", "))
}

// language is a catalogue with its code: what every text of a report
// or roster is looked up in.
type language struct {
	code string
	msgs map[string]message
}

func newLanguage(code string) (language, error) {
	if code == "" {
		code = DefaultLang
	}
	if err := CheckLang(code); err != nil {
		return language{}, err
	}
	return language{code: code, msgs: catalogues[code]}, nil
}

// t is the text of key with its arguments, given as name, value pairs.
// Of a text that counts, the form for the count argument (N unless the
// catalogue says otherwise) is taken.
//
// A key missing from the catalogue shows as itself: the tests make sure
// none is.
func (l language) t(key string, args ...any) string {
	m, ok := l.msgs[key]
	if !ok {
		return key
	}
	text := m.other
	for i := 0; i+1 < len(args); i += 2 {
		name := fmt.Sprint(args[i])
		if n, isInt := args[i+1].(int); isInt && name == m.count && m.one != "" && l.one(n) {
			text = m.one
		}
	}
	for i := 0; i+1 < len(args); i += 2 {
		text = strings.ReplaceAll(text, "{{."+fmt.Sprint(args[i])+"}}", fmt.Sprint(args[i+1]))
	}
	return text
}

// one says whether count n takes the singular. French counts 0 as one
// ("0 visiteur"); the others here only 1. (CLDR counts 0 as one in
// Portuguese too, but written Portuguese says "0 visitantes".)
func (l language) one(n int) bool {
	if l.code == "fr" {
		return n == 0 || n == 1
	}
	return n == 1
}

// decimal writes f with prec decimals and the language's decimal mark.
func (l language) decimal(f float64, prec int) string {
	return strings.Replace(strconv.FormatFloat(f, 'f', prec, 64), ".", l.t("number.decimal"), 1)
}

// date is t's date as the language writes it in numbers ("2026-03-02",
// "02.03.2026", "02/03/2026").
func (l language) date(t time.Time) string { return t.Format(l.t("layout.date")) }

// day is t's day and month with the month's short name, for the chart's
// time axis ("Mar 2", "2. März", "2 mars").
func (l language) day(t time.Time) string {
	months := strings.Fields(l.t("chart.months"))
	month := t.Month().String()[:3]
	if len(months) == 12 {
		month = months[t.Month()-1]
	}
	return l.t("chart.day", "Month", month, "Day", t.Day())
}

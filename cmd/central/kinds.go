package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"

	"lobbyline/queue"
)

// A kind is a sort of centre-owned record that IT imports from CSV and
// lists back in the same columns, so a list can be edited and imported
// again.
type kind struct {
	name     string   // as typed on the command line
	entity   string   // as stored and pulled
	keyName  string   // what makes two rows the same record
	columns  []string // required, in this order
	optional []string // may follow the required ones, in this order
	// parse checks one row and returns the record's key and data.
	parse func(r row) (key string, data any, err error)
	// merge, if set, combines a row with the record it replaces (e.g. to
	// keep what a column left out of the file said); old is nil for a new
	// key.
	merge func(old json.RawMessage, data any) (any, error)
	// check, if set, checks the site's records of this kind as they would
	// be after the import.
	check func(records map[string]json.RawMessage) error
	// format turns a stored record back into a CSV row of every column.
	format func(key string, data json.RawMessage) ([]string, error)
}

var kinds = []kind{
	{
		name: "prereg", entity: queue.EntityPreReg, keyName: "invite code",
		columns: []string{"code", "name", "host", "expected"}, optional: []string{"cancelled"},
		parse: parsePreReg, merge: mergePreReg, format: formatPreReg,
	},
	{
		name: "watch", entity: queue.EntityWatch, keyName: "person (name, born and id_card)",
		columns: []string{"name", "born", "id_card", "action"}, optional: []string{"note"},
		parse: parseWatch, format: formatWatch,
	},
	{
		name: "hosts", entity: queue.EntityHost, keyName: "department and name",
		columns: []string{"department", "name", "extension"},
		parse:   parseHost, format: formatHost,
	},
	{
		name: "services", entity: queue.EntityService, keyName: "id",
		columns: []string{"id", "prefix", "name"},
		parse:   parseService, format: formatService, // imported into the site's configuration (importServices)
	},
	{
		name: "announcements", entity: queue.EntityAnnouncement, keyName: "key",
		columns: []string{"key", "severity", "lang", "text", "from", "until"},
		parse:   parseAnnouncement, format: formatAnnouncement,
	},
}

func findKind(name string) (kind, error) {
	for _, k := range kinds {
		if k.name == name {
			return k, nil
		}
	}
	return kind{}, fmt.Errorf("unknown kind %q: want %s", name, kindNames())
}

func kindNames() string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.name
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// header is the column list as import expects it and list prints it.
func (k kind) header() string {
	h := strings.Join(k.columns, ",")
	for _, o := range k.optional {
		h += "[," + o
	}
	return h + strings.Repeat("]", len(k.optional))
}

// row is one CSV record with its header.
type row struct {
	fields []string
	index  map[string]int
}

// get is the trimmed value of a column; "" if the file has no such column.
func (r row) get(col string) string {
	i, ok := r.index[col]
	if !ok {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

func (r row) has(col string) bool {
	_, ok := r.index[col]
	return ok
}

// item is a checked row.
type item struct {
	line int
	key  string
	data any
}

const (
	maxProblems = 20       // bad rows one error lists
	maxFile     = 64 << 20 // bytes of CSV read at once
)

// readCSV reads and checks a whole file: its header, every row, and that
// no key appears twice. It returns every problem it finds (up to
// maxProblems), each with its line, so a file can be fixed in one go.
// Files from a spreadsheet may start with a byte-order mark and use ";".
func readCSV(k kind, r io.Reader) ([]item, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFile {
		// Never import a truncated file: with --replace, what was cut off
		// would be deleted.
		return nil, fmt.Errorf("the file is over %d MiB; split it, or import without --replace in parts", maxFile>>20)
	}
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	cr := csv.NewReader(bytes.NewReader(b))
	first, _, _ := bytes.Cut(b, []byte("\n"))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		cr.Comma = ';'
	}
	want := fmt.Sprintf("want a header row with the columns %s", k.header())
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("the file is empty; %s", want)
	}
	if err != nil {
		return nil, csvError(err)
	}
	index := map[string]int{}
	for i, h := range head {
		index[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if !k.validHeader(head) {
		return nil, fmt.Errorf("line 1: header is %q; %s", strings.Join(head, ","), want)
	}
	var (
		items    []item
		problems []error
		more     int
		seen     = map[string]int{}
	)
	problem := func(line int, err error) {
		if len(problems) < maxProblems {
			problems = append(problems, fmt.Errorf("  line %d: %w", line, err))
		} else {
			more++
		}
	}
	for {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) && errors.Is(perr.Err, csv.ErrFieldCount) {
			problem(perr.StartLine, fmt.Errorf("%d columns, but the header has %d", len(fields), len(head)))
			continue
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		key, data, err := k.parse(row{fields: fields, index: index})
		if err != nil {
			problem(line, err)
			continue
		}
		if prev, ok := seen[key]; ok {
			problem(line, fmt.Errorf("same %s as line %d: %s", k.keyName, prev, key))
			continue
		}
		seen[key] = line
		items = append(items, item{line: line, key: key, data: data})
	}
	if len(problems) > 0 {
		if more > 0 {
			problems = append(problems, fmt.Errorf("  and %d more", more))
		}
		return nil, errors.Join(problems...)
	}
	return items, nil
}

func (k kind) validHeader(head []string) bool {
	cols := make([]string, len(head))
	for i, h := range head {
		cols[i] = strings.ToLower(strings.TrimSpace(h))
	}
	all := append(slices.Clone(k.columns), k.optional...)
	return len(cols) >= len(k.columns) && len(cols) <= len(all) && slices.Equal(cols, all[:len(cols)])
}

// csvError names the line of a CSV syntax error in the same way as a bad
// row.
func csvError(err error) error {
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return fmt.Errorf("line %d: %w", perr.Line, perr.Err)
	}
	return err
}

var (
	prefixPattern = regexp.MustCompile(`^[A-Z]{1,3}$`)
	keyPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	extPattern    = regexp.MustCompile(`^\+?[0-9][0-9 ()./-]{0,23}$`)
)

// checkText refuses what a kiosk screen cannot show: bad encoding,
// control characters, invisible formatting characters (queue.HiddenRune)
// and more than max characters.
func checkText(col, s string, max int) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8 (save the file as UTF-8)", col)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("%s has %d characters, at most %d", col, n, max)
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }); i >= 0 {
		return fmt.Errorf("%s holds a control character (a line break or tab?)", col)
	}
	if i := strings.IndexFunc(s, queue.HiddenRune); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return fmt.Errorf("%s holds an invisible formatting character %U at character %d (a direction mark or zero-width space?); it would change how kiosk screens show the text", col, r, utf8.RuneCountInString(s[:i])+1)
	}
	return nil
}

func required(col, s string, max int) error {
	if s == "" {
		return fmt.Errorf("%s is empty", col)
	}
	return checkText(col, s, max)
}

const whenFormat = "2006-01-02 15:04"

// parseWhen reads RFC 3339, or "2006-01-02 15:04" in the centre's local
// time zone.
func parseWhen(col, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(whenFormat, s, time.Local); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s %q is not a time like 2026-03-02 14:30 (local time) or 2026-03-02T14:30:00+01:00", col, s)
}

func formatWhen(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

func parseBool(col, s string) (bool, error) {
	switch strings.ToLower(s) {
	case "", "false", "no", "n", "0":
		return false, nil
	case "true", "yes", "y", "1":
		return true, nil
	}
	return false, fmt.Errorf("%s %q must be true or false (or yes, no, 1, 0, or empty for false)", col, s)
}

// preRegRow is a pre-registration and whether the file said if it is
// cancelled: a file without the column keeps what cancel-prereg set.
type preRegRow struct {
	queue.PreRegistration
	cancelledGiven bool
}

func parsePreReg(r row) (string, any, error) {
	p := queue.PreRegistration{Code: queue.NormalizeInvite(r.get("code")), Name: r.get("name"), Host: r.get("host")}
	// Validate says what a kiosk would tell a visitor; IT reads which
	// column and which character.
	for _, f := range []struct{ col, s string }{{"name", p.Name}, {"host", p.Host}} {
		if err := checkText(f.col, f.s, queue.MaxNameLength); err != nil {
			return "", nil, fmt.Errorf("pre-registration %s: %w", p.Code, err)
		}
	}
	if err := p.Validate(); err != nil {
		return "", nil, err
	}
	exp := r.get("expected")
	if exp == "" {
		return "", nil, fmt.Errorf("pre-registration %s: expected is empty", p.Code)
	}
	var err error
	if p.Expected, err = parseWhen("expected", exp); err != nil {
		return "", nil, fmt.Errorf("pre-registration %s: %w", p.Code, err)
	}
	if p.Cancelled, err = parseBool("cancelled", r.get("cancelled")); err != nil {
		return "", nil, fmt.Errorf("pre-registration %s: %w", p.Code, err)
	}
	return p.Code, preRegRow{p, r.has("cancelled")}, nil
}

func mergePreReg(old json.RawMessage, data any) (any, error) {
	p := data.(preRegRow)
	if !p.cancelledGiven && old != nil {
		var prev queue.PreRegistration
		if err := json.Unmarshal(old, &prev); err != nil {
			return nil, fmt.Errorf("stored pre-registration %s: %w", p.Code, err)
		}
		p.Cancelled = prev.Cancelled
	}
	return p.PreRegistration, nil
}

func formatPreReg(_ string, data json.RawMessage) ([]string, error) {
	var p queue.PreRegistration
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	return []string{p.Code, p.Name, p.Host, formatWhen(p.Expected), strconv.FormatBool(p.Cancelled)}, nil
}

func parseWatch(r row) (string, any, error) {
	w := queue.WatchEntry{Name: r.get("name"), Born: r.get("born"), IDCard: r.get("id_card"),
		Action: strings.ToLower(r.get("action")), Note: r.get("note")}
	if err := w.Validate(); err != nil {
		return "", nil, err
	}
	for _, f := range []struct {
		col, s string
		max    int
	}{{"name", w.Name, queue.MaxNameLength}, {"id_card", w.IDCard, 40}, {"note", w.Note, 500}} {
		if err := checkText(f.col, f.s, f.max); err != nil {
			return "", nil, fmt.Errorf("watch-list entry %q: %w", w.Name, err)
		}
	}
	return watchKey(w), w, nil
}

// watchKey names an entry by who it is, so importing the same list again
// updates entries instead of adding them twice, while two people of the
// same name with different dates of birth or ID cards stay two entries.
func watchKey(w queue.WatchEntry) string {
	idCard := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToUpper(r)
		}
		return -1
	}, w.IDCard)
	sum := sha256.Sum256([]byte(queue.NormalizeName(w.Name) + "\x00" + w.Born + "\x00" + idCard))
	return hex.EncodeToString(sum[:8])
}

func formatWatch(_ string, data json.RawMessage) ([]string, error) {
	var w queue.WatchEntry
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	return []string{w.Name, w.Born, w.IDCard, w.Action, w.Note}, nil
}

func parseHost(r row) (string, any, error) {
	h := queue.Host{Department: r.get("department"), Name: r.get("name"), Extension: r.get("extension")}
	if err := required("department", h.Department, queue.MaxNameLength); err != nil {
		return "", nil, err
	}
	if strings.Contains(h.Department, "/") {
		return "", nil, fmt.Errorf("department %q: a department cannot hold a /", h.Department)
	}
	if err := checkText("name", h.Name, queue.MaxNameLength); err != nil {
		return "", nil, err
	}
	if h.Extension != "" && !extPattern.MatchString(h.Extension) {
		return "", nil, fmt.Errorf("extension %q must be a phone extension or number, like 4412 or +34 600 123 456", h.Extension)
	}
	return h.Department + "/" + h.Name, h, nil
}

func formatHost(_ string, data json.RawMessage) ([]string, error) {
	var h queue.Host
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, err
	}
	return []string{h.Department, h.Name, h.Extension}, nil
}

func parseService(r row) (string, any, error) {
	s := queue.Service{ID: r.get("id"), Prefix: strings.ToUpper(r.get("prefix")), Name: r.get("name")}
	switch {
	case !queue.ValidID(s.ID):
		return "", nil, fmt.Errorf("id %q must be lower-case letters, digits and dashes, like registration", s.ID)
	case !prefixPattern.MatchString(s.Prefix):
		return "", nil, fmt.Errorf("service %s: prefix %q must be 1 to 3 letters, like R", s.ID, s.Prefix)
	}
	if err := required("name", s.Name, queue.MaxNameLength); err != nil {
		return "", nil, fmt.Errorf("service %s: %w", s.ID, err)
	}
	return s.ID, s, nil
}

// checkServices refuses two services with one ticket prefix: their
// tickets would clash.
func checkServices(records map[string]json.RawMessage) error {
	byPrefix := map[string]string{}
	for _, id := range slices.Sorted(maps.Keys(records)) {
		var s queue.Service
		if err := json.Unmarshal(records[id], &s); err != nil {
			return fmt.Errorf("stored service %s: %w", id, err)
		}
		if other, ok := byPrefix[s.Prefix]; ok {
			return fmt.Errorf("services %s and %s would both have prefix %q: their ticket numbers would clash", other, id, s.Prefix)
		}
		byPrefix[s.Prefix] = id
	}
	return nil
}

func formatService(_ string, data json.RawMessage) ([]string, error) {
	var s queue.Service
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, err
	}
	return []string{s.ID, s.Prefix, s.Name}, nil
}

var severities = []string{"info", "minor", "major", "critical"}

func parseAnnouncement(r row) (string, any, error) {
	key := r.get("key")
	if !keyPattern.MatchString(key) {
		return "", nil, fmt.Errorf("key %q must be 1 to 64 letters, digits, dots, dashes or underscores", key)
	}
	a := queue.Announcement{Severity: strings.ToLower(r.get("severity")), Text: r.get("text")}
	if !slices.Contains(severities, a.Severity) {
		return "", nil, fmt.Errorf("announcement %s: severity %q must be one of %s", key, a.Severity, strings.Join(severities, ", "))
	}
	if lang := r.get("lang"); lang != "" {
		tag, err := language.Parse(lang)
		if err != nil {
			return "", nil, fmt.Errorf("announcement %s: lang %q is not a language tag like en or es (empty means every language)", key, lang)
		}
		a.Lang = tag.String()
	}
	if err := required("text", a.Text, 500); err != nil {
		return "", nil, fmt.Errorf("announcement %s: %w", key, err)
	}
	var err error
	if s := r.get("from"); s != "" {
		if a.From, err = parseWhen("from", s); err != nil {
			return "", nil, fmt.Errorf("announcement %s: %w", key, err)
		}
	}
	if s := r.get("until"); s != "" {
		if a.Until, err = parseWhen("until", s); err != nil {
			return "", nil, fmt.Errorf("announcement %s: %w", key, err)
		}
		if !a.Until.After(a.From) {
			return "", nil, fmt.Errorf("announcement %s: until %s is not after from %s", key, s, r.get("from"))
		}
	}
	return key, a, nil
}

func formatAnnouncement(key string, data json.RawMessage) ([]string, error) {
	var a queue.Announcement
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, err
	}
	return []string{key, a.Severity, a.Lang, a.Text, formatWhen(a.From), formatWhen(a.Until)}, nil
}

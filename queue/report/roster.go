package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/durable"
)

// The on-site roster is the list reception counts people by at the
// assembly point in an evacuation: everyone checked in at the kiosk who has
// not checked out. It is exported as the CSV of queue.WriteRosterCSV, for
// spreadsheets, and as a page to print with a column to tick each person
// off: one row per person (queue.People), listing every ticket they hold.
// Both then list today's check-outs with their proof (queue.Proof), the
// self-declared ones marked: a typed ticket number without proof may have
// been someone else's, so that visitor may still be in the building.
// Like the incident reports, the page is in the staff's language
// (RosterOptions.Lang) and always gives the same bytes for the same roster
// and options; it is made offline, from the kiosk's own database. The CSV
// is a machine format and stays English.

// RosterOptions say how a roster is rendered.
type RosterOptions struct {
	Kiosk string    // the kiosk's name, in the title
	Site  string    // the site's name, in the title; may be empty
	Made  time.Time // when the list was read, printed on it and in the file names
	// Location is the time zone of every time shown: the site's, as a
	// rule. Nil means time.Local.
	Location *time.Location
	// Services name the services by ID, in Lang; an ID not in it is shown
	// as it is.
	Services map[string]string
	// Lang is the language of the printed page (a code of Languages; ""
	// is English): the staff's, not a visitor's.
	Lang string
	// Left are today's check-outs (queue.Store.LeftToday), listed after
	// the people on site with how each was proved, the self-declared ones
	// marked: a warden sees who left on their word alone. Nil lists none.
	Left []queue.Visit
}

func (o RosterOptions) location() *time.Location {
	if o.Location == nil {
		return time.Local
	}
	return o.Location
}

// RosterFormat is a kind of roster export, and its file extension.
type RosterFormat string

// The roster exports.
const (
	RosterCSV  RosterFormat = "csv"
	RosterHTML RosterFormat = "html"
)

// ExportRoster writes roster into dir as roster-YYYYMMDD-HHMM.csv or .html,
// named after o.Made in o.Location, creating dir if needed, and returns the
// file's path. The file is replaced atomically, so a printer or a USB copy
// never gets half a list; a second export in the same minute replaces the
// first.
func ExportRoster(dir string, f RosterFormat, roster []queue.Visit, o RosterOptions) (string, error) {
	var buf bytes.Buffer
	var err error
	switch f {
	case RosterCSV:
		err = queue.WriteRosterCSV(&buf, roster, o.Left, o.location())
	case RosterHTML:
		err = WriteRosterHTML(&buf, roster, o)
	default:
		err = fmt.Errorf("unknown format %q", f)
	}
	if err != nil {
		return "", fmt.Errorf("export roster: %w", err)
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return "", fmt.Errorf("export roster: %w", err)
	}
	path := filepath.Join(dir, "roster-"+o.Made.In(o.location()).Format("20060102-1504")+"."+string(f))
	if err := durable.WriteFile(path, buf.Bytes(), fileMode); err != nil {
		return "", fmt.Errorf("export roster: %w", err)
	}
	return path, nil
}

// rosterStatus are the catalogue keys naming a visit's status in a roster.
var rosterStatus = map[string]string{
	string(queue.StatusWaiting):   "status.waiting",
	string(queue.StatusCalled):    "status.called",
	string(queue.StatusServed):    "status.served",
	string(queue.StatusNoShow):    "status.no_show",
	string(queue.StatusCancelled): "status.cancelled",
}

type rosterRow struct {
	N              int
	Name, Host, In string
	Tickets        []rosterTicket // one line each in the ticket, service and status columns
}

type rosterTicket struct{ Ticket, Service, Status string }

// rosterProof are the catalogue keys naming a check-out's proof.
var rosterProof = map[string]string{
	string(queue.ProofQR):    "proof.qr",
	string(queue.ProofPhone): "proof.phone",
	string(queue.ProofSelf):  "proof.self",
	string(queue.ProofStaff): "proof.staff",
	string(queue.ProofClose): "proof.close",
	"":                       "proof.unknown",
}

// leftRow is one check-out of today.
type leftRow struct {
	Ticket, Name, Service, In, Out, Proof string
	Self                                  bool // self-declared: marked
}

type rosterView struct {
	Lang               language
	Title, Made, Count string
	N                  int
	Rows               []rosterRow
	Left               []leftRow
	LeftCount          string // "3 checked out today, 1 self-declared"
}

// T is the template's lookup: key's text in the roster's language.
func (v rosterView) T(key string, args ...any) string { return v.Lang.t(key, args...) }

// LangCode is the roster's language, for the page's lang attribute.
func (v rosterView) LangCode() string { return v.Lang.code }

// WriteRosterHTML writes roster as one self-contained page made to be
// printed: large type, a box per person to tick, the count on top and a
// line to sign at the bottom; styles inline, nothing loaded from elsewhere.
// Its text is in o.Lang.
func WriteRosterHTML(w io.Writer, roster []queue.Visit, o RosterOptions) error {
	l, err := newLanguage(o.Lang)
	if err != nil {
		return fmt.Errorf("write roster html: %w", err)
	}
	loc := o.location()
	made := o.Made.In(loc)
	people := queue.People(roster)
	v := rosterView{Lang: l, Title: l.t("roster.title"), Made: l.date(made) + made.Format(" 15:04 MST"), N: len(people)}
	switch {
	case o.Kiosk != "" && o.Site != "":
		v.Title = l.t("roster.title.at", "Where", o.Kiosk+", "+o.Site)
	case o.Kiosk != "" || o.Site != "":
		v.Title = l.t("roster.title.at", "Where", o.Kiosk+o.Site)
	}
	v.Count = l.t("roster.count", "N", len(people))
	if len(people) == 0 {
		v.Count = l.t("roster.count.none")
	}
	if len(roster) > len(people) { // so at least two tickets
		v.Count = l.t("roster.count.tickets", "People", v.Count, "N", len(roster))
	}
	for i, p := range people {
		r := p.Visits[0]
		row := rosterRow{N: i + 1, Name: r.Name}
		var hosts []string
		for _, t := range p.Visits {
			tk := rosterTicket{Ticket: t.Ticket, Service: t.Service, Status: l.label(rosterStatus, string(t.Status))}
			if name, ok := o.Services[t.Service]; ok {
				tk.Service = name
			}
			row.Tickets = append(row.Tickets, tk)
			if t.Host != "" && !slices.Contains(hosts, t.Host) {
				hosts = append(hosts, t.Host)
			}
		}
		row.Host = strings.Join(hosts, ", ")
		if row.Host == "" {
			row.Host = none
		}
		// A time on another day than the list's stands out: that person
		// may have left without checking out.
		row.In = l.clock(r.CheckedInAt.In(loc), made)
		v.Rows = append(v.Rows, row)
	}
	self := 0
	for _, lv := range o.Left {
		r := leftRow{Ticket: lv.Ticket, Name: lv.Name, Service: lv.Service, In: l.clock(lv.CheckedInAt.In(loc), made),
			Out: l.clock(lv.LeftAt.In(loc), made), Proof: l.label(rosterProof, string(lv.LeftProof)), Self: lv.LeftProof == queue.ProofSelf}
		if name, ok := o.Services[lv.Service]; ok {
			r.Service = name
		}
		if r.Self {
			self++
		}
		v.Left = append(v.Left, r)
	}
	v.LeftCount = l.t("roster.left.count", "N", len(o.Left))
	if len(o.Left) == 0 {
		v.LeftCount = l.t("roster.left.none")
	}
	if self > 0 {
		v.LeftCount = l.t("roster.left.count.self", "Left", v.LeftCount, "N", self)
	}
	if err := rosterTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("write roster html: %w", err)
	}
	return nil
}

// clock is t as a clock time when it is on made's day, else with its
// date.
func (l language) clock(t, made time.Time) string {
	if y, m, d := t.Date(); y == made.Year() && m == made.Month() && d == made.Day() {
		return t.Format("15:04")
	}
	return l.date(t) + t.Format(" 15:04")
}

var rosterTemplate = template.Must(template.New("roster").Parse(`<!DOCTYPE html>
<html lang="{{.LangCode}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} ({{.Made}})</title>
<style>
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; color: #000; background: #fff;
  max-width: 72rem; margin: 1.5rem auto; padding: 0 1rem; font-size: 18px; line-height: 1.35; }
h1 { font-size: 1.9rem; margin: 0 0 0.25rem; }
p.meta { margin: 0; color: #333; }
p.count { font-size: 2.2rem; font-weight: bold; margin: 0.5rem 0 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #444; padding: 0.5rem 0.6rem; text-align: left; vertical-align: middle; }
th { background: #e6e6e6; font-size: 0.9em; }
td.n { text-align: right; color: #333; font-variant-numeric: tabular-nums; width: 2.5rem; }
th.tick, td.tick { width: 2.6rem; text-align: center; }
td.tick span { display: inline-block; width: 1.5rem; height: 1.5rem; border: 2px solid #000; }
td.ticket { font-weight: bold; white-space: nowrap; }
td.name { font-weight: bold; font-size: 1.15em; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) td { background: #f4f4f4; }
h2 { font-size: 1.5rem; margin: 2rem 0 0.25rem; }
p.left { font-size: 1.3rem; font-weight: bold; margin: 0.25rem 0 0.75rem; }
tr.self td { font-weight: bold; border-width: 3px; }
td.self { text-transform: uppercase; }
p.sign { margin-top: 1.5rem; font-size: 1.15rem; }
@media print {
  @page { margin: 12mm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 13pt; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  th, tbody tr:nth-child(even) td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">{{.T "roster.made" "At" .Made}}</p>
<p class="count">{{.Count}}</p>
{{if .Rows}}<table>
<thead><tr><th class="tick">✓</th><th>#</th><th>{{.T "roster.col.ticket"}}</th><th>{{.T "roster.col.name"}}</th><th>{{.T "roster.col.host"}}</th><th>{{.T "roster.col.service"}}</th><th>{{.T "roster.col.status"}}</th><th>{{.T "roster.col.in"}}</th></tr></thead>
<tbody>
{{range .Rows}}<tr><td class="tick"><span></span></td><td class="n">{{.N}}</td><td class="ticket">{{range $i, $t := .Tickets}}{{if $i}}<br>{{end}}{{$t.Ticket}}{{end}}</td><td class="name">{{.Name}}</td><td>{{.Host}}</td><td>{{range $i, $t := .Tickets}}{{if $i}}<br>{{end}}{{$t.Service}}{{end}}</td><td>{{range $i, $t := .Tickets}}{{if $i}}<br>{{end}}{{$t.Status}}{{end}}</td><td class="time">{{.In}}</td></tr>
{{end}}</tbody>
</table>
<p class="sign">{{.T "roster.sign.counted" "N" .N}} &nbsp; {{.T "roster.sign.by"}} &nbsp; {{.T "roster.sign.at"}}</p>
{{end}}<h2>{{.T "roster.left.title"}}</h2>
<p class="meta">{{.T "roster.left.intro"}}</p>
<p class="left">{{.LeftCount}}</p>
{{if .Left}}<table>
<thead><tr><th>{{.T "roster.col.ticket"}}</th><th>{{.T "roster.col.name"}}</th><th>{{.T "roster.col.service"}}</th><th>{{.T "roster.col.in"}}</th><th>{{.T "roster.col.out"}}</th><th>{{.T "roster.col.proof"}}</th></tr></thead>
<tbody>
{{range .Left}}<tr{{if .Self}} class="self"{{end}}><td class="ticket">{{.Ticket}}</td><td class="name">{{.Name}}</td><td>{{.Service}}</td><td class="time">{{.In}}</td><td class="time">{{.Out}}</td><td{{if .Self}} class="self"{{end}}>{{if .Self}}⚠ {{end}}{{.Proof}}</td></tr>
{{end}}</tbody>
</table>
{{end}}</body>
</html>
`))

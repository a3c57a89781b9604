package report_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/report"
)

// rosterMade is when the test rosters were read: 23 November 2026, 14:05 CET.
var rosterMade = time.Date(2026, 11, 23, 13, 5, 30, 0, time.UTC)

var rosterOpts = report.RosterOptions{
	Kiosk: "Main lobby", Site: "General Hospital", Made: rosterMade, Location: cet,
	Services: map[string]string{"registration": "Registration"},
}

func rosterVisits() []queue.Visit {
	return []queue.Visit{
		{ID: 1, Ticket: "R-001", Name: "Ana García", Host: "Dr. Ruiz", Service: "registration", Status: queue.StatusServed,
			CheckedInAt: time.Date(2026, 11, 23, 8, 2, 0, 0, time.UTC)},
		{ID: 2, Ticket: "V-001", Name: "Bo Li", Service: "visit", Status: queue.StatusWaiting,
			CheckedInAt: time.Date(2026, 11, 22, 18, 40, 0, 0, time.UTC)}, // yesterday
		{ID: 3, Ticket: "R-002", Name: `<script>alert("x")</script> & Co`, Host: `"><img src=x onerror=alert(1)>`,
			Service: "registration", Status: queue.StatusCalled, CheckedInAt: time.Date(2026, 11, 23, 12, 59, 0, 0, time.UTC)},
	}
}

func TestRosterHTML(t *testing.T) {
	var b bytes.Buffer
	if err := report.WriteRosterHTML(&b, rosterVisits(), rosterOpts); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		"<h1>On site: Main lobby, General Hospital</h1>",
		"List made 2026-11-23 14:05 CET",
		`<p class="count">3 people on site</p>`,
		"@media print",
		"Counted at the assembly point: ______ of 3",
		// Row 1: counted from 1, service named, time on the list's day as a clock time.
		`<td class="n">1</td><td class="ticket">R-001</td><td class="name">Ana García</td><td>Dr. Ruiz</td><td>Registration</td><td>served</td><td class="time">09:02</td>`,
		// Row 2: unknown service as its ID, no host, yesterday's check-in with its date.
		`<td class="ticket">V-001</td><td class="name">Bo Li</td><td>—</td><td>visit</td><td>waiting</td><td class="time">2026-11-22 19:40</td>`,
		// Row 3: visitor text escaped.
		`<td class="name">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co</td><td>&#34;&gt;&lt;img src=x onerror=alert(1)&gt;</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if n := strings.Count(page, `<td class="tick"><span></span></td>`); n != 3 {
		t.Errorf("%d tick boxes, want 3", n)
	}
	for _, bad := range []string{"<script>", "<img", "http://", "https://", "src=\"", "@import"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q: not escaped, or not self-contained", bad)
		}
	}
}

func TestRosterHTMLCount(t *testing.T) {
	for _, tc := range []struct {
		visits []queue.Visit
		count  string
		table  bool
	}{
		{nil, "Nobody is on site.", false},
		{rosterVisits()[:1], "1 person on site", true},
		{rosterVisits(), "3 people on site", true},
	} {
		var b bytes.Buffer
		if err := report.WriteRosterHTML(&b, tc.visits, report.RosterOptions{Made: rosterMade, Location: cet}); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		if !strings.Contains(page, `<p class="count">`+tc.count+`</p>`) {
			t.Errorf("%d visits: count is not %q", len(tc.visits), tc.count)
		}
		if got := strings.Contains(page, "<table>"); got != tc.table {
			t.Errorf("%d visits: table shown %v", len(tc.visits), got)
		}
		if !strings.Contains(page, "<h1>On site</h1>") {
			t.Errorf("%d visits, no kiosk name: title is not plain", len(tc.visits))
		}
	}
}

func TestRosterHTMLDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := report.WriteRosterHTML(&a, rosterVisits(), rosterOpts); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteRosterHTML(&b, rosterVisits(), rosterOpts); err != nil {
		t.Fatal(err)
	}
	if a.Len() == 0 || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same roster gave two different pages")
	}
}

func TestExportRoster(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "exports")
	csvPath, err := report.ExportRoster(dir, report.RosterCSV, rosterVisits(), rosterOpts)
	if err != nil {
		t.Fatal(err)
	}
	htmlPath, err := report.ExportRoster(dir, report.RosterHTML, rosterVisits(), rosterOpts)
	if err != nil {
		t.Fatal(err)
	}
	// Named after the time the list was made, in the site's zone.
	if want := filepath.Join(dir, "roster-20261123-1405.csv"); csvPath != want {
		t.Errorf("CSV path %s, want %s", csvPath, want)
	}
	if want := filepath.Join(dir, "roster-20261123-1405.html"); htmlPath != want {
		t.Errorf("HTML path %s, want %s", htmlPath, want)
	}

	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || strings.Join(recs[0], ",") != strings.Join(queue.RosterColumns, ",") {
		t.Fatalf("CSV records %q", recs)
	}
	if recs[2][5] != "2026-11-22 19:40" {
		t.Errorf("CSV time %q, want it in the site's zone", recs[2][5])
	}
	var want bytes.Buffer
	if err := report.WriteRosterHTML(&want, rosterVisits(), rosterOpts); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(htmlPath); err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Errorf("HTML file differs from WriteRosterHTML (%v)", err)
	}

	for _, p := range []string{csvPath, htmlPath} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o640 {
			t.Errorf("%s mode %v, want 0640", p, fi.Mode().Perm())
		}
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("dir: %v, %v; want mode 0750", fi, err)
	}

	// Again in the same minute: replaced, no temporary files left.
	if _, err := report.ExportRoster(dir, report.RosterCSV, rosterVisits()[:1], rosterOpts); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "roster-20261123-1405.csv roster-20261123-1405.html" {
		t.Errorf("dir holds %q", names)
	}
	if data, _ := os.ReadFile(csvPath); bytes.Count(data, []byte("\n")) != 2 {
		t.Errorf("second export did not replace the CSV:\n%s", data)
	}
}

func TestExportRosterFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := report.ExportRoster(filepath.Join(file, "exports"), report.RosterCSV, rosterVisits(), rosterOpts); err == nil {
		t.Error("export under a file did not fail")
	}
	if _, err := report.ExportRoster(t.TempDir(), "pdf", rosterVisits(), rosterOpts); err == nil {
		t.Error("export as pdf did not fail")
	}
}

// A visitor who took three tickets is one person to tick off, not three.
func TestRosterHTMLOneRowPerPerson(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2026, 11, 23, 8, min, 0, 0, time.UTC) }
	visits := []queue.Visit{
		{ID: 1, Ticket: "R-001", Day: "2026-11-23", Name: "Zoë O'Brien", Phone: "600 123 456", Host: "Dr. Ruiz", Service: "registration", Status: queue.StatusServed, CheckedInAt: at(1)},
		{ID: 2, Ticket: "R-002", Day: "2026-11-23", Name: "Bo Li", Service: "registration", Status: queue.StatusWaiting, CheckedInAt: at(2)},
		{ID: 3, Ticket: "P-001", Day: "2026-11-23", Name: "zoe obrien", Phone: "600123456", Service: "pharmacy", Status: queue.StatusWaiting, CheckedInAt: at(3)},
		{ID: 4, Ticket: "V-001", Day: "2026-11-23", Name: "ZOË O'BRIEN", Phone: "600-123-456", Host: "Ward 3", Service: "visit", Status: queue.StatusCalled, CheckedInAt: at(4)},
	}
	var b bytes.Buffer
	if err := report.WriteRosterHTML(&b, visits, rosterOpts); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		`<p class="count">2 people on site (4 tickets)</p>`,
		"Counted at the assembly point: ______ of 2",
		`<td class="n">1</td><td class="ticket">R-001<br>P-001<br>V-001</td><td class="name">Zoë O&#39;Brien</td><td>Dr. Ruiz, Ward 3</td><td>Registration<br>pharmacy<br>visit</td><td>served<br>waiting<br>called</td><td class="time">09:01</td>`,
		`<td class="n">2</td><td class="ticket">R-002</td><td class="name">Bo Li</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if n := strings.Count(page, `<td class="tick"><span></span></td>`); n != 2 {
		t.Errorf("%d tick boxes, want 2", n)
	}
}

package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// local is how list prints a time given in the "2006-01-02 15:04" form,
// which import reads in the local time zone.
func local(t *testing.T, s string) string {
	t.Helper()
	v, err := time.ParseInLocation(whenFormat, s, time.Local)
	if err != nil {
		t.Fatal(err)
	}
	return v.Format(time.RFC3339)
}

// sameLines compares CSV output ignoring the order of the rows after the
// header: watch-list keys are hashes, so their order is arbitrary.
func sameLines(a, b string) bool {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(la) == 0 || len(la) != len(lb) || la[0] != lb[0] {
		return false
	}
	slices.Sort(la[1:])
	slices.Sort(lb[1:])
	return slices.Equal(la, lb)
}

func testImportEachKind(t *testing.T, store string) {
	cases := []struct {
		kind     string
		good     string // two records
		list     string // list after good
		bad      string // changes one record, breaks the other
		want     string // in the error for bad
		replace  string // keeps one record
		replaced string // what import --replace prints
	}{
		{
			kind: "prereg",
			good: "code,name,host,expected\nab12-cd34,Ana García,Dr Ruiz,2026-03-02 14:30\nZX-9001,Li Lei,,2026-03-02T10:00:00+01:00\n",
			list: "code,name,host,expected,cancelled\nAB12-CD34,Ana García,Dr Ruiz," + local(t, "2026-03-02 14:30") + ",false\n" +
				"ZX-9001,Li Lei,,2026-03-02T10:00:00+01:00,false\n",
			bad:      "code,name,host,expected\nAB12-CD34,Ana García,Dr Ortega,2026-03-02 14:30\nZX-9001,Li Lei,,tomorrow\n",
			want:     `line 3: pre-registration ZX-9001: expected "tomorrow" is not a time like 2026-03-02 14:30`,
			replace:  "code,name,host,expected\nZX-9001,Li Lei,,2026-03-02T10:00:00+01:00\n",
			replaced: "0 added, 0 updated, 1 deleted, 1 unchanged",
		},
		{
			kind: "watch",
			good: "name,born,id_card,action,note\nJosé O'Brien,1980-01-31,12345678-Z,block,Court order 2026/114\nAna Pérez,,,flag,\n",
			list: "name,born,id_card,action,note\nJosé O'Brien,1980-01-31,12345678-Z,block,Court order 2026/114\nAna Pérez,,,flag,\n",
			bad:  "name,born,id_card,action\njose obrien,1980-01-31,12345678z,FLAG\nSomeone,1980-13-01,,flag\n",
			want: `line 3: watch-list entry "Someone": date of birth "1980-13-01" must be YYYY-MM-DD`,
			// The same person spelt differently is the same entry.
			replace:  "name,born,id_card,action,note\n  JOSE  O'BRIEN ,1980-01-31,12345678 z,block,Court order 2026/114\n",
			replaced: "0 added, 1 updated, 1 deleted, 0 unchanged",
		},
		{
			kind:     "hosts",
			good:     "department,name,extension\nRadiology,Dr Ruiz,4412\nPharmacy,,+34 600 123 456\n",
			list:     "department,name,extension\nPharmacy,,+34 600 123 456\nRadiology,Dr Ruiz,4412\n",
			bad:      "department,name,extension\nRadiology,Dr Ruiz,4413\nCardiology/ICU,Dr Vega,1\n",
			want:     `line 3: department "Cardiology/ICU": a department cannot hold a /`,
			replace:  "department,name,extension\nRadiology,Dr Ruiz,4412\n",
			replaced: "0 added, 0 updated, 1 deleted, 1 unchanged",
		},
		{
			kind: "announcements",
			good: "key,severity,lang,text,from,until\n" +
				"lift-b,major,es,\"El ascensor B no funciona, use el A.\",2026-03-02 08:00,2026-03-03 20:00\n" +
				"welcome,info,,Welcome to North Hospital,,\n",
			list: "key,severity,lang,text,from,until\n" +
				"lift-b,major,es,\"El ascensor B no funciona, use el A.\"," + local(t, "2026-03-02 08:00") + "," + local(t, "2026-03-03 20:00") + "\n" +
				"welcome,info,,Welcome to North Hospital,,\n",
			bad:      "key,severity,lang,text,from,until\nwelcome,info,,Welcome!,,\nlift-b,urgent,es,Closed,,\n",
			want:     `line 3: announcement lift-b: severity "urgent" must be one of info, minor, major, critical`,
			replace:  "key,severity,lang,text,from,until\nwelcome,info,,Welcome to North Hospital,,\n",
			replaced: "0 added, 0 updated, 1 deleted, 1 unchanged",
		},
	}
	c := newCentre(t, store)
	c.mustRun("site", "add", "north", "North Hospital")
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			c := newCentre(t, store)
			file := func(name, body string) string { return writeFile(t, dir, tc.kind+"-"+name+".csv", body) }
			list := func() string { return c.mustRun("list", tc.kind, "--site", "north") }

			if out := c.mustRun("import", tc.kind, "--site", "north", file("good", tc.good)); out != tc.kind+" at site north: 2 added, 0 updated, 0 deleted, 0 unchanged\n" {
				t.Fatalf("import printed %q", out)
			}
			before := list()
			if !sameLines(before, tc.list) {
				t.Fatalf("list printed:\n%s\nwant:\n%s", before, tc.list)
			}
			// What list prints, import reads back as the same records.
			if out := c.mustRun("import", tc.kind, "--site", "north", file("listed", before)); !strings.Contains(out, "0 added, 0 updated, 0 deleted, 2 unchanged") {
				t.Fatalf("importing the list again printed %q", out)
			}
			c.mustFail(tc.want, "import", tc.kind, "--site", "north", file("bad", tc.bad))
			if after := list(); after != before {
				t.Fatalf("a refused import changed the records:\n%s", after)
			}
			if out := c.mustRun("import", tc.kind, "--site", "north", "--replace", file("replace", tc.replace)); !strings.Contains(out, tc.replaced) {
				t.Fatalf("import --replace printed %q, want %q", out, tc.replaced)
			}
			if n := strings.Count(list(), "\n"); n != 2 {
				t.Fatalf("after --replace, list has %d lines:\n%s", n, list())
			}
		})
	}
}

func TestImportFileProblems(t *testing.T) {
	dir := t.TempDir()
	c := newCentre(t, dir+"/central.db")
	c.mustRun("site", "add", "north", "North Hospital")
	var many strings.Builder
	many.WriteString("id,prefix,name\n")
	for i := range 25 {
		fmt.Fprintf(&many, "svc-%d,%d,Service\n", i, i)
	}
	cases := []struct{ kind, body, want string }{
		{"hosts", "", "the file is empty; want a header row with the columns department,name,extension"},
		{"hosts", "Radiology,Dr Ruiz,4412\n", `line 1: header is "Radiology,Dr Ruiz,4412"; want a header row with the columns department,name,extension`},
		{"prereg", "code,name,host\n", "want a header row with the columns code,name,host,expected[,cancelled]"},
		{"prereg", "code,name,host,expected,cancelled,notes\n", "want a header row"},
		{"watch", "name,born,id_card,action,note\nAna,,,flag\n", "line 2: 4 columns, but the header has 5"},
		// Invisible format characters would reverse or hide text on the
		// kiosks' screens: each column says where it is.
		{"prereg", "code,name,host,expected\nAB12,Zoë \u202Eneirb'O,,2026-03-02 10:00\n", "line 2: pre-registration AB12: name holds an invisible formatting character U+202E at character 5"},
		{"prereg", "code,name,host,expected\nAB12,Zoë,Dr\u200B Ruiz,2026-03-02 10:00\n", "line 2: pre-registration AB12: host holds an invisible formatting character U+200B"},
		{"hosts", "department,name,extension\nRadiology,\u2067Dr Ruiz\u2069,1\n", "line 2: name holds an invisible formatting character U+2067"},
		{"hosts", "department,name,extension\n\u200FRadiology,Dr Ruiz,1\n", "line 2: department holds an invisible formatting character U+200F"},
		{"watch", "name,born,id_card,action,note\nAna \u202EzereP,,,flag,\n", `line 2: watch-list entry "Ana \u202ezereP": name holds an invisible formatting character U+202E`},
		{"watch", "name,born,id_card,action,note\nAna,,,flag,Call\u061C security\n", "note holds an invisible formatting character U+061C"},
		{"services", "id,prefix,name\nregistration,R,Regis\u00ADtration\n", "line 2: service registration: name holds an invisible formatting character U+00AD"},
		{"announcements", "key,severity,lang,text,from,until\nx,info,,\uFEFFWelcome,,\n", "announcement x: text holds an invisible formatting character U+FEFF"},
		{"watch", "name,born,id_card,action\nAna,,,ban\n", `line 2: watch-list entry "Ana": action "ban" must be "flag" or "block"`},
		{"watch", "name,born,id_card,action\nAna,,,flag\n ana ,,,block\n", "line 3: same person (name, born and id_card) as line 2"},
		{"watch", "name,born,id_card,action\n\"Ana\nPérez\",,,flag\n", `line 2: watch-list entry "Ana\nPérez": name holds a control character`},
		{"prereg", "code,name,host,expected\nAB12,Ana,,2026-03-02 10:00\nab12,Ana B,,2026-03-02 10:00\n", "line 3: same invite code as line 2: AB12"},
		{"prereg", "code,name,host,expected,cancelled\nAB12,Ana,,2026-03-02 10:00,maybe\n", `cancelled "maybe" must be true or false`},
		{"prereg", "code,name,host,expected\nAB12,Ana,,\n", "line 2: pre-registration AB12: expected is empty"},
		{"prereg", "code,name,host,expected\nAB12,\"Ana \"\"the\"\" first\nline\",,2026-03-02 10:00\nAB13,Bo,,never\n", "line 4: pre-registration AB13"},
		{"prereg", "code,name,host,expected\nAB12,Ana \"x,,2026-03-02 10:00\n", `line 2: bare " in non-quoted-field`},
		{"hosts", "department,name,extension\nRadiology,Dr Ruiz,call me\n", `extension "call me" must be a phone extension`},
		{"hosts", "department,name,extension\n,Dr Ruiz,1\n", "line 2: department is empty"},
		{"services", "id,prefix,name\nregistration,R,Registration\nrecords,R,Records\n", `services records and registration would both have prefix "R"`},
		{"services", "id,prefix,name\nregistration,R1,Registration\n", `prefix "R1" must be 1 to 3 letters`},
		{"services", many.String(), "line 21: service svc-19: prefix \"19\" must be 1 to 3 letters, like R\n  and 5 more"},
		{"announcements", "key,severity,lang,text,from,until\nx,info,english,Hi,,\n", `lang "english" is not a language tag`},
		{"announcements", "key,severity,lang,text,from,until\nx,info,,Hi,2026-03-02 10:00,2026-03-02 09:00\n", "until 2026-03-02 09:00 is not after from 2026-03-02 10:00"},
		{"announcements", "key,severity,lang,text,from,until\nx y,info,,Hi,,\n", `key "x y" must be 1 to 64 letters`},
		{"announcements", "key,severity,lang,text,from,until\nx,info,,,,\n", "announcement x: text is empty"},
	}
	for i, tc := range cases {
		c.mustFail(tc.want, "import", tc.kind, "--site", "north", writeFile(t, dir, fmt.Sprintf("bad%d.csv", i), tc.body))
	}
	for _, k := range kinds {
		if out := c.mustRun("list", k.name, "--site", "north"); strings.Count(out, "\n") != 1 {
			t.Errorf("a refused import left %s records:\n%s", k.name, out)
		}
	}
}

func TestImportFromSpreadsheet(t *testing.T) {
	dir := t.TempDir()
	c := newCentre(t, dir+"/central.db")
	c.mustRun("site", "add", "north", "North Hospital")
	// A Spanish-locale spreadsheet saves UTF-8 CSV with a byte-order mark,
	// ";" between fields and capitalised headers.
	file := writeFile(t, dir, "hosts.csv", "\uFEFFDepartment;Name;Extension\r\nRadiología;Dra. Núñez;4412\r\n")
	if out := c.mustRun("import", "hosts", "--site", "north", file); !strings.Contains(out, "1 added") {
		t.Fatalf("import printed %q", out)
	}
	if out := c.mustRun("list", "hosts", "--site", "north"); out != "department,name,extension\nRadiología,Dra. Núñez,4412\n" {
		t.Fatalf("list printed %q", out)
	}
}

func TestCancelPreRegistration(t *testing.T) {
	dir := t.TempDir()
	c := newCentre(t, dir+"/central.db")
	c.mustRun("site", "add", "north", "North Hospital")
	file := writeFile(t, dir, "p.csv", "code,name,host,expected\nAB12-CD34,Ana,,2026-03-02T10:00:00Z\n")
	c.mustRun("import", "prereg", "--site", "north", file)
	if out := c.mustRun("cancel-prereg", "--site", "north", " ab12-cd34 "); !strings.Contains(out, "Cancelled pre-registration AB12-CD34 (Ana)") {
		t.Fatalf("cancel-prereg printed %q", out)
	}
	if out := c.mustRun("cancel-prereg", "--site", "north", "AB12-CD34"); !strings.Contains(out, "cancelled already") {
		t.Fatalf("cancelling twice printed %q", out)
	}
	cancelled := "code,name,host,expected,cancelled\nAB12-CD34,Ana,,2026-03-02T10:00:00Z,true\n"
	if out := c.mustRun("list", "prereg", "--site", "north"); out != cancelled {
		t.Fatalf("list printed %q", out)
	}
	// Importing the same list again, without a cancelled column, keeps
	// the cancellation; a file that says cancelled=false lifts it.
	if out := c.mustRun("import", "prereg", "--site", "north", file); !strings.Contains(out, "1 unchanged") {
		t.Fatalf("re-import printed %q", out)
	}
	if out := c.mustRun("list", "prereg", "--site", "north"); out != cancelled {
		t.Fatalf("re-import lifted the cancellation:\n%s", out)
	}
	c.mustRun("import", "prereg", "--site", "north", writeFile(t, dir, "q.csv", "code,name,host,expected,cancelled\nAB12-CD34,Ana,,2026-03-02T10:00:00Z,no\n"))
	if out := c.mustRun("list", "prereg", "--site", "north"); !strings.HasSuffix(out, ",false\n") {
		t.Fatalf("cancelled=no kept the cancellation:\n%s", out)
	}
}

// FuzzImportListRoundTrip: whatever import accepts, list prints in a form
// that import reads back as the same record under the same key.
func FuzzImportListRoundTrip(f *testing.F) {
	seeds := []string{
		"code,name,host,expected,cancelled\nab12-cd34,Ana García,Dr Ruiz,2026-03-02 14:30,yes\n",
		"name,born,id_card,action,note\nJosé O'Brien,1980-01-31,12345678-Z,block,\"Court order, 2026\"\n",
		"department,name,extension\nRadiology,Dr Ruiz,4412\nPharmacy,,+34 600 123 456\n",
		"id,prefix,name\nregistration,r,Registration\n",
		"key,severity,lang,text,from,until\nlift-b,major,es-ES,\"El ascensor B\",2026-03-02 08:00,2026-03-03T20:00:00+01:00\n",
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		k := kinds[int(which)%len(kinds)]
		items, err := readCSV(k, strings.NewReader(body))
		if err != nil {
			return
		}
		index := map[string]int{}
		for i, c := range slices.Concat(k.columns, k.optional) {
			index[c] = i
		}
		for _, it := range items {
			data := it.data
			if k.merge != nil {
				if data, err = k.merge(nil, data); err != nil {
					t.Fatal(err)
				}
			}
			raw, err := json.Marshal(data)
			if err != nil {
				t.Fatal(err)
			}
			fields, err := k.format(it.key, raw)
			if err != nil {
				t.Fatalf("format %s: %v", raw, err)
			}
			key, again, err := k.parse(row{fields: fields, index: index})
			if err != nil {
				t.Fatalf("line %d: listed as %q, which import refuses: %v", it.line, fields, err)
			}
			if k.merge != nil {
				again, _ = k.merge(nil, again)
			}
			raw2, _ := json.Marshal(again)
			if key != it.key || !sameJSON(raw, raw2) {
				t.Fatalf("line %d: %s %s listed as %q reads back as %s %s", it.line, it.key, raw, fields, key, raw2)
			}
		}
	})
}

// testListImportKeepsFormulaText: list is for import, not for a
// spreadsheet, so text that looks like a formula is listed as it is and
// imported again as the same record; a quote added for a spreadsheet
// would come back as part of the value.
func testListImportKeepsFormulaText(t *testing.T, store string) {
	const hyperlink, plus, at, minus = `=HYPERLINK("x")`, "+1 555", "@SUM(A1)", "-2+3+cmd|' /C calc'!A0"
	cases := []struct {
		kind string
		row  []string // in the kind's required columns
		list []string // as list prints it, every column
	}{
		{"prereg", []string{"FX-0001", hyperlink, at, "2026-03-02T10:00:00Z"}, []string{"FX-0001", hyperlink, at, "2026-03-02T10:00:00Z", "false"}},
		{"watch", []string{hyperlink, "", minus, "flag"}, []string{hyperlink, "", minus, "flag", ""}},
		{"hosts", []string{hyperlink, at, plus}, []string{hyperlink, at, plus}},
		{"announcements", []string{"notice", "info", "", at, "", ""}, []string{"notice", "info", "", at, "", ""}},
	}
	c := newCentre(t, store)
	c.mustRun("site", "add", "north", "North Hospital")
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			c := newCentre(t, store)
			k, err := findKind(tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			var file strings.Builder
			if err := csv.NewWriter(&file).WriteAll([][]string{k.columns, tc.row}); err != nil {
				t.Fatal(err)
			}
			if out := c.mustRun("import", tc.kind, "--site", "north", writeFile(t, dir, tc.kind+".csv", file.String())); !strings.Contains(out, "1 added") {
				t.Fatalf("import printed %q", out)
			}
			listed := c.mustRun("list", tc.kind, "--site", "north")
			recs, err := csv.NewReader(strings.NewReader(listed)).ReadAll()
			if err != nil || len(recs) != 2 || !slices.Equal(recs[1], tc.list) {
				t.Fatalf("list printed %q (%v), want the row %q as imported", listed, err, tc.list)
			}
			if out := c.mustRun("import", tc.kind, "--site", "north", writeFile(t, dir, tc.kind+"-listed.csv", listed)); !strings.Contains(out, "0 added, 0 updated, 0 deleted, 1 unchanged") {
				t.Fatalf("importing the list again printed %q", out)
			}
			if again := c.mustRun("list", tc.kind, "--site", "north"); again != listed {
				t.Fatalf("after importing the list, list printed:\n%s\nbefore:\n%s", again, listed)
			}
		})
	}
}

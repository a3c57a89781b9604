package main

import (
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"
)

// formulas are things a visitor could type that a spreadsheet would run.
var formulas = []string{`=HYPERLINK("x")`, "+1 555", "@SUM(A1)", "-2+3+cmd|' /C calc'!A0"}

// TestSpreadsheetExportsDefuseFormulas: in every CSV the kiosk writes for
// a spreadsheet, a visitor's name, host or phone that would run as a
// formula comes out led by an apostrophe.
func TestSpreadsheetExportsDefuseFormulas(t *testing.T) {
	dir := t.TempDir()
	for _, f := range formulas {
		mustRun(t, dir, "checkin", "--name", f, "--host", f, "--service", "visit")
	}
	mustRun(t, dir, "checkin", "--name", "Ana", "--phone", "+1 555 0100", "--service", "visit")

	for _, args := range [][]string{
		{"roster", "--csv"},
		{"export", "--day", time.Now().Format("2006-01-02")},
	} {
		out := mustRun(t, dir, args...)
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("kiosk %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		col := func(name string) int { return slices.Index(recs[0], name) }
		name, host, phone := col("name"), col("host"), col("phone")
		if name < 0 || host < 0 || phone < 0 || len(recs) != len(formulas)+2 {
			t.Fatalf("kiosk %s printed:\n%s", strings.Join(args, " "), out)
		}
		for i, f := range formulas {
			rec := recs[i+1]
			if rec[name] != "'"+f || rec[host] != "'"+f {
				t.Errorf("kiosk %s: name %q, host %q; want both %q", strings.Join(args, " "), rec[name], rec[host], "'"+f)
			}
		}
		if got := recs[len(formulas)+1][phone]; got != "'+1 555 0100" {
			t.Errorf("kiosk %s: phone %q, want %q", strings.Join(args, " "), got, "'+1 555 0100")
		}
	}
}

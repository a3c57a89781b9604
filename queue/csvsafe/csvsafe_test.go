package csvsafe_test

import (
	"strings"
	"testing"

	"lobbyline/queue/csvsafe"
)

// cellCases double as fuzz seeds.
var cellCases = []struct{ in, want string }{
	{"", ""},
	{"Ana García", "Ana García"},
	{"O'Brien", "O'Brien"},
	{"4412", "4412"},
	{`=HYPERLINK("http://evil","x")`, `'=HYPERLINK("http://evil","x")`},
	{"@SUM(A1)", "'@SUM(A1)"},
	{"+1 555", "'+1 555"},
	{"+34 600 123 456", "'+34 600 123 456"},
	{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
	{"-5", "'-5"},
	{"\t=1+1", "'\t=1+1"},
	{"\r=1+1", "'\r=1+1"},
	{"\x00=1+1", "'\x00=1+1"},
	{"a=1+1", "a=1+1"},
	{"'=1+1", "'=1+1"},
}

func TestCell(t *testing.T) {
	for _, c := range cellCases {
		if got := csvsafe.Cell(c.in); got != c.want {
			t.Errorf("Cell(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzCell: no cell starts with a character a spreadsheet reads as the
// start of a formula, and the text itself is never changed, only led by
// an apostrophe.
func FuzzCell(f *testing.F) {
	for _, c := range cellCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := csvsafe.Cell(s)
		if got != "" && strings.ContainsRune("=+-@\t\r\x00", rune(got[0])) {
			t.Fatalf("Cell(%q) = %q starts a formula", s, got)
		}
		if got != s && got != "'"+s {
			t.Fatalf("Cell(%q) = %q changed the text", s, got)
		}
	})
}

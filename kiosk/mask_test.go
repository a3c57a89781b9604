package kiosk

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var maskCases = []struct {
	name    string
	privacy Privacy
	want    string
}{
	{"Ana García", PrivacyInitial, "Ana G."},
	{"Ana María García López", PrivacyInitial, "Ana L."},
	{"  Ana   García  ", PrivacyInitial, "Ana G."},
	{"Zoë", PrivacyInitial, "Zoë"},
	{"Cher", PrivacyInitial, "Cher"},
	{"Seán O'Brien", PrivacyInitial, "Seán O."},
	{"Nguyễn Văn An", PrivacyInitial, "Nguyễn A."},
	{"ana garcía", PrivacyInitial, "ana G."},
	{"Zoe\u0308 e\u0301mile", PrivacyInitial, "Zoë É."}, // decomposed accents
	{"Ana (García)", PrivacyInitial, "Ana G."},
	{"Ana -", PrivacyInitial, "Ana"},
	{"李雷", PrivacyInitial, "李…"},
	{"李 雷", PrivacyInitial, "李…"},
	{"李", PrivacyInitial, "李"},
	{"김민준", PrivacyInitial, "김…"},
	{"Maximiliansebastiandominik Huber", PrivacyInitial, "Maximiliansebas… H."},
	{"", PrivacyInitial, ""},
	{"   ", PrivacyInitial, ""},
	{"Ana García", PrivacyTicket, ""},
	{"Ana García", "", ""},
}

func TestMaskName(t *testing.T) {
	for _, tc := range maskCases {
		if got := MaskName(tc.name, tc.privacy); got != tc.want {
			t.Errorf("MaskName(%q, %q) = %q, want %q", tc.name, tc.privacy, got, tc.want)
		}
	}
}

func FuzzMaskName(f *testing.F) {
	for _, tc := range maskCases {
		f.Add(tc.name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got := MaskName(name, PrivacyTicket); got != "" {
			t.Fatalf("ticket privacy shows %q", got)
		}
		got := MaskName(name, PrivacyInitial)
		// At most a shortened first word, a space, an initial and a dot.
		if n := utf8.RuneCountInString(got); n > maxShownRunes+3 {
			t.Fatalf("MaskName(%q) = %q: %d characters", name, got, n)
		}
		words := strings.Fields(name)
		if len(words) > 1 && utf8.RuneCountInString(words[len(words)-1]) > 1 && strings.HasSuffix(got, words[len(words)-1]) {
			t.Fatalf("MaskName(%q) = %q shows the whole last name", name, got)
		}
	})
}

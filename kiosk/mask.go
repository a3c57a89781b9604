package kiosk

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Privacy says how much of a visitor's name the lobby board may show.
type Privacy string

const (
	// PrivacyInitial shows the first name and the last name's initial: "Ana G.".
	PrivacyInitial Privacy = "initial"
	// PrivacyTicket shows ticket numbers only.
	PrivacyTicket Privacy = "ticket"
)

// maxShownRunes keeps a long first name from pushing the board apart.
const maxShownRunes = 16

// MaskName is the part of a visitor's name the lobby board shows.
//
// With PrivacyInitial it is the first word and the initial of the last
// word ("Ana María García" → "Ana G."); a single word is shown as it is
// ("Cher"), except in scripts written without spaces between words (Han,
// Hiragana, Katakana, Hangul, Thai), where a word is likely the whole name
// and only its first character is shown ("李雷" and "李 雷" → "李…"). With
// PrivacyTicket, or any unknown setting, it shows nothing.
func MaskName(name string, p Privacy) string {
	if p != PrivacyInitial {
		return ""
	}
	words := strings.Fields(norm.NFC.String(name))
	if len(words) == 0 {
		return ""
	}
	first := words[0]
	if r, _ := utf8.DecodeRuneInString(first); unspaced(r) && (len(words) > 1 || utf8.RuneCountInString(first) > 1) {
		return string(r) + "…"
	}
	shown := truncate(first)
	if len(words) == 1 {
		return shown
	}
	for _, r := range words[len(words)-1] {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return shown + " " + string(unicode.ToUpper(r)) + "."
		}
	}
	return shown
}

// unspaced reports whether r belongs to a script that does not put spaces
// between words.
func unspaced(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Thai)
}

func truncate(s string) string {
	if utf8.RuneCountInString(s) <= maxShownRunes {
		return s
	}
	return string([]rune(s)[:maxShownRunes-1]) + "…"
}

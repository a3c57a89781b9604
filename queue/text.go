package queue

import (
	"strings"
	"unicode"
)

// HiddenRune reports whether r must not be in a name or any other text
// that ends up on a screen, because it is invisible and changes how the
// text around it reads: Unicode format characters (category Cf) such as the
// bidirectional marks, embeddings, overrides and isolates (U+200E, U+200F,
// U+061C, U+202A–U+202E, U+2066–U+2069), the zero-width space U+200B, the
// byte-order mark U+FEFF and the soft hyphen. A right-to-left override in
// a name reverses every column after it on the staff screens.
//
// The zero-width non-joiner U+200C and joiner U+200D are allowed: Persian,
// the Indic scripts and emoji need them to be written correctly, and they
// do not move text around.
//
// This is the one definition of the rule; the kiosk's forms, its CLI and
// the centre's imports all use it.
func HiddenRune(r rune) bool {
	return r != '\u200C' && r != '\u200D' && unicode.Is(unicode.Cf, r)
}

// hiddenText is the error for text that holds a HiddenRune, naming the
// field in words: the character cannot be seen, so the message must say
// where to look.
func hiddenText(field string) *Error {
	switch field {
	case "name":
		return invalid(field, "error.name.hidden", "Your name holds an invisible formatting character (such as a direction mark). Please type it again.", nil)
	case "host":
		return invalid(field, "error.host.hidden", "The name of whom you visit holds an invisible formatting character (such as a direction mark). Please type it again.", nil)
	case "staff":
		return invalid(field, "error.staff.hidden", "The staff name holds an invisible formatting character (such as a direction mark). Please type it again.", nil)
	}
	return invalid(field, "error.text.hidden", "This text holds an invisible formatting character (such as a direction mark). Please type it again.", nil)
}

// StripHidden drops every HiddenRune from s: for text that reached the
// kiosk before the rule, such as a pre-registration imported earlier,
// which a visitor cannot type again.
func StripHidden(s string) string {
	return strings.Map(func(r rune) rune {
		if HiddenRune(r) {
			return -1
		}
		return r
	}, s)
}

package kiosk

import "strings"

// keyLayout is one face of the on-screen keyboard, as data: rows of keys
// separated by spaces. A key is the text it types (letters in lower case;
// shift types them in upper case) or one of the named keys below, and
// "*N" after it makes it N letter keys wide.
// Alternates are what the strip above the keys offers after a key is
// typed, so "ë" is two taps: e, then ë, which replaces it.
type keyLayout struct {
	Rows       []string
	Alternates map[string]string
}

// Named keys a layout's rows may hold.
const (
	keyShift     = "{shift}"
	keyBackspace = "{backspace}"
	keySpace     = "{space}"
	keyEnter     = "{enter}"    // what Enter does on a physical keyboard: submit, or a new line
	keyNext      = "{next}"     // the next entry on the screen
	keyDone      = "{done}"     // close the keyboard
	keyPrefixes  = "{prefixes}" // one key per service's ticket prefix, "R-"
)

// latinAlternates are the accented letters of western European names.
// Every language's layout offers them all; only the order differs.
var latinAlternates = map[string]string{
	"a": "áàâäãå", "c": "çč", "e": "éèêë", "i": "íìîï", "n": "ñ", "o": "óòôöõø",
	"s": "ßš", "u": "úùûü", "y": "ýÿ", "z": "ž",
	".": "?!:;", "-": "–/()&", "'": "\"",
}

func withAlternates(extra map[string]string) map[string]string {
	m := make(map[string]string, len(latinAlternates))
	for k, v := range latinAlternates {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// textLayouts are the letter keyboards, by language code. A language
// without one gets English's; adding a language is adding a row here.
var textLayouts = map[string]keyLayout{
	"en": {
		Rows: []string{
			"1 2 3 4 5 6 7 8 9 0 {backspace}",
			"q w e r t y u i o p '",
			"a s d f g h j k l - {next}",
			"{shift} z x c v b n m , . ?",
			"{space}*7 {enter}*2 {done}*2",
		},
		Alternates: withAlternates(nil),
	},
	"es": {
		Rows: []string{
			"1 2 3 4 5 6 7 8 9 0 {backspace}",
			"q w e r t y u i o p '",
			"a s d f g h j k l ñ {next}",
			"{shift} z x c v b n m , . -",
			"{space}*7 {enter}*2 {done}*2",
		},
		Alternates: withAlternates(map[string]string{
			"a": "áàâäã", "e": "éèêë", "i": "íïìî", "o": "óöòôõ", "u": "úüùû",
			".": "¿?¡!:;",
		}),
	},
	// German: QWERTZ, as on every German keyboard, with ü, ö, ä and ß on
	// keys of their own.
	"de": {
		Rows: []string{
			"1 2 3 4 5 6 7 8 9 0 ß {backspace}",
			"q w e r t z u i o p ü '",
			"a s d f g h j k l ö ä {next}",
			"{shift} y x c v b n m , . - ?",
			"{space}*8 {enter}*2 {done}*2",
		},
		Alternates: withAlternates(map[string]string{
			"a": "áàâãå", "o": "óòôõø", "u": "úùû", "s": "šß",
		}),
	},
	// French: AZERTY, with é, è, ç and à on keys of their own.
	"fr": {
		Rows: []string{
			"1 2 3 4 5 6 7 8 9 0 {backspace}*2",
			"a z e r t y u i o p é '",
			"q s d f g h j k l m è {next}",
			"{shift} w x c v b n ç à , . -",
			"{space}*8 {enter}*2 {done}*2",
		},
		Alternates: withAlternates(map[string]string{
			"a": "àâäáãå", "e": "éèêë", "i": "îïíì", "o": "ôöóòõø", "u": "ùûüú", "y": "ÿý",
		}),
	},
	// Italian: QWERTY, with the accented vowels of its keyboard on keys.
	"it": {
		Rows: []string{
			"1 2 3 4 5 6 7 8 9 0 ' {backspace}",
			"q w e r t y u i o p è ì",
			"a s d f g h j k l ò à {next}",
			"{shift} z x c v b n m ù , . -",
			"{space}*8 {enter}*2 {done}*2",
		},
		Alternates: withAlternates(map[string]string{
			"e": "èéêë", "i": "ìíîï", "o": "òóôöõ", "u": "ùúûü", "a": "àáâäã",
		}),
	},
	// Portuguese: QWERTY with ç, and ã and õ of its names on keys.
	"pt": {
		Rows: []string{
			"1 2 3 4 5 6 7 8 9 0 ' {backspace}",
			"q w e r t y u i o p ã õ",
			"a s d f g h j k l ç é {next}",
			"{shift} z x c v b n m , . - ?",
			"{space}*8 {enter}*2 {done}*2",
		},
		Alternates: withAlternates(map[string]string{
			"a": "ãáâàäå", "e": "éêèë", "o": "õóôòöø", "i": "íîìï", "u": "úûùü",
		}),
	},
}

// padPhone, padLastDigits and padTicket are the pads for numbers, in
// every language.
var (
	padPhone = keyLayout{Rows: []string{
		"1 2 3 {backspace}",
		"4 5 6 +",
		"7 8 9 0",
		"( ) - {space}",
		"{next}*2 {done}*2",
	}}
	// padAddress is for a centre's address: its lower-case letters,
	// digits and the marks a URL needs, each on a key.
	padAddress = keyLayout{Rows: []string{
		"1 2 3 4 5 6 7 8 9 0 {backspace}",
		"q w e r t y u i o p :",
		"a s d f g h j k l . /",
		"z x c v b n m - _ {next}*2",
		"https://*3 {space}*2 {enter}*3 {done}*3",
	}}
	// padLastDigits is for the last four digits of a phone, at
	// check-out: digits alone, Enter to send.
	padLastDigits = keyLayout{Rows: []string{
		"1 2 3",
		"4 5 6",
		"7 8 9",
		"{backspace} 0 {enter}",
		"{done}*3",
	}}
	padTicket = keyLayout{Rows: []string{
		"{prefixes}",
		"1 2 3 {backspace}",
		"4 5 6 -",
		"7 8 9 0",
		"{enter}*2 {done}*2",
	}}
)

// keyPad says which keys an entry wants.
type keyPad int

const (
	padText   keyPad = iota // the language's letters
	padName                 // the letters, each word starting with a capital
	padNumber               // a phone number
	padPrefix               // a ticket number: the service prefixes and digits
	padDigits               // a phone's last digits, at check-out
	padURL                  // a centre's address
)

// letters says whether the pad is a language's letter keyboard.
func (p keyPad) letters() bool { return p == padText || p == padName }

// wide says whether the pad takes the window's width; number pads take
// its middle third.
func (p keyPad) wide() bool { return p.letters() || p == padURL }

// layoutFor is the keyboard for pad in language code.
func layoutFor(pad keyPad, code string) keyLayout {
	switch pad {
	case padNumber:
		return padPhone
	case padPrefix:
		return padTicket
	case padDigits:
		return padLastDigits
	case padURL:
		return padAddress
	}
	if l, ok := textLayouts[code]; ok {
		return l
	}
	return textLayouts["en"]
}

// keysOf splits a row into its keys.
func keysOf(row string) []string { return strings.Fields(row) }

package tomlstrict_test

import (
	"testing"
	"time"

	"lobbyline/queue/tomlstrict"
)

type duration struct{ time.Duration }

func (d *duration) UnmarshalText(b []byte) (err error) {
	d.Duration, err = time.ParseDuration(string(b))
	return err
}

type config struct {
	Listen string   `toml:"listen"`
	Max    int      `toml:"max"`
	Wait   duration `toml:"wait"`
	Items  []struct {
		ID string `toml:"id"`
	} `toml:"items"`
}

// decodeCases double as fuzz seeds; want is the whole error, "" for none.
var decodeCases = []struct{ text, want string }{
	{"", ""},
	{"listen = \":9000\"\nmax = 3\nwait = \"90s\"\n[[items]]\nid = \"a\"\n", ""},
	{`lisen = ":9000"`, "unknown key lisen"},
	{"lisen = 1\nfoo.bar = 2\n", "unknown keys lisen, foo.bar"},
	{"[tls]\ncert = \"a\"\nkey = \"b\"\n", "unknown key tls"},
	{"[x.y]\nz = 1\n", "unknown key x.y"},
	{"a = { b = 1 }\n", "unknown key a"},
	{"[[items]]\nid = \"a\"\ncolour = \"red\"\n[[items]]\ncolour = \"blue\"\n", "unknown key items.colour"},
	{`"odd key" = 1`, `unknown key "odd key"`},
	{"listen = \n", `line 1: expected value but found '\n' instead`},
	// Not "key other": the broken line is not in that table.
	{"[[items]]\nid = \"a\"\n[other]\n[[items]x\n", `line 4: expected end of table array name delimiter ']', but got 'x' instead`},
	{"max = 1\nwait = \"soon\"\n", `line 2, key wait: time: invalid duration "soon"`},
	{"listen = \"a\"\nlisten = \"b\"\n", "line 2: Key 'listen' has already been defined."},
	{`max = "many"`, `toml: line 1 (last key "max"): incompatible types: TOML value has type string; destination has type integer`},
}

func TestDecode(t *testing.T) {
	for _, c := range decodeCases {
		var v config
		_, err := tomlstrict.Decode(c.text, &v)
		if got := errString(err); got != c.want {
			t.Errorf("Decode(%q)\n  error %q\n  want  %q", c.text, got, c.want)
		}
	}
}

func TestDecodeReturnsMetaData(t *testing.T) {
	var v config
	md, err := tomlstrict.Decode("max = 3\n", &v)
	if err != nil || v.Max != 3 || !md.IsDefined("max") || md.IsDefined("listen") {
		t.Fatalf("max %d, error %v, defined max %v, listen %v", v.Max, err, md.IsDefined("max"), md.IsDefined("listen"))
	}
}

// FuzzDecode: what Decode accepts has no key the destination lacks.
func FuzzDecode(f *testing.F) {
	for _, c := range decodeCases {
		f.Add(c.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var v config
		md, err := tomlstrict.Decode(text, &v)
		if err == nil && len(md.Undecoded()) > 0 {
			t.Fatalf("Decode(%q) accepted unknown keys %q", text, md.Undecoded())
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

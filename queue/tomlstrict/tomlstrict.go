// Package tomlstrict decodes the TOML files people write by hand (the
// kiosk's and the centre's config files, message templates) and refuses
// keys the destination has no field for, so a misspelt key is an error
// rather than a setting silently left at its default.
//
// It depends only on the TOML decoder, so the domain and both commands
// can use it.
package tomlstrict

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// Decode decodes text into v as toml.Decode does, and returns the same
// metadata (for MetaData.IsDefined). A syntax error names its line, a
// value the destination refuses its line and key; keys v has no field
// for are all named in one error, a table v lacks once rather than with
// each key inside it.
func Decode(text string, v any) (toml.MetaData, error) {
	md, err := toml.Decode(text, v)
	if err != nil {
		var perr toml.ParseError
		if !errors.As(err, &perr) {
			return md, err // a type mismatch, which names its line and key already
		}
		// A syntax error comes before any key is decoded, and its
		// LastKey may be the table before the broken line; a value the
		// destination refuses (a bad duration, a number out of range)
		// comes after, and LastKey is the key that holds it.
		if perr.LastKey == "" || len(md.Keys()) == 0 {
			return md, fmt.Errorf("line %d: %s", perr.Position.Line, perr.Message)
		}
		return md, fmt.Errorf("line %d, key %s: %s", perr.Position.Line, perr.LastKey, perr.Message)
	}
	switch keys := unknown(md.Undecoded()); len(keys) {
	case 0:
		return md, nil
	case 1:
		return md, fmt.Errorf("unknown key %s", keys[0])
	default:
		return md, fmt.Errorf("unknown keys %s", strings.Join(keys, ", "))
	}
}

// unknown lists undecoded keys once each (an array of tables repeats
// them), leaving out keys inside a table already listed.
func unknown(keys []toml.Key) []string {
	var out []string
	listed := map[string]bool{}
next:
	for _, k := range keys {
		for i := 1; i < len(k); i++ {
			if listed[k[:i].String()] {
				continue next
			}
		}
		if s := k.String(); !listed[s] {
			listed[s] = true
			out = append(out, s)
		}
	}
	return out
}

// LoadFile reads the file at path and hands its text to parse, naming the
// file in any error: the one way both commands load their config.
func LoadFile[T any](path string, parse func(text string) (T, error)) (T, error) {
	var zero T
	b, err := os.ReadFile(path) // #nosec G304 -- the config file the operator named
	if err != nil {
		return zero, fmt.Errorf("read config: %w", err)
	}
	v, err := parse(string(b))
	if err != nil {
		return zero, fmt.Errorf("config %s: %w", path, err)
	}
	return v, nil
}

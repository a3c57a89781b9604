package queue_test

import (
	"strings"
	"testing"

	"lobbyline/queue"
)

// idCases double as fuzz seeds.
var idCases = []struct {
	id   string
	want bool
}{
	{"lobby-1", true},
	{"general-hospital", true},
	{"0", true},
	{strings.Repeat("a", 63), true},
	{strings.Repeat("a", 64), false},
	{"", false},
	{"-lobby", false}, // would read as a flag in a file name or command line
	{"Lobby-1", false},
	{"lobby 1", false},
	{"lobby.1", false}, // would split a ticket reference's fields
	{"lobby/1", false}, // would leave its directory
	{"lobby_1", false},
	{"lobby-1\n", false},
	{"lobbý", false},
}

func TestValidID(t *testing.T) {
	for _, c := range idCases {
		if got := queue.ValidID(c.id); got != c.want {
			t.Errorf("ValidID(%q) = %v, want %v", c.id, got, c.want)
		}
	}
}

// FuzzValidID: an ID that passes is safe in a ticket reference, a file
// name and a URL path as it is.
func FuzzValidID(f *testing.F) {
	for _, c := range idCases {
		f.Add(c.id)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !queue.ValidID(s) {
			return
		}
		if len(s) == 0 || len(s) > 63 || s[0] == '-' || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			t.Fatalf("ValidID(%q) = true", s)
		}
	})
}

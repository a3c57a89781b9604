package hlc_test

import (
	"testing"
	"time"

	"lobbyline/queue/hlc"
)

func TestHLCMonotonicAcrossClockJumps(t *testing.T) {
	base := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	steps := []time.Time{
		base,
		base,                       // same millisecond
		base.Add(-time.Hour),       // clock jumps back an hour
		base.Add(-time.Hour + 1e6), // still behind
		base.Add(time.Second),      // catches up
		base.Add(24 * time.Hour),   // a day ahead
		base,                       // and back
	}
	var h hlc.Timestamp
	var prev string
	for i, now := range steps {
		h = h.Next(now)
		s := h.String()
		if i > 0 && !(prev < s) {
			t.Fatalf("step %d: %s does not sort after %s", i, s, prev)
		}
		back, err := hlc.Parse(s)
		if err != nil || back != h {
			t.Fatalf("step %d: Parse(%q) = %v, %v; want %v", i, s, back, err, h)
		}
		prev = s
	}
	if h.Wall != base.Add(24*time.Hour).UnixMilli() || h.Logical != 1 {
		t.Fatalf("after a jump back the clock holds the highest wall time and counts: %+v", h)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "000001763888400000.000000", "001763888400000.000001", "x", "001763888400000-000001", "-00176388840000.000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := hlc.Parse(s)
		if err != nil {
			return
		}
		if h.String() != s {
			t.Fatalf("Parse(%q) = %+v, renders as %q", s, h, h.String())
		}
	})
}

package queue

import (
	"fmt"
	"time"
)

// HLC is a hybrid logical clock reading: the wall clock in milliseconds,
// never going back, with a counter that orders events in the same
// millisecond or while the wall clock lags behind one seen before. It
// orders a kiosk's events sensibly across clock jumps; it is never used to
// build a sync cursor (those are the centre's versions).
type HLC struct {
	Wall    int64 // Unix milliseconds
	Logical int64
}

// hlcFormat sorts as text in the same order as the clock.
const hlcFormat = "%015d.%06d"

// String renders the clock so that text order is clock order.
func (h HLC) String() string {
	if h.IsZero() {
		return ""
	}
	return fmt.Sprintf(hlcFormat, h.Wall, h.Logical)
}

// IsZero reports whether h was never set.
func (h HLC) IsZero() bool { return h == HLC{} }

// Time is the wall part of h.
func (h HLC) Time() time.Time { return time.UnixMilli(h.Wall).UTC() }

// ParseHLC reads what String wrote; the empty string is the zero clock.
func ParseHLC(s string) (HLC, error) {
	if s == "" {
		return HLC{}, nil
	}
	bad := fmt.Errorf("hlc %q: want 15 digits, a dot and 6 digits", s)
	if len(s) != 22 || s[15] != '.' {
		return HLC{}, bad
	}
	var h HLC
	for i, part := range []*int64{&h.Wall, &h.Logical} {
		digits := s[:15]
		if i == 1 {
			digits = s[16:]
		}
		for _, c := range []byte(digits) {
			if c < '0' || c > '9' {
				return HLC{}, bad
			}
			*part = *part*10 + int64(c-'0')
		}
	}
	if h.IsZero() {
		return HLC{}, fmt.Errorf("hlc %q: the zero clock is written as the empty string", s)
	}
	return h, nil
}

// Less orders two readings.
func (h HLC) Less(o HLC) bool {
	return h.Wall < o.Wall || h.Wall == o.Wall && h.Logical < o.Logical
}

// Next is the reading for a new local event at wall time now, given the
// latest reading seen (local or received).
func (h HLC) Next(now time.Time) HLC {
	ms := now.UnixMilli()
	if ms > h.Wall {
		return HLC{Wall: ms}
	}
	return HLC{Wall: h.Wall, Logical: h.Logical + 1}
}

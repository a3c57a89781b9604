// Package hlc is the hybrid logical clock that kiosks stamp their changes
// with and the centre orders them by. It is a leaf: it imports nothing of
// Lobbyline, so the kiosk store, the wire protocol's users and the centre
// share one definition.
package hlc

import (
	"fmt"
	"time"
)

// Timestamp is a hybrid logical clock reading: the wall clock in milliseconds,
// never going back, with a counter that orders events in the same
// millisecond or while the wall clock lags behind one seen before. It
// orders a kiosk's events sensibly across clock jumps; it is never used to
// build a sync cursor (those are the centre's versions).
type Timestamp struct {
	Wall    int64 // Unix milliseconds
	Logical int64
}

// format sorts as text in the same order as the clock.
const format = "%015d.%06d"

// String renders the clock so that text order is clock order.
func (h Timestamp) String() string {
	if h.IsZero() {
		return ""
	}
	return fmt.Sprintf(format, h.Wall, h.Logical)
}

// IsZero reports whether h was never set.
func (h Timestamp) IsZero() bool { return h == Timestamp{} }

// Time is the wall part of h.
func (h Timestamp) Time() time.Time { return time.UnixMilli(h.Wall).UTC() }

// Parse reads what String wrote; the empty string is the zero clock.
func Parse(s string) (Timestamp, error) {
	if s == "" {
		return Timestamp{}, nil
	}
	bad := fmt.Errorf("hlc %q: want 15 digits, a dot and 6 digits", s)
	if len(s) != 22 || s[15] != '.' {
		return Timestamp{}, bad
	}
	var h Timestamp
	for i, part := range []*int64{&h.Wall, &h.Logical} {
		digits := s[:15]
		if i == 1 {
			digits = s[16:]
		}
		for _, c := range []byte(digits) {
			if c < '0' || c > '9' {
				return Timestamp{}, bad
			}
			*part = *part*10 + int64(c-'0')
		}
	}
	if h.IsZero() {
		return Timestamp{}, fmt.Errorf("hlc %q: the zero clock is written as the empty string", s)
	}
	return h, nil
}

// Less orders two readings.
func (h Timestamp) Less(o Timestamp) bool {
	return h.Wall < o.Wall || h.Wall == o.Wall && h.Logical < o.Logical
}

// Next is the reading for a new local event at wall time now, given the
// latest reading seen (local or received).
func (h Timestamp) Next(now time.Time) Timestamp {
	ms := now.UnixMilli()
	if ms > h.Wall {
		return Timestamp{Wall: ms}
	}
	return Timestamp{Wall: h.Wall, Logical: h.Logical + 1}
}

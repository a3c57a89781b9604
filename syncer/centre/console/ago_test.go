package console_test

import (
	"testing"
	"time"

	"lobbyline/syncer/centre/console"
)

// A kiosk seen "later" than now (the centre's clock set back since, or the
// kiosk's ahead) is never shown a negative age.
func TestAgoNeverNegative(t *testing.T) {
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "never"},
		{now, "just now"},
		{now.Add(-300 * time.Millisecond), "just now"},
		{now.Add(300 * time.Millisecond), "just now"},
		{now.Add(-42 * time.Second), "42s ago"},
		{now.Add(-65 * time.Second), "1m 05s ago"},
		{now.Add(-3 * time.Hour), "3h 00m ago"},
		{now.Add(12 * time.Hour), "12h 00m ahead of this machine's clock"},
		{now.Add(90 * time.Second), "1m 30s ahead of this machine's clock"},
	} {
		if got := console.Ago(now, c.t); got != c.want {
			t.Errorf("Ago(now, now%+v) = %q, want %q", c.t.Sub(now), got, c.want)
		}
	}
}

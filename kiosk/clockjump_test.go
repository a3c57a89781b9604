package kiosk

import (
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer/outage"
)

// TestClockJumpsInTheTexts: with the clock twelve hours behind or ahead of
// a time the lobby is told about (an outage's last update, a visitor's
// check-in, the last sync), no text says a negative number. (That
// "updated" does not stay "just now" for twelve hours after the clock is
// set back is the outage monitor's part: it says the banner again,
// TestClockSetBackDoesNotFreezeTheBanner.)
func TestClockJumpsInTheTexts(t *testing.T) {
	// The texts are English here whatever language a test before it
	// (with -shuffle) left the kiosk in.
	if err := setLanguage("en"); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	o := outage.Outage{Cause: outage.CauseUnreachable, Since: at, Severity: queue.SeverityMinor, Updated: at,
		Incident: &queue.Incident{ID: 1, Start: at, Severity: queue.SeverityMinor}}
	for _, tc := range []struct {
		jump                  time.Duration
		updated, waited, span string
	}{
		{-12 * time.Hour, "Updated just now", "just now", "less than a minute"},
		{12 * time.Hour, "Updated 720 min ago", "720 min", "12 h 00 min"},
	} {
		now := at.Add(tc.jump)
		b, ok := bannerFor(o, now, "en", time.UTC)
		if !ok || b.Updated != tc.updated {
			t.Errorf("clock %v: banner %q, want %q", tc.jump, b.Updated, tc.updated)
		}
		if got := minutesText(now.Sub(at)); got != tc.waited {
			t.Errorf("clock %v: waited %q, want %q", tc.jump, got, tc.waited)
		}
		if got := spanText(now.Sub(at)); got != tc.span {
			t.Errorf("clock %v: span %q, want %q", tc.jump, got, tc.span)
		}
		for _, s := range []string{b.Updated, b.Since, minutesText(now.Sub(at)), spanText(now.Sub(at))} {
			if strings.Contains(s, "-") {
				t.Errorf("clock %v: %q", tc.jump, s)
			}
		}
	}
}

package outage_test

import (
	"context"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer/outage"
)

// TestClockSetBackDoesNotFreezeTheBanner sets the kiosk's clock back
// twelve hours in the grace period of an outage, while it lasts, and
// while the lobby reads "back to normal": the banner still comes up after
// the grace, "updated" is still said again every five minutes, the
// incident still becomes major, and "back to normal" still goes after two
// minutes. None of them waits half a day for the clock to come round.
func TestClockSetBackDoesNotFreezeTheBanner(t *testing.T) {
	ctx := context.Background()
	c := startSwitchable(t)
	l := newLobby(t, c, "lobby-1")
	if err := l.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	c.down()
	l.clock.Advance(15 * time.Second)
	if o := l.probe(t); o.Cause != outage.CauseUnreachable || o.Banner() {
		t.Fatalf("a blip within the grace period: %+v", o)
	}
	// The grace runs again from the first probe after the jump (5 s).
	l.clock.Advance(-12 * time.Hour)
	l.clock.Advance(5 * time.Second)
	l.probe(t)
	l.clock.Advance(time.Minute)
	o := l.probe(t)
	if o.Incident == nil || !o.Banner() || o.Severity != queue.SeverityMinor {
		t.Fatalf("65 s after the clock was set back in the grace period, no banner: %+v", o)
	}
	if !o.Updated.Equal(l.clock.Now()) {
		t.Fatalf("updated %s at %s (the incident is news)", o.Updated, l.clock.Now())
	}

	l.clock.Advance(-12 * time.Hour)
	l.clock.Advance(time.Minute)
	o = l.probe(t)
	if o.Updated.After(l.clock.Now()) {
		t.Fatalf("updated %s, after now %s", o.Updated, l.clock.Now())
	}
	said := o.Updated
	l.clock.Advance(5 * time.Minute)
	if o := l.probe(t); !o.Updated.After(said) {
		t.Fatalf("updated %s five minutes later; want said again", o.Updated)
	}
	l.clock.Advance(5 * time.Minute)
	if o := l.probe(t); o.Severity != queue.SeverityMajor {
		t.Fatalf("10 min after the clock was set back mid-outage: severity %s, want major", o.Severity)
	}

	c.up(t)
	l.clock.Advance(5 * time.Second)
	l.probe(t)
	if err := l.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if o := l.mon.Outage(); o.Incident != nil || o.Recovered.IsZero() {
		t.Fatalf("back: %+v", o)
	}
	l.clock.Advance(-12 * time.Hour)
	l.clock.Advance(time.Second)
	l.probe(t)
	l.clock.Advance(2 * time.Minute)
	if o := l.probe(t); o.Banner() {
		t.Fatalf("\"back to normal\" still up 2 min after the clock was set back: %+v", o)
	}
}

package syncer

import (
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/jonboulle/clockwork"
)

func TestRetryPolicy(t *testing.T) {
	clock := clockwork.NewFakeClock()
	cfg := Config{Clock: clock}
	cfg.defaults()

	// Kiosks that lost the centre together spread their first retry over
	// FirstRetry instead of all coming back after the same second.
	firsts := map[time.Duration]bool{}
	for range 200 {
		d := NewRetryPolicy(cfg).NextBackOff()
		if d <= 0 || d > cfg.FirstRetry+time.Millisecond {
			t.Fatalf("first retry after %s, want within (0, %s]", d, cfg.FirstRetry)
		}
		firsts[d.Round(100*time.Millisecond)] = true
	}
	if len(firsts) < 20 {
		t.Fatalf("first retries not spread: %d distinct values in 200", len(firsts))
	}

	// Then exponential up to MaxBackoff, and it never gives up, however
	// long the outage.
	p := NewRetryPolicy(cfg)
	p.NextBackOff()
	var last time.Duration
	for i := range 1000 {
		clock.Advance(time.Hour)
		d := p.NextBackOff()
		if d == backoff.Stop {
			t.Fatalf("gave up after %d retries", i)
		}
		if d > cfg.MaxBackoff*3/2 {
			t.Fatalf("waited %s, over MaxBackoff %s and its ±50%% jitter", d, cfg.MaxBackoff)
		}
		last = d
	}
	if last < cfg.MaxBackoff/2 {
		t.Fatalf("after 1000 retries the wait is %s; it should have grown to about %s", last, cfg.MaxBackoff)
	}

	// Retry-After from the centre comes on top of the backoff, once.
	p = NewRetryPolicy(cfg)
	p.SetRetryAfter(2 * time.Minute)
	if d := p.NextBackOff(); d < 2*time.Minute || d > 2*time.Minute+cfg.FirstRetry+time.Millisecond || !p.waitedRetryAfter {
		t.Fatalf("with Retry-After 2m the wait is %s", d)
	}
	if d := p.NextBackOff(); d >= 2*time.Minute || p.waitedRetryAfter {
		t.Fatalf("Retry-After was used twice: %s", d)
	}

	// After a long outage the backoff has grown to MaxBackoff. A centre
	// that answers "busy, retry after 2 s" is back: the backoff starts
	// again from its base (never below the 2 s asked for) and grows with
	// each further "busy", spread by its jitter.
	p = NewRetryPolicy(cfg)
	for range 50 {
		clock.Advance(time.Hour)
		p.NextBackOff()
	}
	var waits []time.Duration
	for range 12 {
		p.SetRetryAfter(2 * time.Second)
		waits = append(waits, p.NextBackOff())
	}
	if waits[0] < 2*time.Second || waits[0] > 3500*time.Millisecond {
		t.Fatalf("the first wait after \"busy\" following an outage's backoff is %s; want the 2 s asked for and the base backoff (1 s ±50%%)", waits[0])
	}
	if waits[11] < 10*time.Second || waits[11] > cfg.MaxBackoff*3/2 {
		t.Fatalf("after 12 answers \"busy\" the wait is %s; want it grown well past 2 s: %v", waits[11], waits)
	}
	spread := map[time.Duration]bool{}
	for range 100 {
		q := NewRetryPolicy(cfg)
		q.NextBackOff()
		for range 6 {
			q.SetRetryAfter(2 * time.Second)
			q.NextBackOff()
		}
		q.SetRetryAfter(2 * time.Second)
		spread[q.NextBackOff().Round(100*time.Millisecond)] = true
	}
	if len(spread) < 20 {
		t.Fatalf("kiosks refused together wait alike: %d distinct waits in 100", len(spread))
	}
}

// TestWakeCutsOnlyAWaitInProgress: a Wake sent before a wait began (while
// an attempt ran) is dropped; one sent during the wait ends it; and a wait
// the centre asked for with Retry-After is never cut short.
func TestWakeCutsOnlyAWaitInProgress(t *testing.T) {
	clock := clockwork.NewFakeClock()
	wake := make(chan struct{}, 1)
	p := NewRetryPolicy(Config{})
	timer := &clockTimer{clock: clock, wake: wake, policy: p}
	fired := func() bool {
		select {
		case <-timer.C():
			return true
		case <-time.After(50 * time.Millisecond): // real time: the goroutine must have had its chance
			return false
		}
	}

	wake <- struct{}{} // stale: sent before the wait
	timer.Start(time.Minute)
	if fired() {
		t.Fatal("a wake sent before the wait cut it short")
	}
	wake <- struct{}{}
	if !fired() {
		t.Fatal("a wake during the wait did not end it")
	}
	timer.Stop()

	p.waitedRetryAfter = true
	timer.Start(time.Minute)
	wake <- struct{}{}
	if fired() {
		t.Fatal("a wake cut short the centre's Retry-After")
	}
	clock.Advance(time.Minute)
	if !fired() {
		t.Fatal("the Retry-After wait did not end on time")
	}
	timer.Stop()
}

// TestWakeSoonSpreadsAndCoalesces: a probe that finds the centre back
// wakes the syncer once, at a random moment within FirstRetry, however
// many probes ask meanwhile.
func TestWakeSoonSpreadsAndCoalesces(t *testing.T) {
	clock := clockwork.NewFakeClock()
	sy := New(nil, nil, Config{Clock: clock, FirstRetry: 10 * time.Second})
	sy.WakeSoon()
	sy.WakeSoon() // coalesced
	select {
	case <-sy.wake:
		t.Fatal("woken at once: a restarted centre would get every kiosk in the same second")
	default:
	}
	clock.Advance(10*time.Second + time.Millisecond)
	deadline := time.After(5 * time.Second) // real time, bounded: the AfterFunc runs on its own goroutine
	select {
	case <-sy.wake:
	case <-deadline:
		t.Fatal("not woken within FirstRetry")
	}
	select {
	case <-sy.wake:
		t.Fatal("woken twice")
	case <-time.After(50 * time.Millisecond):
	}
}

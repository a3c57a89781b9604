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
		d := newRetryPolicy(cfg).NextBackOff()
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
	p := newRetryPolicy(cfg)
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

	// Retry-After from the centre wins over a shorter backoff, once.
	p = newRetryPolicy(cfg)
	p.retryAfter = 2 * time.Minute
	if d := p.NextBackOff(); d != 2*time.Minute {
		t.Fatalf("with Retry-After 2m the wait is %s", d)
	}
	if d := p.NextBackOff(); d >= 2*time.Minute {
		t.Fatalf("Retry-After was used twice: %s", d)
	}
}

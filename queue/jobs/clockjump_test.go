package jobs_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"lobbyline/queue"
	"lobbyline/queue/jobs"
)

// jumpClock is a computer's clock whose wall time can be set, as NTP or a
// dead RTC battery set it: Now jumps, while timers, like Go's, run on a
// monotonic clock and do not.
type jumpClock struct {
	*clockwork.FakeClock
	mu     sync.Mutex
	offset time.Duration
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.FakeClock.Now().Add(c.offset)
}

func (c *jumpClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
func (c *jumpClock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }

// Jump sets the wall clock by d.
func (c *jumpClock) Jump(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// TestClockJumpsCloseTheDayOnce sets the wall clock twelve hours forward
// past the close of day and back, twice: the day closes once, at 23:55 by
// the clock, and not again when the clock comes round to 23:55 a second
// time; the next day closes at its own 23:55; and the five-minute jobs
// keep running after the clock is set back.
func TestClockJumpsCloseTheDayOnce(t *testing.T) {
	ctx := context.Background()
	clock := &jumpClock{FakeClock: clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 23, 50, 0, 0, time.UTC))}
	store, err := queue.Open(ctx, filepath.Join(t.TempDir(), "k.db"), queue.Options{
		KioskID:  "lobby-1",
		Services: []queue.Service{{ID: "registration", Prefix: "R", Name: "Registration"}},
		Desks:    []queue.Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"registration"}}},
		Now:      clock.Now, Location: time.UTC,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var mu sync.Mutex
	runs := map[string]int{}
	j, err := jobs.Start(ctx, store, nil, jobs.Config{
		Clock: clock, Location: time.UTC, ReportEvery: time.Minute,
		OnRun: func(name string, err error) {
			if err != nil {
				t.Errorf("job %s: %v", name, err)
			}
			mu.Lock()
			runs[name]++
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Stop()
	count := func(name string) int {
		mu.Lock()
		defer mu.Unlock()
		return runs[name]
	}
	// step lets minutes pass a minute at a time, each once the scheduler
	// waits on its six timers (close of day, purge, prune, refit, reports,
	// the database check).
	step := func(minutes int) {
		t.Helper()
		for range minutes {
			if err := clock.BlockUntilContext(ctx, 6); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
		}
		if err := clock.BlockUntilContext(ctx, 6); err != nil {
			t.Fatal(err)
		}
	}
	onSite := func() int {
		t.Helper()
		r, err := store.Roster(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(r)
	}
	at := func() string { return clock.Now().Format("Jan 2 15:04") }

	if _, err := store.CheckIn(ctx, queue.CheckInForm{Name: "Ana", Service: "registration"}, queue.SourceKiosk); err != nil {
		t.Fatal(err)
	}
	clock.Jump(12 * time.Hour) // 11:50 on the 24th
	step(3)
	if n := count("close-day"); n != 0 || onSite() != 1 {
		t.Fatalf("at %s: closed %d times, %d on site; the clock passed 23:55 by jumping, it is not the evening", at(), n, onSite())
	}
	clock.Jump(-12 * time.Hour) // 23:53 on the 23rd
	reports := count("reports")
	step(4) // 23:57
	if n := count("close-day"); n != 1 || onSite() != 0 {
		t.Fatalf("at %s: closed %d times, %d on site; want the day closed once at 23:55", at(), n, onSite())
	}
	if count("reports") < reports+3 {
		t.Fatalf("at %s: the one-minute reports job ran %d times in the 4 minutes after the clock was set back", at(), count("reports")-reports)
	}
	if _, err := store.CheckIn(ctx, queue.CheckInForm{Name: "Ben", Service: "registration"}, queue.SourceKiosk); err != nil {
		t.Fatal(err)
	}
	clock.Jump(12 * time.Hour) // 11:57 on the 24th
	step(1)
	clock.Jump(-12*time.Hour - 5*time.Minute) // 23:53 on the 23rd again
	step(10)                                  // 00:03 on the 24th
	if n := count("close-day"); n != 1 || onSite() != 1 {
		t.Fatalf("at %s: closed %d times, %d on site; the 23rd was closed already and Ben came after", at(), n, onSite())
	}
	step(24*60 - 8) // 23:55 on the 24th
	if n := count("close-day"); n != 2 || onSite() != 0 {
		t.Fatalf("at %s: closed %d times, %d on site; want the 24th closed at its 23:55", at(), n, onSite())
	}
}

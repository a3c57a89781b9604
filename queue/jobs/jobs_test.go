package jobs_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"lobbyline/queue"
	"lobbyline/queue/jobs"
)

// TestScheduledJobsRunOnTheInjectedClock starts the real gocron jobs on a
// fake clock and moves it through a night: the close of day at 23:55,
// the purge at 03:15 and the refit at 03:30 run when the clock says so,
// and not before.
func TestScheduledJobsRunOnTheInjectedClock(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 23, 23, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(start)
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
	// An old visit, finished long ago, and today's visitors still here.
	old, err := store.CheckIn(ctx, queue.CheckInForm{Name: "Old Visitor", Service: "registration"}, queue.SourceKiosk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CheckOutVisit(ctx, old.Visit.ID, "Carmen", queue.ProofStaff); err != nil {
		t.Fatal(err)
	}
	// The centre accepted the old visit's changes.
	pending, err := store.PendingOutbox(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range pending {
		if err := store.SettleOutbox(ctx, []queue.Settlement{{Seq: e.Seq}}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(40 * 24 * time.Hour)
	for _, n := range []string{"Ana", "Bo"} {
		if _, err := store.CheckIn(ctx, queue.CheckInForm{Name: n, Service: "registration"}, queue.SourceKiosk); err != nil {
			t.Fatal(err)
		}
	}

	// Room for every run of the night: a job is rescheduled only once its
	// run, and so this callback, is done.
	ran := make(chan string, 1024)
	jobs, err := jobs.Start(ctx, store, nil, jobs.Config{
		Clock: clock, Location: time.UTC, Retention: 30 * 24 * time.Hour, PruneAge: 20 * 24 * time.Hour,
		OnRun: func(name string, err error) {
			if err != nil {
				t.Errorf("job %s: %v", name, err)
			}
			ran <- name
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer jobs.Stop()
	// step moves the clock to the given time in steps of at most five
	// minutes, each once the scheduler waits on its six timers (close of
	// day, database check, purge, prune, refit, reports).
	step := func(to time.Time) {
		t.Helper()
		for clock.Now().Before(to) {
			if err := clock.BlockUntilContext(ctx, 6); err != nil {
				t.Fatal(err)
			}
			clock.Advance(min(5*time.Minute, to.Sub(clock.Now())))
		}
	}
	// waitFor waits (in real time, bounded) for a job to report its run;
	// any job but the five-minute reports running meanwhile fails.
	waitFor := func(want string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case name := <-ran:
				if name == want {
					return
				}
				if name != "reports" {
					t.Fatalf("%s ran at %s, waiting for %s", name, clock.Now().Format("15:04"), want)
				}
			case <-deadline:
				t.Fatalf("%s did not run by %s", want, clock.Now().Format("15:04"))
			}
		}
	}
	day := clock.Now().Truncate(24 * time.Hour)

	// The purge runs at start too (a kiosk switched off overnight never
	// sees 03:15): the 40-day-old visit loses its name at once.
	waitFor("purge")
	if v, _ := store.Visit(ctx, old.Visit.ID); v.Name != "" {
		t.Fatalf("the 40-day-old visit still has its name after the purge at start: %+v", v)
	}

	step(day.Add(23*time.Hour + 50*time.Minute))
	if roster, _ := store.Roster(ctx); len(roster) != 2 {
		t.Fatalf("roster at 23:50, before the close: %d", len(roster))
	}
	step(day.Add(23*time.Hour + 55*time.Minute))
	waitFor("close-day")
	if roster, _ := store.Roster(ctx); len(roster) != 0 {
		t.Fatalf("roster after the close of day: %+v", roster)
	}
	step(day.Add(27 * time.Hour))
	waitFor("quick-check")
	if store.Damage() != nil {
		t.Fatalf("the check found a sound database damaged: %v", store.Damage())
	}
	step(day.Add(27*time.Hour + 15*time.Minute))
	waitFor("purge") // and daily at purge_at
	step(day.Add(27*time.Hour + 30*time.Minute))
	waitFor("refit")
	if b, _ := store.Backlog(ctx); b.Done != 2 {
		t.Fatalf("accepted changes before the prune: %+v", b)
	}
	step(day.Add(27*time.Hour + 45*time.Minute))
	waitFor("prune")
	if b, _ := store.Backlog(ctx); b.Done != 0 || b.Pending == 0 {
		t.Fatalf("after the prune: %+v; want the old visit's accepted changes gone, the rest kept", b)
	}
}

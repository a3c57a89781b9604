package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/go-co-op/gocron/v2"

	"lobbyline/queue"
	"lobbyline/queue/jobs"
	"lobbyline/syncer/centre"
)

// purgeCmd erases visitors' personal data past each site's retention now,
// as serve does every day at purge_at.
type purgeCmd struct{ site string }

func (c *purgeCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.site, "site", "", "purge this `SITE` only (default: every site)")
}

func (c *purgeCmd) args(args []string) error { return wantArgs(args) }

func (c *purgeCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	var done []centre.Purged
	if c.site != "" {
		if err := siteExists(ctx, st, c.site); err != nil {
			return err
		}
		p, err := st.PurgeSite(ctx, c.site)
		if err != nil {
			return err
		}
		done = []centre.Purged{p}
	} else if done, err = st.Purge(ctx); err != nil {
		return err
	}
	for _, p := range done {
		fmt.Fprintf(m.Stdout, "%s: before %s: %d visits, %d alerts, %d check-ins, %d mutation payloads; %d audit entries older than a year\n",
			p.Site, p.Cutoff.Local().Format("2006-01-02 15:04"), p.Visits, p.Alerts, p.Arrivals, p.Mutations, p.Audit)
	}
	return nil
}

// startPurge runs the purge at start and every day at purge_at on a gocron scheduler,
// until the returned stop is called. Several instances on one database
// may each run it: a site's purge takes the site's row, and a second one
// finds nothing left to do.
func startPurge(ctx context.Context, m *Main, st *centre.Service) (stop func() error, err error) {
	if m.Config.PurgeAt == "off" {
		return func() error { return nil }, nil
	}
	at, err := jobs.ParseClockTime(m.Config.PurgeAt)
	if err != nil {
		return nil, fmt.Errorf("purge_at: %w", err)
	}
	sched, err := gocron.NewScheduler()
	if err != nil {
		return nil, fmt.Errorf("start purge: %w", err)
	}
	_, err = sched.NewJob(gocron.DailyJob(1, gocron.NewAtTimes(gocron.NewAtTime(uint(at.Hour), uint(at.Minute), 0))),
		gocron.NewTask(func() {
			done, err := st.Purge(ctx)
			if err != nil && ctx.Err() == nil {
				m.Logger.Error("purge failed", "err", err)
			}
			for _, p := range done {
				m.Logger.Info("purge", "site", p.Site, "cutoff", p.Cutoff, "visits", p.Visits, "alerts", p.Alerts,
					"check_ins", p.Arrivals, "mutations", p.Mutations, "audit", p.Audit)
			}
		}), gocron.WithName("purge"), gocron.WithSingletonMode(gocron.LimitModeReschedule),
		// Also once at start: an instance restarted across purge_at (a
		// deploy, a reboot) must not skip the day's purge.
		gocron.WithStartAt(gocron.WithStartImmediately()))
	if err != nil {
		_ = sched.Shutdown() // nothing was scheduled; the job error is the one to report
		return nil, fmt.Errorf("start purge: %w", err)
	}
	sched.Start()
	return sched.Shutdown, nil
}

// eraseCmd forgets one person at a site on request, now.
type eraseCmd struct{ site, name string }

func (c *eraseCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.site, "site", "", "the `SITE` (required)")
	fs.StringVar(&c.name, "name", "", "the person's `NAME`, compared as the watch-list compares names (required)")
}

func (c *eraseCmd) args(args []string) error {
	if err := wantArgs(args); err != nil {
		return err
	}
	if err := checkSite(c.site); err != nil {
		return err
	}
	if queue.NormalizeName(c.name) == "" {
		return errors.New("--name NAME is required")
	}
	return nil
}

func (c *eraseCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := siteExists(ctx, st, c.site); err != nil {
		return err
	}
	// Erased and audited (counts only, never the person) in one
	// transaction.
	e, err := st.Erase(ctx, c.site, c.name, m.actor())
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Erased at %s: %d visits, %d alerts, %d pre-registrations, %d check-ins, %d mutation payloads; %d kiosk database(s) erase their own copy when they next sync.\n",
		c.site, e.Visits, e.Alerts, e.PreRegs, e.Arrivals, e.Mutations, e.Kiosks)
	if e.Visits == 0 && e.PreRegs == 0 {
		fmt.Fprintln(m.Stdout, "Nobody under that name within the retention: older visits were already purged.")
	}
	return nil
}

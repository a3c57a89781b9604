// Package jobs runs the kiosk's scheduled work with an injected clock:
// the outage monitor's health probe and samples, the purge of personal
// data, the prune of what the centre has, the end-of-day close, the
// nightly refit of the wait estimator, the database check, snapshots
// and the incident reports. The jobs at a time of day run on a gocron
// scheduler, the ones that repeat on timer loops of their own (repeat
// says why).
//
// It needs the store, the report writer and, for the probe and the
// samples, whatever Monitor it is handed; it must import neither the sync
// protocol nor Fyne.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"lobbyline/queue"
	"lobbyline/queue/diskwatch"
	"lobbyline/queue/report"
)

// DefaultProbeEvery is how often the outage monitor's probe runs (it asks
// the centre only when outage.ProbeDue says so).
const DefaultProbeEvery = 5 * time.Second

// Monitor is what the probe and sample jobs run: the outage monitor.
type Monitor interface {
	Probe(ctx context.Context) error
	Sample(ctx context.Context) error
	SampleEvery() time.Duration
}

// Config sets the kiosk's scheduled jobs. Zero values take the
// defaults shown; a negative Retention turns the purge off.
type Config struct {
	ProbeEvery time.Duration // DefaultProbeEvery: the centre's health probe and the disk check
	Retention  time.Duration // 30 days: visitors' personal data is erased after this
	PurgeAt    ClockTime     // 03:15: the daily purge
	// PruneAge: 90 days; events, the connectivity log and incident samples
	// the centre has go after this (queue.Store.Prune); negative: never.
	PruneAge    time.Duration
	PruneAt     ClockTime // 03:45: the daily prune
	RefitAt     ClockTime // 03:30: the nightly refit of the wait estimator
	CloseDayAt  ClockTime // 23:55: end of day (expire tickets, check everyone out), once a day, up to 30 min late
	CloseDayOff bool      // no end-of-day close (a lobby open round the clock)
	CheckAt     ClockTime // 03:00: the daily check of the database (queue.Store.QuickCheck)
	// Snapshots: at most every SnapshotEvery (1 h), and only when the
	// database changed, into these directories (none: no snapshots).
	Snapshots     queue.SnapshotOptions
	SnapshotEvery time.Duration
	ReportEvery   time.Duration   // 5 min: reports of incidents that are over
	ReportDir     string          // where incident reports are written; "" writes none
	Steps         func() []string // the runbook in use now, for the reports' checklists; nil: none
	KioskName     string
	Site          string
	Location      *time.Location // the kiosk's day; nil means time.Local
	// Lang is the reports' language; "" reads the staff language from the
	// store each time a report is written, so a change in staff mode
	// applies to the next report.
	Lang   string
	Clock  clockwork.Clock
	Logger *slog.Logger
	// OnRun, if set, is called after each run of a job with its name and
	// result: for tests and logs that must know a job ran.
	OnRun func(name string, err error)
}

// ClockTime is a time of day. The zero ClockTime means "not set" (the
// job's default); midnight is ClockTime{0, 0, true}, as ParseClockTime
// returns it.
type ClockTime struct {
	Hour, Minute int
	Set          bool
}

func (c ClockTime) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

// ParseClockTime reads "23:55".
func ParseClockTime(v string) (ClockTime, error) {
	t, err := time.Parse("15:04", v)
	if err != nil {
		return ClockTime{}, fmt.Errorf("%q is not a time of day like 23:55", v)
	}
	return ClockTime{t.Hour(), t.Minute(), true}, nil
}

func (c *Config) defaults() {
	setDefault(&c.ProbeEvery, DefaultProbeEvery)
	setDefault(&c.ReportEvery, 5*time.Minute)
	if c.Retention == 0 {
		c.Retention = queue.DefaultRetention
	}
	if !c.PurgeAt.Set {
		c.PurgeAt = ClockTime{3, 15, true}
	}
	if c.PruneAge == 0 {
		c.PruneAge = 90 * 24 * time.Hour
	}
	if !c.PruneAt.Set {
		c.PruneAt = ClockTime{3, 45, true}
	}
	if !c.RefitAt.Set {
		c.RefitAt = ClockTime{3, 30, true}
	}
	if !c.CloseDayAt.Set {
		c.CloseDayAt = ClockTime{23, 55, true}
	}
	if !c.CheckAt.Set {
		c.CheckAt = ClockTime{3, 0, true}
	}
	setDefault(&c.SnapshotEvery, time.Hour)
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.Clock == nil {
		c.Clock = clockwork.NewRealClock()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Jobs runs the kiosk's scheduled work: the
// health probe, sampling for incident reports, the purge of personal
// data, the end-of-day close, the nightly estimator refit and the
// incident reports.
type Jobs struct {
	store *queue.Store
	mon   Monitor
	cfg   Config
	log   *slog.Logger
	sched gocron.Scheduler // the jobs at a time of day
	// The jobs that repeat run on loops of their own (repeat), which
	// stopLoops ends.
	loops     sync.WaitGroup
	stopLoops context.CancelFunc
}

// Start schedules the jobs and starts them. mon may be nil (sync off):
// then only the purge, the close and the refit run.
func Start(ctx context.Context, store *queue.Store, mon Monitor, cfg Config) (*Jobs, error) {
	cfg.defaults()
	j := &Jobs{store: store, mon: mon, cfg: cfg, log: cfg.Logger}
	sched, err := gocron.NewScheduler(gocron.WithClock(cfg.Clock), gocron.WithLocation(cfg.Location),
		gocron.WithLogger(gocronLogger{cfg.Logger}))
	if err != nil {
		return nil, fmt.Errorf("start jobs: %w", err)
	}
	j.sched = sched
	daily := func(at ClockTime) gocron.JobDefinition {
		return gocron.DailyJob(1, gocron.NewAtTimes(gocron.NewAtTime(uint(at.Hour), uint(at.Minute), 0)))
	}
	type job struct {
		name string
		// every is the pause between runs of a job that repeats; def
		// schedules one that runs at a time of day.
		every   time.Duration
		def     gocron.JobDefinition
		run     func(context.Context) error
		on      bool
		atStart bool // also once now: a kiosk switched off overnight misses its time
	}
	jobs := []job{
		{name: "probe", every: cfg.ProbeEvery, run: j.probe, on: mon != nil},
		{name: "sample", every: monitorSampleEvery(mon), run: j.sample, on: mon != nil},
		{name: "reports", every: cfg.ReportEvery, run: j.Reports, on: true},
		// The purge also runs at start: a lobby that switches its kiosk off
		// at night would otherwise never reach purge_at, and keep
		// visitors' names past the retention for good.
		{name: "purge", def: daily(cfg.PurgeAt), run: j.Purge, on: cfg.Retention > 0, atStart: true},
		{name: "prune", def: daily(cfg.PruneAt), run: j.Prune, on: cfg.PruneAge > 0},
		{name: "refit", def: daily(cfg.RefitAt), run: store.RefitEstimator, on: true},
		// The close looks at the wall clock every minute rather than
		// trusting a daily timer, which a jump of the clock moves off
		// 23:55; it closes each day once (closeDue).
		{name: "close-day", every: time.Minute, run: j.closeDue, on: !cfg.CloseDayOff},
		{name: "quick-check", def: daily(cfg.CheckAt), run: j.QuickCheck, on: true},
		{name: "snapshot", every: cfg.SnapshotEvery, run: j.Snapshot, on: len(cfg.Snapshots.Dirs) > 0},
	}
	loops, stop := context.WithCancel(ctx)
	j.stopLoops = stop
	for _, jb := range jobs {
		if !jb.on {
			continue
		}
		run, name := jb.run, jb.name
		if jb.every > 0 {
			j.loops.Add(1)
			go j.repeat(ctx, loops, name, jb.every, run)
			continue
		}
		opts := []gocron.JobOption{gocron.WithName(name), gocron.WithSingletonMode(gocron.LimitModeReschedule), gocron.WithIntervalFromCompletion()}
		if jb.atStart {
			opts = append(opts, gocron.WithStartAt(gocron.WithStartImmediately()))
		}
		if _, err := sched.NewJob(jb.def, gocron.NewTask(func() { j.runOne(ctx, name, run) }), opts...); err != nil {
			stop()
			j.loops.Wait()
			return nil, fmt.Errorf("start jobs: %s: %w", name, err)
		}
	}
	sched.Start()
	return j, nil
}

// repeat runs a job every so often: a pause after each run ends, by the
// computer's timer, not the wall clock, so a clock set back twelve hours
// never holds the probe back twelve hours. (gocron's interval jobs read
// the wall clock between a run's end and the next run's timer, and a
// jump in between scheduled the next run hours off.) It runs until loops
// ends; the job itself runs under ctx, so Stop waits for a run under way.
func (j *Jobs) repeat(ctx, loops context.Context, name string, every time.Duration, run func(context.Context) error) {
	defer j.loops.Done()
	for {
		t := j.cfg.Clock.NewTimer(every)
		select {
		case <-loops.Done():
			t.Stop()
			return
		case <-t.Chan():
		}
		j.runOne(ctx, name, run)
	}
}

// runOne runs a job once: its failure is logged, and OnRun told.
func (j *Jobs) runOne(ctx context.Context, name string, run func(context.Context) error) {
	err := run(ctx)
	if errors.Is(err, errNothingDone) {
		return
	}
	if err != nil && ctx.Err() == nil {
		j.log.Error("job failed", "job", name, "err", err)
	}
	if j.cfg.OnRun != nil {
		j.cfg.OnRun(name, err)
	}
}

func monitorSampleEvery(m Monitor) time.Duration {
	if m == nil {
		return time.Minute
	}
	return m.SampleEvery()
}

// Stop ends the jobs and waits for running ones.
func (j *Jobs) Stop() error {
	j.stopLoops()
	j.loops.Wait()
	return j.sched.Shutdown()
}

func (j *Jobs) probe(ctx context.Context) error  { return j.mon.Probe(ctx) }
func (j *Jobs) sample(ctx context.Context) error { return j.mon.Sample(ctx) }

// Purge erases personal data older than the retention time.
func (j *Jobs) Purge(ctx context.Context) error {
	p, err := j.store.Purge(ctx, j.cfg.Clock.Now().Add(-j.cfg.Retention))
	if err != nil {
		return err
	}
	j.log.Info("purge", "visits", p.Visits, "outbox", p.Outbox, "alerts", p.Alerts, "site_visits", p.Remote, "snapshots", p.Snapshots, "audit", p.Audit)
	return nil
}

// Prune removes what the centre has and is older than PruneAge.
func (j *Jobs) Prune(ctx context.Context) error {
	p, err := j.store.Prune(ctx, j.cfg.Clock.Now().Add(-j.cfg.PruneAge))
	if err != nil {
		return err
	}
	j.log.Info("prune", "before", p.Cutoff, "changes", p.Outbox, "events", p.Events, "connectivity", p.Connectivity, "samples", p.Samples)
	return nil
}

// closeWindow is how long after the close time the close may still run
// (the kiosk was busy or off at 23:55); after it, the day waits for the
// next evening rather than closing in the middle of the morning.
const closeWindow = 30 * time.Minute

// errNothingDone is a run of a job that found nothing to do: it is
// neither logged nor reported to OnRun.
var errNothingDone = errors.New("jobs: nothing to do")

// closeDue closes the day if the wall clock is in the close window and
// this day has not been closed by the schedule yet. A clock that jumps
// forward past the close time and back closes the day once, when the
// clock comes round to the close time; one set back after the close does
// not close it again.
func (j *Jobs) closeDue(ctx context.Context) error {
	now := j.cfg.Clock.Now().In(j.cfg.Location)
	y, m, d := now.Date()
	at := time.Date(y, m, d, j.cfg.CloseDayAt.Hour, j.cfg.CloseDayAt.Minute, 0, 0, j.cfg.Location)
	if now.Before(at) || !now.Before(at.Add(closeWindow)) {
		return errNothingDone
	}
	res, closed, err := j.store.CloseDayOnce(ctx, now.Format("2006-01-02"))
	if err != nil {
		return err
	}
	if !closed {
		return errNothingDone
	}
	j.logClose(res)
	return nil
}

// CloseDay runs the end-of-day close.
func (j *Jobs) CloseDay(ctx context.Context) error {
	res, err := j.store.CloseDay(ctx)
	if err != nil {
		return err
	}
	j.logClose(res)
	return nil
}

// QuickCheck checks the database; damage marks the store damaged, and
// the lobby sends visitors to reception from its next refresh.
func (j *Jobs) QuickCheck(ctx context.Context) error {
	start := j.cfg.Clock.Now()
	problems, err := j.store.QuickCheck(ctx)
	if err != nil {
		return err
	}
	j.log.Info("database check", "ok", len(problems) == 0, "took", j.cfg.Clock.Since(start))
	return nil
}

// Snapshot takes a snapshot if the database changed since the last.
func (j *Jobs) Snapshot(ctx context.Context) error {
	path, err := j.store.Snapshot(ctx, j.cfg.Snapshots)
	if path != "" {
		j.log.Info("snapshot", "path", path)
	}
	return err
}

func (j *Jobs) logClose(res queue.DayClose) {
	j.log.Info("end of day", "on_site", res.OnSite, "expired", res.Expired, "checked_out", res.CheckedOut, "desks_closed", res.DesksShut)
}

// reportAfter is how long an ended incident may wait for its backlog to
// drain before it is reported anyway (the report says "not drained").
const reportAfter = time.Hour

// Reports writes the report files of incidents that are over and drained
// (or ended more than an hour ago) and sends their summaries to the
// centre. Each is reported once.
func (j *Jobs) Reports(ctx context.Context) error {
	incidents, err := j.store.Incidents(ctx, 20)
	if err != nil {
		return err
	}
	now := j.cfg.Clock.Now()
	for _, in := range incidents {
		if in.Open() || !in.ReportedAt.IsZero() || (in.DrainedAt.IsZero() && now.Sub(in.End) < reportAfter) {
			continue
		}
		// The files are for people on site; the summary is for the centre.
		// One failing (a full disk) does not hold back the other. The
		// summary goes first, so the files say when it was sent, as the
		// incident list does.
		_, sendErr := j.store.ReportIncident(ctx, in.ID, j.cfg.steps())
		if _, err := j.WriteReport(ctx, in.ID); err != nil {
			j.log.Error("write incident report", "id", in.ID, "err", err)
		}
		if sendErr != nil {
			return sendErr
		}
	}
	return nil
}

// steps is the runbook in use now.
func (c Config) steps() []string {
	if c.Steps == nil {
		return nil
	}
	return c.Steps()
}

// WriteReport writes incident id's Markdown, CSV and HTML reports into
// the report directory and returns their paths.
func (j *Jobs) WriteReport(ctx context.Context, id int64) ([]string, error) {
	return WriteReport(ctx, j.store, j.cfg, id)
}

// WriteReport writes incident id's reports as the jobs would, into
// cfg.ReportDir (nothing if it is empty), in cfg.Lang or else the staff
// language stored now.
func WriteReport(ctx context.Context, store *queue.Store, cfg Config, id int64) ([]string, error) {
	if cfg.ReportDir == "" {
		return nil, nil
	}
	r, err := store.IncidentReport(ctx, id, cfg.steps())
	if err != nil {
		return nil, err
	}
	r.KioskName, r.Site = cfg.KioskName, cfg.Site
	loc := cfg.Location
	if loc == nil {
		loc = time.Local
	}
	lang := cfg.Lang
	if lang == "" {
		if lang, err = store.StaffLanguage(ctx); err != nil {
			return nil, err
		}
	}
	paths, err := report.WriteAll(cfg.ReportDir, r, report.Options{Location: loc, Lang: lang})
	if err != nil {
		return paths, err
	}
	// The folder is bounded: the oldest go once it holds more.
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if gone, terr := diskwatch.Trim(cfg.ReportDir, diskwatch.KeepReports); terr != nil {
		log.Warn("bound the reports folder", "dir", cfg.ReportDir, "err", terr)
	} else if len(gone) > 0 {
		log.Info("deleted the oldest reports", "files", gone)
	}
	return paths, nil
}

// setDefault sets a duration left zero (or negative) to v.
func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// gocronLogger routes gocron's log lines to slog.
type gocronLogger struct{ l *slog.Logger }

func (g gocronLogger) Debug(msg string, args ...any) { g.l.Debug(msg, args...) }
func (g gocronLogger) Error(msg string, args ...any) { g.l.Error(msg, args...) }
func (g gocronLogger) Info(msg string, args ...any)  { g.l.Debug(msg, args...) }
func (g gocronLogger) Warn(msg string, args ...any)  { g.l.Warn(msg, args...) }

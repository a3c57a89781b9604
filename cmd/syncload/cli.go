package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"time"
)

// Config is what a run does. Scale multiplies every duration of the
// scenarios (and the syncer's) but DrainTimeout, a safety limit.
type Config struct {
	Scenario    string  // "fleet" or "reconnect"
	Store       string  // the centre's store: a postgres:// DSN or a SQLite file
	Kiosks      int     // 0: 1000 for fleet, 500 for reconnect
	PerSite     int     // kiosks per site
	Scale       float64 // multiplies every duration, the syncer's included
	MaxInFlight int     // the centre's centre.ServerOptions.MaxInFlight, per instance
	Instances   int     // centre instances on the one database; more than 1 sit behind a round-robin proxy
	Probes      bool    // kiosks also probe /healthz as their outage monitor does
	// CentreProcess runs the centre in a child process of this program.
	CentreProcess bool
	PoolIdle      int    // if > 0, overrides the centre's max idle connections: an experiment
	CPUProfile    string // write a CPU profile of the run here

	// fleet
	Duration     time.Duration // how long kiosks sync
	Interval     time.Duration // between a kiosk's syncs, on average
	Jitter       time.Duration // ± uniform around Interval
	CheckInEvery time.Duration // mean time between check-ins at a kiosk
	Transport    string        // "per-kiosk" (one http.Transport each) or "shared"
	Kick         bool          // also sync right after each change, as cmd/kiosk does
	OutageAt     time.Duration // if > 0, the centre goes down this long after the start, for Outage

	// reconnect
	Outage       time.Duration // how long the centre refuses connections
	CheckIns     int           // visitors each kiosk checks in during the outage
	Dir          string        // where the kiosk databases go; "" is a temp dir, removed after
	DrainTimeout time.Duration // give up waiting for the outboxes to empty after this; wall clock, not scaled
}

// DefaultConfig is the full-size run of either scenario, durations as the
// real syncer uses them (Scale 1).
func DefaultConfig() Config {
	return Config{
		Store:        os.Getenv("LOBBYLINE_TEST_POSTGRES"),
		PerSite:      20,
		Scale:        1,
		MaxInFlight:  64, // cmd/central's default
		Instances:    1,
		Probes:       true,
		Duration:     3 * time.Minute,
		Interval:     30 * time.Second,
		Jitter:       5 * time.Second,
		CheckInEvery: 60 * time.Second,
		Transport:    "per-kiosk",
		Outage:       2 * time.Minute,
		CheckIns:     3,
		DrainTimeout: 15 * time.Minute,
	}
}

// Main is the program, so that tests can run it with small settings.
type Main struct {
	Config Config
	Stdout io.Writer
	Stderr io.Writer
	Logger *slog.Logger // the centre's and the kiosks' logs

	// The outcome of Run, for tests.
	Fleet     *FleetResult
	Reconnect *ReconnectResult

	closers []func() error
}

// NewMain returns a Main with the default config, the standard streams
// and warnings logged to standard error.
func NewMain() *Main {
	return &Main{
		Config: DefaultConfig(), Stdout: os.Stdout, Stderr: os.Stderr,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

const usage = `usage: syncload fleet|reconnect [flags]

  fleet      N simulated kiosks (default 1000) pull and push every 30 s ± 5 s;
             prints push and pull latency, requests/s, answers by status and
             checks that every mutation is at the centre exactly once.
  reconnect  N real kiosks (default 500: queue.Store + syncer.Syncer) lose the
             centre for --outage; prints the requests per second reaching the
             centre from its return until every outbox is empty.

The centre runs in this process on 127.0.0.1. Its store is --postgres DSN
(default $LOBBYLINE_TEST_POSTGRES) or --sqlite FILE.

`

// ParseFlags reads the scenario and its flags into m.Config.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("syncload", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprint(m.Stderr, usage)
		fs.PrintDefaults()
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs.Usage()
		return flag.ErrHelp
	}
	c := &m.Config
	c.Scenario = args[0]
	var sqlite string
	fs.StringVar(&c.Store, "postgres", c.Store, "the centre's PostgreSQL `DSN` (default $LOBBYLINE_TEST_POSTGRES)")
	fs.StringVar(&sqlite, "sqlite", "", "run the centre on a SQLite `FILE` instead")
	fs.IntVar(&c.Kiosks, "kiosks", c.Kiosks, "kiosks (default 1000 for fleet, 500 for reconnect)")
	fs.IntVar(&c.PerSite, "per-site", c.PerSite, "kiosks per site")
	fs.Float64Var(&c.Scale, "scale", c.Scale, "multiply every duration by this (0.1 runs ten times faster); printed with the figures")
	fs.IntVar(&c.MaxInFlight, "max-in-flight", c.MaxInFlight, "the centre's MaxInFlight, per instance: more requests at once get 429")
	fs.BoolVar(&c.CentreProcess, "centre-process", c.CentreProcess, "run the centre in a child process of this program, with its own open-file limit (10,000 kiosks need about 20,000 descriptors in one process)")
	fs.IntVar(&c.Instances, "instances", c.Instances, "centre instances on the one database, behind a round-robin reverse proxy on loopback when more than 1")
	fs.BoolVar(&c.Probes, "probes", c.Probes, "kiosks also probe GET /healthz as their outage monitor does (every 5 s while anything is wrong, else when the centre was not heard from for 15 s)")
	fs.IntVar(&c.PoolIdle, "pool-idle", c.PoolIdle, "experiment: SetMaxIdleConns(`N`) on the centre's database pool (0 keeps the shipped setting, MaxInFlight; 2 is database/sql's default, used before the centre set it)")
	fs.StringVar(&c.CPUProfile, "cpuprofile", c.CPUProfile, "write a CPU profile of the run to `FILE` (and the centre's to FILE.centre with --centre-process)")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "fleet: how long the kiosks sync")
	fs.DurationVar(&c.Interval, "interval", c.Interval, "fleet: mean time between a kiosk's syncs")
	fs.DurationVar(&c.Jitter, "jitter", c.Jitter, "fleet: uniform ± around --interval")
	fs.DurationVar(&c.CheckInEvery, "checkin-every", c.CheckInEvery, "fleet: mean time between check-ins at a kiosk (each is later called and served)")
	fs.BoolVar(&c.Kick, "kick", c.Kick, "fleet: also sync right after each change, as cmd/kiosk does (its store's AfterWrite kicks the syncer)")
	fs.StringVar(&c.Transport, "transport", c.Transport, "fleet: per-kiosk (one http.Transport each, as real kiosks) or shared")
	fs.DurationVar(&c.Outage, "outage", c.Outage, "reconnect, and fleet with --outage-at: how long the centre is down")
	fs.DurationVar(&c.OutageAt, "outage-at", c.OutageAt, "fleet: take the centre down this long after the start, for --outage, and measure the kiosks' return (--duration must leave time for it)")
	fs.IntVar(&c.CheckIns, "checkins", c.CheckIns, "reconnect: visitors each kiosk checks in during the outage")
	fs.StringVar(&c.Dir, "dir", c.Dir, "reconnect: `DIR` for the kiosk databases (default: a temp dir, removed after)")
	fs.DurationVar(&c.DrainTimeout, "drain-timeout", c.DrainTimeout, "reconnect: fail if the outboxes are not empty this long after the centre returns (wall clock, not scaled)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if sqlite != "" {
		c.Store = sqlite
	}
	return c.Validate()
}

// Validate checks the settings Run relies on.
func (c *Config) Validate() error {
	switch {
	case c.Scenario != "fleet" && c.Scenario != "reconnect" && c.Scenario != "centre":
		return fmt.Errorf("scenario %q: want fleet or reconnect", c.Scenario)
	case c.Store == "":
		return errors.New("no store for the centre: give --postgres DSN (or set LOBBYLINE_TEST_POSTGRES) or --sqlite FILE")
	case c.Kiosks < 0 || c.PerSite < 1:
		return errors.New("--kiosks must not be negative and --per-site must be at least 1")
	case c.Scale <= 0 || c.Scale > 1:
		return errors.New("--scale must be in (0, 1]")
	case c.MaxInFlight < 1:
		return errors.New("--max-in-flight must be at least 1")
	case c.Instances < 1:
		return errors.New("--instances must be at least 1")
	case c.Duration <= 0 || c.Interval <= 0 || c.Jitter < 0 || c.Jitter >= c.Interval || c.CheckInEvery <= 0:
		return errors.New("--duration, --interval and --checkin-every must be positive, --jitter in [0, --interval)")
	case c.Transport != "per-kiosk" && c.Transport != "shared":
		return fmt.Errorf("--transport %q: want per-kiosk or shared", c.Transport)
	case c.Outage <= 0 || c.CheckIns < 1 || c.DrainTimeout <= 0:
		return errors.New("--outage and --drain-timeout must be positive, --checkins at least 1")
	case c.OutageAt < 0 || (c.OutageAt > 0 && c.OutageAt+c.Outage >= c.Duration):
		return errors.New("--outage-at must not be negative, and --outage-at plus --outage must end before --duration")
	}
	return nil
}

// scaled is d as this run uses it.
func (c *Config) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * c.Scale)
}

// kiosks is the number of kiosks the scenario runs.
func (c *Config) kiosks() int {
	switch {
	case c.Kiosks > 0:
		return c.Kiosks
	case c.Scenario == "fleet":
		return 1000
	}
	return 500
}

// Run runs the scenario and prints its figures. It fails if the run
// itself went wrong (a mutation lost or doubled, outboxes that never
// drained); a target missed is printed, not returned.
func (m *Main) Run(ctx context.Context) error {
	if m.Config.CPUProfile != "" {
		f, err := os.Create(m.Config.CPUProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			_ = f.Close() // the profiler error is the one to report
			return fmt.Errorf("cpu profile: %w", err)
		}
		m.closers = append(m.closers, func() error {
			pprof.StopCPUProfile()
			return f.Close()
		})
	}
	switch m.Config.Scenario {
	case "fleet":
		return m.runFleet(ctx)
	case "centre": // the child of --centre-process
		return m.serveCentre(ctx, os.Stdin)
	}
	return m.runReconnect(ctx)
}

// Close releases what Run left open, last opened first.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}

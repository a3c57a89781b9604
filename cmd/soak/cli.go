package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Config is what a soak run does.
type Config struct {
	For         time.Duration // how long the lobby runs
	Every       time.Duration // a check-in this often (a lobby: 3 s)
	Sample      time.Duration // a row of the CSV this often
	OutageEvery time.Duration // the centre is stopped this often…
	OutageFor   time.Duration // …for this long; 0: never
	Warmup      time.Duration // growth is judged from the end of this
	Out         string        // directory for soak.csv, soak.svg, the databases and the log
	Headless    bool          // Fyne's test driver instead of a window
}

// DefaultConfig is a 30-minute run at a check-in a second, sampled every
// 10 s, with a 3-minute outage every 10 minutes.
func DefaultConfig() Config {
	return Config{For: 30 * time.Minute, Every: time.Second, Sample: 10 * time.Second,
		OutageEvery: 10 * time.Minute, OutageFor: 3 * time.Minute, Out: "soak-out"}
}

// Main is the soak command.
type Main struct {
	Config Config
	Stdout io.Writer
}

// NewMain is a Main with the default config, printing to stdout.
func NewMain() *Main { return &Main{Config: DefaultConfig(), Stdout: os.Stdout} }

// ParseFlags reads the command line.
func (m *Main) ParseFlags(args []string) error {
	c := &m.Config
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.DurationVar(&c.For, "for", c.For, "how long the lobby runs (BENCHMARKS.md: 8h)")
	fs.DurationVar(&c.Every, "every", c.Every, "a check-in this often (a lobby's pace: 3s)")
	fs.DurationVar(&c.Sample, "sample", c.Sample, "a sample this often")
	fs.DurationVar(&c.OutageEvery, "outage-every", c.OutageEvery, "the centre is stopped this often")
	fs.DurationVar(&c.OutageFor, "outage-for", c.OutageFor, "for this long (0: no outage)")
	fs.DurationVar(&c.Warmup, "warmup", c.Warmup, "growth is judged after this (default: an hour, or a quarter of -for if shorter)")
	fs.StringVar(&c.Out, "out", c.Out, "directory for soak.csv, soak.svg, the databases and soak.log")
	fs.BoolVar(&c.Headless, "headless", c.Headless, "use Fyne's software test driver instead of a window")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return c.Validate()
}

// Validate checks the config and fills the warm-up.
func (c *Config) Validate() error {
	if c.For <= 0 || c.Every <= 0 || c.Sample <= 0 {
		return fmt.Errorf("-for, -every and -sample must be positive")
	}
	if c.OutageFor > 0 && c.OutageEvery <= c.OutageFor {
		return fmt.Errorf("-outage-every (%v) must be longer than -outage-for (%v)", c.OutageEvery, c.OutageFor)
	}
	if c.Warmup == 0 {
		c.Warmup = min(time.Hour, c.For/4)
	}
	if c.Out == "" {
		return fmt.Errorf("-out is empty")
	}
	return nil
}

// Run runs the soak and writes its files.
func (m *Main) Run(ctx context.Context) error {
	c := m.Config
	if err := os.MkdirAll(c.Out, 0o750); err != nil {
		return err
	}
	res, err := Soak(ctx, c)
	if res != nil && len(res.Samples) > 0 {
		if werr := res.WriteFiles(c.Out); werr != nil && err == nil {
			err = werr
		}
		res.Summary(m.Stdout, c.Warmup)
		fmt.Fprintf(m.Stdout, "soak: %s and %s\n", filepath.Join(c.Out, "soak.csv"), filepath.Join(c.Out, "soak.svg"))
	}
	return err
}

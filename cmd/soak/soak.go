package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
)

// Soak runs the lobby for c.For and returns its samples. The window's
// event loop runs on the calling goroutine (main's, as Fyne needs).
func Soak(ctx context.Context, c Config) (*Result, error) {
	if !c.Headless && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		x, err := startXvfb(ctx)
		if err != nil {
			return nil, err
		}
		defer x.stop()
		if err := os.Setenv("DISPLAY", x.display); err != nil {
			return nil, err
		}
	}
	l, err := openLobby(ctx, c.Out, c.Headless)
	if err != nil {
		return nil, err
	}
	d, err := newDriver(ctx, l, 1)
	if err != nil {
		return nil, errors.Join(err, l.close())
	}
	res := &Result{Every: c.Every}
	live, err := os.Create(filepath.Join(c.Out, "soak-live.csv")) // #nosec G304 -- the run's own output directory
	if err != nil {
		return nil, errors.Join(err, l.close())
	}
	defer live.Close()
	res.stream = csv.NewWriter(live)
	_ = res.stream.Write(csvHeader)
	run, cancel := context.WithTimeout(ctx, c.For)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		err := res.drive(run, c, l, d)
		if !c.Headless {
			fyne.Do(l.app.Quit)
		}
		done <- err
	}()
	if c.Headless {
		err = <-done
	} else {
		w := l.ui.Window()
		w.Resize(fyne.NewSize(1080, 1920))
		w.ShowAndRun()
		cancel() // the window was closed: stop
		err = <-done
	}
	return res, errors.Join(err, l.close())
}

// drive runs the lobby's ticks, the outages and the sampling until ctx
// ends.
func (r *Result) drive(ctx context.Context, c Config, l *lobby, d *driver) error {
	start := time.Now()
	r.Start = start
	tick := time.NewTicker(c.Every)
	defer tick.Stop()
	sample := time.NewTicker(c.Sample)
	defer sample.Stop()
	var outage <-chan time.Time
	if c.OutageFor > 0 {
		t := time.NewTicker(c.OutageEvery)
		defer t.Stop()
		outage = t.C
	}
	var back <-chan time.Time
	down := false
	r.add(start, d.visits, l, down)
	for {
		select {
		case <-ctx.Done():
			if down {
				if err := l.up(); err != nil {
					return err
				}
			}
			r.add(time.Now(), d.visits, l, false)
			return nil
		case <-tick.C:
			if err := d.step(); err != nil {
				return err
			}
		case now := <-sample.C:
			r.add(now, d.visits, l, down)
		case now := <-outage:
			if down {
				continue
			}
			if err := l.down(); err != nil {
				return err
			}
			down = true
			r.Outages = append(r.Outages, [2]time.Duration{now.Sub(start), now.Sub(start) + c.OutageFor})
			back = time.After(c.OutageFor)
		case <-back:
			if err := l.up(); err != nil {
				return err
			}
			down = false
		}
	}
}

// xvfb is a private X server.
type xvfb struct {
	cmd     *exec.Cmd
	display string
}

// startXvfb starts an X server on the first free display; Xvfb writes the
// display number to -displayfd once it accepts connections.
func startXvfb(ctx context.Context) (*xvfb, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, "Xvfb", "-displayfd", "3", "-screen", "0", "1080x1920x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	err = cmd.Start()
	_ = w.Close() // only the child writes; EOF if it dies
	if err != nil {
		return nil, fmt.Errorf("start Xvfb (or run with -headless): %w", err)
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	n, perr := strconv.Atoi(strings.TrimSpace(line))
	if perr != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("no display number from Xvfb: %q, %v", line, err)
	}
	return &xvfb{cmd: cmd, display: ":" + strconv.Itoa(n)}, nil
}

func (x *xvfb) stop() {
	_ = x.cmd.Process.Signal(syscall.SIGTERM)
	_ = x.cmd.Wait()
}

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newMain is a Main at a tiny scale against a SQLite centre in a temp dir,
// writing to a buffer and logging warnings to the test output.
func newMain(t *testing.T, scenario string) (*Main, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr = &out, t.Output()
	m.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	m.Config.Scenario = scenario
	m.Config.Store = filepath.Join(t.TempDir(), "central.db")
	m.Config.Kiosks = 5
	m.Config.PerSite = 3 // two sites
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	return m, &out
}

// run runs m's scenario, logs what it printed and fails the test if the
// run went wrong.
func run(t *testing.T, m *Main, out *bytes.Buffer) {
	t.Helper()
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	t.Logf("\n%s", out)
}

// wantOutput fails the test for each of wants that out lacks.
func wantOutput(t *testing.T, out *bytes.Buffer, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// TestFleet runs the fleet scenario syncing on schedule only, as the
// benchmark's target is stated, and also after every change (--kick), as
// cmd/kiosk does.
func TestFleet(t *testing.T) {
	t.Parallel()
	for _, kick := range []bool{false, true} {
		t.Run(fmt.Sprintf("kick=%t", kick), func(t *testing.T) {
			t.Parallel()
			m, out := newMain(t, "fleet")
			m.Config.Scale = 0.01 // syncs every 300 ms ± 50 ms for 1.8 s, a check-in every ~600 ms
			m.Config.Kick = kick
			if err := m.Config.Validate(); err != nil {
				t.Fatal(err)
			}
			run(t, m, out)
			r := m.Fleet
			if !r.ExactlyOnce || r.Sent == 0 || r.AtCentre != r.Sent || r.Answered != r.Sent {
				t.Errorf("exactly-once check: ok=%t sent %d, answered %d, at the centre %d (%s)", r.ExactlyOnce, r.Sent, r.Answered, r.AtCentre, r.Mismatch)
			}
			if r.StatusOther != 0 || r.Push.N == 0 || r.Records == 0 {
				t.Errorf("want pushes, pulls with records and no errors: %+v", r)
			}
			// As syncer.Sync does: a pull on first contact, then a push's
			// answer carries the page, so a sync that pushes pulls no
			// more; a sync with nothing to send is one pull.
			if r.Pull.N > r.Pushes+r.Kiosks*int(r.Duration/(250*time.Millisecond)+2) {
				t.Errorf("%d pulls for %d pushes; want a pull only on first contact and when nothing was pushed", r.Pull.N, r.Pushes)
			}
			// One request per sync that pushes, but on first contact.
			if r.PushSyncs == 0 || r.PushSyncReqs > r.PushSyncs+r.Kiosks {
				t.Errorf("%d syncs that pushed made %d requests; want one each", r.PushSyncs, r.PushSyncReqs)
			}
			if r.Probes == 0 || r.ProbeFailed != 0 || r.CheckIns == 0 || r.Late != 0 {
				t.Errorf("probes %d (failed %d), check-ins %d (late %d); want probes in the load and every check-in in time",
					r.Probes, r.ProbeFailed, r.CheckIns, r.Late)
			}
			if kick && r.Pushes < r.Sent/2 {
				t.Errorf("with kicks, %d pushes carried %d mutations; want about one push per change", r.Pushes, r.Sent)
			}
			if r.Sites != 2 || r.Applied != r.Sent {
				t.Errorf("sites %d, applied %d of %d", r.Sites, r.Applied, r.Sent)
			}
			wantOutput(t, out, "fleet kiosks=5 sites=2 ", " exactly_once=ok ", "; it answered 200: ", "  push ", "  pull ", "  target ")
		})
	}
}

// TestFleetTwoInstances runs the fleet against two centre instances on
// one database behind the round-robin proxy: consecutive requests of a
// kiosk reach different instances, and nothing is lost or doubled.
func TestFleetTwoInstances(t *testing.T) {
	t.Parallel()
	m, out := newMain(t, "fleet")
	m.Config.Scale = 0.01
	m.Config.Kick = true
	m.Config.Instances = 2
	run(t, m, out)
	r := m.Fleet
	if !r.ExactlyOnce || r.Sent == 0 || r.Answered != r.Sent || r.StatusOther != 0 || r.ProbeFailed != 0 {
		t.Errorf("two instances: exactly once %t (%s), sent %d, answered %d, errors %d, failed probes %d",
			r.ExactlyOnce, r.Mismatch, r.Sent, r.Answered, r.StatusOther, r.ProbeFailed)
	}
	wantOutput(t, out, " instances=2 ", "2 instances (each its own pool", "  db pool 2 ")
}

// TestFleetOutage takes the centre away in the middle of a fleet run:
// kiosks back off, their probes find it back and wake them, every one
// drains, and nothing is lost or doubled; the return is measured.
func TestFleetOutage(t *testing.T) {
	t.Parallel()
	m, out := newMain(t, "fleet")
	m.Config.Scale = 0.01
	m.Config.Kick = true
	m.Config.Duration = 10 * time.Minute // 6 s
	m.Config.OutageAt = time.Minute
	m.Config.Outage = 3 * time.Minute
	if err := m.Config.Validate(); err != nil {
		t.Fatal(err)
	}
	run(t, m, out)
	r := m.Fleet
	rt := r.Return
	if rt == nil || rt.Refused == 0 || rt.Drained != r.Kiosks || rt.Requests == 0 || rt.Peak == 0 {
		t.Fatalf("return %+v; want requests refused during the outage, then every kiosk drained", rt)
	}
	if !r.ExactlyOnce || r.Answered != r.Sent || r.StatusOther != 0 || r.ProbeFailed != 0 {
		t.Errorf("after the outage: exactly once %t (%s), sent %d, answered %d, errors %d, failed probes %d",
			r.ExactlyOnce, r.Mismatch, r.Sent, r.Answered, r.StatusOther, r.ProbeFailed)
	}
	wantOutput(t, out, "  outage ", "  return ", "return target: ")
}

// TestMain lets the test binary be the child of --centre-process, as
// the program is its own.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "centre" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestFleetCentreProcess runs the centre in a child process: the fleet
// drives it over its standard input and reads its arrivals back.
func TestFleetCentreProcess(t *testing.T) {
	t.Parallel()
	m, out := newMain(t, "fleet")
	m.Config.Scale = 0.01
	m.Config.Kick = true
	m.Config.CentreProcess = true
	m.Config.Duration = 10 * time.Minute // 6 s
	m.Config.OutageAt = time.Minute
	m.Config.Outage = 3 * time.Minute
	run(t, m, out)
	r := m.Fleet
	if !r.ExactlyOnce || r.Sent == 0 || r.Requests == 0 || r.Probes == 0 || r.Return == nil || r.Return.Drained != r.Kiosks {
		t.Errorf("centre in a child: exactly once %t (%s), sent %d, requests %d, probes %d, return %+v",
			r.ExactlyOnce, r.Mismatch, r.Sent, r.Requests, r.Probes, r.Return)
	}
	wantOutput(t, out, " centre_process=true ", "in a child process", "  db pool ")
}

// TestFleetBusyCentre lets a centre serve one request at a time, so that
// kiosks get 429 and must come back after Retry-After without losing or
// doubling a mutation.
func TestFleetBusyCentre(t *testing.T) {
	t.Parallel()
	m, out := newMain(t, "fleet")
	m.Config.Kiosks = 12
	m.Config.Scale = 0.01
	m.Config.MaxInFlight = 1
	run(t, m, out)
	r := m.Fleet
	if r.Status429 == 0 {
		t.Skip("no 429 this time: the kiosks never overlapped")
	}
	if !r.ExactlyOnce || r.Answered != r.Sent || r.StatusOther != 0 || r.Retries < r.Status429 || r.Busy.N != r.Status429 {
		t.Errorf("after %d answers 429: %d retries, %d errors, exactly once %t (%s), sent %d, answered %d",
			r.Status429, r.Retries, r.StatusOther, r.ExactlyOnce, r.Mismatch, r.Sent, r.Answered)
	}
}

func TestReconnect(t *testing.T) {
	t.Parallel()
	m, out := newMain(t, "reconnect")
	m.Config.Scale = 0.04         // syncs every 1–1.4 s, first retry within 400 ms
	m.Config.Outage = time.Minute // 2.4 s
	m.Config.CheckIns = 2         // per kiosk during the outage
	m.Config.DrainTimeout = 15 * time.Second
	m.Config.Dir = t.TempDir()
	if err := m.Config.Validate(); err != nil {
		t.Fatal(err)
	}
	run(t, m, out)
	r := m.Reconnect
	if !r.Drained || !r.ExactlyOnce {
		t.Errorf("drained %t, exactly once %t (%s)", r.Drained, r.ExactlyOnce, r.Mismatch)
	}
	// One check-in before the first sync, two during the outage.
	if r.CheckIns != 10 || r.Pending != 10 || r.AtCentre != 15 {
		t.Errorf("check-ins during the outage %d, pending at the restore %d, at the centre %d; want 10, 10, 15", r.CheckIns, r.Pending, r.AtCentre)
	}
	if r.Offline != r.Kiosks || r.Refused == 0 {
		t.Errorf("%d of %d kiosks offline at the restore after %d refused requests; want all, and some", r.Offline, r.Kiosks, r.Refused)
	}
	if r.Status[200] != r.Requests {
		t.Errorf("the centre answered %v; want 200 to all %d", r.Status, r.Requests)
	}
	if r.Pushes < r.Kiosks || r.Requests != r.Pushes+r.Pulls || r.Peak == 0 || len(r.Buckets) == 0 {
		t.Errorf("arrivals after the restore: %d pushes, %d pulls, %d in all, peak %d over %d buckets", r.Pushes, r.Pulls, r.Requests, r.Peak, len(r.Buckets))
	}
	wantOutput(t, out, "reconnect kiosks=5 sites=2 ", " drained=true ", " exactly_once=ok ", "  per 40ms from the restore:")
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		err  string // "" means none
	}{
		{[]string{"fleet", "--sqlite", "c.db"}, ""},
		{[]string{"reconnect", "--postgres", "postgres://x@/y", "--kiosks", "50", "--scale", "0.1"}, ""},
		{[]string{}, "help"},
		{[]string{"--kiosks", "5"}, "help"},
		{[]string{"stampede", "--sqlite", "c.db"}, "scenario"},
		{[]string{"fleet", "--sqlite", "c.db", "--scale", "2"}, "--scale"},
		{[]string{"fleet", "--sqlite", "c.db", "--jitter", "40s"}, "--jitter"},
		{[]string{"fleet", "--sqlite", "c.db", "--transport", "pooled"}, "--transport"},
		{[]string{"fleet", "--sqlite", "c.db", "extra"}, "unexpected"},
	} {
		m := NewMain()
		m.Stderr = &bytes.Buffer{}
		m.Config.Store = ""
		err := m.ParseFlags(tc.args)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case tc.err == "help" && !errors.Is(err, flag.ErrHelp):
			t.Errorf("%q: %v, want flag.ErrHelp", tc.args, err)
		case tc.err != "" && tc.err != "help" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: %v, want an error about %s", tc.args, err, tc.err)
		}
	}
	m := NewMain()
	m.Stderr = &bytes.Buffer{}
	m.Config.Store = ""
	if err := m.ParseFlags([]string{"fleet"}); err == nil || !strings.Contains(err.Error(), "no store") {
		t.Errorf("no store given: %v", err)
	}
}

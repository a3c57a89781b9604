package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// TestSoakReturnsToBaseline is the soak's short version: the kiosk UI
// (Fyne's test driver), the embedded centre, the syncer, the outage
// monitor and the jobs run a lobby at twenty check-ins a second with
// staff calling, serving and checking out, and the centre stopped twice.
// Everything stopped, the goroutines and the open files are back where
// they were before it started: nothing the lobby did leaked one.
func TestSoakReturnsToBaseline(t *testing.T) {
	baseGo, baseFiles := runtime.NumGoroutine(), openFiles()
	c := Config{For: 30 * time.Second, Every: 50 * time.Millisecond, Sample: time.Second,
		OutageEvery: 12 * time.Second, OutageFor: 5 * time.Second, Out: t.TempDir(), Headless: true}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := Soak(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	g := res.After(c.Warmup)
	if g.To.Visits < 300 || len(res.Outages) != 2 || len(res.Samples) < 25 {
		t.Fatalf("%d visits, %d outages, %d samples: the lobby did not run", g.To.Visits, len(res.Outages), len(res.Samples))
	}
	if g.MaxGo <= baseGo || g.MaxFiles <= baseFiles {
		t.Fatalf("goroutines %d, files %d at most while it ran, %d and %d before: the sampler saw nothing", g.MaxGo, g.MaxFiles, baseGo, baseFiles)
	}

	// Goroutines end some time after they are told to (an HTTP
	// connection's reader sees its close): wait for them, bounded.
	deadline := time.Now().Add(10 * time.Second)
	for (runtime.NumGoroutine() > baseGo || openFiles() > baseFiles) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n, f := runtime.NumGoroutine(), openFiles(); n > baseGo || f > baseFiles {
		var stacks bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&stacks, 1)
		fds, _ := os.ReadDir("/proc/self/fd")
		var open []string
		for _, e := range fds {
			if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil {
				open = append(open, target)
			}
		}
		t.Fatalf("after the soak: %d goroutines (%d before), %d open files (%d before): %s\n%s", n, baseGo, f, baseFiles, strings.Join(open, " "), stacks.String())
	}

	// The files it writes: a CSV row per sample, an SVG that parses.
	dir := t.TempDir()
	if err := res.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "soak.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) != len(res.Samples)+1 || rows[0][2] != "rss_bytes" {
		t.Fatalf("soak.csv: %d rows, %v", len(rows), err)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "soak.svg"))
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("soak.svg: %v", err)
			}
			break
		}
	}
}

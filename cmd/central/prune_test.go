package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPruneCommand(t *testing.T) {
	store := filepath.Join(t.TempDir(), "central.db")
	c := newCentre(t, store)
	if out := c.mustRun("prune"); !strings.Contains(out, "payloads of 0 mutation(s)") {
		t.Fatalf("prune printed %q", out)
	}
	c.mustFail("must be positive", "prune", "--older-than", "-1h")
}

func TestPurgeAndEraseCommands(t *testing.T) {
	store := filepath.Join(t.TempDir(), "central.db")
	c := newCentre(t, store)
	c.mustRun("site", "add", "north", "North Hospital")
	if out := c.mustRun("purge"); !strings.Contains(out, "north: before ") || !strings.Contains(out, "0 visits, 0 alerts, 0 check-ins, 0 mutation payloads") {
		t.Fatalf("purge printed %q", out)
	}
	if out := c.mustRun("purge", "--site", "north"); !strings.Contains(out, "north: before ") {
		t.Fatalf("purge --site printed %q", out)
	}
	c.mustFail("does not exist", "purge", "--site", "south")
	if out := c.mustRun("erase", "--site", "north", "--name", "Ana García"); !strings.Contains(out, "Erased at north: 0 visits") ||
		!strings.Contains(out, "Nobody under that name") {
		t.Fatalf("erase printed %q", out)
	}
	c.mustFail("--name NAME is required", "erase", "--site", "north")
	c.mustFail("--site SITE is required", "erase", "--name", "Ana")
}

// TestPurgeRunsAtStart: serve's purge runs once as it starts, not only
// at purge_at, so an instance restarted across purge_at (a deploy, a
// reboot) does not skip the day's purge.
func TestPurgeRunsAtStart(t *testing.T) {
	store := filepath.Join(t.TempDir(), "central.db")
	newCentre(t, store).mustRun("site", "add", "north", "North Hospital")
	m, _ := newMain(t)
	var logged syncBuffer
	m.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	if err := m.ParseFlags([]string{"--store", store, "serve"}); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	st, err := m.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m.Config.PurgeAt = time.Now().Add(12 * time.Hour).Format("15:04") // far from now
	stop, err := startPurge(ctx, m, st)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logged.String(), "msg=purge site=north") {
		if time.Now().After(deadline) {
			t.Fatalf("no purge at start; the log:\n%s", logged.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer the purge's goroutine writes to while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

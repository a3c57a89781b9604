package main

import (
	"path/filepath"
	"strings"
	"testing"
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

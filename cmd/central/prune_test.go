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

package jobs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"lobbyline/queue"
	"lobbyline/queue/jobs"
)

// The automatic report of an incident is written in the staff language
// stored when it is written, not the one of the kiosk's start; Config.Lang
// overrides it (the CLI's --lang).
func TestReportsAreInTheStaffLanguage(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	store, err := queue.Open(ctx, filepath.Join(t.TempDir(), "k.db"), queue.Options{
		KioskID:   "lobby-1",
		Services:  []queue.Service{{ID: "registration", Prefix: "R", Name: "Registration"}},
		Languages: []string{"en", "de", "fr"},
		Now:       clock.Now, Location: time.UTC,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	in, err := store.StartDrill(ctx, 15*time.Minute, false, "IT")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Minute)
	if err := store.EndIncident(ctx, in.ID, clock.Now(), "stopped by IT"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.MarkDrained(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	j, err := jobs.Start(ctx, store, nil, jobs.Config{Clock: clock, Location: time.UTC, ReportDir: dir, CloseDayOff: true, Retention: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Stop()
	// Staff chose German after the jobs started.
	if err := store.SetStaffLanguage(ctx, "de"); err != nil {
		t.Fatal(err)
	}
	if err := j.Reports(ctx); err != nil {
		t.Fatal(err)
	}
	md := readReport(t, filepath.Join(dir, "incident-1.md"))
	if !strings.HasPrefix(md, "# Übungsbericht: ") || !strings.Contains(md, "beendet durch IT") || strings.Contains(md, "Report made") {
		t.Errorf("the automatic report is not German:\n%s", md)
	}

	paths, err := jobs.WriteReport(ctx, store, jobs.Config{ReportDir: dir, Location: time.UTC, Lang: "fr"}, in.ID)
	if err != nil || len(paths) != 3 {
		t.Fatalf("WriteReport in fr: %v, %v", paths, err)
	}
	if md := readReport(t, paths[0]); !strings.HasPrefix(md, "# Rapport d'exercice\u00a0: ") {
		t.Errorf("--lang fr did not override the staff language:\n%s", md)
	}
}

func readReport(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package queue_test

import (
	"path/filepath"
	"testing"
	"time"

	"lobbyline/queue"
)

// TestAutoRecoveryRefuses: at most once per damaged file, and not again
// within a day either way round the clock.
func TestAutoRecoveryRefuses(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	last := queue.AutoRecovery{At: at, File: "1:2"}
	for _, tc := range []struct {
		name  string
		file  string
		now   time.Time
		allow bool
	}{
		{"the same file, later", "1:2", at.Add(72 * time.Hour), false},
		{"another file, an hour on", "1:3", at.Add(time.Hour), false},
		{"another file, the clock set back", "1:3", at.Add(-time.Hour), false},
		{"another file, two days on", "1:3", at.Add(48 * time.Hour), true},
	} {
		if got := last.Refuses(tc.file, tc.now) == ""; got != tc.allow {
			t.Errorf("%s: allowed %v, want %v", tc.name, got, tc.allow)
		}
	}
	if (queue.AutoRecovery{}).Refuses("1:2", at) != "" {
		t.Error("no earlier recovery refuses one")
	}
	db := filepath.Join(t.TempDir(), "kiosk.db")
	if _, ok, err := queue.LoadAutoRecovery(db); ok || err != nil {
		t.Fatalf("no record: %v, %v", ok, err)
	}
	if err := queue.SaveAutoRecovery(db, last); err != nil {
		t.Fatal(err)
	}
	got, ok, err := queue.LoadAutoRecovery(db)
	if err != nil || !ok || !got.At.Equal(at) || got.File != "1:2" || !got.Pending() {
		t.Fatalf("the record read back: %+v, %v, %v", got, ok, err)
	}
}

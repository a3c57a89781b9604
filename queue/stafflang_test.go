package queue_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"lobbyline/queue"
)

func openWithLanguages(t *testing.T, path string, langs ...string) *queue.Store {
	t.Helper()
	opts := testOptions(&clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)})
	opts.Languages = langs
	s, err := queue.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func staffLanguage(t *testing.T, s *queue.Store) string {
	t.Helper()
	code, err := s.StaffLanguage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// The staff language defaults to the kiosk's first language, is kept
// across a restart, refuses a language the kiosk does not offer, and falls
// back to the default when the config drops the one chosen.
func TestStaffLanguageIsKeptPerKiosk(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s := openWithLanguages(t, path, "es", "de", "en")
	if got := staffLanguage(t, s); got != "es" {
		t.Errorf("before any choice: %q, want the first language es", got)
	}
	if err := s.SetStaffLanguage(ctx, "de"); err != nil {
		t.Fatal(err)
	}
	if got := staffLanguage(t, s); got != "de" {
		t.Errorf("after choosing de: %q", got)
	}
	for _, bad := range []string{"fr", "", "DE", "de; DROP TABLE meta"} {
		err := s.SetStaffLanguage(ctx, bad)
		if queue.ErrorCode(err) != queue.EInvalid {
			t.Errorf("SetStaffLanguage(%q) = %v, want an invalid error", bad, err)
		}
	}
	if got := staffLanguage(t, s); got != "de" {
		t.Errorf("after refused choices: %q, want de still", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openWithLanguages(t, path, "es", "de", "en")
	if got := staffLanguage(t, s); got != "de" {
		t.Errorf("after reopening: %q, want de", got)
	}
	s.Close()

	// The config no longer offers German: reports go back to the default,
	// and German comes back if the config does.
	s = openWithLanguages(t, path, "it", "en")
	if got := staffLanguage(t, s); got != "it" {
		t.Errorf("German dropped from the config: %q, want it", got)
	}
	s.Close()
	s = openWithLanguages(t, path, "en", "de")
	defer s.Close()
	if got := staffLanguage(t, s); got != "de" {
		t.Errorf("German offered again: %q, want de", got)
	}
}

func TestStaffLanguageWithoutLanguagesIsEnglish(t *testing.T) {
	s := mustOpenStore(t, "", &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)})
	if got := staffLanguage(t, s); got != "en" {
		t.Errorf("no languages configured: %q, want en", got)
	}
	if err := s.SetStaffLanguage(context.Background(), "de"); queue.ErrorCode(err) != queue.EInvalid {
		t.Errorf("SetStaffLanguage(de) with English alone = %v", err)
	}
}

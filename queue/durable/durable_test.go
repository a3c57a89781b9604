package durable_test

import (
	"os"
	"path/filepath"
	"testing"

	"lobbyline/queue/durable"
)

// WriteFile replaces a file whole, with the mode asked, and leaves no
// temporary file behind; a write that cannot happen leaves the old file.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := durable.WriteFile(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	info, _ := os.Stat(path)
	if err != nil || string(b) != "new" || info.Mode().Perm() != 0o600 {
		t.Fatalf("after WriteFile: %q, %v, mode %v", b, err, info.Mode())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left beside it: %v", entries)
	}
	// A directory where the file should go: the rename fails, the
	// temporary file goes, nothing else changes.
	blocked := filepath.Join(dir, "blocked")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := durable.WriteFile(blocked, []byte("new"), 0o600); err == nil {
		t.Fatal("WriteFile over a non-empty directory")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("after a failed write: %v", entries)
	}
}

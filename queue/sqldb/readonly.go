package sqldb

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// ErrNoSafeRead says a SQLite database in WAL mode cannot be read in place
// without writing: its newest changes are in its -wal file (or a program
// has it open), and SQLite cannot make the -shm index it needs to read
// them on this disk. Reading the main file alone (immutable) would
// silently show stale rows, so nothing is read.
var ErrNoSafeRead = errors.New("sqldb: the database cannot be read safely in place")

// SQLiteReadDSN is the connection string that reads the SQLite file at
// path and never writes it (mode=ro, query_only). With immutable, SQLite
// also skips its locks and the -shm and -wal files: only for a file no
// program has open and whose -wal is empty (see Quiet), since otherwise it
// silently reads stale rows.
func SQLiteReadDSN(path string, immutable bool, pragmas ...string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	q.Add("_pragma", "query_only(1)")
	q.Set("mode", "ro")
	if immutable {
		q.Set("immutable", "1")
	}
	return "file:" + uriPath.Replace(filepath.Clean(path)) + "?" + q.Encode()
}

// Quiet reports whether the SQLite database at path can be read from its
// main file alone: its -wal is absent or empty, and no program holds it
// open (no lock on its -shm). If not, why says so in a few words.
func Quiet(path string) (quiet bool, why string, err error) {
	wal := path + "-wal"
	st, err := os.Stat(wal)
	switch {
	case err == nil && st.Size() > 0:
		return false, fmt.Sprintf("its newest changes are in %s", wal), nil
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return false, "", err
	}
	held, err := shmHeld(path + "-shm")
	if err != nil {
		return false, "", err
	}
	if held {
		return false, "a program has it open", nil
	}
	return true, "", nil
}

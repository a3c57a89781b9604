package queue

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"lobbyline/queue/durable"
	"lobbyline/queue/sqldb"
)

// Errors of Backup and Restore, for the CLI to word.
var (
	ErrBackupExists = errors.New("queue: the backup file exists")
	ErrInUse        = errors.New("queue: the kiosk database is open in another process")
	ErrNotKioskDB   = errors.New("queue: not a Lobbyline kiosk database")
	ErrOtherKiosk   = errors.New("queue: the backup is of another kiosk")
)

// BeforeRestore is the suffix of the copy Restore keeps of the database
// it replaced.
const BeforeRestore = ".before-restore"

// Backup writes a consistent copy of the database to path while the
// kiosk runs (SQLite's VACUUM INTO reads one snapshot), atomically: into
// a temporary file beside path, synced to disk, then renamed (or linked,
// which never replaces a file, when force is not set). It refuses to
// replace an existing file unless force is set.
func (s *Store) Backup(ctx context.Context, path string, force bool) error {
	if !force {
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("%w: %s (choose another name, or --force to replace it)", ErrBackupExists, path)
		}
	}
	tmp := tempBeside(path)
	defer os.Remove(tmp)
	if _, err := s.db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	err := syncFile(tmp)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if force {
		err = os.Rename(tmp, path)
	} else if err = os.Link(tmp, path); errors.Is(err, fs.ErrExist) {
		// Made meanwhile: a link, unlike a rename, never replaces a file.
		err = fmt.Errorf("%w: %s (choose another name, or --force to replace it)", ErrBackupExists, path)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return durable.SyncDir(filepath.Dir(path))
}

// RestoreOptions say whose database a restore may put back.
type RestoreOptions struct {
	KioskID string // the backup must be of this kiosk
	// Force replaces an earlier BeforeRestore copy.
	Force bool
}

// Restore puts the backup at src in place of the kiosk database at dst.
// It refuses while another process has dst open, a file that is not a
// kiosk database of opts.KioskID, and one whose schema is newer than this
// program. The database it replaces is kept beside it as dst +
// BeforeRestore. The restored database is marked (MarkRestored) so the
// store that opens it next starts a new epoch: the original went on after
// the backup, and the centre may hold its changes under the names the
// backup would use next.
func Restore(ctx context.Context, src, dst string, opts RestoreOptions) error {
	if err := checkBackup(ctx, src, opts.KioskID); err != nil {
		return err
	}
	before := dst + BeforeRestore
	if _, err := os.Stat(before); err == nil && !opts.Force {
		return fmt.Errorf("restore: %s is there from an earlier restore; move it away, or --force to replace it", before)
	}
	_, err := os.Stat(dst)
	exists := err == nil
	if exists {
		if err := quiesce(ctx, dst); err != nil {
			return err
		}
	}
	// A new machine has no data directory yet.
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	tmp := tempBeside(dst)
	defer os.Remove(tmp)
	if err := copyFile(src, tmp); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := markRestored(ctx, tmp); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if exists {
		// A link, not a move: dst is never missing, and the rename below
		// replaces it in one step.
		if err := os.Remove(before); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore: %w", err)
		}
		if err := os.Link(dst, before); err != nil {
			return fmt.Errorf("restore: keep the replaced database: %w", err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return durable.SyncDir(filepath.Dir(dst))
}

// checkBackup opens src read-only and checks it is a sound kiosk database
// of kioskID whose migrations this program has.
func checkBackup(ctx context.Context, src, kioskID string) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	db, err := sql.Open("sqlite", sqldb.SQLiteDSN(src)+"&mode=ro")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&ok); err != nil || ok != "ok" {
		return fmt.Errorf("%w: %s (%s%v)", ErrNotKioskDB, src, ok, err)
	}
	var id string
	if err := db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'kiosk_id'").Scan(&id); err != nil {
		return fmt.Errorf("%w: %s has no kiosk id (%v)", ErrNotKioskDB, src, err)
	}
	if id != kioskID {
		return fmt.Errorf("%w: %s is kiosk %q's, this is kiosk %q", ErrOtherKiosk, src, id, kioskID)
	}
	known, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, "SELECT name FROM migrations")
	if err != nil {
		return fmt.Errorf("%w: %s has no migrations table (%v)", ErrNotKioskDB, src, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return err
		}
		if !slices.Contains(known, name) {
			return fmt.Errorf("%w: the backup has migration %s, which this version does not know; restore it with the version that made it",
				sqldb.ErrSchemaNewer, name)
		}
	}
	return rows.Err()
}

// quiesce makes sure no other process has the database at path open, and
// folds its write-ahead log into the file, so the file alone is the
// database. SQLite leaves write-ahead-log mode only with no other
// connection open, which is the test: a running kiosk, or a command in
// progress, keeps it there.
func quiesce(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", sqldb.SQLiteDSN(path, "busy_timeout(0)"))
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer db.Close()
	var mode string
	err = db.QueryRowContext(ctx, "PRAGMA journal_mode=DELETE").Scan(&mode)
	if err != nil || !strings.EqualFold(mode, "delete") {
		return fmt.Errorf("%w: %s; stop the kiosk (and any kiosk command) first", ErrInUse, path)
	}
	return nil
}

// markRestored opens the copy at path and marks it (MarkRestored).
func markRestored(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", sqldb.SQLiteDSN(path))
	if err != nil {
		return err
	}
	defer db.Close()
	return MarkRestored(ctx, db)
}

// tempBeside is a fresh name in path's directory, so a rename to path
// stays on one file system and is atomic.
func tempBeside(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-"+strings.ToLower(rand.Text()[:8]))
}

func copyFile(src, dst string) error {
	in, err := os.Open(src) // #nosec G304 -- the backup file is the one the operator named on the command line
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- the backup file is the one the operator named on the command line
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		return errors.Join(err, out.Close())
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0) // #nosec G304 -- the backup file is the one the operator named on the command line
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}

package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"lobbyline/queue/sqldb"
)

// This file is the kiosk's snapshots: the one snapshot mechanism of
// backups (Backup) taken on a schedule, for recovery (recover.go). An SD
// card wears with every write, so a snapshot is taken only when the
// database changed since the newest one; each is checked before it
// counts, and the last few are kept, in each of the directories given
// (a second disk too).

// SnapshotOptions say where snapshots go and how many are kept.
type SnapshotOptions struct {
	Dirs []string // the first is written, the others get copies
	Keep int      // per directory; at least 1
}

// snapshotExt ends a snapshot's name: <kiosk>-<UTC time>.db.
const snapshotExt = ".db"

// Snapshot writes a checked snapshot if the database changed since the
// newest snapshot in opts.Dirs[0], copies it to the other directories,
// and deletes all but the newest opts.Keep in each. It returns the
// snapshot's path, "" when nothing changed.
func (s *Store) Snapshot(ctx context.Context, opts SnapshotOptions) (string, error) {
	if err := s.Damage(); err != nil {
		return "", err // a damaged file is no snapshot
	}
	if len(opts.Dirs) == 0 {
		return "", errors.New("snapshot: no directory")
	}
	keep := max(opts.Keep, 1)
	for _, d := range opts.Dirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return "", fmt.Errorf("snapshot: %w", err)
		}
	}
	mark, err := changeMark(ctx, s.db)
	if err != nil {
		return "", s.checkDamage(ctx, fmt.Errorf("snapshot: %w", err))
	}
	if last := snapshots(opts.Dirs[0], s.kioskID); len(last) > 0 {
		if prev, err := fileChangeMark(ctx, last[0]); err == nil && prev == mark {
			return "", nil
		}
	}
	name := s.kioskID + "-" + s.now().UTC().Format("20060102T150405.000Z") + snapshotExt
	path := filepath.Join(opts.Dirs[0], name)
	if err := s.Backup(ctx, path, false); err != nil {
		return "", s.checkDamage(ctx, fmt.Errorf("snapshot: %w", err))
	}
	if err := checkBackup(ctx, path, s.kioskID); err != nil {
		_ = os.Remove(path) // a snapshot that fails its check is none
		return "", fmt.Errorf("snapshot: the copy fails its check: %w", err)
	}
	var errs []error
	for _, d := range opts.Dirs[1:] {
		dst := filepath.Join(d, name)
		tmp := tempBeside(dst)
		err := copyFile(path, tmp)
		if err == nil {
			err = syncFile(tmp)
		}
		if err == nil {
			err = os.Rename(tmp, dst)
		}
		if err != nil {
			_ = os.Remove(tmp)
			errs = append(errs, fmt.Errorf("snapshot: copy to %s: %w", d, err))
		}
	}
	for _, d := range opts.Dirs {
		for _, old := range snapshots(d, s.kioskID)[min(keep, len(snapshots(d, s.kioskID))):] {
			if err := os.Remove(old); err != nil {
				errs = append(errs, fmt.Errorf("snapshot: delete %s: %w", old, err))
			}
		}
	}
	return path, errors.Join(errs...)
}

// snapshots are kiosk's snapshots in dir, newest first (their names sort
// by time).
func snapshots(dir, kiosk string) []string {
	found, _ := filepath.Glob(filepath.Join(dir, kiosk+"-*"+snapshotExt))
	slices.Sort(found)
	slices.Reverse(found)
	return found
}

// newestSnapshot is the newest of kiosk's snapshots in dirs that passes
// the check a restore makes; skipped says which did not and why.
func newestSnapshot(ctx context.Context, dirs []string, kiosk string) (path string, skipped []string) {
	var all []string
	for _, d := range dirs {
		all = append(all, snapshots(d, kiosk)...)
	}
	slices.SortStableFunc(all, func(a, b string) int { return strings.Compare(filepath.Base(b), filepath.Base(a)) })
	for _, p := range all {
		if err := checkBackup(ctx, p, kiosk); err != nil {
			skipped = append(skipped, fmt.Sprintf("snapshot %s is not used: %v", p, err))
			continue
		}
		return p, skipped
	}
	return "", skipped
}

// changeMark sums up what the database holds so that a change shows: the
// highest id and the row count of the tables every change writes to (the
// event log, the outbox, the audit, the visits). Updates that add no row
// to any of them (a setting) wait for the next snapshot that does.
func changeMark(ctx context.Context, db *sql.DB) (string, error) {
	var mark string
	err := db.QueryRowContext(ctx, `SELECT
		(SELECT coalesce(max(id), 0) || '/' || count(*) FROM events) || ' ' ||
		(SELECT coalesce(max(seq), 0) || '/' || count(*) FROM outbox) || ' ' ||
		(SELECT coalesce(max(id), 0) || '/' || count(*) FROM audit) || ' ' ||
		(SELECT coalesce(max(id), 0) || '/' || count(*) || '/' || coalesce(max(purged_at), '') FROM visits) || ' ' ||
		(SELECT count(*) FROM meta) || ' ' || (SELECT coalesce(max(value), '') FROM meta WHERE key = 'epoch')`).Scan(&mark)
	return mark, err
}

func fileChangeMark(ctx context.Context, path string) (string, error) {
	db, err := sql.Open("sqlite", sqldb.SQLiteDSN(path)+"&mode=ro")
	if err != nil {
		return "", err
	}
	defer db.Close()
	return changeMark(ctx, db)
}

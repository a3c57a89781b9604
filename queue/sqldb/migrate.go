package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"
)

// ErrSchemaNewer says a database was upgraded by a newer binary than this
// one; opening it could lose what the newer schema keeps.
var ErrSchemaNewer = errors.New("sqldb: the database is newer than this program")

// Migrations are numbered .sql files applied in name order, each in its
// own transaction, and recorded by name in a table so each runs once.
//
// The statements here use $1-style parameters, which PostgreSQL and the
// modernc SQLite driver both take as they are.
type Migrations struct {
	FS   fs.FS  // holds the files
	Glob string // which files, e.g. "migrations/*.sql"; the path matched is the name recorded
	// Table records what was applied: name TEXT PRIMARY KEY, applied_at TEXT.
	Table string
	// TableOptions follow the table's definition, e.g. " STRICT".
	TableOptions string
	// Lock, if set, runs first in every migration's transaction, so
	// several processes starting on one database take turns (PostgreSQL:
	// "SELECT pg_advisory_xact_lock(N)"). SQLite's immediate transactions
	// already take turns.
	Lock string
	Now  func() time.Time // stamps applied_at; time.Now if nil
}

// Apply brings db up to date. It refuses, with ErrSchemaNewer and before
// changing anything, a database that records a migration this program
// does not have. (That check runs once, before the migrations: a newer
// program upgrading the same database at the very same moment can slip
// past it, and this one then stops at the next start.)
func (m Migrations) Apply(ctx context.Context, db *sql.DB) error {
	now := m.Now
	if now == nil {
		now = time.Now
	}
	names, err := fs.Glob(m.FS, m.Glob)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	slices.Sort(names)
	// Read first: a database already up to date is opened without a
	// write, so a full or read-only disk can still be read.
	if done, err := m.upToDate(ctx, db, names); err != nil || done {
		return err
	}
	var applied map[string]bool
	err = InTx(ctx, db, func(tx *sql.Tx) error {
		if err := m.lock(ctx, tx); err != nil {
			return err
		}
		create := "CREATE TABLE IF NOT EXISTS " + m.Table + " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)" + m.TableOptions // #nosec G202 -- the table name is a constant of the calling package, never input
		if _, err := tx.ExecContext(ctx, create); err != nil {
			return fmt.Errorf("create %s: %w", m.Table, err)
		}
		applied, err = m.applied(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	for name := range applied {
		if !slices.Contains(names, name) {
			newest := "none"
			if len(names) > 0 {
				newest = names[len(names)-1]
			}
			return fmt.Errorf("%w: it has migration %s, which this version does not know (it knows up to %s); run the newer Lobbyline that upgraded it, or restore a backup made before the upgrade",
				ErrSchemaNewer, name, newest)
		}
	}
	for _, name := range names {
		if applied[name] {
			continue
		}
		body, err := fs.ReadFile(m.FS, name)
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		err = InTx(ctx, db, func(tx *sql.Tx) error {
			if err := m.lock(ctx, tx); err != nil {
				return err
			}
			// Another process may have applied it while this one waited.
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+m.Table+" WHERE name = $1", name).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO "+m.Table+" (name, applied_at) VALUES ($1, $2)", name, FormatTime(now())) // #nosec G202 -- the table name is a constant of the calling package, never input
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// upToDate reports whether every migration in names is recorded, reading
// outside any write transaction. A missing table (a new database) or a
// record this program does not know is not up to date: Apply's write path
// creates the one and refuses the other.
func (m Migrations) upToDate(ctx context.Context, db *sql.DB, names []string) (bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM "+m.Table) // #nosec G202 -- the table name is a constant of the calling package, never input
	if err != nil {
		if FaultOf(err) != FaultNone {
			return false, fmt.Errorf("read %s: %w", m.Table, err)
		}
		return false, nil // no table yet: the write path creates it
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return false, fmt.Errorf("read %s: %w", m.Table, err)
		}
		if !slices.Contains(names, name) {
			return false, nil
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("read %s: %w", m.Table, err)
	}
	return n == len(names), nil
}

// Pending returns the migrations db lacks, reading only: a program that
// may not write (a read-only opening) can refuse a database it would have
// to upgrade first.
func (m Migrations) Pending(ctx context.Context, db *sql.DB) ([]string, error) {
	names, err := fs.Glob(m.FS, m.Glob)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	slices.Sort(names)
	rows, err := db.QueryContext(ctx, "SELECT name FROM "+m.Table) // #nosec G202 -- the table name is a constant of the calling package, never input
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", m.Table, err)
	}
	defer rows.Close()
	applied := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("read %s: %w", m.Table, err)
		}
		if !slices.Contains(names, name) {
			return nil, fmt.Errorf("%w: it has migration %s, which this version does not know", ErrSchemaNewer, name)
		}
		applied[name] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", m.Table, err)
	}
	var out []string
	for _, n := range names {
		if !applied[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

func (m Migrations) lock(ctx context.Context, tx *sql.Tx) error {
	if m.Lock == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.Lock); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	return nil
}

func (m Migrations) applied(ctx context.Context, tx *sql.Tx) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, "SELECT name FROM "+m.Table) // #nosec G202 -- the table name is a constant of the calling package, never input
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", m.Table, err)
	}
	defer rows.Close()
	out := make(map[string]bool)
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("read %s: %w", m.Table, err)
		}
		out[name] = true
	}
	return out, rows.Err()
}

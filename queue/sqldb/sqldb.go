// Package sqldb is the SQL plumbing the kiosk's store and the centre's
// stores share: the timestamp format, transactions that roll back on error
// and on panic, SQLite connection strings, and numbered migrations that
// refuse a database newer than the binary.
//
// It knows database/sql and nothing of Lobbyline's domain, and it
// registers no driver: each store imports the one it uses, so the kiosk
// never links PostgreSQL's.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// TimeLayout is how times are stored: UTC text with milliseconds, which
// sorts as the times do and reads well in a SQL shell.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime renders t in TimeLayout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads what FormatTime wrote.
func ParseTime(s string) (time.Time, error) { return time.Parse(TimeLayout, s) }

// InTx runs fn in a transaction with the default options.
func InTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	return InTxOpts(ctx, db, nil, fn)
}

// InTxOpts runs fn in a transaction, committing if it returns nil and
// rolling back if it returns an error or panics.
func InTxOpts(ctx context.Context, db *sql.DB, opts *sql.TxOptions, fn func(*sql.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// SQLiteDSN is the connection string for the SQLite file at path with
// pragmas (such as "journal_mode(WAL)") run on every pooled connection and
// transactions that take the write lock at BEGIN, so a read that later
// writes cannot fail with SQLITE_BUSY_SNAPSHOT.
//
// The path goes into a SQLite URI, so the characters a URI gives meaning
// to are escaped: a file named "a#b?.db" is that file, not "a".
func SQLiteDSN(path string, pragmas ...string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	// Clean turns a leading "//", which a URI would read as a host, into "/".
	return "file:" + uriPath.Replace(filepath.Clean(path)) + "?" + q.Encode()
}

// uriPath escapes what SQLite's URI parser would not take as part of a
// file name; it decodes every %HH escape back.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")

// ErrMisplaced says a database sits where versions before 2026-12 put it:
// they passed the path to SQLite unescaped, so a path with "#" or "?"
// ended there ("/data/lobby #1.db" opened "/data/lobby ").
var ErrMisplaced = errors.New("sqldb: the database is at the path earlier versions used")

// CheckPlace refuses to let a path with "#", "?" or "%" open a new, empty
// database while the data of earlier versions sits at the name they
// really used: it returns ErrMisplaced naming both paths instead.
func CheckPlace(path string) error {
	old := earlierName(path)
	if old == path {
		return nil
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if st, err := os.Stat(old); err != nil || st.IsDir() {
		return nil
	}
	return fmt.Errorf("%w: %q is not there, but %q is: versions before 2026-12 cut the path at its first '#' or '?'. Move that file (and any -wal and -shm beside it) to %q, or name its path",
		ErrMisplaced, path, old, path)
}

// earlierName is the file SQLite opened for "file:"+path: the path up to
// its first "?" or "#", with %HH escapes decoded.
func earlierName(path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		if path[i] == '%' && i+2 < len(path) {
			if v, err := strconv.ParseUint(path[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(path[i])
	}
	return b.String()
}

// Column reads the one column query selects, a value per row.
func Column[T any](ctx context.Context, db *sql.DB, query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

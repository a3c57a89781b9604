package syncer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Errors the central store returns for the handler to map to HTTP.
var (
	ErrUnauthorized = errors.New("syncer: unknown or revoked token")
	ErrForbidden    = errors.New("syncer: kiosk is not enrolled at this site")
	ErrNotFound     = errors.New("syncer: not found")
)

// Central is the centre's store: SQLite in one file (the default, no
// set-up) or PostgreSQL, behind the same code. It keeps no state in
// memory, so several instances can share one PostgreSQL database.
type Central struct {
	db  *sql.DB
	pg  bool
	now func() time.Time
	log *slog.Logger
}

// CentralOptions tune OpenCentral; zero values are fine.
type CentralOptions struct {
	Now    func() time.Time
	Logger *slog.Logger
	// MaxConns caps the database connections this instance opens and
	// keeps idle; 0 means 64, the server's default MaxInFlight. Keeping
	// them idle matters: database/sql's default of 2 idle connections
	// closed and reopened a PostgreSQL backend for every burst of more
	// than two requests, which under load fed on itself (see
	// BENCHMARKS.md, "Sync under load").
	MaxConns int
}

// OpenCentral opens the store at dsn: a postgres:// or postgresql:// URL,
// or else the path of a SQLite file, created if needed. It applies the
// embedded migrations.
func OpenCentral(ctx context.Context, dsn string, opts CentralOptions) (*Central, error) {
	c := &Central{now: opts.Now, log: opts.Logger}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		c.pg = true
		c.db, err = sql.Open("pgx", dsn)
	} else {
		c.db, err = sql.Open("sqlite", sqliteDSN(strings.TrimPrefix(dsn, "sqlite:")))
	}
	if err != nil {
		return nil, fmt.Errorf("open central store: %w", err)
	}
	conns := opts.MaxConns
	if conns <= 0 {
		conns = 64
	}
	c.db.SetMaxOpenConns(conns)
	c.db.SetMaxIdleConns(conns)
	c.db.SetConnMaxIdleTime(5 * time.Minute)
	if err := c.migrate(ctx); err != nil {
		c.db.Close()
		return nil, fmt.Errorf("open central store: %w", err)
	}
	return c, nil
}

func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Close closes the database.
func (c *Central) Close() error { return c.db.Close() }

// DB is the database handle, for benchmarks and tests that compare with
// raw SQL.
func (c *Central) DB() *sql.DB { return c.db }

// Postgres reports whether the store runs on PostgreSQL.
func (c *Central) Postgres() bool { return c.pg }

// q turns the ? placeholders all queries here are written with into
// PostgreSQL's $n. No query holds a literal question mark.
func (c *Central) q(query string) string {
	if !c.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// forUpdate locks the rows a select reads, where the database has row
// locks; SQLite's immediate transactions already hold the only lock.
func (c *Central) forUpdate() string {
	if c.pg {
		return " FOR UPDATE"
	}
	return ""
}

func (c *Central) migrate(ctx context.Context) error {
	return c.inTx(ctx, func(tx *sql.Tx) error {
		if c.pg {
			// Instances starting together take turns.
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7201)"); err != nil {
				return fmt.Errorf("migration lock: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("create migrations table: %w", err)
		}
		names, err := fs.Glob(migrations, "migrations/*.sql")
		if err != nil {
			return err
		}
		for _, name := range names {
			var n int
			if err := tx.QueryRowContext(ctx, c.q("SELECT count(*) FROM schema_migrations WHERE name = ?"), name).Scan(&n); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			if n > 0 {
				continue
			}
			body, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			for _, stmt := range strings.Split(string(body), ";\n") {
				if strings.TrimSpace(stripComments(stmt)) == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %s: %w", name, err)
				}
			}
			if _, err := tx.ExecContext(ctx, c.q("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)"), name, stamp(c.now())); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
		}
		return nil
	})
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// inTx runs fn in a transaction, rolling back on error or panic.
func (c *Central) inTx(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	return c.inTxOpts(ctx, nil, fn)
}

func (c *Central) inTxOpts(ctx context.Context, opts *sql.TxOptions, fn func(*sql.Tx) error) (err error) {
	tx, err := c.db.BeginTx(ctx, opts)
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

const stampLayout = "2006-01-02T15:04:05.000Z"

func stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

func parseStamp(s string) (time.Time, error) { return time.Parse(stampLayout, s) }

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// AddSite creates a site; adding one that exists changes its name.
func (c *Central) AddSite(ctx context.Context, id, name string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("add site: id %q must be lower-case letters, digits and dashes", id)
	}
	return c.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, c.q(`INSERT INTO sites (id, name, created_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name`), id, name, stamp(c.now()))
		if err != nil {
			return fmt.Errorf("add site %s: %w", id, err)
		}
		return nil
	})
}

// SiteName returns a site's name; ok is false if there is no such site.
func (c *Central) SiteName(ctx context.Context, id string) (name string, ok bool, err error) {
	err = c.db.QueryRowContext(ctx, c.q("SELECT name FROM sites WHERE id = ?"), id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("look up site %s: %w", id, err)
	}
	return name, true, nil
}

// Kiosk is an enrolled kiosk as the centre knows it.
type Kiosk struct {
	ID   string
	Site string
}

// Enroll adds a kiosk to a site, or re-enrolls it, and returns its new
// token. Only the token's hash is stored: the token is shown once. An
// empty name keeps the name a re-enrolled kiosk had.
func (c *Central) Enroll(ctx context.Context, site, kiosk, name string) (string, error) {
	if !idPattern.MatchString(kiosk) {
		return "", fmt.Errorf("enroll: kiosk id %q must be lower-case letters, digits and dashes", kiosk)
	}
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return "", fmt.Errorf("enroll: %w", err)
	}
	token := "llk_" + base64.RawURLEncoding.EncodeToString(secret[:])
	err := c.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, c.q("SELECT count(*) FROM sites WHERE id = ?"), site).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("site %q does not exist; add it first", site)
		}
		var current string
		var revoked bool
		err := tx.QueryRowContext(ctx, c.q("SELECT site_id, revoked_at IS NOT NULL FROM kiosks WHERE id = ?"), kiosk).Scan(&current, &revoked)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil && current != site && !revoked {
			return fmt.Errorf("kiosk %q belongs to site %q; revoke it there first", kiosk, current)
		}
		// A revoked kiosk may move: enrolling it elsewhere moves it there.
		_, err = tx.ExecContext(ctx, c.q(`INSERT INTO kiosks (id, site_id, name, token_hash, enrolled_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET site_id = excluded.site_id, token_hash = excluded.token_hash,
				name = CASE WHEN excluded.name = '' THEN kiosks.name ELSE excluded.name END,
				enrolled_at = excluded.enrolled_at, revoked_at = NULL`),
			kiosk, site, name, hashToken(token), stamp(c.now()))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("enroll %s: %w", kiosk, err)
	}
	return token, nil
}

// Revoke stops a kiosk's token from working. Its data stays.
func (c *Central) Revoke(ctx context.Context, kiosk string) error {
	return c.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, c.q("UPDATE kiosks SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"), stamp(c.now()), kiosk)
		if err != nil {
			return fmt.Errorf("revoke %s: %w", kiosk, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("revoke %s: %w (or already revoked)", kiosk, ErrNotFound)
		}
		return nil
	})
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticate finds the kiosk a token belongs to. Tokens carry 256
// random bits, so a plain SHA-256 is a safe hash to look them up by.
func (c *Central) Authenticate(ctx context.Context, token string) (Kiosk, error) {
	if token == "" {
		return Kiosk{}, ErrUnauthorized
	}
	var k Kiosk
	err := c.db.QueryRowContext(ctx, c.q("SELECT id, site_id FROM kiosks WHERE token_hash = ? AND revoked_at IS NULL"), hashToken(token)).Scan(&k.ID, &k.Site)
	if errors.Is(err, sql.ErrNoRows) {
		return Kiosk{}, ErrUnauthorized
	}
	if err != nil {
		return Kiosk{}, fmt.Errorf("authenticate: %w", err)
	}
	return k, nil
}

// KioskInfo is what the centre knows of a kiosk's health.
type KioskInfo struct {
	Kiosk
	Name     string
	Revoked  bool
	LastSeen time.Time
	Backlog  int64
	Skew     time.Duration
	LastSeq  int64
}

// Kiosks lists every enrolled kiosk, by site and id.
func (c *Central) Kiosks(ctx context.Context) ([]KioskInfo, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT k.id, k.site_id, k.name, k.revoked_at IS NOT NULL, coalesce(k.last_seen_at, ''),
		k.backlog, k.skew_ms, coalesce((SELECT max(p.last_seq) FROM progress p WHERE p.kiosk_id = k.id), 0)
		FROM kiosks k ORDER BY k.site_id, k.id`)
	if err != nil {
		return nil, fmt.Errorf("list kiosks: %w", err)
	}
	defer rows.Close()
	var out []KioskInfo
	for rows.Next() {
		var k KioskInfo
		var seen string
		var skew int64
		if err := rows.Scan(&k.ID, &k.Site, &k.Name, &k.Revoked, &seen, &k.Backlog, &skew, &k.LastSeq); err != nil {
			return nil, fmt.Errorf("list kiosks: %w", err)
		}
		k.Skew = time.Duration(skew) * time.Millisecond
		if seen != "" {
			if k.LastSeen, err = parseStamp(seen); err != nil {
				return nil, err
			}
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

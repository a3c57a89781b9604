// Package centretest opens real centres for tests: a SQLite file in a
// temp dir, or a schema of its own on the PostgreSQL server that
// `./dev.sh test` starts (LOBBYLINE_TEST_POSTGRES). Only tests import it.
package centretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"lobbyline/queue"
	"lobbyline/queue/sqldb"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centredb"
	"lobbyline/syncer/centre/sqlstore"
)

// Backends are the stores every centre test runs against.
var Backends = []string{"sqlite", "postgres"}

// EachStore runs fn once per backend as a subtest named after it, with the
// DSN of a fresh, empty store.
func EachStore(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) { fn(t, DSN(t, backend)) })
	}
}

// DSN is a fresh, empty store of backend ("sqlite" or "postgres").
func DSN(tb testing.TB, backend string) string {
	tb.Helper()
	switch backend {
	case "sqlite":
		return filepath.Join(tb.TempDir(), "central.db")
	case "postgres":
		return PostgresSchema(tb)
	}
	tb.Fatalf("unknown backend %q", backend)
	return ""
}

// PostgresSchema creates a schema of its own for one test and returns a
// DSN whose search_path puts every table there; the schema is dropped when
// the test ends. Without LOBBYLINE_TEST_POSTGRES the test is skipped, or
// fails under CI, which must run it.
func PostgresSchema(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("LOBBYLINE_TEST_POSTGRES")
	if base == "" {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			tb.Fatal("LOBBYLINE_TEST_POSTGRES is not set: CI must run the PostgreSQL tests (./dev.sh test starts a server and sets it)")
		}
		tb.Skip("LOBBYLINE_TEST_POSTGRES is not set; ./dev.sh test starts a PostgreSQL server and sets it, or set it to a postgres:// URL")
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("LOBBYLINE_TEST_POSTGRES: %v", err)
	}
	schema := "test_" + strings.ToLower(rand.Text())
	AdminExec(tb, base, "CREATE SCHEMA "+schema)
	tb.Cleanup(func() { AdminExec(tb, base, "DROP SCHEMA "+schema+" CASCADE") })
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// AdminExec runs one statement on the PostgreSQL database at dsn.
func AdminExec(tb testing.TB, dsn, stmt string) {
	tb.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), stmt); err != nil {
		tb.Fatalf("%s: %v", stmt, err)
	}
}

// IT is who tests enrol, revoke and erase as: IT at the centre's command
// line. The centre refuses those actions without an actor, so nothing IT
// does goes unaudited.
var IT = centre.Actor{Source: queue.AuditCentre, Name: "it-test", OSUser: "it-test"}

// RefuseAudit makes the store at dsn refuse every insert into the audit
// log, as a full disk or a damaged table would, until allow is called: a
// trigger, so the refusal comes from the database, inside the transaction
// of whatever writes the entry.
func RefuseAudit(tb testing.TB, dsn string) (allow func()) {
	tb.Helper()
	if centredb.IsPostgres(dsn) {
		AdminExec(tb, dsn, `CREATE OR REPLACE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$`)
		AdminExec(tb, dsn, `CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()`)
		return func() { AdminExec(tb, dsn, `DROP TRIGGER refuse_audit ON audit_log`) }
	}
	exec := func(stmt string) {
		db, err := sql.Open("sqlite", sqldb.SQLiteDSN(dsn, "busy_timeout(10000)"))
		if err != nil {
			tb.Fatalf("open %s: %v", dsn, err)
		}
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), stmt); err != nil {
			tb.Fatalf("%s: %v", stmt, err)
		}
	}
	exec(`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit refused'); END`)
	return func() { exec(`DROP TRIGGER refuse_audit`) }
}

// Centre is a centre and the store under it, closed when the test ends.
type Centre struct {
	*centre.Service
	Store *sqlstore.Store
}

// DB is the store's database, for tests that look at rows.
func (c Centre) DB() *sql.DB { return c.Store.DB() }

// Close closes the store early; the test's cleanup then does nothing.
func (c Centre) Close() error { return c.Store.Close() }

// Open opens the store at dsn and a centre over it; now may be nil.
func Open(tb testing.TB, dsn string, now func() time.Time, opts ...centre.Options) Centre {
	tb.Helper()
	st, err := centredb.Open(context.Background(), dsn, centredb.Options{Now: now})
	if err != nil {
		tb.Fatalf("open centre store: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() }) // a test store: nothing to keep
	o := centre.Options{Now: now}
	if len(opts) > 0 {
		o = opts[0]
		if o.Now == nil {
			o.Now = now
		}
	}
	return Centre{Service: centre.New(st, o), Store: st}
}

package sqldb_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	_ "modernc.org/sqlite"

	"lobbyline/queue/sqldb"
)

func TestSQLiteDSNKeepsTheWholePath(t *testing.T) {
	for _, name := range []string{"plain.db", "with space.db", "a#b.db", "what?.db", "100%.db", "a#b?c=d&e.db"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			db, err := sql.Open("sqlite", sqldb.SQLiteDSN(path, "journal_mode(WAL)", "foreign_keys(1)"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
				t.Fatal(err)
			}
			var mode string
			if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
				t.Errorf("journal_mode = %q, %v; want wal: the pragmas did not reach the connection", mode, err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the database is not at %q: %v", path, err)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if !strings.HasPrefix(e.Name(), name) {
					t.Errorf("opening %q also made %q", name, e.Name())
				}
			}
		})
	}
}

func openMemory(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", sqldb.SQLiteDSN(filepath.Join(t.TempDir(), "m.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrationsRunOnceEachInItsOwnTransaction(t *testing.T) {
	ctx := context.Background()
	db := openMemory(t)
	files := fstest.MapFS{
		"m/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);\nINSERT INTO a VALUES (1);")},
		"m/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);")},
	}
	at := time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC)
	m := sqldb.Migrations{FS: files, Glob: "m/*.sql", Table: "migrations", TableOptions: " STRICT", Now: func() time.Time { return at }}

	if err := m.Apply(ctx, db); err == nil || !strings.Contains(err.Error(), "0002_b.sql") {
		t.Fatalf("Apply = %v; want the second migration's failure, named", err)
	}
	// The first stays applied; nothing of the second does.
	var applied string
	if err := db.QueryRow("SELECT group_concat(name || '@' || applied_at) FROM migrations").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if want := "m/0001_a.sql@2026-12-04T09:30:00.000Z"; applied != want {
		t.Errorf("recorded %q; want %q (stamped with the injected clock)", applied, want)
	}
	if _, err := db.Exec("SELECT * FROM b"); err == nil {
		t.Error("table b exists: the failed migration was not rolled back")
	}

	// Fixed, it applies the second only; again, nothing.
	files["m/0002_b.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE b (x INTEGER);")}
	for range 2 {
		if err := m.Apply(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	var rows int
	if err := db.QueryRow("SELECT count(*) FROM a").Scan(&rows); err != nil || rows != 1 {
		t.Errorf("a has %d rows (%v); the first migration ran more than once", rows, err)
	}
}

func TestMigrationsRefuseANewerDatabase(t *testing.T) {
	ctx := context.Background()
	db := openMemory(t)
	newer := sqldb.Migrations{FS: fstest.MapFS{
		"m/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"m/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER);")},
	}, Glob: "m/*.sql", Table: "migrations"}
	if err := newer.Apply(ctx, db); err != nil {
		t.Fatal(err)
	}
	older := newer
	older.FS = fstest.MapFS{
		"m/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"m/0003_c.sql": {Data: []byte("CREATE TABLE c (x INTEGER);")}, // must not run
	}
	err := older.Apply(ctx, db)
	if !errors.Is(err, sqldb.ErrSchemaNewer) || !strings.Contains(err.Error(), "0002_b.sql") {
		t.Fatalf("Apply by an older program = %v; want ErrSchemaNewer naming 0002_b.sql", err)
	}
	if _, err := db.Exec("SELECT * FROM c"); err == nil {
		t.Error("the older program migrated a database it refused")
	}
}

func TestInTxRollsBackOnPanic(t *testing.T) {
	ctx := context.Background()
	db := openMemory(t)
	if _, err := db.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() { _ = recover() }()
		_ = sqldb.InTx(ctx, db, func(tx *sql.Tx) error {
			if _, err := tx.Exec("INSERT INTO t VALUES (1)"); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	err := sqldb.InTx(ctx, db, func(tx *sql.Tx) error {
		if _, err := tx.Exec("INSERT INTO t VALUES (2)"); err != nil {
			return err
		}
		return errors.New("changed my mind")
	})
	if err == nil || err.Error() != "changed my mind" {
		t.Fatalf("InTx = %v; want fn's error as it is", err)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows after a panic and an error (%v); want 0", n, err)
	}
}

func TestTimeRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 30, 1, 234567890, time.FixedZone("CET", 3600))
	s := sqldb.FormatTime(at)
	if s != "2026-12-04T08:30:01.234Z" {
		t.Fatalf("FormatTime = %q", s)
	}
	back, err := sqldb.ParseTime(s)
	if err != nil || !back.Equal(at.Truncate(time.Millisecond)) {
		t.Fatalf("ParseTime(%q) = %v, %v", s, back, err)
	}
}

func TestCheckPlaceFindsWhereEarlierVersionsKeptTheDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lobby #1?.db")
	if err := sqldb.CheckPlace(path); err != nil {
		t.Fatalf("nothing anywhere: %v", err)
	}
	// Where versions before the escaping put it: the path cut at '#'.
	old := filepath.Join(dir, "lobby ")
	if err := os.WriteFile(old, []byte("SQLite format 3\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := sqldb.CheckPlace(path)
	if !errors.Is(err, sqldb.ErrMisplaced) || !strings.Contains(err.Error(), old) || !strings.Contains(err.Error(), path) {
		t.Fatalf("CheckPlace = %v; want ErrMisplaced naming both paths", err)
	}
	// Once the database is where it belongs, the old file is not a concern.
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := sqldb.CheckPlace(path); err != nil {
		t.Fatalf("with the database in place: %v", err)
	}
	// A path SQLite read the same way before needs no look.
	if err := sqldb.CheckPlace(filepath.Join(dir, "plain.db")); err != nil {
		t.Fatal(err)
	}
	// %HH was decoded: "a%41.db" was "aA.db".
	if err := os.WriteFile(filepath.Join(dir, "aA.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := sqldb.CheckPlace(filepath.Join(dir, "a%41.db")); !errors.Is(err, sqldb.ErrMisplaced) {
		t.Fatalf("a%%41.db with aA.db beside it: %v", err)
	}
}

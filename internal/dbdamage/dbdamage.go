// Package dbdamage damages a closed SQLite database the way a failing SD
// card does, for tests of what the kiosk does with a damaged database
// (issue 15 §3). It is for tests only and depends on nothing of the
// kiosk's.
package dbdamage

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Table writes n random bytes (seeded, so a failure repeats) over the
// root page of table in the database file at path, which no process may
// have open: its write-ahead log must already be folded in (a store's
// Close does it).
func Table(path, table string, n int, seed uint64) error {
	return damage(path, "SELECT rootpage FROM sqlite_master WHERE name = ?", table, n, seed)
}

// MiddleLeaf is Table for the middle one of table's leaf pages: the rows
// before and after it can still be read.
func MiddleLeaf(path, table string, n int, seed uint64) error {
	return damage(path, `SELECT pageno FROM dbstat WHERE name = ?1 AND pagetype = 'leaf' ORDER BY pageno
		LIMIT 1 OFFSET (SELECT count(*) / 2 FROM dbstat WHERE name = ?1 AND pagetype = 'leaf')`, table, n, seed)
}

// damage writes n random bytes over the page that find (with table as
// its argument) names.
func damage(path, find, table string, n int, seed uint64) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	var root, pageSize int64
	err = db.QueryRowContext(context.Background(), find, table).Scan(&root)
	if err == nil {
		err = db.QueryRowContext(context.Background(), "PRAGMA page_size").Scan(&pageSize)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("find %s's page: %w", table, err)
	}
	junk := make([]byte, n)
	// #nosec G404 -- repeatable junk for a test, not a secret
	r := rand.New(rand.NewPCG(seed, seed))
	var word [8]byte
	for i := 0; i < n; i += len(word) {
		binary.LittleEndian.PutUint64(word[:], r.Uint64())
		copy(junk[i:], word[:])
	}
	// #nosec G304 -- the test's own database file
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(junk, (root-1)*pageSize); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

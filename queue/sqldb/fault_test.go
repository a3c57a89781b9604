package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestFaultOfRealErrors(t *testing.T) {
	dir := t.TempDir()
	// Not a database: a text file opened as one.
	path := filepath.Join(dir, "notes.db")
	if err := os.WriteFile(path, []byte("this is not a database, just some text that is long enough to look at"), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", SQLiteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.ExecContext(context.Background(), "SELECT count(*) FROM sqlite_master")
	if got := FaultOf(err); got != FaultNotADB {
		t.Errorf("a text file: %v is %v, want %v", err, got, FaultNotADB)
	}
	// Read-only: a write through a read-only connection.
	ro := filepath.Join(dir, "ro.db")
	rw, err := sql.Open("sqlite", SQLiteDSN(ro))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rw.Exec("CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	rw.Close()
	rodb, err := sql.Open("sqlite", "file:"+ro+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer rodb.Close()
	_, err = rodb.Exec("INSERT INTO t VALUES (1)")
	if got := FaultOf(err); got != FaultReadOnly {
		t.Errorf("a read-only write: %v is %v, want %v", err, got, FaultReadOnly)
	}
	for err, want := range map[error]Fault{
		nil:                                     FaultNone,
		fmt.Errorf("write: %w", syscall.ENOSPC): FaultFull,
		fmt.Errorf("rename: %w", syscall.EROFS): FaultReadOnly,
		&os.PathError{Op: "read", Err: syscall.EIO}: FaultIO,
		sql.ErrNoRows: FaultNone,
	} {
		if got := FaultOf(err); got != want {
			t.Errorf("FaultOf(%v) = %v, want %v", err, got, want)
		}
	}
}

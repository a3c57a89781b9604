package sqldb

import (
	"errors"
	"path/filepath"
	"syscall"

	"modernc.org/sqlite"
)

// Fault is what a storage error says of the machine under the database,
// in the words every layer uses (issue 15 §2): the store's errors, the
// lobby's and staff's screens, the command line and the logs.
type Fault int

// Faults, from none to worst.
const (
	FaultNone     Fault = iota // not a storage fault (or no error)
	FaultFull                  // the disk (or its inodes) is full: SQLITE_FULL, ENOSPC, EDQUOT
	FaultReadOnly              // the file or its file system is read-only: SQLITE_READONLY, EROFS
	FaultIO                    // the disk failed a read or write: SQLITE_IOERR
	FaultDamaged               // the file is damaged: SQLITE_CORRUPT
	FaultNotADB                // the file is not a database: SQLITE_NOTADB
)

// String is the fault in a few words, for logs and the command line.
func (f Fault) String() string {
	switch f {
	case FaultFull:
		return "the disk is full"
	case FaultReadOnly:
		return "the disk is read-only"
	case FaultIO:
		return "the disk failed"
	case FaultDamaged:
		return "the database is damaged"
	case FaultNotADB:
		return "the file is not a database"
	}
	return "no disk fault"
}

// SQLite's primary result codes (the low byte of an extended code).
const (
	sqliteBusy       = 5
	sqliteReadOnly   = 8
	sqliteIOErr      = 10
	sqliteCorrupt    = 11
	sqliteFull       = 13
	sqliteCantOpen   = 14
	sqliteConstraint = 19
	sqliteNotADB     = 26

	sqliteIOErrShmSize = sqliteIOErr | 19<<8 // 4874
)

// FaultOf classifies err, looking through wrapping: a SQLite result code
// (extended codes by their primary one; SQLITE_IOERR with an errno of
// ENOSPC is a full disk) or an errno from the operating system. Anything
// else is FaultNone.
func FaultOf(err error) Fault {
	if err == nil {
		return FaultNone
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqliteFull:
			return FaultFull
		case sqliteReadOnly:
			return FaultReadOnly
		case sqliteCorrupt:
			return FaultDamaged
		case sqliteNotADB:
			return FaultNotADB
		case sqliteIOErr:
			// SQLITE_IOERR_SHMSIZE: SQLite could not give the -shm index
			// its blocks, which on Linux is a full disk (ENOSPC, EDQUOT).
			if se.Code() == sqliteIOErrShmSize || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
				return FaultFull
			}
			return FaultIO
		}
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return FaultFull
	case errors.Is(err, syscall.EROFS):
		return FaultReadOnly
	case errors.Is(err, syscall.EIO):
		return FaultIO
	}
	return FaultNone
}

// FaultAt is FaultOf for an error from the database at path, where the
// file system now says it is mounted read-only: SQLite's "unable to open
// database file" (it cannot make the -shm or -wal there), and its I/O
// error on a write that the kernel refused because the file system was
// remounted read-only under it (ext4's errors=remount-ro after a media
// error; SQLite keeps only its own code, not the errno), are a
// read-only disk.
func FaultAt(err error, path string) Fault {
	f := FaultOf(err)
	var se *sqlite.Error
	cantOpen := f == FaultNone && errors.As(err, &se) && se.Code()&0xff == sqliteCantOpen
	if (cantOpen || f == FaultIO) && ReadOnlyFS(filepath.Dir(path)) {
		return FaultReadOnly
	}
	return f
}

// IsBusy reports whether err is SQLite's SQLITE_BUSY (any of its
// extended codes): another connection held a lock past the busy timeout.
func IsBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqliteBusy
}

// IsConstraint reports whether err is SQLite's SQLITE_CONSTRAINT (any of
// its extended codes): a UNIQUE, CHECK, NOT NULL or FOREIGN KEY that failed.
func IsConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqliteConstraint
}

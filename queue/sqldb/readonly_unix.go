//go:build unix

package sqldb

import (
	"errors"
	"os"
	"syscall"
)

// shmDMS is the byte of a -shm file every connection to the database holds
// a shared lock on while it is open (SQLite's unix VFS "dead man switch":
// UNIX_SHM_BASE 120 + SQLITE_SHM_NLOCK 8).
const shmDMS = 128

// shmHeld reports whether a process holds the -shm file's connection lock:
// a program has the database open. No -shm file: none has.
func shmHeld(shm string) (bool, error) {
	f, err := os.Open(shm) // #nosec G304 -- the -shm file beside the database the caller names
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: shmDMS, Len: 1}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return false, err
	}
	return lk.Type != syscall.F_UNLCK, nil
}

// stRDOnly is statfs's flag for a file system mounted read-only.
const stRDOnly = 1

// readOnlyFS reports whether the file system holding dir is mounted
// read-only.
func readOnlyFS(dir string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(dir, &st) == nil && st.Flags&stRDOnly != 0
}

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

// ReadOnlyFS reports whether the file system holding dir takes no
// writes: mounted read-only, or — what statfs does not show — made
// read-only by the kernel after a media error (ext4's errors=remount-ro
// marks the mount "emergency_ro" and refuses writes with EROFS while
// statfs still says read-write). The second is found by trying to
// create an empty file there, so call it when something has failed,
// not on a timer: each call is a write on a card that wears.
func ReadOnlyFS(dir string) bool {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) == nil && st.Flags&stRDOnly != 0 {
		return true
	}
	f, err := os.CreateTemp(dir, ".lobbyline-probe-*")
	if err != nil {
		return errors.Is(err, syscall.EROFS)
	}
	name := f.Name()
	_ = f.Close()       // empty; nothing to lose
	_ = os.Remove(name) // a probe left behind is an empty file
	return false
}

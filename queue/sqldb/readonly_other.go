//go:build !unix

package sqldb

// shmHeld cannot tell on this system: a program may have the database
// open, so its main file alone is never read.
func shmHeld(string) (bool, error) { return true, nil }

// ReadOnlyFS cannot tell on this system.
func ReadOnlyFS(string) bool { return false }

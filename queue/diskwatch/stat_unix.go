//go:build unix

package diskwatch

import "syscall"

// stRDOnly is statfs's flag for a file system mounted read-only.
const stRDOnly = 1

// Stat reads the free space and inodes of the file system holding dir.
func Stat(dir string) (Space, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return Space{Dir: dir}, err
	}
	return Space{Dir: dir, Free: st.Bavail * uint64(st.Bsize), Inodes: st.Ffree, // #nosec G115 -- the block size is positive
		ReadOnly: st.Flags&stRDOnly != 0, Known: true}, nil
}

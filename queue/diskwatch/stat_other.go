//go:build !unix

package diskwatch

// Stat cannot read the file system on this system.
func Stat(dir string) (Space, error) { return Space{Dir: dir}, nil }

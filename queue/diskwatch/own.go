package diskwatch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"
)

// Kinds of the kiosk's own files a supervisor may delete to make room.
const (
	KindReport   = "report"   // incident reports the jobs wrote
	KindExport   = "export"   // roster lists staff saved
	KindSnapshot = "snapshot" // copies of the database the kiosk made itself
)

// OwnDir is a folder holding only files the kiosk wrote and can do
// without: old reports, exports, its own snapshots.
type OwnDir struct {
	Dir  string
	Kind string
}

// OwnFile is one of them.
type OwnFile struct {
	Path     string
	Kind     string
	Size     int64
	Modified time.Time
}

// SetOwnDirs names the folders of the kiosk's own files; call it before
// the monitor runs.
func (w *Watch) SetOwnDirs(dirs ...OwnDir) { w.own = dirs }

// OwnFiles lists the kiosk's own files, oldest first: regular files
// directly in its own folders, never the database, its WAL and shared
// memory, or the reserve (should one of those folders hold them).
func (w *Watch) OwnFiles() ([]OwnFile, error) {
	var out []OwnFile
	for _, d := range w.own {
		entries, err := os.ReadDir(d.Dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", d.Dir, err)
		}
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue // folders, links: not the kiosk's to offer
			}
			path := filepath.Join(d.Dir, e.Name())
			if w.kept(path) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue // gone meanwhile
			}
			out = append(out, OwnFile{Path: path, Kind: d.Kind, Size: info.Size(), Modified: info.ModTime()})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Modified.Before(out[j].Modified) })
	return out, nil
}

// kept reports whether path is one of the files the monitor never lets
// go: the database, its WAL and shared memory, the reserve.
func (w *Watch) kept(path string) bool {
	db := filepath.Clean(w.store.Path())
	keep := []string{db, db + "-wal", db + "-shm", db + "-journal"}
	if w.reserve != nil {
		keep = append(keep, filepath.Clean(w.reserve.Path))
	}
	return slices.Contains(keep, filepath.Clean(path))
}

// RemoveOwn deletes those of paths that OwnFiles lists now, and returns
// the files deleted and the bytes they held. A path it does not list is
// refused, and nothing is deleted.
func (w *Watch) RemoveOwn(paths []string) (removed []OwnFile, freed int64, err error) {
	files, err := w.OwnFiles()
	if err != nil {
		return nil, 0, err
	}
	byPath := make(map[string]OwnFile, len(files))
	for _, f := range files {
		byPath[f.Path] = f
	}
	for _, p := range paths {
		if _, ok := byPath[filepath.Clean(p)]; !ok {
			return nil, 0, fmt.Errorf("%s is not one of the kiosk's own files to delete", p)
		}
	}
	for _, p := range paths {
		f := byPath[filepath.Clean(p)]
		if err := os.Remove(f.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, freed, fmt.Errorf("delete %s: %w", f.Path, err)
		}
		removed = append(removed, f)
		freed += f.Size
	}
	return removed, freed, nil
}

// The kiosk keeps at most this many files in its reports and exports
// folders, deleting the oldest beyond (an incident writes a few reports;
// an export is one file).
const (
	KeepReports = 300
	KeepExports = 100
)

// Trim keeps the newest keep regular files directly in dir and deletes
// the rest, oldest first, and returns what it deleted: how the kiosk
// bounds its reports and exports.
func Trim(dir string, keep int) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	type file struct {
		path string
		mod  time.Time
	}
	var files []file
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		files = append(files, file{filepath.Join(dir, e.Name()), info.ModTime()})
	}
	if len(files) <= keep {
		return nil, nil
	}
	sort.Slice(files, func(i, j int) bool {
		if !files[i].mod.Equal(files[j].mod) {
			return files[i].mod.Before(files[j].mod)
		}
		return files[i].path < files[j].path
	})
	var gone []string
	for _, f := range files[:len(files)-keep] {
		if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return gone, err
		}
		gone = append(gone, f.path)
	}
	return gone, nil
}

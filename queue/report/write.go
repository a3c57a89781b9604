package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"lobbyline/queue"
)

// File and directory modes of the reports: staff and IT read them, other
// users of the kiosk machine do not.
const (
	dirMode  = 0o750
	fileMode = 0o640
)

// WriteAll writes incident-<ID>.md, incident-<ID>.csv and
// incident-<ID>.html into dir, creating dir if needed, and returns their
// paths. Each file is replaced atomically, so a reader never sees half a
// report, and a power cut leaves the old report or the new one.
func WriteAll(dir string, r queue.IncidentReport, o Options) (paths []string, err error) {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("write reports: %w", err)
	}
	base := "incident-" + strconv.FormatInt(r.Incident.ID, 10)
	for _, f := range []struct {
		ext   string
		write func(io.Writer, queue.IncidentReport, Options) error
	}{
		{".md", WriteMarkdown},
		{".csv", WriteCSV},
		{".html", WriteHTML},
	} {
		var buf bytes.Buffer
		if err := f.write(&buf, r, o); err != nil {
			return paths, err
		}
		path := filepath.Join(dir, base+f.ext)
		if err := writeFileAtomic(path, buf.Bytes()); err != nil {
			return paths, fmt.Errorf("write reports: %w", err)
		}
		paths = append(paths, path)
	}
	if err := syncDir(dir); err != nil {
		return paths, fmt.Errorf("write reports: %w", err)
	}
	return paths, nil
}

// writeFileAtomic writes data to a temporary file beside path, flushes it
// to disk and renames it over path.
func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, os.Remove(f.Name()))
		}
	}()
	if _, err := f.Write(data); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Chmod(fileMode); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Sync(); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		return errors.Join(err, d.Close())
	}
	return d.Close()
}

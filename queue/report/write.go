package report

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"lobbyline/queue"
	"lobbyline/queue/durable"
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
		if err := durable.WriteFile(path, buf.Bytes(), fileMode); err != nil {
			return paths, fmt.Errorf("write reports: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

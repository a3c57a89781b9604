package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/jonboulle/clockwork"

	"lobbyline/queue"
	"lobbyline/queue/diskwatch"
	"lobbyline/queue/sqldb"
)

// readCommands only read the database: on a full or read-only disk, where
// opening it the ordinary way fails, they open it to read only.
var readCommands = map[string]bool{"queue": true, "roster": true, "incidents": true, "export": true, "audit": true}

// reserve is the disk reserve beside the database, nil with none.
func (m *Main) reserve() *queue.Reserve {
	if m.Config.Outage.DiskReserveMB <= 0 {
		return nil
	}
	return &queue.Reserve{Path: m.DBPath + ".reserve", Size: int64(m.Config.Outage.DiskReserveMB) << 20}
}

// openForCommand opens the store for the command: the ordinary way, and
// for a command that only reads, to read only if the disk refuses that.
func (m *Main) openForCommand(ctx context.Context) error {
	err := m.openStore(ctx, false)
	if err == nil || !readCommands[m.Command] {
		return err
	}
	if f := queue.FaultOf(err); f != sqldb.FaultFull && f != sqldb.FaultReadOnly && f != sqldb.FaultIO {
		return err
	}
	m.Logger.Warn("opening the database to read only", "why", queue.FaultOf(err).String(), "path", m.DBPath)
	if rerr := m.openStore(ctx, true); rerr != nil {
		return rerr
	}
	return nil
}

// ownDirs are the folders of the kiosk's own files, which staff mode's
// disk panel offers a supervisor to delete.
func (m *Main) ownDirs() []diskwatch.OwnDir {
	return []diskwatch.OwnDir{{Dir: m.reportDir(), Kind: diskwatch.KindReport}, {Dir: m.exportDir(), Kind: diskwatch.KindExport}}
}

// diskCheckEvery is how often the disk monitor looks.
const diskCheckEvery = 5 * time.Second

// startDiskWatch runs the disk monitor until the kiosk closes.
func (m *Main) startDiskWatch(ctx context.Context) *diskwatch.Watch {
	w := diskwatch.New(m.store, m.reserve(), m.Logger)
	w.SetOwnDirs(m.ownDirs()...)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx, clockwork.NewRealClock(), diskCheckEvery)
	}()
	m.closers = append(m.closers, func() error { cancel(); <-done; return nil })
	return w
}

// diskWords says a storage fault in the words staff and IT read, "the
// disk is full" with the path and what is free, never a SQLite code. The
// cause stays in the chain for errors.Is and As.
func (m *Main) diskWords(err error) error {
	f := queue.FaultOf(err)
	if f == sqldb.FaultNone {
		return err
	}
	path := m.DBPath
	var pe *fs.PathError
	if errors.As(err, &pe) {
		path = pe.Path
	}
	msg := fmt.Sprintf("%s: %s", f, path)
	if sp, serr := diskwatch.Stat(filepath.Dir(path)); serr == nil && sp.Known {
		msg += fmt.Sprintf(" (%s free, %d files more on its file system)", bytesText(sp.Free), sp.Inodes)
	}
	switch f {
	case sqldb.FaultFull:
		msg += fmt.Sprintf(". Free space on that disk: the kiosk's own old reports are in %s and exports in %s; then try again", m.reportDir(), m.exportDir())
	case sqldb.FaultReadOnly:
		msg += ". The file system is mounted read-only (perhaps remounted after a disk error): IT must check the disk and mount it read-write"
	case sqldb.FaultIO:
		msg += ". The disk failed a read or write: IT must check it"
	}
	return &wordsError{msg: msg, err: err}
}

// wordsError is an error shown in words of its own, keeping its cause.
type wordsError struct {
	msg string
	err error
}

func (e *wordsError) Error() string { return e.msg }
func (e *wordsError) Unwrap() error { return e.err }

// bytesText is a size for people: "312 KB", "4.2 MB".
func bytesText(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

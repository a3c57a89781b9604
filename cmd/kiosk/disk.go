package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"github.com/jonboulle/clockwork"

	"lobbyline/assets"
	"lobbyline/kiosk"
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
	// The kiosk itself (no command) opens to read only too: the lobby
	// then sends visitors to reception and staff can still read the queue.
	if err == nil || !readCommands[m.Command] && m.Command != "" {
		return err
	}
	if f := queue.FaultOf(err); f != sqldb.FaultFull && f != sqldb.FaultReadOnly && f != sqldb.FaultIO {
		return err
	}
	m.Logger.Warn("opening the database to read only", "why", queue.FaultOf(err).String(), "path", m.DBPath)
	if rerr := m.openStore(ctx, true); rerr != nil {
		return rerr
	}
	m.openedReadOnly = queue.FaultOf(err)
	return nil
}

// ownDirs are the folders of the kiosk's own files, which staff mode's
// disk panel offers a supervisor to delete.
func (m *Main) ownDirs() []diskwatch.OwnDir {
	// Snapshots on the database's own disk only: a copy on a second disk
	// takes nothing from this one.
	return []diskwatch.OwnDir{{Dir: m.reportDir(), Kind: diskwatch.KindReport}, {Dir: m.exportDir(), Kind: diskwatch.KindExport},
		{Dir: m.snapshotDirs()[0], Kind: diskwatch.KindSnapshot}}
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

// runReadOnlyUI is the kiosk started on a full or read-only disk, its
// database opened to read only: the lobby sends visitors to reception,
// staff can read the queue and the disk panel, nothing is written (no
// sync, no jobs). Once the disk has room and is writable, the kiosk
// starts itself again the ordinary way (errRestart), with no one to do it.
func runReadOnlyUI(ctx context.Context, m *Main, cfg kiosk.Config) error {
	m.store.RaiseLocalProblem(m.openedReadOnly, "the kiosk started on a disk it cannot write: "+m.openedReadOnly.String()+": "+m.DBPath)
	w := diskwatch.New(m.store, nil, m.Logger)
	w.SetOwnDirs(m.ownDirs()...)
	if err := w.Check(ctx); err != nil {
		m.Logger.Warn("disk monitor", "err", err)
	}
	cfg.Disk = w
	return showUI(ctx, m, func(a fyne.App) (*kiosk.UI, error) { return kiosk.New(a, m.store, cfg, m.Logger), nil }, w)
}

// runProblemUI is the kiosk started where its database cannot be read
// safely at all: a screen says why (for IT) and sends visitors to
// reception, until the disk has room again and it starts itself again.
func runProblemUI(ctx context.Context, m *Main, problem string) error {
	m.Logger.Error("the lobby will not open", "why", problem)
	return showUI(ctx, m, func(a fyne.App) (*kiosk.UI, error) {
		kiosk.ShowProblem(a, problem, m.Config.Languages)
		return nil, nil
	}, nil)
}

// roomAgain reports whether the disk under the database can take writes
// again: writable, with ResumeFree and the reserve free.
func (m *Main) roomAgain() bool {
	sp, err := diskwatch.Stat(filepath.Dir(m.DBPath))
	var reserve uint64
	if r := m.reserve(); r != nil {
		reserve = uint64(r.Size) // #nosec G115 -- checked positive when the config loads
	}
	return err == nil && sp.Known && !sp.ReadOnly && sp.Free >= diskwatch.ResumeFree+reserve &&
		!sqldb.ReadOnlyFS(filepath.Dir(m.DBPath)) // statfs misses a read-only remount after a media error
}

// showUI opens a window made by open and runs it until it is closed, or
// until the disk has room again: then it returns errRestart, and main
// runs the kiosk again in this process's place, opening the database to
// write.
func showUI(ctx context.Context, m *Main, open func(fyne.App) (*kiosk.UI, error), w *diskwatch.Watch) error {
	a := app.NewWithID("org.lobbyline.kiosk")
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	ui, err := open(a)
	if err != nil {
		return err
	}
	if ui != nil {
		defer ui.Close()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var again atomic.Bool // the disk has room: start again (errRestart)
	go func() {
		t := time.NewTicker(diskCheckEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				fyne.Do(a.Quit)
				return
			case <-t.C:
				if w != nil {
					if err := w.Check(ctx); err != nil {
						m.Logger.Warn("disk monitor", "err", err)
					}
				}
				if m.roomAgain() {
					m.Logger.Info("the disk has room again: starting again, to open the database to write", "path", m.DBPath)
					again.Store(true)
					fyne.Do(a.Quit)
					return
				}
			}
		}
	}()
	var win fyne.Window
	if ui != nil {
		win = ui.Window()
		if m.Fullscreen {
			ui.KeepOpen()
		}
	} else if ws := a.Driver().AllWindows(); len(ws) > 0 {
		win = ws[0]
	}
	if win == nil {
		return errors.New("no window to show")
	}
	win.SetFullScreen(m.Fullscreen)
	win.ShowAndRun()
	if again.Load() {
		return errRestart
	}
	return nil
}

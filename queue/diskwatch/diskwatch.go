// Package diskwatch is the kiosk's disk monitor: it runs always, with or
// without sync, on the file system that holds the database. It reads the
// free blocks and inodes, raises the store's local problem when that file
// system is read-only or a write finds it full, ends the problem once a
// write works again with room to go on, and keeps the disk reserve made
// while there is room for it.
//
// It imports queue and nothing of sync or Fyne.
package diskwatch

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"lobbyline/queue"
	"lobbyline/queue/sqldb"
)

// Space is what the file system holding a directory has left.
type Space struct {
	Dir      string
	Free     uint64 // bytes an ordinary user may still write
	Inodes   uint64 // files that may still be made
	ReadOnly bool   // mounted read-only
	Known    bool   // false if the system could not say
}

// ResumeFree is the free space a full disk must have again before the
// lobby offers check-in once more (about 500 check-ins), so that it does
// not offer one, fail, and refuse again as the last blocks come and go.
const ResumeFree = 1 << 20

// Status is the disk as the last Check saw it, for staff.
type Status struct {
	Space
	Problem     queue.LocalProblem
	HasProblem  bool
	Reserve     int64 // the reserve's size in bytes, 0 with none configured
	ReserveHeld bool
	// Fit is how many check-ins the free space (with the reserve, while
	// it is held) still holds.
	Fit int64
}

// Watch checks the disk under a store's database.
type Watch struct {
	store   *queue.Store
	reserve *queue.Reserve // nil: none
	dir     string
	log     *slog.Logger
	own     []OwnDir // folders of the kiosk's own files (SetOwnDirs)

	mu   sync.Mutex
	last Status
}

// New watches the disk holding store's database; reserve may be nil.
func New(store *queue.Store, reserve *queue.Reserve, log *slog.Logger) *Watch {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watch{store: store, reserve: reserve, dir: filepath.Dir(store.Path()), log: log}
}

// Check looks at the disk now. A read-only file system raises the local
// problem at once. While the problem is a full or read-only disk, and
// while the disk has no free block or inode, a heartbeat write finds out
// whether a commit works: one that fails raises the problem, one that
// works with ResumeFree left ends it. The reserve is made again once
// there is room for it twice over.
func (w *Watch) Check(ctx context.Context) error {
	sp, err := Stat(w.dir)
	if err != nil {
		w.log.Warn("disk monitor", "dir", w.dir, "err", err)
	}
	p, has := w.store.LocalProblem()
	diskProblem := has && (p.Fault == sqldb.FaultFull || p.Fault == sqldb.FaultReadOnly)
	var hbErr error
	switch {
	case sp.Known && sp.ReadOnly:
		w.store.RaiseLocalProblem(sqldb.FaultReadOnly, "the file system holding "+w.dir+" is mounted read-only")
	case diskProblem, sp.Known && (sp.Free == 0 || sp.Inodes == 0):
		hbErr = w.store.Heartbeat(ctx) // a failure raises the problem itself
		// A write that found the disk full gave back the reserve: look again.
		if again, err := Stat(w.dir); err == nil {
			sp = again
		}
		if hbErr == nil && diskProblem && (!sp.Known || sp.Free >= ResumeFree) {
			w.store.ClearLocalProblem(sqldb.FaultFull, sqldb.FaultReadOnly)
		}
	}
	p, has = w.store.LocalProblem()
	held := false
	var size int64
	if w.reserve != nil {
		size = w.reserve.Size
		held = w.reserve.Held()
		if !held && !has && sp.Known && !sp.ReadOnly && sp.Free >= 2*uint64(size)+ResumeFree { // #nosec G115 -- the reserve's size is checked positive when the config loads
			if err := w.reserve.Make(); err != nil {
				w.log.Warn("disk reserve", "path", w.reserve.Path, "err", err)
			} else {
				held = true
				w.log.Info("disk reserve made", "path", w.reserve.Path, "bytes", size)
			}
		}
	}
	fit := sp.Free
	if held {
		fit += uint64(size) // #nosec G115 -- as above
	}
	st := Status{Space: sp, Problem: p, HasProblem: has, Reserve: size, ReserveHeld: held, Fit: queue.CheckInsThatFit(fit)}
	w.mu.Lock()
	w.last = st
	w.mu.Unlock()
	if hbErr != nil && queue.FaultOf(hbErr) == sqldb.FaultNone {
		return hbErr
	}
	return nil
}

// Status is what the last Check saw.
func (w *Watch) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

// Run checks the disk now and then every interval until ctx ends.
func (w *Watch) Run(ctx context.Context, clock clockwork.Clock, every time.Duration) {
	t := clock.NewTicker(every)
	defer t.Stop()
	for {
		if err := w.Check(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("disk monitor", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
		}
	}
}

package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"lobbyline/queue/sqldb"
)

// LocalProblem is the kiosk's "local problem" state: something on this
// kiosk stops it saving a check-in, so the lobby sends visitors to
// reception instead of offering one. Whatever finds such a problem
// raises it (a commit failing for lack of space or on a read-only disk,
// the disk monitor, a damaged database found by a check); whatever can
// tell it is over clears it.
type LocalProblem struct {
	Fault  sqldb.Fault // what is wrong, in the words every layer uses
	Path   string      // the database file
	Reason string      // the technical cause, for the log and staff
	Since  time.Time
}

// problems holds the store's local problem and who listens for it.
type problems struct {
	mu     sync.Mutex
	cur    *LocalProblem
	subs   map[int]func(LocalProblem, bool)
	nextID int
}

// LocalProblem returns the problem stopping this kiosk saving, if any.
func (s *Store) LocalProblem() (LocalProblem, bool) {
	s.problems.mu.Lock()
	defer s.problems.mu.Unlock()
	if s.problems.cur == nil {
		return LocalProblem{}, false
	}
	return *s.problems.cur, true
}

// RaiseLocalProblem says a check-in cannot be saved here now, for the
// reason given; a problem already raised keeps its start. Subscribers
// hear of it at once, on the caller's goroutine.
func (s *Store) RaiseLocalProblem(f sqldb.Fault, reason string) {
	if f == sqldb.FaultNone {
		return
	}
	p := LocalProblem{Fault: f, Path: s.path, Reason: reason, Since: s.now()}
	s.problems.mu.Lock()
	if cur := s.problems.cur; cur != nil {
		if cur.Fault == f && cur.Reason == reason {
			s.problems.mu.Unlock()
			return
		}
		p.Since = cur.Since
	}
	s.problems.cur = &p
	subs := s.problems.listeners()
	s.problems.mu.Unlock()
	s.log.Error("check-in cannot be saved here", "problem", f.String(), "path", s.path, "reason", reason)
	for _, fn := range subs {
		fn(p, true)
	}
}

// ClearLocalProblem ends the local problem if it is one of faults (any,
// if none are named): who clears it says what it knows to be over.
func (s *Store) ClearLocalProblem(faults ...sqldb.Fault) {
	s.problems.mu.Lock()
	cur := s.problems.cur
	match := cur != nil && len(faults) == 0
	for _, f := range faults {
		match = match || (cur != nil && cur.Fault == f)
	}
	if !match {
		s.problems.mu.Unlock()
		return
	}
	s.problems.cur = nil
	subs := s.problems.listeners()
	s.problems.mu.Unlock()
	s.log.Info("check-in can be saved here again", "was", cur.Fault.String(), "path", s.path)
	for _, fn := range subs {
		fn(*cur, false)
	}
}

// SubscribeLocalProblem calls fn whenever the local problem is raised
// (true) or cleared (false), on the goroutine that changed it.
func (s *Store) SubscribeLocalProblem(fn func(p LocalProblem, raised bool)) (cancel func()) {
	s.problems.mu.Lock()
	defer s.problems.mu.Unlock()
	if s.problems.subs == nil {
		s.problems.subs = make(map[int]func(LocalProblem, bool))
	}
	id := s.problems.nextID
	s.problems.nextID++
	s.problems.subs[id] = fn
	return func() {
		s.problems.mu.Lock()
		defer s.problems.mu.Unlock()
		delete(s.problems.subs, id)
	}
}

func (p *problems) listeners() []func(LocalProblem, bool) {
	out := make([]func(LocalProblem, bool), 0, len(p.subs))
	for _, fn := range p.subs {
		out = append(out, fn)
	}
	return out
}

// ErrReadOnlyStore is returned by a write to a store opened to read only.
var ErrReadOnlyStore = errors.New("queue: the database is opened to read only")

// inTx runs fn in a write transaction: every write of the store goes
// through it. None once the store is damaged, and damage an error shows
// is recorded (checkDamage). A commit that fails for lack of space gives
// back the reserve, if any, and is tried once more; one that still fails
// for a disk fault raises the local problem at once. (The disk monitor
// ends it: a commit may slip into the WAL's old space while the disk is
// still full.)
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.readOnly {
		return ErrReadOnlyStore
	}
	if err := s.Damage(); err != nil {
		return err
	}
	err := sqldb.InTx(ctx, s.db, fn)
	f := sqldb.FaultAt(err, s.path)
	if f == sqldb.FaultFull {
		var freed int64
		if s.reserve != nil {
			var rerr error
			if freed, rerr = s.reserve.Release(); rerr != nil {
				s.log.Error("give back the disk reserve", "path", s.reserve.Path, "err", rerr)
			}
		}
		// The WAL's blocks go back to the disk too, once copied into the
		// database: the commit then starts it afresh.
		_, ckErr := s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
		if freed > 0 || ckErr == nil {
			s.log.Warn("the disk is full: gave back the reserve and the WAL's space, and tried again", "path", s.path, "reserve_bytes", freed)
			err = sqldb.InTx(ctx, s.db, fn)
			f = sqldb.FaultAt(err, s.path)
		}
	}
	if f != sqldb.FaultNone {
		s.RaiseLocalProblem(f, err.Error())
		if f != sqldb.FaultOf(err) {
			// Only the file system told (a read-only remount under an
			// I/O error): say it with the error, for every layer.
			err = &DiskError{Fault: f, Path: s.path, Err: err}
		}
	}
	return s.checkDamage(ctx, err)
}

// DiskError is a storage failure of the machine under the database, in
// the words every layer uses: "the disk is full: /var/lib/lobbyline/k.db".
// The SQLite code stays in Err, for the log.
type DiskError struct {
	Fault sqldb.Fault
	Path  string
	Err   error
}

func (e *DiskError) Error() string { return fmt.Sprintf("%s: %s", e.Fault, e.Path) }

func (e *DiskError) Unwrap() error { return e.Err }

// diskError wraps err as a DiskError if it is a disk fault, else returns
// it as it is.
func diskError(path string, err error) error {
	var de *DiskError
	if f := sqldb.FaultAt(err, path); f != sqldb.FaultNone && !errors.As(err, &de) {
		return &DiskError{Fault: f, Path: path, Err: err}
	}
	return err
}

// FaultOf is what a store's error says of the disk: a DiskError's fault,
// else sqldb.FaultOf's.
func FaultOf(err error) sqldb.Fault {
	var de *DiskError
	if errors.As(err, &de) {
		return de.Fault
	}
	return sqldb.FaultOf(err)
}

// Reserve is a file of space kept back on the database's disk, so that
// when the disk fills the kiosk can give it back and go on saving
// check-ins while staff make room.
type Reserve struct {
	Path string
	Size int64 // bytes

	mu sync.Mutex
}

// DefaultReserveBytes is the reserve's default size: room for at least
// 2,000 check-ins (BytesPerCheckIn each, a whole visit) beside the WAL
// they pass through (WALAllowance), as TestReserveHolds2000CheckIns
// measures on a real small file system.
const DefaultReserveBytes = 12 << 20

// BytesPerCheckIn is what a visit adds to the database: its check-in,
// call and service or check-out, with their events, outbox rows and
// indexes. BenchmarkBytesPerVisit measured 4,352 bytes in use per visit
// (4.35 MB per 1,000); this is that rounded up to 4.5 KB. Staff mode
// divides the free space by it to say how many check-ins still fit.
const BytesPerCheckIn = 4608

// WALAllowance is the space the WAL may take on top of the database:
// journal_size_limit, which a checkpoint leaves the WAL at most (one
// check-in's commit writes about 50 KB of WAL, which the checkpointer
// copies back a second later at a lobby's pace).
const WALAllowance = 1 << 20

// CheckInsThatFit is how many check-ins free bytes hold, once the WAL has
// its allowance.
func CheckInsThatFit(free uint64) int64 {
	if free <= WALAllowance {
		return 0
	}
	n := (free - WALAllowance) / BytesPerCheckIn
	if n > 1<<40 {
		n = 1 << 40
	}
	return int64(n) // #nosec G115 -- capped just above
}

// Held reports whether the reserve is on the disk at its full size.
func (r *Reserve) Held() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, err := os.Stat(r.Path)
	return err == nil && st.Size() >= r.Size
}

// Make writes the reserve file (real blocks, not a sparse file) if it is
// not there at its full size. The caller checks there is room: Make fills
// what it can and removes a reserve it could not finish, so the disk is
// left as it was.
func (r *Reserve) Make() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, err := os.Stat(r.Path); err == nil && st.Size() >= r.Size {
		return nil
	}
	f, err := os.OpenFile(r.Path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600) // #nosec G304 -- the reserve's path comes from the kiosk's config
	if err != nil {
		return fmt.Errorf("make disk reserve: %w", err)
	}
	buf := make([]byte, 64<<10)
	for left := r.Size; left > 0 && err == nil; left -= int64(len(buf)) {
		_, err = f.Write(buf[:min(left, int64(len(buf)))])
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(r.Path) // half a reserve would only take space
		return fmt.Errorf("make disk reserve: %w", err)
	}
	return nil
}

// Release removes the reserve and returns the bytes it gave back.
func (r *Reserve) Release() (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, err := os.Stat(r.Path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if err := os.Remove(r.Path); err != nil {
		return 0, err
	}
	return st.Size(), nil
}

package queue

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"lobbyline/queue/estimate"
	"lobbyline/queue/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options configure a Store. Services and Desks come from the kiosk config
// and are mirrored into the database on Open.
type Options struct {
	KioskID  string
	Services []Service
	Desks    []Desk
	// Languages are the kiosk's language codes, the first its default:
	// the staff language is one of them. Empty means English alone.
	Languages []string
	// FallbackPerVisitor is the time per visitor of a service with no
	// TimePerVisitor (nor DefaultWait) while there is no history.
	FallbackPerVisitor time.Duration
	// FallbackWait is the older name of FallbackPerVisitor, read when that
	// is zero.
	FallbackWait time.Duration
	Now          func() time.Time // defaults to time.Now
	Location     *time.Location   // the kiosk's day boundary; defaults to time.Local
	Logger       *slog.Logger
	// ManagedConfig: once the centre's configuration for the site has
	// been applied (ApplySiteConfig), its services and desks win over
	// Services and Desks, also after a restart. Without it (a kiosk with
	// no centre) the file's are used.
	ManagedConfig bool
	// CheckSettings, if set, says whether this kiosk can use the sections
	// of a site configuration besides its services and desks (ApplySiteConfig
	// refuses the version if not): the kiosk merges them over its file's.
	CheckSettings func(settings json.RawMessage) error
	// AfterWrite, if set, is called after each check-in or staff action
	// commits, on the caller's goroutine; the syncer uses it to push soon.
	// It must not block.
	AfterWrite func()
	// ReadOnly opens the database to read and never write it: no
	// migration, no set-up, no checkpoints, and writes fail. It reads a
	// database on a full or read-only disk, also while the kiosk runs
	// (see OpenReadOnly). A database that needs an upgrade or was never
	// set up is refused.
	ReadOnly bool
	// Reserve, if set, is the file of space kept back for check-ins: it is
	// given back the moment a commit fails for lack of space, and that
	// commit tried once more (see Reserve).
	Reserve *Reserve
}

// Store is the kiosk's durable state. It is safe for concurrent use, also
// by several processes on the same file.
type Store struct {
	db       *sql.DB
	path     string
	readOnly bool
	reserve  *Reserve
	problems problems // what stops this kiosk saving, if anything
	stmts    *stmtCache
	kioskID  string
	now      func() time.Time
	loc      *time.Location
	log      *slog.Logger
	after    func()
	secret   []byte
	// epoch is the last epoch this store read or started; writers read
	// the database's (currentEpoch), which another process may renew.
	epoch atomic.Int64
	// layout is the services and desks in use; ApplySiteConfig swaps it.
	layout atomic.Pointer[layout]
	// configMu: check-ins and staff actions hold it to read, so
	// ApplySiteConfig, which holds it to write, never changes the
	// services and desks in the middle of one.
	configMu      sync.RWMutex
	checkSettings func(json.RawMessage) error // Options.CheckSettings
	// languages are Options.Languages or SetLanguages', never empty.
	languages atomic.Pointer[[]string]

	mu        sync.Mutex // guards est and lastEvent
	est       *estimate.Estimator
	estCfg    estimate.Config
	lastEvent int64

	// damage is the EDamaged error once the store has seen its database
	// damaged (damage.go), nil before.
	damage atomic.Pointer[error]

	wrote chan struct{} // a commit happened; wakes checkpointLoop
	done  chan struct{}
	loop  sync.WaitGroup
}

// Open opens (creating if needed) the database at path, applies pending
// migrations and mirrors the configured services and desks.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if !ValidID(opts.KioskID) {
		return nil, fmt.Errorf("open store: kiosk id %q must be lower-case letters, digits and dashes", opts.KioskID)
	}
	s := &Store{
		kioskID:       opts.KioskID,
		now:           opts.Now,
		loc:           opts.Location,
		log:           opts.Logger,
		after:         opts.AfterWrite,
		checkSettings: opts.CheckSettings,
		wrote:         make(chan struct{}, 1),
		done:          make(chan struct{}),
		path:          path,
		readOnly:      opts.ReadOnly,
		reserve:       opts.Reserve,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.loc == nil {
		s.loc = time.Local
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.SetLanguages(opts.Languages)
	s.estCfg = estimate.Config{FallbackPerVisitor: cmp.Or(opts.FallbackPerVisitor, opts.FallbackWait)}
	s.setLayout(newLayout(0, opts.Services, opts.Desks, nil))

	if err := sqldb.CheckPlace(path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	var db *sql.DB
	var err error
	if opts.ReadOnly {
		db, err = openRead(ctx, path)
	} else {
		db, err = sql.Open("sqlite", sqldb.SQLiteDSN(path, pragmas...))
	}
	if err != nil {
		return nil, diskError(path, fmt.Errorf("open store %s: %w", path, err))
	}
	s.db = db
	s.stmts = newStmtCache(db)
	if err := s.init(ctx, opts); err != nil {
		_ = db.Close() // the init error is the one to report
		return nil, diskError(path, fmt.Errorf("open store %s: %w", path, err))
	}
	if !s.readOnly {
		s.loop.Add(1)
		// The loop lives as long as the store, not as Open's ctx: Close ends it.
		go s.checkpointLoop(context.WithoutCancel(ctx))
	}
	return s, nil
}

// openRead opens path to read only. It asks SQLite first in the ordinary
// way, which needs the -shm index the kiosk keeps beside the database
// while it runs (or room to make one). Where there is no room for it (a
// full or read-only disk), the main file alone is read, but only if it
// holds everything: its -wal empty and no program holding it open, since
// otherwise SQLite would silently return stale rows. Failing that it says
// so (sqldb.ErrNoSafeRead) and reads nothing.
func openRead(ctx context.Context, path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err // a read never creates the database
	}
	db, err := sql.Open("sqlite", sqldb.SQLiteReadDSN(path, false, readPragmas...))
	if err != nil {
		return nil, err
	}
	var n int
	err = db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n)
	if err == nil {
		return db, nil
	}
	_ = db.Close() // replaced below, or err is the one to report
	if f := sqldb.FaultAt(err, path); f != sqldb.FaultFull && f != sqldb.FaultReadOnly && f != sqldb.FaultIO {
		return nil, err
	}
	quiet, why, qerr := sqldb.Quiet(path)
	switch {
	case qerr != nil:
		return nil, errors.Join(err, qerr)
	case !quiet:
		// The SQLite code is not part of the message: the words are.
		return nil, fmt.Errorf("%w: %s, and SQLite cannot make the index it needs to read them here (%s). Free some space on that disk, or copy %s and %s to another disk and read the copy there",
			sqldb.ErrNoSafeRead, why, sqldb.FaultAt(err, path), path, path+"-wal")
	}
	return sql.Open("sqlite", sqldb.SQLiteReadDSN(path, true, readPragmas...))
}

// readPragmas run on a read-only opening's connections.
var readPragmas = []string{"busy_timeout(10000)"}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// ReadOnly reports whether the store was opened to read only.
func (s *Store) ReadOnly() bool { return s.readOnly }

// checkpointInterval spaces background checkpoints while writes go on,
// and is how long the store must go without a commit to count as idle.
const checkpointInterval = time.Second

// truncateRetryMax bounds the wait between tries to truncate the WAL
// while a reader holds it.
const truncateRetryMax = 30 * time.Second

// truncateBusyTimeout is how long one try to truncate the WAL waits for
// readers and writers. It is short because a truncating checkpoint that
// waits holds writers back meanwhile: a visitor's check-in must not wait
// for a quick check or a snapshot to finish.
const truncateBusyTimeout = 100 * time.Millisecond

// errWALInUse is a truncation that found the WAL still being read.
var errWALInUse = errors.New("the WAL is in use")

// checkpointLoop copies the WAL back into the database file while commits
// come, at most once per checkpointInterval (a PASSIVE checkpoint never
// blocks writers, so check-ins do not wait for it), and once a
// checkpointInterval passes with no commit truncates the WAL, giving its
// blocks back to the disk.
func (s *Store) checkpointLoop(ctx context.Context) {
	defer s.loop.Done()
	for {
		select {
		case <-s.done:
			return
		case <-s.wrote:
		}
		for idle := false; !idle; {
			s.passiveCheckpoint()
			select {
			case <-s.done:
				return
			case <-time.After(checkpointInterval):
			}
			select {
			case <-s.wrote: // more commits: copy again
			default:
				idle = true
			}
		}
		if !s.truncateWhenIdle(ctx) {
			return
		}
	}
}

// truncateWhenIdle truncates the WAL. A long reader (a quick check, a
// snapshot, a backup) holds the WAL as long as it reads: the truncation
// is tried again, at doubling intervals up to truncateRetryMax, so the
// WAL is given back soon after the reader ends whether or not anything
// is written after it. A commit meanwhile hands back to checkpointLoop.
// It reports false once the store is closing.
func (s *Store) truncateWhenIdle(ctx context.Context) bool {
	for wait := checkpointInterval; ; wait = min(2*wait, truncateRetryMax) {
		err := s.truncateWAL(ctx)
		if err == nil {
			return true
		}
		if !errors.Is(err, errWALInUse) {
			s.log.Warn("wal checkpoint", "err", err)
			return true // the next commit tries again
		}
		select {
		case <-s.done:
			return false
		case <-s.wrote:
			s.wroteCommit() // for checkpointLoop, which comes back here once idle
			return true
		case <-time.After(wait):
		}
	}
}

// passiveCheckpoint copies what of the WAL no reader still needs.
func (s *Store) passiveCheckpoint() {
	var busy, frames, copied int
	if err := s.db.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		s.log.Warn("wal checkpoint", "err", err)
	}
}

// truncateWAL tries once to copy the WAL into the database and truncate
// it, waiting at most truncateBusyTimeout for readers and writers; it
// fails with errWALInUse when they outlast that.
func (s *Store) truncateWAL(ctx context.Context) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout(%d)", truncateBusyTimeout.Milliseconds())); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer func() {
		// The connection goes back to the pool with the store's own
		// timeout, or not at all.
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA busy_timeout(10000)"); rerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	var busy, frames, copied int
	err = conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &copied)
	switch {
	case sqldb.IsBusy(err) || err == nil && busy != 0:
		return fmt.Errorf("checkpoint: %w (%d of %d pages copied)", errWALInUse, copied, frames)
	case err != nil:
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// Checkpoint copies the WAL into the database and truncates it, giving
// its blocks back to the disk, as the kiosk does once idle. It waits for
// readers and writers under way (busy_timeout), and fails with
// SQLITE_BUSY if they outlast that.
func (s *Store) Checkpoint(ctx context.Context) error {
	if s.readOnly {
		return ErrReadOnlyStore
	}
	var busy, frames, copied int
	if err := s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &copied); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint: %w (%d of %d pages copied)", errWALInUse, copied, frames)
	}
	return nil
}

// wroteCommit tells the checkpointer there is new WAL to copy.
func (s *Store) wroteCommit() {
	select {
	case s.wrote <- struct{}{}:
	default:
	}
}

// pragmas run on every pooled connection. Checkpoints run in the
// background (checkpointLoop), not inside whichever visitor's commit
// crosses SQLite's threshold.
// journal_size_limit bounds the WAL a checkpoint leaves behind (1 MB).
var pragmas = []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)", "wal_autocheckpoint(0)", "journal_size_limit(1048576)"}

func (s *Store) init(ctx context.Context, opts Options) error {
	m := sqldb.Migrations{FS: migrations, Glob: "migrations/*.sql", Table: "migrations", TableOptions: " STRICT", Now: s.now}
	if s.readOnly {
		pending, err := m.Pending(ctx, s.db)
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			return fmt.Errorf("the database needs an upgrade (%s), which writes, and it is opened to read only: open it once with space to write", pending[0])
		}
	} else {
		if err := m.Apply(ctx, s.db); err != nil {
			return err
		}
		if err := s.vacuumIfDue(ctx); err != nil {
			return err
		}
	}
	// Read first: a database already set up for this config opens
	// without a write, so staff can still read it on a full disk.
	var need bool
	err := sqldb.InTxOpts(ctx, s.db, &sql.TxOptions{ReadOnly: true}, func(tx *sql.Tx) error {
		var err error
		need, err = s.setUp(ctx, tx, opts, false)
		return err
	})
	if err == nil && need && s.readOnly {
		err = errors.New("the database was never set up: open it once with space to write")
	}
	if err == nil && need {
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			_, err := s.setUp(ctx, tx, opts, true)
			return err
		})
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.est = estimate.New(s.estCfg)
	s.mu.Unlock()
	return s.warmEstimator(ctx)
}

// setUp reads the kiosk's identity, secret and epoch and the services and
// desks in use. With write it stores what is missing (a new database),
// starts a new epoch after a restore and mirrors the config's services and
// desks; without, it reports whether any of that is needed.
func (s *Store) setUp(ctx context.Context, tx *sql.Tx, opts Options, write bool) (need bool, err error) {
	meta := func(key, def string) (string, error) {
		if write {
			return ensureMeta(ctx, tx, key, def)
		}
		return getMeta(ctx, tx, key)
	}
	id, err := meta("kiosk_id", s.kioskID)
	if err != nil {
		return false, err
	}
	if id != s.kioskID && (write || id != "") {
		return false, fmt.Errorf("this database belongs to kiosk %q but the config says %q", id, s.kioskID)
	}
	secret, err := meta("ticket_secret", randomHex(32))
	if err != nil {
		return false, err
	}
	// The epoch tells this database's mutations apart from those of an
	// earlier database of the same kiosk (re-installed, disk replaced),
	// whose sequence numbers started from 1 too.
	epoch, err := meta("epoch", fmt.Sprint(randomEpoch()))
	if err != nil {
		return false, err
	}
	if id == "" || secret == "" || epoch == "" {
		return true, nil
	}
	if s.secret, err = hex.DecodeString(secret); err != nil {
		return false, fmt.Errorf("ticket secret: %w", err)
	}
	var n int64
	if _, err := fmt.Sscan(epoch, &n); err != nil {
		return false, fmt.Errorf("epoch %q: %w", epoch, err)
	}
	s.epoch.Store(n)
	if write {
		if err := s.renewIfRestored(ctx, tx); err != nil {
			return false, err
		}
	} else if mark, err := getMeta(ctx, tx, metaRenewEpoch); err != nil || mark != "" {
		need = true
		if err != nil {
			return false, err
		}
	}
	l := newLayout(0, opts.Services, opts.Desks, nil)
	if opts.ManagedConfig {
		managed, ok, err := storedSiteConfig(ctx, tx)
		if err != nil {
			return false, err
		}
		if ok {
			l = managed
		}
	}
	s.setLayout(l)
	if write {
		return false, mirrorConfig(ctx, tx, l.Services(), l.Desks())
	}
	same, err := configMirrored(ctx, tx, l.Services(), l.Desks())
	return need || !same, err
}

// vacuumIfDue rebuilds the file when a migration deleted what must not
// linger on the disk (0005: the plain-text watch-list), then truncates
// the WAL that held the rebuild.
func (s *Store) vacuumIfDue(ctx context.Context) error {
	var due string
	if err := s.db.QueryRowContext(ctx, "SELECT coalesce((SELECT value FROM meta WHERE key = 'vacuum_due'), '')").Scan(&due); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	if due == "" {
		return nil
	}
	for _, q := range []string{"VACUUM", "DELETE FROM meta WHERE key = 'vacuum_due'", "PRAGMA wal_checkpoint(TRUNCATE)"} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("vacuum: %w", err)
		}
	}
	return nil
}

// Close stops the checkpointer and closes the database; SQLite checkpoints
// the WAL as the last connection closes.
func (s *Store) Close() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	close(s.done)
	s.loop.Wait()
	s.stmts.close()
	return s.db.Close()
}

// Services returns the services in use in config order.
func (s *Store) Services() []Service { return s.layout.Load().Services() }

// Desks returns the desks in use in config order.
func (s *Store) Desks() []Desk { return s.layout.Load().Desks() }

// Service returns a service in use by ID.
func (s *Store) Service(id string) (Service, bool) {
	svc, ok := s.layout.Load().services[id]
	return svc, ok
}

// IntegrityCheck runs SQLite's integrity check and returns its verdict
// ("ok" when the file is sound).
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	var res string
	if err := s.db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return "", fmt.Errorf("integrity check: %w", err)
	}
	return res, nil
}

// mirrorConfig makes the services and desks tables match the config,
// keeping rows the config no longer names as inactive.
func mirrorConfig(ctx context.Context, tx *sql.Tx, services []Service, desks []Desk) error {
	stmts := []string{"UPDATE services SET active = 0", "UPDATE desks SET active = 0", "DELETE FROM desk_services"}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("mirror config: %w", err)
		}
	}
	for i, svc := range services {
		_, err := tx.ExecContext(ctx, `INSERT INTO services (id, prefix, name, position, active) VALUES (?, ?, ?, ?, 1)
			ON CONFLICT (id) DO UPDATE SET prefix = excluded.prefix, name = excluded.name, position = excluded.position, active = 1`,
			svc.ID, svc.Prefix, svc.Name, i)
		if err != nil {
			return fmt.Errorf("mirror service %s: %w", svc.ID, err)
		}
	}
	for i, d := range desks {
		_, err := tx.ExecContext(ctx, `INSERT INTO desks (id, name, position, active) VALUES (?, ?, ?, 1)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, position = excluded.position, active = 1`,
			d.ID, d.Name, i)
		if err != nil {
			return fmt.Errorf("mirror desk %s: %w", d.ID, err)
		}
		for _, svc := range d.Services {
			if _, err := tx.ExecContext(ctx, "INSERT INTO desk_services (desk_id, service_id) VALUES (?, ?)", d.ID, svc); err != nil {
				return fmt.Errorf("mirror desk %s service %s: %w", d.ID, svc, err)
			}
		}
	}
	// A desk the config dropped cannot stay open.
	_, err := tx.ExecContext(ctx, "UPDATE desks SET open = 0 WHERE active = 0")
	return err
}

// configMirrored reports whether the services and desks tables already
// say what mirrorConfig would make them say.
func configMirrored(ctx context.Context, tx *sql.Tx, services []Service, desks []Desk) (bool, error) {
	var want, got []string
	for i, svc := range services {
		want = append(want, fmt.Sprintf("s\x00%s\x00%s\x00%s\x00%d", svc.ID, svc.Prefix, svc.Name, i))
	}
	for i, d := range desks {
		want = append(want, fmt.Sprintf("d\x00%s\x00%s\x00%d", d.ID, d.Name, i))
		for _, svc := range d.Services {
			want = append(want, fmt.Sprintf("x\x00%s\x00%s", d.ID, svc))
		}
	}
	// Rows the config no longer names are inactive (and such desks
	// closed), so they do not appear here.
	rows, err := tx.QueryContext(ctx, `SELECT 's' || char(0) || id || char(0) || prefix || char(0) || name || char(0) || position FROM services WHERE active = 1
		UNION ALL SELECT 'd' || char(0) || id || char(0) || name || char(0) || position FROM desks WHERE active = 1
		UNION ALL SELECT 'x' || char(0) || desk_id || char(0) || service_id FROM desk_services
		UNION ALL SELECT 'open inactive' FROM desks WHERE active = 0 AND open = 1`)
	if err != nil {
		return false, fmt.Errorf("read config: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return false, fmt.Errorf("read config: %w", err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("read config: %w", err)
	}
	slices.Sort(want)
	slices.Sort(got)
	return slices.Equal(want, got), nil
}

// ensureMeta returns the value stored under key, storing def first if the
// key is new.
func ensureMeta(ctx context.Context, tx *sql.Tx, key, def string) (string, error) {
	if _, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", key, def); err != nil {
		return "", fmt.Errorf("meta %s: %w", key, err)
	}
	return getMeta(ctx, tx, key)
}

func getMeta(ctx context.Context, tx *sql.Tx, key string) (string, error) {
	var v string
	err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("meta %s: %w", key, err)
	}
	return v, nil
}

func setMeta(ctx context.Context, tx *sql.Tx, key, value string) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)
	if err != nil {
		return fmt.Errorf("meta %s: %w", key, err)
	}
	return nil
}

// nullTime formats t, or returns nil for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return sqldb.FormatTime(t)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}

func (s *Store) day(t time.Time) string { return t.In(s.loc).Format("2006-01-02") }

// randomEpoch is a positive 53-bit number, exact in JSON numbers too.
func randomEpoch() int64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return int64(binary.BigEndian.Uint64(b[:])>>11) + 1
}

// afterWrite runs the AfterWrite hook, if any.
func (s *Store) afterWrite() {
	if s.after != nil {
		s.after()
	}
}

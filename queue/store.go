package queue

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
}

// Store is the kiosk's durable state. It is safe for concurrent use, also
// by several processes on the same file.
type Store struct {
	db      *sql.DB
	stmts   *stmtCache
	kioskID string
	now     func() time.Time
	loc     *time.Location
	log     *slog.Logger
	after   func()
	secret  []byte
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
	db, err := sql.Open("sqlite", sqldb.SQLiteDSN(path, pragmas...))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.db = db
	s.stmts = newStmtCache(db)
	if err := s.init(ctx, opts); err != nil {
		_ = db.Close() // the init error is the one to report
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s.loop.Add(1)
	go s.checkpointLoop()
	return s, nil
}

// checkpointInterval spaces background checkpoints while writes go on.
const checkpointInterval = time.Second

// checkpointLoop copies the WAL back into the database file after writes,
// at most once per checkpointInterval. A PASSIVE checkpoint never blocks
// writers, so check-ins do not wait for it.
func (s *Store) checkpointLoop() {
	defer s.loop.Done()
	for {
		select {
		case <-s.done:
			return
		case <-s.wrote:
		}
		var busy, frames, copied int
		if err := s.db.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
			s.log.Warn("wal checkpoint", "err", err)
		}
		select {
		case <-s.done:
			return
		case <-time.After(checkpointInterval):
		}
	}
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
var pragmas = []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)", "wal_autocheckpoint(0)"}

func (s *Store) init(ctx context.Context, opts Options) error {
	m := sqldb.Migrations{FS: migrations, Glob: "migrations/*.sql", Table: "migrations", TableOptions: " STRICT", Now: s.now}
	if err := m.Apply(ctx, s.db); err != nil {
		return err
	}
	if err := s.vacuumIfDue(ctx); err != nil {
		return err
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		id, err := ensureMeta(ctx, tx, "kiosk_id", s.kioskID)
		if err != nil {
			return err
		}
		if id != s.kioskID {
			return fmt.Errorf("this database belongs to kiosk %q but the config says %q", id, s.kioskID)
		}
		secret, err := ensureMeta(ctx, tx, "ticket_secret", randomHex(32))
		if err != nil {
			return err
		}
		if s.secret, err = hex.DecodeString(secret); err != nil {
			return fmt.Errorf("ticket secret: %w", err)
		}
		// The epoch tells this database's mutations apart from those of an
		// earlier database of the same kiosk (re-installed, disk replaced),
		// whose sequence numbers started from 1 too.
		epoch, err := ensureMeta(ctx, tx, "epoch", fmt.Sprint(randomEpoch()))
		if err != nil {
			return err
		}
		var n int64
		if _, err := fmt.Sscan(epoch, &n); err != nil {
			return fmt.Errorf("epoch %q: %w", epoch, err)
		}
		s.epoch.Store(n)
		if err := s.renewIfRestored(ctx, tx); err != nil {
			return err
		}
		l := newLayout(0, opts.Services, opts.Desks, nil)
		if opts.ManagedConfig {
			managed, ok, err := storedSiteConfig(ctx, tx)
			if err != nil {
				return err
			}
			if ok {
				l = managed
			}
		}
		s.setLayout(l)
		return mirrorConfig(ctx, tx, l.Services(), l.Desks())
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.est = estimate.New(s.estCfg)
	s.mu.Unlock()
	return s.warmEstimator(ctx)
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

package queue_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"lobbyline/internal/cutfs"
	"lobbyline/queue"
	"lobbyline/queue/durable"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centredb"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/centre/sqlstore"
	"lobbyline/syncer/wire"
)

func TestMain(m *testing.M) {
	cutfs.ServeIfChild() // the power-cut test's file system runs in a child process
	os.Exit(m.Run())
}

// Knobs of the power-cut test, for a long run or a demonstration.
const (
	powerCutCutsEnv = "LOBBYLINE_POWERCUT_CUTS" // cuts (default 200)
	powerCutSeedEnv = "LOBBYLINE_POWERCUT_SEED" // the seed (default: the time)
	powerCutSyncEnv = "LOBBYLINE_POWERCUT_SYNC" // the kiosk store's PRAGMA synchronous (default FULL, as shipped)
)

// TestPowerCut runs a kiosk whose whole data directory (its database and
// WAL, the embedded centre's database and its token file) lives on cutfs,
// a file system that forgets on a power cut what a disk may forget:
// unsynced writes, unsynced directory entries, and a sector-torn last
// write. It drives the store the way the kiosk does (check-ins, call-next,
// no-show, transfer, open and close desk, sync to the centre over
// loopback HTTP, checkpoints, backups, the end-of-day close and the
// purge), cuts
// the power at a random moment (the n-th change to the disk, n drawn from
// the seed, so cuts land in commits, checkpoints, syncs and start-up
// alike, or while idle), mounts what survived and starts the kiosk again,
// then checks that:
//
//   - the kiosk and its centre start on their own, and integrity_check is ok;
//   - the last backup that returned is there, whole;
//   - every ticket shown (CheckIn returned) is there, with the state of the
//     last staff action that returned;
//   - at the end, after syncing, the centre holds each of the kiosk's
//     changes exactly once: the same names (kiosk, epoch, seq) as the
//     outbox, none refused, one check-in per visit.
//
// Acknowledged or in flight: an operation that returned without error is
// acknowledged, even if the cut came between its last fsync and its
// return (then what it wrote is on the disk). After the cut the disk fails
// everything with EIO, so an operation that returns success later wrote
// nothing after the cut. The one operation that failed because of the cut
// was in flight: it may or may not have landed, so the visits it could
// touch may be found in either state (and a check-in in flight may have
// made one visit nobody was shown).
//
// It fails when the store acknowledges what the disk has not kept; each
// was tried with LOBBYLINE_POWERCUT_SEED=1, 2 and 3:
//
//   - LOBBYLINE_POWERCUT_SYNC=NORMAL (a WAL commit is not fsynced, only a
//     checkpoint is): failed at cut 1 or 2 every time, a ticket shown and
//     gone ("ticket P-001 (visit 1) was shown but is gone") or a visit
//     back in an earlier state (acknowledged cancelled, found waiting);
//   - LOBBYLINE_POWERCUT_SYNC=OFF: failed at cut 1 every time, the same way;
//   - queue/durable.SyncDir made a no-op (the atomic write's rename and the
//     backup's new file not made durable): failed at cut 19, 5 and 20, a
//     backup that returned holding fewer visits after the cut than when
//     it was taken, or none.
//
// With FULL, as shipped, it passes.
func TestPowerCut(t *testing.T) {
	if testing.Short() {
		t.Skip("power-cut test skipped in -short mode")
	}
	cuts := envInt(t, powerCutCutsEnv, 200)
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(powerCutSeedEnv); v != "" {
		seed = uint64(envInt(t, powerCutSeedEnv, 0))
	}
	if mode := os.Getenv(powerCutSyncEnv); mode != "" {
		defer queue.SetSynchronousForTest(mode)()
	}
	t.Logf("seed %d (rerun with %s=%d), %d cuts", seed, powerCutSeedEnv, seed, cuts)
	r := newPowerCutRun(t, seed)
	start := time.Now()
	for i := range cuts {
		r.cycle(i)
		if t.Failed() {
			t.Fatalf("seed %d: failed in cut %d", seed, i)
		}
		if (i+1)%1000 == 0 {
			t.Logf("%d cuts in %s", i+1, time.Since(start).Round(time.Second))
		}
	}
	r.finish()
	t.Logf("%d cuts in %s: %s", cuts, time.Since(start).Round(time.Millisecond), r.stats)
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// ack is a visit as the last operation that returned left it.
type ack struct {
	ticket, day, service, desk string
	status                     queue.Status
}

// powerCutStats count what the run did.
type powerCutStats struct {
	cuts, inStart, inOp, idle, torn, lostFiles int
	acked, checkIns, syncs, inFlightLanded     int
	startTime, remountTime                     time.Duration // spent starting the kiosk, and stopping it and mounting again
}

func (s powerCutStats) String() string {
	return fmt.Sprintf("%d cuts (%d during start-up, %d in an operation, %d idle; %d torn writes, %d files lost unsynced writes), %d operations acknowledged (%d check-ins, %d syncs), %d in-flight operations found landed; %s starting, %s stopping and remounting",
		s.cuts, s.inStart, s.inOp, s.idle, s.torn, s.lostFiles, s.acked, s.checkIns, s.syncs, s.inFlightLanded, s.startTime.Round(time.Millisecond), s.remountTime.Round(time.Millisecond))
}

type powerCutRun struct {
	t     *testing.T
	rng   *rand.Rand
	dir   string
	disk  *cutfs.Child
	clock *clock
	stats powerCutStats

	model map[int64]ack
	// backup is how many visits the last backup that returned holds (-1:
	// none yet); backupInFlight, whether a backup was cut short since.
	backup         int
	backupInFlight bool
	// inFlight: the visits the operation cut short could have touched
	// (all: every visit), and whether it was a check-in.
	inFlight        map[int64]bool
	inFlightAll     bool
	inFlightCheckIn bool

	// The running kiosk.
	store  *queue.Store
	cstore *sqlstore.Store
	srv    *httptest.Server
	sync   *syncer.Syncer
}

func newPowerCutRun(t *testing.T, seed uint64) *powerCutRun {
	dir := t.TempDir()
	disk, err := cutfs.Start(dir, seed)
	if errors.Is(err, cutfs.ErrMount) {
		t.Skipf("power-cut test needs a FUSE mount (root and /dev/fuse): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := &powerCutRun{t: t, rng: rand.New(rand.NewPCG(seed, 15)), dir: dir, disk: disk, clock: newClock(), model: map[int64]ack{}, backup: -1}
	t.Cleanup(func() {
		r.stop()
		if err := disk.Close(); err != nil {
			t.Errorf("cutfs: %v", err)
		}
	})
	return r
}

const powerCutKiosk = "lobby-1"

// start starts the kiosk as cmd/kiosk does with the embedded centre: the
// centre's store and token beside the database, then the kiosk's store
// and its syncer. It returns the first error.
func (r *powerCutRun) start(ctx context.Context) error {
	cstore, err := centredb.Open(ctx, filepath.Join(r.dir, "central.db"), centredb.Options{Now: r.clock.Now})
	if err != nil {
		return fmt.Errorf("open the centre: %w", err)
	}
	r.cstore = cstore
	svc := centre.New(cstore, centre.Options{Now: r.clock.Now})
	token, err := r.token(ctx, svc)
	if err != nil {
		return err
	}
	r.srv = httptest.NewServer(centre.NewServer(svc, centre.ServerOptions{}))
	opts := testOptions(r.clock)
	opts.KioskID = powerCutKiosk
	if r.store, err = queue.Open(ctx, filepath.Join(r.dir, powerCutKiosk+".db"), opts); err != nil {
		return fmt.Errorf("open the store: %w", err)
	}
	client, err := syncer.NewClient(r.srv.URL, "north", token, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	r.sync = syncer.New(r.store, client, syncer.Config{})
	return nil
}

// token is the embedded centre's token for the kiosk: the one in its file,
// or, on first start, a new enrolment saved with queue/durable. A token
// file that was written once must survive: the test does not enrol again.
func (r *powerCutRun) token(ctx context.Context, svc *centre.Service) (string, error) {
	path := filepath.Join(r.dir, powerCutKiosk+".central-token")
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		token := strings.TrimSpace(string(b))
		if _, err := svc.Authenticate(ctx, token); err != nil {
			return "", fmt.Errorf("the token file %q is not the centre's: %w", b, err)
		}
		return token, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", err
	}
	if err := svc.AddSite(ctx, "north", "North"); err != nil {
		return "", err
	}
	token, err := svc.Enroll(ctx, "north", powerCutKiosk, "Lobby 1", centretest.IT)
	if err != nil {
		return "", err
	}
	if err := durable.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("save the token: %w", err)
	}
	return token, nil
}

// stop closes what start opened; after a cut every close may fail.
func (r *powerCutRun) stop() {
	if r.srv != nil {
		r.srv.Close()
		r.srv = nil
	}
	if r.store != nil {
		_ = r.store.Close()
		r.store = nil
	}
	if r.cstore != nil {
		_ = r.cstore.Close()
		r.cstore = nil
	}
	r.sync = nil
}

func (r *powerCutRun) dead() bool {
	r.t.Helper()
	dead, err := r.disk.Dead()
	if err != nil {
		r.t.Fatalf("cutfs: %v", err)
	}
	return dead
}

// cycle is one life of the kiosk: start, check, work, cut, mount again.
func (r *powerCutRun) cycle(i int) {
	t := r.t
	ctx := context.Background()
	r.clock.Advance(time.Minute)
	// Sometimes the cut comes during start-up (open, migrations, the
	// centre's store, the token).
	early := r.rng.IntN(4) == 0
	if early {
		r.arm(1 + r.rng.IntN(40))
	}
	begin := time.Now()
	err := r.start(ctx)
	r.stats.startTime += time.Since(begin)
	switch {
	case err != nil && r.dead():
		r.stats.inStart++
		r.cut(i)
		return
	case err != nil:
		t.Fatalf("cut %d: the kiosk does not start after the power came back: %v", i, err)
	}
	// Check with the power steady: reads do not count, but the
	// checkpointer may write.
	r.arm(0)
	if r.dead() {
		r.stats.inStart++
		r.cut(i)
		return
	}
	r.check(ctx, i)
	r.arm(1 + r.rng.IntN(300))
	for range 1 + r.rng.IntN(12) {
		if !r.step(ctx, i) {
			r.stats.inOp++
			r.cut(i)
			return
		}
	}
	r.stats.idle++
	r.cut(i)
}

func (r *powerCutRun) arm(n int) {
	if err := r.disk.Arm(n); err != nil {
		r.t.Fatalf("cutfs: %v", err)
	}
}

// cut cuts the power (if the disk has not cut itself), stops the kiosk and
// mounts what the disk kept.
func (r *powerCutRun) cut(i int) {
	st, err := r.disk.Cut()
	if err != nil {
		r.t.Fatalf("cutfs: %v", err)
	}
	r.stats.cuts++
	r.stats.lostFiles += st.LostFiles
	if st.Torn {
		r.stats.torn++
	}
	begin := time.Now()
	r.stop()
	if err := r.disk.Remount(); err != nil {
		r.t.Fatalf("cut %d: %v", i, err)
	}
	r.stats.remountTime += time.Since(begin)
}

// check compares the restarted kiosk with the model.
func (r *powerCutRun) check(ctx context.Context, i int) {
	t := r.t
	s := r.store
	if res, err := s.IntegrityCheck(ctx); err != nil || res != "ok" {
		t.Fatalf("cut %d: integrity_check = %q, %v", i, res, err)
	}
	visits, err := s.VisitsForTest(ctx)
	if err != nil {
		t.Fatalf("cut %d: %v", i, err)
	}
	touched := func(id int64) bool { return r.inFlightAll || r.inFlight[id] }
	tickets := map[string]int64{}
	for id, a := range r.model {
		v, ok := visits[id]
		if !ok {
			t.Errorf("cut %d: ticket %s (visit %d) was shown but is gone after the power cut", i, a.ticket, id)
			continue
		}
		if v.Ticket != a.ticket || v.Day != a.day {
			t.Errorf("cut %d: visit %d was shown as %s on %s, is %s on %s", i, id, a.ticket, a.day, v.Ticket, v.Day)
		}
		if got := ackOf(v); got != a {
			if !touched(id) {
				t.Errorf("cut %d: visit %d (%s) was acknowledged as %+v, is %+v after the power cut", i, id, a.ticket, a, got)
			} else {
				r.stats.inFlightLanded++
			}
			r.model[id] = got
		}
	}
	var extra []int64
	for id, v := range visits {
		key := v.Day + " " + v.Ticket
		if other, dup := tickets[key]; dup {
			t.Errorf("cut %d: ticket %s issued to visits %d and %d", i, key, other, id)
		}
		tickets[key] = id
		if _, ok := r.model[id]; !ok {
			extra = append(extra, id)
			r.model[id] = ackOf(v)
		}
	}
	if len(extra) > 1 || (len(extra) == 1 && !r.inFlightCheckIn) {
		t.Errorf("cut %d: visits %v are on disk but no check-in was shown or in flight (in flight: check-in %t)", i, extra, r.inFlightCheckIn)
	}
	r.stats.inFlightLanded += len(extra)
	r.checkBackup(ctx, i)
	r.inFlight, r.inFlightAll, r.inFlightCheckIn = nil, false, false
}

func (r *powerCutRun) backupPath() string { return filepath.Join(r.dir, "backup.db") }

// checkBackup checks that the last backup that returned is there, whole,
// with the visits it was taken with (or, after a backup cut short, the
// old backup or the new one).
func (r *powerCutRun) checkBackup(ctx context.Context, i int) {
	t := r.t
	if r.backup < 0 {
		return
	}
	db, err := sql.Open("sqlite", "file:"+r.backupPath()+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	var n int
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Errorf("cut %d: the backup that returned is not whole: %q, %v", i, res, err)
		return
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM visits").Scan(&n); err != nil {
		t.Errorf("cut %d: the backup that returned: %v", i, err)
		return
	}
	if n != r.backup && !r.backupInFlight {
		t.Errorf("cut %d: the backup that returned held %d visits, after the cut it holds %d", i, r.backup, n)
	}
	r.backup, r.backupInFlight = n, false
}

func ackOf(v queue.Visit) ack {
	return ack{ticket: v.Ticket, day: v.Day, service: v.Service, desk: v.Desk, status: v.Status}
}

var powerCutServices = []string{"registration", "pharmacy", "visit"}
var powerCutDesks = []string{"desk-1", "desk-2"}

// step runs one operation, as the kiosk's screens, syncer and jobs do. It
// returns false once the power is cut.
func (r *powerCutRun) step(ctx context.Context, i int) bool {
	t := r.t
	s := r.store
	var touch []int64 // the visits the operation may change
	all := false
	byStatus := func(st queue.Status, desk string) []int64 {
		var ids []int64
		for id, a := range r.model {
			if a.status == st && (desk == "" || a.desk == desk) {
				ids = append(ids, id)
			}
		}
		return ids
	}
	pick := func(ids []int64) int64 {
		if len(ids) == 0 {
			return 0
		}
		return ids[r.rng.IntN(len(ids))]
	}
	var op func() error
	checkIn := false
	name := "?"
	switch p := r.rng.IntN(100); {
	case p < 35:
		name = "check-in"
		checkIn = true
		op = func() error {
			tk, err := s.CheckIn(ctx, queue.CheckInForm{Name: fmt.Sprintf("Zoë %d", r.rng.IntN(1000)), Service: powerCutServices[r.rng.IntN(3)]}, queue.SourceKiosk)
			if err == nil {
				r.stats.checkIns++
				v := tk.Visit
				r.model[v.ID] = ackOf(v)
			}
			return err
		}
	case p < 50:
		name = "call-next"
		desk := powerCutDesks[r.rng.IntN(2)]
		touch = append(byStatus(queue.StatusWaiting, ""), byStatus(queue.StatusCalled, desk)...)
		op = func() error {
			_, err := s.Apply(ctx, queue.Command{Action: queue.ActCallNext, Desk: desk, Staff: "Ana"})
			return err
		}
	case p < 55:
		name = "open-desk"
		desk := powerCutDesks[r.rng.IntN(2)]
		op = func() error {
			_, err := s.Apply(ctx, queue.Command{Action: queue.ActOpenDesk, Desk: desk, Staff: "Ana"})
			return err
		}
	case p < 57:
		name = "close-desk"
		desk := powerCutDesks[r.rng.IntN(2)]
		touch = byStatus(queue.StatusCalled, desk)
		op = func() error {
			_, err := s.Apply(ctx, queue.Command{Action: queue.ActCloseDesk, Desk: desk})
			return err
		}
	case p < 64:
		name = "no-show"
		id := pick(byStatus(queue.StatusCalled, ""))
		touch = []int64{id}
		op = func() error {
			_, err := s.Apply(ctx, queue.Command{Action: queue.ActNoShow, Visit: id, Staff: "Ana"})
			return err
		}
	case p < 71:
		name = "transfer"
		id := pick(byStatus(queue.StatusWaiting, ""))
		touch = []int64{id}
		op = func() error {
			_, err := s.Apply(ctx, queue.Command{Action: queue.ActTransfer, Visit: id, Service: powerCutServices[r.rng.IntN(3)], Staff: "Ana"})
			return err
		}
	case p < 83:
		name = "sync"
		op = func() error {
			err := r.sync.Sync(ctx)
			if err == nil {
				r.stats.syncs++
			}
			return err
		}
	case p < 88:
		name = "backup"
		force := r.backup >= 0 // kiosk backup FILE refuses to replace a file without --force
		op = func() error {
			err := s.Backup(ctx, r.backupPath(), force)
			if err == nil {
				r.backup = len(r.model)
			} else {
				r.backupInFlight = true
			}
			return err
		}
	case p < 93:
		name = "checkpoint"
		mode := "PASSIVE"
		if r.rng.IntN(3) == 0 {
			mode = "TRUNCATE"
		}
		op = func() error { return s.CheckpointForTest(ctx, mode) }
	case p < 96:
		name = "close-day"
		all = true
		op = func() error {
			_, err := s.CloseDay(ctx)
			if err == nil {
				r.clock.Advance(24 * time.Hour) // the next check-in is tomorrow's
			}
			return err
		}
	default:
		name = "purge"
		op = func() error {
			_, err := s.Purge(ctx, r.clock.Now())
			return err
		}
	}
	r.clock.Advance(time.Duration(1+r.rng.IntN(90)) * time.Second)
	err := op()
	if err == nil {
		r.stats.acked++
		// Read back what the operation did: that is its acknowledged state.
		if ids := r.touched(all, touch); len(ids) > 0 {
			visits, err := s.VisitsForTest(ctx)
			if err != nil && !r.dead() {
				t.Fatalf("cut %d: read back after %s: %v", i, name, err)
			}
			if err != nil {
				// The disk was cut after the operation returned, and the
				// store cannot read the visits: keep them as in flight.
				r.markInFlight(all, touch, false)
				return false
			}
			for _, id := range ids {
				if v, ok := visits[id]; ok {
					r.model[id] = ackOf(v)
				}
			}
		}
		return !r.dead()
	}
	if r.dead() {
		r.markInFlight(all, touch, checkIn)
		return false
	}
	var qe *queue.Error
	if errors.As(err, &qe) {
		return true // refused, and changed nothing
	}
	t.Fatalf("cut %d: %s with the power on: %v", i, name, err)
	return false
}

func (r *powerCutRun) touched(all bool, touch []int64) []int64 {
	if !all {
		return touch
	}
	var ids []int64
	for id := range r.model {
		ids = append(ids, id)
	}
	return ids
}

func (r *powerCutRun) markInFlight(all bool, touch []int64, checkIn bool) {
	r.inFlightAll, r.inFlightCheckIn = all, checkIn
	r.inFlight = map[int64]bool{}
	for _, id := range touch {
		r.inFlight[id] = true
	}
}

// finish starts the kiosk once more with the power steady, syncs until
// the outbox is empty and compares the centre with the outbox.
func (r *powerCutRun) finish() {
	t := r.t
	ctx := context.Background()
	r.arm(0)
	if err := r.start(ctx); err != nil {
		t.Fatalf("after the last cut the kiosk does not start: %v", err)
	}
	r.check(ctx, -1)
	var b queue.Backlog
	for range 20 {
		if err := r.sync.Sync(ctx); err != nil {
			t.Fatalf("the last sync: %v", err)
		}
		var err error
		if b, err = r.store.Backlog(ctx); err != nil {
			t.Fatal(err)
		}
		if b.Pending == 0 {
			break
		}
	}
	if b.Pending != 0 || b.Rejected != 0 {
		t.Fatalf("after syncing the backlog is %+v; want every change accepted", b)
	}
	outbox, err := r.store.OutboxForTest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type name struct {
		epoch, seq int64
		kind       string
	}
	kiosk := map[name]bool{}
	for _, o := range outbox {
		kiosk[name{o.Epoch, o.Seq, o.Kind}] = true
	}
	rows, err := r.cstore.DB().QueryContext(ctx, "SELECT epoch, seq, kind, status, reason, payload FROM mutations WHERE kiosk_id = ?", powerCutKiosk)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	atCentre := map[name]bool{}
	checkIns := map[[2]int64]int{}
	for rows.Next() {
		var n name
		var status, reason, payload string
		if err := rows.Scan(&n.epoch, &n.seq, &n.kind, &status, &reason, &payload); err != nil {
			t.Fatal(err)
		}
		if status != wire.StatusApplied {
			t.Errorf("the centre %s change %+v: %s", status, n, reason)
		}
		atCentre[n] = true
		if !kiosk[n] {
			t.Errorf("the centre holds change %+v, which the kiosk's outbox does not", n)
		}
		if n.kind == queue.KindCheckIn {
			var m queue.Mutation
			if err := json.Unmarshal([]byte(payload), &m); err != nil || m.Visit == nil {
				t.Fatalf("check-in %+v: %v", n, err)
			}
			checkIns[[2]int64{m.Visit.Epoch, m.Visit.ID}]++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for n := range kiosk {
		if !atCentre[n] {
			t.Errorf("the kiosk's change %+v never reached the centre", n)
		}
	}
	for v, n := range checkIns {
		if n != 1 {
			t.Errorf("the centre applied visit %v's check-in %d times", v, n)
		}
	}
	if len(checkIns) != len(r.model) {
		t.Errorf("the centre holds %d check-ins, the kiosk %d visits", len(checkIns), len(r.model))
	}
	t.Logf("the centre holds the kiosk's %d changes once each (%d check-ins)", len(kiosk), len(checkIns))
}

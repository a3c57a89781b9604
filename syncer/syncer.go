package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"lobbyline/queue"
	"lobbyline/queue/hlc"
	"lobbyline/syncer/wire"
)

// State is how well the kiosk reaches the centre.
type State string

// Connectivity states.
const (
	Online     State = "online"     // the last sync worked
	Degraded   State = "degraded"   // the centre answers, but with errors or "busy"
	Offline    State = "offline"    // the centre cannot be reached
	Unenrolled State = "unenrolled" // the centre refused this kiosk's token
	// KioskOutdated: the centre refused this kiosk's protocol as too old; the
	// kiosk needs an update.
	KioskOutdated State = "kiosk-outdated"
	// CentreOutdated: the centre speaks a protocol too old for this kiosk;
	// the centre needs an update.
	CentreOutdated State = "centre-outdated"
)

// Status is the syncer's view of connectivity, for staff and for the
// outage features built on it.
type Status struct {
	State       State
	Since       time.Time // when State began
	LastSuccess time.Time // zero if never
	LastAttempt time.Time
	LastError   string
	Backlog     int       // mutations not yet accepted by the centre
	Oldest      time.Time // creation time of the oldest of them
	Rejected    int       // mutations the centre refused: need attention
	// AwaitingCentre counts pending mutations held because the centre does
	// not yet apply their kind (AwaitingKind, the first of them): they go
	// once the centre is upgraded, in order, and nothing after them before.
	AwaitingCentre int
	AwaitingKind   string
	Skew           time.Duration
	// Epoch is the epoch this kiosk's changes now go in; Renewals counts
	// the new epochs this syncer started because the centre held other
	// changes under this kiosk's names (a database put back from a copy),
	// the last at Renewed.
	Epoch    int64
	Renewals int
	Renewed  time.Time
}

// SkewWarning is how far the kiosk clock may drift from the centre's
// before staff are told.
const SkewWarning = 5 * time.Minute

// ClockSkewed reports whether staff should be told about the kiosk clock.
func (s Status) ClockSkewed() bool { return s.Skew > SkewWarning || s.Skew < -SkewWarning }

// Config tunes the syncer. Zero values take the defaults shown.
type Config struct {
	MinInterval    time.Duration // 25 s: a sync runs at a random moment between
	MaxInterval    time.Duration // 35 s: these two after the last one
	AttemptTimeout time.Duration // 20 s for one pull-and-push attempt
	FirstRetry     time.Duration // 10 s: the first retry after losing the centre waits up to this, at random
	MaxBackoff     time.Duration // 5 min between retries at most, before ±50% jitter
	Batch          int           // 500 mutations per push at most
	Clock          clockwork.Clock
	Logger         *slog.Logger
}

// orDefault sets a duration left zero (or negative) to v.
func orDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

func (c *Config) defaults() {
	orDefault(&c.MinInterval, 25*time.Second)
	orDefault(&c.MaxInterval, 35*time.Second)
	orDefault(&c.AttemptTimeout, 20*time.Second)
	orDefault(&c.FirstRetry, 10*time.Second)
	orDefault(&c.MaxBackoff, 5*time.Minute)
	if c.Batch <= 0 || c.Batch > wire.MaxBatch {
		c.Batch = wire.MaxBatch
	}
	if c.Clock == nil {
		c.Clock = clockwork.NewRealClock()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Syncer moves a kiosk's outbox to the centre and the centre's data to
// the kiosk: pull first (so the newest watch-list is in place), then push.
type Syncer struct {
	store  *queue.Store
	client *Client
	cfg    Config
	log    *slog.Logger

	mu     sync.Mutex
	status Status
	subs   map[int]func(Status)
	nextID int

	sched   gocron.Scheduler
	job     gocron.Job
	kicking atomic.Bool
	again   atomic.Bool // a change was made since the running sync began
	stop    context.CancelFunc
	// kicks are the goroutines Kick started; Stop waits for them, and
	// none starts once stopped is set.
	kickMu  sync.Mutex
	kicks   sync.WaitGroup
	stopped bool

	wake   chan struct{}             // cuts a backoff wait short: the centre is back
	waking atomic.Bool               // a WakeSoon is on its way
	hold   atomic.Pointer[time.Time] // during a drill: no network until then

	// configSeen: the pulled site configuration was looked at since this
	// syncer started, so later pulls look again only when one brings it.
	configSeen atomic.Bool
}

// ErrHeld is the error of a sync attempted while a drill holds the outbox.
var ErrHeld = errors.New("syncer: drill in progress, changes held on the kiosk")

// New returns a syncer for store talking through client.
func New(store *queue.Store, client *Client, cfg Config) *Syncer {
	cfg.defaults()
	if client != nil && store != nil {
		client.config = store.ConfigVersion // the centre shows IT which version each kiosk runs
	}
	s := &Syncer{store: store, client: client, cfg: cfg, log: cfg.Logger, subs: make(map[int]func(Status)), wake: make(chan struct{}, 1)}
	s.status = Status{State: Offline, Since: cfg.Clock.Now()}
	return s
}

// Start runs the sync job: once now, then at a random point of every
// MinInterval–MaxInterval. Each run retries with exponential backoff
// until it succeeds (it never gives up) or the kiosk is unenrolled.
func (s *Syncer) Start(ctx context.Context) error {
	ctx, s.stop = context.WithCancel(ctx)
	sched, err := gocron.NewScheduler(gocron.WithClock(s.cfg.Clock), gocron.WithLogger(gocronLogger{s.log}))
	if err != nil {
		return fmt.Errorf("start syncer: %w", err)
	}
	job, err := sched.NewJob(gocron.DurationRandomJob(s.cfg.MinInterval, s.cfg.MaxInterval),
		gocron.NewTask(func() { s.run(ctx) }),
		gocron.WithSingletonMode(gocron.LimitModeReschedule),
		gocron.WithName("sync"),
		gocron.WithStartAt(gocron.WithStartImmediately()))
	if err != nil {
		return fmt.Errorf("start syncer: %w", err)
	}
	s.sched, s.job = sched, job
	s.refreshBacklog(ctx)
	sched.Start()
	return nil
}

// Kick asks for a sync now, after a local change. It returns at once (a
// check-in must not wait on the network); kicks while one is being handed
// to the scheduler coalesce, and if a sync is running the change goes
// with it or with the next.
func (s *Syncer) Kick() {
	s.again.Store(true) // a sync running now runs once more when done
	if s.job == nil || !s.kicking.CompareAndSwap(false, true) {
		return
	}
	s.kickMu.Lock()
	defer s.kickMu.Unlock()
	if s.stopped {
		s.kicking.Store(false)
		return
	}
	s.kicks.Add(1)
	go func() {
		defer s.kicks.Done()
		defer s.kicking.Store(false)
		// Staff see the new change in the backlog now, even while the
		// centre is away and the sync waits out its backoff.
		s.refreshBacklog(context.Background())
		s.notify()
		if err := s.job.RunNow(); err != nil {
			s.log.Warn("sync kick", "err", err)
		}
	}()
}

// WakeSoon wakes the syncer and runs a sync after a random delay of up
// to FirstRetry, once however often it is asked meanwhile: every kiosk's
// health probe finds a restarted centre within the same few seconds, and
// they should not all sync in the same one.
func (s *Syncer) WakeSoon() {
	if !s.waking.CompareAndSwap(false, true) {
		return
	}
	s.cfg.Clock.AfterFunc(rand.N(s.cfg.FirstRetry)+time.Millisecond, func() { // #nosec G404 -- jitter that spreads kiosks' retries, not a secret
		s.waking.Store(false)
		s.Wake()
		s.Kick()
	})
}

// Wake ends a wait between retries now, so a sync that failed while the
// centre was away runs again at once when a health probe finds it back,
// rather than after a backoff of up to several minutes.
func (s *Syncer) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Hold keeps every change on the kiosk and makes no request to the
// centre until the given time, as if the centre were down: a drill. Each
// attempt meanwhile fails with ErrHeld, so the status, the outage log and
// everything built on them behave as in a real outage. The zero time
// releases the hold (then call Wake and Kick to drain at once).
func (s *Syncer) Hold(until time.Time) {
	if until.IsZero() {
		s.hold.Store(nil)
		return
	}
	s.hold.Store(&until)
}

// Held reports whether a drill holds the outbox at now.
func (s *Syncer) Held(now time.Time) bool {
	until := s.hold.Load()
	return until != nil && now.Before(*until)
}

// Stop ends the job and waits for a running sync, and for a kick on its
// way to the scheduler, to return.
func (s *Syncer) Stop() error {
	if s.stop == nil {
		return nil
	}
	s.kickMu.Lock()
	s.stopped = true
	s.kickMu.Unlock()
	s.stop()
	s.kicks.Wait()
	return s.sched.Shutdown()
}

// Status returns the current connectivity.
func (s *Syncer) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Subscribe calls fn, on one of the syncer's goroutines, after every
// attempt and after every kick (the backlog grew).
// The returned function unsubscribes.
func (s *Syncer) Subscribe(fn func(Status)) (cancel func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextID
	s.nextID++
	s.subs[id] = fn
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.subs, id)
	}
}

// run is one scheduled sync: attempts with backoff until one succeeds,
// then again while changes were made meanwhile (a kick during a running
// sync would otherwise wait for the next interval).
func (s *Syncer) run(ctx context.Context) {
	for {
		s.again.Store(false)
		if !s.runOnce(ctx) || !s.again.Load() {
			return
		}
	}
}

// runOnce retries a sync until it succeeds (true) or cannot go on.
func (s *Syncer) runOnce(ctx context.Context) bool {
	policy := NewRetryPolicy(s.cfg)
	op := func() error {
		if ctx.Err() != nil {
			return backoff.Permanent(ctx.Err())
		}
		actx, cancel := context.WithTimeout(ctx, s.cfg.AttemptTimeout)
		defer cancel()
		err := s.Sync(actx)
		if errors.Is(err, ErrCentreOutdated) {
			return backoff.Permanent(err)
		}
		if e, ok := asHTTPError(err); ok {
			if e.Unauthorized() || e.KioskOutdated() {
				return backoff.Permanent(err)
			}
			policy.SetRetryAfter(e.RetryAfter)
		}
		return err
	}
	err := backoff.RetryNotifyWithTimer(op, backoff.WithContext(policy, ctx), func(err error, wait time.Duration) {
		s.log.Info("sync failed; retrying", "err", err, "wait", wait.Round(time.Millisecond))
	}, &clockTimer{clock: s.cfg.Clock, wake: s.wake, policy: policy})
	if err != nil && ctx.Err() == nil {
		s.log.Warn("sync stopped", "err", err)
	}
	return err == nil
}

// Sync makes one attempt: push every pending mutation and pull every
// page of the centre's changes. A centre of protocol 3 or newer answers
// each push with the page after the kiosk's cursor, read once the batch
// is applied, so a change costs one request and a sync with nothing to
// send one pull; an older centre is asked with a pull after the pushes.
// The page is read after the batch because the centre screens what it
// receives (watch-list, duplicates, invitations), and its alerts about
// check-ins made offline should reach staff now, not a sync later. It
// updates the status either way.
func (s *Syncer) Sync(ctx context.Context) error {
	start := s.cfg.Clock.Now()
	// The database says whether a drill holds the outbox, so a syncer
	// that starts mid-drill (a restart, the CLI's sync) holds too.
	if in, ok, err := s.store.CurrentIncident(ctx); err == nil && ok && in.Drill && start.Before(in.DrillUntil) {
		s.Hold(in.DrillUntil)
	}
	if s.Held(start) {
		s.settle(ctx, start, ErrHeld)
		return ErrHeld
	}
	var a attempt
	var err error
	if s.client.Centre().Protocol == 0 || s.Status().AwaitingKind != "" {
		// Nothing heard from the centre yet in this run, or changes held
		// for its upgrade: a pull first says which protocol and which
		// kinds of change it takes now, before any change is sent.
		err = s.pull(ctx)
		a.atHead = err == nil
	}
	if err == nil {
		err = s.push(ctx, &a)
	}
	if err == nil && !a.atHead {
		err = s.pull(ctx)
	}
	s.settle(ctx, start, err)
	return err
}

// attempt is what one Sync has learnt so far.
type attempt struct {
	// atHead: the last page applied had no more after it, and no push
	// was answered since.
	atHead bool
}

// pull reads pages until the centre has no more.
func (s *Syncer) pull(ctx context.Context) error {
	for {
		q, err := s.pullRequest(ctx)
		if err != nil {
			return err
		}
		sent := s.cfg.Clock.Now()
		page, err := s.client.Pull(ctx, q.Cursor, q.Limit, q.Continuing)
		if err != nil {
			return fmt.Errorf("pull: %w", err)
		}
		s.noteSkew(sent, page.Now)
		if more, err := s.applyPage(ctx, page); err != nil || !more {
			return err
		}
	}
}

// pullRequest is the page the kiosk asks for next.
func (s *Syncer) pullRequest(ctx context.Context) (wire.PullRequest, error) {
	cursor, continuing, err := s.store.PullState(ctx)
	return wire.PullRequest{Cursor: cursor, Limit: wire.MaxPullPage, Continuing: continuing}, err
}

// applyPage applies a pulled page, and the site configuration once the
// last page is in; it reports whether the centre has more.
func (s *Syncer) applyPage(ctx context.Context, page wire.PullResponse) (more bool, err error) {
	if err := s.store.ApplyPull(ctx, PageOf(page)); err != nil {
		return false, fmt.Errorf("apply pull: %w", err)
	}
	if page.More {
		if holdsSiteConfig(page) {
			s.configSeen.Store(false) // look once the last page is in
		}
		return true, nil
	}
	if !s.configSeen.Load() || holdsSiteConfig(page) {
		s.applySiteConfig(ctx)
	}
	return false, nil
}

// PageOf is a pulled page as the kiosk's store applies it.
func PageOf(page wire.PullResponse) queue.PullPage {
	records := make([]queue.RemoteRecord, len(page.Records))
	for i, r := range page.Records {
		records[i] = queue.RemoteRecord(r)
	}
	p := queue.PullPage{Snapshot: page.Snapshot, More: page.More, Records: records, Cursor: page.Cursor}
	if !page.Now.IsZero() {
		p.Clock = hlc.Timestamp{Wall: page.Now.UnixMilli()}
	}
	return p
}

// push sends what was pending when it began, in batches, each asking
// for the page of changes after it where the centre answers that (a.atHead
// says whether the last one was the end). Changes made meanwhile wait for the next attempt, so an
// attempt ends even while the lobby is busy and its success means the
// backlog it saw reached the centre. A change of a kind the centre does
// not apply yet stops the push there: it and everything after it wait, in
// order, for the centre's upgrade, rather than be refused and lost to it.
func (s *Syncer) push(ctx context.Context, a *attempt) error {
	s.awaiting("")
	kiosk, _ := s.store.Identity()
	start, err := s.store.Backlog(ctx)
	if err != nil {
		return err
	}
	left := start.Pending
	renewals := 0
	// Changes nothing else depends on wait without holding back what
	// follows while the centre does not apply their kind yet: a kiosk
	// upgraded before its centre goes on syncing its visits.
	var skip []string
	for _, k := range unordered {
		if !s.client.Accepts(k) {
			skip = append(skip, k)
		}
	}
	for left > 0 {
		entries, err := s.store.PendingOutbox(ctx, s.cfg.Batch, skip...)
		if err != nil {
			return err
		}
		for len(entries) > 0 && entries[len(entries)-1].Seq > start.Last {
			entries = entries[:len(entries)-1]
		}
		held := ""
		for i, e := range entries {
			if !s.client.Accepts(e.Kind) {
				entries, held = entries[:i], e.Kind
				break
			}
		}
		renewed := false
		if len(entries) > 0 {
			refused, taken, err := s.pushBatch(ctx, a, kiosk, left, entries, nil, false)
			if err != nil {
				return err
			}
			if refused != "" {
				held = refused
			}
			if renewed, err = s.renew(ctx, taken); err != nil {
				return err
			}
		}
		left -= len(entries)
		if renewed && renewals < maxRenewals {
			// The changes the centre refused by name wait under new names:
			// they go in this attempt, with what was behind them.
			renewals++
			if start, err = s.store.Backlog(ctx); err != nil {
				return err
			}
			left = start.Pending
		}
		if held != "" {
			s.log.Warn("the centre does not apply a kind of change yet; holding it and what follows", "kind", held)
			s.awaiting(held)
			return nil
		}
		if len(entries) == 0 {
			break
		}
	}
	if len(skip) > 0 {
		if b, err := s.store.Backlog(ctx); err == nil && b.Pending > 0 {
			s.awaiting(skip[0])
		}
	}
	return nil
}

// unordered are the kinds of change that no other change depends on:
// staff actions' audit entries, staff accounts, and where a recovery
// took visits from.
var unordered = []string{queue.KindAudit, queue.KindStaffAccount, queue.KindRestored}

// maxRenewals bounds the new epochs one push starts: a new epoch's names
// are random and new, so a centre that refuses them too is at fault, and
// the next attempt tries again.
const maxRenewals = 2

// renew starts a new epoch for each epoch in which the centre refused a
// change as "a different change under this name", moving that change and
// those after it there; it reports whether it moved any.
func (s *Syncer) renew(ctx context.Context, taken map[int64]int64) (bool, error) {
	if len(taken) == 0 {
		return false, nil
	}
	for _, epoch := range slices.Sorted(maps.Keys(taken)) {
		next, err := s.store.RenewEpoch(ctx, epoch, taken[epoch])
		if err != nil {
			return false, err
		}
		s.log.Warn("the centre holds other changes under this kiosk's names (was its database restored?); they go again in a new epoch",
			"old_epoch", epoch, "from_seq", taken[epoch], "new_epoch", next)
		s.mu.Lock()
		s.status.Epoch, s.status.Renewed = next, s.cfg.Clock.Now()
		s.status.Renewals++
		s.mu.Unlock()
	}
	return true, nil
}

// awaiting records the kind of change the centre does not apply yet; the
// count of what waits for it is taken with the backlog (refreshBacklog).
func (s *Syncer) awaiting(kind string) {
	s.mu.Lock()
	s.status.AwaitingKind = kind
	if kind == "" {
		s.status.AwaitingCentre = 0
	}
	s.mu.Unlock()
}

// pushBatch sends entries and records the answers. A request the centre
// refuses for its content (400, 413) is split in halves until the
// mutation at fault is alone; that one is marked rejected and the rest go
// through. Other refusals (403 for a token of another kiosk, 404) are
// about this kiosk's set-up, not a mutation: the attempt fails and staff
// see why.
//
// An answer "unknown kind" comes from a centre that does not apply that
// kind yet: one instance behind the centre's address not yet upgraded,
// while the one that answered the pull was. The change stays pending,
// held as if the centre had said so up front (the centre judges a name it
// rejected again), and pushBatch returns its kind.
//
// An answer "a different change under this name" means the centre has
// seen this kiosk's epoch with other changes: the database went back to
// an earlier copy. The change stays pending, and taken holds, per epoch,
// the first sequence number so refused: the caller moves it and those
// after it to a new epoch (renew) rather than lose them or stay wedged.
//
// An answer StatusResend (protocol 4) means the centre has not received
// changes of an epoch below one sent: the centre lost them (its database
// went back to a copy) or this kiosk skipped them. The batch is sent
// again from the number the centre names (resend), once; skipped are
// what that batch says of the numbers it does not send.
func (s *Syncer) pushBatch(ctx context.Context, a *attempt, kiosk string, backlog int, entries []queue.OutboxEntry, skipped []wire.SkipRange, resent bool) (held string, taken map[int64]int64, err error) {
	req := wire.PushRequest{Kiosk: kiosk, Sent: s.cfg.Clock.Now().UTC(), Backlog: backlog, Mutations: make([]wire.PushMutation, len(entries)), Skipped: skipped}
	for i, e := range entries {
		req.Mutations[i] = wire.PushMutation{Epoch: e.Epoch, Seq: e.Seq, Kind: e.Kind, At: e.CreatedAt, HLC: e.HLC, Payload: e.Payload}
	}
	if s.client.Centre().Protocol >= wire.PullInPush {
		q, err := s.pullRequest(ctx)
		if err != nil {
			return "", nil, err
		}
		req.Pull = &q
	}
	a.atHead = false
	resp, err := s.client.Push(ctx, req)
	if e, ok := asHTTPError(err); ok && e.AboutContent() && req.Pull != nil && s.client.Centre().Protocol < wire.PullInPush {
		// An instance of the centre older than the one heard before
		// (a rolling downgrade, or one left behind) answered, and
		// protocol 1 refuses fields it does not know: the same batch
		// again, without asking for the page.
		return s.pushBatch(ctx, a, kiosk, backlog, entries, skipped, resent)
	}
	if e, ok := asHTTPError(err); ok && e.AboutContent() {
		if len(entries) == 1 {
			s.log.Warn("centre refused a mutation", "seq", entries[0].Seq, "err", err)
			return "", nil, s.store.SettleOutbox(ctx, []queue.Settlement{{Seq: entries[0].Seq, Rejected: true, Reason: e.Error()}})
		}
		half := len(entries) / 2
		held, taken, err := s.pushBatch(ctx, a, kiosk, backlog, entries[:half], skipped, resent)
		if err != nil || held != "" || len(taken) > 0 {
			return held, taken, err
		}
		return s.pushBatch(ctx, a, kiosk, backlog-half, entries[half:], skipped, resent)
	}
	if err != nil {
		return "", nil, fmt.Errorf("push: %w", err)
	}
	s.noteSkew(req.Sent, resp.Now)
	answers := make([]queue.Settlement, 0, len(resp.Results))
	from := make(map[int64]int64) // epoch → the number the centre asks to send from
	var again []queue.OutboxEntry
	for i, r := range resp.Results {
		if r.Seq != entries[i].Seq || r.Epoch != entries[i].Epoch {
			return "", nil, fmt.Errorf("push: answer %d is for %d/%d, not %d/%d", i, r.Epoch, r.Seq, entries[i].Epoch, entries[i].Seq)
		}
		if r.Status == wire.StatusResend {
			if _, ok := from[r.Epoch]; !ok {
				from[r.Epoch] = r.Next
			}
			again = append(again, entries[i])
			continue
		}
		if r.Status == wire.StatusRejected && strings.HasPrefix(r.Reason, wire.ReasonUnknownKind) {
			if held == "" {
				held = entries[i].Kind
				s.client.refuse(held)
			}
			continue
		}
		if r.Status == wire.StatusRejected && strings.HasPrefix(r.Reason, wire.ReasonNameTaken) {
			if taken == nil {
				taken = make(map[int64]int64)
			}
			if first, ok := taken[r.Epoch]; !ok || r.Seq < first {
				taken[r.Epoch] = r.Seq
			}
			continue
		}
		answers = append(answers, queue.Settlement{Seq: r.Seq, Rejected: r.Status == wire.StatusRejected, Reason: r.Reason})
	}
	if err := s.store.SettleOutbox(ctx, answers); err != nil {
		return "", nil, err
	}
	if resp.Pull != nil {
		more, err := s.applyPage(ctx, *resp.Pull)
		if err != nil {
			return "", nil, err
		}
		a.atHead = !more
	}
	if len(from) == 0 || held != "" || len(taken) > 0 {
		// A change held or refused by name settles first: what the
		// centre asked for again goes with the next batch.
		return held, taken, nil
	}
	if resent {
		return "", nil, fmt.Errorf("push: the centre asks again for changes from %v after they were sent", from)
	}
	s.log.Warn("the centre has not received some of this kiosk's changes; sending from the first it lacks", "from", from)
	next, skips, err := s.resendFrom(ctx, from, again)
	if err != nil {
		return "", nil, err
	}
	return s.pushBatch(ctx, a, kiosk, backlog, next, skips, true)
}

// resendFrom is the batch that answers the centre's StatusResend: per
// epoch, from the number the centre named, this kiosk's changes of that
// epoch that it has (pending or accepted: the centre lost what it
// accepted) and then those the centre sent back (again), at most a
// batch; and what it says of the numbers it does not send: another
// epoch's, held for staff (refused), or no longer here (lost).
func (s *Syncer) resendFrom(ctx context.Context, from map[int64]int64, again []queue.OutboxEntry) ([]queue.OutboxEntry, []wire.SkipRange, error) {
	var send []queue.OutboxEntry
	var skips []wire.SkipRange
	skip := func(epoch, from, to int64, why string) {
		if from > to {
			return
		}
		if n := len(skips); n > 0 && skips[n-1].Epoch == epoch && skips[n-1].To == from-1 && skips[n-1].Why == why {
			skips[n-1].To = to
			return
		}
		skips = append(skips, wire.SkipRange{Epoch: epoch, From: from, To: to, Why: why})
	}
	for _, epoch := range slices.Sorted(maps.Keys(from)) {
		var sentBack []queue.OutboxEntry
		for _, e := range again {
			if e.Epoch == epoch {
				sentBack = append(sentBack, e)
			}
		}
		room := s.cfg.Batch - len(send)
		if room <= 0 || len(sentBack) == 0 {
			break
		}
		first := sentBack[0].Seq
		rows, err := s.store.OutboxBetween(ctx, from[epoch], first-1, room)
		if err != nil {
			return nil, nil, err
		}
		cur := from[epoch]
		for _, r := range rows {
			skip(epoch, cur, r.Seq-1, wire.SkipLost)
			switch {
			case r.Epoch != epoch:
				skip(epoch, r.Seq, r.Seq, wire.SkipElsewhere)
			case r.State == "rejected" || !s.client.Accepts(r.Kind):
				skip(epoch, r.Seq, r.Seq, wire.SkipHeld)
			default:
				send = append(send, r)
			}
			cur = r.Seq + 1
		}
		if len(rows) == room {
			// The rest of the span goes with the next batch.
			continue
		}
		skip(epoch, cur, first-1, wire.SkipLost)
		send = append(send, sentBack[:min(len(sentBack), s.cfg.Batch-len(send))]...)
	}
	return send, skips, nil
}

// noteSkew estimates the kiosk clock's offset from the centre's, taking
// the centre's reading to be from the middle of the round trip.
func (s *Syncer) noteSkew(sent, centre time.Time) {
	if centre.IsZero() {
		return
	}
	now := s.cfg.Clock.Now()
	mid := sent.Add(now.Sub(sent) / 2)
	s.mu.Lock()
	s.status.Skew = mid.Sub(centre).Round(time.Second)
	s.mu.Unlock()
}

// settle updates the status after an attempt, logs a change of state and
// tells subscribers.
func (s *Syncer) settle(ctx context.Context, at time.Time, err error) {
	next := Online
	detail := ""
	if err != nil {
		detail = err.Error()
		next = Offline
		if e, ok := asHTTPError(err); ok {
			switch {
			case e.Unauthorized():
				next = Unenrolled
			case e.KioskOutdated():
				next = KioskOutdated
			default:
				next = Degraded
			}
		}
		if errors.Is(err, ErrCentreOutdated) {
			next = CentreOutdated
		}
	}
	s.mu.Lock()
	st := &s.status
	changed := st.State != next
	if changed {
		st.State, st.Since = next, at
	}
	st.LastAttempt, st.LastError = at, detail
	if err == nil {
		st.LastSuccess = s.cfg.Clock.Now()
	}
	s.mu.Unlock()
	backlog := s.refreshBacklog(ctx)
	if changed {
		c := queue.ConnectivityChange{At: at, State: string(next), Detail: detail, Backlog: backlog}
		if err := s.store.LogConnectivity(context.WithoutCancel(ctx), c); err != nil {
			s.log.Error("log connectivity", "err", err)
		}
	}
	s.notify()
}

// notify tells subscribers the current status.
func (s *Syncer) notify() {
	s.mu.Lock()
	status := s.status
	subs := make([]func(Status), 0, len(s.subs))
	for _, fn := range s.subs {
		subs = append(subs, fn)
	}
	s.mu.Unlock()
	for _, fn := range subs {
		fn(status)
	}
}

// refreshBacklog reads the outbox counts into the status and returns the
// number pending.
func (s *Syncer) refreshBacklog(ctx context.Context) int {
	b, err := s.store.Backlog(context.WithoutCancel(ctx))
	if err != nil {
		s.log.Error("read backlog", "err", err)
		return 0
	}
	_, epoch := s.store.Identity()
	s.mu.Lock()
	s.status.Backlog, s.status.Oldest, s.status.Rejected = b.Pending, b.Oldest, b.Rejected
	s.status.Epoch = epoch
	if s.status.AwaitingKind != "" {
		// Nothing after a held change is sent before it: all that is
		// pending waits for the centre's upgrade.
		s.status.AwaitingCentre = b.Pending
	}
	s.mu.Unlock()
	return b.Pending
}

// RetryPolicy is exponential backoff that never gives up, with a random
// first wait (so kiosks that lost the centre together do not return
// together) and Retry-After honoured when the centre sends it. It is a
// backoff.BackOff; the load generator uses it to measure the real client.
type RetryPolicy struct {
	exp        *backoff.ExponentialBackOff
	first      time.Duration
	retries    int
	retryAfter time.Duration // set by the last attempt; used once
	// waitedRetryAfter says the wait NextBackOff returned is the centre's
	// Retry-After, which a Wake must not cut short.
	waitedRetryAfter bool
	// busy says the last failure was the centre answering "busy".
	busy bool
}

// NewRetryPolicy is the policy a syncer with cfg retries by.
func NewRetryPolicy(cfg Config) *RetryPolicy {
	cfg.defaults()
	exp := backoff.NewExponentialBackOff()
	exp.InitialInterval = time.Second
	exp.MaxInterval = cfg.MaxBackoff
	exp.MaxElapsedTime = 0 // never give up: the outbox must drain
	exp.Clock = cfg.Clock
	exp.Reset()
	return &RetryPolicy{exp: exp, first: cfg.FirstRetry}
}

// SetRetryAfter makes the next wait at least d, as the centre asked.
func (p *RetryPolicy) SetRetryAfter(d time.Duration) { p.retryAfter = d }

// NextBackOff is the wait before the next retry.
//
// A centre that answers "busy" with Retry-After (429, 503) is reachable
// again: the backoff grown while it was away (up to MaxBackoff and half
// again, 7.5 minutes) no longer applies. On the first such answer after
// failures to reach it, the exponential backoff starts again from its
// base, and grows with each further "busy" (×1.5, ±50%), on top of the
// Retry-After asked for. So kiosks refused together as the centre returns
// from a long outage come back within seconds, and spread further each
// time they are refused, rather than all in the same few seconds (a storm
// of refusals) or minutes later (BENCHMARKS.md, *Ten thousand kiosks*).
func (p *RetryPolicy) NextBackOff() time.Duration {
	p.retries++
	ra := p.retryAfter
	p.retryAfter = 0
	if ra > 0 && !p.busy {
		p.exp.Reset()
	}
	p.busy = ra > 0
	d := p.exp.NextBackOff()
	if p.retries == 1 && p.first > 0 {
		d = rand.N(p.first) + time.Millisecond // #nosec G404 -- jitter that spreads kiosks' retries, not a secret
	}
	p.waitedRetryAfter = ra > 0
	return ra + d
}

// Reset starts again from the first retry.
func (p *RetryPolicy) Reset() {
	p.retries = 0
	p.exp.Reset()
}

// clockTimer lets backoff wait on the syncer's clock, so tests with a fake
// clock need not sleep, and lets Wake cut the wait short.
type clockTimer struct {
	clock  clockwork.Clock
	wake   chan struct{}
	policy *RetryPolicy
	t      clockwork.Timer
	c      chan time.Time
	done   chan struct{}
}

// Start waits d. Only a Wake during the wait cuts it short (one left from
// before, e.g. sent while the attempt ran, is dropped), and never a wait
// the centre asked for with Retry-After.
func (t *clockTimer) Start(d time.Duration) {
	select {
	case <-t.wake:
	default:
	}
	wake := t.wake
	if t.policy != nil && t.policy.waitedRetryAfter {
		wake = nil
	}
	t.t = t.clock.NewTimer(d)
	t.c, t.done = make(chan time.Time, 1), make(chan struct{})
	go func(timer clockwork.Timer, c chan time.Time, done chan struct{}) {
		select {
		case at := <-timer.Chan():
			c <- at
		case <-wake:
			c <- t.clock.Now()
		case <-done:
		}
	}(t.t, t.c, t.done)
}

func (t *clockTimer) Stop() {
	if t.t != nil {
		t.t.Stop()
		close(t.done)
		t.t = nil
	}
}

func (t *clockTimer) C() <-chan time.Time { return t.c }

// gocronLogger routes gocron's log lines to slog.
type gocronLogger struct{ l *slog.Logger }

func (g gocronLogger) Debug(msg string, args ...any) { g.l.Debug(msg, args...) }
func (g gocronLogger) Error(msg string, args ...any) { g.l.Error(msg, args...) }
func (g gocronLogger) Info(msg string, args ...any)  { g.l.Debug(msg, args...) }
func (g gocronLogger) Warn(msg string, args ...any)  { g.l.Warn(msg, args...) }

// Package outage is the kiosk's outage monitor: it turns the syncer's
// connectivity and the kiosk's own health (database, disk, clock) into
// incidents with a severity that escalates, tells the lobby and staff
// what is true now, samples the line for the report, and runs drills that
// hold the outbox.
//
// It sits between the sync loop and the UI: it imports syncer and queue,
// and must import neither Fyne nor the centre.
package outage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"github.com/jonboulle/clockwork"

	"lobbyline/queue"
	"lobbyline/syncer"
)

// Cause says what is wrong, as a code the UI translates.
type Cause string

// Causes of an incident.
const (
	CauseNone          Cause = ""
	CauseUnreachable   Cause = "unreachable"    // the centre does not answer
	CauseDegraded      Cause = "degraded"       // it answers with errors
	CauseUnenrolled    Cause = "unenrolled"     // it refuses this kiosk's token
	CauseKioskOutdated Cause = "kiosk-outdated" // it refuses this kiosk's protocol: the kiosk needs an update
	// CauseCentreOutdated: the centre's protocol is too old for this
	// kiosk; the centre needs an update.
	CauseCentreOutdated Cause = "centre-outdated"
	CauseDrill          Cause = "drill"    // staff are rehearsing an outage
	CauseDatabase       Cause = "database" // the kiosk cannot write its database
	CauseDisk           Cause = "disk"     // the kiosk's disk is nearly full
	CauseClock          Cause = "clock"    // the kiosk's clock is far off
)

// Local reports whether the cause is on the kiosk itself.
func (c Cause) Local() bool { return c == CauseDatabase || c == CauseDisk || c == CauseClock }

// IncidentCause is the cause an incident was recorded with (its Cause
// is causeText's words), CauseNone for words of no known cause.
func IncidentCause(in queue.Incident) Cause {
	for c, text := range causeText {
		if text == in.Cause {
			return c
		}
	}
	return CauseNone
}

// causeText is how a cause reads in the incident log and reports.
var causeText = map[Cause]string{
	CauseUnreachable:    "central system unreachable",
	CauseDegraded:       "central system answering with errors",
	CauseUnenrolled:     "kiosk no longer enrolled at the centre",
	CauseKioskOutdated:  "kiosk too old for the central system: it needs an update",
	CauseCentreOutdated: "central system too old for this kiosk: it needs an update",
	CauseDrill:          "drill: central system unreachable",
	CauseDatabase:       "kiosk database cannot be written",
	CauseDisk:           "kiosk disk nearly full",
	CauseClock:          "kiosk clock far off",
}

// Policy says when a problem becomes an incident and how it
// escalates. Zero values take the defaults shown.
type Policy struct {
	Grace         time.Duration // 60 s: problems shorter than this are blips, not incidents
	MajorAfter    time.Duration // 10 min: the centre away this long is major
	CriticalAfter time.Duration // 0: never; the centre away this long is critical
	DiskMin       uint64        // 200 MB: less free space on the data disk is critical
	ClockMax      time.Duration // 1 h: a kiosk clock further from the centre's is critical
	BackToNormal  time.Duration // 2 min: how long the lobby reads "Back to normal"
	UpdateEvery   time.Duration // 5 min: with no news, the banner is confirmed this often
	SampleEvery   time.Duration // 1 min: the line and backlog are recorded this often
	// QuietProbe: while all is well, Probe asks the centre only when
	// nothing has been heard from it for this long (15 s), since a sync
	// that succeeded says as much as a probe; while anything is wrong it
	// asks every time. Ten thousand kiosks probing every 5 s would send the
	// centre 2,000 requests a second that say nothing new.
	QuietProbe time.Duration
}

func (p *Policy) defaults() {
	setDefault(&p.Grace, time.Minute)
	setDefault(&p.MajorAfter, 10*time.Minute)
	setDefault(&p.ClockMax, time.Hour)
	setDefault(&p.BackToNormal, 2*time.Minute)
	setDefault(&p.UpdateEvery, 5*time.Minute)
	setDefault(&p.SampleEvery, time.Minute)
	setDefault(&p.QuietProbe, DefaultQuietProbe)
	if p.DiskMin == 0 {
		p.DiskMin = 200 << 20
	}
}

// setDefault sets a duration left zero (or negative) to v.
func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Outage is what the lobby and staff are told, as of At.
type Outage struct {
	At       time.Time
	Cause    Cause          // CauseNone when all is well
	Since    time.Time      // when the problem began (before the grace ran out)
	Severity queue.Severity // SeverityNone within the grace period
	Incident *queue.Incident
	Updated  time.Time // the latest news, or the latest confirmation with no news
	// Recovered is when the last incident ended, while the lobby still
	// reads "Back to normal"; zero otherwise.
	Recovered     time.Time
	RecoveredFrom Cause               // what the lobby was told about before "back to normal"
	Message       *queue.LobbyMessage // what staff published for the lobby, if anything
	// Practice is the message staff published during the drill open now,
	// kept apart from Message, which it neither replaces nor hides; it
	// comes down when the drill ends.
	Practice      *queue.LobbyMessage
	Announcements []queue.Announcement // the centre's, in force; they come first
}

// Drill reports whether the incident is a drill.
func (o Outage) Drill() bool { return o.Incident != nil && o.Incident.Drill }

// Banner reports whether visitors should see the outage banner: an
// incident past its grace period (a drill only if staff chose so), a
// problem past its grace that could not even be recorded (the database is
// failing), or "Back to normal" just after one.
func (o Outage) Banner() bool {
	switch {
	case o.Incident != nil:
		return !o.Incident.Drill || o.Incident.DrillBanner
	case o.Severity != queue.SeverityNone:
		return true
	}
	return !o.Recovered.IsZero()
}

// Health is one look at what the monitor watches.
type Health struct {
	Sync      syncer.Status
	Probe     error  // the last health probe's result
	DiskFree  uint64 // bytes, if DiskKnown
	DiskKnown bool
	Database  error // the last heartbeat's result
}

// assess names the worst problem in h: the kiosk's own first, as they
// matter more to the lobby than the centre.
func assess(h Health, p Policy) Cause {
	switch {
	case h.Database != nil:
		return CauseDatabase
	case h.DiskKnown && h.DiskFree < p.DiskMin:
		return CauseDisk
	case h.Sync.Skew > p.ClockMax || h.Sync.Skew < -p.ClockMax:
		return CauseClock
	case h.Sync.State == syncer.Unenrolled:
		return CauseUnenrolled
	case h.Sync.State == syncer.KioskOutdated:
		return CauseKioskOutdated
	case h.Sync.State == syncer.CentreOutdated:
		return CauseCentreOutdated
	case h.Probe != nil, h.Sync.State == syncer.Offline:
		return CauseUnreachable
	case h.Sync.State == syncer.Degraded:
		return CauseDegraded
	}
	return CauseNone
}

// severity is how bad cause is once it has lasted d.
func severity(c Cause, d time.Duration, p Policy) queue.Severity {
	switch {
	case c == CauseNone || d < p.Grace:
		return queue.SeverityNone
	case c.Local():
		return queue.SeverityCritical
	case p.CriticalAfter > 0 && d >= p.CriticalAfter:
		return queue.SeverityCritical
	case c == CauseUnenrolled || c == CauseKioskOutdated || c == CauseCentreOutdated || d >= p.MajorAfter:
		return queue.SeverityMajor
	}
	return queue.SeverityMinor
}

// Monitor turns the syncer's connectivity and the kiosk's own health into
// incidents: it opens one when a problem outlasts the grace period, raises
// its severity as time passes, ends it when the problem is gone, notes
// when the backlog drained, samples the line for the report, and runs
// drills. Its Outage is what the UI shows.
type Monitor struct {
	store  *queue.Store
	sync   *syncer.Syncer
	client *syncer.Client // for the health probe; nil means none
	policy Policy
	clock  clockwork.Clock
	log    *slog.Logger
	dir    string // the data directory, for free space

	mu        sync.Mutex
	health    Health
	cause     Cause
	since     time.Time
	updated   time.Time
	recovered time.Time
	draining  int64     // the last ended incident, sampled until its backlog drains
	drainDue  bool      // an ended incident may wait for its backlog to drain
	drillID   int64     // the drill holding the syncer, if any
	fromCause Cause     // the cause the lobby was told of, for "back to normal"
	drillEnd  time.Time // the syncer's failures before this were the drill's
	probed    time.Time // the centre last answered a probe
	out       Outage
	subs      map[int]func(Outage)
	nextID    int
	eval      sync.Mutex // one evaluation at a time
}

// Config wires a Monitor.
type Config struct {
	Policy  Policy
	DataDir string // where the database lives, for the free-space check; "" skips it
	Clock   clockwork.Clock
	Logger  *slog.Logger
}

// NewMonitor watches store and sy; client, if not nil, is probed.
func NewMonitor(store *queue.Store, sy *syncer.Syncer, client *syncer.Client, cfg Config) *Monitor {
	cfg.Policy.defaults()
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Monitor{store: store, sync: sy, client: client, policy: cfg.Policy, clock: cfg.Clock, log: cfg.Logger,
		dir: cfg.DataDir, subs: make(map[int]func(Outage))}
}

// Resume picks up an incident left open by a previous run: a drill goes on
// holding the outbox until its end, an outage counts from its start.
func (m *Monitor) Resume(ctx context.Context) error {
	in, ok, err := m.store.CurrentIncident(ctx)
	m.mu.Lock()
	m.drainDue = true // an incident that ended before the restart may not have drained
	m.mu.Unlock()
	if err != nil || !ok {
		return err
	}
	m.mu.Lock()
	m.since = in.Start
	m.cause = CauseUnreachable
	if in.Drill {
		m.cause, m.drillID = CauseDrill, in.ID
		m.sync.Hold(in.DrillUntil)
	}
	m.mu.Unlock()
	return m.Evaluate(ctx)
}

// Watch subscribes to the syncer: every attempt is evaluated. It returns
// the function that stops watching.
func (m *Monitor) Watch(ctx context.Context) (cancel func()) {
	return m.sync.Subscribe(func(syncer.Status) {
		if err := m.Evaluate(ctx); err != nil && ctx.Err() == nil {
			m.log.Error("outage monitor", "err", err)
		}
	})
}

// Probe asks the centre's /healthz and checks the disk, then evaluates.
// If the centre answers while the syncer, offline, is still waiting out a
// backoff, the syncer is woken: the lobby should not wait minutes for the
// good news. (Not when degraded: a centre answering "busy" has asked for
// the wait.)
func (m *Monitor) Probe(ctx context.Context) error {
	now := m.clock.Now()
	st := m.sync.Status()
	m.mu.Lock()
	probe, heard := m.health.Probe, st.LastSuccess
	if m.probed.After(heard) {
		heard = m.probed
	}
	allWell := m.cause == CauseNone && probe == nil && st.State == syncer.Online
	m.mu.Unlock()
	asked := false
	switch {
	case m.client == nil || m.sync.Held(now):
		probe = nil
	case ProbeDue(now, heard, allWell, m.pol().QuietProbe):
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		probe, asked = m.client.Healthy(pctx), true
		cancel()
	}
	free, known := diskFree(m.dir)
	m.mu.Lock()
	m.health.Probe, m.health.DiskFree, m.health.DiskKnown = probe, free, known
	if asked && probe == nil {
		m.probed = now
	}
	m.mu.Unlock()
	if st := m.sync.Status().State; probe == nil && m.client != nil && st == syncer.Offline && !m.sync.Held(now) {
		m.sync.WakeSoon()
	}
	return m.Evaluate(ctx)
}

// DefaultQuietProbe is Policy.QuietProbe's default.
const DefaultQuietProbe = 15 * time.Second

// ProbeDue says whether a kiosk's monitor asks the centre's /healthz at
// now: every time while anything is wrong, and while all is well only if
// the centre was last heard from (a sync or a probe that succeeded) quiet
// or more ago. cmd/syncload's simulated kiosks probe by it too.
func ProbeDue(now, heard time.Time, allWell bool, quiet time.Duration) bool {
	// A clock set back puts heard in the future: ask, rather than wait
	// until the clock catches up with it.
	return !allWell || now.Before(heard) || now.Sub(heard) >= quiet
}

// Sample checks the database can be written, and records the line and
// the backlog while an incident lasts or drains.
func (m *Monitor) Sample(ctx context.Context) error {
	dbErr := m.store.Heartbeat(ctx)
	m.mu.Lock()
	m.health.Database = dbErr
	id := m.draining
	if m.out.Incident != nil {
		id = m.out.Incident.ID
	}
	m.mu.Unlock()
	if dbErr != nil {
		m.log.Error("database heartbeat", "err", dbErr)
	}
	if id != 0 && dbErr == nil {
		waiting, err := m.store.Waiting(ctx)
		if err != nil {
			return err
		}
		if err := m.store.AddSample(ctx, id, queue.Sample{At: m.clock.Now(), Waiting: waiting, Backlog: m.sync.Status().Backlog}); err != nil {
			return err
		}
	}
	return m.Evaluate(ctx)
}

// Evaluate decides the outage state now, records what changed and tells
// subscribers. When the database itself fails, what cannot be recorded is
// still shown: the lobby hears of the problem either way, and the error
// is returned for the log.
func (m *Monitor) Evaluate(ctx context.Context) error {
	m.eval.Lock()
	defer m.eval.Unlock()
	now := m.clock.Now()
	st := m.sync.Status()
	var errs []error
	cur, open, err := m.store.CurrentIncident(ctx)
	if err != nil {
		errs = append(errs, err)
		m.mu.Lock()
		m.health.Database = err
		if m.out.Incident != nil {
			cur, open = *m.out.Incident, true // the last one known
		}
		m.mu.Unlock()
	}
	// A drill may be started or stopped by another process on the same
	// database (the kiosk CLI): the hold follows the database.
	switch {
	case open && cur.Drill && !m.sync.Held(now) && now.Before(cur.DrillUntil):
		m.sync.Hold(cur.DrillUntil)
		m.mu.Lock()
		m.since, m.drillID = cur.Start, cur.ID
		m.mu.Unlock()
	case !(open && cur.Drill) && m.sync.Held(now):
		m.releaseDrill(now)
		st = m.sync.Status()
	}

	m.mu.Lock()
	m.health.Sync = st
	h := m.health
	if !m.drillEnd.IsZero() && st.State != syncer.Online && !st.LastAttempt.After(m.drillEnd) {
		h.Sync.State = syncer.Online // no attempt since the drill ended: nothing known yet
	}
	policy := m.policy
	cause := assess(h, policy)
	if open && cur.Drill {
		if !now.Before(cur.DrillUntil) {
			m.mu.Unlock()
			return errors.Join(append(errs, m.endDrill(ctx, cur, "the drill's time was up"))...)
		}
		if !cause.Local() {
			cause = CauseDrill // the kiosk's own failures still come first
		}
	}
	switch {
	case cause == CauseNone:
		m.since = time.Time{}
	case now.Before(m.since):
		// The clock was set back: the problem counts from now, so the
		// grace period and the escalation run again rather than wait
		// hours for the clock to come round.
		m.since = now
	case m.since.IsZero():
		m.since = now
		if cause != CauseDrill && !cause.Local() && st.State != syncer.Online && st.Since.Before(now) && st.Since.After(m.drillEnd) {
			m.since = st.Since // the syncer saw it first
		}
	}
	m.cause = cause
	since := m.since
	m.mu.Unlock()

	sev := severity(cause, now.Sub(since), policy)
	news := false
	switch {
	case open && cause == CauseNone:
		if err := m.store.EndIncident(ctx, cur.ID, now, "the problem is over"); err != nil {
			errs = append(errs, err)
			break
		}
		m.mu.Lock()
		if m.out.Banner() {
			m.recovered, m.fromCause = now, m.out.Cause
		}
		m.draining, m.drainDue = cur.ID, true
		m.mu.Unlock()
		news = true
	case open:
		if sev != queue.SeverityNone && (sev != cur.Severity || causeText[cause] != cur.Cause) {
			if err := m.store.SetSeverity(ctx, cur.ID, sev, causeText[cause]); err != nil {
				errs = append(errs, err)
			}
			news = true
		}
	case sev != queue.SeverityNone:
		in, created, err := m.store.OpenIncident(ctx, causeText[cause], sev, since)
		if err != nil {
			errs = append(errs, err)
		} else if created {
			m.log.Warn("incident", "id", in.ID, "cause", cause, "severity", sev, "since", since)
		}
		news = true
	}
	errs = append(errs, m.noteDrained(ctx, now, st))
	m.publish(ctx, now, news, sev)
	return errors.Join(errs...)
}

// noteDrained records when the backlog of ended incidents reached the
// centre: once the syncer is online with nothing left to send.
func (m *Monitor) noteDrained(ctx context.Context, now time.Time, st syncer.Status) error {
	m.mu.Lock()
	due := m.drainDue
	m.mu.Unlock()
	// Changes held for the centre's upgrade are not part of the drain.
	if !due || st.State != syncer.Online || st.Backlog-st.AwaitingCentre > 0 {
		return nil
	}
	if _, err := m.store.MarkDrained(ctx, now); err != nil {
		return err
	}
	m.mu.Lock()
	m.drainDue, m.draining = false, 0
	m.mu.Unlock()
	return nil
}

// publish rebuilds the Outage and tells subscribers. What it cannot read
// from the database it takes from the last Outage; sev is the severity
// worked out now, shown even if no incident could be recorded.
func (m *Monitor) publish(ctx context.Context, now time.Time, news bool, sev queue.Severity) {
	m.mu.Lock()
	last := m.out
	m.mu.Unlock()
	o := Outage{At: now, Incident: last.Incident, Message: last.Message, Practice: last.Practice, Announcements: last.Announcements}
	if cur, open, err := m.store.CurrentIncident(ctx); err == nil {
		o.Incident = nil
		if open {
			o.Incident = &cur
		}
	}
	if msg, ok, err := m.store.CurrentMessage(ctx); err == nil {
		o.Message = nil
		if ok {
			o.Message = &msg
		}
	}
	if msg, ok, err := m.store.PracticeMessage(ctx); err == nil {
		o.Practice = nil
		if ok {
			o.Practice = &msg
		}
	}
	if ann, err := m.store.Announcements(ctx, now); err == nil {
		o.Announcements = ann
	}
	m.mu.Lock()
	o.Cause, o.Since, o.Severity = m.cause, m.since, sev
	if o.Incident != nil {
		o.Severity = max(o.Incident.Severity, sev)
		o.Since = o.Incident.Start
	}
	for _, msg := range []*queue.LobbyMessage{o.Message, o.Practice} {
		if msg != nil && msg.PublishedAt.After(m.updated) {
			news = true
		}
	}
	if now.Before(m.recovered) {
		m.recovered = now // the clock was set back: "back to normal" from now
	}
	if !m.recovered.IsZero() && (o.Incident != nil || now.Sub(m.recovered) >= m.policy.BackToNormal) {
		m.recovered = time.Time{}
	}
	o.Recovered, o.RecoveredFrom = m.recovered, m.fromCause
	switch {
	case news, m.updated.IsZero(), now.Before(m.updated), now.Sub(m.updated) >= m.policy.UpdateEvery:
		// News, or still true after UpdateEvery, or the clock was set
		// back past the last update: said again.
		m.updated = now
	}
	o.Updated = m.updated
	m.out = o
	subs := make([]func(Outage), 0, len(m.subs))
	for _, fn := range m.subs {
		subs = append(subs, fn)
	}
	m.mu.Unlock()
	for _, fn := range subs {
		fn(o)
	}
}

// SampleEvery is how often the line is sampled during an incident.
func (m *Monitor) SampleEvery() time.Duration { return m.pol().SampleEvery }

// pol is the policy in use.
func (m *Monitor) pol() Policy {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.policy
}

// SetPolicy changes the thresholds, between two evaluations: a new version
// of the site's configuration. An incident under way is judged by them
// from the next evaluation on (its severity may rise or fall). How often
// the line is sampled stays as the scheduler was started with.
func (m *Monitor) SetPolicy(p Policy) {
	p.defaults()
	m.eval.Lock()
	defer m.eval.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	p.SampleEvery = m.policy.SampleEvery
	m.policy = p
}

// Outage returns the latest state.
func (m *Monitor) Outage() Outage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.out
}

// Subscribe calls fn with every new Outage, on the monitor's goroutine.
func (m *Monitor) Subscribe(fn func(Outage)) (cancel func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := m.nextID
	m.nextID++
	m.subs[id] = fn
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.subs, id)
	}
}

// StartDrill starts an outage drill for d: the syncer holds its outbox as
// if the centre were down, and everything else behaves as in an outage.
func (m *Monitor) StartDrill(ctx context.Context, d time.Duration, banner bool, by string) (queue.Incident, error) {
	in, err := m.store.StartDrill(ctx, d, banner, by)
	if err != nil {
		return queue.Incident{}, err
	}
	m.sync.Hold(in.DrillUntil)
	m.mu.Lock()
	m.since, m.cause, m.drillID = in.Start, CauseDrill, in.ID
	m.mu.Unlock()
	m.log.Info("drill started", "id", in.ID, "until", in.DrillUntil, "by", by)
	if err := m.Evaluate(ctx); err != nil {
		m.log.Error("outage monitor", "err", err)
	}
	return in, nil
}

// StopDrill ends the running drill now.
func (m *Monitor) StopDrill(ctx context.Context, by string) error {
	m.eval.Lock()
	defer m.eval.Unlock()
	cur, open, err := m.store.CurrentIncident(ctx)
	if err != nil {
		return err
	}
	if !open || !cur.Drill {
		return ErrNoDrill
	}
	return m.endDrill(ctx, cur, "stopped by "+by)
}

// ErrNoDrill is returned when there is no drill to stop.
var ErrNoDrill = errors.New("outage: no drill is running")

// endDrill ends a drill and lets the outbox drain. The caller holds eval.
func (m *Monitor) endDrill(ctx context.Context, in queue.Incident, why string) error {
	now := m.clock.Now()
	if err := m.store.EndIncident(ctx, in.ID, now, why); err != nil {
		return fmt.Errorf("end drill: %w", err)
	}
	m.mu.Lock()
	m.drillID = in.ID
	m.mu.Unlock()
	m.releaseDrill(now)
	m.log.Info("drill over", "id", in.ID, "why", why)
	m.publish(ctx, now, true, queue.SeverityNone)
	return nil
}

// releaseDrill lets the syncer go after a drill ended (here or in
// another process) and drains the outbox at once. Visitors read "back to
// normal" only if they were shown the drill.
func (m *Monitor) releaseDrill(now time.Time) {
	m.sync.Hold(time.Time{})
	m.mu.Lock()
	m.since, m.cause, m.draining, m.drainDue, m.drillEnd = time.Time{}, CauseNone, m.drillID, true, now
	if m.out.Banner() {
		m.recovered, m.fromCause = now, CauseDrill
	}
	m.health.Probe = nil // the probe was not asked during the drill
	m.mu.Unlock()
	m.sync.Wake()
	m.sync.Kick()
}

// diskFree is the space left for an unprivileged writer on dir's disk;
// known is false if it cannot be told.
func diskFree(dir string) (free uint64, known bool) {
	if dir == "" {
		return 0, false
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true // #nosec G115 -- the file system block size is positive
}

package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/jobs"
	"lobbyline/syncer"
	"lobbyline/syncer/centre/centredb"
	"lobbyline/syncer/outage"
	"lobbyline/syncer/wire"
)

// The syncer's defaults (syncer.Config), which the simulated kiosks of the
// fleet scenario follow when they retry.
const (
	attemptTimeout = 20 * time.Second
	firstRetry     = 10 * time.Second
	maxBackoff     = 5 * time.Minute
	clientTimeout  = 30 * time.Second // cmd/kiosk's http.Client
	minTimeout     = 5 * time.Second  // timeouts are scaled down no further
	finishGrace    = time.Minute      // the least time kiosks get to finish their last sync
)

// FleetResult is what a fleet run measured.
type FleetResult struct {
	Kiosks, Sites int
	Duration      time.Duration // scaled
	Requests      int           // reaching the centre during Duration
	Rate          float64       // Requests per second of Duration
	PeakArrivals  int           // most requests reaching the centre in one second
	CentreStatus  string        // what the centre answered them, by status
	Push, Pull    latencies     // requests answered 200
	Busy          latencies     // requests answered 429
	Status200     int
	Status429     int
	StatusOther   int       // any other status, and requests without an answer
	Retries       int       // attempts made again after a 429 or an error
	Pushes        int       // push requests answered 200
	Records       int       // records pulled, in pulls and in answers to pushes
	Probes        int       // GET /healthz reaching the centre during Duration
	ProbeRate     float64   // Probes per second of Duration
	Probe         latencies // probes answered 200
	ProbeFailed   int       // probes not answered 200
	CheckIns      int       // check-ins answered
	CheckInLag    latencies // from a check-in to the centre's answer to its push
	Late          int       // check-ins answered more than LateAfter after they happened
	PerChange     float64   // API requests per mutation sent
	PushSyncs     int       // attempts that pushed and succeeded
	PushSyncReqs  int       // the API requests they made
	Applied       int
	Duplicate     int
	Rejected      int
	Sent          int // distinct mutations sent
	Answered      int // distinct mutations answered
	AtCentre      int // rows in mutations for these kiosks
	ExactlyOnce   bool
	Mismatch      string   // the first problem the check found
	Errors        []string // a few of the errors other than 429
	Return        *Return  // with --outage-at: the kiosks' return
}

// Return is what happened when the centre came back after an outage in
// a fleet run: the window runs from its return until the last kiosk had
// synced with nothing left to send.
type Return struct {
	Outage        time.Duration
	Refused       int // requests refused while it was down
	Drained       int // kiosks that synced with nothing left after the return
	Kiosks        int
	Window        time.Duration
	Requests      int   // API requests in the window
	Probes        int   // probes in the window
	Buckets       []int // API requests a second from the return
	ProbeBuckets  []int
	Bucket        time.Duration // one second, scaled
	Mean          float64       // API requests a bucket over the window
	Peak          int
	PeakAt        time.Duration
	Status        string
	WithProbes    float64 // peak/mean counting probes too
	PeakWithProbe int
}

// Ratio is the peak one-second rate of API requests over the mean.
func (r *Return) Ratio() float64 {
	if r.Mean == 0 {
		return 0
	}
	return float64(r.Peak) / r.Mean
}

// Met is the target: every kiosk drained, peak ≤ 3× the mean.
func (r *Return) Met() bool { return r.Drained == r.Kiosks && r.Ratio() <= 3 }

func measureReturn(kiosks []*fleetKiosk, arrived []arrival, downAt, upAt time.Time, bucket time.Duration) *Return {
	r := &Return{Outage: upAt.Sub(downAt), Kiosks: len(kiosks), Bucket: bucket}
	last := upAt
	for _, k := range kiosks {
		r.Refused += k.refused
		if !k.drained.IsZero() {
			r.Drained++
			if k.drained.After(last) {
				last = k.drained
			}
		}
	}
	r.Window = last.Sub(upAt)
	in := window(arrived, upAt, last, bucket)
	r.Buckets, r.ProbeBuckets, r.Probes, r.Status = in.Buckets, in.ProbeBuckets, in.Probes, in.statuses()
	r.Requests = in.Push + in.Pull
	if r.Window > 0 {
		r.Mean = float64(r.Requests) / (float64(r.Window) / float64(bucket))
	}
	for i, b := range r.Buckets {
		if b > r.Peak {
			r.Peak, r.PeakAt = b, time.Duration(i)*bucket
		}
		if both := b + r.ProbeBuckets[i]; both > r.PeakWithProbe {
			r.PeakWithProbe = both
		}
	}
	if r.Window > 0 && r.Requests+r.Probes > 0 {
		r.WithProbes = float64(r.PeakWithProbe) / (float64(r.Requests+r.Probes) / (float64(r.Window) / float64(bucket)))
	}
	return r
}

// LateAfter is how soon every check-in must be at the centre.
const LateAfter = 60 * time.Second

// TargetMet is the fleet target: push p99 ≤ 100 ms, no errors, at most
// 1% of API requests answered 429, every check-in at the centre within
// LateAfter.
func (r *FleetResult) TargetMet() bool {
	return r.Push.P99 <= 100*time.Millisecond && r.StatusOther == 0 && r.ProbeFailed == 0 &&
		r.BusyShare() <= 0.01 && r.Late == 0
}

// PerPushSync is the API requests a sync that pushed made, on average.
func (r *FleetResult) PerPushSync() float64 {
	if r.PushSyncs == 0 {
		return 0
	}
	return float64(r.PushSyncReqs) / float64(r.PushSyncs)
}

// BusyShare is the share of API requests the kiosks saw answered 429.
func (r *FleetResult) BusyShare() float64 {
	n := r.Status200 + r.Status429 + r.StatusOther
	if n == 0 {
		return 0
	}
	return float64(r.Status429) / float64(n)
}

// fleetKiosk is a simulated kiosk: the protocol as syncer.Syncer speaks
// it, with a lobby instead of a store, so a thousand fit in one process.
type fleetKiosk struct {
	enrolment
	client *syncer.Client
	lobby  *lobby
	rng    *rand.Rand

	cursor     int64
	continuing bool // part-way through a snapshot
	pending    []wire.PushMutation
	sent       int64            // highest sequence number sent
	answers    map[int64]string // status by sequence number

	pushLat, pullLat, busyLat []time.Duration
	codes                     map[int]int // 0: no answer
	retries, pushes, records  int
	results                   map[string]int
	errs                      []string
	checkInLag                []time.Duration // of each check-in answered
	checkInAt                 []time.Time     // when each of them happened
	pushSyncs, pushSyncReqs   int             // attempts that pushed and succeeded, and their requests

	// What the outage monitor knows, shared with the probe loop.
	heard   atomic.Int64 // unix nanoseconds of the last sync or probe that succeeded
	failing atomic.Bool  // the last sync attempt failed
	// The probe loop's own counts.
	probeLat    []time.Duration
	probeFailed int

	// wake ends a wait between retries, or for the next sync, as the
	// outage monitor's syncer.WakeSoon does when a probe finds the centre
	// back; waking says one is on its way.
	wake   chan struct{}
	waking atomic.Bool
	// back is when the centre came back after an outage (unix ns, 0
	// before); drained when this kiosk first synced with nothing left
	// after that.
	back    *atomic.Int64
	drained time.Time
	// down says the centre is down on purpose: requests refused then are
	// counted apart, not as errors.
	down    *atomic.Bool
	refused int
}

// fleetPlan is the timing every kiosk follows.
type fleetPlan struct {
	kick           bool
	start, end     time.Time
	interval       time.Duration
	jitter         time.Duration
	attemptTimeout time.Duration
	firstRetry     time.Duration
	maxBackoff     time.Duration
	probeEvery     time.Duration // the outage monitor's tick
	quietProbe     time.Duration // outage.Policy.QuietProbe
}

func (m *Main) runFleet(ctx context.Context) error {
	cfg := m.Config
	n := cfg.kiosks()
	// Each kiosk's connection is two descriptors in this process (its end
	// and the centre's), four through the proxy; one with the centre in a
	// process of its own.
	need := 2 * n
	if cfg.Instances > 1 {
		need = 4 * n
	}
	if cfg.CentreProcess {
		need = n
	}
	if err := raiseFileLimit(uint64(need + 1024)); err != nil { // #nosec G115 -- a small non-negative count or a value this program wrote itself
		return fmt.Errorf("%w (--centre-process halves it)", err)
	}
	c, err := openCentre(ctx, cfg, m.Logger)
	if err != nil {
		return err
	}
	m.closers = append(m.closers, c.close)
	fmt.Fprintf(m.Stderr, "syncload: enrolling %d kiosks at %s\n", n, c.url())
	prefix, sites, enrolled, err := c.enroll(ctx, n, cfg.PerSite)
	if err != nil {
		return err
	}

	timeout := max(cfg.scaled(clientTimeout), minTimeout)
	var shared *http.Transport
	if cfg.Transport == "shared" {
		shared = http.DefaultTransport.(*http.Transport).Clone()
		shared.MaxIdleConns, shared.MaxIdleConnsPerHost = n, n
	}
	start := time.Now().Add(100 * time.Millisecond)
	plan := fleetPlan{
		kick:  cfg.Kick,
		start: start, end: start.Add(cfg.scaled(cfg.Duration)),
		interval: cfg.scaled(cfg.Interval), jitter: cfg.scaled(cfg.Jitter),
		attemptTimeout: max(cfg.scaled(attemptTimeout), minTimeout),
		firstRetry:     cfg.scaled(firstRetry), maxBackoff: cfg.scaled(maxBackoff),
		probeEvery: cfg.scaled(jobs.DefaultProbeEvery), quietProbe: cfg.scaled(outage.DefaultQuietProbe),
	}
	kiosks := make([]*fleetKiosk, n)
	epochs := make(map[int64]bool, n)
	var back atomic.Int64 // when the centre came back from the outage, if any
	var down atomic.Bool  // the centre is down now
	for i, e := range enrolled {
		tr := shared
		if tr == nil {
			tr = http.DefaultTransport.(*http.Transport).Clone()
		}
		client, err := syncer.NewClient(c.url(), e.Site, e.Token, &http.Client{Timeout: timeout, Transport: tr})
		if err != nil {
			return err
		}
		epoch := rand.Int64N(1<<53) + 1 // #nosec G404 -- load generation: random timing and names, not secrets
		for epochs[epoch] {
			epoch = rand.Int64N(1<<53) + 1 // #nosec G404 -- load generation: random timing and names, not secrets
		}
		epochs[epoch] = true
		rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) // #nosec G404 -- load generation: random timing and names, not secrets
		kiosks[i] = &fleetKiosk{
			enrolment: e, client: client, rng: rng,
			lobby:   newLobby(e.Kiosk, epoch, rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), start, cfg.scaled(cfg.CheckInEvery), cfg.Scale), // #nosec G404 -- load generation: random timing and names, not secrets
			answers: make(map[int64]string), codes: make(map[int]int), results: make(map[string]int),
			wake: make(chan struct{}, 1), back: &back, down: &down,
		}
	}

	fmt.Fprintf(m.Stderr, "syncload: %d kiosks syncing for %v\n", n, cfg.scaled(cfg.Duration))
	if err := c.begin(); err != nil {
		return err
	}
	// Kiosks finish the sync they are in when the time is up, retries
	// included, so that every mutation sent gets its answer; after grace
	// they are cut off. The centre's Retry-After (2 s) and the backoff
	// added to it are not scaled: a kiosk answered "busy" a few times in a
	// row near the end of a short run needs tens of seconds, more on a
	// loaded machine, and a kiosk cut off with a push unanswered fails the
	// exactly-once check though nothing was lost.
	grace := max(cfg.scaled(time.Minute), 2*plan.attemptTimeout, finishGrace)
	hard, cancel := context.WithDeadline(ctx, plan.end.Add(grace))
	defer cancel()
	var wg sync.WaitGroup
	probing, stopProbes := context.WithCancel(hard)
	var probes sync.WaitGroup
	for _, k := range kiosks {
		wg.Go(func() { k.run(hard, plan) })
		if cfg.Probes {
			probes.Go(func() { k.probe(probing, plan) })
		}
	}
	var downAt, upAt time.Time
	if cfg.OutageAt > 0 {
		// The centre goes away at OutageAt for Outage, as in reconnect.
		wg.Go(func() {
			if !sleepUntil(hard, start.Add(cfg.scaled(cfg.OutageAt))) {
				return
			}
			down.Store(true)
			downAt = time.Now()
			if err := c.down(); err != nil {
				m.Logger.Error("centre down", "err", err)
			}
			fmt.Fprintf(m.Stderr, "syncload: centre down for %v\n", cfg.scaled(cfg.Outage))
			if !sleepUntil(hard, downAt.Add(cfg.scaled(cfg.Outage))) {
				return
			}
			if err := c.up(); err != nil {
				m.Logger.Error("centre up", "err", err)
			}
			upAt = time.Now()
			back.Store(upAt.UnixNano())
			down.Store(false)
			fmt.Fprintf(m.Stderr, "syncload: centre back\n")
		})
	}
	wg.Wait()
	stopProbes()
	probes.Wait()
	arrived, err := c.stop()
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}

	r := &FleetResult{Kiosks: n, Sites: sites, Duration: plan.end.Sub(plan.start)}
	m.Fleet = r
	if !upAt.IsZero() {
		r.Return = measureReturn(kiosks, arrived, downAt, upAt, max(cfg.scaled(time.Second), 10*time.Millisecond))
	}
	var push, pull, busy, probe, lag []time.Duration
	for _, k := range kiosks {
		push, pull, busy = append(push, k.pushLat...), append(pull, k.pullLat...), append(busy, k.busyLat...)
		probe = append(probe, k.probeLat...)
		for i, d := range k.checkInLag {
			// A check-in made while the centre was down waits for it by
			// design: the return is measured apart.
			if at := k.checkInAt[i]; upAt.IsZero() || at.Before(downAt) || !at.Before(upAt) {
				lag = append(lag, d)
			}
		}
		r.ProbeFailed += k.probeFailed
		r.PushSyncs += k.pushSyncs
		r.PushSyncReqs += k.pushSyncReqs
		for code, cnt := range k.codes {
			switch code {
			case http.StatusOK:
				r.Status200 += cnt
			case http.StatusTooManyRequests:
				r.Status429 += cnt
			default:
				r.StatusOther += cnt
			}
		}
		r.Retries += k.retries
		r.Pushes += k.pushes
		r.Records += k.records
		r.Applied += k.results[wire.StatusApplied]
		r.Duplicate += k.results[wire.StatusDuplicate]
		r.Rejected += k.results[wire.StatusRejected]
		r.Sent += int(k.sent)
		r.Answered += len(k.answers)
		if len(r.Errors) < 5 {
			r.Errors = append(r.Errors, k.errs...)
		}
	}
	r.Push, r.Pull, r.Busy = summarizeLatencies(push), summarizeLatencies(pull), summarizeLatencies(busy)
	r.Probe, r.CheckInLag, r.CheckIns = summarizeLatencies(probe), summarizeLatencies(lag), len(lag)
	for _, d := range lag {
		if d > cfg.scaled(LateAfter) {
			r.Late++
		}
	}
	in := window(arrived, plan.start, plan.end, time.Second)
	for _, b := range in.Buckets {
		r.Requests += b
	}
	if len(in.Buckets) > 0 {
		r.PeakArrivals = slices.Max(in.Buckets)
	}
	r.CentreStatus = in.statuses()
	r.Rate = float64(r.Requests) / r.Duration.Seconds()
	r.Probes, r.ProbeRate = in.Probes, float64(in.Probes)/r.Duration.Seconds()
	if err := checkFleet(ctx, c.db().DB(), prefix, kiosks, r); err != nil {
		return err
	}
	m.printFleet(r, c)
	if !r.ExactlyOnce {
		return fmt.Errorf("exactly-once check failed: %s", r.Mismatch)
	}
	return nil
}

// run syncs at plan.interval ± plan.jitter, the first time at a random
// point of the first interval, until plan.end; with plan.kick also as
// soon as the lobby changes, as cmd/kiosk's AfterWrite kicks its syncer.
func (k *fleetKiosk) run(ctx context.Context, p fleetPlan) {
	next := p.start.Add(time.Duration(k.rng.Float64() * float64(p.interval)))
	for {
		wake := next
		if p.kick {
			wake = minTime(wake, k.lobby.nextAt())
		}
		if !wake.Before(p.end) || !k.sleep(ctx, wake, true) {
			return
		}
		k.sync(ctx, p)
		// Like gocron's reschedule mode, runs that fell due while this
		// one was retrying are skipped.
		for !next.After(time.Now()) {
			next = next.Add(p.interval - p.jitter + time.Duration(k.rng.Float64()*float64(2*p.jitter)))
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// sync is one scheduled sync: attempts until one succeeds, waiting
// between them as syncer.Syncer does.
func (k *fleetKiosk) sync(ctx context.Context, p fleetPlan) {
	retry := syncer.NewRetryPolicy(syncer.Config{FirstRetry: p.firstRetry, MaxBackoff: p.maxBackoff})
	for {
		err := k.attempt(ctx, p)
		if err == nil || ctx.Err() != nil {
			return
		}
		var after time.Duration
		var e *syncer.HTTPError
		if errors.As(err, &e) {
			after = e.RetryAfter
		}
		k.retries++
		retry.SetRetryAfter(after)
		// A wake cuts the wait short, but not a Retry-After the centre
		// asked for (as syncer's clockTimer).
		if !k.sleep(ctx, time.Now().Add(retry.NextBackOff()), after == 0) {
			return
		}
	}
}

// attempt is syncer.Syncer.Sync: on first contact a pull, then the
// push of what the lobby produced up to now in batches of at most
// MaxBatch, each asking for the page after it where the centre answers
// that, and a pull if the last answer did not reach the head (or nothing
// was pushed).
func (k *fleetKiosk) attempt(ctx context.Context, p fleetPlan) (err error) {
	ctx, cancel := context.WithTimeout(ctx, p.attemptTimeout)
	defer cancel()
	requests, pushed := k.requests(), false
	defer func() {
		k.failing.Store(err != nil)
		if err == nil {
			k.heard.Store(time.Now().UnixNano())
		}
		if err == nil && pushed {
			k.pushSyncs++
			k.pushSyncReqs += k.requests() - requests
		}
		if back := k.back.Load(); err == nil && back != 0 && k.drained.IsZero() && len(k.pending) == 0 && time.Now().UnixNano() > back {
			k.drained = time.Now()
		}
	}()
	atHead := false
	if k.client.Centre().Protocol == 0 {
		if err := k.pull(ctx); err != nil {
			return err
		}
		atHead = true
	}
	fresh, err := k.lobby.until(time.Now())
	if err != nil {
		return err
	}
	k.pending = append(k.pending, fresh...)
	for len(k.pending) > 0 {
		batch := k.pending[:min(len(k.pending), wire.MaxBatch)]
		req := wire.PushRequest{Kiosk: k.Kiosk, Sent: time.Now().UTC(), Backlog: len(k.pending), Mutations: batch}
		if k.client.Centre().Protocol >= wire.PullInPush {
			req.Pull = &wire.PullRequest{Cursor: k.cursor, Limit: wire.MaxPullPage, Continuing: k.continuing}
		}
		k.sent = max(k.sent, batch[len(batch)-1].Seq)
		began := time.Now()
		resp, err := k.client.Push(ctx, req)
		if err := k.note(err, time.Since(began), &k.pushLat); err != nil {
			return err
		}
		answered := time.Now()
		k.pushes++
		pushed = true
		for i, res := range resp.Results {
			if res.Epoch != batch[i].Epoch || res.Seq != batch[i].Seq {
				k.codes[http.StatusOK]--
				k.codes[0]++
				return k.fail(fmt.Errorf("push: answer %d is for %d/%d, not %d/%d", i, res.Epoch, res.Seq, batch[i].Epoch, batch[i].Seq))
			}
			if _, again := k.answers[res.Seq]; !again && batch[i].Kind == queue.KindCheckIn {
				k.checkInLag = append(k.checkInLag, answered.Sub(batch[i].At))
				k.checkInAt = append(k.checkInAt, batch[i].At)
			}
			k.answers[res.Seq] = res.Status
			k.results[res.Status]++
		}
		k.pending = k.pending[len(batch):]
		atHead = resp.Pull != nil && !resp.Pull.More
		if resp.Pull != nil {
			k.apply(*resp.Pull)
		}
	}
	if !atHead {
		return k.pull(ctx)
	}
	return nil
}

// probe is the outage monitor's probe: every probeEvery, GET /healthz if
// outage.ProbeDue says the monitor would ask.
func (k *fleetKiosk) probe(ctx context.Context, p fleetPlan) {
	next := p.start.Add(time.Duration(rand.Float64() * float64(p.probeEvery))) // #nosec G404 -- load generation: random timing and names, not secrets
	for sleepUntil(ctx, next) {
		next = next.Add(p.probeEvery)
		heard := time.Unix(0, k.heard.Load())
		if !outage.ProbeDue(time.Now(), heard, !k.failing.Load(), p.quietProbe) {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		began := time.Now()
		err := k.client.Healthy(pctx)
		cancel()
		switch {
		case err == nil:
			k.probeLat = append(k.probeLat, time.Since(began))
			k.heard.Store(time.Now().UnixNano())
			if k.failing.Load() {
				k.wakeSoon(p.firstRetry) // as outage.Monitor.Probe does for an offline syncer
			}
		case ctx.Err() == nil && !k.down.Load() && began.UnixNano() > k.back.Load():
			// A probe sent while the centre was away fails by design,
			// even when its answer comes after the return.
			k.probeFailed++
		}
	}
}

// pull reads pages until the centre has no more, carrying on a snapshot
// across pages as queue.Store.PullState does.
func (k *fleetKiosk) pull(ctx context.Context) error {
	for {
		began := time.Now()
		page, err := k.client.Pull(ctx, k.cursor, wire.MaxPullPage, k.continuing)
		if err := k.note(err, time.Since(began), &k.pullLat); err != nil {
			return err
		}
		k.apply(page)
		if !page.More {
			return nil
		}
	}
}

// requests is how many API requests the kiosk has made.
func (k *fleetKiosk) requests() int {
	n := 0
	for _, c := range k.codes {
		n += c
	}
	return n
}

// apply takes a page as queue.Store.ApplyPull keeps its cursor.
func (k *fleetKiosk) apply(page wire.PullResponse) {
	k.records += len(page.Records)
	k.cursor = page.Cursor
	k.continuing = (page.Snapshot || k.continuing) && page.More
}

// note counts a request's outcome and keeps its latency: answered 200 in
// into, 429 with the others answered so. It returns err.
func (k *fleetKiosk) note(err error, took time.Duration, into *[]time.Duration) error {
	var e *syncer.HTTPError
	switch {
	case err == nil:
		k.codes[http.StatusOK]++
		*into = append(*into, took)
	case errors.As(err, &e):
		k.codes[e.Status]++
		if e.Status == http.StatusTooManyRequests {
			k.busyLat = append(k.busyLat, took)
			return err
		}
		return k.fail(err)
	case k.down.Load():
		k.refused++
		return err
	default:
		k.codes[0]++
		return k.fail(err)
	}
	return nil
}

func (k *fleetKiosk) fail(err error) error {
	if len(k.errs) < 3 {
		k.errs = append(k.errs, fmt.Sprintf("%s: %v", k.Kiosk, err))
	}
	return err
}

// sleep waits for t, or a wake if wakeable; false if ctx ended first.
func (k *fleetKiosk) sleep(ctx context.Context, t time.Time, wakeable bool) bool {
	wake := k.wake
	if !wakeable {
		wake = nil
	}
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
	case <-wake:
	}
	return true
}

// wakeSoon is syncer.WakeSoon: a wake after a random delay of up to
// firstRetry, once however often it is asked meanwhile.
func (k *fleetKiosk) wakeSoon(firstRetry time.Duration) {
	if !k.waking.CompareAndSwap(false, true) {
		return
	}
	time.AfterFunc(rand.N(firstRetry)+time.Millisecond, func() { // #nosec G404 -- load generation: random timing and names, not secrets
		k.waking.Store(false)
		select {
		case k.wake <- struct{}{}:
		default:
		}
	})
}

// sleepUntil waits for t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// checkFleet compares the centre's mutations table with what each kiosk
// sent and was answered: every answered mutation must be there under the
// kiosk's epoch, nothing that was never sent, and as many rows as the
// kiosk sent mutations. The primary key (kiosk, epoch, seq) rules out a
// second copy; the counts rule out a missing one.
func checkFleet(ctx context.Context, db *sql.DB, prefix string, kiosks []*fleetKiosk, r *FleetResult) error {
	// The prefix is this program's own [a-z0-9]; no placeholder syntax
	// works for both databases.
	rows, err := db.QueryContext(ctx, "SELECT kiosk_id, epoch, seq, status FROM mutations WHERE kiosk_id LIKE '"+prefix+"-%'") // #nosec G202 -- the prefix is this program's own [a-z0-9], made by enroll
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	defer rows.Close()
	type row struct {
		epoch  int64
		status string
	}
	got := make(map[string]map[int64]row)
	for rows.Next() {
		var kiosk string
		var seq int64
		var x row
		if err := rows.Scan(&kiosk, &x.epoch, &seq, &x.status); err != nil {
			return fmt.Errorf("check: %w", err)
		}
		if got[kiosk] == nil {
			got[kiosk] = make(map[int64]row)
		}
		got[kiosk][seq] = x
		r.AtCentre++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	mismatch := func(format string, args ...any) {
		if r.Mismatch == "" {
			r.Mismatch = fmt.Sprintf(format, args...)
		}
	}
	for _, k := range kiosks {
		at := got[k.Kiosk]
		for seq, status := range k.answers {
			x, ok := at[seq]
			switch {
			case !ok:
				mismatch("kiosk %s: mutation %d was answered %s but is not at the centre", k.Kiosk, seq, status)
			case x.epoch != k.lobby.epoch:
				mismatch("kiosk %s: mutation %d is at the centre under epoch %d, not %d", k.Kiosk, seq, x.epoch, k.lobby.epoch)
			case status != wire.StatusDuplicate && x.status != status:
				mismatch("kiosk %s: mutation %d was answered %s but is %s at the centre", k.Kiosk, seq, status, x.status)
			}
		}
		for seq := range at {
			if seq > k.sent {
				mismatch("kiosk %s: mutation %d is at the centre but was never sent", k.Kiosk, seq)
			}
		}
		if int64(len(at)) != k.sent {
			mismatch("kiosk %s sent %d mutations; the centre holds %d", k.Kiosk, k.sent, len(at))
		}
	}
	if len(got) > len(kiosks) {
		mismatch("the centre holds mutations of %d kiosks of this run, not %d", len(got), len(kiosks))
	}
	r.ExactlyOnce = r.Mismatch == ""
	return nil
}

func (m *Main) printFleet(r *FleetResult, c *loadCentre) {
	cfg := m.Config
	w := m.Stdout
	once := "ok"
	if !r.ExactlyOnce {
		once = "FAILED"
	}
	if r.Sent > 0 {
		r.PerChange = float64(r.Status200+r.Status429+r.StatusOther) / float64(r.Sent)
	}
	fmt.Fprintf(w, "fleet kiosks=%d sites=%d instances=%d centre_process=%t duration=%v scale=%g kick=%t requests=%d rps=%.1f peak_1s=%d probes_per_s=%.1f push_p50_ms=%s push_p99_ms=%s push_max_ms=%s pull_p50_ms=%s pull_p99_ms=%s http_200=%d http_429=%d busy_share=%.4f http_other=%d probe_failed=%d retries=%d mutations=%d requests_per_change=%.2f requests_per_push_sync=%.2f checkin_lag_p99_s=%.1f checkin_lag_max_s=%.1f late=%d exactly_once=%s target=%s\n",
		r.Kiosks, r.Sites, max(cfg.Instances, 1), cfg.CentreProcess, r.Duration, cfg.Scale, cfg.Kick, r.Requests, r.Rate, r.PeakArrivals, r.ProbeRate,
		msNum(r.Push.P50), msNum(r.Push.P99), msNum(r.Push.Max), msNum(r.Pull.P50), msNum(r.Pull.P99),
		r.Status200, r.Status429, r.BusyShare(), r.StatusOther, r.ProbeFailed, r.Retries, r.Sent, r.PerChange, r.PerPushSync(),
		r.CheckInLag.P99.Seconds(), r.CheckInLag.Max.Seconds(), r.Late, once, verdict(r.TargetMet()))
	backend := "SQLite"
	if centredb.IsPostgres(cfg.Store) {
		backend = "PostgreSQL"
	}
	transport := "one http.Transport per kiosk (each keeps its own keep-alive connection, as real kiosks do)"
	if cfg.Transport == "shared" {
		transport = fmt.Sprintf("one shared http.Transport, MaxIdleConnsPerHost %d", r.Kiosks)
	}
	instances := "one instance"
	if cfg.Instances > 1 {
		instances = fmt.Sprintf("%d instances (each its own pool, service and HTTP server on loopback) behind a round-robin reverse proxy", cfg.Instances)
	}
	where := "in this process"
	if cfg.CentreProcess {
		where = "in a child process (--centre-process)"
	}
	fmt.Fprintf(w, "  centre    %s, %s, MaxInFlight %d each, %s at %s; %s, GOMAXPROCS %d\n", backend, instances, cfg.MaxInFlight, where, c.url(), runtime.Version(), runtime.GOMAXPROCS(0))
	if cfg.Scale != 1 {
		fmt.Fprintf(w, "  scale     every duration ×%g (the syncer's 1 s backoff base and the centre's Retry-After 2 s are not scaled)\n", cfg.Scale)
	}
	fmt.Fprintf(w, "  kiosks    %d at %d sites, %s\n", r.Kiosks, r.Sites, transport)
	kick := ""
	if cfg.Kick {
		kick = " and right after each change (--kick, as cmd/kiosk's AfterWrite)"
	}
	probes := "no health probes (--probes=false)"
	if cfg.Probes {
		probes = fmt.Sprintf("a health probe tick every %v, asking when outage.ProbeDue does (the centre not heard from for %v, or anything wrong)",
			cfg.scaled(jobs.DefaultProbeEvery), cfg.scaled(outage.DefaultQuietProbe))
	}
	fmt.Fprintf(w, "  schedule  a sync every %v ± %v (first at random in the first %v)%s: the push carries the cursor and its answer the page (protocol %d), a pull when nothing was pushed; %s; a check-in every ~%v (exponential), called %v–%v later, served %v–%v after that\n",
		cfg.scaled(cfg.Interval), cfg.scaled(cfg.Jitter), cfg.scaled(cfg.Interval), kick, wire.Version, probes, cfg.scaled(cfg.CheckInEvery),
		cfg.scaled(callAfter[0]), cfg.scaled(callAfter[1]), cfg.scaled(serveAfter[0]), cfg.scaled(serveAfter[1]))
	fmt.Fprintf(w, "  requests  %d reached the centre in %v: %.1f/s, peak %d in one second; it answered %s\n",
		r.Requests, r.Duration, r.Rate, r.PeakArrivals, r.CentreStatus)
	fmt.Fprintf(w, "  answers   the kiosks counted 200: %d, 429: %d, other or none: %d (retries after the %v included)\n",
		r.Status200, r.Status429, r.StatusOther, r.Duration)
	perPush := 0.0
	if r.Pushes > 0 {
		perPush = float64(r.Applied+r.Duplicate+r.Rejected) / float64(r.Pushes)
	}
	fmt.Fprintf(w, "  push      %d answered 200: %s; %.2f mutations each; applied %d, duplicate %d, rejected %d\n",
		r.Push.N, r.Push, perPush, r.Applied, r.Duplicate, r.Rejected)
	perPull := 0.0
	if r.Pull.N > 0 {
		perPull = float64(r.Records) / float64(r.Pull.N)
	}
	fmt.Fprintf(w, "  pull      %d answered 200: %s; %.1f records each (pulls and push answers)\n", r.Pull.N, r.Pull, perPull)
	fmt.Fprintf(w, "  per change %.2f API requests per mutation sent, all syncs counted (%d requests, %d mutations); a sync that pushed made %.2f requests (%d syncs, %d requests)\n",
		r.PerChange, r.Status200+r.Status429+r.StatusOther, r.Sent, r.PerPushSync(), r.PushSyncs, r.PushSyncReqs)
	if cfg.Probes {
		fmt.Fprintf(w, "  probes    %d reached the centre in %v: %.1f/s; answered 200 to the kiosks: %s; failed %d\n",
			r.Probes, r.Duration, r.ProbeRate, r.Probe, r.ProbeFailed)
	}
	during := ""
	if r.Return != nil {
		during = " (those made while the centre was down left out)"
	}
	fmt.Fprintf(w, "  check-ins %d answered%s: from the check-in to the answer to its push %s; %d later than %v\n",
		r.CheckIns, during, r.CheckInLag, r.Late, cfg.scaled(LateAfter))
	if r.Status429 > 0 {
		fmt.Fprintf(w, "  429       %d answers (%s); retried after the Retry-After plus the backoff, which starts again when the centre answers (syncer.RetryPolicy)\n", r.Busy.N, r.Busy)
	}
	fmt.Fprintf(w, "  retries   %d attempts made again after a 429 or an error\n", r.Retries)
	c.printPool(w, cfg)
	if r.ExactlyOnce {
		fmt.Fprintf(w, "  check     every kiosk's mutations are at the centre exactly once: %d sent, %d answered, %d rows\n", r.Sent, r.Answered, r.AtCentre)
	} else {
		fmt.Fprintf(w, "  check     FAILED: %s (%d sent, %d answered, %d rows)\n", r.Mismatch, r.Sent, r.Answered, r.AtCentre)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "  error     %s\n", e)
	}
	if rt := r.Return; rt != nil {
		fmt.Fprintf(w, "  outage    the centre's listener closed for %v (connections refused, open ones cut); %d requests refused meanwhile\n", rt.Outage.Round(time.Second), rt.Refused)
		fmt.Fprintf(w, "  return    %d of %d kiosks synced with nothing left %v after the centre came back; %d API requests meanwhile (answered %s): mean %.1f per %v, peak %d at +%v, peak/mean %.2f; with the %d probes: peak/mean %.2f\n",
			rt.Drained, rt.Kiosks, rt.Window.Round(10*time.Millisecond), rt.Requests, rt.Status, rt.Mean, rt.Bucket, rt.Peak, rt.PeakAt, rt.Ratio(), rt.Probes, rt.WithProbes)
		fmt.Fprintf(w, "  per %v from the return (API requests):\n", rt.Bucket)
		writeHistogram(w, "   ", rt.Buckets, rt.Bucket)
		fmt.Fprintf(w, "  return target: every kiosk back and peak one-second rate ≤ 3× the mean: %s (%.2f×)\n", verdict(rt.Met()), rt.Ratio())
	}
	fmt.Fprintf(w, "  target    %d kiosks: push p99 ≤ 100 ms, no errors, ≤ 1%% answered 429, every check-in at the centre within %v: %s (p99 %s, %d errors, %d failed probes, %.2f%% 429, %d late)\n",
		r.Kiosks, cfg.scaled(LateAfter), verdict(r.TargetMet()), ms(r.Push.P99), r.StatusOther, r.ProbeFailed, 100*r.BusyShare(), r.Late)
}

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
	"time"

	"lobbyline/syncer"
	"lobbyline/syncer/centre/centredb"
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
	StatusOther   int // any other status, and requests without an answer
	Retries       int // attempts made again after a 429 or an error
	Pushes        int // push requests answered 200
	Records       int // records pulled
	Applied       int
	Duplicate     int
	Rejected      int
	Sent          int // distinct mutations sent
	Answered      int // distinct mutations answered
	AtCentre      int // rows in mutations for these kiosks
	ExactlyOnce   bool
	Mismatch      string   // the first problem the check found
	Errors        []string // a few of the errors other than 429
}

// TargetMet is the fleet target: push p99 ≤ 100 ms and no errors but 429.
func (r *FleetResult) TargetMet() bool {
	return r.Push.P99 <= 100*time.Millisecond && r.StatusOther == 0
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
}

func (m *Main) runFleet(ctx context.Context) error {
	cfg := m.Config
	n := cfg.kiosks()
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
	}
	kiosks := make([]*fleetKiosk, n)
	epochs := make(map[int64]bool, n)
	for i, e := range enrolled {
		tr := shared
		if tr == nil {
			tr = http.DefaultTransport.(*http.Transport).Clone()
		}
		client, err := syncer.NewClient(c.url(), e.Site, e.Token, &http.Client{Timeout: timeout, Transport: tr})
		if err != nil {
			return err
		}
		epoch := rand.Int64N(1<<53) + 1
		for epochs[epoch] {
			epoch = rand.Int64N(1<<53) + 1
		}
		epochs[epoch] = true
		rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
		kiosks[i] = &fleetKiosk{
			enrolment: e, client: client, rng: rng,
			lobby:   newLobby(e.Kiosk, epoch, rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), start, cfg.scaled(cfg.CheckInEvery), cfg.Scale),
			answers: make(map[int64]string), codes: make(map[int]int), results: make(map[string]int),
		}
	}

	fmt.Fprintf(m.Stderr, "syncload: %d kiosks syncing for %v\n", n, cfg.scaled(cfg.Duration))
	c.arrivals.begin()
	// Kiosks finish the sync they are in when the time is up, retries
	// included, so that every mutation sent gets its answer; after grace
	// they are cut off.
	grace := max(cfg.scaled(time.Minute), 2*plan.attemptTimeout)
	hard, cancel := context.WithDeadline(ctx, plan.end.Add(grace))
	defer cancel()
	var wg sync.WaitGroup
	for _, k := range kiosks {
		wg.Go(func() { k.run(hard, plan) })
	}
	wg.Wait()
	arrived := c.arrivals.stop()
	if ctx.Err() != nil {
		return ctx.Err()
	}

	r := &FleetResult{Kiosks: n, Sites: sites, Duration: plan.end.Sub(plan.start)}
	m.Fleet = r
	var push, pull, busy []time.Duration
	for _, k := range kiosks {
		push, pull, busy = append(push, k.pushLat...), append(pull, k.pullLat...), append(busy, k.busyLat...)
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
	in := window(arrived, plan.start, plan.end, time.Second)
	for _, b := range in.Buckets {
		r.Requests += b
	}
	if len(in.Buckets) > 0 {
		r.PeakArrivals = slices.Max(in.Buckets)
	}
	r.CentreStatus = in.statuses()
	r.Rate = float64(r.Requests) / r.Duration.Seconds()
	if err := checkFleet(ctx, c.db.DB(), prefix, kiosks, r); err != nil {
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
		if !wake.Before(p.end) || !sleepUntil(ctx, wake) {
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
		if !sleepUntil(ctx, time.Now().Add(retry.NextBackOff())) {
			return
		}
	}
}

// attempt is syncer.Syncer.Sync: pull every page after the cursor, push
// what the lobby produced up to then in batches of at most MaxBatch, and
// if anything was pushed pull again (the centre's alerts on what it just
// received).
func (k *fleetKiosk) attempt(ctx context.Context, p fleetPlan) error {
	ctx, cancel := context.WithTimeout(ctx, p.attemptTimeout)
	defer cancel()
	if err := k.pull(ctx); err != nil {
		return err
	}
	fresh, err := k.lobby.until(time.Now())
	if err != nil {
		return err
	}
	k.pending = append(k.pending, fresh...)
	pushed := 0
	for len(k.pending) > 0 {
		batch := k.pending[:min(len(k.pending), wire.MaxBatch)]
		req := wire.PushRequest{Kiosk: k.Kiosk, Sent: time.Now().UTC(), Backlog: len(k.pending), Mutations: batch}
		k.sent = max(k.sent, batch[len(batch)-1].Seq)
		began := time.Now()
		resp, err := k.client.Push(ctx, req)
		if err := k.note(err, time.Since(began), &k.pushLat); err != nil {
			return err
		}
		k.pushes++
		for i, res := range resp.Results {
			if res.Epoch != batch[i].Epoch || res.Seq != batch[i].Seq {
				k.codes[http.StatusOK]--
				k.codes[0]++
				return k.fail(fmt.Errorf("push: answer %d is for %d/%d, not %d/%d", i, res.Epoch, res.Seq, batch[i].Epoch, batch[i].Seq))
			}
			k.answers[res.Seq] = res.Status
			k.results[res.Status]++
		}
		k.pending = k.pending[len(batch):]
		pushed += len(batch)
	}
	if pushed > 0 {
		return k.pull(ctx)
	}
	return nil
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
		k.records += len(page.Records)
		k.cursor = page.Cursor
		k.continuing = (page.Snapshot || k.continuing) && page.More
		if !page.More {
			return nil
		}
	}
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
	rows, err := db.QueryContext(ctx, "SELECT kiosk_id, epoch, seq, status FROM mutations WHERE kiosk_id LIKE '"+prefix+"-%'")
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
	fmt.Fprintf(w, "fleet kiosks=%d sites=%d duration=%v scale=%g kick=%t requests=%d rps=%.1f peak_1s=%d push_p50_ms=%s push_p99_ms=%s push_max_ms=%s pull_p50_ms=%s pull_p99_ms=%s http_200=%d http_429=%d http_other=%d retries=%d mutations=%d exactly_once=%s target=%s\n",
		r.Kiosks, r.Sites, r.Duration, cfg.Scale, cfg.Kick, r.Requests, r.Rate, r.PeakArrivals,
		msNum(r.Push.P50), msNum(r.Push.P99), msNum(r.Push.Max), msNum(r.Pull.P50), msNum(r.Pull.P99),
		r.Status200, r.Status429, r.StatusOther, r.Retries, r.Sent, once, verdict(r.TargetMet()))
	backend := "SQLite"
	if centredb.IsPostgres(cfg.Store) {
		backend = "PostgreSQL"
	}
	transport := "one http.Transport per kiosk (each keeps its own keep-alive connection, as real kiosks do)"
	if cfg.Transport == "shared" {
		transport = fmt.Sprintf("one shared http.Transport, MaxIdleConnsPerHost %d", r.Kiosks)
	}
	fmt.Fprintf(w, "  centre    %s, MaxInFlight %d, in this process at %s; %s, GOMAXPROCS %d\n", backend, cfg.MaxInFlight, c.url(), runtime.Version(), runtime.GOMAXPROCS(0))
	if cfg.Scale != 1 {
		fmt.Fprintf(w, "  scale     every duration ×%g (the syncer's 1 s backoff base and the centre's Retry-After 2 s are not scaled)\n", cfg.Scale)
	}
	fmt.Fprintf(w, "  kiosks    %d at %d sites, %s\n", r.Kiosks, r.Sites, transport)
	kick := ""
	if cfg.Kick {
		kick = " and right after each change (--kick, as cmd/kiosk's AfterWrite)"
	}
	fmt.Fprintf(w, "  schedule  a sync every %v ± %v (first at random in the first %v)%s: pull, push, pull again if it pushed; a check-in every ~%v (exponential), called %v–%v later, served %v–%v after that\n",
		cfg.scaled(cfg.Interval), cfg.scaled(cfg.Jitter), cfg.scaled(cfg.Interval), kick, cfg.scaled(cfg.CheckInEvery),
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
	fmt.Fprintf(w, "  pull      %d answered 200: %s; %.1f records each\n", r.Pull.N, r.Pull, perPull)
	if r.Status429 > 0 {
		fmt.Fprintf(w, "  429       %d answers (%s); retried after max(Retry-After, the syncer's backoff)\n", r.Busy.N, r.Busy)
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
	fmt.Fprintf(w, "  target    %d kiosks at push p99 ≤ 100 ms with no errors but 429: %s (p99 %s, %d errors)\n",
		r.Kiosks, verdict(r.TargetMet()), ms(r.Push.P99), r.StatusOther)
}

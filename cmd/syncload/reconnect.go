package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/jobs"
	"lobbyline/syncer"
	"lobbyline/syncer/centre/centredb"
	"lobbyline/syncer/outage"
)

// The syncer's schedule defaults (syncer.Config), which reconnect passes
// scaled when --scale is below 1 and leaves to the syncer otherwise.
const (
	minInterval = 25 * time.Second
	maxInterval = 35 * time.Second
)

// ReconnectResult is what a reconnect run measured.
type ReconnectResult struct {
	Kiosks, Sites int
	Outage        time.Duration // scaled
	Bucket        time.Duration // one second, scaled
	Refused       int           // requests kiosks tried while the centre was down
	CheckIns      int           // made during the outage
	Offline       int           // kiosks not online when the centre returned
	Pending       int           // mutations waiting when the centre returned
	Drained       bool
	Drain         time.Duration // from the restore until the last outbox was empty
	Requests      int           // reaching the centre during Drain
	Pushes, Pulls int
	Probes        int         // GET /healthz in the window, apart from Requests
	Status        map[int]int // Requests by the status the centre answered
	Buckets       []int       // Requests per Bucket from the restore
	Mean          float64
	Peak          int
	PeakAt        time.Duration
	AtCentre      int // the run's mutations at the centre
	ExactlyOnce   bool
	Mismatch      string
}

// Ratio is the peak bucket over the mean one.
func (r *ReconnectResult) Ratio() float64 {
	if r.Mean == 0 {
		return 0
	}
	return float64(r.Peak) / r.Mean
}

// TargetMet is the reconnect target: the peak one-second rate at most 3×
// the mean, and every outbox drained.
func (r *ReconnectResult) TargetMet() bool { return r.Drained && r.Ratio() <= 3 }

// realKiosk is a kiosk as cmd/kiosk runs one, without the UI: its store
// on SQLite and its syncer with the real schedule and retry policy.
type realKiosk struct {
	enrolment
	store *queue.Store
	sy    *syncer.Syncer
	mon   *outage.Monitor // probes as queue/jobs runs it: every ProbeEvery
	// drainedAt is when an attempt after the restore left the outbox
	// empty (Unix ns), as the syncer's status reported it.
	drainedAt atomic.Int64
}

// counting counts the requests a kiosk's client makes, refused ones too.
type counting struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func (m *Main) runReconnect(ctx context.Context) error {
	cfg := m.Config
	n := cfg.kiosks()
	if err := raiseFileLimit(uint64(16*n + 1024)); err != nil { // #nosec G115 -- a small non-negative count or a value this program wrote itself
		return err
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
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "syncload-kiosks-"); err != nil {
			return err
		}
		m.closers = append(m.closers, func() error { return os.RemoveAll(dir) })
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}

	scfg := syncer.Config{Logger: m.Logger} // the defaults
	if cfg.Scale != 1 {
		scfg = syncer.Config{
			MinInterval: cfg.scaled(minInterval), MaxInterval: cfg.scaled(maxInterval),
			AttemptTimeout: max(cfg.scaled(attemptTimeout), minTimeout),
			FirstRetry:     cfg.scaled(firstRetry), MaxBackoff: cfg.scaled(maxBackoff), Logger: m.Logger,
		}
	}
	var requests atomic.Int64
	var starting sync.WaitGroup // syncers being started, which Stop must not race
	kiosks := make([]*realKiosk, n)
	fmt.Fprintf(m.Stderr, "syncload: opening %d kiosk stores in %s\n", n, dir)
	err = parallel(ctx, n, 4, func(i int) error {
		e := enrolled[i]
		store, err := queue.Open(ctx, filepath.Join(dir, e.Kiosk+".db"), queue.Options{
			KioskID:  e.Kiosk,
			Services: []queue.Service{{ID: "registration", Prefix: "R", Name: "Registration"}},
			Desks:    []queue.Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"registration"}}},
			Logger:   m.Logger,
		})
		if err != nil {
			return err
		}
		hc := &http.Client{Timeout: max(cfg.scaled(clientTimeout), minTimeout),
			Transport: counting{next: http.DefaultTransport.(*http.Transport).Clone(), n: &requests}}
		client, err := syncer.NewClient(c.url(), e.Site, e.Token, hc)
		if err != nil {
			_ = store.Close() // the client error is the one to report
			return err
		}
		sy := syncer.New(store, client, scfg)
		kiosks[i] = &realKiosk{enrolment: e, store: store, sy: sy}
		if cfg.Probes {
			kiosks[i].mon = outage.NewMonitor(store, sy, client, outage.Config{Logger: m.Logger, Policy: outage.Policy{
				Grace: cfg.scaled(time.Minute), MajorAfter: cfg.scaled(10 * time.Minute), BackToNormal: cfg.scaled(2 * time.Minute),
				UpdateEvery: cfg.scaled(5 * time.Minute), SampleEvery: cfg.scaled(time.Minute), QuietProbe: cfg.scaled(outage.DefaultQuietProbe)}})
		}
		// Something to push on the first sync.
		if _, err := store.CheckIn(ctx, visitor(), queue.SourceKiosk); err != nil {
			return err
		}
		return nil
	})
	m.closers = append(m.closers, func() error {
		// Syncers first (each waits for its running sync), then stores.
		starting.Wait()
		var errs []error
		var mu sync.Mutex
		_ = parallel(context.Background(), len(kiosks), 16, func(i int) error {
			if k := kiosks[i]; k != nil {
				err := errors.Join(k.sy.Stop(), k.store.Close())
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			return nil
		})
		return errors.Join(errs...)
	})
	if err != nil {
		return err
	}

	// Start the syncers spread over one sync interval, like a fleet that
	// has been running a while, and wait until each has synced once.
	stagger := cfg.scaled(maxInterval)
	fmt.Fprintf(m.Stderr, "syncload: starting %d syncers over %v\n", n, stagger)
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	var startErr atomic.Pointer[error]
	probeEvery := cfg.scaled(jobs.DefaultProbeEvery)
	for _, k := range kiosks {
		at := time.Now().Add(time.Duration(rand.Int64N(int64(stagger)))) // #nosec G404 -- load generation: random timing and names, not secrets
		starting.Go(func() {
			if !sleepUntil(runCtx, at) {
				return
			}
			if err := k.sy.Start(runCtx); err != nil {
				startErr.CompareAndSwap(nil, &err)
				return
			}
			if k.mon == nil {
				return
			}
			cancel := k.mon.Watch(runCtx)
			defer cancel()
			// The monitor's probe, as queue/jobs schedules it.
			for next := time.Now(); sleepUntil(runCtx, next); next = next.Add(probeEvery) {
				if err := k.mon.Probe(runCtx); err != nil && runCtx.Err() == nil {
					m.Logger.Warn("probe", "kiosk", k.Kiosk, "err", err)
				}
			}
		})
	}
	if err := waitAll(ctx, kiosks, stagger+2*time.Minute, func(k *realKiosk) bool {
		st := k.sy.Status()
		return !st.LastSuccess.IsZero() && st.Backlog == 0
	}); err != nil {
		if e := startErr.Load(); e != nil {
			return *e
		}
		return fmt.Errorf("first sync: %w", err)
	}
	fd := openFiles()

	// The outage: connections refused. Each kiosk checks visitors in at
	// random moments of it and kicks its syncer after each, as the kiosk
	// program's AfterWrite does.
	outage := cfg.scaled(cfg.Outage)
	r := &ReconnectResult{Kiosks: n, Sites: sites, Outage: outage, Bucket: cfg.scaled(time.Second)}
	m.Reconnect = r
	fmt.Fprintf(m.Stderr, "syncload: all synced once (%d files open); centre down for %v\n", fd, outage)
	if err := c.down(); err != nil {
		return err
	}
	downAt := time.Now()
	before := requests.Load()
	var wg sync.WaitGroup
	var checkIns atomic.Int64
	var checkInErr atomic.Pointer[error]
	for _, k := range kiosks {
		wg.Go(func() {
			times := make([]time.Duration, cfg.CheckIns)
			for i := range times {
				times[i] = time.Duration(rand.Float64() * 0.9 * float64(outage)) // #nosec G404 -- load generation: random timing and names, not secrets
			}
			slices.Sort(times)
			for _, t := range times {
				if !sleepUntil(runCtx, downAt.Add(t)) {
					return
				}
				if _, err := k.store.CheckIn(runCtx, visitor(), queue.SourceKiosk); err != nil {
					checkInErr.CompareAndSwap(nil, &err)
					return
				}
				checkIns.Add(1)
				k.sy.Kick()
			}
		})
	}
	wg.Wait()
	if e := checkInErr.Load(); e != nil {
		return fmt.Errorf("check in during the outage: %w", *e)
	}
	if !sleepUntil(ctx, downAt.Add(outage)) {
		return ctx.Err()
	}
	r.CheckIns = int(checkIns.Load())
	for _, k := range kiosks {
		if k.sy.Status().State != syncer.Online {
			r.Offline++
		}
		b, err := k.store.Backlog(ctx)
		if err != nil {
			return err
		}
		r.Pending += b.Pending
	}

	// The return: count what reaches the centre until every outbox is
	// empty. A kiosk's drain time is when its syncer reported the empty
	// outbox; polling store.Backlog confirms it.
	var restored atomic.Bool
	for _, k := range kiosks {
		cancel := k.sy.Subscribe(func(st syncer.Status) {
			if restored.Load() && st.State == syncer.Online && st.Backlog == 0 {
				k.drainedAt.CompareAndSwap(0, time.Now().UnixNano())
			}
		})
		defer cancel()
	}
	r.Refused = int(requests.Load() - before)
	fmt.Fprintf(m.Stderr, "syncload: centre back after %v: %d of %d kiosks offline, %d mutations waiting\n", time.Since(downAt).Round(time.Millisecond), r.Offline, n, r.Pending)
	if err := c.begin(); err != nil {
		return err
	}
	restored.Store(true)
	upAt := time.Now()
	if err := c.up(); err != nil {
		return err
	}
	poll := max(cfg.scaled(time.Second), 50*time.Millisecond)
	left := slices.Clone(kiosks)
	deadline := upAt.Add(cfg.DrainTimeout)
	var last time.Time
	for len(left) > 0 && time.Now().Before(deadline) {
		if !sleepUntil(ctx, time.Now().Add(poll)) {
			return ctx.Err()
		}
		now := time.Now()
		var still []*realKiosk
		for _, k := range left {
			b, err := k.store.Backlog(ctx)
			if err != nil {
				return err
			}
			if b.Pending > 0 {
				still = append(still, k)
				continue
			}
			at := now
			if ns := k.drainedAt.Load(); ns != 0 {
				at = time.Unix(0, ns)
			}
			if at.After(last) {
				last = at
			}
		}
		left = still
	}
	arrived, err := c.stop()
	if err != nil {
		return err
	}
	r.Drained = len(left) == 0
	if !r.Drained {
		last = time.Now()
	}
	r.Drain = last.Sub(upAt)
	in := window(arrived, upAt, last, r.Bucket)
	r.Buckets, r.Pushes, r.Pulls, r.Status, r.Probes = in.Buckets, in.Push, in.Pull, in.Status, in.Probes
	statuses := in.statuses()
	r.Requests = r.Pushes + r.Pulls
	if r.Drain > 0 {
		r.Mean = float64(r.Requests) / (float64(r.Drain) / float64(r.Bucket))
	}
	for i, b := range r.Buckets {
		if b > r.Peak {
			r.Peak, r.PeakAt = b, time.Duration(i)*r.Bucket
		}
	}
	if err := checkReconnect(ctx, c.db().DB(), prefix, kiosks, r); err != nil {
		return err
	}
	m.printReconnect(r, c, scfg, dir, statuses)
	switch {
	case !r.Drained:
		return fmt.Errorf("%d kiosks still had mutations waiting %v after the centre came back", len(left), cfg.DrainTimeout)
	case !r.ExactlyOnce:
		return fmt.Errorf("exactly-once check failed: %s", r.Mismatch)
	}
	return nil
}

// visitor is a check-in form with a made-up name.
func visitor() queue.CheckInForm {
	return queue.CheckInForm{
		Name:    fmt.Sprintf("%s %c. %s", firstNames[rand.IntN(len(firstNames))], 'A'+rune(rand.IntN(26)), lastNames[rand.IntN(len(lastNames))]), // #nosec G115 G404 -- load generation: random timing and names, not secrets
		Service: "registration",
	}
}

// waitAll polls until ok holds for every kiosk, or fails after limit.
func waitAll(ctx context.Context, kiosks []*realKiosk, limit time.Duration, ok func(*realKiosk) bool) error {
	deadline := time.Now().Add(limit)
	for {
		done := 0
		for _, k := range kiosks {
			if ok(k) {
				done++
			}
		}
		if done == len(kiosks) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d kiosks not there after %v", len(kiosks)-done, len(kiosks), limit)
		}
		if !sleepUntil(ctx, time.Now().Add(100*time.Millisecond)) {
			return ctx.Err()
		}
	}
}

// checkReconnect compares, kiosk by kiosk, the mutations the outbox holds
// as accepted with the rows the centre holds: equal counts, none pending
// and none rejected.
func checkReconnect(ctx context.Context, db *sql.DB, prefix string, kiosks []*realKiosk, r *ReconnectResult) error {
	rows, err := db.QueryContext(ctx, "SELECT kiosk_id, count(*) FROM mutations WHERE kiosk_id LIKE '"+prefix+"-%' GROUP BY kiosk_id") // #nosec G202 -- the prefix is this program's own [a-z0-9], made by enroll
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	defer rows.Close()
	got := make(map[string]int)
	for rows.Next() {
		var kiosk string
		var n int
		if err := rows.Scan(&kiosk, &n); err != nil {
			return fmt.Errorf("check: %w", err)
		}
		got[kiosk] = n
		r.AtCentre += n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	for _, k := range kiosks {
		b, err := k.store.Backlog(ctx)
		if err != nil {
			return err
		}
		if (b.Pending > 0 && r.Drained) || b.Rejected > 0 || b.Done != got[k.Kiosk] {
			if r.Mismatch == "" {
				r.Mismatch = fmt.Sprintf("kiosk %s: outbox done %d, pending %d, rejected %d; the centre holds %d",
					k.Kiosk, b.Done, b.Pending, b.Rejected, got[k.Kiosk])
			}
		}
	}
	r.ExactlyOnce = r.Mismatch == ""
	return nil
}

func (m *Main) printReconnect(r *ReconnectResult, c *loadCentre, scfg syncer.Config, dir, statuses string) {
	cfg := m.Config
	w := m.Stdout
	once := "ok"
	if !r.ExactlyOnce {
		once = "FAILED"
	}
	fmt.Fprintf(w, "reconnect kiosks=%d sites=%d outage=%v scale=%g offline_at_restore=%d drained=%t drain_s=%.1f requests=%d mean_rps=%.1f peak_rps=%d peak_over_mean=%.2f exactly_once=%s target=%s\n",
		r.Kiosks, r.Sites, r.Outage, cfg.Scale, r.Offline, r.Drained, r.Drain.Seconds(), r.Requests, r.Mean, r.Peak, r.Ratio(), once, verdict(r.TargetMet()))
	backend := "SQLite"
	if centredb.IsPostgres(cfg.Store) {
		backend = "PostgreSQL"
	}
	fmt.Fprintf(w, "  centre    %s, MaxInFlight %d, in this process at %s\n", backend, cfg.MaxInFlight, c.url())
	if cfg.Scale == 1 {
		fmt.Fprintf(w, "  kiosks    %d real kiosks at %d sites: queue.Store (SQLite) each in %s, syncer.Syncer with the defaults (MinInterval 25s, MaxInterval 35s, FirstRetry 10s, MaxBackoff 5m, AttemptTimeout 20s), own http.Transport\n",
			r.Kiosks, r.Sites, dir)
	} else {
		fmt.Fprintf(w, "  kiosks    %d real kiosks at %d sites: queue.Store (SQLite) each in %s, syncer.Syncer scaled ×%g (MinInterval %v, MaxInterval %v, FirstRetry %v, MaxBackoff %v, AttemptTimeout %v), own http.Transport\n",
			r.Kiosks, r.Sites, dir, cfg.Scale, scfg.MinInterval, scfg.MaxInterval, scfg.FirstRetry, scfg.MaxBackoff, scfg.AttemptTimeout)
		fmt.Fprintf(w, "  scale     every duration ×%g, buckets of %v; not scaled: the syncer's backoff base (1 s, ×1.5) and the centre's Retry-After (2 s)\n", cfg.Scale, r.Bucket)
	}
	if cfg.Probes {
		fmt.Fprintf(w, "  monitor   each kiosk's outage.Monitor probes every %v (asking when outage.ProbeDue does) and wakes its offline syncer when the centre answers (syncer.WakeSoon)\n", cfg.scaled(jobs.DefaultProbeEvery))
	}
	fmt.Fprintf(w, "  outage    listener closed for %v (connections refused, open ones cut); %d check-ins during it, each followed by Kick; %d requests refused\n",
		r.Outage, r.CheckIns, r.Refused)
	fmt.Fprintf(w, "  restore   %d of %d kiosks offline (in backoff), %d mutations waiting\n", r.Offline, r.Kiosks, r.Pending)
	if r.Drained {
		fmt.Fprintf(w, "  drain     %.1f s from the restore until every outbox was empty\n", r.Drain.Seconds())
	} else {
		fmt.Fprintf(w, "  drain     NOT DRAINED after %v\n", r.Drain.Round(time.Second))
	}
	fmt.Fprintf(w, "  arrivals  %d requests at the centre in that time (pull %d, push %d; answered %s): mean %.1f per %v, peak %d at +%v, peak/mean %.2f\n",
		r.Requests, r.Pulls, r.Pushes, statuses, r.Mean, r.Bucket, r.Peak, r.PeakAt, r.Ratio())
	fmt.Fprintf(w, "  probes    %d GET /healthz at the centre in that time (not counted above)\n", r.Probes)
	fmt.Fprintf(w, "  per %v from the restore:\n", r.Bucket)
	writeHistogram(w, "   ", r.Buckets, r.Bucket)
	c.printPool(w, cfg)
	if r.ExactlyOnce {
		fmt.Fprintf(w, "  check     every outbox's accepted mutations are at the centre exactly once: %d rows\n", r.AtCentre)
	} else {
		fmt.Fprintf(w, "  check     FAILED: %s\n", r.Mismatch)
	}
	fmt.Fprintf(w, "  target    peak one-second rate ≤ 3× the mean after %d kiosks return: %s (%.2f×)\n", r.Kiosks, verdict(r.TargetMet()), r.Ratio())
}

// raiseFileLimit lifts the soft limit on open files towards need, up to
// the hard limit. (Go already raises it to the hard limit at start-up on
// Linux; this is for other systems and says what is missing.)
func raiseFileLimit(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("open-file limit: %w", err)
	}
	if lim.Cur >= need {
		return nil
	}
	lim.Cur = min(max(need, lim.Cur), lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raise open-file limit: %w", err)
	}
	if lim.Cur < need {
		return fmt.Errorf("open-file limit %d is below the ~%d this run needs; raise the hard limit (ulimit -Hn) or run fewer kiosks", lim.Cur, need)
	}
	return nil
}

// openFiles counts this process's open file descriptors (Linux), or -1.
func openFiles() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

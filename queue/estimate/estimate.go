// Package estimate predicts how long a visitor joining a service will wait,
// from the kiosk's own history of arrivals, calls and exits. It is pure
// over the history it is handed: events come in through Estimator.Observe,
// in time order, and Estimator.Estimate reads from them alone.
//
// It is the kiosk's run-time estimator and the one the offline replay
// (queue/waiteval) scores, so it must not depend on where the events come
// from: no SQL, no store, no lobbyline/queue, no UI, no clock of its own
// (the caller says what time it is). It imports only the standard library.
package estimate

import (
	"math"
	"slices"
	"time"
)

// Range is a predicted wait for someone joining a service now: a point
// estimate and the interval around it.
type Range struct {
	Wait        time.Duration // point estimate
	Low, High   time.Duration // 80% interval, Low <= Wait <= High
	FromHistory bool          // false while the configured default is used
}

// RangeMinutes rounds the interval for display ("about 10–15 min"). Low is
// rounded down and high up, so rounding never makes the range claim more
// precision than the interval has: whole minutes below 10 min, 5-minute
// steps below an hour, 10-minute steps above. low >= 0 and low < high always.
func (r Range) RangeMinutes() (low, high int) {
	lo := max(r.Low.Minutes(), 0)
	hi := max(r.High.Minutes(), lo)
	low = int(math.Floor(lo/displayStep(lo))) * int(displayStep(lo))
	step := displayStep(hi)
	high = int(math.Ceil(hi/step)) * int(step)
	if high <= low {
		high = low + int(displayStep(float64(low)))
	}
	return low, high
}

// displayStep is the rounding step, in minutes, for a wait of m minutes: the
// larger the wait, the less a visitor gains from precision we do not have.
func displayStep(m float64) float64 {
	switch {
	case m < 10:
		return 1
	case m < 60:
		return 5
	default:
		return 10
	}
}

// ObservationKind says what happened to a visit.
type ObservationKind int

const (
	ObserveArrive ObservationKind = iota + 1 // visitor joined a service's queue (Ahead, OpenDesks filled in: what the kiosk knew at that moment)
	ObserveCall                              // visitor called to a desk (entered service)
	ObserveDone                              // service finished (served) — optional info
	ObserveNoShow                            // called, did not come
	ObserveLeave                             // left the queue without being called (cancelled, abandoned, transferred away, expired)
	ObserveDesks                             // a desk serving the service opened or closed: the line's pace changed
	// ObserveSharedCall: a desk serving the service called someone of
	// another service it also serves. Those waiting here moved up one
	// place (Query.Ahead counts whom such a desk calls first), and the
	// time to this service's next call counts from here, so the time per
	// call it learns is the desks' own, not stretched by the other
	// service's calls in between.
	ObserveSharedCall
)

// Observation is one event of the kiosk's history, fed to the estimator in
// time order.
type Observation struct {
	Kind      ObservationKind
	Visit     int64 // stable id of the visit
	Service   string
	At        time.Time
	Ahead     int // for ObserveArrive: people ahead in line at that moment
	OpenDesks int // desks open for this service at that moment (0 = unknown; treat as 1)
}

// Config configures an Estimator. The zero value is usable.
type Config struct {
	// PerVisitor is, per service, the time one desk takes per visitor,
	// used while the service has no history: the wait is then people
	// ahead (who are not at a free desk) + 1, times PerVisitor, ÷ open
	// desks. FallbackPerVisitor is used for a service with no entry; 15 min
	// if zero.
	PerVisitor         map[string]time.Duration
	FallbackPerVisitor time.Duration

	// DefaultWait and FallbackWait are the older names: they are read as
	// PerVisitor and FallbackPerVisitor where those have no value, so a
	// configuration written for one wait per service still works (one
	// visitor ahead of nobody, at one desk, waits what it said).
	DefaultWait  map[string]time.Duration
	FallbackWait time.Duration

	// Window is how many recent events of a service (calls, exits, errors)
	// the estimator learns from. Zero means 100; at most 10000. Smaller adapts faster to a
	// change of staffing; larger gives steadier estimates and intervals.
	Window int
	// MaxWaiting bounds the visits remembered between arrival and call (or
	// leave); the oldest are forgotten beyond it. Zero means 10000.
	MaxWaiting int
	// MaxAge forgets visits that have waited longer than this without a call
	// or leave being observed (a lost event must not pin memory). Zero means
	// 24 h.
	MaxAge time.Duration
}

const (
	defaultFallbackWait = 15 * time.Minute
	defaultWindow       = 100
	defaultMaxWaiting   = 10000
	defaultMaxAge       = 24 * time.Hour
	maxWindow           = 10000 // Estimate sorts a window of errors

	// minErrors is how many prediction errors a service needs before its own
	// errors shape its estimates; until then the pooled errors of all
	// services are used.
	minErrors = 20
	// minRegress is how many examples the regression needs before it is
	// used: a few per feature.
	minRegress = 4 * nReg
	// regMemory is the regression's memory in windows: enough examples for
	// its dozen coefficients and every hour of the day, short enough to
	// follow a season.
	regMemory = 10
	// regPenalty is the ridge penalty on standardised features, as a share
	// of each feature's variance: it keeps nearly collinear features (the
	// rolling means, the fit) from trading large opposite coefficients.
	regPenalty = 0.05
	// minCalls is how many timed calls a service needs before history
	// replaces the configured default: the first call of the morning alone
	// says little about the next hour.
	minCalls = 5
)

// Estimator predicts waits per service from the kiosk's own history. It is
// not safe for concurrent use; the store guards it.
//
// The point estimate combines two delay predictors from the queueing
// literature (Ibrahim & Whitt 2009; Ang et al. 2016):
//
//   - queue length: (people ahead who will be called + 1) × time per call
//     per desk ÷ open desks, the mean wait in a many-desk queue with all
//     desks busy. Those ahead are discounted by the recent share of visitors
//     who left the queue uncalled; no-shows are discounted through the time
//     per call (see features). Time per call is measured only while the
//     called visitor was already waiting, so desks idle for an empty queue
//     do not inflate it.
//   - last to enter service (LES): the wait of the visitor called last.
//
// Where a service is a plain first-come queue the textbook formula is right
// and LES adds little; where staff are shared or some visitors jump the
// line (triage), waits grow with the queue more slowly and start higher.
// So the estimator does not fix the mix: per service it keeps an
// exponentially weighted least-squares fit of actual waits on the formula's
// two terms and LES, shrunk towards the formula itself, and uses the
// formula alone until it has minErrors calls to learn from.
//
// On top of that fit, per service, an exponentially weighted ridge
// regression (regress.go) predicts what the fit still misses: its residual,
// from what the kiosk knew at arrival (the fit itself, people ahead, LES,
// time since the last call, how long the first in line has waited, people
// waiting in other services, recent mean waits, hour of day as two
// harmonics, and the logarithm of the first in line's wait). Squared
// error is what it minimises, so its point estimate is a conditional
// mean. Each served visitor's call adds one example. The
// regression is only trained on arrivals the fit had already learned from
// and is only used once it has minRegress examples and minErrors errors of
// its own; until then the fit's recent errors give the interval (their
// 10% and 90% quantiles) and a correction of the point estimate (their
// median). The regression's interval is the quantiles of its own recent
// errors, at levels adapted so that about 10% of waits fall below it and
// 10% above (calibration).
type Estimator struct {
	cfg      Config
	window   int
	services map[string]*serviceState
	waiting  map[int64]waitingVisit
	// arrivals lists waiting visits in arrival order so the oldest can be
	// forgotten; entries of visits already called or gone are skipped lazily.
	arrivals []arrivalRef
	errors   *ErrorWindow // actual − blended prediction, minutes
	// regErrors are the errors of the regression's point estimates,
	// actual − point, minutes: its interval.
	regErrors *ErrorWindow
	nWaiting  int // visits remembered as waiting, all services
}

type arrivalRef struct {
	visit int64
	at    time.Time
}

// waitingVisit is what the estimator remembers about a visit between its
// arrival and its call: enough to score its own prediction.
type waitingVisit struct {
	service string
	arrived time.Time
	feat    [nFeatures]float64 // the fit's terms at arrival
	blend   float64            // fitted wait at arrival, before error correction, minutes
	x       [nReg]float64      // the regression's features at arrival
	told    Range              // the regression's estimate at arrival; Wait < 0 if it had none
	fitted  bool               // blend came from the service's own fit, not the textbook formula
}

type serviceState struct {
	lastCall    time.Time
	hasCall     bool
	lastMove    time.Time // last call or change of desks: where counting down starts
	lesWait     float64   // minutes; wait of the last visitor called
	callMinutes Window    // minutes between calls while someone was waiting, × desks
	stayed      Window    // 1 per call, 0 per leave: share of the queue that is called
	fit         waitFit
	nWaiting    int          // visits of the service remembered as waiting
	queue       []arrivalRef // its waiting visits in arrival order, lazily pruned
	waitsShort  Window       // recent actual waits, minutes
	waitsLong   Window
	reg         ridge // residual of the fit, on the features of regFeatures
	cal         calibration
}

// New returns an estimator with no history.
func New(cfg Config) *Estimator {
	if cfg.FallbackPerVisitor <= 0 {
		cfg.FallbackPerVisitor = cfg.FallbackWait
	}
	if cfg.FallbackPerVisitor <= 0 {
		cfg.FallbackPerVisitor = defaultFallbackWait
	}
	if cfg.FallbackWait <= 0 {
		cfg.FallbackWait = cfg.FallbackPerVisitor
	}
	if cfg.Window <= 0 {
		cfg.Window = defaultWindow
	}
	cfg.Window = min(cfg.Window, maxWindow)
	if cfg.MaxWaiting <= 0 {
		cfg.MaxWaiting = defaultMaxWaiting
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = defaultMaxAge
	}
	return &Estimator{
		cfg:       cfg,
		window:    cfg.Window,
		services:  make(map[string]*serviceState),
		waiting:   make(map[int64]waitingVisit),
		errors:    NewErrorWindow(cfg.Window),
		regErrors: NewErrorWindow(cfg.Window),
	}
}

// Config returns the configuration in use, defaults filled in. Its
// DefaultWait map is the one New was given.
func (e *Estimator) Config() Config { return e.cfg }

func (e *Estimator) service(name string) *serviceState {
	s := e.services[name]
	if s == nil {
		n := e.window
		s = &serviceState{
			callMinutes: NewWindow(max(n/5, 5)),
			stayed:      NewWindow(n),
			waitsShort:  NewWindow(max(n/10, 5)),
			waitsLong:   NewWindow(n),
			cal:         newCalibration(),
		}
		e.services[name] = s
	}
	return s
}

// Observe feeds one event. Events must come in time order.
func (e *Estimator) Observe(o Observation) {
	switch o.Kind {
	case ObserveArrive:
		e.arrive(o)
	case ObserveCall:
		e.call(o)
	case ObserveNoShow:
		e.noShow(o)
	case ObserveLeave:
		if v, ok := e.waiting[o.Visit]; ok {
			e.unwait(o.Visit, v)
			e.service(v.service).stayed.Push(0)
		}
	case ObserveDesks:
		s := e.service(o.Service)
		s.lastMove = o.At
	case ObserveSharedCall:
		s := e.service(o.Service)
		s.lastCall, s.hasCall, s.lastMove = o.At, true, o.At
	case ObserveDone:
		// Service durations are not needed: time between calls already
		// measures how fast desks free up, including no-shows and breaks.
	}
	e.forget(o.At)
}

func (e *Estimator) arrive(o Observation) {
	s := e.service(o.Service)
	feat, blend := e.predict(o.Service, s, o.Ahead, o.OpenDesks)
	x := e.regFeatures(s, o.Ahead, blend, o.At)
	told := Range{Wait: -1}
	if s.reg.n >= minRegress {
		told = e.regRange(s, o.Service, max(o.Ahead, 0), o.OpenDesks, o.At)
	}
	if old, ok := e.waiting[o.Visit]; ok {
		e.unwait(o.Visit, old)
		if old.service != o.Service {
			// A visit re-joining another service (a transfer) leaves the first.
			e.service(old.service).stayed.Push(0)
		}
	}
	e.waiting[o.Visit] = waitingVisit{
		service: o.Service,
		arrived: o.At,
		feat:    feat,
		blend:   blend,
		x:       x,
		told:    told,
		fitted:  s.fit.n >= minErrors,
	}
	e.nWaiting++
	s.nWaiting++
	ref := arrivalRef{visit: o.Visit, at: o.At}
	e.arrivals = append(e.arrivals, ref)
	s.queue = append(s.queue, ref)
}

// unwait forgets that visit v is waiting.
func (e *Estimator) unwait(visit int64, v waitingVisit) {
	delete(e.waiting, visit)
	e.nWaiting--
	if s := e.services[v.service]; s != nil {
		s.nWaiting--
		s.pruneQueue(v.service, e.waiting)
	}
}

func (e *Estimator) call(o Observation) {
	desks := float64(max(o.OpenDesks, 1))
	v, known := e.waiting[o.Visit]
	name := o.Service
	if known {
		name = v.service
	}
	s := e.service(name)
	if known {
		e.unwait(o.Visit, v)
		// Time between calls counts only from when this visitor was already
		// waiting: a desk idle for an empty queue says nothing about speed.
		start := v.arrived
		if s.hasCall && s.lastCall.After(start) {
			start = s.lastCall
		}
		if gap := o.At.Sub(start).Minutes(); gap >= 0 {
			s.callMinutes.Push(gap * desks)
		}
		actual := max(o.At.Sub(v.arrived).Minutes(), 0)
		if v.feat[0] > 0 {
			s.fit.add(v.feat, actual, float64(fitMemory*e.window))
		}
		e.errors.Add(name, actual-v.blend)
		if v.told.Wait >= 0 {
			e.regErrors.Add(name, actual-v.told.Wait.Minutes())
			s.cal.update(v.told, o.At.Sub(v.arrived))
		}
		if v.fitted {
			s.reg.add(v.x, actual-v.blend, float64(regMemory*e.window))
			s.reg.solve(regPenalty)
		}
		s.waitsShort.Push(actual)
		s.waitsLong.Push(actual)
		s.lesWait = actual
		s.stayed.Push(1)
	}
	s.lastCall = o.At
	s.hasCall = true
	s.lastMove = o.At
}

// noShow records that a called visitor did not come. A kiosk may report the
// call first and the no-show later, or the no-show alone; either way it was
// one call. Nothing more is needed: see features.
func (e *Estimator) noShow(o Observation) {
	if _, waiting := e.waiting[o.Visit]; waiting {
		e.call(o)
	}
}

// forget drops visits that have waited too long or too many, so that lost
// events cannot grow memory while the kiosk runs for months.
func (e *Estimator) forget(now time.Time) {
	for len(e.arrivals) > 0 {
		a := e.arrivals[0]
		v, ok := e.waiting[a.visit]
		stale := ok && v.arrived.Equal(a.at) && (now.Sub(a.at) > e.cfg.MaxAge || len(e.waiting) > e.cfg.MaxWaiting)
		if ok && v.arrived.Equal(a.at) && !stale {
			break
		}
		if stale {
			e.unwait(a.visit, v)
		}
		e.arrivals = e.arrivals[1:]
	}
	// Reslicing from the front leaks the backing array's head; copy down
	// once it is mostly dead.
	if cap(e.arrivals) > 64 && len(e.arrivals) < cap(e.arrivals)/4 {
		e.arrivals = slices.Clone(e.arrivals)
	}
}

// Query is one place in a service's line, as the kiosk knows it now.
type Query struct {
	Service string
	// Ahead is how many people the desks serving the service will call
	// before this visitor: those in front in the same line, and, at a
	// desk that also serves other lines, those of the other lines it
	// calls first.
	Ahead int
	// AheadBy is those Ahead by their own service, where a shared desk
	// calls people of other lines among them; nil when all are of
	// Service. Before the line has history, each counts at the time
	// their own service takes (PerVisitor), not this line's.
	AheadBy map[string]int
	// OpenDesks is how many desks serve the service now; 0 means unknown
	// and is taken as one (the replay of a log without desks). The kiosk
	// does not ask for an estimate while it knows no desk is open.
	OpenDesks int
	// FreeDesks is how many of the open desks serve nobody now: the first
	// FreeDesks people in line are called next, at once. 0 if unknown.
	FreeDesks int
	// Since is when this visitor joined the line; the estimator counts
	// from then or from the service's last call or change of desks,
	// whichever is later. Zero for someone joining now. See Remaining.
	Since time.Time
}

// Estimate returns the wait for someone with ahead people in front in
// service with openDesks desks open now. It does not change the estimator.
func (e *Estimator) Estimate(service string, ahead, openDesks int, now time.Time) Range {
	return e.Remaining(Query{Service: service, Ahead: ahead, OpenDesks: openDesks}, now)
}

// Remaining returns the wait still ahead of the visitor q describes. It
// does not change the estimator.
//
// The estimate for a place in line holds from the moment the line last
// moved for that visitor (q.Since, or the service's last call or change
// of desks, whichever is later), and counts down from there, in whole
// minutes: a visitor told 10–15 min who has seen nothing happen for 5 min
// reads 5–10. Once the count has passed the top of the range, the line is
// slower than the estimate said; what the estimator then knows is what it
// would tell someone in the same place who joined at that moment, so the
// estimate starts again from there (and counts down again), rather than
// standing at "any moment now".
func (e *Estimator) Remaining(q Query, now time.Time) Range {
	if q.Since.IsZero() {
		return e.fresh(q, now)
	}
	start := q.Since
	s := e.services[q.Service]
	if s != nil && s.lastMove.After(start) {
		start = s.lastMove
	}
	if start.After(now) {
		// The clock was set back since: count from the line's last move
		// by the clock as it is now, or hold the estimate until the line
		// moves, rather than until the clock comes round again.
		start = now
		if s != nil && !s.lastMove.IsZero() && !s.lastMove.After(now) {
			start = s.lastMove
		}
	}
	r := e.fresh(q, start)
	if r.High <= 0 {
		return r
	}
	// Whole minutes: the range is read in minutes, and a count that
	// dropped a minute off it a second after check-in would look like a
	// different promise.
	gone := now.Sub(start).Truncate(time.Minute)
	if gone <= 0 {
		return r
	}
	gone %= r.High
	r.Wait = max(r.Wait-gone, 0)
	r.Low = max(r.Low-gone, 0)
	r.High -= gone
	return r
}

// fresh is the estimate for q's place in line as it stood at time at,
// counting nothing down.
func (e *Estimator) fresh(q Query, at time.Time) Range {
	ahead := q.Ahead
	if q.FreeDesks > 0 {
		if ahead < q.FreeDesks {
			// A desk is free and this visitor is next for it.
			return Range{FromHistory: e.hasHistory(q.Service)}
		}
		ahead -= q.FreeDesks
	}
	s := e.services[q.Service]
	if !e.hasHistory(q.Service) {
		return defaultRange(ahead, e.perCall(q), q.OpenDesks)
	}
	if r, ok := e.regressed(s, q.Service, ahead, q.OpenDesks, at); ok {
		return r
	}
	_, blend := e.predict(q.Service, s, ahead, q.OpenDesks)
	errs := e.errors.Quantiles(q.Service, 0.1, 0.5, 0.9)
	if errs == nil {
		w := minutes(blend)
		return Range{Wait: w, Low: w / 2, High: w + w/2, FromHistory: true}
	}
	wait := max(blend+errs[1], 0)
	low := min(max(blend+errs[0], 0), wait)
	high := max(blend+errs[2], wait)
	return Range{Wait: minutes(wait), Low: minutes(low), High: minutes(high), FromHistory: true}
}

func (e *Estimator) hasHistory(service string) bool {
	s := e.services[service]
	return s != nil && s.callMinutes.Len() >= minCalls
}

// perVisitor is the configured time one desk takes per visitor of service.
func (e *Estimator) perVisitor(service string) time.Duration {
	if w, ok := e.cfg.PerVisitor[service]; ok && w > 0 {
		return w
	}
	if w, ok := e.cfg.DefaultWait[service]; ok && w > 0 {
		return w
	}
	return e.cfg.FallbackPerVisitor
}

// defaultEstimate is the wait without history: those ahead and the visitor
// themself each take the configured time at one of the open desks. The
// interval is wide (half to one and a half times) because nothing has been
// measured yet.
func (e *Estimator) defaultEstimate(service string, ahead, openDesks int) Range {
	return defaultRange(ahead, e.perVisitor(service), openDesks)
}

// defaultRange is defaultEstimate for calls that take perCall each.
func defaultRange(ahead int, perCall time.Duration, openDesks int) Range {
	w := time.Duration(max(ahead, 0)+1) * perCall / time.Duration(max(openDesks, 1))
	return Range{Wait: w, Low: w / 2, High: w + w/2}
}

// perCall is the configured time a call before q's visitor takes: their
// own service's, or, where a shared desk calls people of other lines
// first (q.AheadBy), the mean over those people of their own services'.
func (e *Estimator) perCall(q Query) time.Duration {
	var sum time.Duration
	n := 0
	for svc, k := range q.AheadBy {
		sum += time.Duration(k) * e.perVisitor(svc)
		n += k
	}
	if n == 0 {
		return e.perVisitor(q.Service)
	}
	return sum / time.Duration(n)
}

// predict returns the fit's terms and the fitted wait in minutes, before
// error correction; without call history, the configured default.
func (e *Estimator) predict(name string, s *serviceState, ahead, openDesks int) (f [nFeatures]float64, wait float64) {
	if s.callMinutes.Len() == 0 {
		return f, e.defaultEstimate(name, ahead, openDesks).Wait.Minutes()
	}
	f = s.features(ahead, openDesks)
	w := textbookCoef
	if s.fit.n >= minErrors {
		w = s.fit.coef()
	}
	return f, max(w[0]*f[0]+w[1]*f[1]+w[2]*f[2], 0)
}

func minutes(m float64) time.Duration {
	return time.Duration(math.Round(m * float64(time.Minute)))
}

// ErrorWindow keeps a predictor's recent errors (actual minus predicted
// wait, in minutes) per service, and pooled over all services for a service
// with few errors of its own. The Estimator keeps one for its own intervals;
// an evaluation keeps one per method it compares, so that every method's
// interval is built as the estimator builds its own. It is not safe for
// concurrent use.
type ErrorWindow struct {
	window   int
	services map[string]*Window
	pooled   Window
}

// NewErrorWindow returns an empty ErrorWindow remembering the last window
// errors of each service and twice as many pooled; window is defaulted and
// bounded as Config.Window is.
func NewErrorWindow(window int) *ErrorWindow {
	if window <= 0 {
		window = defaultWindow
	}
	window = min(window, maxWindow)
	return &ErrorWindow{
		window:   window,
		services: make(map[string]*Window),
		pooled:   NewWindow(2 * window),
	}
}

// Add records the error of one prediction for service: actual minus
// predicted wait, in minutes.
func (w *ErrorWindow) Add(service string, miss float64) {
	r := w.services[service]
	if r == nil {
		nr := NewWindow(w.window)
		r = &nr
		w.services[service] = r
	}
	r.Push(miss)
	w.pooled.Push(miss)
}

// Quantiles returns the quantiles ps (0 to 1) of service's recent errors,
// or of the pooled errors while service has fewer than minErrors of its
// own; nil if there are no errors at all. It does not change w.
func (w *ErrorWindow) Quantiles(service string, ps ...float64) []float64 {
	r := w.services[service]
	if r == nil || r.Len() < minErrors {
		r = &w.pooled
	}
	if r.Len() == 0 {
		return nil
	}
	return r.Quantiles(ps...)
}

// Len is how many errors service has of its own.
func (w *ErrorWindow) Len(service string) int {
	if r := w.services[service]; r != nil {
		return r.Len()
	}
	return 0
}

// Window is a fixed-size window of the most recent values with a running
// sum: the estimator keeps its recent calls and errors in them, and the
// replay's rolling-average baselines use the same arithmetic.
type Window struct {
	vals []float64
	next int
	full bool
	sum  float64
}

// NewWindow keeps the last n values.
func NewWindow(n int) Window { return Window{vals: make([]float64, n)} }

// Len is how many values the window holds.
func (r *Window) Len() int {
	if r.full {
		return len(r.vals)
	}
	return r.next
}

// Push adds v, dropping the oldest value once the window is full.
func (r *Window) Push(v float64) {
	if len(r.vals) == 0 {
		return
	}
	if r.full {
		r.sum -= r.vals[r.next]
	}
	r.vals[r.next] = v
	r.sum += v
	r.next++
	if r.next == len(r.vals) {
		r.next = 0
		r.full = true
		// Recompute the sum once per lap so rounding cannot drift over
		// months of pushes.
		r.sum = 0
		for _, x := range r.vals {
			r.sum += x
		}
	}
}

// Mean is the mean of the values held; NaN when there are none.
func (r *Window) Mean() float64 { return r.sum / float64(r.Len()) }

// Max is the largest value held; 0 when there are none.
func (r *Window) Max() float64 {
	if r.Len() == 0 {
		return 0
	}
	return slices.Max(r.vals[:r.Len()])
}

// MeanOr is Mean, or def when the window is empty.
func (r *Window) MeanOr(def float64) float64 {
	if r.Len() == 0 {
		return def
	}
	return r.Mean()
}

// Quantiles are the values at the probabilities ps, by linear
// interpolation between order statistics. The window is small, so sorting
// a copy is cheap.
func (r *Window) Quantiles(ps ...float64) []float64 {
	s := slices.Clone(r.vals[:r.Len()])
	slices.Sort(s)
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = quantileSorted(s, p)
	}
	return out
}

func quantileSorted(s []float64, p float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	pos := p * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (pos-float64(lo))*(s[hi]-s[lo])
}

const (
	// nFeatures are the terms of the wait fit: time per call ÷ desks,
	// people ahead who will be called × that, and the LES wait.
	nFeatures = 3
	// fitMemory is the fit's memory in windows: long enough to estimate
	// three coefficients steadily, short enough to follow a season.
	fitMemory = 3
	// fitShrink is the ridge penalty towards the textbook formula, relative
	// to the data: it keeps the fit sane when a term barely varies (one
	// desk, empty queues) without holding back a well-determined fit.
	fitShrink = 0.02
)

// textbookCoef is the queue-length formula as a fit: (ahead + 1) × time per
// call ÷ desks, no LES.
var textbookCoef = [nFeatures]float64{1, 1, 0}

func (s *serviceState) features(ahead, openDesks int) [nFeatures]float64 {
	var f [nFeatures]float64
	if s.callMinutes.Len() == 0 {
		return f
	}
	// Time per call is averaged over all calls, no-shows included. A
	// no-show call is followed quickly by the next, so this average is the
	// time per served visitor discounted by the no-show rate: discounting
	// the people ahead again would count no-shows twice.
	perCall := s.callMinutes.Mean() / float64(max(openDesks, 1))
	// Those ahead who will leave before being called take no call at all.
	calledAhead := float64(max(ahead, 0)) * s.stayed.MeanOr(1)
	f[0] = perCall
	f[1] = calledAhead * perCall
	if s.hasCall {
		f[2] = s.lesWait
	}
	return f
}

// waitFit is an exponentially weighted least-squares fit of actual waits
// on the features, shrunk towards the textbook queue-length predictor.
type waitFit struct {
	xx [nFeatures][nFeatures]float64
	xy [nFeatures]float64
	n  int // observations added, saturating at minErrors
}

func (q *waitFit) add(f [nFeatures]float64, y, n float64) {
	d := 1 - 1/n
	for i := range nFeatures {
		for j := range nFeatures {
			q.xx[i][j] = q.xx[i][j]*d + f[i]*f[j]
		}
		q.xy[i] = q.xy[i]*d + f[i]*y
	}
	q.n = min(q.n+1, minErrors)
}

func (q *waitFit) coef() [nFeatures]float64 {
	var m [nFeatures][nFeatures + 1]float64
	for i := range nFeatures {
		l := fitShrink*q.xx[i][i] + 1e-6
		for j := range nFeatures {
			m[i][j] = q.xx[i][j]
		}
		m[i][i] += l
		m[i][nFeatures] = q.xy[i] + l*textbookCoef[i]
	}
	// Gauss-Jordan with partial pivoting; the system is tiny and, thanks
	// to the ridge term, positive definite.
	for c := range nFeatures {
		p := c
		for r := c + 1; r < nFeatures; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		if m[c][c] == 0 || math.IsNaN(m[c][c]) {
			return textbookCoef
		}
		for r := range nFeatures {
			if r == c {
				continue
			}
			k := m[r][c] / m[c][c]
			for j := c; j <= nFeatures; j++ {
				m[r][j] -= k * m[c][j]
			}
		}
	}
	var w [nFeatures]float64
	for i := range nFeatures {
		w[i] = m[i][nFeatures] / m[i][i]
		if math.IsNaN(w[i]) || math.IsInf(w[i], 0) {
			return textbookCoef
		}
	}
	return w
}

// regressed is the regression's estimate for someone with ahead people in
// front, at time at, with the interval from its own recent errors; false
// while the regression has too few examples or errors of its own.
func (e *Estimator) regressed(s *serviceState, service string, ahead, openDesks int, at time.Time) (Range, bool) {
	if s.reg.n < minRegress || e.regErrors.Len(service) < minErrors {
		return Range{}, false
	}
	return e.regRange(s, service, ahead, openDesks, at), true
}

// regRange is the regression's estimate and, once it has errors of its
// own, their calibrated quantiles as the interval (Low = High = Wait until
// then).
func (e *Estimator) regRange(s *serviceState, service string, ahead, openDesks int, at time.Time) Range {
	wait := e.regPoint(s, service, ahead, openDesks, at)
	if ahead > 0 {
		// Nobody further back is told less than the first in line.
		wait = max(wait, e.regPoint(s, service, 0, openDesks, at))
	}
	low, high := wait, wait
	if e.regErrors.Len(service) >= minErrors {
		errs := e.regErrors.Quantiles(service, s.cal.low, s.cal.high)
		low = min(max(wait+errs[0], 0), wait)
		high = max(wait+errs[1], wait)
	}
	return Range{Wait: minutes(wait), Low: minutes(low), High: minutes(high), FromHistory: true}
}

// regPoint is the regression's point estimate, in minutes: the fit plus
// the predicted residual. The residual is bounded so the estimate stays
// between 0 and the fit plus the longest recent wait: a regression asked
// about a queue unlike any it learned from extrapolates a line, and the
// line need not hold that far.
func (e *Estimator) regPoint(s *serviceState, service string, ahead, openDesks int, at time.Time) float64 {
	_, blend := e.predict(service, s, ahead, openDesks)
	residual := s.reg.predict(e.regFeatures(s, ahead, blend, at))
	return blend + min(max(residual, -blend), s.waitsLong.Max())
}

// regFeatures are what the regression knows of a service at time at, for
// someone with ahead people in front and blend the fit's wait for them:
// blend itself, ahead, the LES wait, minutes since the service's last
// call, how long its first in line has waited, people waiting in other
// services (a line served after another one waits for it too), the mean
// of its last few and of its last Window waits, the hour of day, and
// log(1 + the first in line's wait in minutes).
//
// The last is there because what the first in line's wait says is not
// proportional to it: an empty line (0) and a line formed a minute ago
// differ more than lines formed 40 and 41 minutes ago, where the longer
// wait mostly says the line is slow, which the other features already
// say. With the logarithm beside the linear term, the regression can
// draw a concave curve through it instead of a line. On the simulated
// lobbies of BENCHMARKS.md it lowers the mean squared error by 6–11%
// (seeds 1–8); on the ED log it changes nothing beyond noise.
func (e *Estimator) regFeatures(s *serviceState, ahead int, blend float64, at time.Time) [nReg]float64 {
	var x [nReg]float64
	x[0] = blend
	x[1] = float64(max(ahead, 0))
	x[2] = s.lesWait
	if s.hasCall {
		x[3] = max(at.Sub(s.lastCall).Minutes(), 0)
	}
	if len(s.queue) > 0 {
		x[4] = max(at.Sub(s.queue[0].at).Minutes(), 0)
	}
	x[5] = float64(e.nWaiting - s.nWaiting)
	x[6] = s.waitsShort.MeanOr(0)
	x[7] = s.waitsLong.MeanOr(0)
	x[8], x[9], x[10], x[11] = hourOfDay(at)
	x[12] = math.Log1p(x[4])
	return x
}

// hourOfDay is the time of day as two harmonics (24 h and 12 h), read in
// UTC: the kiosk feeds the estimator times from its database in UTC but
// asks with its local clock, and one zone for both keeps them comparable.
// A zone's fixed offset only shifts the harmonics' phase, which the
// regression's coefficients absorb.
func hourOfDay(at time.Time) (sin1, cos1, sin2, cos2 float64) {
	at = at.UTC()
	h := 2 * math.Pi * (float64(at.Hour()) + float64(at.Minute())/60) / 24
	return math.Sin(h), math.Cos(h), math.Sin(2 * h), math.Cos(2 * h)
}

// pruneQueue drops from the front of the queue of service name the visits
// no longer waiting there.
func (s *serviceState) pruneQueue(name string, waiting map[int64]waitingVisit) {
	for len(s.queue) > 0 {
		a := s.queue[0]
		if v, ok := waiting[a.visit]; ok && v.service == name && v.arrived.Equal(a.at) {
			break
		}
		s.queue = s.queue[1:]
	}
	if cap(s.queue) > 64 && len(s.queue) < cap(s.queue)/4 {
		s.queue = slices.Clone(s.queue)
	}
}

// Package waiteval replays a visit log through the kiosk's wait estimator
// and simple baselines, offline, and scores how each predicted the waits:
// the wait-eval command and the numbers in BENCHMARKS.md.
//
// It is a tool for judging the estimator, not part of the kiosk's run time:
// it must not depend on the kiosk's store or UI (lobbyline/queue, SQL,
// Fyne), only on queue/estimate and the standard library.
package waiteval

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"lobbyline/queue/estimate"
)

// Result is how one wait predictor did over the served visits of a
// replayed visit log.
type Result struct {
	Method  string
	Served  int     // served visits scored
	MAEMin  float64 // mean absolute error, minutes
	MAESec  float64 // the same in seconds, for waits of a few minutes
	RMSEMin float64 // root mean squared error, minutes: big misses count more
	Within5 float64 // share of estimates within ±5 min of the actual wait
	Under5  float64 // share of actual waits more than 5 min longer than estimated
	Cover80 float64 // share of actual waits inside the 80% interval; NaN if none
}

// String formats the result as one line of the wait-eval report.
func (r Result) String() string {
	return fmt.Sprintf("%s served=%d mae_min=%s mae_s=%s rmse_min=%s within5=%s under5=%s cover80=%s",
		r.Method, r.Served, fmtStat(r.MAEMin, 1), fmtStat(r.MAESec, 0), fmtStat(r.RMSEMin, 1), fmtStat(r.Within5, 2),
		fmtStat(r.Under5, 2), fmtStat(r.Cover80, 2))
}

func fmtStat(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.*f", prec, v)
}

// rollingWindows are the rolling-average baselines tried; the best is
// reported, which flatters the baseline (it is picked on the data it is
// scored on) and so makes the comparison harder for the estimator.
var rollingWindows = []int{5, 10, 20, 50, 100}

// Evaluate replays a visit log (the shared datasets format) and returns
// one result per method: "estimator", "naive", and the best rolling average
// (Method like "rolling20").
//
// The replay feeds the estimator the same events the kiosk would, in time
// order, and asks for each arrival's estimate before anything later is
// known. Choices the log leaves open:
//
//   - Ahead is the number of visitors of the same service waiting at the
//     arrival: arrived earlier, not yet called, not yet gone. Each service is
//     its own queue; priorities between services (triage categories sharing
//     doctors) are not modelled in Ahead, they show in how often each
//     service is called, which the estimator measures.
//   - An abandoned visit has no leave time. It counts as waiting until its
//     turn passes: the first call of a same-service visitor who arrived after
//     it. That is when a kiosk would find the person gone. If no such call
//     comes, it waits to the end of the log.
//   - Open desks: where the log has a counter column, the desks serving a
//     service are the distinct counters that called one of its visitors
//     within the last activeWindow or are serving one now (called, not
//     yet done), and a desk is free while it serves nobody: what the
//     kiosk knows live from its open desks. Without counters, open desks
//     are unknown (0, treated as one) and none is known to be free.
//   - Events at the same minute apply in this order: done, leave, arrive,
//     call, no-show, so a visitor's own call never precedes their arrival
//     and an arrival sees exits of that minute but not calls.
//
// Only served visits are scored: actual wait = called − arrived. A
// baseline's 80% interval is the 10% and 90% quantiles of its own recent
// errors, as the estimator's was before it adapted those levels.
func Evaluate(r io.Reader) ([]Result, error) {
	visits, err := readVisitLog(r)
	if err != nil {
		return nil, err
	}
	return replayWaits(visits), nil
}

type logOutcome int

const (
	outcomeServed logOutcome = iota + 1
	outcomeAbandoned
	outcomeNoShow
)

type loggedVisit struct {
	service string
	arrived time.Time
	called  time.Time // zero if never called
	done    time.Time // zero if unknown
	counter string    // who called the visit; empty if unknown
	outcome logOutcome
}

// activeWindow is how long a counter counts as open for a service after it
// last called one of its visitors, in a log that names counters. A desk
// that calls nobody for this long while its line waits has most likely
// closed; it is a replay choice, not a fitted constant.
const activeWindow = 30 * time.Minute

var visitLogColumns = []string{"id", "service", "arrived", "called", "done", "outcome"}

func readVisitLog(r io.Reader) ([]loggedVisit, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty visit log: no header row")
	}
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	col := make(map[string]int, len(header))
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff")
		}
		col[strings.ToLower(strings.TrimSpace(name))] = i
	}
	var missing []string
	for _, name := range visitLogColumns {
		if _, ok := col[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("line 1: missing column(s) %s", strings.Join(missing, ", "))
	}

	var visits []loggedVisit
	ids := make(map[string]int)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// csv.ParseError already names the line.
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		v, id, err := parseVisit(rec, col)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if prev, dup := ids[id]; dup {
			return nil, fmt.Errorf("line %d: id %q already used on line %d", line, id, prev)
		}
		ids[id] = line
		if n := len(visits); n > 0 && v.arrived.Before(visits[n-1].arrived) {
			return nil, fmt.Errorf("line %d: rows not sorted by arrived (%s after %s)",
				line, v.arrived.Format(time.RFC3339), visits[n-1].arrived.Format(time.RFC3339))
		}
		visits = append(visits, v)
	}
	return visits, nil
}

func parseVisit(rec []string, col map[string]int) (loggedVisit, string, error) {
	field := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
	var v loggedVisit
	id := field("id")
	if id == "" {
		return v, "", errors.New("empty id")
	}
	v.service = field("service")
	if v.service == "" {
		return v, id, errors.New("empty service")
	}
	var err error
	if v.arrived, err = parseLogTime("arrived", field("arrived"), true); err != nil {
		return v, id, err
	}
	if v.called, err = parseLogTime("called", field("called"), false); err != nil {
		return v, id, err
	}
	if v.done, err = parseLogTime("done", field("done"), false); err != nil {
		return v, id, err
	}
	if _, ok := col["counter"]; ok {
		v.counter = field("counter")
	}
	switch o := field("outcome"); o {
	case "served":
		v.outcome = outcomeServed
	case "abandoned":
		v.outcome = outcomeAbandoned
	case "no_show":
		v.outcome = outcomeNoShow
	default:
		return v, id, fmt.Errorf("outcome %q is not served, abandoned or no_show", o)
	}
	switch {
	case v.outcome == outcomeAbandoned && !v.called.IsZero():
		return v, id, errors.New("abandoned visit has a called time")
	case v.outcome != outcomeAbandoned && v.called.IsZero():
		return v, id, errors.New("called is empty but outcome says the visitor was called")
	case !v.called.IsZero() && v.called.Before(v.arrived):
		return v, id, errors.New("called before arrived")
	case !v.done.IsZero() && v.done.Before(v.arrived):
		return v, id, errors.New("done before arrived")
	case !v.done.IsZero() && !v.called.IsZero() && v.done.Before(v.called):
		return v, id, errors.New("done before called")
	}
	return v, id, nil
}

func parseLogTime(name, s string, required bool) (time.Time, error) {
	if s == "" {
		if required {
			return time.Time{}, fmt.Errorf("empty %s", name)
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 time", name, s)
	}
	return t, nil
}

// replayEvent is one thing that happens in the replay. kind's order is the
// order of events at the same instant.
type replayEvent struct {
	at    time.Time
	kind  estimate.ObservationKind
	visit int
}

// replayRank orders events at the same instant; see Evaluate.
var replayRank = map[estimate.ObservationKind]int{
	estimate.ObserveDone: 0, estimate.ObserveLeave: 1, estimate.ObserveArrive: 2, estimate.ObserveCall: 3, estimate.ObserveNoShow: 4,
}

func replayEvents(visits []loggedVisit) []replayEvent {
	events := make([]replayEvent, 0, 3*len(visits))
	// An abandoned visit leaves when a later arrival of its service is
	// called; walk backwards keeping the earliest such call per service.
	nextCall := make(map[string]time.Time)
	leave := make([]time.Time, len(visits))
	for i := len(visits) - 1; i >= 0; i-- {
		v := visits[i]
		if v.outcome == outcomeAbandoned {
			leave[i] = nextCall[v.service]
			continue
		}
		if c, ok := nextCall[v.service]; !ok || v.called.Before(c) {
			nextCall[v.service] = v.called
		}
	}
	for i, v := range visits {
		events = append(events, replayEvent{at: v.arrived, kind: estimate.ObserveArrive, visit: i})
		switch v.outcome {
		case outcomeServed, outcomeNoShow:
			events = append(events, replayEvent{at: v.called, kind: estimate.ObserveCall, visit: i})
			if v.outcome == outcomeNoShow {
				events = append(events, replayEvent{at: v.called, kind: estimate.ObserveNoShow, visit: i})
			} else if !v.done.IsZero() {
				events = append(events, replayEvent{at: v.done, kind: estimate.ObserveDone, visit: i})
			}
		case outcomeAbandoned:
			if !leave[i].IsZero() {
				events = append(events, replayEvent{at: leave[i], kind: estimate.ObserveLeave, visit: i})
			}
		}
	}
	slices.SortStableFunc(events, func(a, b replayEvent) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(replayRank[a.kind], replayRank[b.kind]), cmp.Compare(a.visit, b.visit))
	})
	return events
}

// waitMethod is one predictor under evaluation, with the running tally of
// how it did.
type waitMethod struct {
	name    string
	errs    *estimate.ErrorWindow // actual − predicted, minutes
	n       int
	absSum  float64
	sqSum   float64
	within  int
	under   int
	covered int
}

func newWaitMethod(name string, window int) *waitMethod {
	return &waitMethod{name: name, errs: estimate.NewErrorWindow(window)}
}

// interval gives the method's 80% interval around point from the 10% and
// 90% quantiles of its own recent errors.
func (m *waitMethod) interval(service string, point float64) (low, high float64) {
	q := m.errs.Quantiles(service, 0.1, 0.9)
	if q == nil {
		return point / 2, point * 1.5
	}
	return min(max(point+q[0], 0), point), max(point+q[1], point)
}

func (m *waitMethod) score(service string, p prediction, actual float64) {
	err := actual - p.point
	m.n++
	m.absSum += math.Abs(err)
	m.sqSum += err * err
	if math.Abs(err) <= 5 {
		m.within++
	}
	if err > 5 {
		m.under++
	}
	if actual >= p.low && actual <= p.high {
		m.covered++
	}
	m.errs.Add(service, err)
}

func (m *waitMethod) result() Result {
	res := Result{Method: m.name, Served: m.n, MAEMin: math.NaN(), MAESec: math.NaN(), RMSEMin: math.NaN(), Within5: math.NaN(), Under5: math.NaN(), Cover80: math.NaN()}
	if m.n > 0 {
		n := float64(m.n)
		res.MAEMin = m.absSum / n
		res.MAESec = res.MAEMin * 60
		res.RMSEMin = math.Sqrt(m.sqSum / n)
		res.Within5 = float64(m.within) / n
		res.Under5 = float64(m.under) / n
		res.Cover80 = float64(m.covered) / n
	}
	return res
}

type prediction struct{ point, low, high float64 }

// serviceHistory is what the baselines know about a service so far.
type serviceHistory struct {
	waiting    int
	serviceSum float64 // minutes of done − called over finished visits
	serviceN   int
	waits      []estimate.Window    // last waits, one per rolling window
	counters   map[string]time.Time // last call of one of its visitors, by counter
}

// desks are the service's open and free desks at now, from the counters
// of the log (see Evaluate); busy are the counters serving someone now.
func (h *serviceHistory) desks(now time.Time, busy map[string]bool) (open, free int) {
	for c, last := range h.counters {
		switch {
		case busy[c]:
			open++
		case now.Sub(last) <= activeWindow:
			open++
			free++
		}
	}
	return open, free
}

func replayWaits(visits []loggedVisit) []Result {
	est := estimate.New(estimate.Config{})
	fallback := est.Config().FallbackWait.Minutes()
	window := est.Config().Window

	estimator := newWaitMethod("estimator", window)
	naive := newWaitMethod("naive", window)
	rolling := make([]*waitMethod, len(rollingWindows))
	for i, k := range rollingWindows {
		rolling[i] = newWaitMethod(fmt.Sprintf("rolling%d", k), window)
	}

	history := make(map[string]*serviceHistory)
	// The visit each counter serves now; a counter is busy from a call to
	// its done, or to its next call when done is unknown.
	serving := make(map[string]int)
	busy := make(map[string]bool)
	// Predictions made at arrival, scored at the call; only served visits.
	pending := make(map[int][]prediction)

	for _, ev := range replayEvents(visits) {
		v := visits[ev.visit]
		h := history[v.service]
		if h == nil {
			h = &serviceHistory{waits: make([]estimate.Window, len(rollingWindows)), counters: make(map[string]time.Time)}
			for i, k := range rollingWindows {
				h.waits[i] = estimate.NewWindow(k)
			}
			history[v.service] = h
		}
		obs := estimate.Observation{Kind: ev.kind, Visit: int64(ev.visit), Service: v.service, At: ev.at}
		if ev.kind == estimate.ObserveCall && v.counter != "" {
			h.counters[v.counter] = ev.at
			serving[v.counter], busy[v.counter] = ev.visit, true
		}
		if ev.kind == estimate.ObserveDone && v.counter != "" && serving[v.counter] == ev.visit {
			busy[v.counter] = false
		}
		open, free := h.desks(ev.at, busy)
		obs.OpenDesks = open
		switch ev.kind {
		case estimate.ObserveArrive:
			ahead := h.waiting
			obs.Ahead = ahead
			if v.outcome == outcomeServed {
				e := est.Remaining(estimate.Query{Service: v.service, Ahead: ahead, OpenDesks: open, FreeDesks: free}, ev.at)
				preds := make([]prediction, 0, 2+len(rolling))
				preds = append(preds, prediction{e.Wait.Minutes(), e.Low.Minutes(), e.High.Minutes()})
				point := fallback
				if h.serviceN > 0 {
					point = float64(ahead) * h.serviceSum / float64(h.serviceN)
				}
				lo, hi := naive.interval(v.service, point)
				preds = append(preds, prediction{point, lo, hi})
				for i, m := range rolling {
					point := h.waits[i].MeanOr(fallback)
					lo, hi := m.interval(v.service, point)
					preds = append(preds, prediction{point, lo, hi})
				}
				pending[ev.visit] = preds
			}
			h.waiting++
		case estimate.ObserveCall:
			h.waiting--
			if preds, ok := pending[ev.visit]; ok {
				delete(pending, ev.visit)
				actual := v.called.Sub(v.arrived).Minutes()
				estimator.score(v.service, preds[0], actual)
				naive.score(v.service, preds[1], actual)
				for i, m := range rolling {
					m.score(v.service, preds[2+i], actual)
				}
				for i := range h.waits {
					h.waits[i].Push(actual)
				}
			}
		case estimate.ObserveLeave:
			h.waiting--
		case estimate.ObserveDone:
			h.serviceSum += v.done.Sub(v.called).Minutes()
			h.serviceN++
		}
		est.Observe(obs)
	}

	best := rolling[0].result()
	for _, m := range rolling[1:] {
		if r := m.result(); r.MAEMin < best.MAEMin {
			best = r
		}
	}
	return []Result{estimator.result(), naive.result(), best}
}

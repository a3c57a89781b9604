package estimate

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

func TestEstimatorDefaultBeforeHistory(t *testing.T) {
	cfg := Config{
		PerVisitor:         map[string]time.Duration{"pharmacy": 4 * time.Minute},
		DefaultWait:        map[string]time.Duration{"legacy": 10 * time.Minute},
		FallbackPerVisitor: 6 * time.Minute,
	}
	tests := []struct {
		name    string
		cfg     Config
		service string
		ahead   int
		desks   int
		free    int
		want    time.Duration
	}{
		{"first at a busy desk", cfg, "pharmacy", 0, 1, 0, 4 * time.Minute},
		{"third at one desk", cfg, "pharmacy", 2, 1, 0, 12 * time.Minute},
		{"fifth at one desk", cfg, "pharmacy", 4, 1, 0, 20 * time.Minute},
		{"fifth at two desks", cfg, "pharmacy", 4, 2, 0, 10 * time.Minute},
		{"desks unknown count as one", cfg, "pharmacy", 1, 0, 0, 8 * time.Minute},
		{"first with a free desk is next", cfg, "pharmacy", 0, 2, 1, 0},
		{"second with two free desks is next", cfg, "pharmacy", 1, 2, 2, 0},
		{"third with one free desk", cfg, "pharmacy", 2, 2, 1, 4 * time.Minute},
		{"unconfigured service", cfg, "x-ray", 1, 1, 0, 12 * time.Minute},
		{"old default_wait read as per visitor", cfg, "legacy", 1, 1, 0, 20 * time.Minute},
		{"old fallback read as per visitor", Config{FallbackWait: 8 * time.Minute}, "x-ray", 0, 1, 0, 8 * time.Minute},
		{"zero config", Config{}, "x-ray", 0, 1, 0, defaultFallbackWait},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(tt.cfg)
			// Arrivals alone are not history: nobody has been called yet.
			e.Observe(Observation{Kind: ObserveArrive, Visit: 1, Service: tt.service, At: t0, Ahead: 0})
			got := e.Remaining(Query{Service: tt.service, Ahead: tt.ahead, OpenDesks: tt.desks, FreeDesks: tt.free}, t0.Add(time.Minute))
			if got.Wait != tt.want || got.FromHistory {
				t.Errorf("Remaining = %+v, want default %v, FromHistory false", got, tt.want)
			}
			if !(got.Low <= got.Wait && got.Wait <= got.High) || (got.Wait > 0 && got.Low == got.High) {
				t.Errorf("interval %v–%v does not bracket %v", got.Low, got.High, got.Wait)
			}
		})
	}
}

// TestEstimatorDefaultGrowsWithPlace is the bug of issue 11: five people
// who checked in before any history were all told the same range.
func TestEstimatorDefaultGrowsWithPlace(t *testing.T) {
	e := New(Config{PerVisitor: map[string]time.Duration{"registration": 5 * time.Minute}})
	var last Range
	for ahead := range 5 {
		r := e.Estimate("registration", ahead, 1, t0)
		lo, hi := r.RangeMinutes()
		plo, phi := last.RangeMinutes()
		if ahead > 0 && (r.Wait <= last.Wait || lo < plo || hi <= phi) {
			t.Errorf("place %d: %v, %d–%d min, not above place %d's %v, %d–%d", ahead+1, r.Wait, lo, hi, ahead, last.Wait, plo, phi)
		}
		last = r
	}
}

func TestRemainingCountsDownThenStartsAgain(t *testing.T) {
	e := New(Config{PerVisitor: map[string]time.Duration{"s": 4 * time.Minute}})
	q := Query{Service: "s", Ahead: 1, OpenDesks: 1, Since: t0}
	// Fresh: 2 × 4 = 8 min, 4–12.
	tests := []struct {
		after           time.Duration
		wait, low, high time.Duration
	}{
		{0, 8 * time.Minute, 4 * time.Minute, 12 * time.Minute},
		{3 * time.Minute, 5 * time.Minute, time.Minute, 9 * time.Minute},
		{10 * time.Minute, 0, 0, 2 * time.Minute},
		// Past the top (12 min): a new estimate, counting down again.
		{12 * time.Minute, 8 * time.Minute, 4 * time.Minute, 12 * time.Minute},
		{19 * time.Minute, time.Minute, 0, 5 * time.Minute},
	}
	for _, tt := range tests {
		got := e.Remaining(q, t0.Add(tt.after))
		if got.Wait != tt.wait || got.Low != tt.low || got.High != tt.high {
			t.Errorf("after %v: %v (%v–%v), want %v (%v–%v)", tt.after, got.Wait, got.Low, got.High, tt.wait, tt.low, tt.high)
		}
	}
	// A call of the service moves the line: the count starts from it.
	e.Observe(Observation{Kind: ObserveCall, Visit: 99, Service: "s", At: t0.Add(10 * time.Minute)})
	if got := e.Remaining(q, t0.Add(11*time.Minute)); got.Wait != 7*time.Minute {
		t.Errorf("a minute after a call: %v, want 7m", got.Wait)
	}
	// Someone joining now is not counted down.
	if got := e.Remaining(Query{Service: "s", Ahead: 1, OpenDesks: 1}, t0.Add(time.Hour)); got.Wait != 8*time.Minute {
		t.Errorf("joining now: %v, want 8m", got.Wait)
	}
}

// sim is a first-come-first-served queue at one service with one desk,
// producing the events a kiosk would feed its estimator.
type sim struct {
	e       *Estimator
	service string
	desks   int
	now     time.Time
	waiting []int64 // in arrival order
	next    int64
	events  int
}

func newSim(e *Estimator, desks int) *sim {
	return &sim{e: e, service: "s", desks: desks, now: t0}
}

func (s *sim) observe(kind ObservationKind, visit int64) {
	s.events++
	s.e.Observe(Observation{Kind: kind, Visit: visit, Service: s.service, At: s.now, Ahead: len(s.waiting), OpenDesks: s.desks})
}

func (s *sim) arrive() {
	s.next++
	s.observe(ObserveArrive, s.next)
	s.waiting = append(s.waiting, s.next)
}

// call calls the head of the line (a no-show if noShow) after d.
func (s *sim) call(d time.Duration, noShow bool) {
	s.now = s.now.Add(d)
	v := s.waiting[0]
	s.waiting = s.waiting[1:]
	s.observe(ObserveCall, v)
	if noShow {
		s.observe(ObserveNoShow, v)
	}
}

// leave removes the last in line.
func (s *sim) leave() {
	v := s.waiting[len(s.waiting)-1]
	s.waiting = s.waiting[:len(s.waiting)-1]
	s.observe(ObserveLeave, v)
}

// steady runs n rounds of a queue held at ahead people: each round the
// desk calls the head after the duration from gap and one visitor arrives.
func (s *sim) steady(n, ahead int, gap func() time.Duration) {
	for len(s.waiting) < ahead {
		s.arrive()
	}
	for range n {
		s.call(gap(), false)
		s.arrive()
	}
}

func every(d time.Duration) func() time.Duration { return func() time.Duration { return d } }

func TestEstimatorQueueLength(t *testing.T) {
	// A deterministic queue: each desk calls every 4 min, three ahead. The
	// textbook formula fits it exactly, so the estimate must be it.
	tests := []struct {
		name         string
		historyDesks int
		ahead, desks int
		want         time.Duration
	}{
		{"nobody ahead", 1, 0, 1, 4 * time.Minute},
		{"three ahead", 1, 3, 1, 16 * time.Minute},
		{"nine ahead", 1, 9, 1, 40 * time.Minute},
		{"nine ahead two desks", 1, 9, 2, 20 * time.Minute},
		{"unknown desks count as one", 1, 9, 0, 40 * time.Minute},
		{"negative ahead is nobody", 1, -2, 1, 4 * time.Minute},
		{"history at two desks", 2, 9, 2, 20 * time.Minute},
		{"history at two desks, one now", 2, 9, 1, 40 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(Config{})
			s := newSim(e, tt.historyDesks)
			// With two desks calls come twice as often: the same work per desk.
			s.steady(200, 3, every(4*time.Minute/time.Duration(tt.historyDesks)))
			got := e.Estimate("s", tt.ahead, tt.desks, s.now)
			if !got.FromHistory {
				t.Fatalf("FromHistory = false after 200 calls")
			}
			if d := got.Wait - tt.want; d < -time.Second || d > time.Second {
				t.Errorf("Wait = %v, want %v", got.Wait, tt.want)
			}
			if got.Low > got.Wait || got.High < got.Wait {
				t.Errorf("interval %v–%v does not bracket %v", got.Low, got.High, got.Wait)
			}
		})
	}
}

func TestEstimatorDiscountsNoShowsAndLeavers(t *testing.T) {
	// Baseline: every visitor is served, 6 min each. Then the same desk pace
	// for those served, but some visitors ahead do not take 6 minutes: a
	// no-show is dealt with in 1 min, a leaver takes no call at all.
	tests := []struct {
		name    string
		history func(s *sim)
	}{
		{"no-shows", func(s *sim) {
			for range 100 {
				s.call(6*time.Minute, false)
				s.arrive()
				s.call(time.Minute, true)
				s.arrive()
			}
		}},
		{"leavers", func(s *sim) {
			for range 100 {
				s.arrive()
				s.leave()
				s.call(6*time.Minute, false)
				s.arrive()
			}
		}},
	}
	base := New(Config{})
	bs := newSim(base, 1)
	bs.steady(200, 5, every(6*time.Minute))
	want := base.Estimate("s", 10, 1, bs.now).Wait
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(Config{})
			s := newSim(e, 1)
			for range 5 {
				s.arrive()
			}
			tt.history(s)
			got := e.Estimate("s", 10, 1, s.now).Wait
			if got >= want*9/10 {
				t.Errorf("with %s: Wait = %v, want well below %v without", tt.name, got, want)
			}
		})
	}
}

func TestEstimatorIntervalWidensWithNoise(t *testing.T) {
	width := func(gap func() time.Duration) time.Duration {
		e := New(Config{})
		s := newSim(e, 1)
		s.steady(500, 4, gap)
		got := e.Estimate("s", 4, 1, s.now)
		return got.High - got.Low
	}
	rng := rand.New(rand.NewPCG(1, 2))
	steady := width(every(5 * time.Minute))
	noisy := width(func() time.Duration {
		return time.Duration(rng.ExpFloat64() * float64(5*time.Minute))
	})
	if steady > time.Minute {
		t.Errorf("steady history: interval width %v, want under a minute", steady)
	}
	if noisy < 10*time.Minute {
		t.Errorf("noisy history: interval width %v, want at least 10 min (steady: %v)", noisy, steady)
	}
}

func TestEstimatorIntervalCoversNoisyQueue(t *testing.T) {
	// Score the estimator's own intervals on a noisy queue: about 80% of
	// actual waits must fall inside.
	rng := rand.New(rand.NewPCG(3, 4))
	e := New(Config{})
	s := newSim(e, 1)
	arrived := map[int64]time.Time{}
	intervals := map[int64]Range{}
	in, n := 0, 0
	for range 3000 {
		// Arrivals and calls in random order keep the queue length moving.
		if len(s.waiting) == 0 || rng.IntN(2) == 0 {
			s.now = s.now.Add(time.Duration(rng.ExpFloat64() * float64(4*time.Minute)))
			intervals[s.next+1] = e.Estimate("s", len(s.waiting), 1, s.now)
			arrived[s.next+1] = s.now
			s.arrive()
			continue
		}
		v := s.waiting[0]
		s.call(time.Duration(rng.ExpFloat64()*float64(3*time.Minute)), false)
		if v > 500 { // past warm-up
			n++
			wait, iv := s.now.Sub(arrived[v]), intervals[v]
			if wait >= iv.Low && wait <= iv.High {
				in++
			}
		}
	}
	if cover := float64(in) / float64(n); cover < 0.7 || cover > 0.9 {
		t.Errorf("80%% interval covered %.2f of %d waits", cover, n)
	}
}

func TestEstimatorMemoryBounded(t *testing.T) {
	cfg := Config{MaxWaiting: 500, MaxAge: 2 * time.Hour}
	e := New(cfg)
	s := newSim(e, 1)
	services := []string{"a", "b", "c"}
	for i := 0; s.events < 100000; i++ {
		s.service = services[i%len(services)]
		s.now = s.now.Add(30 * time.Second)
		s.arrive()
		// One visitor in four is never called nor seen leaving: a lost
		// event must not pin memory.
		if i%4 == 0 {
			s.waiting = s.waiting[:len(s.waiting)-1]
		}
		if len(s.waiting) > 20 {
			s.call(0, i%7 == 0)
		}
	}
	if e.nWaiting != len(e.waiting) {
		t.Errorf("counts %d waiting, remembers %d", e.nWaiting, len(e.waiting))
	}
	if len(e.waiting) > cfg.MaxWaiting {
		t.Errorf("remembers %d waiting visits, want at most %d", len(e.waiting), cfg.MaxWaiting)
	}
	// Two hours of arrivals at one every 30 s, plus slack for the lazily
	// skipped entries.
	if len(e.arrivals) > 2*cfg.MaxWaiting || cap(e.arrivals) > 8*cfg.MaxWaiting {
		t.Errorf("arrival index len %d cap %d, want bounded by ~%d", len(e.arrivals), cap(e.arrivals), cfg.MaxWaiting)
	}
	if len(e.services) != len(services) {
		t.Errorf("%d service states, want %d", len(e.services), len(services))
	}
	for name, st := range e.services {
		var errs Window
		if r := e.errors.services[name]; r != nil {
			errs = *r
		}
		if errs.Len() > defaultWindow || st.callMinutes.Len() > defaultWindow || st.stayed.Len() > defaultWindow {
			t.Errorf("service %s windows grew: %d %d %d", name, errs.Len(), st.callMinutes.Len(), st.stayed.Len())
		}
		if len(st.queue) > 2*cfg.MaxWaiting || cap(st.queue) > 8*cfg.MaxWaiting || st.nWaiting < 0 || st.nWaiting > cfg.MaxWaiting {
			t.Errorf("service %s line index len %d cap %d, %d waiting", name, len(st.queue), cap(st.queue), st.nWaiting)
		}
	}
	if got := e.Estimate("a", 5, 1, s.now); !got.FromHistory || got.Wait < 0 {
		t.Errorf("Estimate after 1e5 events = %+v", got)
	}
}

func TestEstimateIsPure(t *testing.T) {
	e := New(Config{})
	s := newSim(e, 1)
	s.steady(50, 3, every(3*time.Minute))
	first := e.Estimate("s", 7, 2, s.now)
	for range 10 {
		e.Estimate("s", 1, 1, s.now)
		e.Estimate("other", 1, 1, s.now)
	}
	if again := e.Estimate("s", 7, 2, s.now); again != first {
		t.Errorf("Estimate changed from %+v to %+v", first, again)
	}
	if _, ok := e.services["other"]; ok {
		t.Errorf("Estimate created state for an unseen service")
	}
}

var rangeTests = []struct {
	name      string
	low, high time.Duration
	wantLow   int
	wantHigh  int
}{
	{"nothing", 0, 0, 0, 1},
	{"short, whole minutes", 3 * time.Minute, 7 * time.Minute, 3, 7},
	{"short rounds outwards", 3*time.Minute + 30*time.Second, 7*time.Minute + 12*time.Second, 3, 8},
	{"five-minute steps above ten", 12 * time.Minute, 14 * time.Minute, 10, 15},
	{"point above ten", 10 * time.Minute, 10 * time.Minute, 10, 15},
	{"across ten", 9*time.Minute + 30*time.Second, 12 * time.Minute, 9, 15},
	{"under the hour", 42 * time.Minute, 58 * time.Minute, 40, 60},
	{"ten-minute steps above the hour", 55 * time.Minute, 61 * time.Minute, 55, 70},
	{"long", 95 * time.Minute, 125 * time.Minute, 90, 130},
	{"negative low", -5 * time.Minute, 3 * time.Minute, 0, 3},
	{"inverted", 20 * time.Minute, 10 * time.Minute, 20, 25},
}

func TestRangeMinutes(t *testing.T) {
	for _, tt := range rangeTests {
		t.Run(tt.name, func(t *testing.T) {
			e := Range{Low: tt.low, Wait: tt.low, High: tt.high}
			low, high := e.RangeMinutes()
			if low != tt.wantLow || high != tt.wantHigh {
				t.Errorf("RangeMinutes(%v–%v) = %d–%d, want %d–%d", tt.low, tt.high, low, high, tt.wantLow, tt.wantHigh)
			}
		})
	}
}

func FuzzRangeMinutes(f *testing.F) {
	for _, tt := range rangeTests {
		f.Add(int64(tt.low), int64(tt.high))
	}
	f.Fuzz(func(t *testing.T, lo, hi int64) {
		const day = int64(24 * time.Hour)
		if lo > day || hi > day || lo < -day || hi < -day {
			return // waits are not that long; avoid int overflow noise
		}
		low, high := Range{Low: time.Duration(lo), High: time.Duration(hi)}.RangeMinutes()
		if low < 0 || low >= high {
			t.Fatalf("RangeMinutes(%v, %v) = %d–%d", time.Duration(lo), time.Duration(hi), low, high)
		}
		if float64(low) > max(time.Duration(lo).Minutes(), 0) || float64(high) < time.Duration(hi).Minutes() {
			t.Fatalf("RangeMinutes(%v, %v) = %d–%d does not contain the interval", time.Duration(lo), time.Duration(hi), low, high)
		}
	})
}

func TestRingQuantiles(t *testing.T) {
	r := NewWindow(5)
	for _, v := range []float64{9, 1, 5, 3, 7, 100} { // 9 falls out
		r.Push(v)
	}
	got := r.Quantiles(0, 0.5, 1, 0.25)
	want := []float64{1, 5, 100, 3}
	if !sort.Float64sAreSorted(got[:3]) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		t.Errorf("quantiles = %v, want %v", got, want)
	}
	if r.Mean() != (1+5+3+7+100)/5.0 {
		t.Errorf("mean = %v", r.Mean())
	}
}

func TestErrorWindowPoolsUntilEnough(t *testing.T) {
	w := NewErrorWindow(0)
	if q := w.Quantiles("a", 0.5); q != nil {
		t.Fatalf("Quantiles with no errors = %v, want nil", q)
	}
	for range minErrors - 1 {
		w.Add("a", 10)
	}
	w.Add("b", -100)
	// Neither service has minErrors of its own: both read the pooled errors.
	for _, svc := range []string{"a", "b", "unseen"} {
		if q := w.Quantiles(svc, 0, 1); q[0] != -100 || q[1] != 10 {
			t.Errorf("Quantiles(%q) = %v, want the pooled -100 and 10", svc, q)
		}
	}
	w.Add("a", 10)
	if q := w.Quantiles("a", 0, 1); q[0] != 10 || q[1] != 10 {
		t.Errorf("Quantiles(a) with %d errors of its own = %v, want its own 10 and 10", minErrors, q)
	}
	if q := w.Quantiles("b", 0); q[0] != -100 {
		t.Errorf("Quantiles(b) = %v, want still the pooled -100", q)
	}
}

func TestConfigDefaults(t *testing.T) {
	got := New(Config{}).Config()
	if got.FallbackWait != defaultFallbackWait || got.Window != defaultWindow ||
		got.MaxWaiting != defaultMaxWaiting || got.MaxAge != defaultMaxAge {
		t.Errorf("New(Config{}).Config() = %+v, want the defaults", got)
	}
	if got := New(Config{Window: 10 * maxWindow}).Config().Window; got != maxWindow {
		t.Errorf("Window = %d, want it bounded at %d", got, maxWindow)
	}
}

// Before a line has history, the people a shared desk calls first from
// another line each count at the time their own service takes, not this
// line's: three patient visitors (2 min each) ahead of a Registration
// visitor (6 min) at one busy desk are 4 calls of 2 min, not of 6.
func TestDefaultEstimateCountsOtherLinesAtTheirOwnTime(t *testing.T) {
	e := New(Config{PerVisitor: map[string]time.Duration{"registration": 6 * time.Minute, "visit": 2 * time.Minute}})
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		q    Query
		want time.Duration
	}{
		{"own line only", Query{Service: "registration", Ahead: 3, OpenDesks: 1}, 24 * time.Minute},
		{"behind another line's visitors", Query{Service: "registration", Ahead: 3, AheadBy: map[string]int{"visit": 3}, OpenDesks: 1}, 8 * time.Minute},
		{"a free desk takes the first", Query{Service: "registration", Ahead: 3, AheadBy: map[string]int{"visit": 3}, OpenDesks: 1, FreeDesks: 1}, 6 * time.Minute},
		{"a mix", Query{Service: "registration", Ahead: 4, AheadBy: map[string]int{"visit": 2, "registration": 2}, OpenDesks: 2}, 10 * time.Minute},
	} {
		if got := e.Remaining(tc.q, now); got.Wait != tc.want || got.Low != tc.want/2 || got.High != tc.want+tc.want/2 {
			t.Errorf("%s: %+v, want %v (half to one and a half)", tc.name, got, tc.want)
		}
	}
}

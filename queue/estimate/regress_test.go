package estimate

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestRidgeRecoversLine(t *testing.T) {
	// y = 3 + 2·x0 − x1 exactly; x2 never varies and so says nothing.
	rng := rand.New(rand.NewPCG(1, 1))
	var r ridge
	for range 500 {
		var x [nReg]float64
		x[0], x[1], x[2] = rng.Float64()*10, rng.NormFloat64()*100, 7
		r.add(x, 3+2*x[0]-x[1], 1e6)
	}
	r.solve(0)
	if math.Abs(r.alpha-3) > 1e-6 || math.Abs(r.beta[0]-2) > 1e-6 || math.Abs(r.beta[1]+1) > 1e-6 || r.beta[2] != 0 {
		t.Errorf("alpha %v beta %v, want 3 and 2, −1, 0", r.alpha, r.beta[:3])
	}
	// The penalty shrinks the slopes towards 0, not the mean: the fit
	// still goes through the means.
	r.solve(1)
	if !(r.beta[0] > 0 && r.beta[0] < 2 && r.beta[1] < 0 && r.beta[1] > -1) {
		t.Errorf("with λ = 1: beta %v, want both shrunk towards 0", r.beta[:2])
	}
	var mean [nReg]float64
	for i := range nReg {
		mean[i] = r.sx[i] / r.w
	}
	if got, want := r.predict(mean), r.sy/r.w; math.Abs(got-want) > 1e-9 {
		t.Errorf("prediction at the mean features %v, want the mean %v", got, want)
	}
}

func TestRidgeForgets(t *testing.T) {
	var r ridge
	var x [nReg]float64
	for i := range 1000 {
		x[0] = float64(i % 10)
		y := x[0] // slope 1, then 3
		if i >= 500 {
			y = 3 * x[0]
		}
		r.add(x, y, 50)
	}
	r.solve(0)
	if math.Abs(r.beta[0]-3) > 0.01 {
		t.Errorf("slope %v after 500 examples of slope 3 with memory 50, want 3", r.beta[0])
	}
}

func TestCalibrationWidensOnMisses(t *testing.T) {
	c := newCalibration()
	told := Range{Wait: 10 * time.Minute, Low: 5 * time.Minute, High: 15 * time.Minute}
	for range 100 {
		c.update(told, 20*time.Minute) // always above
	}
	if c.high <= 0.9 || c.low <= 0.1 {
		t.Errorf("after 100 waits above the interval: levels %v–%v, want the top raised and the bottom narrowed", c.low, c.high)
	}
	c = newCalibration()
	for i := range 1000 {
		actual := 10 * time.Minute
		switch i % 10 {
		case 0:
			actual = time.Minute
		case 1:
			actual = time.Hour
		}
		c.update(told, actual)
	}
	if math.Abs(c.low-0.1) > 0.01 || math.Abs(c.high-0.9) > 0.01 {
		t.Errorf("one wait in ten below and one above: levels %v–%v, want still about 0.1–0.9", c.low, c.high)
	}
}

// priorityLobby simulates one desk serving two services, "urgent" always
// before "routine", and feeds the estimator. It returns the time the
// simulation ended and how many of each service are still waiting.
func priorityLobby(e *Estimator, seed uint64, visitors int) (now time.Time, urgent, routine []int64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	now = t0
	free := now // when the desk is free
	var next int64
	obs := func(kind ObservationKind, visit int64, service string, ahead int) {
		e.Observe(Observation{Kind: kind, Visit: visit, Service: service, At: now, Ahead: ahead, OpenDesks: 1})
	}
	for range visitors {
		// Arrivals at 80% of the desk's pace (one per 5 min on average
		// against 4 min per visitor); a third urgent.
		arrive := now.Add(time.Duration(rng.ExpFloat64() * float64(5*time.Minute)))
		for !free.After(arrive) && len(urgent)+len(routine) > 0 {
			now = free
			var v int64
			var service string
			if len(urgent) > 0 {
				v, urgent, service = urgent[0], urgent[1:], "urgent"
			} else {
				v, routine, service = routine[0], routine[1:], "routine"
			}
			obs(ObserveCall, v, service, 0)
			free = now.Add(time.Duration(rng.ExpFloat64() * float64(4*time.Minute)))
		}
		now = arrive
		if free.Before(now) {
			free = now
		}
		next++
		if rng.IntN(3) == 0 {
			obs(ObserveArrive, next, "urgent", len(urgent))
			urgent = append(urgent, next)
		} else {
			obs(ObserveArrive, next, "routine", len(routine))
			routine = append(routine, next)
		}
	}
	return now, urgent, routine
}

// TestEstimatorLearnsOtherServicesQueue: a routine visitor waits behind
// every urgent one, which no single line's queue formula sees; the
// regression learns it from the people waiting in other services.
func TestEstimatorLearnsOtherServicesQueue(t *testing.T) {
	e := New(Config{})
	now, _, routine := priorityLobby(e, 1, 5000)
	before := e.Estimate("routine", len(routine), 1, now)
	if !before.FromHistory {
		t.Fatal("no history after 5000 visitors")
	}
	for i := range 5 {
		e.Observe(Observation{Kind: ObserveArrive, Visit: int64(100000 + i), Service: "urgent", At: now, Ahead: i, OpenDesks: 1})
	}
	after := e.Estimate("routine", len(routine), 1, now)
	// Five urgent visitors take 20 min of the desk before anyone routine.
	if after.Wait < before.Wait+5*time.Minute {
		t.Errorf("routine estimate %v with five more urgent waiting, want well above %v without", after.Wait, before.Wait)
	}
}

// TestEstimatorRisesWithPlaceAfterHistory: whatever the regression
// learned, nobody is told less than the person in front of them.
func TestEstimatorRisesWithPlaceAfterHistory(t *testing.T) {
	e := New(Config{})
	now, _, _ := priorityLobby(e, 2, 3000)
	for _, service := range []string{"urgent", "routine"} {
		last := e.Estimate(service, 0, 1, now)
		for ahead := 1; ahead <= 30; ahead++ {
			r := e.Estimate(service, ahead, 1, now)
			if r.Wait < last.Wait {
				t.Errorf("%s, %d ahead: %v, below %v for %d ahead", service, ahead, r.Wait, last.Wait, ahead-1)
			}
			if !(r.Low <= r.Wait && r.Wait <= r.High) {
				t.Errorf("%s, %d ahead: interval %v–%v does not bracket %v", service, ahead, r.Low, r.High, r.Wait)
			}
			last = r
		}
	}
}

// TestEstimateSameInAnyZone: the kiosk feeds history in UTC and asks with
// its local clock; the hour of day must mean the same for both.
func TestEstimateSameInAnyZone(t *testing.T) {
	e := New(Config{})
	now, _, routine := priorityLobby(e, 3, 3000)
	utc := e.Estimate("routine", len(routine), 1, now)
	local := e.Estimate("routine", len(routine), 1, now.In(time.FixedZone("UTC+5", 5*3600)))
	if utc != local {
		t.Errorf("estimate %+v asked in UTC+5, %+v in UTC", local, utc)
	}
}

// TestRegFeaturesLogFirstInLine: beside how long the first in line has
// waited, the regression sees log(1 + that wait in minutes), and 0 for
// an empty line.
func TestRegFeaturesLogFirstInLine(t *testing.T) {
	e := New(Config{})
	e.Observe(Observation{Kind: ObserveArrive, Visit: 1, Service: "s", At: t0})
	e.Observe(Observation{Kind: ObserveArrive, Visit: 2, Service: "s", At: t0.Add(10 * time.Minute), Ahead: 1})
	s := e.services["s"]
	x := e.regFeatures(s, 2, 0, t0.Add(30*time.Minute))
	if x[4] != 30 || math.Abs(x[12]-math.Log1p(30)) > 1e-12 {
		t.Errorf("first in line waited 30 min: features %v and %v, want 30 and log(31)", x[4], x[12])
	}
	e.Observe(Observation{Kind: ObserveCall, Visit: 1, Service: "s", At: t0.Add(31 * time.Minute)})
	e.Observe(Observation{Kind: ObserveCall, Visit: 2, Service: "s", At: t0.Add(32 * time.Minute)})
	x = e.regFeatures(s, 0, 0, t0.Add(40*time.Minute))
	if x[4] != 0 || x[12] != 0 {
		t.Errorf("empty line: features %v and %v, want 0 and 0", x[4], x[12])
	}
}

// TestRidgeFitsConcaveFirstInLine: where the wait grows with the
// logarithm of how long the first in line has waited, the regression
// with both terms fits it to the noise; with the linear term alone it
// cannot.
func TestRidgeFitsConcaveFirstInLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	var both, linear ridge
	type example struct {
		x [nReg]float64
		y float64
	}
	var test []example
	for i := range 3000 {
		var x [nReg]float64
		if rng.IntN(4) > 0 { // a quarter of lines empty
			x[4] = rng.Float64() * 120
		}
		x[12] = math.Log1p(x[4])
		y := 20*x[12] + rng.NormFloat64()
		if i >= 2000 {
			test = append(test, example{x, y})
			continue
		}
		both.add(x, y, 1e6)
		x[12] = 0
		linear.add(x, y, 1e6)
	}
	both.solve(regPenalty)
	linear.solve(regPenalty)
	var seBoth, seLinear float64
	for _, ex := range test {
		seBoth += math.Pow(ex.y-both.predict(ex.x), 2)
		x := ex.x
		x[12] = 0
		seLinear += math.Pow(ex.y-linear.predict(x), 2)
	}
	// The penalty the estimator uses shrinks both fits a little; the
	// logarithm must still remove most of what the line misses.
	n := float64(len(test))
	t.Logf("mean squared error: %.1f with both terms, %.1f with the linear one alone", seBoth/n, seLinear/n)
	if !(seLinear/n > 100 && seBoth < seLinear/4) {
		t.Errorf("mean squared error %.1f with log(1 + first in line's wait), %.1f without: want the linear term alone far off and the logarithm removing most of it",
			seBoth/n, seLinear/n)
	}
}

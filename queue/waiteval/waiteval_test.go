package waiteval_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"lobbyline/queue/waiteval"
)

const header = "id,service,arrived,called,done,counter,outcome\n"

// handLog is small enough to check by hand (the estimator's default time
// per visitor is 15 min, and the naive and rolling baselines' default 15 min):
//
//	1 arrives 10:00, nobody ahead, no history: every method says 15, and
//	  the default interval 7.5–22.5; waits 10.
//	2 arrives 10:30, nobody ahead. Estimator: one call is too little
//	  history (minCalls), so still the default 15, interval 7.5–22.5.
//	  Naive: 0 ahead × 10 = 0, interval 0–0. Rolling: 10, interval 5–10.
//	  Waits 20.
//	3 arrives 10:40 and abandons; it counts as waiting until 4 is called.
//	4 arrives 10:45 behind 2 and 3. Estimator: default 3 × 15 = 45,
//	  interval 22.5–67.5. Naive:
//	  2 × 10 = 20. Rolling: still 10 (2 is called at 10:50). Waits 45.
const handLog = header +
	"1,a,2026-03-02T10:00:00Z,2026-03-02T10:10:00Z,2026-03-02T10:20:00Z,,served\n" +
	"2,a,2026-03-02T10:30:00Z,2026-03-02T10:50:00Z,2026-03-02T11:00:00Z,,served\n" +
	"3,a,2026-03-02T10:40:00Z,,,,abandoned\n" +
	"4,a,2026-03-02T10:45:00Z,2026-03-02T11:30:00Z,2026-03-02T11:40:00Z,d1,served\n"

func TestEvaluateWaitsByHand(t *testing.T) {
	got, err := waiteval.Evaluate(strings.NewReader(handLog))
	if err != nil {
		t.Fatal(err)
	}
	want := []waiteval.Result{
		// errors −5, 5, 0; the default intervals cover all three.
		{Method: "estimator", Served: 3, MAEMin: 10.0 / 3, Within5: 1, Under5: 0, Cover80: 1},
		// errors −5, 20, 25.
		{Method: "naive", Served: 3, MAEMin: 50.0 / 3, Within5: 1.0 / 3, Under5: 2.0 / 3, Cover80: 1.0 / 3},
		// errors −5, 10, 35; all windows tie, the smallest is reported.
		{Method: "rolling5", Served: 3, MAEMin: 50.0 / 3, Within5: 1.0 / 3, Under5: 2.0 / 3, Cover80: 1.0 / 3},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if !resultsClose(got[i], want[i]) {
			t.Errorf("result %d = %v, want %v", i, got[i], want[i])
		}
	}
	if s := got[0].String(); s != "estimator served=3 mae_min=3.3 mae_s=200 rmse_min=4.1 within5=1.00 under5=0.00 cover80=1.00" {
		t.Errorf("String() = %q", s)
	}
}

func resultsClose(a, b waiteval.Result) bool {
	close := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	return a.Method == b.Method && a.Served == b.Served && close(a.MAEMin, b.MAEMin) && close(a.MAESec, 60*b.MAEMin) &&
		close(a.Within5, b.Within5) && close(a.Under5, b.Under5) && close(a.Cover80, b.Cover80)
}

// counterLog names counters: the replay tells the estimator the desks
// serving (15 min per visitor by default, no history before 5 calls):
//
//	1 arrives 10:00, no desk known: 15; called at once by d1. Error −15.
//	2 arrives 10:01, d1 busy: 1 desk, 15; called at once by d2. Error −15.
//	3 arrives 10:05, d1 and d2 busy: (0 + 1) × 15 ÷ 2 = 7.5; waits 15.
//	4 arrives 10:25, both busy (d2 called 24 min ago): 7.5; waits 5.
//	5 arrives 10:48, both free (d1 called 28 min ago, within
//	  activeWindow): next, 0; waits 0.
//
// Errors −15, −15, 7.5, −2.5, 0: MAE 8 min. Without the counters every
// estimate is 15 (nobody ahead, one desk): errors −15, −15, 0, −10, −15.
const counterLog = header +
	"1,a,2026-03-02T10:00:00Z,2026-03-02T10:00:00Z,2026-03-02T10:20:00Z,d1,served\n" +
	"2,a,2026-03-02T10:01:00Z,2026-03-02T10:01:00Z,2026-03-02T10:30:00Z,d2,served\n" +
	"3,a,2026-03-02T10:05:00Z,2026-03-02T10:20:00Z,2026-03-02T10:35:00Z,d1,served\n" +
	"4,a,2026-03-02T10:25:00Z,2026-03-02T10:30:00Z,2026-03-02T10:45:00Z,d2,served\n" +
	"5,a,2026-03-02T10:48:00Z,2026-03-02T10:48:00Z,2026-03-02T10:58:00Z,d1,served\n"

func TestEvaluateWaitsCountersAreDesks(t *testing.T) {
	for _, tt := range []struct {
		name string
		log  string
		mae  float64
	}{
		{"counters", counterLog, 8},
		{"no counters", strings.NewReplacer(",d1,", ",,", ",d2,", ",,").Replace(counterLog), 11},
		{"no counter column", strings.NewReplacer(",d1,", ",", ",d2,", ",", "done,counter,", "done,").Replace(counterLog), 11},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := waiteval.Evaluate(strings.NewReader(tt.log))
			if err != nil {
				t.Fatal(err)
			}
			if got := res[0]; got.Method != "estimator" || math.Abs(got.MAEMin-tt.mae) > 1e-9 || math.Abs(got.MAESec-60*tt.mae) > 1e-6 {
				t.Errorf("%v, want MAE %v min", got, tt.mae)
			}
		})
	}
}

func TestResultStringNoData(t *testing.T) {
	r := waiteval.Result{Method: "naive", MAEMin: math.NaN(), MAESec: math.NaN(), RMSEMin: math.NaN(), Within5: math.NaN(), Under5: math.NaN(), Cover80: math.NaN()}
	if got, want := r.String(), "naive served=0 mae_min=n/a mae_s=n/a rmse_min=n/a within5=n/a under5=n/a cover80=n/a"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

var malformedLogs = []struct {
	name string
	log  string
	want string // in the error
}{
	{"empty", "", "no header"},
	{"missing columns", "id,service,arrived,outcome\n1,a,2026-03-02T10:00:00Z,abandoned\n", "line 1: missing column(s) called, done"},
	{"bad arrived", header + "1,a,2026-03-02 10:00,,,,abandoned\n", `line 2: arrived "2026-03-02 10:00" is not an RFC 3339 time`},
	{"bad called", header +
		"1,a,2026-03-02T10:00:00Z,2026-03-02T10:10:00Z,,,served\n" +
		"2,a,2026-03-02T10:05:00Z,soon,,,served\n", `line 3: called "soon"`},
	{"unsorted", header +
		"1,a,2026-03-02T10:00:00Z,,,,abandoned\n" +
		"2,a,2026-03-02T09:00:00Z,,,,abandoned\n", "line 3: rows not sorted by arrived"},
	{"duplicate id", header +
		"1,a,2026-03-02T10:00:00Z,,,,abandoned\n" +
		"1,a,2026-03-02T10:01:00Z,,,,abandoned\n", `line 3: id "1" already used on line 2`},
	{"unknown outcome", header + "1,a,2026-03-02T10:00:00Z,,,,gone\n", `line 2: outcome "gone"`},
	{"served never called", header + "1,a,2026-03-02T10:00:00Z,,,,served\n", "line 2: called is empty"},
	{"called before arrived", header + "1,a,2026-03-02T10:00:00Z,2026-03-02T09:00:00Z,,,served\n", "line 2: called before arrived"},
	{"done before called", header + "1,a,2026-03-02T10:00:00Z,2026-03-02T10:30:00Z,2026-03-02T10:20:00Z,,served\n", "line 2: done before called"},
	{"abandoned but called", header + "1,a,2026-03-02T10:00:00Z,2026-03-02T10:30:00Z,,,abandoned\n", "line 2: abandoned visit has a called time"},
	{"empty service", header + "1,,2026-03-02T10:00:00Z,,,,abandoned\n", "line 2: empty service"},
	{"short row", header + "1,a,2026-03-02T10:00:00Z,,,abandoned\n", "line 2"},
	{"bad quoting", header + "1,\"a,2026-03-02T10:00:00Z,,,,abandoned\n", "line 2"},
}

func TestEvaluateWaitsMalformed(t *testing.T) {
	for _, tt := range malformedLogs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := waiteval.Evaluate(strings.NewReader(tt.log))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func FuzzEvaluateWaits(f *testing.F) {
	f.Add(handLog)
	for _, tt := range malformedLogs {
		f.Add(tt.log)
	}
	f.Add(header + "1,a,2026-03-02T10:00:00Z,2026-03-02T10:00:00Z,2026-03-02T10:00:00Z,,no_show\n" +
		"2,b,2026-03-02T10:00:00Z,2026-03-02T10:00:00Z,,,served\n")
	f.Fuzz(func(t *testing.T, log string) {
		res, err := waiteval.Evaluate(strings.NewReader(log))
		if err != nil {
			return
		}
		if len(res) != 3 {
			t.Fatalf("%d results, want 3", len(res))
		}
		for _, r := range res {
			_ = r.String()
			if r.Served > 0 && (r.MAEMin < 0 || r.Cover80 < 0 || r.Cover80 > 1) {
				t.Fatalf("impossible result %v", r)
			}
		}
	})
}

// fifoLog simulates a plain first-come queue with several desks, a day
// cycle of arrivals, no-shows and visitors giving up: a history unlike the
// emergency department's, to check the estimator is not fitted to that one.
func fifoLog(seed uint64, visits int) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	const desks = 3
	serviceMean := 9 * time.Minute
	type visit struct {
		arrived, called, done time.Time
		outcome               string
		patience              time.Duration
	}
	var vs []visit
	now := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	for len(vs) < visits {
		// Open 8:00–18:00; busiest around midday, near the desks' capacity.
		hour := float64(now.Hour()) + float64(now.Minute())/60
		load := 0.6 + 0.45*math.Sin(math.Pi*(hour-8)/10)
		perHour := load * desks * 60 / serviceMean.Minutes()
		now = now.Add(time.Duration(rng.ExpFloat64() / perHour * float64(time.Hour)))
		if now.Hour() >= 18 {
			now = time.Date(now.Year(), now.Month(), now.Day()+1, 8, 0, 0, 0, time.UTC)
			continue
		}
		vs = append(vs, visit{arrived: now, patience: time.Duration(rng.ExpFloat64() * float64(90*time.Minute))})
	}
	free := make([]time.Time, desks)
	for i := range vs {
		v := &vs[i]
		d := slices.IndexFunc(free, func(t time.Time) bool {
			return t.Equal(slices.MinFunc(free, func(a, b time.Time) int { return a.Compare(b) }))
		})
		start := free[d]
		if start.Before(v.arrived) {
			start = v.arrived
		}
		switch {
		case start.Sub(v.arrived) > v.patience:
			v.outcome = "abandoned"
			continue
		case rng.IntN(20) == 0:
			v.outcome, v.called, v.done = "no_show", start, start.Add(time.Minute)
		default:
			v.outcome, v.called = "served", start
			v.done = start.Add(time.Duration(rng.ExpFloat64() * float64(serviceMean)).Truncate(time.Second))
		}
		free[d] = v.done
	}
	var b strings.Builder
	b.WriteString(header)
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	for i, v := range vs {
		fmt.Fprintf(&b, "%d,desk-queue,%s,%s,%s,,%s\n", i+1, ts(v.arrived), ts(v.called), ts(v.done), v.outcome)
	}
	return b.String()
}

// assertEstimatorBest fails unless the estimator's MAE is below both
// baselines'.
func assertEstimatorBest(t *testing.T, res []waiteval.Result) {
	t.Helper()
	for _, r := range res {
		t.Log(r)
	}
	est, naive, rolling := res[0], res[1], res[2]
	if est.Method != "estimator" || naive.Method != "naive" || !strings.HasPrefix(rolling.Method, "rolling") {
		t.Fatalf("methods %q %q %q", est.Method, naive.Method, rolling.Method)
	}
	if !(est.MAEMin < naive.MAEMin) || !(est.MAEMin < rolling.MAEMin) {
		t.Errorf("estimator MAE %.1f min, want below naive %.1f and %s %.1f",
			est.MAEMin, naive.MAEMin, rolling.Method, rolling.MAEMin)
	}
}

func TestEvaluateWaitsSimulatedQueue(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			res, err := waiteval.Evaluate(strings.NewReader(fifoLog(seed, 20000)))
			if err != nil {
				t.Fatal(err)
			}
			assertEstimatorBest(t, res)
		})
	}
}

// edLog is in the shared datasets beside the repository, which is three
// levels up from this package's directory (where go test runs).
const edLog = "../../../shared/datasets/ed-visits-2009-2010.csv"

func TestEvaluateWaitsEmergencyDepartment(t *testing.T) {
	data, err := os.ReadFile(edLog)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s not present", edLog)
	}
	if err != nil {
		t.Fatal(err)
	}
	res, err := waiteval.Evaluate(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	assertEstimatorBest(t, res)
	// The target of BENCHMARKS.md for the interval. Its other target, mean
	// squared error ≤ 0.75 × the best rolling average's, is not met yet
	// (0.88×); this holds what the regression gained (from 1.04×).
	if c := res[0].Cover80; c < 0.75 || c > 0.85 {
		t.Errorf("80%% interval covers %.3f, want 0.75–0.85", c)
	}
	est, rolling := res[0], res[2]
	if ratio := (est.RMSEMin * est.RMSEMin) / (rolling.RMSEMin * rolling.RMSEMin); !(ratio <= 0.9) {
		t.Errorf("mean squared error %.2f × %s's, want ≤ 0.9 (target 0.75)", ratio, rolling.Method)
	}
}

func BenchmarkEvaluateWaits(b *testing.B) {
	data, err := os.ReadFile(edLog)
	if errors.Is(err, os.ErrNotExist) {
		b.Skipf("%s not present", edLog)
	}
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := waiteval.Evaluate(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

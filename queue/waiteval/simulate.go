package waiteval

import (
	"cmp"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"
)

// Simulation describes a lobby to simulate: a first-come queue per service
// at desks whose staffing changes during the day. The zero value is not
// usable; DefaultSimulation is.
type Simulation struct {
	Seed  uint64
	Days  int
	Start time.Time // first day's opening, UTC
	Hours float64   // the lobby is open this long each day
	// Services are the lines; each desk calls from all of them, the
	// earliest arrival first.
	Services []SimService
	// Desks is how many desks exist; each day is cut into Shifts periods
	// of random length, each staffed by 1 to Desks desks at random.
	Desks  int
	Shifts int
	// Load is the arrival rate as a share of what the lobby's average
	// staffing can serve: near or above 1, queues build while few desks
	// are open.
	Load float64
	// Patience is the mean time a visitor waits before giving up; NoShow
	// the share of called visitors who do not come.
	Patience time.Duration
	NoShow   float64
}

// SimService is one line of a Simulation.
type SimService struct {
	Name  string
	Share float64       // of arrivals
	Mean  time.Duration // mean service time at a desk (exponential)
}

// DefaultSimulation is the lobby BENCHMARKS.md scores the estimator on:
// two services, four desks, staffing changed five times a day.
func DefaultSimulation(seed uint64) Simulation {
	return Simulation{
		Seed:  seed,
		Days:  60,
		Start: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC),
		Hours: 10,
		Services: []SimService{
			{Name: "registration", Share: 0.7, Mean: 8 * time.Minute},
			{Name: "pharmacy", Share: 0.3, Mean: 4 * time.Minute},
		},
		Desks:    4,
		Shifts:   5,
		Load:     0.9,
		Patience: 60 * time.Minute,
		NoShow:   0.05,
	}
}

type simVisit struct {
	service         int
	arrived, called time.Time
	done            time.Time
	counter         int
	outcome         string
	patience        time.Duration
}

// Simulate writes the visit log of sim (the shared datasets format, with
// counters) to w. The same Simulation always writes the same log.
func Simulate(w io.Writer, sim Simulation) error {
	if sim.Days <= 0 || sim.Desks <= 0 || sim.Shifts <= 0 || sim.Hours <= 0 || len(sim.Services) == 0 || sim.Load <= 0 {
		return fmt.Errorf("simulate: days, desks, shifts, hours, services and load must be positive")
	}
	rng := rand.New(rand.NewPCG(sim.Seed, 11)) // #nosec G404 -- a seeded simulation, reproducible on purpose
	var share, meanMin float64
	for _, s := range sim.Services {
		share += s.Share
		meanMin += s.Share * s.Mean.Minutes()
	}
	meanMin /= share
	open := time.Duration(sim.Hours * float64(time.Hour))
	// Average staffing is (1 + Desks) / 2 desks.
	perMin := sim.Load * float64(1+sim.Desks) / 2 / meanMin

	var visits []simVisit
	for day := range sim.Days {
		dayStart := sim.Start.AddDate(0, 0, day)
		// Staffing: Shifts periods, cut at random, each with its desks.
		cuts := []time.Duration{0, open}
		for range sim.Shifts - 1 {
			cuts = append(cuts, time.Duration(rng.Float64()*float64(open)).Truncate(time.Minute))
		}
		slices.Sort(cuts)
		staffed := make([]int, len(cuts)-1)
		for i := range staffed {
			staffed[i] = 1 + rng.IntN(sim.Desks)
		}
		// onShift reports until when desk d (0-based) is staffed from t, or
		// the next time it is, and whether t is within a shift.
		shiftAt := func(d int, t time.Time) (from, until time.Time, ok bool) {
			for i := range staffed {
				s, e := dayStart.Add(cuts[i]), dayStart.Add(cuts[i+1])
				if d < staffed[i] && e.After(t) {
					if s.Before(t) {
						s = t
					}
					// Merge with following periods that also staff d.
					for j := i + 1; j < len(staffed) && d < staffed[j]; j++ {
						e = dayStart.Add(cuts[j+1])
					}
					return s, e, true
				}
			}
			return time.Time{}, time.Time{}, false
		}

		var day []simVisit
		for t := dayStart; ; {
			t = t.Add(time.Duration(rng.ExpFloat64() / perMin * float64(time.Minute)).Truncate(time.Second))
			if !t.Before(dayStart.Add(open)) {
				break
			}
			svc, x := 0, rng.Float64()*share
			for svc < len(sim.Services)-1 && x >= sim.Services[svc].Share {
				x -= sim.Services[svc].Share
				svc++
			}
			day = append(day, simVisit{service: svc, arrived: t, patience: time.Duration(rng.ExpFloat64() * float64(sim.Patience))})
		}
		free := make([]time.Time, sim.Desks)
		for i := range free {
			free[i] = dayStart
		}
		for i := range day {
			v := &day[i]
			best, bestAt := -1, time.Time{}
			for d := range free {
				t := free[d]
				if t.Before(v.arrived) {
					t = v.arrived
				}
				if from, _, ok := shiftAt(d, t); ok && (best < 0 || from.Before(bestAt)) {
					best, bestAt = d, from
				}
			}
			if best < 0 || bestAt.Sub(v.arrived) > v.patience {
				v.outcome = "abandoned"
				continue
			}
			v.called, v.counter = bestAt, best
			if rng.Float64() < sim.NoShow {
				v.outcome, v.done = "no_show", bestAt.Add(time.Minute)
			} else {
				v.outcome = "served"
				v.done = bestAt.Add(time.Duration(rng.ExpFloat64() * float64(sim.Services[v.service].Mean)).Truncate(time.Second))
			}
			free[best] = v.done
		}
		visits = append(visits, day...)
	}
	slices.SortStableFunc(visits, func(a, b simVisit) int { return cmp.Compare(a.arrived.UnixNano(), b.arrived.UnixNano()) })

	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	if _, err := io.WriteString(w, "id,service,arrived,called,done,counter,outcome\n"); err != nil {
		return err
	}
	for i, v := range visits {
		counter := ""
		if v.outcome != "abandoned" {
			counter = fmt.Sprintf("desk-%d", v.counter+1)
		}
		if _, err := fmt.Fprintf(w, "%d,%s,%s,%s,%s,%s,%s\n", i+1, sim.Services[v.service].Name,
			ts(v.arrived), ts(v.called), ts(v.done), counter, v.outcome); err != nil {
			return err
		}
	}
	return nil
}

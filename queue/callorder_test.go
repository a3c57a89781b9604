package queue

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// With desks that serve one service each (several may serve the same one),
// the call order is each service's own list: the place of everyone is
// their place in it, and someone joining comes after all of it, exactly
// as before desks were shared. With any desks, a service's own visitors
// keep their order among themselves, and someone joining comes last.
func TestPlanCallsKeepsSeparateLines(t *testing.T) {
	services := []string{"a", "b", "c", "d"}
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 2000 {
		separate := n%2 == 0 // every desk serves one service
		var desks []openDesk
		for i := range rng.IntN(6) {
			var svcs []string
			if separate {
				svcs = append(svcs, services[rng.IntN(len(services))])
			} else {
				for _, svc := range services {
					if rng.IntN(2) == 0 {
						svcs = append(svcs, svc)
					}
				}
			}
			if len(svcs) > 0 {
				desks = append(desks, openDesk{id: strconv.Itoa(i), services: svcs, free: rng.IntN(2) == 0})
			}
		}
		var waiting []queued
		for i := range rng.IntN(30) {
			waiting = append(waiting, queued{id: int64(i + 1), service: services[rng.IntN(len(services))]})
		}
		o := planCalls(desks, waiting)
		inLine := map[string]int{}
		last := map[string]int{}
		for _, w := range waiting {
			got := o.ahead[w.id]
			if separate && o.place[w.id] != inLine[w.service]+1 {
				t.Fatalf("case %d, separate desks %+v: visit %d of %s told place %d, %d in its own line before it", n, desks, w.id, w.service, o.place[w.id], inLine[w.service])
			}
			if separate && got != inLine[w.service] {
				t.Fatalf("case %d, separate desks %+v: visit %d of %s has %d ahead, %d in its own line", n, desks, w.id, w.service, got, inLine[w.service])
			}
			if inLine[w.service] > 0 && got <= last[w.service] {
				t.Fatalf("case %d, desks %+v: visit %d of %s has %d ahead, not more than the one before it (%d)", n, desks, w.id, w.service, got, last[w.service])
			}
			inLine[w.service]++
			last[w.service] = got
		}
		for _, svc := range services {
			if separate && o.joinPlace(svc) != inLine[svc]+1 {
				t.Fatalf("case %d, separate desks %+v: joining %s told place %d; its line holds %d", n, desks, svc, o.joinPlace(svc), inLine[svc])
			}
			if next := o.next[svc]; (separate && next != inLine[svc]) || (inLine[svc] > 0 && next <= last[svc]) {
				t.Fatalf("case %d, desks %+v: joining %s has %d ahead; its line holds %d, the last with %d ahead", n, desks, svc, next, inLine[svc], last[svc])
			}
		}
	}
}

// Services linked by no open desk are counted apart: Desk 1 serves a and
// b, Desks 2 and 3 c and d between them, and e has no desk. Each group's
// places are its own desks' turns, e keeps its own list, and someone
// joining is placed where the desks would call them.
func TestPlanCallsCountsGroupsApart(t *testing.T) {
	desks := []openDesk{
		{id: "1", services: []string{"a", "b"}, free: true},
		{id: "2", services: []string{"c"}, free: true},
		{id: "3", services: []string{"c", "d"}, free: true},
	}
	svcs := []string{"a", "c", "b", "d", "a", "c", "d", "e", "e"}
	var waiting []queued
	for i, svc := range svcs {
		waiting = append(waiting, queued{id: int64(i + 1), service: svc})
	}
	o := planCalls(desks, waiting)
	// Free desks: 1 takes 1 (a), 2 takes 2 (c), 3 takes 4 (d, before 6);
	// then 1 takes 3, 2 takes 6, 3 takes 7; then 1 takes 5.
	want := map[int64]int{1: 1, 3: 2, 5: 3, 2: 1, 4: 2, 6: 3, 7: 4, 8: 1, 9: 2}
	for id, p := range want {
		if o.place[id] != p {
			t.Errorf("visit %d (%s): place %d, want %d", id, svcs[id-1], o.place[id], p)
		}
	}
	for svc, p := range map[string]int{"a": 4, "b": 4, "c": 5, "d": 5, "e": 3} {
		if got := o.joinPlace(svc); got != p {
			t.Errorf("joining %s: place %d, want %d", svc, got, p)
		}
	}
}

// Someone joining is told the place, and comes after the visitor, that
// the call order with them in it gives them.
func TestPlanCallsJoinPlaceIsTheirPlace(t *testing.T) {
	services := []string{"a", "b", "c", "d"}
	rng := rand.New(rand.NewPCG(5, 6))
	for n := range 2000 {
		var desks []openDesk
		for i := range rng.IntN(5) {
			var svcs []string
			for _, svc := range services {
				if rng.IntN(3) == 0 {
					svcs = append(svcs, svc)
				}
			}
			if len(svcs) > 0 {
				desks = append(desks, openDesk{id: strconv.Itoa(i), services: svcs, free: rng.IntN(2) == 0})
			}
		}
		var waiting []queued
		for i := range rng.IntN(20) {
			waiting = append(waiting, queued{id: int64(i + 1), service: services[rng.IntN(len(services))]})
		}
		o := planCalls(desks, waiting)
		// Along each group's calls, places run 1, 2, 3…
		seen := map[string]int{}
		for _, c := range o.calls {
			seen[c.comp]++
			if o.place[c.id] != seen[c.comp] {
				t.Fatalf("case %d, desks %+v: call %d of its group is told place %d", n, desks, seen[c.comp], o.place[c.id])
			}
		}
		for _, svc := range services {
			joiner := queued{id: int64(len(waiting) + 1), service: svc}
			with := planCalls(desks, append(slices.Clone(waiting), joiner))
			if got, want := o.joinPlace(svc), with.place[joiner.id]; got != want {
				t.Fatalf("case %d, desks %+v, waiting %v: joining %s told place %d, is called %d", n, desks, waiting, svc, got, want)
			}
			var before int64 // the call before the joiner's in their group
			for i, c := range with.calls {
				if c.id != joiner.id {
					continue
				}
				for j := i - 1; j >= 0; j-- {
					if with.calls[j].comp == c.comp {
						before = with.calls[j].id
						break
					}
				}
			}
			if got := o.nextAfter[svc]; got != before {
				t.Fatalf("case %d, desks %+v, waiting %v: joining %s comes after %d, is called after %d", n, desks, waiting, svc, got, before)
			}
		}
	}
}

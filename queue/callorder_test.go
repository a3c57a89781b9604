package queue

import (
	"math/rand/v2"
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
			if next := o.next[svc]; (separate && next != inLine[svc]) || (inLine[svc] > 0 && next <= last[svc]) {
				t.Fatalf("case %d, desks %+v: joining %s has %d ahead; its line holds %d, the last with %d ahead", n, desks, svc, next, inLine[svc], last[svc])
			}
		}
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/hlc"
	"lobbyline/syncer/wire"
)

// lobby is one simulated kiosk's lobby. Visitors arrive at random
// (exponential gaps), are called to one of two desks 10–120 s later and
// served 30–180 s after that (both scaled, uniform). It yields what the
// kiosk's outbox would hold: for each change a wire.PushMutation whose
// payload is the queue.Mutation a real store writes, in sequence order,
// under the kiosk's own epoch and hybrid logical clock.
type lobby struct {
	kiosk string
	epoch int64
	rng   *rand.Rand
	every time.Duration // mean gap between arrivals
	scale float64

	next    time.Time // the next arrival
	later   []step    // calls and serves to come
	seq     int64
	visits  int64
	clock   hlc.Timestamp
	tickets map[string]int // last ticket number by day
	waiting int
}

// How long after arriving a visitor is called, and after that served:
// uniform in [lo, hi), before scaling.
var (
	callAfter  = [2]time.Duration{10 * time.Second, 120 * time.Second}
	serveAfter = [2]time.Duration{30 * time.Second, 180 * time.Second}
)

type step struct {
	at    time.Time
	kind  string
	visit *queue.Visit
}

func newLobby(kiosk string, epoch int64, rng *rand.Rand, start time.Time, every time.Duration, scale float64) *lobby {
	l := &lobby{kiosk: kiosk, epoch: epoch, rng: rng, every: every, scale: scale, tickets: make(map[string]int)}
	l.next = start.Add(l.gap())
	return l
}

func (l *lobby) gap() time.Duration { return time.Duration(l.rng.ExpFloat64() * float64(l.every)) }

// uniform is a scaled duration in [lo, hi).
func (l *lobby) uniform(lo, hi time.Duration) time.Duration {
	return time.Duration(l.scale * (float64(lo) + l.rng.Float64()*float64(hi-lo)))
}

// nextAt is when the lobby next changes.
func (l *lobby) nextAt() time.Time {
	at := l.next
	for _, s := range l.later {
		if s.at.Before(at) {
			at = s.at
		}
	}
	return at
}

// until returns the mutations for everything that happened up to now.
func (l *lobby) until(now time.Time) ([]wire.PushMutation, error) {
	var out []wire.PushMutation
	for {
		first := -1
		at := l.next
		for i, s := range l.later {
			if s.at.Before(at) {
				first, at = i, s.at
			}
		}
		if at.After(now) {
			return out, nil
		}
		var m wire.PushMutation
		var err error
		if first < 0 {
			m, err = l.arrive(at)
		} else {
			s := l.later[first]
			l.later = append(l.later[:first], l.later[first+1:]...)
			m, err = l.advance(s)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
}

var (
	firstNames = []string{"Ana", "Bruno", "Chen", "Dara", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kemal", "Lena",
		"Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tomás", "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë"}
	lastNames = []string{"Almeida", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ivanova", "Jensen",
		"Kowalski", "López", "Moreau", "Nguyễn", "Okafor", "Petrov", "Quispe", "Rossi", "Schmidt", "Tanaka", "Umar", "Vargas",
		"Weber", "Xu", "Yilmaz", "Zhou"}
	services = []struct{ id, prefix string }{{"registration", "R"}, {"deliveries", "D"}}
	staff    = []string{"Marta", "Joao"}
)

func (l *lobby) arrive(at time.Time) (wire.PushMutation, error) {
	l.next = at.Add(l.gap())
	at = at.UTC().Truncate(time.Millisecond) // the store keeps milliseconds
	day := at.Format("2006-01-02")
	l.tickets[day]++
	svc := services[l.rng.IntN(len(services))]
	l.visits++
	v := &queue.Visit{
		ID: l.visits, Ticket: fmt.Sprintf("%s-%03d", svc.prefix, l.tickets[day]), Day: day, Service: svc.id,
		Name:   fmt.Sprintf("%s %c. %s", firstNames[l.rng.IntN(len(firstNames))], 'A'+rune(l.rng.IntN(26)), lastNames[l.rng.IntN(len(lastNames))]), // #nosec G115 -- a small non-negative count or a value this program wrote itself
		Status: queue.StatusWaiting, Source: queue.SourceKiosk, CheckedInAt: at,
	}
	ahead := l.waiting
	l.waiting++
	l.later = append(l.later, step{at: at.Add(l.uniform(callAfter[0], callAfter[1])), kind: queue.KindCall, visit: v})
	return l.mutation(at, queue.KindCheckIn, queue.SourceKiosk, *v, map[string]any{"ahead": ahead, "desks": 2})
}

func (l *lobby) advance(s step) (wire.PushMutation, error) {
	v := s.visit
	s.at = s.at.UTC().Truncate(time.Millisecond)
	desk := 1 + int(v.ID%2)
	switch s.kind {
	case queue.KindCall:
		l.waiting--
		v.Status, v.Desk, v.CalledAt = queue.StatusCalled, fmt.Sprintf("desk-%d", desk), s.at
		l.later = append(l.later, step{at: s.at.Add(l.uniform(serveAfter[0], serveAfter[1])), kind: queue.KindServe, visit: v})
	case queue.KindServe:
		v.Status, v.DoneAt = queue.StatusServed, s.at
	}
	return l.mutation(s.at, s.kind, staff[desk-1], *v, nil)
}

// mutation takes the next sequence number and clock reading for a change
// made at at, and wraps it as the outbox would.
func (l *lobby) mutation(at time.Time, kind, actor string, v queue.Visit, data map[string]any) (wire.PushMutation, error) {
	l.seq++
	l.clock = l.clock.Next(at)
	hlc := l.clock.String()
	payload, err := json.Marshal(queue.Mutation{Kiosk: l.kiosk, Epoch: l.epoch, Kind: kind, At: at, HLC: hlc, Actor: actor, Visit: &v, Data: data})
	if err != nil {
		return wire.PushMutation{}, fmt.Errorf("encode mutation: %w", err)
	}
	return wire.PushMutation{Epoch: l.epoch, Seq: l.seq, Kind: kind, At: at, HLC: hlc, Payload: payload}, nil
}

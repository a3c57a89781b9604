package queue

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"

	"lobbyline/queue/estimate"
)

// A desk may serve several services, and it calls the earliest waiting
// visit across all of them (callNext: ORDER BY rank, id). A visitor's place
// in line is therefore not their place in their own service's list: at a
// desk shared by Registration and Visit a patient, a Registration visitor
// waits behind every patient visitor who checked in earlier too. The call
// order below is what the desks will actually do, and every place and
// estimate the kiosk shows (board, ticket, staff list) is read from it, so
// that none contradicts another.

// openDesk is an open desk as the call order needs it.
type openDesk struct {
	id       string
	services []string // no service twice
	free     bool     // calling nobody now
}

// queued is a waiting visit as the call order needs it.
type queued struct {
	id      int64
	service string
}

// callOrder is, for everyone waiting and for someone joining any service
// now, how many people the open desks serving their service will call
// before them: the Ahead of their estimate.Query and, plus one, their place
// in line.
type callOrder struct {
	desks []openDesk
	ahead map[int64]int  // waiting visit → people called before it by the desks serving its service
	next  map[string]int // service → the same for someone joining it now
	// aheadBy and nextBy are those same people by their own service,
	// where a shared desk calls people of other services among them (nil
	// where all are of the visitor's service): with no history yet, the
	// estimate counts each at the time their own service takes.
	aheadBy map[int64]map[string]int
	nextBy  map[string]map[string]int
}

// mixed returns by if it counts people of a service other than own, nil
// otherwise, as a copy.
func mixed(by map[string]int, own string) map[string]int {
	for svc, n := range by {
		if svc != own && n > 0 {
			return maps.Clone(by)
		}
	}
	return nil
}

// planCalls plays out the desks' calls over waiting, which is in (rank, id)
// order, as callNext makes them: the desks free now call first, then every
// open desk in turn calls again, each the earliest visit waiting for any of
// its services, until nobody is left. Which busy desk frees first is not
// known; the turns assume they all take about as long, in desk order. Per
// service, what counts is the calls made by the desks that serve it:
// those come before the visitor whichever of those desks calls them.
//
// A visitor is taken by a desk free now exactly when fewer people are
// called before them by their desks than they have free desks, which is
// the rule estimate.Estimator applies to Ahead and FreeDesks: the two agree.
//
// For a service whose open desks all serve it alone, this is its own list
// in order, as it was before desks were shared. A service no open desk serves has no calls to count:
// its visitors keep their place in their own list, and the kiosk shows no
// estimate for them (OpenDesks is 0).
func planCalls(desks []openDesk, waiting []queued) callOrder {
	o := callOrder{desks: desks, ahead: make(map[int64]int, len(waiting)), next: make(map[string]int),
		aheadBy: make(map[int64]map[string]int), nextBy: make(map[string]map[string]int)}
	lines := make(map[string][]int) // service → indexes into waiting, in call order
	for i, w := range waiting {
		lines[w.service] = append(lines[w.service], i)
	}
	head := make(map[string]int)                // service → its next uncalled index in lines
	called := make(map[string]int)              // service → calls so far by desks serving it
	calledBy := make(map[string]map[string]int) // the same, by the service of whoever was called
	take := func(d openDesk) bool {
		first, from := -1, ""
		for _, svc := range d.services {
			if h := head[svc]; h < len(lines[svc]) && (first < 0 || lines[svc][h] < first) {
				first, from = lines[svc][h], svc
			}
		}
		if first < 0 {
			// Nobody left for this desk: someone joining any of its
			// services now would be its next call.
			for _, svc := range d.services {
				if _, ok := o.next[svc]; !ok {
					o.next[svc] = called[svc]
					if by := mixed(calledBy[svc], svc); by != nil {
						o.nextBy[svc] = by
					}
				}
			}
			return false
		}
		head[from]++
		id := waiting[first].id
		o.ahead[id] = called[from]
		if by := mixed(calledBy[from], from); by != nil {
			o.aheadBy[id] = by
		}
		for _, svc := range d.services {
			called[svc]++
			if calledBy[svc] == nil {
				calledBy[svc] = make(map[string]int)
			}
			calledBy[svc][from]++
		}
		return true
	}
	for _, d := range desks {
		if d.free {
			take(d)
		}
	}
	// Each turn either calls someone or finds a desk with nobody left; a
	// turn in which no desk calls anyone has set next for every service
	// an open desk serves.
	for moved := true; moved; {
		moved = false
		for _, d := range desks {
			if take(d) {
				moved = true
			}
		}
	}
	for svc, line := range lines {
		for place, i := range line {
			if _, ok := o.ahead[waiting[i].id]; !ok {
				o.ahead[waiting[i].id] = place
			}
		}
		if _, ok := o.next[svc]; !ok {
			o.next[svc] = len(line)
		}
	}
	return o
}

// joinQuery is the estimate's question for someone joining service now.
func (o callOrder) joinQuery(service string) estimate.Query {
	open, free := o.desksFor(service)
	return estimate.Query{Service: service, Ahead: o.next[service], AheadBy: o.nextBy[service], OpenDesks: open, FreeDesks: free}
}

// desksFor is how many open desks serve service and how many of those call
// nobody now.
func (o callOrder) desksFor(service string) (open, free int) {
	for _, d := range o.desks {
		if slices.Contains(d.services, service) {
			open++
			if d.free {
				free++
			}
		}
	}
	return open, free
}

// readCallOrder reads the open desks and everyone waiting in tx, one
// snapshot, and plays out their calls: the board's places and waits.
func (s *Store) readCallOrder(ctx context.Context, tx *sql.Tx) (callOrder, error) {
	desks, err := s.readOpenDesks(ctx, tx)
	if err != nil {
		return callOrder{}, err
	}
	waiting, err := s.readWaiting(ctx, tx)
	if err != nil {
		return callOrder{}, err
	}
	return planCalls(desks, waiting), nil
}

// readJoinOrder is readCallOrder for someone joining service now, inside
// check-in's write transaction: its next and desksFor(service) are what
// readCallOrder's would be, so a ticket and the board agree. While
// every open desk serving the line serves it alone (or none is open), the
// call order of the line is the line itself (TestPlanCallsKeepsSeparateLines),
// so a count of it is the answer and check-in reads no list.
func (s *Store) readJoinOrder(ctx context.Context, tx *sql.Tx, service string) (callOrder, error) {
	desks, err := s.readOpenDesks(ctx, tx)
	if err != nil {
		return callOrder{}, err
	}
	for _, d := range desks {
		if len(d.services) > 1 && slices.Contains(d.services, service) {
			waiting, err := s.readWaiting(ctx, tx)
			if err != nil {
				return callOrder{}, err
			}
			return planCalls(desks, waiting), nil
		}
	}
	var n int
	if err := s.stmts.queryRow(ctx, tx, "SELECT count(*) FROM visits WHERE service_id = ? AND status = 'waiting'", service).Scan(&n); err != nil {
		return callOrder{}, fmt.Errorf("count line: %w", err)
	}
	return callOrder{desks: desks, next: map[string]int{service: n}}, nil
}

// readOpenDesks lists the open desks, in desk order, with the services
// each calls from (desk_services, as callNext reads them).
func (s *Store) readOpenDesks(ctx context.Context, tx *sql.Tx) ([]openDesk, error) {
	rows, err := s.stmts.query(ctx, tx, `SELECT d.id, ds.service_id,
		NOT EXISTS (SELECT 1 FROM visits v WHERE v.status = 'called' AND v.desk_id = d.id)
		FROM desks d JOIN desk_services ds ON ds.desk_id = d.id
		WHERE d.open = 1 AND d.active = 1 ORDER BY d.position, d.id, ds.service_id`)
	if err != nil {
		return nil, fmt.Errorf("read open desks: %w", err)
	}
	defer rows.Close()
	var desks []openDesk
	for rows.Next() {
		var id, svc string
		var free bool
		if err := rows.Scan(&id, &svc, &free); err != nil {
			return nil, fmt.Errorf("read open desks: %w", err)
		}
		// desk_services' key is (desk, service): no service twice.
		if len(desks) == 0 || desks[len(desks)-1].id != id {
			desks = append(desks, openDesk{id: id, free: free})
		}
		d := &desks[len(desks)-1]
		d.services = append(d.services, svc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read open desks: %w", err)
	}
	return desks, nil
}

// readWaiting lists everyone waiting, in the order desks call them. The
// statements here are prepared once, as check-in's others are.
func (s *Store) readWaiting(ctx context.Context, tx *sql.Tx) ([]queued, error) {
	rows, err := s.stmts.query(ctx, tx, "SELECT id, service_id FROM visits WHERE status = 'waiting' ORDER BY rank, id")
	if err != nil {
		return nil, fmt.Errorf("read queue: %w", err)
	}
	defer rows.Close()
	var out []queued
	for rows.Next() {
		var w queued
		if err := rows.Scan(&w.id, &w.service); err != nil {
			return nil, fmt.Errorf("read queue: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read queue: %w", err)
	}
	return out, nil
}

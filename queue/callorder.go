package queue

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"lobbyline/queue/estimate"
	"lobbyline/queue/sqldb"
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
	since   time.Time // checked in at: its estimate counts down from then
}

// pick is one call of the plan, in the order the desks make them.
type pick struct {
	id   int64
	comp string // the desks' group that calls it (find's root of its service)
}

// callOrder is, for everyone waiting and for someone joining any service
// now, how many people the open desks serving their service will call
// before them (the Ahead of their estimate.Query: it is what sets the
// time) and their place in the one order all the desks linked to theirs
// call in (what the visitor reads as "number N in line").
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

	// Desks that share a service call from one order: services are
	// grouped by the open desks that link them (one desk serving both,
	// or a chain of such desks), and a visitor's place is their turn in
	// their group's calls, whichever line they are in, so that a later
	// place is never called before an earlier one.
	waiting   []queued         // everyone waiting, in (rank, id) order
	calls     []pick           // everyone an open desk serves, in the order called
	place     map[int64]int    // waiting visit → their place (1 is next)
	nextPlace map[string]int   // service → the place of someone joining it now
	nextAfter map[string]int64 // service → who is called just before someone joining it now, in its group
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
//
// A visitor's place (callOrder.place) is their turn among all the calls of
// the desks linked to theirs through shared services; for a service whose
// open desks serve it alone that is its own list again.
func planCalls(desks []openDesk, waiting []queued) callOrder {
	o := callOrder{desks: desks, ahead: make(map[int64]int, len(waiting)), next: make(map[string]int),
		aheadBy: make(map[int64]map[string]int), nextBy: make(map[string]map[string]int),
		waiting: waiting, place: make(map[int64]int, len(waiting)),
		nextPlace: make(map[string]int), nextAfter: make(map[string]int64)}
	// Union-find over services: a desk links all it serves.
	parent := make(map[string]string)
	var find func(string) string
	find = func(svc string) string {
		p, ok := parent[svc]
		if !ok || p == svc {
			return svc
		}
		root := find(p)
		parent[svc] = root
		return root
	}
	for _, d := range desks {
		for _, svc := range d.services {
			if a, b := find(d.services[0]), find(svc); a != b {
				parent[b] = a
			}
		}
	}
	picked := make(map[string]int)   // group → calls so far
	lastOf := make(map[string]int64) // group → the last of them
	lines := make(map[string][]int)  // service → indexes into waiting, in call order
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
					comp := find(svc)
					o.nextPlace[svc] = picked[comp] + 1
					if picked[comp] > 0 {
						o.nextAfter[svc] = lastOf[comp]
					}
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
		comp := find(from)
		picked[comp]++
		o.place[id], lastOf[comp] = picked[comp], id
		o.calls = append(o.calls, pick{id: id, comp: comp})
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
				o.place[waiting[i].id] = place + 1
			}
		}
		if _, ok := o.next[svc]; !ok {
			o.next[svc] = len(line)
			o.nextPlace[svc] = len(line) + 1
		}
	}
	return o
}

// joinQuery is the estimate's question for someone joining service now.
func (o callOrder) joinQuery(service string) estimate.Query {
	open, free := o.desksFor(service)
	return estimate.Query{Service: service, Ahead: o.next[service], AheadBy: o.nextBy[service], OpenDesks: open, FreeDesks: free}
}

// joinPlace is the place of someone joining service now.
func (o callOrder) joinPlace(service string) int {
	if p, ok := o.nextPlace[service]; ok {
		return p
	}
	return o.next[service] + 1
}

// estimates is every waiting visitor's wait as the board and a ticket show
// it, at now. Each is first the estimate of their own question (their
// Ahead at the desks serving their line), never less than the one before
// them in their own line; then, along the order their group of desks calls
// in, never less than whoever is called before them: a place in that
// order is never told less than an earlier one.
func (o callOrder) estimates(est *estimate.Estimator, now time.Time) map[int64]estimate.Range {
	out := make(map[int64]estimate.Range, len(o.waiting))
	behind := make(map[string]estimate.Range)
	type counts struct{ open, free int }
	desks := make(map[string]counts)
	for _, w := range o.waiting {
		c, ok := desks[w.service]
		if !ok {
			c.open, c.free = o.desksFor(w.service)
			desks[w.service] = c
		}
		q := estimate.Query{Service: w.service, Ahead: o.ahead[w.id], AheadBy: o.aheadBy[w.id], OpenDesks: c.open, FreeDesks: c.free, Since: w.since}
		e := notBefore(est.Remaining(q, now), behind[w.service])
		out[w.id], behind[w.service] = e, e
	}
	before := make(map[string]estimate.Range) // group → the last call's wait so far
	for _, c := range o.calls {
		e := notBefore(out[c.id], before[c.comp])
		out[c.id], before[c.comp] = e, e
	}
	return out
}

// joinEstimate is the wait for someone joining service now, never less
// than that of whoever their desks call just before them; waits is
// estimates' answer at the same now.
func (o callOrder) joinEstimate(est *estimate.Estimator, now time.Time, service string, waits map[int64]estimate.Range) estimate.Range {
	r := est.Remaining(o.joinQuery(service), now)
	if id, ok := o.nextAfter[service]; ok {
		r = notBefore(r, waits[id])
	}
	return r
}

// notBefore keeps a place in line from being told less than the place in
// front of it: the two counted down from different moments, but nobody is
// called before the person ahead.
func notBefore(r, ahead estimate.Range) estimate.Range {
	r.Wait = max(r.Wait, ahead.Wait)
	r.Low = max(r.Low, ahead.Low)
	r.High = max(r.High, ahead.High)
	return r
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
	if sharesDesk(desks, service) {
		waiting, err := s.readWaiting(ctx, tx)
		if err != nil {
			return callOrder{}, err
		}
		return planCalls(desks, waiting), nil
	}
	return s.countJoinOrder(ctx, tx, desks, service)
}

// sharesDesk tells whether an open desk serving service serves another
// service too: only then does its call order differ from its own list.
func sharesDesk(desks []openDesk, service string) bool {
	for _, d := range desks {
		if len(d.services) > 1 && slices.Contains(d.services, service) {
			return true
		}
	}
	return false
}

// countJoinOrder is readJoinOrder for a service no shared desk serves:
// its line's count.
func (s *Store) countJoinOrder(ctx context.Context, tx *sql.Tx, desks []openDesk, service string) (callOrder, error) {
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
	rows, err := s.stmts.query(ctx, tx, "SELECT id, service_id, checked_in_at FROM visits WHERE status = 'waiting' ORDER BY rank, id")
	if err != nil {
		return nil, fmt.Errorf("read queue: %w", err)
	}
	defer rows.Close()
	var out []queued
	for rows.Next() {
		var w queued
		var since string
		if err := rows.Scan(&w.id, &w.service, &since); err != nil {
			return nil, fmt.Errorf("read queue: %w", err)
		}
		if w.since, err = sqldb.ParseTime(since); err != nil {
			return nil, fmt.Errorf("visit %d: %w", w.id, err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read queue: %w", err)
	}
	return out, nil
}

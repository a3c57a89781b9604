package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"lobbyline/queue/estimate"
	"lobbyline/queue/sqldb"
)

// DeskState is a desk as it is now.
type DeskState struct {
	Desk    Desk
	Open    bool
	Staff   string
	Serving *Visit // the visit called to this desk, if any
}

// Waiting is a visit in line with its place and expected wait.
type Waiting struct {
	Visit Visit
	// Position is the visitor's place in the order the open desks will
	// call in: their turn among everyone the desks linked to theirs by
	// shared services call, whatever their line (callorder.go), so a
	// later place is never called before an earlier one; 1 means next.
	// Desks serving one service alone call their own line in order.
	// Without an open desk, their place in their own line.
	Position int
	Estimate estimate.Range
}

// Line is one service's queue: its own visitors, each with their place
// among everyone their desks will call.
type Line struct {
	Service   Service
	OpenDesks int // while 0, nobody is called and no estimate can come true
	FreeDesks int // open desks of the service calling nobody now
	// Waiting are the visitors in line, each with the wait still ahead of
	// them: it counts down, and starts again when the line is slower than
	// it said (estimate.Estimator.Remaining).
	Waiting []Waiting
	// NextEstimate is the wait for someone joining now, behind everyone
	// the desks serving the line will call first.
	NextEstimate estimate.Range
}

// Board is a snapshot of the whole queue: what the lobby board and the
// staff screen show.
type Board struct {
	At    time.Time
	Desks []DeskState
	Lines []Line
}

// Waiting counts everyone in line across services.
func (b Board) WaitingCount() int {
	n := 0
	for _, l := range b.Lines {
		n += len(l.Waiting)
	}
	return n
}

// Board reads the current queue, with estimates recomputed from everything
// that has happened so far (also in other processes). A damaged database
// has no board: its error is EDamaged (damage.go), never an empty or
// stale queue.
func (s *Store) Board(ctx context.Context) (Board, error) {
	if err := s.Damage(); err != nil {
		return Board{}, err
	}
	b, err := s.board(ctx)
	return b, s.checkDamage(ctx, err)
}

func (s *Store) board(ctx context.Context) (Board, error) {
	if err := s.refreshEstimator(ctx); err != nil {
		return Board{}, err
	}
	b := Board{At: s.now()}
	byService := make(map[string][]Visit)
	lay := s.layout.Load()
	var order callOrder
	err := inReadTx(ctx, s.db, func(tx *sql.Tx) error {
		for _, id := range lay.deskIDs {
			d, err := s.deskState(ctx, tx, id)
			if err != nil {
				return err
			}
			b.Desks = append(b.Desks, d)
		}
		var err error
		if order, err = s.readCallOrder(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, "SELECT "+visitColumns+" FROM visits WHERE status = 'waiting' ORDER BY rank, id")
		if err != nil {
			return fmt.Errorf("read queue: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scanVisit(rows)
			if err != nil {
				return err
			}
			byService[v.Service] = append(byService[v.Service], v)
		}
		return rows.Err()
	})
	if err != nil {
		return Board{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Each line lists its own visitors, but their places and waits come
	// from the order their desks call in, across every service those
	// desks serve (callorder.go); a ticket reads them the same way.
	waits := order.estimates(s.est, b.At)
	for _, id := range lay.order {
		l := Line{Service: lay.services[id]}
		l.OpenDesks, l.FreeDesks = order.desksFor(id)
		for _, v := range byService[id] {
			l.Waiting = append(l.Waiting, Waiting{Visit: v, Position: order.place[v.ID], Estimate: waits[v.ID]})
		}
		l.NextEstimate = order.joinEstimate(s.est, b.At, id, waits)
		b.Lines = append(b.Lines, l)
	}
	return b, nil
}

// deskState reads a configured desk and the visit called to it.
func (s *Store) deskState(ctx context.Context, q querier, id string) (DeskState, error) {
	cfg, ok := s.layout.Load().desks[id]
	if !ok {
		return DeskState{}, notFound("error.desk.unknown", "There is no desk {{.Desk}}.", map[string]any{"Desk": id})
	}
	d := DeskState{Desk: cfg}
	if err := q.QueryRowContext(ctx, "SELECT open, staff FROM desks WHERE id = ?", id).Scan(&d.Open, &d.Staff); err != nil {
		return DeskState{}, fmt.Errorf("read desk %s: %w", id, err)
	}
	row := q.QueryRowContext(ctx, "SELECT "+visitColumns+" FROM visits WHERE status = 'called' AND desk_id = ? ORDER BY called_at DESC LIMIT 1", id)
	v, err := scanVisit(row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return DeskState{}, err
	default:
		d.Serving = &v
	}
	return d, nil
}

// Visit reads one visit by ID.
func (s *Store) Visit(ctx context.Context, id int64) (Visit, error) {
	return loadVisit(ctx, s.db, id)
}

// Find looks up today's visits by ticket number, part of a name or host,
// or a ticket reference scanned from a QR code; newest first, at most 50.
// Names are compared as NormalizeName compares them for the watch-list,
// forgiving case, accents and punctuation: "zoe obrien" finds "Zoë
// O'Brien". A query of punctuation alone ("%") is looked for as typed.
func (s *Store) Find(ctx context.Context, query string) ([]Visit, error) {
	query = strings.TrimSpace(query)
	if query == "" {
		return nil, nil
	}
	if v, err := s.VerifyTicket(ctx, query); err == nil {
		return []Visit{v}, nil
	}
	// A day's visits are few enough to match in Go, where folding is right.
	rows, err := s.db.QueryContext(ctx, "SELECT "+visitColumns+" FROM visits WHERE day = ? ORDER BY id DESC", s.day(s.now()))
	if err != nil {
		return nil, fmt.Errorf("find visits: %w", err)
	}
	defer rows.Close()
	want, folded := NormalizeName(query), fold(query)
	matches := func(s string) bool {
		if want == "" {
			return strings.Contains(fold(s), folded)
		}
		return strings.Contains(NormalizeName(s), want)
	}
	var out []Visit
	for rows.Next() && len(out) < 50 {
		v, err := scanVisit(rows)
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(v.Ticket, query) || matches(v.Name) || matches(v.Host) {
			out = append(out, v)
		}
	}
	return out, rows.Err()
}

// fold lower-cases s and drops accents so searches forgive both.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// querier is what *sql.DB and *sql.Tx have in common for reads.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const visitColumns = `id, ticket, day, service_id, name, host, phone, status, coalesce(desk_id, ''), source,
	priority, recalls, checked_in_at, coalesce(called_at, ''), coalesce(done_at, ''), invite, coalesce(left_at, ''), epoch, left_proof, origin`

type scanner interface{ Scan(dest ...any) error }

func scanVisit(r scanner) (Visit, error) {
	var (
		v                  Visit
		in, called, done   string
		left               string
		priority, recalled int
	)
	err := r.Scan(&v.ID, &v.Ticket, &v.Day, &v.Service, &v.Name, &v.Host, &v.Phone, &v.Status, &v.Desk, &v.Source,
		&priority, &recalled, &in, &called, &done, &v.Invite, &left, &v.Epoch, &v.LeftProof, &v.Origin)
	if errors.Is(err, sql.ErrNoRows) {
		return Visit{}, err
	}
	if err != nil {
		return Visit{}, fmt.Errorf("read visit: %w", err)
	}
	v.Priority, v.Recalls = priority != 0, recalled
	if v.CheckedInAt, err = sqldb.ParseTime(in); err != nil {
		return Visit{}, fmt.Errorf("visit %d: %w", v.ID, err)
	}
	for _, f := range []struct {
		s string
		t *time.Time
	}{{called, &v.CalledAt}, {done, &v.DoneAt}, {left, &v.LeftAt}} {
		if f.s == "" {
			continue
		}
		if *f.t, err = sqldb.ParseTime(f.s); err != nil {
			return Visit{}, fmt.Errorf("visit %d: %w", v.ID, err)
		}
	}
	return v, nil
}

func loadVisit(ctx context.Context, q querier, id int64) (Visit, error) {
	v, err := scanVisit(q.QueryRowContext(ctx, "SELECT "+visitColumns+" FROM visits WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Visit{}, notFound("error.visit.unknown", "There is no such visit.", nil)
	}
	return v, err
}

// inReadTx runs fn in a read-only transaction so it sees one snapshot.
func inReadTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

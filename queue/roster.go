package queue

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"lobbyline/queue/csvsafe"
	"lobbyline/queue/sqldb"
)

// ActorEndOfDay is who the end-of-day close acts as in the log.
const ActorEndOfDay = "end of day"

// ticketPattern is a ticket number as printed: prefix, dash, digits.
var ticketPattern = regexp.MustCompile(`^[A-Za-z]{1,3}-?[0-9]{1,6}$`)

// CheckOut records that a visitor left, found by what they have: their
// ticket number as printed (today's) or the reference in its QR code.
// Leaving while still in line takes them out of it. It is staff's
// command (the CLI's checkout): by names who vouches for it, and the
// proof recorded is ProofStaff, whatever was typed.
func (s *Store) CheckOut(ctx context.Context, ticket, by string) (Visit, error) {
	v, _, err := s.findForCheckOut(ctx, ticket)
	if err != nil {
		return Visit{}, err
	}
	return s.CheckOutVisit(ctx, v.ID, by, ProofStaff)
}

// FindForCheckOut finds the visit a visitor means to check out at the
// kiosk, by today's ticket number or the QR reference, without checking
// it out. verified is true for a QR reference: its signature proves the
// visitor holds the ticket, while a typed number may be someone else's
// (by a slip of the finger, or not), so the kiosk asks "is this you?"
// first, and where the site asks for it the phone's last four digits.
// A typed number of a visit that took MaxPhoneTries wrong answers is
// refused (ELocked): that visitor asks at reception, or scans the QR code.
func (s *Store) FindForCheckOut(ctx context.Context, ticket string) (v Visit, verified bool, err error) {
	if v, verified, err = s.findForCheckOut(ctx, ticket); err != nil || verified {
		return v, verified, err
	}
	tries, err := phoneTries(ctx, s.db, v.ID)
	if err != nil {
		return Visit{}, false, err
	}
	if tries >= MaxPhoneTries {
		return Visit{}, false, errAskReception(v)
	}
	return v, false, nil
}

func (s *Store) findForCheckOut(ctx context.Context, ticket string) (v Visit, verified bool, err error) {
	ticket = strings.TrimSpace(ticket)
	switch {
	case ticket == "":
		return Visit{}, false, invalid("ticket", "error.checkout.empty", "Please type your ticket number, like R-042, or scan your ticket.", nil)
	case ticketPattern.MatchString(ticket):
		v, err = s.visitByTicket(ctx, normalizeTicket(ticket))
	default:
		v, err = s.VerifyTicket(ctx, ticket)
		if ErrorCode(err) == EInvalid {
			return Visit{}, false, invalid("ticket", "error.checkout.unknown", "We cannot find this ticket. Please check the number, or ask at reception.", nil)
		}
		verified = err == nil
	}
	if err != nil {
		return Visit{}, false, err
	}
	if !v.LeftAt.IsZero() {
		return Visit{}, false, s.alreadyLeft(v)
	}
	return v, verified, nil
}

// normalizeTicket writes "r42" or "R-42" as the kiosk prints it: "R-042".
func normalizeTicket(t string) string {
	t = strings.ToUpper(strings.ReplaceAll(t, "-", ""))
	i := strings.IndexAny(t, "0123456789")
	n := strings.TrimLeft(t[i:], "0")
	if len(n) < 3 {
		n = strings.Repeat("0", 3-len(n)) + n
	}
	return t[:i] + "-" + n
}

func (s *Store) visitByTicket(ctx context.Context, ticket string) (Visit, error) {
	v, err := scanVisit(s.db.QueryRowContext(ctx, "SELECT "+visitColumns+" FROM visits WHERE day = ? AND ticket = ?", s.day(s.now()), ticket))
	if errors.Is(err, sql.ErrNoRows) {
		return Visit{}, notFound("error.checkout.unknown", "We cannot find this ticket. Please check the number, or ask at reception.", nil)
	}
	return v, err
}

// CheckOutVisit records that visit id left the building. by is the staff
// member's name, or SourceKiosk when the visitor checked out themselves;
// proof is how: ProofQR after FindForCheckOut verified a scanned
// reference, ProofSelf for a typed number without proof, ProofStaff for
// staff. A phone's digits are checked by CheckOutByPhone, and the close
// of day is CloseDay's. A visit that took MaxPhoneTries wrong answers is
// not checked out self-declared: its visitor asks at reception.
func (s *Store) CheckOutVisit(ctx context.Context, id int64, by string, proof Proof) (Visit, error) {
	if err := checkText("staff", by); err != nil {
		return Visit{}, err
	}
	if proof != ProofQR && proof != ProofSelf && proof != ProofStaff {
		return Visit{}, fmt.Errorf("check out: proof %q is not one a caller may state", proof)
	}
	now := s.now()
	var v Visit
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if v, err = s.openForCheckOut(ctx, tx, id); err != nil {
			return err
		}
		if proof == ProofSelf {
			tries, err := phoneTries(ctx, tx, id)
			if err != nil {
				return err
			}
			if tries >= MaxPhoneTries {
				return errAskReception(v)
			}
		}
		return s.checkOut(ctx, tx, now, &v, by, proof)
	})
	if err != nil {
		return Visit{}, storageError("check out", err)
	}
	s.afterWrite()
	return v, nil
}

// checkOut marks v as left, cancelling it first if it was still in line.
// The proof travels to the centre in the mutation's visit.
func (s *Store) checkOut(ctx context.Context, tx *sql.Tx, now time.Time, v *Visit, by string, proof Proof) error {
	was := v.Status
	if was == StatusWaiting || was == StatusCalled {
		v.Status, v.DoneAt = StatusCancelled, now
	}
	v.LeftAt, v.LeftProof = now, proof
	_, err := tx.ExecContext(ctx, "UPDATE visits SET status = ?, done_at = ?, left_at = ?, left_by = ?, left_proof = ? WHERE id = ?",
		v.Status, nullTime(v.DoneAt), sqldb.FormatTime(now), by, string(proof), v.ID)
	if err != nil {
		return fmt.Errorf("check out: %w", err)
	}
	return s.record(ctx, tx, now, event{Kind: KindCheckOut, Visit: v.ID, Desk: v.Desk, Service: v.Service, Actor: by,
		Data: map[string]any{"was": was}}, v, nil)
}

// CheckOutVisits records that a person left, checked out by staff (by):
// every ticket of theirs, as CheckOutVisit records one with ProofStaff,
// in one transaction, so that nobody is ever half checked out. If one of
// them has left already, none is changed.
func (s *Store) CheckOutVisits(ctx context.Context, ids []int64, by string) ([]Visit, error) {
	if err := checkText("staff", by); err != nil {
		return nil, err
	}
	now := s.now()
	var out []Visit
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		for _, id := range ids {
			v, err := s.openForCheckOut(ctx, tx, id)
			if err != nil {
				return err
			}
			if err := s.checkOut(ctx, tx, now, &v, by, ProofStaff); err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		return nil, storageError("check out", err)
	}
	s.afterWrite()
	return out, nil
}

// LeftToday returns the visits checked out since the start of today (the
// kiosk's day), in the order they left, each with its proof: beside the
// roster of who is on site, who left and how sure that is.
func (s *Store) LeftToday(ctx context.Context) ([]Visit, error) {
	now := s.now().In(s.loc)
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.loc)
	rows, err := s.db.QueryContext(ctx, "SELECT "+visitColumns+" FROM visits WHERE left_at >= ? ORDER BY left_at, id", sqldb.FormatTime(start))
	if err != nil {
		return nil, fmt.Errorf("read check-outs: %w", err)
	}
	defer rows.Close()
	var out []Visit
	for rows.Next() {
		v, err := scanVisit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Roster returns every ticket of everyone checked in at this kiosk who has
// not left, in check-in order: the list to count people by in an
// evacuation. People groups the tickets into the people who hold them.
func (s *Store) Roster(ctx context.Context) ([]Visit, error) {
	return s.roster(ctx, s.db)
}

type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) roster(ctx context.Context, q rowsQuerier) ([]Visit, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+visitColumns+" FROM visits WHERE left_at IS NULL ORDER BY checked_in_at, id")
	if err != nil {
		return nil, fmt.Errorf("read roster: %w", err)
	}
	defer rows.Close()
	var out []Visit
	for rows.Next() {
		v, err := scanVisit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Person is one person on the roster with the tickets they took in one
// visit, in check-in order; most hold one.
type Person struct {
	Visits []Visit
}

// Name is the person's name as they typed it on their first ticket.
func (p Person) Name() string { return p.Visits[0].Name }

// Tickets are the person's ticket numbers, in check-in order.
func (p Person) Tickets() []string {
	out := make([]string, len(p.Visits))
	for i, v := range p.Visits {
		out[i] = v.Ticket
	}
	return out
}

// IDs are the visits of the person's tickets, in check-in order.
func (p Person) IDs() []int64 {
	out := make([]int64, len(p.Visits))
	for i, v := range p.Visits {
		out[i] = v.ID
	}
	return out
}

// People groups a roster (visits in check-in order) into the people on
// site, in the order they first checked in, so that a visitor who took a
// ticket for registration and one for the pharmacy is one person to count.
//
// Tickets are one person's when they were taken within one visit: checked
// in on the same kiosk day (Visit.Day) and none of them checked out yet
// (the roster holds no other), under the same name as NormalizeName
// compares names (case, accents and punctuation forgiven; never an empty
// one) and with the same phone number, digit for digit, or neither with a
// phone. Anything less certain stays apart: counting one person twice at
// the assembly point is found out, missing one is not. Two namesakes
// without a phone on the same day are the one case counted as one; their
// row lists both tickets, for staff to see.
func People(roster []Visit) []Person {
	type key struct{ day, name, phone string }
	var out []Person
	index := make(map[key]int)
	for _, v := range roster {
		k := key{v.Day, NormalizeName(v.Name), phoneDigits(v.Phone)}
		if i, ok := index[k]; ok && k.name != "" && v.LeftAt.IsZero() {
			out[i].Visits = append(out[i].Visits, v)
			continue
		}
		if k.name != "" && v.LeftAt.IsZero() {
			index[k] = len(out)
		}
		out = append(out, Person{Visits: []Visit{v}})
	}
	return out
}

func phoneDigits(p string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, p)
}

// RosterColumns are the CSV columns of WriteRosterCSV: one row per ticket,
// as before people were counted, a person's tickets together in the order
// people arrived, and then the number of the person who holds it (as
// People numbers them from 1, and the printed list does), so that rows
// with one number are one person. After the people on site come today's
// check-outs (LeftToday), one row per ticket with no person number, the
// time they left and its proof (a Proof, or "unknown" for a check-out
// recorded before proofs were): count people by the person column, never
// by rows. A spreadsheet that read the first seven columns reads them as
// it did.
var RosterColumns = []string{"ticket", "name", "host", "service", "status", "checked_in", "phone", "person", "checked_out", "proof"}

// WriteRosterCSV writes a roster (who is on site) and left (today's
// check-outs) as CSV for a spreadsheet, times in loc. What visitors
// typed goes through csvsafe.Cell.
func WriteRosterCSV(w io.Writer, roster, left []Visit, loc *time.Location) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(RosterColumns); err != nil {
		return err
	}
	row := func(v Visit, person, out, proof string) []string {
		return []string{v.Ticket, csvsafe.Cell(v.Name), csvsafe.Cell(v.Host), v.Service, string(v.Status),
			v.CheckedInAt.In(loc).Format("2006-01-02 15:04"), csvsafe.Cell(v.Phone), person, out, proof}
	}
	for n, p := range People(roster) {
		for _, v := range p.Visits {
			if err := cw.Write(row(v, strconv.Itoa(n+1), "", "")); err != nil {
				return err
			}
		}
	}
	for _, v := range left {
		proof := string(v.LeftProof)
		if proof == "" {
			proof = "unknown"
		}
		if err := cw.Write(row(v, "", v.LeftAt.In(loc).Format("2006-01-02 15:04"), proof)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// DayClose is what the end-of-day close did.
type DayClose struct {
	Snapshot   int64 // the roster snapshot kept first
	OnSite     int   // people on the roster when the day closed (People, not tickets)
	Expired    int   // tickets still waiting or called, now cancelled
	CheckedOut int
	DesksShut  int
}

// CloseDay ends the kiosk's day: it keeps a snapshot of the roster, then
// checks everyone out (which expires the tickets still in line) and closes
// the desks, each as an event for the centre, all in one transaction.
func (s *Store) CloseDay(ctx context.Context) (DayClose, error) {
	res, _, err := s.closeDay(ctx, "")
	return res, err
}

// CloseDayOnce is the scheduled close of day, the kiosk-local date
// "2006-01-02": it runs CloseDay unless day was closed this way before,
// and says whether it did. The check and the close are one transaction.
func (s *Store) CloseDayOnce(ctx context.Context, day string) (DayClose, bool, error) {
	return s.closeDay(ctx, day)
}

func (s *Store) closeDay(ctx context.Context, once string) (DayClose, bool, error) {
	now := s.now()
	var res DayClose
	closed := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if once != "" {
			r, err := tx.ExecContext(ctx, "INSERT INTO day_closes (day, at) VALUES (?, ?) ON CONFLICT (day) DO NOTHING", once, sqldb.FormatTime(now))
			if err != nil {
				return fmt.Errorf("day close: %w", err)
			}
			if n, err := r.RowsAffected(); err != nil || n == 0 {
				return err // closed before
			}
		}
		closed = true
		roster, err := s.roster(ctx, tx)
		if err != nil {
			return err
		}
		data, err := json.Marshal(roster)
		if err != nil {
			return fmt.Errorf("roster snapshot: %w", err)
		}
		err = tx.QueryRowContext(ctx, "INSERT INTO roster_snapshots (day, at, count, data) VALUES (?, ?, ?, ?) RETURNING id",
			s.day(now), sqldb.FormatTime(now), len(roster), string(data)).Scan(&res.Snapshot)
		if err != nil {
			return fmt.Errorf("roster snapshot: %w", err)
		}
		res.OnSite = len(People(roster))
		// Whoever is still in line is on the roster: checking them out
		// expires their ticket too.
		for _, v := range roster {
			if v.Status == StatusWaiting || v.Status == StatusCalled {
				res.Expired++
			}
			if err := s.checkOut(ctx, tx, now, &v, ActorEndOfDay, ProofClose); err != nil {
				return err
			}
			res.CheckedOut++
		}
		for _, d := range s.layout.Load().deskIDs {
			st, err := s.deskState(ctx, tx, d)
			if err != nil {
				return err
			}
			if !st.Open {
				continue
			}
			if err := s.closeDesk(ctx, tx, now, Command{Action: ActCloseDesk, Desk: d, Staff: ActorEndOfDay}); err != nil {
				return err
			}
			res.DesksShut++
		}
		return nil
	})
	if err != nil {
		return DayClose{}, false, storageError("close the day", err)
	}
	if closed {
		s.afterWrite()
	}
	return res, closed, nil
}

package queue

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"

	"lobbyline/queue/estimate"
	"lobbyline/queue/sqldb"
)

// Ticket is what a visitor sees once their check-in is on disk.
type Ticket struct {
	Visit    Visit
	Ref      string // signed reference carried by the QR code
	Position int    // place in the order its desks call in, as Waiting.Position; 1 means next
	Estimate estimate.Range
	// OpenDesks is how many desks served the service at check-in. While
	// none does, Estimate cannot come true and is not shown.
	OpenDesks int
	PreReg    *PreRegistration // set when the visitor checked in with an invite code
}

// CheckIn validates the form, assigns the next ticket number for the
// service and commits the visit, its event and its outbox row together. It
// returns only after the commit, so a ticket shown is a ticket on disk.
func (s *Store) CheckIn(ctx context.Context, form CheckInForm, source string) (Ticket, error) {
	s.configMu.RLock() // a new site configuration waits until this check-in is done
	defer s.configMu.RUnlock()
	f := form.Normalize()
	problems := f.Problems()
	svc, ok := s.layout.Load().services[f.Service]
	if !ok && f.Service != "" {
		problems = append(problems, invalid("service", "error.service.unknown", "Please choose a service from the list.", nil))
	}
	if len(problems) > 0 {
		return Ticket{}, &FormError{Problems: problems}
	}
	now := s.now()
	v := Visit{
		Day: s.day(now), Service: svc.ID, Name: f.Name, Host: f.Host, Phone: f.Phone, Invite: f.Invite,
		Status: StatusWaiting, Source: source, CheckedInAt: now,
	}
	var q estimate.Query
	var est estimate.Range
	var place int
	var prereg *PreRegistration
	// The watch-list hash is slow on purpose; it runs before the
	// transaction so the database is not held while it does, over the
	// name the invitation will give if none was typed.
	typed := v.Name
	if typed == "" && v.Invite != "" {
		if p, ok, err := lookupInvite(ctx, s.db, v.Invite); err == nil && ok {
			typed = StripHidden(p.Name)
		}
	}
	probes, err := s.watchProbes(ctx, s.db, typed)
	if err != nil {
		return Ticket{}, storageError("check in", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if v.Invite != "" {
			p, ok, err := lookupInvite(ctx, tx, v.Invite)
			if err != nil {
				return err
			}
			if !ok {
				return invalid("invite", "error.invite.unknown", "We cannot find this invite code. Please check it, or leave it empty and check in with your name.", nil)
			}
			prereg = &p
			// Imported before the centre refused hidden characters, a
			// name may still hold one; the visitor cannot type it again.
			if v.Name == "" {
				v.Name = StripHidden(p.Name)
			}
			if v.Host == "" {
				v.Host = StripHidden(p.Host)
			}
		}
		var err error
		if v.Ticket, err = s.nextTicket(ctx, tx, v.Day, svc.Prefix); err != nil {
			return err
		}
		desks, err := s.readOpenDesks(ctx, tx)
		if err != nil {
			return fmt.Errorf("count line: %w", err)
		}
		// While no open desk serving the line serves another, its call
		// order is the line itself and a count of it is the answer; at a
		// shared desk the place and wait come from the call order with
		// the new visit in it, read after it is inserted below.
		shared := sharesDesk(desks, svc.ID)
		if !shared {
			order, err := s.countJoinOrder(ctx, tx, desks, svc.ID)
			if err != nil {
				return fmt.Errorf("count line: %w", err)
			}
			q, place = order.joinQuery(svc.ID), order.joinPlace(svc.ID)
		}
		if v.Epoch, err = s.currentEpoch(ctx, tx); err != nil {
			return err
		}
		// The rank is the check-in time, but never ahead of anyone
		// waiting (in any line: a desk calls across its services by
		// rank): a clock set back must not put a newcomer first.
		err = s.stmts.queryRow(ctx, tx, `INSERT INTO visits (ticket, day, service_id, name, host, phone, status, rank, source, checked_in_at, invite, epoch)
			VALUES (?, ?, ?, ?, ?, ?, 'waiting', max(?, coalesce((SELECT max(rank) + 1 FROM visits WHERE status = 'waiting'), 0)), ?, ?, ?, ?) RETURNING id`,
			v.Ticket, v.Day, v.Service, v.Name, v.Host, v.Phone, now.UnixMilli(), v.Source, sqldb.FormatTime(now), v.Invite, v.Epoch).Scan(&v.ID)
		if err != nil {
			return fmt.Errorf("insert visit: %w", err)
		}
		// The centre refuses a visit that breaks CheckVisit; one that
		// slipped past the form is refused here, before it is written.
		if err := CheckVisit(v); err != nil {
			return err
		}
		if v.Name != typed { // the invitation changed since
			if probes, err = s.watchProbes(ctx, tx, v.Name); err != nil {
				return err
			}
		}
		if err := s.screen(ctx, tx, v, prereg, probes); err != nil {
			return err
		}
		if shared {
			// The board's reading of the queue as it now stands: the
			// ticket says what the board will.
			waiting, err := s.readWaiting(ctx, tx)
			if err != nil {
				return err
			}
			order := planCalls(desks, waiting)
			q = estimate.Query{Service: svc.ID, Ahead: order.ahead[v.ID], AheadBy: order.aheadBy[v.ID], Since: v.CheckedInAt}
			q.OpenDesks, q.FreeDesks = order.desksFor(svc.ID)
			place = order.place[v.ID]
			s.mu.Lock()
			est = order.estimates(s.est, s.now())[v.ID]
			s.mu.Unlock()
		} else {
			est = s.estimate(q)
		}
		// The estimate shown goes into the log, so an incident report can
		// set it against the wait that followed. With no desk open none is
		// shown, and none is logged.
		data := map[string]any{"ahead": q.Ahead, "desks": q.OpenDesks}
		if q.OpenDesks > 0 {
			data["est_s"] = int64(est.Wait.Seconds())
		}
		ev := event{Kind: KindCheckIn, Visit: v.ID, Service: v.Service, Actor: source, Data: data}
		return s.record(ctx, tx, now, ev, &v, nil)
	})
	if err != nil {
		return Ticket{}, storageError("check in", err)
	}
	s.afterWrite()
	// Its place and estimate were read in the transaction, as the board
	// reads them; the estimator learns of the check-in itself on its next
	// refresh.
	return Ticket{Visit: v, Ref: s.signRef(v), Position: place, Estimate: est, OpenDesks: q.OpenDesks, PreReg: prereg}, nil
}

// screen raises staff alerts for a new visit: a cancelled invitation, or a
// match on the cached watch-list. The visitor's ticket is the same either
// way; only staff are told.
func (s *Store) screen(ctx context.Context, tx *sql.Tx, v Visit, prereg *PreRegistration, probes []watchProbe) error {
	if prereg != nil && prereg.Cancelled {
		msg := fmt.Sprintf("%s checked in as %s with invite %s, which was cancelled. They are in the building.", v.Name, v.Ticket, v.Invite)
		if err := s.raiseAlert(ctx, tx, AlertPreRegGone, v, msg); err != nil {
			return err
		}
	}
	hits, err := s.watchHits(ctx, tx, probes)
	if err != nil {
		return err
	}
	for _, w := range hits {
		msg := fmt.Sprintf("Watch-list (%s): %s checked in as %s.", w.Action, v.Name, v.Ticket)
		if w.Note != "" {
			msg += " " + w.Note
		}
		if err := s.raiseAlert(ctx, tx, AlertWatch, v, msg); err != nil {
			return err
		}
	}
	return nil
}

// watchProbe is a check-in's name hashed with one salt and set of
// parameters that the cached entries were sealed with: normally there is
// one; during a change of parameters, two.
type watchProbe struct {
	sealedWith SealedWatch // Salt and WatchParams only
	secret     WatchSecret
}

// watchProbes hashes a name once for each salt and parameters the cached
// watch-list uses; none if it is empty.
func (s *Store) watchProbes(ctx context.Context, q rowsQuerier, name string) ([]watchProbe, error) {
	if NormalizeName(name) == "" {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT json_extract(data, '$.v'), json_extract(data, '$.salt'),
		json_extract(data, '$.t'), json_extract(data, '$.m'), json_extract(data, '$.p')
		FROM remote WHERE entity = 'sealed_watch'`)
	if err != nil {
		return nil, fmt.Errorf("read watch-list: %w", err)
	}
	var with []SealedWatch
	for rows.Next() {
		// Whatever a record holds (one from a newer centre, one garbled)
		// is read as it comes and skipped if unusable: it must not stop
		// check-ins.
		var v, salt, t, m, p any
		if err := rows.Scan(&v, &salt, &t, &m, &p); err != nil {
			_ = rows.Close() // the scan error is the one to report
			return nil, fmt.Errorf("read watch-list: %w", err)
		}
		b64, _ := salt.(string)
		version, _ := v.(int64)
		passes, _ := t.(int64)
		memory, _ := m.(int64)
		threads, _ := p.(int64)
		sw := SealedWatch{Version: int(version), WatchParams: WatchParams{Time: uint32(passes), Memory: uint32(memory), Threads: uint8(threads)}} // #nosec G115 -- truncation is caught on the next line (the values are compared back), and such an entry skipped
		sw.Salt, err = base64.StdEncoding.DecodeString(b64)
		if err != nil || int64(sw.Time) != passes || int64(sw.Memory) != memory || int64(sw.Threads) != threads || sw.check() != nil {
			continue // ParseSealedWatch refuses its entries too
		}
		with = append(with, sw)
	}
	_ = rows.Close() // rows.Err below reports a failed read
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read watch-list: %w", err)
	}
	out := make([]watchProbe, len(with))
	for i, sw := range with {
		out[i] = watchProbe{sealedWith: sw, secret: DeriveWatch(name, sw.Salt, sw.WatchParams)}
	}
	return out, nil
}

// watchHits opens the cached entries whose tag a probe matches.
func (s *Store) watchHits(ctx context.Context, tx *sql.Tx, probes []watchProbe) ([]WatchEntry, error) {
	var hits []WatchEntry
	for _, p := range probes {
		rows, err := tx.QueryContext(ctx, "SELECT data FROM remote WHERE entity = 'sealed_watch' AND json_extract(data, '$.tag') = ?",
			base64.StdEncoding.EncodeToString(p.secret.Tag))
		if err != nil {
			return nil, fmt.Errorf("read watch-list: %w", err)
		}
		for rows.Next() {
			var data []byte
			if err := rows.Scan(&data); err != nil {
				_ = rows.Close() // the scan error is the one to report
				return nil, fmt.Errorf("read watch-list: %w", err)
			}
			sw, err := ParseSealedWatch(data)
			if err != nil || !bytes.Equal(sw.Salt, p.sealedWith.Salt) || sw.WatchParams != p.sealedWith.WatchParams {
				continue
			}
			if w, ok := sw.Open(p.secret); ok {
				hits = append(hits, w)
			}
		}
		_ = rows.Close() // rows.Err below reports a failed read
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read watch-list: %w", err)
		}
	}
	return hits, nil
}

func (s *Store) raiseAlert(ctx context.Context, tx *sql.Tx, kind string, v Visit, msg string) error {
	key := fmt.Sprintf("local/%s/%d", kind, v.ID)
	_, err := tx.ExecContext(ctx, `INSERT INTO alerts (key, kind, visit_id, message, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (key) DO NOTHING`, key, kind, v.ID, msg, sqldb.FormatTime(s.now()))
	if err != nil {
		return fmt.Errorf("raise alert: %w", err)
	}
	return nil
}

func (s *Store) estimate(q estimate.Query) estimate.Range {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.est.Remaining(q, s.now())
}

// joinQuery is the estimate's question for someone joining service now:
// how many people the open desks serving it will call first (at a desk
// shared with other services, theirs too: callorder.go), how many desks
// serve it now and how many of those call nobody at the moment.
func (s *Store) joinQuery(ctx context.Context, tx *sql.Tx, service string) (estimate.Query, error) {
	order, err := s.readJoinOrder(ctx, tx, service)
	if err != nil {
		return estimate.Query{}, fmt.Errorf("count line: %w", err)
	}
	return order.joinQuery(service), nil
}

// nextTicket takes the next number of the day's sequence for prefix,
// passing over any number still held by someone waiting or at a desk. A
// clock that jumps forward across midnight and back, or a lobby open past
// midnight, starts a new day's sequence while yesterday's tickets are
// still in the room; the lobby must never hold two "R-001".
func (s *Store) nextTicket(ctx context.Context, tx *sql.Tx, day, prefix string) (string, error) {
	for {
		var seq int
		err := s.stmts.queryRow(ctx, tx, `INSERT INTO counters (day, prefix, last) VALUES (?, ?, 1)
			ON CONFLICT (day, prefix) DO UPDATE SET last = last + 1 RETURNING last`, day, prefix).Scan(&seq)
		if err != nil {
			return "", fmt.Errorf("next ticket number: %w", err)
		}
		ticket := fmt.Sprintf("%s-%03d", prefix, seq)
		var held bool
		err = s.stmts.queryRow(ctx, tx, `SELECT EXISTS (SELECT 1 FROM visits WHERE status = 'waiting' AND ticket = ?1)
			OR EXISTS (SELECT 1 FROM visits WHERE status = 'called' AND ticket = ?1)`, ticket).Scan(&held)
		if err != nil {
			return "", fmt.Errorf("next ticket number: %w", err)
		}
		if !held {
			return ticket, nil
		}
	}
}

// storageError passes domain errors through and wraps anything else as an
// internal error with a message safe to show.
func storageError(op string, err error) error {
	if ErrorCode(err) != EInternal {
		return err
	}
	e := &Error{Code: EInternal, Key: "error.internal",
		Message: "Something went wrong on this kiosk. Please ask at reception.", Err: fmt.Errorf("%s: %w", op, err)}
	if e.Fault = FaultOf(err); e.Fault != sqldb.FaultNone {
		e.Key, e.Message = "error.unsaved", "This kiosk cannot save anything right now. Please check in at reception."
	}
	return e
}

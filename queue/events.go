package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"lobbyline/queue/estimate"
	"lobbyline/queue/sqldb"
)

// Event kinds in the log and the outbox.
const (
	KindCheckIn    = "check_in"
	KindCall       = "call"
	KindRecall     = "recall"
	KindServe      = "serve"
	KindNoShow     = "no_show"
	KindCancel     = "cancel"
	KindPrioritize = "prioritize"
	KindTransfer   = "transfer"
	KindDeskOpen   = "desk_open"
	KindDeskClose  = "desk_close"
	KindCheckOut   = "check_out" // the visitor left the building
	KindIncident   = "incident"  // an incident's summary, once it is over and drained
)

// event is one entry in the append-only log. Data holds what the estimator
// needs to replay it (people ahead, desks open); never personal data.
type event struct {
	Kind    string
	Visit   int64
	Desk    string
	Service string
	Actor   string
	Data    map[string]any

	incident *IncidentSummary // for KindIncident
	staff    *StaffAccount    // for KindStaffAccount
	audit    *AuditEntry      // for KindAudit
	restored *Restored        // for KindRestored
}

// Mutation is what the outbox carries to the centre: the event and the
// state it produced.
type Mutation struct {
	Kiosk string         `json:"kiosk"`
	Epoch int64          `json:"epoch"`
	Kind  string         `json:"kind"`
	At    time.Time      `json:"at"`  // the kiosk's wall clock
	HLC   string         `json:"hlc"` // the kiosk's hybrid logical clock
	Actor string         `json:"actor,omitempty"`
	Visit *Visit         `json:"visit,omitempty"`
	Desk  *DeskState     `json:"desk,omitempty"`
	Data  map[string]any `json:"data,omitempty"`
	// Incident is set for KindIncident: the figures of an incident's
	// report, with no personal data.
	Incident *IncidentSummary `json:"incident,omitempty"`
	// Staff is set for KindStaffAccount, Audit for KindAudit.
	Staff *StaffAccount `json:"staff,omitempty"`
	Audit *AuditEntry   `json:"audit,omitempty"`
	// Restored is set for KindRestored: where a recovery took visits'
	// states from.
	Restored *Restored `json:"restored,omitempty"`
}

// record appends ev to the log and its mutation to the outbox, inside the
// caller's transaction, so a change and its outbox row commit together.
func (s *Store) record(ctx context.Context, tx *sql.Tx, at time.Time, ev event, visit *Visit, desk *DeskState) error {
	data := []byte("{}")
	if len(ev.Data) > 0 {
		var err error
		if data, err = json.Marshal(ev.Data); err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
	}
	last, err := s.lastHLC(ctx, tx)
	if err != nil {
		return err
	}
	stamp := last.Next(at).String()
	epoch, err := s.currentEpoch(ctx, tx)
	if err != nil {
		return err
	}
	var eventID int64
	err = s.stmts.queryRow(ctx, tx, `INSERT INTO events (at, kind, visit_id, desk_id, service, actor, data, hlc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		sqldb.FormatTime(at), ev.Kind, nullInt(ev.Visit), nullString(ev.Desk), nullString(ev.Service), ev.Actor, string(data), stamp).Scan(&eventID)
	if err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	payload, err := json.Marshal(Mutation{
		Kiosk: s.kioskID, Epoch: epoch, Kind: ev.Kind, At: at.UTC(), HLC: stamp, Actor: ev.Actor,
		Visit: visit, Desk: desk, Data: ev.Data, Incident: ev.incident, Staff: ev.staff, Audit: ev.audit, Restored: ev.restored,
	})
	if err != nil {
		return fmt.Errorf("encode mutation: %w", err)
	}
	err = s.stmts.exec(ctx, tx, `INSERT INTO outbox (epoch, event_id, kind, payload, created_at, hlc) VALUES (?, ?, ?, ?, ?, ?)`,
		epoch, eventID, ev.Kind, string(payload), sqldb.FormatTime(at), stamp)
	if err != nil {
		return fmt.Errorf("write outbox: %w", err)
	}
	s.wroteCommit() // early is harmless: the checkpointer only copies what is committed
	switch ev.Kind {
	case KindAudit, KindStaffAccount, KindIncident, KindRestored:
		return nil // audited by their callers, or not staff actions
	}
	var ticket, detail string
	if visit != nil {
		ticket = visit.Ticket
	}
	switch {
	case ev.Kind == KindTransfer:
		detail = "to " + ev.Service
	case ev.Desk != "":
		detail = ev.Desk
	}
	return s.auditAs(ctx, tx, at, ev.Kind, ticket, detail)
}

// refreshEstimator feeds the estimator every event appended since it last
// looked, including those written by other processes on the same file.
func (s *Store) refreshEstimator(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		n, err := s.feedEvents(ctx, 5000)
		if err != nil {
			return err
		}
		if n < 5000 {
			return nil
		}
	}
}

// warmEstimator replays the recent history so estimates start from what
// this kiosk has seen rather than from defaults.
func (s *Store) warmEstimator(ctx context.Context) error {
	since := sqldb.FormatTime(s.now().Add(-estimatorHistory))
	var first sql.NullInt64
	if err := s.db.QueryRowContext(ctx, "SELECT min(id) FROM events WHERE at >= ?", since).Scan(&first); err != nil {
		return fmt.Errorf("warm estimator: %w", err)
	}
	s.mu.Lock()
	if first.Valid {
		s.lastEvent = first.Int64 - 1
	} else if err := s.db.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM events").Scan(&s.lastEvent); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("warm estimator: %w", err)
	}
	s.mu.Unlock()
	return s.refreshEstimator(ctx)
}

// RefitEstimator rebuilds the wait estimator from the recent history
// alone, as at start-up: the nightly refit, so a long-running kiosk's
// estimates rest on the last two weeks rather than on everything since it
// started.
// Estimates wait for the replay rather than see a half-built estimator.
func (s *Store) RefitEstimator(ctx context.Context) error {
	var first sql.NullInt64
	since := sqldb.FormatTime(s.now().Add(-estimatorHistory))
	if err := s.db.QueryRowContext(ctx, "SELECT min(id) FROM events WHERE at >= ?", since).Scan(&first); err != nil {
		return fmt.Errorf("refit estimator: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, oldLast := s.est, s.lastEvent
	s.est = estimate.New(s.estCfg)
	if first.Valid {
		s.lastEvent = first.Int64 - 1
	}
	for {
		n, err := s.feedEvents(ctx, 5000)
		if err != nil {
			s.est, s.lastEvent = old, oldLast
			return fmt.Errorf("refit estimator: %w", err)
		}
		if n < 5000 {
			return nil
		}
	}
}

// estimatorHistory is how far back the estimator looks when the kiosk starts.
const estimatorHistory = 14 * 24 * time.Hour

func (s *Store) feedEvents(ctx context.Context, limit int) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, kind, coalesce(visit_id, 0), coalesce(service, ''), coalesce(desk_id, ''), data
		FROM events WHERE id > ? ORDER BY id LIMIT ?`, s.lastEvent, limit)
	if err != nil {
		return 0, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var (
			id, visit                int64
			at, kind, svc, desk, raw string
		)
		if err := rows.Scan(&id, &at, &kind, &visit, &svc, &desk, &raw); err != nil {
			return n, fmt.Errorf("read events: %w", err)
		}
		n++
		s.lastEvent = id
		t, err := sqldb.ParseTime(at)
		if err != nil {
			return n, fmt.Errorf("event %d: %w", id, err)
		}
		var data struct {
			Ahead int    `json:"ahead"`
			Desks int    `json:"desks"`
			From  string `json:"from"`
			Was   Status `json:"was"`
		}
		if err := json.Unmarshal([]byte(raw), &data); err != nil {
			return n, fmt.Errorf("event %d: %w", id, err)
		}
		o := estimate.Observation{Visit: visit, Service: svc, At: t, Ahead: data.Ahead, OpenDesks: data.Desks}
		switch kind {
		case KindCheckIn:
			o.Kind = estimate.ObserveArrive
		case KindCall:
			o.Kind = estimate.ObserveCall
			s.est.Observe(o)
			// A desk that also serves other lines moved them up too.
			for _, other := range s.layout.Load().desks[desk].Services {
				if other != svc {
					s.est.Observe(estimate.Observation{Kind: estimate.ObserveSharedCall, Service: other, At: t})
				}
			}
			continue
		case KindServe:
			o.Kind = estimate.ObserveDone
		case KindNoShow:
			o.Kind = estimate.ObserveNoShow
		case KindCancel:
			o.Kind = estimate.ObserveLeave
		case KindCheckOut:
			if data.Was != StatusWaiting && data.Was != StatusCalled {
				continue // left after being served: the line did not change
			}
			o.Kind = estimate.ObserveLeave
		case KindTransfer:
			s.est.Observe(estimate.Observation{Kind: estimate.ObserveLeave, Visit: visit, Service: data.From, At: t})
			o.Kind = estimate.ObserveArrive
		case KindDeskOpen, KindDeskClose:
			// Those waiting are estimated again from here.
			for _, svc := range s.layout.Load().desks[desk].Services {
				s.est.Observe(estimate.Observation{Kind: estimate.ObserveDesks, Service: svc, At: t})
			}
			continue
		default:
			continue
		}
		s.est.Observe(o)
	}
	return n, rows.Err()
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func nullString(v string) any {
	if v == "" {
		return nil
	}
	return v
}

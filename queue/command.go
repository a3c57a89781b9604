package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"lobbyline/queue/sqldb"
)

// Action is a staff action on the queue.
type Action string

// The staff actions. Each names the Command fields it reads.
const (
	ActCallNext   Action = "call_next"  // Desk: serve whoever is at the desk, call the next waiting
	ActRecall     Action = "recall"     // Visit, or Desk's current visit: announce again
	ActServe      Action = "serve"      // Visit: called -> served
	ActNoShow     Action = "no_show"    // Visit: called -> no-show
	ActCancel     Action = "cancel"     // Visit: waiting or called -> cancelled
	ActPrioritize Action = "prioritize" // Visit: waiting -> front of its line
	ActTransfer   Action = "transfer"   // Visit, Service: -> waiting in another service
	ActOpenDesk   Action = "open_desk"  // Desk, Staff: open it, or change who is there
	ActCloseDesk  Action = "close_desk" // Desk: close it
)

// Command is one staff action. Staff names who did it.
type Command struct {
	Action  Action
	Visit   int64
	Desk    string
	Service string
	Staff   string
}

// Apply performs a staff action: it checks the transition, updates the
// state, and appends the event and its outbox row, all in one transaction.
// An invalid action returns an *Error and changes nothing. It returns the
// visit acted on (zero for desk actions).
func (s *Store) Apply(ctx context.Context, cmd Command) (Visit, error) {
	s.configMu.RLock() // a new site configuration waits until this action is done
	defer s.configMu.RUnlock()
	if err := checkText("staff", cmd.Staff); err != nil {
		return Visit{}, err
	}
	now := s.now()
	var out Visit
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		switch cmd.Action {
		case ActCallNext:
			out, err = s.callNext(ctx, tx, now, cmd)
		case ActRecall:
			out, err = s.recall(ctx, tx, now, cmd)
		case ActServe:
			out, err = s.finish(ctx, tx, now, cmd, StatusServed, KindServe)
		case ActNoShow:
			out, err = s.finish(ctx, tx, now, cmd, StatusNoShow, KindNoShow)
		case ActCancel:
			out, err = s.cancel(ctx, tx, now, cmd)
		case ActPrioritize:
			out, err = s.prioritize(ctx, tx, now, cmd)
		case ActTransfer:
			out, err = s.transfer(ctx, tx, now, cmd)
		case ActOpenDesk:
			err = s.openDesk(ctx, tx, now, cmd)
		case ActCloseDesk:
			err = s.closeDesk(ctx, tx, now, cmd)
		default:
			err = invalid("action", "error.action.unknown", "Unknown action {{.Action}}.", map[string]any{"Action": cmd.Action})
		}
		return err
	})
	if err != nil {
		return Visit{}, storageError(string(cmd.Action), err)
	}
	s.afterWrite()
	if err := s.refreshEstimator(ctx); err != nil {
		s.log.Warn("refresh estimator", "err", err)
	}
	return out, nil
}

func (s *Store) callNext(ctx context.Context, tx *sql.Tx, now time.Time, cmd Command) (Visit, error) {
	desk, err := s.openDeskState(ctx, tx, cmd.Desk)
	if err != nil {
		return Visit{}, err
	}
	var next int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM visits WHERE status = 'waiting'
		AND service_id IN (SELECT service_id FROM desk_services WHERE desk_id = ?)
		ORDER BY rank, id LIMIT 1`, desk.Desk.ID).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return Visit{}, conflict("error.queue.empty", "Nobody is waiting for {{.Desk}}.", map[string]any{"Desk": desk.Desk.Name})
	}
	if err != nil {
		return Visit{}, fmt.Errorf("find next visit: %w", err)
	}
	// Calling the next visitor ends the current one at this desk.
	if desk.Serving != nil {
		if _, err := s.finish(ctx, tx, now, Command{Visit: desk.Serving.ID, Staff: cmd.Staff}, StatusServed, KindServe); err != nil {
			return Visit{}, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE visits SET status = 'called', desk_id = ?, called_at = ? WHERE id = ?`,
		desk.Desk.ID, sqldb.FormatTime(now), next); err != nil {
		return Visit{}, fmt.Errorf("call visit: %w", err)
	}
	v, err := loadVisit(ctx, tx, next)
	if err != nil {
		return Visit{}, err
	}
	return v, s.record(ctx, tx, now, event{Kind: KindCall, Visit: v.ID, Desk: desk.Desk.ID, Service: v.Service, Actor: cmd.Staff}, &v, nil)
}

func (s *Store) recall(ctx context.Context, tx *sql.Tx, now time.Time, cmd Command) (Visit, error) {
	id := cmd.Visit
	if id == 0 {
		desk, err := s.deskState(ctx, tx, cmd.Desk)
		if err != nil {
			return Visit{}, err
		}
		if desk.Serving == nil {
			return Visit{}, conflict("error.desk.idle", "{{.Desk}} has nobody to recall.", map[string]any{"Desk": desk.Desk.Name})
		}
		id = desk.Serving.ID
	}
	v, err := visitIn(ctx, tx, id, StatusCalled)
	if err != nil {
		return Visit{}, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE visits SET recalls = recalls + 1 WHERE id = ?", v.ID); err != nil {
		return Visit{}, fmt.Errorf("recall: %w", err)
	}
	v.Recalls++
	return v, s.record(ctx, tx, now, event{Kind: KindRecall, Visit: v.ID, Desk: v.Desk, Service: v.Service, Actor: cmd.Staff}, &v, nil)
}

// finish ends a called visit as served or no-show.
func (s *Store) finish(ctx context.Context, tx *sql.Tx, now time.Time, cmd Command, to Status, kind string) (Visit, error) {
	v, err := visitIn(ctx, tx, cmd.Visit, StatusCalled)
	if err != nil {
		return Visit{}, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE visits SET status = ?, done_at = ? WHERE id = ?", to, sqldb.FormatTime(now), v.ID); err != nil {
		return Visit{}, fmt.Errorf("%s: %w", kind, err)
	}
	v.Status, v.DoneAt = to, now
	return v, s.record(ctx, tx, now, event{Kind: kind, Visit: v.ID, Desk: v.Desk, Service: v.Service, Actor: cmd.Staff}, &v, nil)
}

func (s *Store) cancel(ctx context.Context, tx *sql.Tx, now time.Time, cmd Command) (Visit, error) {
	v, err := visitIn(ctx, tx, cmd.Visit, StatusWaiting, StatusCalled)
	if err != nil {
		return Visit{}, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE visits SET status = 'cancelled', done_at = ? WHERE id = ?", sqldb.FormatTime(now), v.ID); err != nil {
		return Visit{}, fmt.Errorf("cancel: %w", err)
	}
	was := v.Status
	v.Status, v.DoneAt = StatusCancelled, now
	return v, s.record(ctx, tx, now, event{Kind: KindCancel, Visit: v.ID, Desk: v.Desk, Service: v.Service, Actor: cmd.Staff,
		Data: map[string]any{"was": was}}, &v, nil)
}

func (s *Store) prioritize(ctx context.Context, tx *sql.Tx, now time.Time, cmd Command) (Visit, error) {
	v, err := visitIn(ctx, tx, cmd.Visit, StatusWaiting)
	if err != nil {
		return Visit{}, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE visits SET priority = 1,
		rank = (SELECT min(rank) - 1 FROM visits WHERE service_id = ? AND status = 'waiting') WHERE id = ?`, v.Service, v.ID)
	if err != nil {
		return Visit{}, fmt.Errorf("prioritize: %w", err)
	}
	v.Priority = true
	return v, s.record(ctx, tx, now, event{Kind: KindPrioritize, Visit: v.ID, Service: v.Service, Actor: cmd.Staff}, &v, nil)
}

// transfer moves a visit to another service's line, keeping its ticket and
// its place by original check-in time: the visitor has already waited.
func (s *Store) transfer(ctx context.Context, tx *sql.Tx, now time.Time, cmd Command) (Visit, error) {
	v, err := visitIn(ctx, tx, cmd.Visit, StatusWaiting, StatusCalled)
	if err != nil {
		return Visit{}, err
	}
	to, ok := s.layout.Load().services[cmd.Service]
	if !ok {
		return Visit{}, notFound("error.service.unknown", "Please choose a service from the list.", nil)
	}
	if to.ID == v.Service {
		return Visit{}, conflict("error.transfer.same", "{{.Ticket}} is already in {{.Service}}.",
			map[string]any{"Ticket": v.Ticket, "Service": to.Name})
	}
	q, err := s.joinQuery(ctx, tx, to.ID)
	if err != nil {
		return Visit{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE visits SET service_id = ?, status = 'waiting', desk_id = NULL, called_at = NULL
		WHERE id = ?`, to.ID, v.ID); err != nil {
		return Visit{}, fmt.Errorf("transfer: %w", err)
	}
	from := v.Service
	v.Service, v.Status, v.Desk, v.CalledAt = to.ID, StatusWaiting, "", time.Time{}
	return v, s.record(ctx, tx, now, event{Kind: KindTransfer, Visit: v.ID, Service: to.ID, Actor: cmd.Staff,
		Data: map[string]any{"from": from, "ahead": q.Ahead, "desks": q.OpenDesks}}, &v, nil)
}

func (s *Store) openDesk(ctx context.Context, tx *sql.Tx, now time.Time, cmd Command) error {
	desk, err := s.deskState(ctx, tx, cmd.Desk)
	if err != nil {
		return err
	}
	if cmd.Staff == "" {
		return invalid("staff", "error.desk.staff", "Please say who is at {{.Desk}}.", map[string]any{"Desk": desk.Desk.Name})
	}
	if _, err := tx.ExecContext(ctx, "UPDATE desks SET open = 1, staff = ? WHERE id = ?", cmd.Staff, desk.Desk.ID); err != nil {
		return fmt.Errorf("open desk: %w", err)
	}
	desk.Open, desk.Staff = true, cmd.Staff
	return s.record(ctx, tx, now, event{Kind: KindDeskOpen, Desk: desk.Desk.ID, Actor: cmd.Staff}, nil, &desk)
}

func (s *Store) closeDesk(ctx context.Context, tx *sql.Tx, now time.Time, cmd Command) error {
	desk, err := s.deskState(ctx, tx, cmd.Desk)
	if err != nil {
		return err
	}
	if !desk.Open {
		return conflict("error.desk.closed", "{{.Desk}} is closed.", map[string]any{"Desk": desk.Desk.Name})
	}
	if desk.Serving != nil {
		return conflict("error.desk.busy", "{{.Desk}} is still serving {{.Ticket}}: mark it served or no-show first.",
			map[string]any{"Desk": desk.Desk.Name, "Ticket": desk.Serving.Ticket})
	}
	if _, err := tx.ExecContext(ctx, "UPDATE desks SET open = 0, staff = '' WHERE id = ?", desk.Desk.ID); err != nil {
		return fmt.Errorf("close desk: %w", err)
	}
	desk.Open, desk.Staff = false, ""
	return s.record(ctx, tx, now, event{Kind: KindDeskClose, Desk: desk.Desk.ID, Actor: cmd.Staff}, nil, &desk)
}

// openDeskState is deskState for a desk that must be open.
func (s *Store) openDeskState(ctx context.Context, tx *sql.Tx, id string) (DeskState, error) {
	desk, err := s.deskState(ctx, tx, id)
	if err != nil {
		return DeskState{}, err
	}
	if !desk.Open {
		return DeskState{}, conflict("error.desk.closed.call", "{{.Desk}} is closed. Open it first.", map[string]any{"Desk": desk.Desk.Name})
	}
	return desk, nil
}

// visitIn loads a visit and checks that it is in one of the given states.
func visitIn(ctx context.Context, tx *sql.Tx, id int64, want ...Status) (Visit, error) {
	v, err := loadVisit(ctx, tx, id)
	if err != nil {
		return Visit{}, err
	}
	for _, st := range want {
		if v.Status == st {
			return v, nil
		}
	}
	return Visit{}, conflict("error.visit.state", "{{.Ticket}} is {{.Status}}; that cannot be done now.",
		map[string]any{"Ticket": v.Ticket, "Status": v.Status})
}

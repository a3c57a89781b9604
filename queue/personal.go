package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"lobbyline/queue/sqldb"
)

// DefaultRetention is how long a visitor's personal data is kept, at the
// kiosk and at the centre, when neither the kiosk's file nor the site's
// managed configuration says otherwise (jobs.retention_days).
const DefaultRetention = 30 * 24 * time.Hour

// personalVisitColumns are the visits table's columns that name or reach
// a visitor: the one list of what is personal in a visit. The kiosk's
// purge empties these columns; Visit.Anonymous empties the same fields
// for the centre's purge, and a test holds the two together.
var personalVisitColumns = []string{"name", "host", "phone", "invite"}

// Anonymous is the visit without what names or reaches the visitor (the
// personal fields: name, host, phone, invite code), keeping what the
// statistics read: service, ticket, times, status, desk, source.
func (v Visit) Anonymous() Visit {
	v.Name, v.Host, v.Phone, v.Invite = "", "", "", ""
	return v
}

// Over reports whether the visit has ended: the visitor left, or it was
// served, a no-show or cancelled. Only visits that are over are purged.
func (v Visit) Over() bool {
	switch v.Status {
	case StatusServed, StatusNoShow, StatusCancelled:
		return true
	}
	return !v.LeftAt.IsZero()
}

// Purgeable reports whether a purge with this cut-off erases the visit's
// personal data: it checked in before cutoff and is over. The kiosk's
// purge (Store.Purge) and the centre's apply the same rule.
func (v Visit) Purgeable(cutoff time.Time) bool {
	return v.CheckedInAt.Before(cutoff) && v.Over()
}

// Anonymous is the alert without its message, which names the visitor.
func (a Alert) Anonymous() Alert {
	a.Message = PurgedText
	return a
}

// AnonymousMutation is a mutation's payload, as a kiosk sent it, without
// the visitor's personal data: the visit's (and a desk's visit's)
// personal fields are emptied; the kind, times, service and figures stay
// for the statistics. Incident summaries hold no personal data. A payload
// that is not a mutation is returned as "", to be dropped whole.
func AnonymousMutation(payload []byte) (string, error) {
	var m Mutation
	if err := json.Unmarshal(payload, &m); err != nil {
		return "", nil
	}
	if m.Visit != nil {
		v := m.Visit.Anonymous()
		m.Visit = &v
	}
	if m.Desk != nil && m.Desk.Serving != nil {
		d := *m.Desk
		v := d.Serving.Anonymous()
		d.Serving = &v
		m.Desk = &d
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("anonymous mutation: %w", err)
	}
	return string(b), nil
}

// purgeVisitsSQL empties the personal columns of visits that are over
// and checked in before a cut-off; its parameters are purged_at and the
// cut-off. It says in SQL what Visit.Purgeable says in Go.
func purgeVisitsSQL() string {
	return "UPDATE visits SET " + clearPersonal() + `, purged_at = ?
		WHERE checked_in_at < ? AND purged_at IS NULL AND (left_at IS NOT NULL OR status IN ('served', 'no_show', 'cancelled'))`
}

// clearPersonal is the SET list that empties a visit's personal columns.
func clearPersonal() string {
	set := make([]string, len(personalVisitColumns))
	for i, c := range personalVisitColumns {
		set[i] = c + " = ''"
	}
	return strings.Join(set, ", ")
}

// anonymousOutboxPayload is what a synced outbox row keeps of its change
// once the visitor's data is erased: whose change it was and its kind.
const anonymousOutboxPayload = `json_object('kiosk', json_extract(payload, '$.kiosk'), 'epoch', json_extract(payload, '$.epoch'), 'kind', kind, 'purged', 1)`

// Erasure asks one kiosk database to erase the personal data of some of
// its visits now, whatever their age: a person asked to be forgotten
// (`central erase`). It names visits by the kiosk, the epoch they were
// checked in under and their ids, and holds no personal data itself, so
// the centre keeps it live: a kiosk database put back from a backup
// applies it again when it pulls.
type Erasure struct {
	Kiosk  string    `json:"kiosk"`
	Epoch  int64     `json:"epoch"`
	Visits []int64   `json:"visits"`
	At     time.Time `json:"at"`
}

// applyErasure erases, in the kiosk's own tables, the personal data of
// the visits an erasure for this kiosk names: the visits' personal
// columns, the staff alerts about them, and the synced outbox rows that
// carry them (as the purge does; a change the centre has not received
// keeps its copy until it has). An erasure for another kiosk, or one
// that cannot be read, changes nothing.
func (s *Store) applyErasure(ctx context.Context, tx *sql.Tx, r RemoteRecord) error {
	var e Erasure
	if r.Deleted || json.Unmarshal(r.Data, &e) != nil || e.Kiosk != s.kioskID {
		return nil
	}
	now := sqldb.FormatTime(s.now())
	for _, id := range e.Visits {
		steps := []struct {
			query string
			args  []any
		}{
			{"UPDATE visits SET " + clearPersonal() + ", purged_at = coalesce(purged_at, ?) WHERE id = ? AND epoch IN (?, 0)",
				[]any{now, id, e.Epoch}},
			{"UPDATE alerts SET message = ? WHERE visit_id = (SELECT id FROM visits WHERE id = ? AND epoch IN (?, 0))",
				[]any{PurgedText, id, e.Epoch}},
			{"UPDATE outbox SET payload = " + anonymousOutboxPayload + ` WHERE state = 'done' AND json_extract(payload, '$.purged') IS NULL
				AND json_extract(payload, '$.visit.ID') = ? AND coalesce(json_extract(payload, '$.visit.Epoch'), json_extract(payload, '$.epoch')) = ?`,
				[]any{id, e.Epoch}},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.query, st.args...); err != nil {
				return fmt.Errorf("apply erasure %s: %w", r.Key, err)
			}
		}
	}
	return nil
}

package queue

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
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
	set := make([]string, len(personalVisitColumns))
	for i, c := range personalVisitColumns {
		set[i] = c + " = ''"
	}
	return "UPDATE visits SET " + strings.Join(set, ", ") + `, purged_at = ?
		WHERE checked_in_at < ? AND purged_at IS NULL AND (left_at IS NOT NULL OR status IN ('served', 'no_show', 'cancelled'))`
}

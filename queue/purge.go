package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"lobbyline/queue/sqldb"
)

// Purged is what a purge removed.
type Purged struct {
	Visits    int // visits whose name, host, phone and invite were erased
	Outbox    int // synced outbox rows whose copy of the visit was erased
	Alerts    int // staff alerts whose text (which names the visitor) was erased
	Remote    int // other kiosks' visits and the centre's alerts dropped from this kiosk's copy
	Snapshots int // end-of-day roster snapshots deleted
	Audit     int // audit entries older than AuditRetention deleted
}

// AuditRetention is how long a kiosk keeps its audit log: it names staff
// and tickets, not visitors, and answers "who did this?" for a year.
const AuditRetention = 365 * 24 * time.Hour

// PurgedText replaces an alert's message once its visitor's data is gone.
const PurgedText = "(removed: personal data is kept for a limited time)"

// Purge erases visitors' personal data from visits that checked in
// before cutoff and are over (left, or ended), keeping what the
// statistics need: service, times, outcome, ticket. Changes not yet
// accepted by the centre keep their copy until they are, so the purge
// never loses a change.
func (s *Store) Purge(ctx context.Context, cutoff time.Time) (Purged, error) {
	var p Purged
	at, now := sqldb.FormatTime(cutoff), sqldb.FormatTime(s.now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		steps := []struct {
			n     *int
			query string
			args  []any
		}{
			{&p.Visits, purgeVisitsSQL(), []any{now, at}},
			{&p.Outbox, "UPDATE outbox SET payload = " + anonymousOutboxPayload + ` WHERE state = 'done' AND created_at < ? AND json_extract(payload, '$.purged') IS NULL`, []any{at}},
			{&p.Alerts, `UPDATE alerts SET message = ? WHERE created_at < ? AND message != ?`, []any{PurgedText, at, PurgedText}},
			{&p.Snapshots, `DELETE FROM roster_snapshots WHERE at < ?`, []any{at}},
			{&p.Audit, `DELETE FROM audit WHERE at < ?`, []any{sqldb.FormatTime(s.now().Add(-AuditRetention))}},
		}
		for _, st := range steps {
			res, err := tx.ExecContext(ctx, st.query, st.args...)
			if err != nil {
				return fmt.Errorf("purge: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("purge: %w", err)
			}
			*st.n = int(n)
		}
		var err error
		if p.Remote, err = purgeSiteVisits(ctx, tx, cutoff); err != nil {
			return err
		}
		return notePurged(ctx, tx, cutoff)
	})
	if err != nil {
		return Purged{}, err
	}
	return p, nil
}

// purgeSiteVisits drops the copies of other kiosks' visits that checked
// in before cutoff, and of the centre's alerts raised before it (their
// text names the visitor). Times are in JSON, in whatever zone the writer
// used, so they are compared as times, not text.
func purgeSiteVisits(ctx context.Context, tx *sql.Tx, cutoff time.Time) (int, error) {
	n := 0
	for _, e := range []struct {
		entity string
		when   func(data []byte) (time.Time, bool)
	}{
		{EntityVisit, func(data []byte) (time.Time, bool) {
			var sv SiteVisit
			err := json.Unmarshal(data, &sv)
			return sv.Visit.CheckedInAt, err == nil
		}},
		{EntityAlert, func(data []byte) (time.Time, bool) {
			var a Alert
			err := json.Unmarshal(data, &a)
			return a.At, err == nil
		}},
	} {
		rows, err := tx.QueryContext(ctx, "SELECT key, data FROM remote WHERE entity = ?", e.entity)
		if err != nil {
			return 0, fmt.Errorf("purge %s copies: %w", e.entity, err)
		}
		var old []string
		for rows.Next() {
			var key string
			var data []byte
			if err := rows.Scan(&key, &data); err != nil {
				_ = rows.Close() // the scan error is the one to report
				return 0, fmt.Errorf("purge %s copies: %w", e.entity, err)
			}
			if at, ok := e.when(data); ok && at.Before(cutoff) {
				old = append(old, key)
			}
		}
		_ = rows.Close() // rows.Err below reports a failed read
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("purge %s copies: %w", e.entity, err)
		}
		for _, key := range old {
			if _, err := tx.ExecContext(ctx, "DELETE FROM remote WHERE entity = ? AND key = ?", e.entity, key); err != nil {
				return 0, fmt.Errorf("purge %s copies: %w", e.entity, err)
			}
		}
		n += len(old)
	}
	return n, nil
}

// notePurged remembers the latest cut-off a purge used, so that no pull
// brings back what it erased: a snapshot after the centre compacted, or
// a centre that keeps personal data longer than this kiosk.
func notePurged(ctx context.Context, tx *sql.Tx, cutoff time.Time) error {
	prev, err := purgedBefore(ctx, tx)
	if err != nil || !cutoff.After(prev) {
		return err
	}
	return setMeta(ctx, tx, "purged_before", sqldb.FormatTime(cutoff))
}

// purgedBefore is the latest cut-off a purge used; zero if none ran.
func purgedBefore(ctx context.Context, tx *sql.Tx) (time.Time, error) {
	v, err := getMeta(ctx, tx, "purged_before")
	if err != nil || v == "" {
		return time.Time{}, err
	}
	return sqldb.ParseTime(v)
}

// purgedRecord reports whether a pulled record is a visit or an alert
// that a purge with cut-off before has erased: the kiosk does not take
// it back, whatever the centre still holds.
func purgedRecord(r RemoteRecord, before time.Time) bool {
	if before.IsZero() || r.Deleted {
		return false
	}
	switch r.Entity {
	case EntityVisit:
		var sv SiteVisit
		return json.Unmarshal(r.Data, &sv) == nil && sv.Visit.CheckedInAt.Before(before)
	case EntityAlert:
		var a Alert
		return json.Unmarshal(r.Data, &a) == nil && !a.At.IsZero() && a.At.Before(before)
	}
	return false
}

package queue

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"lobbyline/queue/sqldb"
)

// Pruned is what a prune removed.
type Pruned struct {
	Cutoff       time.Time // what was older than this went; before the asked cut-off if an incident holds it back
	Outbox       int       // changes the centre accepted
	Events       int       // their events
	Connectivity int       // lines of the connectivity log
	Samples      int       // incident samples
}

// MinPruneAge is the youngest data a prune may remove: the wait
// estimator replays the last two weeks of events when the kiosk starts.
const MinPruneAge = estimatorHistory + 24*time.Hour

// Prune removes, from before cutoff, the events and outbox rows of changes
// the centre has accepted, the connectivity log and the samples of
// reported incidents. It keeps everything the kiosk still needs:
//   - changes the centre has not accepted, and their events;
//   - the newest event and outbox row, where the next clock reading and
//     sequence number start (a number used twice would name two changes);
//   - the newest connectivity line, the state the kiosk is in;
//   - all an incident's report reads, while the incident is open or not
//     yet reported: the cut-off moves back to its start.
//
// The events' append-only trigger lets these deletions through, and no
// others (migration 0004).
func (s *Store) Prune(ctx context.Context, cutoff time.Time) (Pruned, error) {
	p := Pruned{}
	if min := s.now().Add(-MinPruneAge); cutoff.After(min) {
		cutoff = min
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var held sql.NullString
		if err := tx.QueryRowContext(ctx, "SELECT min(started_at) FROM incidents WHERE ended_at IS NULL OR reported_at IS NULL").Scan(&held); err != nil {
			return fmt.Errorf("prune: %w", err)
		}
		at := sqldb.FormatTime(cutoff)
		if held.Valid && held.String < at {
			at = held.String
		}
		var err error
		if p.Cutoff, err = sqldb.ParseTime(at); err != nil {
			return fmt.Errorf("prune: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO prune_gate (id, cutoff) VALUES (1, ?)", at); err != nil {
			return fmt.Errorf("prune: open the gate: %w", err)
		}
		steps := []struct {
			n     *int
			query string
		}{
			{&p.Outbox, `DELETE FROM outbox WHERE state = 'done' AND created_at < ?1 AND seq < (SELECT max(seq) FROM outbox)`},
			{&p.Events, `DELETE FROM events WHERE at < ?1 AND id < (SELECT max(id) FROM events)
				AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = events.id)`},
			{&p.Connectivity, `DELETE FROM connectivity_log WHERE at < ?1 AND id < (SELECT max(id) FROM connectivity_log)`},
			{&p.Samples, `DELETE FROM incident_samples WHERE at < ?1
				AND incident_id IN (SELECT id FROM incidents WHERE ended_at IS NOT NULL AND reported_at IS NOT NULL)`},
		}
		for _, st := range steps {
			res, err := tx.ExecContext(ctx, st.query, at)
			if err != nil {
				return fmt.Errorf("prune: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("prune: %w", err)
			}
			*st.n = int(n)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM prune_gate"); err != nil {
			return fmt.Errorf("prune: close the gate: %w", err)
		}
		return nil
	})
	if err != nil {
		return Pruned{}, err
	}
	return p, nil
}

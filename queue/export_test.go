package queue

import (
	"context"
	"fmt"
	"slices"
)

// SetSynchronousForTest runs every store opened from now on with
// PRAGMA synchronous = mode ("OFF", "NORMAL", "FULL") and returns a func
// that puts FULL back. Only the power-cut test uses it, to show that it
// catches a store that acknowledges what the disk has not kept.
func SetSynchronousForTest(mode string) (restore func()) {
	old := slices.Clone(pragmas)
	for i, p := range pragmas {
		if p == "synchronous(FULL)" {
			pragmas[i] = "synchronous(" + mode + ")"
		}
	}
	return func() { pragmas = old }
}

// CheckpointForTest copies the WAL into the database file, as
// checkpointLoop does after writes (mode PASSIVE) or as a backup's
// VACUUM INTO and a closing connection may (TRUNCATE).
func (s *Store) CheckpointForTest(ctx context.Context, mode string) error {
	var busy, frames, copied int
	if err := s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &frames, &copied); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// VisitsForTest lists every visit of this kiosk's database, by ID.
func (s *Store) VisitsForTest(ctx context.Context) (map[int64]Visit, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+visitColumns+" FROM visits")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]Visit{}
	for rows.Next() {
		v, err := scanVisit(rows)
		if err != nil {
			return nil, err
		}
		out[v.ID] = v
	}
	return out, rows.Err()
}

// OutboxRowForTest is one change in the outbox, by name.
type OutboxRowForTest struct {
	Epoch, Seq  int64
	Kind, State string
}

// OutboxForTest lists the whole outbox, sent or not.
func (s *Store) OutboxForTest(ctx context.Context) ([]OutboxRowForTest, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT epoch, seq, kind, state FROM outbox ORDER BY seq")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OutboxRowForTest
	for rows.Next() {
		var r OutboxRowForTest
		if err := rows.Scan(&r.Epoch, &r.Seq, &r.Kind, &r.State); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

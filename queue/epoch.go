package queue

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"lobbyline/queue/sqldb"
)

// This file is the kiosk's epochs: the second part of every mutation's
// name (kiosk, epoch, seq). A database writes its changes in one epoch
// until the centre may already hold other changes under the names it
// would use next: after a restore from a backup (the original went on
// past the backup and synced), or when the centre says so. Then it starts
// a new, random epoch, and the names it uses from then on are new.

// ReasonNameTaken starts the centre's answer for a change whose name it
// already holds with another payload (syncer/wire says the same; queue
// cannot import it).
const ReasonNameTaken = "the centre already holds a different change under this name"

// metaRenewEpoch marks a database restored from a backup: the next Open
// starts a new epoch before anything is written.
const metaRenewEpoch = "renew_epoch"

// MarkRestored records that this database file was put back from a
// backup, so the store that next opens it starts a new epoch. Changes
// already in its outbox keep theirs: they are the very changes the
// original database made under those names, so the centre answers
// "duplicate" for those it has and applies the rest. Changes made after
// the restore go under the new epoch, never under a name the original
// may have used after the backup was taken.
//
// What the centre sends (other kiosks' visits, staff accounts, the
// watch-list) is pulled afresh from the start of the centre's log: a
// restored or recovered file may hold those records older than its pull
// cursor says (a recovery mixes the snapshot's rows with the damaged
// file's), so a record changed or deleted since would otherwise stay as
// it was.
func MarkRestored(ctx context.Context, db *sql.DB) error {
	return sqldb.InTx(ctx, db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM meta WHERE key IN ('pull_cursor', 'snapshot_pending')"); err != nil {
			return err
		}
		return setMeta(ctx, tx, metaRenewEpoch, "1")
	})
}

// Epochs are the epochs this database has written changes in, oldest
// first; the last is the current one.
func (s *Store) Epochs(ctx context.Context) ([]int64, error) {
	var cur, past string
	err := s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT value FROM meta WHERE key = 'epoch'), ''),
		coalesce((SELECT value FROM meta WHERE key = 'past_epochs'), '')`).Scan(&cur, &past)
	if err != nil {
		return nil, fmt.Errorf("epochs: %w", err)
	}
	return parseEpochs(strings.TrimSpace(past + " " + cur))
}

func parseEpochs(v string) ([]int64, error) {
	var out []int64
	for _, f := range strings.Fields(v) {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("epoch %q: %w", f, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// currentEpoch reads the epoch new changes are written in. It is read in
// the writing transaction, so a process that renewed it (the kiosk's
// syncer) and one that did not (a CLI command started before) agree.
func (s *Store) currentEpoch(ctx context.Context, tx *sql.Tx) (int64, error) {
	var v string
	if err := s.stmts.queryRow(ctx, tx, "SELECT value FROM meta WHERE key = 'epoch'").Scan(&v); err != nil {
		return 0, fmt.Errorf("read epoch: %w", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("epoch %q: %w", v, err)
	}
	s.epoch.Store(n)
	return n, nil
}

// newEpoch retires the current epoch and starts a random new one, inside
// tx, returning the old and the new.
func (s *Store) newEpoch(ctx context.Context, tx *sql.Tx) (old, next int64, err error) {
	if old, err = s.currentEpoch(ctx, tx); err != nil {
		return 0, 0, err
	}
	past, err := getMeta(ctx, tx, "past_epochs")
	if err != nil {
		return 0, 0, err
	}
	seen, err := parseEpochs(past + " " + fmt.Sprint(old))
	if err != nil {
		return 0, 0, err
	}
	next = randomEpoch()
	for slices.Contains(seen, next) {
		next = randomEpoch()
	}
	if err := setMeta(ctx, tx, "past_epochs", strings.TrimSpace(past+" "+fmt.Sprint(old))); err != nil {
		return 0, 0, err
	}
	if err := setMeta(ctx, tx, "epoch", fmt.Sprint(next)); err != nil {
		return 0, 0, err
	}
	s.epoch.Store(next)
	return old, next, nil
}

// RenewEpoch answers the centre's "a different change under this name"
// for change (epoch, seq) of this database: the centre has seen the
// epoch with other changes (the database was put back from a copy
// without `kiosk restore`, or a disk snapshot was rolled back). It starts
// a new epoch, unless one was started since that change was written, and
// moves that change and every later one not yet accepted into it,
// renumbered under names the centre cannot hold. Changes before it keep
// their names: the centre accepted them. The visits those changes check
// in move to the new epoch with them. It returns the epoch the changes
// now go in.
func (s *Store) RenewEpoch(ctx context.Context, epoch, seq int64) (int64, error) {
	var next int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.currentEpoch(ctx, tx)
		if err != nil {
			return err
		}
		next = cur
		if cur == epoch {
			if _, next, err = s.newEpoch(ctx, tx); err != nil {
				return err
			}
			s.log.Warn("the centre holds other changes under this kiosk's names; starting a new epoch", "old", epoch, "new", next, "from_seq", seq)
		}
		// The moved changes are those of this copy of the database since
		// it parted from the one the centre heard first: the visits they
		// check in are this copy's, and are named by the new epoch too (the
		// other copy has visits of the same numbers in the old one).
		moved := `epoch = ?2 AND seq >= ?3 AND (state = 'pending' OR (state = 'rejected' AND reason LIKE ?4))`
		args := []any{next, epoch, seq, ReasonNameTaken + "%"}
		_, err = tx.ExecContext(ctx, `UPDATE visits SET epoch = ?1 WHERE epoch = ?2 AND id IN
			(SELECT e.visit_id FROM outbox JOIN events e ON e.id = outbox.event_id WHERE outbox.kind = 'check_in' AND `+moved+`)`, args...)
		if err != nil {
			return fmt.Errorf("renew epoch: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE outbox SET epoch = ?1, state = 'pending', reason = '',
			payload = CASE WHEN json_extract(payload, '$.visit.ID') IN (SELECT id FROM visits WHERE epoch = ?1)
				THEN json_set(payload, '$.epoch', ?1, '$.visit.Epoch', ?1) ELSE json_set(payload, '$.epoch', ?1) END
			WHERE `+moved, args...)
		if err != nil {
			return fmt.Errorf("renew epoch: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return next, nil
}

// renewIfRestored starts a new epoch in a database marked by
// MarkRestored, once.
func (s *Store) renewIfRestored(ctx context.Context, tx *sql.Tx) error {
	mark, err := getMeta(ctx, tx, metaRenewEpoch)
	if err != nil || mark == "" {
		return err
	}
	old, next, err := s.newEpoch(ctx, tx)
	if err != nil {
		return err
	}
	s.log.Info("database restored from a backup: new changes go in a new epoch", "old", old, "new", next)
	if _, err = tx.ExecContext(ctx, "DELETE FROM meta WHERE key = ?", metaRenewEpoch); err != nil {
		return err
	}
	// A recovered database tells the centre where its visits came from,
	// in the new epoch.
	send, err := getMeta(ctx, tx, metaSendOrigins)
	if err != nil || send == "" {
		return err
	}
	if err := s.sendOrigins(ctx, tx); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "DELETE FROM meta WHERE key = ?", metaSendOrigins)
	return err
}

package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"lobbyline/queue/sqldb"
)

// This file is how the store treats a damaged database (issue 15 §3): it
// is never shown as an empty or frozen queue and never written into.
// Once the store has seen damage — at the check before the lobby opens,
// the daily check, or an error SQLite reports at run time — every read
// of the board and every write fails with a *Error of code EDamaged
// until the database is recovered (Recover) and opened again.

// ErrDamaged is in the chain of every error the store returns once it
// knows its database is damaged.
var ErrDamaged = errors.New("queue: the kiosk database is damaged")

// damagedText is what a visitor or staff member reads of a damaged store.
const damagedText = "This kiosk cannot check you in right now. Please check in at reception."

// QuickCheck runs SQLite's quick check (the structure of every table and
// index, without comparing index entries to their rows). A damaged file
// marks the store damaged and returns its EDamaged error; problems lists
// what SQLite found, at most a few lines.
func (s *Store) QuickCheck(ctx context.Context) (problems []string, err error) {
	problems, err = quickCheck(ctx, s.db)
	if err != nil {
		if f := sqldb.FaultOf(err); f == sqldb.FaultDamaged || f == sqldb.FaultNotADB {
			return []string{err.Error()}, s.markDamaged(err)
		}
		return nil, err
	}
	if len(problems) > 0 {
		return problems, s.markDamaged(fmt.Errorf("quick check: %s", strings.Join(problems, "; ")))
	}
	return nil, nil
}

// quickCheckLines is how many of SQLite's findings a check keeps.
const quickCheckLines = 10

// quickCheck returns SQLite's findings, none for a sound file.
func quickCheck(ctx context.Context, db *sql.DB) ([]string, error) {
	lines, err := sqldb.Column[string](ctx, db, fmt.Sprintf("PRAGMA quick_check(%d)", quickCheckLines))
	if err != nil {
		return nil, fmt.Errorf("quick check: %w", err)
	}
	return slices.DeleteFunc(lines, func(l string) bool { return l == "ok" }), nil
}

// Damage is nil while the store has seen no damage, else its EDamaged
// error.
func (s *Store) Damage() error {
	if p := s.damage.Load(); p != nil {
		return *p
	}
	return nil
}

// markDamaged records cause as the store's damage (the first one seen
// stays) and returns the EDamaged error every call returns from now on.
func (s *Store) markDamaged(cause error) error {
	e := error(&Error{Code: EDamaged, Key: "error.damaged", Message: damagedText, Err: fmt.Errorf("%w: %w", ErrDamaged, cause)})
	if s.damage.CompareAndSwap(nil, &e) {
		s.log.Error("the kiosk database is damaged: the lobby sends visitors to reception and nothing is written until it is recovered (lobbyline-kiosk recover)", "err", cause)
	}
	return s.Damage()
}

// checkDamage looks at an error of a read or write: SQLite's word that
// the file is damaged marks the store damaged. A constraint that failed
// where the code checked first is how damage to a table's pages often
// shows (a foreign key whose row cannot be read), so it runs the quick
// check to tell. Any other error is returned as it is.
func (s *Store) checkDamage(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, ErrDamaged) {
		return err
	}
	switch sqldb.FaultOf(err) {
	case sqldb.FaultDamaged, sqldb.FaultNotADB:
		return s.markDamaged(err)
	}
	if !sqldb.IsConstraint(err) {
		return err
	}
	problems, qerr := quickCheck(context.WithoutCancel(ctx), s.db)
	switch {
	case qerr != nil && sqldb.FaultOf(qerr) >= sqldb.FaultDamaged:
		return s.markDamaged(errors.Join(err, qerr))
	case len(problems) > 0:
		return s.markDamaged(fmt.Errorf("%w (quick check: %s)", err, strings.Join(problems, "; ")))
	}
	return err
}

package queue

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/crypto/bcrypt"

	"lobbyline/queue/sqldb"
)

// Staff mode is unlocked with a PIN whose bcrypt hash is in the config.
// After MaxPINFailures wrong tries in a row it locks, first for
// PINLockout and then twice as long after every further wrong try. The
// count is in the database so restarting the kiosk does not reset it.
const (
	MaxPINFailures = 5
	PINLockout     = 30 * time.Second
	maxPINLockout  = time.Hour
)

// HashPIN returns the bcrypt hash of a PIN of 4 to 12 digits, for the config.
func HashPIN(pin string) (string, error) {
	if err := checkPIN(pin); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pin), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash pin: %w", err)
	}
	return string(h), nil
}

func checkPIN(pin string) error {
	if len(pin) < 4 || len(pin) > 12 {
		return invalid("pin", "error.pin.length", "A PIN has 4 to 12 digits.", nil)
	}
	for _, r := range pin {
		if r < '0' || r > '9' {
			return invalid("pin", "error.pin.digits", "A PIN has digits only.", nil)
		}
	}
	return nil
}

// UnlockStaff checks pin against hash, counting failures. It returns nil on
// success, an ELocked *Error (with Until) while locked, and an EInvalid
// *Error with the tries left otherwise.
func (s *Store) UnlockStaff(ctx context.Context, hash, pin string) error {
	now := s.now()
	failures, until, err := s.pinState(ctx)
	if err != nil {
		return storageError("pin state", err)
	}
	if now.Before(until) {
		return lockedError(until)
	}
	// bcrypt is slow on purpose; compare outside any transaction.
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(pin)) == nil {
		return storageError("pin state", s.setPINState(ctx, 0, time.Time{}))
	}
	failures++
	if failures >= MaxPINFailures {
		lock := PINLockout << (failures - MaxPINFailures)
		if lock > maxPINLockout || lock <= 0 {
			lock = maxPINLockout
		}
		until = now.Add(lock)
	}
	if err := s.setPINState(ctx, failures, until); err != nil {
		return storageError("pin state", err)
	}
	if failures >= MaxPINFailures {
		return lockedError(until)
	}
	return &Error{Code: EInvalid, Field: "pin", Key: "error.pin.wrong", Message: "Wrong PIN. Tries left: {{.Left}}.",
		Args: map[string]any{"Left": MaxPINFailures - failures}}
}

func lockedError(until time.Time) *Error {
	return &Error{Code: ELocked, Key: "error.pin.locked", Message: "Too many wrong PINs. Try again at {{.Until}}.",
		Args: map[string]any{"Until": until.Local().Format("15:04:05")}, Until: until}
}

func (s *Store) pinState(ctx context.Context) (failures int, until time.Time, err error) {
	err = inReadTx(ctx, s.db, func(tx *sql.Tx) error {
		f, err := getMeta(ctx, tx, "pin_failures")
		if err != nil || f == "" {
			return err
		}
		if failures, err = strconv.Atoi(f); err != nil {
			return fmt.Errorf("pin failures %q: %w", f, err)
		}
		u, err := getMeta(ctx, tx, "pin_locked_until")
		if err != nil || u == "" {
			return err
		}
		until, err = sqldb.ParseTime(u)
		return err
	})
	return failures, until, err
}

func (s *Store) setPINState(ctx context.Context, failures int, until time.Time) error {
	return sqldb.InTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := setMeta(ctx, tx, "pin_failures", strconv.Itoa(failures)); err != nil {
			return err
		}
		u := ""
		if !until.IsZero() {
			u = sqldb.FormatTime(until)
		}
		return setMeta(ctx, tx, "pin_locked_until", u)
	})
}

package queue

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Proof is how a check-out was proved (issue 13 §5): what the visitor
// showed that only they have, or who vouched for it. A fire warden reads
// it on the roster: a self-declared check-out may have been someone else
// typing the visitor's ticket number, so that person may still be inside.
type Proof string

// The proofs of a check-out.
const (
	ProofQR    Proof = "qr"    // the ticket's signed QR code was scanned
	ProofPhone Proof = "phone" // a typed ticket number, and the last four digits of the phone given at check-in
	ProofSelf  Proof = "self"  // a typed ticket number without proof: self-declared
	ProofStaff Proof = "staff" // checked out by staff (the roster, the CLI)
	ProofClose Proof = "close" // the end-of-day close
)

// MaxPhoneTries is how many wrong last-four-digits answers a visit takes
// at the kiosk. After them it can no longer be checked out by a typed
// number, with or without proof: the visitor asks at reception, where
// staff check them out, or scans the QR code on their ticket.
const MaxPhoneTries = 3

// PhoneDigits is how many of the phone's last digits a check-out asks.
const PhoneDigits = 4

// CanProveByPhone reports whether v can be checked out with the last
// digits of its phone: one was given at check-in, with enough digits.
func (v Visit) CanProveByPhone() bool { return len(phoneDigits(v.Phone)) >= PhoneDigits }

// errAskReception refuses a typed check-out of a visit that took too many
// wrong answers, or cannot be proved any more: nothing in it says which.
func errAskReception(v Visit) *Error {
	return &Error{Code: ELocked, Key: "error.checkout.locked", Message: "Please ask at reception to check out {{.Ticket}}.",
		Args: map[string]any{"Ticket": v.Ticket}}
}

// CheckOutByPhone checks visit id out at the kiosk if digits are the last
// four digits of the phone the visitor gave, recording the proof "phone".
// A wrong answer checks nobody out: it is counted, and answered with how
// many tries are left (error.checkout.digits.wrong, EInvalid on the field
// "digits"); the MaxPhoneTries-th, and every try after it, with ELocked
// (error.checkout.locked). Neither says anything about the phone. An
// answer that is not four digits is not counted.
func (s *Store) CheckOutByPhone(ctx context.Context, id int64, digits string) (Visit, error) {
	digits = strings.TrimSpace(digits)
	if len(digits) != PhoneDigits || strings.Trim(digits, "0123456789") != "" {
		return Visit{}, invalid("digits", "error.checkout.digits", "Please type the last four digits of the phone number you gave.", nil)
	}
	now := s.now()
	var (
		v     Visit
		wrong *Error // committed with the count, then returned
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		wrong = nil
		var err error
		if v, err = s.openForCheckOut(ctx, tx, id); err != nil {
			return err
		}
		tries, err := phoneTries(ctx, tx, id)
		if err != nil {
			return err
		}
		if tries >= MaxPhoneTries || !v.CanProveByPhone() {
			return errAskReception(v)
		}
		phone := phoneDigits(v.Phone)
		if subtle.ConstantTimeCompare([]byte(phone[len(phone)-PhoneDigits:]), []byte(digits)) != 1 {
			tries++
			if _, err := tx.ExecContext(ctx, "UPDATE visits SET phone_tries = ? WHERE id = ?", tries, id); err != nil {
				return fmt.Errorf("count a wrong answer: %w", err)
			}
			wrong = invalid("digits", "error.checkout.digits.wrong", "These digits do not match. Tries left: {{.Left}}.",
				map[string]any{"Left": MaxPhoneTries - tries})
			if tries >= MaxPhoneTries {
				wrong = errAskReception(v)
			}
			return nil
		}
		return s.checkOut(ctx, tx, now, &v, SourceKiosk, ProofPhone)
	})
	if err != nil {
		return Visit{}, storageError("check out", err)
	}
	if wrong != nil {
		return Visit{}, wrong
	}
	s.afterWrite()
	return v, nil
}

// openForCheckOut loads visit id, refusing one that has left already.
func (s *Store) openForCheckOut(ctx context.Context, q querier, id int64) (Visit, error) {
	v, err := loadVisit(ctx, q, id)
	if err != nil {
		return Visit{}, err
	}
	if !v.LeftAt.IsZero() {
		return Visit{}, s.alreadyLeft(v)
	}
	return v, nil
}

func (s *Store) alreadyLeft(v Visit) *Error {
	return conflict("error.checkout.done", "{{.Ticket}} already checked out at {{.Time}}.",
		map[string]any{"Ticket": v.Ticket, "Time": v.LeftAt.In(s.loc).Format("15:04")})
}

func phoneTries(ctx context.Context, q querier, id int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT phone_tries FROM visits WHERE id = ?", id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound("error.visit.unknown", "There is no such visit.", nil)
	}
	if err != nil {
		return 0, fmt.Errorf("read tries: %w", err)
	}
	return n, nil
}

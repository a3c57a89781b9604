package centre

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer/wire"
)

// Enrolment by code: IT makes a short one-time code for a kiosk with
// NewEnrolmentCode (`central enroll`); the kiosk redeems it once, over the
// API, for its token (Redeem). The code travels by hand or by QR; the
// token never leaves the two machines.

// Why a code is refused: the Reason of a CodeError.
var (
	ErrCodeUnknown = errors.New("centre: enrolment code not known")
	ErrCodeUsed    = errors.New("centre: enrolment code used already")
	ErrCodeExpired = errors.New("centre: enrolment code expired")
	ErrCodeOther   = errors.New("centre: enrolment code for another kiosk")
)

// CodeError is a refused enrolment code: why, and since when for a code
// used or expired.
type CodeError struct {
	Reason error     // ErrCodeUnknown, ErrCodeUsed, ErrCodeExpired or ErrCodeOther
	At     time.Time // when it was used or expired
	For    string    // ErrCodeOther: the kiosk and site it was made for
	Asked  string    // ErrCodeOther: the kiosk and site that asked
}

func (e *CodeError) Error() string { return e.Advice() }

func (e *CodeError) Unwrap() error { return e.Reason }

// Advice is the refusal as the person at the kiosk reads it: what
// happened and what to do.
func (e *CodeError) Advice() string {
	at := e.At.UTC().Format("2006-01-02 15:04 UTC")
	switch e.Reason {
	case ErrCodeUsed:
		return "this enrolment code was used already (" + at + "); ask IT for a new one (central enroll)"
	case ErrCodeExpired:
		return "this enrolment code expired at " + at + "; ask IT for a new one (central enroll)"
	case ErrCodeOther:
		return "this enrolment code is for " + e.For + ", not for " + e.Asked +
			" as this kiosk's configuration says; the code is still unused: use it on that kiosk, or ask IT for one for this kiosk"
	}
	return "this enrolment code is not known at this centre: check it, or ask IT for a new one"
}

// codeAlphabet has no letters that read as digits or as each other
// (0/O, 1/I/L, U/V), so a code read aloud or typed from paper survives.
const codeAlphabet = "ABCDEFGHJKMNPQRSTWXYZ23456789"

// codeLength is a code's characters: 29^10 ≈ 4×10^14 codes, so guessing
// one within its validity, at the rate the API serves, is out of reach.
const codeLength = 10

// DefaultCodeValidity is how long a code works unless told otherwise.
const DefaultCodeValidity = 24 * time.Hour

// NormalizeCode reads a code as typed or scanned: case, spaces and
// dashes do not matter.
func NormalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// FormatCode groups a code for reading: "ABCDE-FGHJK".
func FormatCode(code string) string {
	if len(code) <= 5 {
		return code
	}
	return code[:5] + "-" + code[5:]
}

// NewEnrolmentCode makes a one-time code that enrols kiosk at site under
// name until it expires, valid from now. Only its hash is kept: the code
// is shown once. by is who makes it: the code and its audit entry are one
// transaction.
func (s *Service) NewEnrolmentCode(ctx context.Context, site, kiosk, name string, valid time.Duration, by Actor) (code string, expires time.Time, err error) {
	if !queue.ValidID(kiosk) {
		return "", time.Time{}, fmt.Errorf("enrolment code: kiosk id %q must be lower-case letters, digits and dashes", kiosk)
	}
	if err := by.check(); err != nil {
		return "", time.Time{}, fmt.Errorf("enrolment code for %s: %w", kiosk, err)
	}
	if valid <= 0 {
		valid = DefaultCodeValidity
	}
	code, err = newCode()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("enrolment code: %w", err)
	}
	now := s.now()
	expires = now.Add(valid)
	err = s.store.Update(ctx, func(tx Ops) error {
		if err := canEnroll(ctx, tx, site, kiosk); err != nil {
			return err
		}
		if err := tx.PutEnrolmentCode(ctx, EnrolmentCode{Hash: hashToken(code), Site: site, Kiosk: kiosk, Name: name, Created: now, Expires: expires}); err != nil {
			return err
		}
		return s.audit(ctx, tx, site, by.entry(now, ActionEnrolCode,
			"kiosk "+kiosk+", valid until "+expires.UTC().Format("2006-01-02 15:04 UTC")))
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("enrolment code for %s: %w", kiosk, err)
	}
	return FormatCode(code), expires, nil
}

func newCode() (string, error) {
	var b [codeLength]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	// 256 is not a multiple of 29: draw again above the largest multiple,
	// so every character is equally likely.
	const limit = 256 - 256%len(codeAlphabet)
	out := make([]byte, 0, codeLength)
	for len(out) < codeLength {
		for _, c := range b {
			if int(c) < limit && len(out) < codeLength {
				out = append(out, codeAlphabet[int(c)%len(codeAlphabet)])
			}
		}
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
	}
	return string(out), nil
}

// Redeem exchanges a code for the enrolment it stands for and the
// kiosk's new token. A code works once, until it expires; a refused code
// changes nothing.
func (s *Service) Redeem(ctx context.Context, code string) (wire.EnrolResponse, error) {
	return s.RedeemFor(ctx, wire.EnrolRequest{Code: code})
}

// RedeemFor is Redeem for a kiosk that says which it is: a code made for
// another kiosk or site is refused and stays unused.
func (s *Service) RedeemFor(ctx context.Context, req wire.EnrolRequest) (wire.EnrolResponse, error) {
	hash := hashToken(NormalizeCode(req.Code))
	var resp wire.EnrolResponse
	err := s.store.Update(ctx, func(tx Ops) error {
		c, ok, err := tx.EnrolmentCode(ctx, hash)
		switch {
		case err != nil:
			return err
		case !ok:
			return &CodeError{Reason: ErrCodeUnknown}
		case !c.Used.IsZero():
			return &CodeError{Reason: ErrCodeUsed, At: c.Used}
		case !s.now().Before(c.Expires):
			return &CodeError{Reason: ErrCodeExpired, At: c.Expires}
		case req.Kiosk != "" && req.Kiosk != c.Kiosk, req.Site != "" && req.Site != c.Site:
			return &CodeError{Reason: ErrCodeOther, For: "kiosk " + c.Kiosk + " at site " + c.Site,
				Asked: "kiosk " + req.Kiosk + " at site " + req.Site}
		}
		if used, err := tx.UseEnrolmentCode(ctx, hash, s.now()); err != nil || !used {
			if err == nil {
				err = &CodeError{Reason: ErrCodeUsed, At: s.now()} // by another request, a moment ago
			}
			return err
		}
		token, err := s.enroll(ctx, tx, c.Site, c.Kiosk, c.Name)
		if err != nil {
			return err
		}
		// The enrolment is audited with it, as the code's own: who made
		// the code is in the entry that made it (ActionEnrolCode), which
		// this one names by its time.
		detail := fmt.Sprintf("kiosk %s, with the enrolment code made %s", c.Kiosk, c.Created.UTC().Format("2006-01-02 15:04:05 UTC"))
		if err := s.audit(ctx, tx, c.Site, CodeActor.entry(s.now(), ActionEnrol, detail)); err != nil {
			return fmt.Errorf("audit log: %w", err)
		}
		// The site's staff accounts, so the kiosk leaves set-up with the
		// accounts it signs staff in with.
		staff, err := tx.Records(ctx, c.Site, queue.EntityStaff)
		if err != nil {
			return err
		}
		resp = wire.EnrolResponse{Site: c.Site, Kiosk: c.Kiosk, Name: c.Name, Token: token, Staff: staff}
		return nil
	})
	if err != nil {
		return wire.EnrolResponse{}, fmt.Errorf("redeem enrolment code: %w", err)
	}
	return resp, nil
}

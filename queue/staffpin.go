package queue

import (
	"context"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// The set-up PIN: before named accounts (issue 13 §4), staff shared one
// PIN of 4 to 12 digits whose bcrypt hash is the config's pin_hash. It now
// does one thing: on a kiosk with no supervisor account yet, it lets the
// person who knows it make the first one. Once a supervisor exists, it
// signs nobody in.

// setupLockout is the lockout row of the set-up PIN.
const setupLockout = "setup-pin"

// HashPIN returns the bcrypt hash of a set-up PIN of 4 to 12 digits, for
// the config's pin_hash.
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
		return invalid("pin", "error.pin.setup_length", "The set-up PIN has 4 to 12 digits.", nil)
	}
	for _, r := range pin {
		if r < '0' || r > '9' {
			return invalid("pin", "error.pin.digits", "A PIN has digits only.", nil)
		}
	}
	return nil
}

// CheckSetupPIN checks the set-up PIN against the config's hash, with the
// same lockout as an account's PIN; it fails once a supervisor account
// exists. Its outcome is audited as "set-up PIN".
func (s *Store) CheckSetupPIN(ctx context.Context, hash, pin string) error {
	has, err := s.HasSupervisor(ctx)
	if err != nil {
		return err
	}
	if has || hash == "" {
		return notFound("error.pin.setup_gone", "This kiosk has staff accounts: please sign in with your own.", nil)
	}
	actor := Actor{Name: "set-up PIN", Source: AuditTouch}
	return s.tryPIN(WithActor(ctx, actor), setupLockout, func() (bool, error) {
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pin)) == nil, nil
	})
}

// SetupPINMatches says whether pin is the config's set-up PIN (hash),
// with no store: the kiosk whose database cannot be opened asks it before
// it starts a recovery. Its caller keeps its own count of wrong tries.
func SetupPINMatches(hash, pin string) bool {
	return hash != "" && bcrypt.CompareHashAndPassword([]byte(hash), []byte(pin)) == nil
}

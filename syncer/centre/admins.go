package centre

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"lobbyline/queue"
)

// The fleet console's accounts. Passwords are hashed with bcrypt at
// PasswordCost (2^12 rounds, about a quarter of a second here): slow
// enough that a stolen table is costly to guess through, fast enough for
// a person signing in. LoginLimit wrong passwords in a row lock the
// account for LockWindow. While it is locked no password is checked, the
// right one included, so guessing on is pointless; once the lock has
// ended, a right password clears the count and a wrong one locks the
// account again at once. Sessions
// last SessionTTL from sign-in, however busy.
const (
	PasswordCost      = 12
	MinPasswordLength = 12
	MaxPasswordBytes  = 72 // bcrypt ignores what follows
	LoginLimit        = 5
	LockWindow        = 15 * time.Minute
	SessionTTL        = 8 * time.Hour
)

// Errors of signing in, for the console to show: each says what happened
// without saying whether the account exists.
var (
	ErrBadLogin     = errors.New("centre: wrong name or password")
	ErrLocked       = errors.New("centre: account locked after repeated wrong passwords")
	ErrNoSession    = errors.New("centre: not signed in, or the session expired")
	ErrWeakPassword = fmt.Errorf("centre: a password needs %d characters or more", MinPasswordLength)
)

// LockedError is ErrLocked with the time the lock ends.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("account locked after %d wrong passwords, until %s UTC", LoginLimit, e.Until.UTC().Format("15:04"))
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// Session is a signed-in admin.
type Session struct {
	Admin   string
	Token   string // the cookie's value; only its hash is stored
	CSRF    string // every form of the session sends it back
	Expires time.Time
}

// dummyHash is compared against when the name is unknown, so a sign-in
// with an unknown name takes as long as one with a wrong password. It is
// made on first use: the kiosk links this package and never signs in.
func (s *Service) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		s.dummy, _ = bcrypt.GenerateFromPassword([]byte("lobbyline-no-such-admin"), s.passwordCost)
	})
	return s.dummy
}

// AddAdmin adds a console account, or sets the password of one, which
// also unlocks it and signs it out everywhere. Names follow the ids' rule.
func (s *Service) AddAdmin(ctx context.Context, name, password string) error {
	if !queue.ValidID(name) {
		return fmt.Errorf("add admin: name %q must be lower-case letters, digits and dashes", name)
	}
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return fmt.Errorf("add admin %s: %w", name, ErrWeakPassword)
	case len(password) > MaxPasswordBytes:
		return fmt.Errorf("add admin %s: a password may have at most %d bytes", name, MaxPasswordBytes)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.passwordCost)
	if err != nil {
		return fmt.Errorf("add admin %s: %w", name, err)
	}
	put := func(tx Ops) error {
		return tx.PutAdmin(ctx, AdminRow{Name: name, PasswordHash: string(hash), Created: s.now()})
	}
	if err := s.store.Update(ctx, put); err != nil {
		return fmt.Errorf("add admin %s: %w", name, err)
	}
	return nil
}

// Login checks an admin's password and opens a session; ErrBadLogin or a
// *LockedError (ErrLocked) if it does not.
func (s *Service) Login(ctx context.Context, name, password string) (Session, error) {
	now := s.now()
	a, ok, err := s.store.Admin(ctx, name)
	if err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	if !ok {
		_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
		return Session{}, ErrBadLogin
	}
	if now.Before(a.LockedUntil) {
		return Session{}, &LockedError{Until: a.LockedUntil}
	}
	if bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(password)) != nil {
		until := now.Add(LockWindow)
		n, err := s.store.FailAdmin(ctx, name, LoginLimit, until)
		if err != nil {
			return Session{}, fmt.Errorf("login: %w", err)
		}
		s.log.Warn("console: wrong password", "admin", name, "failures", n)
		if n >= LoginLimit {
			return Session{}, &LockedError{Until: until}
		}
		return Session{}, ErrBadLogin
	}
	sess := Session{Admin: name, Token: randomToken(), CSRF: randomToken(), Expires: now.Add(SessionTTL)}
	err = s.store.Update(ctx, func(tx Ops) error {
		if err := tx.PassAdmin(ctx, name); err != nil {
			return err
		}
		if err := tx.DeleteAdminSessions(ctx, now); err != nil {
			return err
		}
		return tx.PutAdminSession(ctx, AdminSession{TokenHash: hashToken(sess.Token), Admin: name, CSRF: sess.CSRF, Created: now, Expires: sess.Expires})
	})
	if err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	s.log.Info("console: signed in", "admin", name)
	return sess, nil
}

// SessionFor finds the session a cookie's token belongs to; ErrNoSession
// if there is none or it expired.
func (s *Service) SessionFor(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, ErrNoSession
	}
	row, ok, err := s.store.AdminSession(ctx, hashToken(token))
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	if !ok || !s.now().Before(row.Expires) {
		return Session{}, ErrNoSession
	}
	return Session{Admin: row.Admin, Token: token, CSRF: row.CSRF, Expires: row.Expires}, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	if err := s.store.DeleteAdminSession(ctx, hashToken(token)); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// CheckCSRF reports whether a form's token is the session's, in constant
// time.
func (sess Session) CheckCSRF(token string) bool {
	return sess.CSRF != "" && subtle.ConstantTimeCompare([]byte(sess.CSRF), []byte(token)) == 1
}

// Sites lists every site, by id.
func (s *Service) Sites(ctx context.Context) ([]Site, error) {
	out, err := s.store.Sites(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	return out, nil
}

func randomToken() string { return rand.Text() + rand.Text() }

package queue

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"lobbyline/queue/pinhash"
	"lobbyline/queue/sqldb"
)

// Staff sign-in locks an account after MaxPINFailures wrong PINs in a row,
// first for PINLockout and then twice as long after every further wrong
// PIN, up to an hour. The count is in the database, so restarting the
// kiosk does not reset it, and it is the account's: one person's mistakes
// do not lock their colleagues out.
const (
	MaxPINFailures = 5
	PINLockout     = 30 * time.Second
	maxPINLockout  = time.Hour
)

// DemoPIN is the sample PIN of the demo accounts: it signs in only in demo
// mode (SetDemoStaff), and no other account may have it.
const DemoPIN = "246810"

// The demo accounts' ids.
const (
	demoSupervisor = "st-demo-supervisor"
	demoReception  = "st-demo-reception"
)

// Actor is who takes a staff action: the signed-in account on the
// screen, or the operating-system user at the command line. The store
// reads it from the context (WithActor) and names every staff change and
// audit entry by it.
type Actor struct {
	Account string // StaffAccount.ID; "" from the command line
	Name    string
	Role    Role
	Source  string // AuditTouch, AuditCLI, …
	OSUser  string
}

type actorKey struct{}

// WithActor is ctx carrying a: what the store does with it is done by a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf is the actor ctx carries, if any.
func ActorOf(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// AccountActor is a signed-in account acting on the kiosk's screen.
func AccountActor(a StaffAccount) Actor {
	return Actor{Account: a.ID, Name: a.Name, Role: a.Role, Source: AuditTouch}
}

// CommandLineActor is whoever runs a command on this machine, from
// source: the operating-system user, or under sudo the user who ran sudo
// (OSUser then says so and as whom). The kiosk's and the centre's
// command lines both name their users this way.
func CommandLineActor(source string) Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	a := Actor{Name: name, OSUser: name, Source: source}
	if sudo := os.Getenv("SUDO_USER"); sudo != "" && sudo != name {
		a.Name, a.OSUser = sudo, sudo+" (sudo as "+name+")"
	}
	return a
}

// entry is an audit entry of a's action.
func (a Actor) entry(at time.Time, kiosk, action, ticket, detail string) AuditEntry {
	return AuditEntry{At: at.UTC(), Kiosk: kiosk, Source: a.Source, Account: a.Account, Name: a.Name, Role: a.Role,
		OSUser: a.OSUser, Action: action, Ticket: ticket, Detail: detail}
}

// NewStaffAccount makes an account with a new id: its PIN hashed (6 to 12
// digits, not the demo's), its badge's code hashed if one is given.
func NewStaffAccount(name string, role Role, pin, badge string, now time.Time, by string) (StaffAccount, error) {
	if err := CheckStaffPIN(pin); err != nil {
		return StaffAccount{}, err
	}
	hash, err := pinhash.Hash(pin)
	if err != nil {
		return StaffAccount{}, fmt.Errorf("hash pin: %w", err)
	}
	a := StaffAccount{ID: "st-" + strings.ToLower(rand.Text()[:12]), Name: strings.TrimSpace(name), Role: role,
		PINHash: hash, UpdatedAt: now.UTC(), UpdatedBy: by}
	if strings.TrimSpace(badge) != "" {
		if err := checkBadge(badge); err != nil {
			return StaffAccount{}, err
		}
		a.BadgeHash = HashBadge(badge)
	}
	return a, a.Validate()
}

// CheckStaffPIN is nil for a PIN an account may have, or an *Error that
// says what is wrong with it.
func CheckStaffPIN(pin string) error {
	if pinhash.CheckPIN(pin) != nil {
		return invalid("pin", "error.pin.length", "A PIN has 6 to 12 digits.", nil)
	}
	if pin == DemoPIN {
		return invalid("pin", "error.pin.demo", "This is the demo's sample PIN, which anyone can read. Please choose another.", nil)
	}
	return nil
}

func checkBadge(code string) error {
	code = strings.TrimSpace(code)
	if len(code) < 4 || len(code) > MaxBadgeLength {
		return invalid("badge", "error.badge.length", "A badge's code has 4 to 128 characters; please scan it again.", nil)
	}
	for _, r := range code {
		if r < 0x21 || r > 0x7e {
			return invalid("badge", "error.badge.chars", "A badge's code has letters, digits and signs only; please scan it again.", nil)
		}
	}
	return nil
}

// StaffAccounts lists the accounts by name: the enabled ones, or all.
func (s *Store) StaffAccounts(ctx context.Context, all bool) ([]StaffAccount, error) {
	var out []StaffAccount
	err := inReadTx(ctx, s.db, func(tx *sql.Tx) error {
		q := `SELECT id, name, role, pin_hash, badge_hash, disabled, updated_at, updated_by FROM staff_accounts`
		if !all {
			q += ` WHERE disabled = 0`
		}
		rows, err := tx.QueryContext(ctx, q+` ORDER BY name COLLATE NOCASE, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAccount(rows)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return rows.Err()
	})
	return out, storageError("staff accounts", err)
}

// HasSupervisor reports whether an enabled supervisor account exists
// (the demo's count only in demo mode, when they are enabled).
func (s *Store) HasSupervisor(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM staff_accounts WHERE role = 'supervisor' AND disabled = 0`).Scan(&n)
	return n > 0, storageError("staff accounts", err)
}

// StaffAccount is one account, enabled or not.
func (s *Store) StaffAccount(ctx context.Context, id string) (StaffAccount, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT id, name, role, pin_hash, badge_hash, disabled, updated_at, updated_by
		FROM staff_accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return StaffAccount{}, notFound("error.staff.unknown", "There is no such staff account on this kiosk.", nil)
	}
	return a, storageError("staff account", err)
}

// AccountByBadge is the enabled account whose badge the scanner read.
func (s *Store) AccountByBadge(ctx context.Context, code string) (StaffAccount, error) {
	if checkBadge(code) != nil {
		return StaffAccount{}, notFound("error.badge.unknown", "This badge is not known here. Tap your name instead.", nil)
	}
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT id, name, role, pin_hash, badge_hash, disabled, updated_at, updated_by
		FROM staff_accounts WHERE badge_hash = ? AND disabled = 0 ORDER BY updated_at DESC LIMIT 1`, HashBadge(code)))
	if errors.Is(err, sql.ErrNoRows) {
		return StaffAccount{}, notFound("error.badge.unknown", "This badge is not known here. Tap your name instead.", nil)
	}
	return a, storageError("staff account", err)
}

func scanAccount(r interface{ Scan(...any) error }) (StaffAccount, error) {
	var a StaffAccount
	var updated string
	if err := r.Scan(&a.ID, &a.Name, &a.Role, &a.PINHash, &a.BadgeHash, &a.Disabled, &updated, &a.UpdatedBy); err != nil {
		return StaffAccount{}, err
	}
	var err error
	a.UpdatedAt, err = sqldb.ParseTime(updated)
	return a, err
}

// SignIn checks account id's PIN, counting wrong ones per account. It
// returns the account on success, an ELocked *Error (with Until) while
// the account is locked, an EInvalid *Error with the tries left for a
// wrong PIN, and ENotFound for an account that is unknown or disabled.
// Each outcome is audited.
func (s *Store) SignIn(ctx context.Context, id, pin string) (StaffAccount, error) {
	a, err := s.StaffAccount(ctx, id)
	if err != nil {
		return StaffAccount{}, err
	}
	if a.Disabled {
		return StaffAccount{}, notFound("error.staff.disabled", "This account is switched off. Please ask a supervisor.", nil)
	}
	err = s.tryPIN(WithActor(ctx, AccountActor(a)), id, func() (bool, error) { return pinhash.Verify(a.PINHash, pin) })
	if err != nil {
		return StaffAccount{}, err
	}
	return a, nil
}

// tryPIN runs check (a PIN's comparison) under lockout row id's count and
// audits the outcome by ctx's actor: nil on a match, an ELocked *Error
// (with Until) while locked, an EInvalid *Error with the tries left.
func (s *Store) tryPIN(ctx context.Context, id string, check func() (bool, error)) error {
	now := s.now()
	failures, until, err := s.lockout(ctx, id)
	if err != nil {
		return storageError("pin state", err)
	}
	if until.Sub(now) > maxPINLockout {
		// No lock is this long: the clock was set back after it began.
		// It ends maxPINLockout from now, not hours later when the
		// clock comes round.
		until = now.Add(maxPINLockout)
		_, err := s.db.ExecContext(ctx, `UPDATE staff_lockout SET locked_until = ? WHERE account = ?`, sqldb.FormatTime(until), id)
		if err != nil {
			return storageError("pin state", err)
		}
	}
	if now.Before(until) {
		return lockedError(until)
	}
	// argon2id and bcrypt are slow on purpose; compare outside any
	// transaction.
	ok, err := check()
	if err != nil {
		return storageError("pin", err)
	}
	if ok {
		return storageError("sign in", s.inTx(ctx, func(tx *sql.Tx) error {
			if err := s.stmts.exec(ctx, tx, `DELETE FROM staff_lockout WHERE account = ?`, id); err != nil {
				return err
			}
			return s.auditAs(ctx, tx, now, "sign_in", "", "")
		}))
	}
	failures++
	if failures >= MaxPINFailures {
		lock := PINLockout << (failures - MaxPINFailures)
		if lock > maxPINLockout || lock <= 0 {
			lock = maxPINLockout
		}
		until = now.Add(lock)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		err := s.stmts.exec(ctx, tx, `INSERT INTO staff_lockout (account, failures, locked_until) VALUES (?, ?, ?)
			ON CONFLICT (account) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until`,
			id, failures, nullTimeText(until))
		if err != nil {
			return err
		}
		action, detail := "sign_in_failed", fmt.Sprintf("%d wrong in a row", failures)
		if failures >= MaxPINFailures {
			action, detail = "locked", "until "+until.UTC().Format(time.RFC3339)
		}
		return s.auditAs(ctx, tx, now, action, "", detail)
	})
	if err != nil {
		return storageError("pin state", err)
	}
	if failures >= MaxPINFailures {
		return lockedError(until)
	}
	return &Error{Code: EInvalid, Field: "pin", Key: "error.pin.wrong", Message: "Wrong PIN. Tries left: {{.Left}}.",
		Args: map[string]any{"Left": MaxPINFailures - failures}}
}

func nullTimeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return sqldb.FormatTime(t)
}

func lockedError(until time.Time) *Error {
	return &Error{Code: ELocked, Key: "error.pin.locked", Message: "Too many wrong PINs. Try again at {{.Until}}.",
		Args: map[string]any{"Until": until.Local().Format("15:04:05")}, Until: until}
}

func (s *Store) lockout(ctx context.Context, id string) (failures int, until time.Time, err error) {
	var u string
	err = s.db.QueryRowContext(ctx, `SELECT failures, locked_until FROM staff_lockout WHERE account = ?`, id).Scan(&failures, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil || u == "" {
		return failures, time.Time{}, err
	}
	until, err = sqldb.ParseTime(u)
	return failures, until, err
}

// SaveStaffAccount keeps an account made or changed on this kiosk, by
// ctx's actor, and sends it to the centre. A change older than the one
// held is refused.
func (s *Store) SaveStaffAccount(ctx context.Context, a StaffAccount) error {
	if err := a.Validate(); err != nil {
		return err
	}
	actor, ok := ActorOf(ctx)
	if !ok {
		return errors.New("save staff account: no actor")
	}
	return storageError("save staff account", s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanAccount(tx.QueryRowContext(ctx, `SELECT id, name, role, pin_hash, badge_hash, disabled, updated_at, updated_by
			FROM staff_accounts WHERE id = ?`, a.ID))
		known := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if known && !a.Newer(old) {
			return conflict("error.staff.stale", "This account changed meanwhile; please look again.", nil)
		}
		if err := putAccount(ctx, tx, a); err != nil {
			return err
		}
		now := s.now()
		if err := s.record(ctx, tx, now, event{Kind: KindStaffAccount, Actor: actor.Name, staff: &a}, nil, nil); err != nil {
			return err
		}
		action := "account_add"
		if known {
			action = "account_change"
		}
		return s.auditAs(ctx, tx, now, action, "", accountDetail(a))
	}))
}

// accountDetail is what an audit entry says of an account: never its
// hashes.
func accountDetail(a StaffAccount) string {
	d := fmt.Sprintf("%s (%s, %s)", a.Name, a.ID, a.Role)
	if a.Disabled {
		d += ", disabled"
	}
	if a.BadgeHash != "" {
		d += ", badge"
	}
	return d
}

func putAccount(ctx context.Context, tx *sql.Tx, a StaffAccount) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO staff_accounts (id, name, role, pin_hash, badge_hash, disabled, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, pin_hash = excluded.pin_hash,
			badge_hash = excluded.badge_hash, disabled = excluded.disabled, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		a.ID, a.Name, string(a.Role), a.PINHash, a.BadgeHash, a.Disabled, sqldb.FormatTime(a.UpdatedAt), a.UpdatedBy)
	if err != nil {
		return fmt.Errorf("staff account %s: %w", a.ID, err)
	}
	return nil
}

// applyStaffRecord takes an account the centre sent, if it is newer than
// the one held. One that cannot be read is logged and skipped: a bad
// record must not stop the kiosk from syncing.
func (s *Store) applyStaffRecord(ctx context.Context, tx *sql.Tx, r RemoteRecord) error {
	if r.Deleted {
		return nil // accounts are disabled, never deleted
	}
	var a StaffAccount
	if err := json.Unmarshal(r.Data, &a); err != nil || a.Validate() != nil || a.ID != r.Key {
		s.log.Warn("unreadable staff account from the centre", "key", r.Key)
		return nil
	}
	old, err := scanAccount(tx.QueryRowContext(ctx, `SELECT id, name, role, pin_hash, badge_hash, disabled, updated_at, updated_by
		FROM staff_accounts WHERE id = ?`, a.ID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	case !a.Newer(old):
		return nil
	}
	return putAccount(ctx, tx, a)
}

// ApplyStaffRecords takes the accounts an enrolment answer brought.
func (s *Store) ApplyStaffRecords(ctx context.Context, records []RemoteRecord) error {
	return storageError("staff accounts", s.inTx(ctx, func(tx *sql.Tx) error {
		for _, r := range records {
			if r.Entity != EntityStaff {
				continue
			}
			if err := s.applyStaffRecord(ctx, tx, r); err != nil {
				return err
			}
		}
		return nil
	}))
}

// SetDemoStaff enables the demo accounts (a supervisor and a receptionist
// with DemoPIN), making them if need be, when demo is true; otherwise it
// disables them, so the sample PIN signs in only in demo mode. They stay
// on this kiosk: they never travel to the centre.
func (s *Store) SetDemoStaff(ctx context.Context, demo bool) error {
	return storageError("demo staff", s.inTx(ctx, func(tx *sql.Tx) error {
		if !demo {
			_, err := tx.ExecContext(ctx, `UPDATE staff_accounts SET disabled = 1 WHERE id IN (?, ?)`, demoSupervisor, demoReception)
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM staff_accounts WHERE id IN (?, ?)`, demoSupervisor, demoReception).Scan(&n); err != nil {
			return err
		}
		if n == 2 {
			_, err := tx.ExecContext(ctx, `UPDATE staff_accounts SET disabled = 0 WHERE id IN (?, ?)`, demoSupervisor, demoReception)
			return err
		}
		hash, err := pinhash.Hash(DemoPIN)
		if err != nil {
			return err
		}
		for _, a := range []StaffAccount{
			{ID: demoSupervisor, Name: "Demo supervisor", Role: RoleSupervisor},
			{ID: demoReception, Name: "Demo reception", Role: RoleReception},
		} {
			a.PINHash, a.UpdatedAt, a.UpdatedBy = hash, s.now().UTC(), "demo"
			if err := putAccount(ctx, tx, a); err != nil {
				return err
			}
		}
		return nil
	}))
}

// Audit records a staff action that changes nothing in the store (leaving
// staff mode, quitting the kiosk, printing the roster) by ctx's actor.
func (s *Store) Audit(ctx context.Context, action, ticket, detail string) error {
	if _, ok := ActorOf(ctx); !ok {
		return errors.New("audit: no actor")
	}
	return storageError("audit", s.inTx(ctx, func(tx *sql.Tx) error {
		return s.auditAs(ctx, tx, s.now(), action, ticket, detail)
	}))
}

// auditAs records ctx's actor's action inside the caller's transaction:
// in the audit table and, for the centre, the outbox. Without an actor
// (a visitor, or the kiosk's own jobs) it records nothing.
func (s *Store) auditAs(ctx context.Context, tx *sql.Tx, at time.Time, action, ticket, detail string) error {
	a, ok := ActorOf(ctx)
	if !ok {
		return nil
	}
	e := a.entry(at, s.kioskID, action, ticket, detail)
	err := s.stmts.exec(ctx, tx, `INSERT INTO audit (at, source, account, name, role, os_user, action, ticket, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sqldb.FormatTime(e.At), e.Source, e.Account, e.Name, string(e.Role), e.OSUser, e.Action, e.Ticket, e.Detail)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return s.record(ctx, tx, at, event{Kind: KindAudit, Actor: e.Name, audit: &e}, nil, nil)
}

// AuditLog is this kiosk's audit entries from since (inclusive) to until
// (exclusive; zero: now), oldest first.
func (s *Store) AuditLog(ctx context.Context, since, until time.Time) ([]AuditEntry, error) {
	if until.IsZero() {
		until = s.now().Add(time.Millisecond)
	}
	var out []AuditEntry
	err := inReadTx(ctx, s.db, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT at, source, account, name, role, os_user, action, ticket, detail
			FROM audit WHERE at >= ? AND at < ? ORDER BY at, id`, sqldb.FormatTime(since), sqldb.FormatTime(until))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e AuditEntry
			var at string
			if err := rows.Scan(&at, &e.Source, &e.Account, &e.Name, &e.Role, &e.OSUser, &e.Action, &e.Ticket, &e.Detail); err != nil {
				return err
			}
			if e.At, err = sqldb.ParseTime(at); err != nil {
				return err
			}
			e.Kiosk = s.kioskID
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, storageError("audit log", err)
}

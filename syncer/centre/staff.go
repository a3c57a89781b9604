package centre

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"lobbyline/queue"
	"lobbyline/queue/pinhash"
)

// Staff accounts (issue 13 §4) are records of entity queue.EntityStaff,
// key the account's ID, that every kiosk of the site pulls. IT manages
// them here (central staff, the console); a kiosk sends the ones it makes
// (its first supervisor at set-up) as KindStaffAccount changes. Whichever
// copy changed last wins (StaffAccount.Newer), here as at kiosks. Every
// change made here leaves an audit entry in the same transaction.

// AuditRetention is how long the centre keeps an audit entry after it
// received it: a year, at every site. Entries name staff and tickets,
// never visitors, and a year covers the complaints and reviews they are
// kept for.
const AuditRetention = 365 * 24 * time.Hour

// ErrStaff marks a staff change the centre refuses: the message says why,
// in words IT can act on.
var ErrStaff = errors.New("centre: staff")

func staffError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrStaff, fmt.Sprintf(format, args...))
}

// Actor is who made a change at the centre: IT on its command line
// (queue.AuditCentre, with the operating-system user) or an admin in the
// fleet console (queue.AuditConsole).
type Actor struct {
	Source string // queue.AuditCentre or queue.AuditConsole
	Name   string // the operating-system user, or the console admin
	OSUser string // queue.AuditCentre: the user as the system knows it, and whether through sudo
}

// CommandLineActor is whoever runs a command at this machine that acts
// on the centre (central, or a kiosk's embedded centre): the
// operating-system user, or with sudo the user who ran sudo.
func CommandLineActor() Actor {
	a := queue.CommandLineActor(queue.AuditCentre)
	return Actor{Source: a.Source, Name: a.Name, OSUser: a.OSUser}
}

// CodeActor is who enrols a kiosk that redeems an enrolment code: the
// code, made by the actor its own entry names.
var CodeActor = Actor{Source: queue.AuditCentre, Name: "enrolment code"}

func (a Actor) check() error {
	if a.Source != queue.AuditCentre && a.Source != queue.AuditConsole {
		return fmt.Errorf("audit: source %q is not the centre's", a.Source)
	}
	if strings.TrimSpace(a.Name) == "" {
		return errors.New("audit: who made the change is not known")
	}
	return nil
}

// label is how an account's UpdatedBy names the actor.
func (a Actor) label() string {
	if a.Source == queue.AuditConsole {
		return a.Name + " (console)"
	}
	return a.Name + " (central)"
}

func (a Actor) entry(at time.Time, action, detail string) queue.AuditEntry {
	return queue.AuditEntry{At: at.UTC(), Source: a.Source, Name: a.Name, OSUser: a.OSUser, Action: action, Detail: detail}
}

// Audit actions the centre itself records.
const (
	ActionStaffAdd     = "staff_add"
	ActionStaffDisable = "staff_disable"
	ActionStaffEnable  = "staff_enable"
	ActionStaffPIN     = "staff_set_pin"
	ActionStaffBadge   = "staff_set_badge"
	ActionStaffNoBadge = "staff_remove_badge"
	ActionEnrolCode    = "enrol_code"
	ActionEnrol        = "enrol"
	ActionRevoke       = "revoke"
	ActionErase        = "erase"
)

// audit stores one of the centre's own entries, under kiosk "", epoch 0
// and a sequence number of the centre's clock in microseconds and 11
// random bits: entries made within one millisecond list in the order
// they were made, and two instances of the centre do not collide.
func (s *Service) audit(ctx context.Context, tx Ops, site string, e queue.AuditEntry) error {
	var b [2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	seq := s.now().UnixMicro()<<11 | int64(binary.BigEndian.Uint16(b[:])&0x7ff)
	if err := tx.PutAudit(ctx, []AuditRow{{Site: site, Seq: seq, Entry: e, Received: s.now()}}); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}

// DecodeStaffRecord reads a staff record's data as stored and pulled: a
// StaffAccount that passes Validate.
func DecodeStaffRecord(data []byte) (queue.StaffAccount, error) {
	var a queue.StaffAccount
	if err := json.Unmarshal(data, &a); err != nil {
		return queue.StaffAccount{}, fmt.Errorf("staff record: %w", err)
	}
	if err := a.Validate(); err != nil {
		return queue.StaffAccount{}, fmt.Errorf("staff record %s: %w", a.ID, err)
	}
	return a, nil
}

// StaffAccounts are a site's accounts, by name.
func (s *Service) StaffAccounts(ctx context.Context, site string) ([]queue.StaffAccount, error) {
	out, err := staffAccounts(ctx, s.store, site)
	if err != nil {
		return nil, fmt.Errorf("staff of %s: %w", site, err)
	}
	return out, nil
}

func staffAccounts(ctx context.Context, tx Ops, site string) ([]queue.StaffAccount, error) {
	recs, err := tx.Records(ctx, site, queue.EntityStaff)
	if err != nil {
		return nil, err
	}
	out := make([]queue.StaffAccount, 0, len(recs))
	for _, r := range recs {
		a, err := DecodeStaffRecord(r.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b queue.StaffAccount) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// HasSupervisor reports whether a site has an enabled supervisor
// account. A kiosk enrolled at a site without one asks for its first
// supervisor at set-up.
func (s *Service) HasSupervisor(ctx context.Context, site string) (bool, error) {
	accounts, err := s.StaffAccounts(ctx, site)
	if err != nil {
		return false, err
	}
	for _, a := range accounts {
		if a.Role == queue.RoleSupervisor && !a.Disabled {
			return true, nil
		}
	}
	return false, nil
}

// NewStaff is an account IT adds: the PIN and the badge's code as typed,
// which only their hashes outlive.
type NewStaff struct {
	Name  string
	Role  queue.Role
	PIN   string
	Badge string // "" for none
}

// NewStaffID makes an account's ID: "st-" and ten random letters and
// digits.
func NewStaffID() string {
	return "st-" + strings.ToLower(rand.Text()[:10])
}

// AddStaff adds an account at a site, which its kiosks receive when they
// next pull.
func (s *Service) AddStaff(ctx context.Context, site string, n NewStaff, by Actor) (queue.StaffAccount, error) {
	if err := by.check(); err != nil {
		return queue.StaffAccount{}, err
	}
	a := queue.StaffAccount{ID: NewStaffID(), Name: strings.TrimSpace(n.Name), Role: n.Role, UpdatedBy: by.label()}
	if !n.Role.Valid() {
		return queue.StaffAccount{}, staffError("a role is %s or %s", queue.RoleReception, queue.RoleSupervisor)
	}
	if err := checkStaffName(a.Name); err != nil {
		return queue.StaffAccount{}, err
	}
	var err error
	if a.PINHash, err = s.hashPIN(n.PIN); err != nil {
		return queue.StaffAccount{}, err
	}
	if n.Badge != "" {
		if a.BadgeHash, err = hashBadge(n.Badge); err != nil {
			return queue.StaffAccount{}, err
		}
	}
	err = s.store.Update(ctx, func(tx Ops) error {
		if err := lockSite(ctx, tx, site); err != nil {
			return err
		}
		others, err := staffAccounts(ctx, tx, site)
		if err != nil {
			return err
		}
		if err := unique(a, others); err != nil {
			return err
		}
		a.UpdatedAt = s.now().UTC()
		if err := a.Validate(); err != nil {
			return staffError("%s", safeText(err))
		}
		if _, err := s.writeRecords(ctx, tx, site, []RecordWrite{{Entity: queue.EntityStaff, Key: a.ID, Data: a}}); err != nil {
			return err
		}
		return s.audit(ctx, tx, site, by.entry(a.UpdatedAt, ActionStaffAdd, describe(a)))
	})
	if err != nil {
		return queue.StaffAccount{}, fmt.Errorf("add staff at %s: %w", site, err)
	}
	return a, nil
}

// SetStaffDisabled disables an account, or enables it again. An account
// is never deleted, so what it did keeps its name.
func (s *Service) SetStaffDisabled(ctx context.Context, site, id string, disabled bool, by Actor) (queue.StaffAccount, error) {
	action := ActionStaffEnable
	if disabled {
		action = ActionStaffDisable
	}
	return s.changeStaff(ctx, site, id, by, action, func(a *queue.StaffAccount, others []queue.StaffAccount) error {
		if a.Disabled == disabled {
			return staffError("%s is %s already", a.Name, map[bool]string{true: "disabled", false: "enabled"}[disabled])
		}
		a.Disabled = disabled
		return unique(*a, others)
	})
}

// SetStaffPIN gives an account a new PIN.
func (s *Service) SetStaffPIN(ctx context.Context, site, id, pin string, by Actor) (queue.StaffAccount, error) {
	hash, err := s.hashPIN(pin)
	if err != nil {
		return queue.StaffAccount{}, err
	}
	return s.changeStaff(ctx, site, id, by, ActionStaffPIN, func(a *queue.StaffAccount, _ []queue.StaffAccount) error {
		a.PINHash = hash
		return nil
	})
}

// SetStaffBadge gives an account a badge, by the code the scanner reads,
// or takes it away ("").
func (s *Service) SetStaffBadge(ctx context.Context, site, id, badge string, by Actor) (queue.StaffAccount, error) {
	hash, action := "", ActionStaffNoBadge
	if strings.TrimSpace(badge) != "" {
		var err error
		if hash, err = hashBadge(badge); err != nil {
			return queue.StaffAccount{}, err
		}
		action = ActionStaffBadge
	}
	return s.changeStaff(ctx, site, id, by, action, func(a *queue.StaffAccount, others []queue.StaffAccount) error {
		a.BadgeHash = hash
		return unique(*a, others)
	})
}

// changeStaff changes a stored account with fn, dates the change after
// whatever it replaces (so it wins even over a kiosk whose clock runs
// ahead), and audits it.
func (s *Service) changeStaff(ctx context.Context, site, id string, by Actor, action string, fn func(a *queue.StaffAccount, others []queue.StaffAccount) error) (queue.StaffAccount, error) {
	if err := by.check(); err != nil {
		return queue.StaffAccount{}, err
	}
	var a queue.StaffAccount
	err := s.store.Update(ctx, func(tx Ops) error {
		if err := lockSite(ctx, tx, site); err != nil {
			return err
		}
		accounts, err := staffAccounts(ctx, tx, site)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(accounts, func(a queue.StaffAccount) bool { return a.ID == id })
		if i < 0 {
			return fmt.Errorf("%w: no staff account %s at site %s", ErrNotFound, id, site)
		}
		a = accounts[i]
		if err := fn(&a, slices.Delete(accounts, i, i+1)); err != nil {
			return err
		}
		at := s.now().UTC()
		if !at.After(a.UpdatedAt) {
			at = a.UpdatedAt.Add(time.Millisecond)
		}
		a.UpdatedAt, a.UpdatedBy = at, by.label()
		if _, err := s.writeRecords(ctx, tx, site, []RecordWrite{{Entity: queue.EntityStaff, Key: a.ID, Data: a}}); err != nil {
			return err
		}
		return s.audit(ctx, tx, site, by.entry(s.now(), action, describe(a)))
	})
	if err != nil {
		return queue.StaffAccount{}, fmt.Errorf("change staff account %s at %s: %w", id, site, err)
	}
	return a, nil
}

// describe is an account in an audit entry's detail.
func describe(a queue.StaffAccount) string {
	return fmt.Sprintf("%s %s (%s)", a.ID, a.Name, a.Role)
}

func (s *Service) hashPIN(pin string) (string, error) {
	if err := pinhash.CheckPIN(pin); err != nil {
		return "", staffError("%v", err)
	}
	hash, err := pinhash.HashWith(pin, s.pinParams)
	if err != nil {
		return "", fmt.Errorf("hash PIN: %w", err)
	}
	return hash, nil
}

func hashBadge(code string) (string, error) {
	code = strings.TrimSpace(code)
	switch {
	case code == "":
		return "", staffError("the badge's code is empty")
	case len(code) > queue.MaxBadgeLength:
		return "", staffError("a badge's code has at most %d characters", queue.MaxBadgeLength)
	}
	return queue.HashBadge(code), nil
}

func checkStaffName(name string) error {
	if name == "" {
		return staffError("a staff account needs a name")
	}
	return plainText("name", name, queue.MaxNameLength)
}

// unique refuses an account whose name an enabled account of the site
// has, or whose badge another account has: staff pick their name from a
// list, and a badge names one account.
func unique(a queue.StaffAccount, others []queue.StaffAccount) error {
	for _, o := range others {
		if o.ID == a.ID {
			continue
		}
		if !a.Disabled && !o.Disabled && strings.EqualFold(o.Name, a.Name) {
			return staffError("%s is the name of another account (%s); staff pick their name from a list, so make the names differ", a.Name, o.ID)
		}
		if a.BadgeHash != "" && o.BadgeHash == a.BadgeHash {
			return staffError("this badge is %s's already (%s)", o.Name, o.ID)
		}
	}
	return nil
}

// safeText is the message of a queue.Error, without the package's prefix.
func safeText(err error) string {
	var qe *queue.Error
	if errors.As(err, &qe) {
		return qe.Text()
	}
	return err.Error()
}

// plainText refuses text that is not valid UTF-8, is longer than max
// characters or holds control characters.
func plainText(field, s string, max int) error {
	switch {
	case !utf8.ValidString(s):
		return staffError("%s is not valid UTF-8", field)
	case utf8.RuneCountInString(s) > max:
		return staffError("%s has more than %d characters", field, max)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }):
		return staffError("%s holds control characters", field)
	}
	return nil
}

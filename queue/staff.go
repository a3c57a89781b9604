package queue

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"lobbyline/queue/pinhash"
)

// Staff accounts (issue 13 §4). Each member of staff has an account with
// a name, a role and a personal PIN; a badge the USB scanner reads may
// stand in for tapping the name, never for the PIN. The centre manages a
// site's accounts and every kiosk of the site keeps a copy (entity
// EntityStaff), so sign-in works offline. An account made at a kiosk (the
// first supervisor at set-up, or by a supervisor in staff mode) travels
// to the centre as a KindStaffAccount change and comes back as a record.
//
// The name on every staff action is the signed-in account's. Every staff
// action also leaves an AuditEntry, which travels to the centre as a
// KindAudit change.

// Role is what an account may do. Reception runs the queue, checks
// visitors out, reads the roster and ticks the runbook; a supervisor also
// manages accounts, runs drills, quits the kiosk and re-sends refused
// changes.
type Role string

// Roles.
const (
	RoleReception  Role = "reception"
	RoleSupervisor Role = "supervisor"
)

// Valid reports whether r is a role.
func (r Role) Valid() bool { return r == RoleReception || r == RoleSupervisor }

// EntityStaff is the pulled record of a StaffAccount, key: its ID.
const EntityStaff = "staff"

// Change kinds for staff, beside the queue's.
const (
	KindStaffAccount = "staff_account" // an account made or changed at a kiosk; Mutation.Staff
	KindAudit        = "audit"         // a staff action; Mutation.Audit
)

// StaffAccount is one member of staff. PINHash is a pinhash (argon2id)
// hash; BadgeHash the hex SHA-256 of the badge's code, "" for no badge.
// An account is never deleted, only disabled, so old actions keep a name.
type StaffAccount struct {
	ID        string    `json:"id"` // "st-" and random letters, made where the account is made
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	PINHash   string    `json:"pin_hash"`
	BadgeHash string    `json:"badge_hash,omitempty"`
	Disabled  bool      `json:"disabled,omitempty"`
	UpdatedAt time.Time `json:"updated_at"` // the newest change wins, at the centre and at kiosks
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// MaxBadgeLength is the longest badge code a scanner may type.
const MaxBadgeLength = 128

// HashBadge is the BadgeHash of what the scanner typed for a badge.
func HashBadge(code string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(code)))
	return hex.EncodeToString(sum[:])
}

// Validate checks an account as it is stored or received.
func (a StaffAccount) Validate() error {
	switch {
	case !strings.HasPrefix(a.ID, "st-") || len(a.ID) < 8 || len(a.ID) > 40:
		return invalid("id", "error.staff.id", "A staff account's id is st- and 5 to 37 letters.", nil)
	case !a.Role.Valid():
		return invalid("role", "error.staff.role", "A staff account's role is reception or supervisor.", nil)
	case !pinhash.Valid(a.PINHash):
		return invalid("pin", "error.staff.pinhash", "A staff account's PIN is not stored as an argon2id hash.", nil)
	case a.BadgeHash != "" && len(a.BadgeHash) != 2*sha256.Size:
		return invalid("badge", "error.staff.badge", "A staff account's badge is not stored as a hash.", nil)
	case a.UpdatedAt.IsZero():
		return invalid("updated_at", "error.staff.updated", "A staff account has no time of its last change.", nil)
	}
	return CheckStaffName(a.Name)
}

// CheckStaffName is nil for a name an account may have, or an *Error that
// says what is wrong with it.
func CheckStaffName(name string) error {
	if strings.TrimSpace(name) == "" {
		return invalid("staff", "error.staff.name.empty", "Please enter the staff member's name.", nil)
	}
	if e := checkText("staff", name); e != nil {
		return e
	}
	return nil
}

// Newer reports whether a should replace b: it changed later, or at the
// same time with the larger hash (so every copy picks the same one).
func (a StaffAccount) Newer(b StaffAccount) bool {
	if !a.UpdatedAt.Equal(b.UpdatedAt) {
		return a.UpdatedAt.After(b.UpdatedAt)
	}
	return a.PINHash+a.BadgeHash+a.Name+string(a.Role) > b.PINHash+b.BadgeHash+b.Name+string(b.Role)
}

// Audit sources: where a staff action was taken.
const (
	AuditTouch   = "touch"   // on the kiosk's screen, by the signed-in account
	AuditCLI     = "cli"     // lobbyline-kiosk on the kiosk's machine; OSUser says who
	AuditCentre  = "centre"  // lobbyline-central on the centre's machine; OSUser says who
	AuditConsole = "console" // the fleet console; Account is the admin's name
)

// AuditEntry is one staff action. It names the account (or, from the
// command line, the operating-system user) and the visit's ticket, never
// a visitor's name.
type AuditEntry struct {
	At      time.Time `json:"at"`
	Kiosk   string    `json:"kiosk,omitempty"`
	Source  string    `json:"source"`            // AuditTouch, AuditCLI, …
	Account string    `json:"account,omitempty"` // StaffAccount.ID; "" from the command line
	Name    string    `json:"name"`              // the account's name, or the operating-system user
	Role    Role      `json:"role,omitempty"`
	OSUser  string    `json:"os_user,omitempty"`
	Action  string    `json:"action"`           // e.g. "sign_in", "call", "check_out", "drill_start"
	Ticket  string    `json:"ticket,omitempty"` // the visit's ticket, if the action was on one
	Detail  string    `json:"detail,omitempty"` // a short, non-personal note: a desk, a step, a count
}

package queue

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Status is where a visit stands.
type Status string

// A visit starts waiting, is called to a desk, and ends served, no-show or
// cancelled. Transfer puts it back to waiting in another service.
const (
	StatusWaiting   Status = "waiting"
	StatusCalled    Status = "called"
	StatusServed    Status = "served"
	StatusNoShow    Status = "no_show"
	StatusCancelled Status = "cancelled"
)

// Service is a reason to visit with its own line, e.g. "Registration".
type Service struct {
	ID     string            `json:"id"`              // stable key, e.g. "registration"
	Prefix string            `json:"prefix"`          // ticket prefix, e.g. "R"
	Name   string            `json:"name"`            // display name in the default language
	Names  map[string]string `json:"names,omitempty"` // display names by language code
	// TimePerVisitor is how long one desk takes per visitor while the
	// service has no history: the estimate is then the people ahead + 1,
	// times this, divided by the desks open.
	TimePerVisitor time.Duration `json:"time_per_visitor,omitempty"`
	// DefaultWait is the older setting, read as TimePerVisitor when that is
	// zero.
	DefaultWait time.Duration `json:"default_wait,omitempty"`
}

// DisplayName is the service's name in language lang, or its default name.
func (s Service) DisplayName(lang string) string {
	if n, ok := s.Names[lang]; ok && n != "" {
		return n
	}
	return s.Name
}

// Desk is a counter where staff call visitors.
type Desk struct {
	ID       string
	Name     string
	Services []string // service IDs this desk calls from
}

// Visit is one person's check-in.
type Visit struct {
	ID          int64
	Ticket      string // e.g. "R-042": service prefix and daily sequence
	Day         string // kiosk-local date the ticket belongs to, YYYY-MM-DD
	Service     string
	Name        string
	Host        string
	Phone       string
	Status      Status
	Desk        string // the desk that called it, if any
	Source      string // who checked in: "kiosk", "staff" or "cli"
	Invite      string // invite code the visitor checked in with, if any
	Priority    bool   // moved to the front by staff
	Recalls     int
	CheckedInAt time.Time
	CalledAt    time.Time // zero until called
	DoneAt      time.Time // zero until served, no-show or cancelled
	LeftAt      time.Time // zero until the visitor checked out (or the day was closed)
	// LeftProof is how the check-out was proved, once LeftAt is set; ""
	// for check-outs before proofs were recorded. Not personal: the
	// purge keeps it. Centres before it ignore the field.
	LeftProof Proof `json:",omitempty"`
	// Epoch is the epoch the visit was checked in under; the centre names
	// its record (kiosk/epoch/ID) by it, whatever epoch later changes to
	// it go in. Zero in changes from kiosks before it was sent.
	Epoch int64 `json:",omitempty"`
	// Origin is where a recovery took the visit's state from (an Origin
	// constant); "" for a visit never restored. It is not part of the
	// visit's changes: the centre hears it from a KindRestored change,
	// which a centre that does not take it leaves waiting.
	Origin Origin `json:"-"`
}

// Origin is where `kiosk recover` took a visit's state from.
type Origin string

// Origins, in the order a recovery uses them: each later one replaces
// an earlier one's state only where it is newer.
const (
	OriginNone     Origin = ""
	OriginSnapshot Origin = "snapshot"     // the newest sound snapshot
	OriginDamaged  Origin = "damaged-file" // its row was still readable in the damaged file
	OriginOutbox   Origin = "outbox"       // the copy a change in the outbox carried
	OriginCentre   Origin = "centre"       // the centre's copy
)

// Origins are the origins a recovery sets, in the order it uses them.
var Origins = []Origin{OriginSnapshot, OriginDamaged, OriginOutbox, OriginCentre}

// Check-in sources.
const (
	SourceKiosk = "kiosk"
	SourceStaff = "staff"
	SourceCLI   = "cli"
)

// MaxNameLength is the longest name or host the form accepts, in characters.
const MaxNameLength = 100

// CheckInForm is what a visitor (or staff for a walk-in) fills in.
type CheckInForm struct {
	Name    string
	Service string
	Host    string // whom they visit; optional
	Phone   string // optional
	Invite  string // invite code of a pre-registration; optional
}

// Normalize trims surrounding white space; the rest is kept exactly as typed.
func (f CheckInForm) Normalize() CheckInForm {
	return CheckInForm{
		Name:    strings.TrimSpace(f.Name),
		Service: strings.TrimSpace(f.Service),
		Host:    strings.TrimSpace(f.Host),
		Phone:   strings.TrimSpace(f.Phone),
		Invite:  NormalizeInvite(f.Invite),
	}
}

// Problems checks a normalized form and returns every problem it has, at
// most one per field and in the order the fields are shown, so a visitor
// can fix the whole form in one round. Nil means the form is valid as far
// as the form alone can tell (the store still checks the service and the
// invite against what it knows).
func (f CheckInForm) Problems() []*Error {
	var out []*Error
	add := func(e *Error) {
		if e != nil {
			out = append(out, e)
		}
	}
	if f.Name == "" && f.Invite == "" {
		add(invalid("name", "error.name.empty", "Please enter your name.", nil))
	} else {
		add(checkText("name", f.Name))
	}
	add(checkText("host", f.Host))
	add(checkPhone(f.Phone))
	if f.Service == "" {
		add(invalid("service", "error.service.empty", "Please choose why you are here.", nil))
	}
	if f.Invite != "" && !validInvite(f.Invite) {
		add(invalid("invite", "error.invite.format", "An invite code has 4 to 32 letters, digits and dashes, like AB12-CD34.", nil))
	}
	return out
}

// Validate checks a normalized form: nil, or a *FormError holding every
// problem of Problems.
func (f CheckInForm) Validate() error {
	if p := f.Problems(); len(p) > 0 {
		return &FormError{Problems: p}
	}
	return nil
}

func checkText(field, s string) *Error {
	if !utf8.ValidString(s) {
		return invalid(field, "error.text.encoding", "This text contains characters we cannot read.", nil)
	}
	if n := utf8.RuneCountInString(s); n > MaxNameLength {
		return invalid(field, "error.text.long", "Please keep this under {{.Max}} characters (now {{.Len}}).",
			map[string]any{"Max": MaxNameLength, "Len": n})
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return invalid(field, "error.text.control", "Please use letters, spaces and punctuation only.", nil)
		}
		if HiddenRune(r) {
			return hiddenText(field)
		}
	}
	return nil
}

// A phone number may hold digits, spaces and the usual separators, with an
// optional leading "+", and 6 to 15 digits (the E.164 maximum).
func checkPhone(p string) *Error {
	if p == "" {
		return nil
	}
	bad := invalid("phone", "error.phone", "Please enter a phone number with 6 to 15 digits, like +34 600 123 456.", nil)
	digits := 0
	for i, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return bad
		}
	}
	if digits < 6 || digits > 15 {
		return bad
	}
	return nil
}

// FormConfig is what a kiosk's configuration says that decides which of
// the check-in form's fields it asks for.
type FormConfig struct {
	// PhoneProof: a check-out by typed ticket number asks for the last
	// four digits of the phone given at check-in ([checkout] phone_proof).
	PhoneProof bool
	// Centre: the kiosk syncs with a centre, the one source of the
	// pre-registrations an invite code finds.
	Centre bool
}

// FormFields are the check-in form's fields a kiosk shows. The name and
// the reason for the visit are always asked: the ticket, the staff's
// call, the screening and the roster use them.
type FormFields struct {
	Host   bool // whom they visit
	Phone  bool
	Invite bool
}

// AskedFields is the one rule for what the check-in form asks (issue 13
// §6): a field is shown only while something the kiosk does with it is
// configured, and its label says what that is.
//
//   - Host: always. Staff see it on the on-site roster and the printed
//     list (where to look for someone in an evacuation) and find visits
//     by it; a pre-registration fills it in.
//   - Phone: only with phone proof, the one thing that uses it: a
//     check-out by typed ticket number asks for its last four digits.
//   - Invite code: only with a centre, which sends the pre-registrations
//     a code finds; a kiosk without one has none to find.
func AskedFields(c FormConfig) FormFields {
	return FormFields{Host: true, Phone: c.PhoneProof, Invite: c.Centre}
}

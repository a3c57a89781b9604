package queue

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxVisitClockSlip is how far before its check-in a visit's later times
// may lie. A kiosk's clock set back while a visitor waits (its time
// service correcting it, a clock that jumps an hour) gives a call
// "before" the check-in, honestly; a day covers those and still refuses
// times from another year.
const MaxVisitClockSlip = 24 * time.Hour

// CheckVisit is the one rule for what a visit may hold, shared by the
// kiosk, which checks every new visit with it before writing it, and the
// centre, which refuses a pushed change whose visit breaks it; both check
// a visitor's text with the check-in form's own functions (checkText,
// checkPhone, validInvite), so the rules cannot drift apart. It returns
// nil or an *Error naming the field.
//
// It asks: a positive id; a ticket "PREFIX-NNN" (a prefix of letters and
// digits, three or more digits); a day YYYY-MM-DD; a service and desk of
// at most 63 characters without control or hidden characters; the name,
// host, phone and invitation as the form accepts them (each may be empty:
// the purge empties them on the kiosk, and later changes carry the
// emptied visit); a known status, source and check-out proof; no
// negative recall count; a check-in time, and called, done and left times
// that are not before it (by more than MaxVisitClockSlip).
func CheckVisit(v Visit) error {
	if e := visitProblem(v); e != nil {
		return e
	}
	return nil
}

func visitProblem(v Visit) *Error {
	bad := func(field, what string, args ...any) *Error {
		return invalid(field, "error.visit.field", "This visit holds a value a kiosk cannot send ({{.Field}}: {{.What}}).",
			map[string]any{"Field": field, "What": fmt.Sprintf(what, args...)})
	}
	if v.ID <= 0 {
		return bad("id", "id %d is not positive", v.ID)
	}
	if !validTicket(v.Ticket) {
		return bad("ticket", "%q is not a ticket number like R-042", v.Ticket)
	}
	if _, err := time.Parse(time.DateOnly, v.Day); err != nil {
		return bad("day", "%q is not a date YYYY-MM-DD", v.Day)
	}
	if !validLabel(v.Service, true) {
		return bad("service", "%q is not a service id", v.Service)
	}
	if !validLabel(v.Desk, false) {
		return bad("desk", "%q is not a desk id", v.Desk)
	}
	for _, e := range []*Error{checkText("name", v.Name), checkText("host", v.Host), checkPhone(v.Phone)} {
		if e != nil {
			return e
		}
	}
	if v.Invite != "" && !validInvite(v.Invite) {
		return bad("invite", "%q is not an invite code", v.Invite)
	}
	switch v.Status {
	case StatusWaiting, StatusCalled, StatusServed, StatusNoShow, StatusCancelled:
	default:
		return bad("status", "%q is not a status", v.Status)
	}
	switch v.Source {
	case "", SourceKiosk, SourceStaff, SourceCLI: // "" from kiosks before sources
	default:
		return bad("source", "%q is not a source", v.Source)
	}
	switch v.LeftProof {
	case "", ProofQR, ProofPhone, ProofSelf, ProofStaff, ProofClose:
	default:
		return bad("proof", "%q is not a check-out proof", v.LeftProof)
	}
	if v.LeftProof != "" && v.LeftAt.IsZero() {
		return bad("proof", "a check-out proof without a check-out")
	}
	if v.Recalls < 0 || v.Epoch < 0 {
		return bad("recalls", "a negative count")
	}
	if v.CheckedInAt.IsZero() {
		return bad("checked_in_at", "no check-in time")
	}
	floor := v.CheckedInAt.Add(-MaxVisitClockSlip)
	for _, t := range []struct {
		field string
		at    time.Time
	}{{"called_at", v.CalledAt}, {"done_at", v.DoneAt}, {"left_at", v.LeftAt}} {
		if !t.at.IsZero() && t.at.Before(floor) {
			return bad(t.field, "%s is before the check-in at %s", t.at.Format(time.RFC3339), v.CheckedInAt.Format(time.RFC3339))
		}
	}
	return nil
}

// validTicket is "PREFIX-NNN": a prefix of 1 to 16 letters and digits, a
// dash, and 3 to 9 digits (the kiosk pads the day's number to three).
func validTicket(t string) bool {
	prefix, num, ok := strings.Cut(t, "-")
	if !ok || prefix == "" || len(prefix) > 16 || len(num) < 3 || len(num) > 9 {
		return false
	}
	for _, r := range prefix {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	for _, c := range []byte(num) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validLabel is a service or desk id from a kiosk's configuration: at most
// 63 characters, none of them control, hidden or white space.
func validLabel(s string, required bool) bool {
	if s == "" {
		return !required
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 63 {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || HiddenRune(r) {
			return false
		}
	}
	return true
}

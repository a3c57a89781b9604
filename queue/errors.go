package queue

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"lobbyline/queue/sqldb"
)

// Error codes say what kind of failure an Error is, so callers can decide
// what to do without parsing messages.
const (
	EInvalid  = "invalid"   // bad input; the message says which field and why
	ENotFound = "not_found" // no such visit, desk or service
	EConflict = "conflict"  // the action is not allowed in the current state
	ELocked   = "locked"    // staff mode is locked after too many wrong PINs
	EInternal = "internal"  // storage failure; the cause is in Err
	EDamaged  = "damaged"   // the database is damaged: nothing is read or written until it is recovered
)

// Error is a failure a visitor or staff member may see. Key and Message are
// the translation key and its English text with {{.Name}}-style
// placeholders filled from Args; Err keeps the technical cause for logs.
type Error struct {
	Code    string
	Field   string // the form field at fault, if any
	Key     string
	Message string
	Args    map[string]any
	Until   time.Time // for ELocked: when the lock ends
	// Fault, for EInternal, is what the storage error says of the disk
	// (full, read-only, …); FaultNone for anything else.
	Fault sqldb.Fault
	Err   error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("queue: %s: %v", e.Text(), e.Err)
	}
	return "queue: " + e.Text()
}

// Text is the English message with its placeholders filled in.
func (e *Error) Text() string {
	msg := e.Message
	for k, v := range e.Args {
		msg = strings.ReplaceAll(msg, "{{."+k+"}}", fmt.Sprint(v))
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code of the *Error in err's chain, EInternal for any
// other error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// FormError is every problem of a form at once, each an *Error naming the
// field at fault. errors.As finds the first of them as an *Error, so a
// caller that shows one message still can.
type FormError struct {
	Problems []*Error
}

func (e *FormError) Error() string {
	texts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		texts[i] = p.Text()
	}
	return "queue: " + strings.Join(texts, "; ")
}

func (e *FormError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

func invalid(field, key, msg string, args map[string]any) *Error {
	return &Error{Code: EInvalid, Field: field, Key: key, Message: msg, Args: args}
}

func conflict(key, msg string, args map[string]any) *Error {
	return &Error{Code: EConflict, Key: key, Message: msg, Args: args}
}

func notFound(key, msg string, args map[string]any) *Error {
	return &Error{Code: ENotFound, Key: key, Message: msg, Args: args}
}

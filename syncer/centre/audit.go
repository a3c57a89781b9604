package centre

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"lobbyline/queue"
	"lobbyline/queue/csvsafe"
	"lobbyline/queue/sqldb"
)

// What a kiosk's audit entry and staff account may hold.
const (
	maxAuditAction = 64
	maxAuditTicket = 32
	maxAuditDetail = 500
	// StaffClockSlack is how far ahead of the centre's clock a kiosk may
	// date an account it changed. Further ahead, the change would win over
	// every change made after it for as long as the kiosk's clock is
	// wrong; it is refused instead, and staff see it on the kiosk.
	StaffClockSlack = 24 * time.Hour
)

// AuditLog is a site's audit entries in a query's time range, oldest
// first.
func (s *Service) AuditLog(ctx context.Context, q AuditQuery) ([]AuditRow, error) {
	out, err := s.store.AuditLog(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("audit log of %s: %w", q.Site, err)
	}
	return out, nil
}

// checkAudit returns why a kiosk's audit entry cannot be stored, or "". A
// kiosk speaks for itself only: an entry of another kiosk, or one that
// claims to come from the centre or the console, is refused.
func checkAudit(e *queue.AuditEntry, self string) string {
	if e == nil {
		return "an audit change without its entry"
	}
	switch {
	case e.Kiosk != self:
		return fmt.Sprintf("audit entry names kiosk %q, not %q: a kiosk sends its own entries only", e.Kiosk, self)
	case e.Source != queue.AuditTouch && e.Source != queue.AuditCLI:
		return fmt.Sprintf("audit entry's source %q is not a kiosk's (%s or %s)", e.Source, queue.AuditTouch, queue.AuditCLI)
	case e.At.IsZero():
		return "audit entry has no time"
	case strings.TrimSpace(e.Name) == "":
		return "audit entry names nobody"
	case e.Role != "" && !e.Role.Valid():
		return fmt.Sprintf("audit entry's role %q is not reception or supervisor", e.Role)
	case e.Action == "" || len(e.Action) > maxAuditAction || strings.ContainsFunc(e.Action, func(r rune) bool { return (r < 'a' || r > 'z') && r != '_' && (r < '0' || r > '9') }):
		return fmt.Sprintf("audit entry's action %q is not lower-case letters, digits and underscores, up to %d", e.Action, maxAuditAction)
	}
	if err := plainText("audit entry's name", e.Name, queue.MaxNameLength); err != nil {
		return strings.TrimPrefix(err.Error(), ErrStaff.Error()+": ")
	}
	return ""
}

// tidyAudit is a kiosk's audit entry as the centre stores it: the notes
// that do not say who did what (account, operating-system user, ticket,
// detail) cut to a length and with control characters made spaces, rather
// than the entry refused for them: a refused entry would stay on the
// kiosk for staff to deal with, for a note's sake.
func tidyAudit(e queue.AuditEntry) queue.AuditEntry {
	e.Account = tidy(e.Account, 40)
	e.OSUser = tidy(e.OSUser, queue.MaxNameLength)
	e.Ticket = tidy(e.Ticket, maxAuditTicket)
	e.Detail = tidy(e.Detail, maxAuditDetail)
	return e
}

func tidy(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}

// checkStaff returns why a staff account a kiosk sent cannot be stored,
// or "".
func checkStaff(a *queue.StaffAccount, now time.Time) string {
	if a == nil {
		return "a staff account change without its account"
	}
	if err := a.Validate(); err != nil {
		return "staff account " + a.ID + ": " + safeText(err)
	}
	if a.UpdatedAt.After(now.Add(StaffClockSlack)) {
		return fmt.Sprintf("staff account %s is dated %s, more than %s ahead of the centre's clock (%s): set the kiosk's clock",
			a.ID, sqldb.FormatTime(a.UpdatedAt), StaffClockSlack, sqldb.FormatTime(now))
	}
	return ""
}

// storeStaff writes the batch's staff accounts that are new to the site
// or newer than its copy (StaffAccount.Newer), in batch order; an older
// one changes nothing, and the kiosk gets the newer copy when it pulls.
// It runs with the site's row held.
func (p *pushTx) storeStaff(ctx context.Context) error {
	if len(p.staff) == 0 {
		return nil
	}
	latest := make(map[string]queue.StaffAccount)
	for _, a := range p.staff {
		cur, ok := latest[a.ID]
		if !ok {
			data, found, err := p.tx.Record(ctx, p.k.Site, queue.EntityStaff, a.ID)
			if err != nil {
				return fmt.Errorf("read staff account %s: %w", a.ID, err)
			}
			if found {
				// A copy the centre cannot read is replaced by one it can.
				cur, _ = DecodeStaffRecord(data)
				ok = cur.ID != ""
			}
		}
		if ok && !a.Newer(cur) {
			continue
		}
		latest[a.ID] = a
		p.writes = append(p.writes, RecordWrite{Entity: queue.EntityStaff, Key: a.ID, Data: a})
	}
	return nil
}

// storeAudit writes the batch's audit entries, each under its mutation's
// name, once.
func (p *pushTx) storeAudit(ctx context.Context) error {
	if len(p.audits) == 0 {
		return nil
	}
	if err := p.tx.PutAudit(ctx, p.audits); err != nil {
		return fmt.Errorf("store audit entries: %w", err)
	}
	return nil
}

// WriteAuditCSV writes audit entries for a spreadsheet: times in UTC RFC
// 3339, and every cell a kiosk or a person typed through csvsafe.Cell.
func WriteAuditCSV(out io.Writer, rows []AuditRow) error {
	w := csv.NewWriter(out)
	if err := w.Write([]string{"at", "kiosk", "source", "account", "name", "role", "os_user", "action", "ticket", "detail", "received", "epoch", "seq"}); err != nil {
		return err
	}
	for _, r := range rows {
		e := r.Entry
		rec := []string{e.At.UTC().Format(time.RFC3339Nano), csvsafe.Cell(r.Kiosk), csvsafe.Cell(e.Source), csvsafe.Cell(e.Account),
			csvsafe.Cell(e.Name), csvsafe.Cell(string(e.Role)), csvsafe.Cell(e.OSUser), csvsafe.Cell(e.Action), csvsafe.Cell(e.Ticket),
			csvsafe.Cell(e.Detail), r.Received.UTC().Format(time.RFC3339Nano), strconv.FormatInt(r.Epoch, 10), strconv.FormatInt(r.Seq, 10)}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

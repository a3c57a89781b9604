package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"lobbyline/internal/secretin"
	"lobbyline/queue"
	"lobbyline/syncer/centre"
)

// Staff accounts at the centre (issue 13 §4). A PIN or a badge's code is
// never taken from the command line, where ps and the shell's history
// would show it: it is typed twice at a terminal without echo, or read a
// line at a time from standard input (the PIN first, then the badge's
// code). Nothing here prints a hash.

// actor is who runs this command, for the audit log: the
// operating-system user, or with sudo the user who ran sudo.
func (m *Main) actor() centre.Actor { return centre.CommandLineActor() }

// neverOnCommandLine is a flag that refuses to take a secret, saying how
// to give it instead.
func neverOnCommandLine(fs *flag.FlagSet, name, what string) {
	fs.Func(name, what+" is never taken on the command line, where ps and the shell's history show it: type it when asked, or pipe it on stdin", func(string) error {
		return fmt.Errorf("%s is never taken on the command line, where ps and the shell's history show it; type it when asked, or pipe it on stdin", what)
	})
}

// staffSecrets reads a staff account's PIN and badge code.
func staffSecrets(m *Main) *secretin.Input {
	return secretin.New(m.Stdin, m.Stderr, "pipe it in, one line each (the PIN first, then the badge's code)")
}

func checkPIN(pin string) error {
	if len(pin) < 6 || len(pin) > 12 || strings.ContainsFunc(pin, func(r rune) bool { return r < '0' || r > '9' }) {
		return errors.New("a PIN has 6 to 12 digits; nothing changed")
	}
	return nil
}

func checkBadge(code string) error {
	if code = strings.TrimSpace(code); code == "" || len(code) > queue.MaxBadgeLength {
		return fmt.Errorf("a badge's code has 1 to %d characters; nothing changed", queue.MaxBadgeLength)
	}
	return nil
}

// staffSite is the --site flag every staff command takes.
type staffSite struct{ site string }

func (c *staffSite) flag(fs *flag.FlagSet) {
	fs.StringVar(&c.site, "site", "", "the account's `SITE` (required)")
}

// staffAccount is --site and --id, for the commands that change one.
type staffAccount struct {
	staffSite
	id string
}

func (c *staffAccount) flags(fs *flag.FlagSet) {
	c.flag(fs)
	fs.StringVar(&c.id, "id", "", "the account's `ID`, st-…, as central staff list shows it (required)")
}

// noArguments refuses arguments, where a PIN would show in ps and the
// shell's history.
func noArguments(args []string) error {
	if len(args) > 0 {
		return errors.New("takes no arguments; a PIN or a badge's code is never taken on the command line, where ps and the shell's history show it: type it when asked, or pipe it on stdin")
	}
	return nil
}

func (c *staffAccount) args(args []string) error {
	if err := noArguments(args); err != nil {
		return err
	}
	if !strings.HasPrefix(c.id, "st-") {
		return errors.New("--id ID is required: the account's id, st-…, as central staff list shows it")
	}
	return checkSite(c.site)
}

type staffAddCmd struct {
	staffSite
	name  string
	role  queue.Role
	badge bool
}

func (c *staffAddCmd) flags(fs *flag.FlagSet) {
	c.flag(fs)
	fs.StringVar(&c.name, "name", "", "the staff member's `NAME`, as they pick it at the kiosk (required)")
	fs.Func("role", "`ROLE`: reception or supervisor (required)", func(s string) error {
		if c.role = queue.Role(s); !c.role.Valid() {
			return errors.New("must be reception or supervisor")
		}
		return nil
	})
	fs.BoolVar(&c.badge, "badge", false, "also read the code of the badge the staff member scans to pick their name (after the PIN)")
	neverOnCommandLine(fs, "pin", "a PIN")
	neverOnCommandLine(fs, "badge-code", "a badge's code")
}

func (c *staffAddCmd) args(args []string) error {
	if err := noArguments(args); err != nil {
		return err
	}
	if err := checkSite(c.site); err != nil {
		return err
	}
	if c.name = strings.TrimSpace(c.name); c.name == "" {
		return errors.New("--name NAME is required")
	}
	if c.role == "" {
		return errors.New("--role reception or --role supervisor is required")
	}
	return checkText("--name", c.name, queue.MaxNameLength)
}

func (c *staffAddCmd) run(ctx context.Context, m *Main) error {
	by := m.actor()
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := siteExists(ctx, st, c.site); err != nil {
		return err
	}
	in := staffSecrets(m)
	n := centre.NewStaff{Name: c.name, Role: c.role}
	if n.PIN, err = in.Read("PIN", checkPIN); err != nil {
		return err
	}
	if c.badge {
		if n.Badge, err = in.Read("badge code", checkBadge); err != nil {
			return err
		}
	}
	a, err := st.AddStaff(ctx, c.site, n, by)
	if err != nil {
		return staffRefusal(err)
	}
	fmt.Fprintf(m.Stdout, "Added %s (%s), account %s, at site %s. The site's kiosks get it at their next sync.\n", a.Name, a.Role, a.ID, c.site)
	return nil
}

// staffRefusal turns the centre's refusal into what IT reads.
func staffRefusal(err error) error {
	if errors.Is(err, centre.ErrStaff) {
		_, why, _ := strings.Cut(err.Error(), centre.ErrStaff.Error()+": ")
		return errors.New(why + "; nothing changed")
	}
	if errors.Is(err, centre.ErrNotFound) {
		return errors.New("no such staff account at this site (see: central staff list --site SITE); nothing changed")
	}
	return err
}

type staffListCmd struct {
	staffSite
	json bool
}

func (c *staffListCmd) flags(fs *flag.FlagSet) {
	c.flag(fs)
	fs.BoolVar(&c.json, "json", false, "print JSON")
}

func (c *staffListCmd) args(args []string) error {
	if err := wantArgs(args); err != nil {
		return err
	}
	return checkSite(c.site)
}

// staffJSON is an account as `central staff list --json` prints it:
// whether it has a badge, never a hash.
type staffJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      queue.Role `json:"role"`
	Badge     bool       `json:"badge"`
	Disabled  bool       `json:"disabled"`
	UpdatedAt time.Time  `json:"updated_at"`
	UpdatedBy string     `json:"updated_by"`
}

func (c *staffListCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := siteExists(ctx, st, c.site); err != nil {
		return err
	}
	accounts, err := st.StaffAccounts(ctx, c.site)
	if err != nil {
		return err
	}
	if c.json {
		out := make([]staffJSON, 0, len(accounts))
		for _, a := range accounts {
			out = append(out, staffJSON{a.ID, a.Name, a.Role, a.BadgeHash != "", a.Disabled, a.UpdatedAt.UTC(), a.UpdatedBy})
		}
		return printJSON(m.Stdout, out)
	}
	if len(accounts) == 0 {
		fmt.Fprintf(m.Stdout, "No staff accounts at site %s. Add one with: central staff add --site %s --name NAME --role supervisor\n", c.site, c.site)
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tBADGE\tDISABLED\tLAST CHANGE\tBY")
	for _, a := range accounts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, oneLine(a.Name), a.Role, yesNo(a.BadgeHash != ""), yesNo(a.Disabled),
			a.UpdatedAt.Local().Format(whenFormat), oneLine(a.UpdatedBy))
	}
	return tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

type staffDisableCmd struct {
	staffAccount
	disable bool
}

func (c *staffDisableCmd) run(ctx context.Context, m *Main) error {
	return c.change(ctx, m, func(st *centre.Service, by centre.Actor) (queue.StaffAccount, error) {
		return st.SetStaffDisabled(ctx, c.site, c.id, c.disable, by)
	}, map[bool]string{true: "Disabled %s (%s): it cannot sign in at the site's kiosks once they sync; what it did keeps its name.\n",
		false: "Enabled %s (%s) again at the site's kiosks, from their next sync.\n"}[c.disable])
}

// change runs one change of an account and says what it did.
func (c *staffAccount) change(ctx context.Context, m *Main, fn func(*centre.Service, centre.Actor) (queue.StaffAccount, error), done string) error {
	by := m.actor()
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := siteExists(ctx, st, c.site); err != nil {
		return err
	}
	a, err := fn(st, by)
	if err != nil {
		return staffRefusal(err)
	}
	fmt.Fprintf(m.Stdout, done, a.Name, a.ID)
	return nil
}

type staffSetPINCmd struct{ staffAccount }

func (c *staffSetPINCmd) flags(fs *flag.FlagSet) {
	c.staffAccount.flags(fs)
	neverOnCommandLine(fs, "pin", "a PIN")
}

func (c *staffSetPINCmd) run(ctx context.Context, m *Main) error {
	pin, err := staffSecrets(m).Read("new PIN", checkPIN)
	if err != nil {
		return err
	}
	return c.change(ctx, m, func(st *centre.Service, by centre.Actor) (queue.StaffAccount, error) {
		return st.SetStaffPIN(ctx, c.site, c.id, pin, by)
	}, "Set a new PIN for %s (%s); the site's kiosks take it at their next sync.\n")
}

type staffSetBadgeCmd struct {
	staffAccount
	remove bool
}

func (c *staffSetBadgeCmd) flags(fs *flag.FlagSet) {
	c.staffAccount.flags(fs)
	fs.BoolVar(&c.remove, "remove", false, "take the account's badge away instead of reading a new one")
	neverOnCommandLine(fs, "badge-code", "a badge's code")
}

func (c *staffSetBadgeCmd) run(ctx context.Context, m *Main) error {
	code, done := "", "Took the badge of %s (%s) away; they tap their name instead.\n"
	if !c.remove {
		var err error
		if code, err = staffSecrets(m).Read("badge code", checkBadge); err != nil {
			return err
		}
		done = "Set the badge of %s (%s); the site's kiosks take it at their next sync.\n"
	}
	return c.change(ctx, m, func(st *centre.Service, by centre.Actor) (queue.StaffAccount, error) {
		return st.SetStaffBadge(ctx, c.site, c.id, code, by)
	}, done)
}

// auditCmd exports a site's audit log.
type auditCmd struct {
	site         string
	since, until time.Time
	csv, json    bool
}

func (c *auditCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.site, "site", "", "the `SITE` whose audit log to export (required)")
	date := func(into *time.Time, dayAfter bool) func(string) error {
		return func(s string) error {
			t, err := time.ParseInLocation(time.DateOnly, s, time.Local)
			if err != nil {
				return errors.New("must be a date like 2026-03-02")
			}
			if dayAfter {
				t = t.AddDate(0, 0, 1)
			}
			*into = t
			return nil
		}
	}
	fs.Func("since", "only entries made on or after this `DATE` (YYYY-MM-DD, local time)", date(&c.since, false))
	fs.Func("until", "only entries made on or before this `DATE` (YYYY-MM-DD, local time)", date(&c.until, true))
	fs.BoolVar(&c.csv, "csv", false, "print CSV with a header row, for a spreadsheet")
	fs.BoolVar(&c.json, "json", false, "print JSON")
}

func (c *auditCmd) args(args []string) error {
	if err := wantArgs(args); err != nil {
		return err
	}
	if c.csv && c.json {
		return errors.New("--csv or --json, not both")
	}
	if !c.since.IsZero() && !c.until.IsZero() && !c.until.After(c.since) {
		return errors.New("--until is before --since")
	}
	return checkSite(c.site)
}

// auditJSON is an entry as `central audit --json` prints it.
type auditJSON struct {
	At       time.Time `json:"at"`
	Kiosk    string    `json:"kiosk"`
	Source   string    `json:"source"`
	Account  string    `json:"account"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	OSUser   string    `json:"os_user"`
	Action   string    `json:"action"`
	Ticket   string    `json:"ticket"`
	Detail   string    `json:"detail"`
	Received time.Time `json:"received"`
}

func (c *auditCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := siteExists(ctx, st, c.site); err != nil {
		return err
	}
	rows, err := st.AuditLog(ctx, centre.AuditQuery{Site: c.site, Since: c.since, Until: c.until})
	if err != nil {
		return err
	}
	switch {
	case c.csv:
		return centre.WriteAuditCSV(m.Stdout, rows)
	case c.json:
		out := make([]auditJSON, 0, len(rows))
		for _, r := range rows {
			e := r.Entry
			out = append(out, auditJSON{e.At.UTC(), r.Kiosk, e.Source, e.Account, e.Name, string(e.Role), e.OSUser, e.Action, e.Ticket, e.Detail, r.Received.UTC()})
		}
		return printJSON(m.Stdout, out)
	}
	if len(rows) == 0 {
		fmt.Fprintf(m.Stdout, "No audit entries at site %s in that time.\n", c.site)
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tWHERE\tWHO\tROLE\tACTION\tTICKET\tDETAIL")
	for _, r := range rows {
		e := r.Entry
		where := r.Kiosk
		if where == "" {
			where = "centre"
		}
		where += " (" + e.Source + ")"
		who := e.Name
		if e.OSUser != "" && e.OSUser != e.Name {
			who += " [" + e.OSUser + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format(whenFormat), oneLine(where), oneLine(who), e.Role,
			oneLine(e.Action), oneLine(e.Ticket), oneLine(e.Detail))
	}
	return tw.Flush()
}

package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"lobbyline/internal/secretin"
	"lobbyline/queue"
	"lobbyline/queue/csvsafe"
	"lobbyline/syncer/wire"
)

// Staff accounts at the command line: for a lobby with no centre, for the
// first supervisor of a kiosk, and for IT. PINs and badge codes are read
// from standard input (or asked at a terminal), never from the command
// line, which other users of the machine can read. What is done here is
// audited as the operating-system user, from the command line.

const staffUsage = `usage: lobbyline-kiosk staff COMMAND [flags]
  list                                      the accounts (never their PINs)
  add --name NAME --role reception|supervisor [--badge]
                                            a new account; its PIN (and badge code) read from stdin
  set-pin --id ID                           a new PIN for an account, read from stdin
  set-badge --id ID                         a new badge code for an account, read from stdin ("" to remove)
  disable --id ID | enable --id ID          switch an account off or on`

func staffCmd(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		return errors.New(staffUsage)
	}
	sub, args := args[0], args[1:]
	fs := m.flags("staff "+sub, "Staff accounts.")
	name := fs.String("name", "", "the account's `NAME`, as staff tap it")
	role := fs.String("role", "", "`reception` or supervisor")
	id := fs.String("id", "", "the account's `ID` (see staff list)")
	badge := fs.Bool("badge", false, "also read a badge's code after the PIN")
	asJSON := fs.Bool("json", false, "list as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("staff %s takes flags only, got %q (a PIN is read from standard input, never given here)", sub, fs.Args())
	}
	in := secretin.New(m.Stdin, m.Stderr, `pipe it in, one line each (the PIN first, then the badge's code), e.g. printf '%s\n' "$PIN" | lobbyline-kiosk staff …`)
	switch sub {
	case "list":
		return listStaff(ctx, m, *asJSON)
	case "add":
		r := queue.Role(*role)
		if !r.Valid() {
			return errors.New("--role is reception or supervisor")
		}
		pin, err := in.Read("PIN (6 to 12 digits)", queue.CheckStaffPIN)
		if err != nil {
			return describe(err)
		}
		code := ""
		if *badge {
			if code, err = in.Read("badge (scan it)", nil); err != nil {
				return err
			}
		}
		a, err := queue.NewStaffAccount(*name, r, pin, code, time.Now(), queue.CommandLineActor(queue.AuditCLI).Name)
		if err != nil {
			return describe(err)
		}
		if err := m.store.SaveStaffAccount(ctx, a); err != nil {
			return describe(err)
		}
		fmt.Fprintf(m.Stdout, "added %s (%s), id %s\n", a.Name, a.Role, a.ID)
		return nil
	case "set-pin", "set-badge", "disable", "enable":
		a, err := m.store.StaffAccount(ctx, *id)
		if err != nil {
			return describe(err)
		}
		switch sub {
		case "set-pin":
			pin, err := in.Read("new PIN (6 to 12 digits)", queue.CheckStaffPIN)
			if err != nil {
				return describe(err)
			}
			fresh, err := queue.NewStaffAccount(a.Name, a.Role, pin, "", time.Now(), "")
			if err != nil {
				return describe(err)
			}
			a.PINHash = fresh.PINHash
		case "set-badge":
			code, err := in.Read("badge (scan it; nothing to remove it)", nil)
			if err != nil && !errors.Is(err, secretin.ErrEmpty) {
				return err
			}
			a.BadgeHash = ""
			if code != "" {
				fresh, err := queue.NewStaffAccount(a.Name, a.Role, "000000", code, time.Now(), "")
				if err != nil {
					return describe(err)
				}
				a.BadgeHash = fresh.BadgeHash
			}
		default:
			a.Disabled = sub == "disable"
		}
		a.UpdatedAt, a.UpdatedBy = time.Now().UTC(), queue.CommandLineActor(queue.AuditCLI).Name
		if err := m.store.SaveStaffAccount(ctx, a); err != nil {
			return describe(err)
		}
		fmt.Fprintf(m.Stdout, "%s: %s done\n", a.Name, sub)
		return nil
	}
	return fmt.Errorf("unknown staff command %q\n%s", sub, staffUsage)
}

type staffJSON struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Role     queue.Role `json:"role"`
	Badge    bool       `json:"badge"`
	Disabled bool       `json:"disabled"`
	Updated  time.Time  `json:"updated_at"`
	By       string     `json:"updated_by,omitempty"`
}

func listStaff(ctx context.Context, m *Main, asJSON bool) error {
	accounts, err := m.store.StaffAccounts(ctx, true)
	if err != nil {
		return err
	}
	out := make([]staffJSON, 0, len(accounts))
	for _, a := range accounts {
		out = append(out, staffJSON{ID: a.ID, Name: a.Name, Role: a.Role, Badge: a.BadgeHash != "", Disabled: a.Disabled, Updated: a.UpdatedAt, By: a.UpdatedBy})
	}
	if asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tBADGE\tSTATE\tCHANGED")
	for _, a := range out {
		state := "on"
		if a.Disabled {
			state = "off"
		}
		badge := "-"
		if a.Badge {
			badge = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s by %s\n", a.ID, a.Name, a.Role, badge, state, a.Updated.Local().Format("2006-01-02 15:04"), a.By)
	}
	return tw.Flush()
}

// auditCmd prints the kiosk's audit log: who did what, when, from where.
func auditCmd(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("audit", "Print the staff actions recorded on this kiosk.")
	since := fs.String("since", "", "from this `DATE` (YYYY-MM-DD, local time; default: 30 days ago)")
	asJSON := fs.Bool("json", false, "print JSON")
	asCSV := fs.Bool("csv", false, "print CSV")
	if err := fs.Parse(args); err != nil {
		return err
	}
	from := time.Now().AddDate(0, 0, -30)
	if *since != "" {
		d, err := time.ParseInLocation("2006-01-02", *since, time.Local)
		if err != nil {
			return fmt.Errorf("--since is a date like 2026-12-01: %w", err)
		}
		from = d
	}
	log, err := m.store.AuditLog(ctx, from, time.Time{})
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		if log == nil {
			log = []queue.AuditEntry{}
		}
		return enc.Encode(log)
	case *asCSV:
		w := csv.NewWriter(m.Stdout)
		_ = w.Write([]string{"at", "kiosk", "source", "account", "name", "role", "os_user", "action", "ticket", "detail"})
		for _, e := range log {
			_ = w.Write([]string{e.At.Format(time.RFC3339), e.Kiosk, e.Source, e.Account, csvsafe.Cell(e.Name), string(e.Role),
				csvsafe.Cell(e.OSUser), e.Action, e.Ticket, csvsafe.Cell(e.Detail)})
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tWHO\tFROM\tACTION\tTICKET\tDETAIL")
	for _, e := range log {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format("2006-01-02 15:04:05"), e.Name, e.Source, e.Action, e.Ticket, e.Detail)
	}
	return tw.Flush()
}

// hasSupervisor reports whether the kiosk's database holds an enabled
// supervisor account, without making a database where there is none.
func (m *Main) hasSupervisor(ctx context.Context) (bool, error) {
	if m.store == nil {
		if _, err := os.Stat(m.DBPath); errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		if err := m.openStore(ctx, false); err != nil {
			return false, err
		}
	}
	return m.store.HasSupervisor(ctx)
}

// applyEnrolmentStaff keeps the accounts an enrolment answer brought, and
// says whether the site has a supervisor among them.
func (m *Main) applyEnrolmentStaff(ctx context.Context, records []wire.Record) (supervisor bool, err error) {
	recs := make([]queue.RemoteRecord, 0, len(records))
	for _, r := range records {
		recs = append(recs, queue.RemoteRecord{Entity: r.Entity, Key: r.Key, Version: r.Version, Deleted: r.Deleted, Data: r.Data})
		var a queue.StaffAccount
		if r.Entity == queue.EntityStaff && json.Unmarshal(r.Data, &a) == nil && a.Role == queue.RoleSupervisor && !a.Disabled {
			supervisor = true
		}
	}
	if m.store != nil {
		err = m.store.ApplyStaffRecords(ctx, recs)
	}
	return supervisor, err
}

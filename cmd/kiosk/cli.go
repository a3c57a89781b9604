package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"lobbyline/internal/secretin"
	"lobbyline/queue"
	"lobbyline/queue/estimate"
	"lobbyline/queue/waiteval"
	"lobbyline/syncer"
)

type command func(ctx context.Context, m *Main, args []string) error

// offlineCommands need no database.
var offlineCommands = map[string]command{
	"wait-eval":    waitEval,
	"hash-pin":     hashPIN,
	"check-config": checkConfig,
	"enroll":       enrollCmd,
	"restore":      restore,
	"recover":      recoverCmd,
	"version":      printVersion,
}

// storeCommands open the kiosk's database first; "" is the UI.
var storeCommands = map[string]command{
	"":           runUI,
	"checkin":    checkIn,
	"queue":      listQueue,
	"open-desk":  openDesk,
	"close-desk": closeDesk,
	"call-next":  callNext,
	"export":     export,
	"sync":       syncNow,
	"incidents":  listIncidents,
	"report":     writeReport,
	"drill":      drill,
	"roster":     roster,
	"checkout":   checkOut,
	"close-day":  closeDay,
	"purge":      purge,
	"backup":     backup,
	"snapshot":   snapshotCmd,
	"prune":      prune,
	"staff":      staffCmd,
	"audit":      auditCmd,
}

func (m *Main) flags(name, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: kiosk %s [flags]\n%s\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

// describe turns a store error into one line for a terminal.
func describe(err error) error {
	if errors.Is(err, queue.ErrDamaged) {
		return err // Run words it (Main.damaged)
	}
	var fe *queue.FormError
	if errors.As(err, &fe) {
		lines := make([]string, len(fe.Problems))
		for i, p := range fe.Problems {
			lines[i] = fmt.Sprintf("%s: %s", p.Field, p.Text())
		}
		return errors.New(strings.Join(lines, "\n"))
	}
	var qe *queue.Error
	if errors.As(err, &qe) && qe.Code != queue.EInternal {
		if qe.Field != "" {
			return fmt.Errorf("%s: %s", qe.Field, qe.Text())
		}
		return errors.New(qe.Text())
	}
	return err
}

func checkIn(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("checkin", "Check in a visitor; prints the ticket.")
	var f queue.CheckInForm
	fs.StringVar(&f.Name, "name", "", "visitor's name (required)")
	fs.StringVar(&f.Service, "service", "", "service id: "+serviceIDs(m.Config))
	fs.StringVar(&f.Host, "host", "", "whom they visit")
	fs.StringVar(&f.Phone, "phone", "", "phone number")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t, err := m.store.CheckIn(ctx, f, queue.SourceCLI)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(m.Stdout, "%s\tposition %d\t%s\t%s\n", t.Visit.Ticket, t.Position, cliWait(t.Estimate, t.OpenDesks, "about "), t.Ref)
	return nil
}

func listQueue(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("queue", "List desks and who is waiting, with estimates.")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := m.store.Board(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, queueJSON(b))
	}
	tw := tabwriter.NewWriter(m.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DESK\tSTATE\tSTAFF\tSERVING")
	for _, d := range b.Desks {
		state, serving := "closed", ""
		if d.Open {
			state = "open"
		}
		if d.Serving != nil {
			serving = d.Serving.Ticket + " " + d.Serving.Name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Desk.ID, state, d.Staff, serving)
	}
	fmt.Fprintln(tw, "\nSERVICE\tPOS\tTICKET\tNAME\tWAITED\tESTIMATE\tRESTORED FROM")
	for _, l := range b.Lines {
		if len(l.Waiting) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t(nobody waiting)\t\t\t\n", l.Service.ID) // as many cells as a visitor, or the columns after break
		}
		for _, w := range l.Waiting {
			waited := max(b.At.Sub(w.Visit.CheckedInAt), 0).Round(time.Minute) // 0 after a clock set back
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", l.Service.ID, w.Position, w.Visit.Ticket, w.Visit.Name, waited, cliWait(w.Estimate, l.OpenDesks, ""), w.Visit.Origin)
		}
	}
	return tw.Flush()
}

// cliWait is an estimate as the CLI prints it: a range of minutes, or,
// while no desk serves the line, that none is open, as no range could
// come true.
func cliWait(e estimate.Range, openDesks int, about string) string {
	if openDesks == 0 {
		return "no desk open: called when one opens"
	}
	lo, hi := e.RangeMinutes()
	return fmt.Sprintf("%s%d-%d min", about, lo, hi)
}

func openDesk(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("open-desk", "Open a desk, or change who is at it.")
	desk := fs.String("desk", "", "desk id: "+deskIDs(m.Config))
	staff := fs.String("staff", "", "who is at the desk (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := m.store.Apply(ctx, queue.Command{Action: queue.ActOpenDesk, Desk: *desk, Staff: *staff}); err != nil {
		return describe(err)
	}
	fmt.Fprintf(m.Stdout, "%s open, %s\n", *desk, *staff)
	return nil
}

func closeDesk(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("close-desk", "Close a desk.")
	desk := fs.String("desk", "", "desk id: "+deskIDs(m.Config))
	staff := fs.String("staff", "", "who closes it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := m.store.Apply(ctx, queue.Command{Action: queue.ActCloseDesk, Desk: *desk, Staff: *staff}); err != nil {
		return describe(err)
	}
	fmt.Fprintf(m.Stdout, "%s closed\n", *desk)
	return nil
}

func callNext(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("call-next", "Call the next visitor to a desk; the desk's current visit counts as served.")
	desk := fs.String("desk", "", "desk id: "+deskIDs(m.Config))
	staff := fs.String("staff", "", "who calls")
	if err := fs.Parse(args); err != nil {
		return err
	}
	v, err := m.store.Apply(ctx, queue.Command{Action: queue.ActCallNext, Desk: *desk, Staff: *staff})
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(m.Stdout, "%s\t%s\tto %s\n", v.Ticket, v.Name, *desk)
	return nil
}

func export(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("export", "Write a day's visits as CSV (the visit-log format, plus ticket and contact columns).")
	day := fs.String("day", time.Now().Format("2006-01-02"), "kiosk-local day, YYYY-MM-DD")
	out := fs.String("out", "", "output `FILE` (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	w := m.Stdout
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return describe(m.store.ExportDay(ctx, *day, w))
}

func waitEval(_ context.Context, m *Main, args []string) error {
	fs := m.flags("wait-eval", "Replay a visit log through the kiosk's wait estimator and two baselines.")
	log := fs.String("log", "", "visit log `FILE.csv` (the shared datasets format)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *log == "" {
		return errors.New("wait-eval needs --log FILE.csv")
	}
	f, err := os.Open(*log)
	if err != nil {
		return err
	}
	defer f.Close()
	results, err := waiteval.Evaluate(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *log, err)
	}
	for _, r := range results {
		fmt.Fprintln(m.Stdout, r)
	}
	return nil
}

func hashPIN(_ context.Context, m *Main, args []string) error {
	fs := m.flags("hash-pin", "Read a PIN (4 to 12 digits) from standard input and print its pin_hash line.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pin, err := secretin.New(m.Stdin, m.Stderr, "pipe it in: echo 4817 | lobbyline-kiosk hash-pin").Read("set-up PIN (4 to 12 digits)", nil)
	if err != nil {
		return err
	}
	h, err := queue.HashPIN(pin)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(m.Stdout, "pin_hash = %q\n", h)
	return nil
}

func checkConfig(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("check-config", "Validate the config (already done on load) and say what it holds.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c := m.Config
	fmt.Fprintf(m.Stdout, "config ok: kiosk %s (%s) at site %s, %d services, %d desks, languages %s\ndatabase: %s\n",
		c.KioskID, c.KioskName, c.Site, len(c.Services), len(c.Desks), strings.Join(c.Languages, ", "), m.DBPath)
	m.printSelfRecovery()
	switch v, err := queue.StoredConfigVersion(ctx, m.DBPath); {
	case err != nil:
		fmt.Fprintf(m.Stdout, "services and desks: %v\n", err)
	case v > 0 && c.Central == CentralOff:
		fmt.Fprintf(m.Stdout, "services and desks: this file's (central = \"off\"; the database keeps the centre's version %d)\n", v)
	case v > 0:
		fmt.Fprintf(m.Stdout, "services and desks: the centre's configuration version %d (this file's are not used); "+
			"languages, timeouts and the site's [outage] keys: the centre's where it sets them, else this file's\n", v)
	case c.Central == CentralOff:
		fmt.Fprintln(m.Stdout, "services and desks: this file's (central = \"off\")")
	default:
		fmt.Fprintln(m.Stdout, "services and desks: this file's, until the centre sends a configuration (central config set)")
	}
	ready, refused := true, false
	switch c.Central {
	case CentralOff:
		fmt.Fprintln(m.Stdout, "centre: none (central = \"off\")")
	case CentralEmbedded:
		fmt.Fprintln(m.Stdout, "centre: embedded, beside the database")
	default:
		e, ok, err := m.readEnrolment()
		switch {
		case err != nil:
			ready = false
			fmt.Fprintf(m.Stdout, "centre: %v\n", err)
		case !ok:
			ready = false
			fmt.Fprintf(m.Stdout, "centre: not enrolled yet (%s)\n", m.enrolmentPath())
		default:
			if err := syncer.CheckCentreURL(m.centreURL(e), c.Insecure); err != nil {
				refused = true
				fmt.Fprintf(m.Stdout, "centre: enrolled as %s at %s (%s), but %v\n", e.Kiosk, e.Site, m.enrolmentPath(), err)
				break
			}
			fmt.Fprintf(m.Stdout, "centre: %s, enrolled as %s at %s (%s); whether the centre still takes its token, `sync` tells\n",
				m.centreURL(e), e.Kiosk, e.Site, m.enrolmentPath())
		}
	}
	hasSupervisor, err := m.hasSupervisor(ctx)
	if err != nil {
		return err
	}
	switch p := m.lobbyProblem(hasSupervisor); {
	case p != "":
		fmt.Fprintf(m.Stdout, "lobby: will not open: %s\n", p)
		return exitNotReady
	case !ready:
		fmt.Fprintln(m.Stdout, "lobby: waiting for enrolment: the kiosk shows its set-up screen")
		return exitNotReady
	case refused:
		fmt.Fprintln(m.Stdout, "lobby: opens, but does not sync with its centre until the centre's address is fixed")
		return exitNotReady
	}
	fmt.Fprintln(m.Stdout, "lobby: ready")
	return nil
}

func serviceIDs(c Config) string {
	var ids []string
	for _, s := range c.Services {
		ids = append(ids, s.ID)
	}
	return strings.Join(ids, ", ")
}

func deskIDs(c Config) string {
	var ids []string
	for _, d := range c.Desks {
		ids = append(ids, d.ID)
	}
	return strings.Join(ids, ", ")
}

// printJSON writes v as indented JSON, for scripts.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// queueJSON is the board as `kiosk queue --json` prints it.
func queueJSON(b queue.Board) any {
	type desk struct {
		Desk    string `json:"desk"`
		Open    bool   `json:"open"`
		Staff   string `json:"staff"`
		Serving string `json:"serving"` // ticket, "" for nobody
	}
	type waiting struct {
		Service    string    `json:"service"`
		Position   int       `json:"position"`
		Ticket     string    `json:"ticket"`
		Name       string    `json:"name"`
		CheckedIn  time.Time `json:"checked_in"`
		WaitLowS   int64     `json:"wait_low_s"` // the estimate's range, seconds; both 0 while no desk is open
		WaitHighS  int64     `json:"wait_high_s"`
		DeskIsOpen bool      `json:"desk_open"` // a desk serves this line now
		// RestoredFrom is where a recovery took the visit from (snapshot,
		// damaged-file, outbox, centre); absent if never restored.
		RestoredFrom string `json:"restored_from,omitempty"`
	}
	out := struct {
		At      time.Time `json:"at"`
		Desks   []desk    `json:"desks"`
		Waiting []waiting `json:"waiting"`
	}{At: b.At.UTC(), Desks: []desk{}, Waiting: []waiting{}}
	for _, d := range b.Desks {
		j := desk{Desk: d.Desk.ID, Open: d.Open, Staff: d.Staff}
		if d.Serving != nil {
			j.Serving = d.Serving.Ticket
		}
		out.Desks = append(out.Desks, j)
	}
	for _, l := range b.Lines {
		for _, w := range l.Waiting {
			j := waiting{Service: l.Service.ID, Position: w.Position, Ticket: w.Visit.Ticket, Name: w.Visit.Name,
				CheckedIn: w.Visit.CheckedInAt.UTC(), DeskIsOpen: l.OpenDesks > 0, RestoredFrom: string(w.Visit.Origin)}
			if l.OpenDesks > 0 {
				j.WaitLowS, j.WaitHighS = int64(w.Estimate.Low.Seconds()), int64(w.Estimate.High.Seconds())
			}
			out.Waiting = append(out.Waiting, j)
		}
	}
	return out
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/jobs"
	"lobbyline/queue/report"
)

// listIncidents prints this kiosk's outages and drills.
func listIncidents(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("incidents", "List this kiosk's outages and drills, newest first.")
	limit := fs.Int("n", 20, "how many")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	list, err := m.store.Incidents(ctx, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, incidentsJSON(list))
	}
	tw := tabwriter.NewWriter(m.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSTART\tDURATION\tPEAK\tCAUSE\tDRAINED\tREPORTED")
	for _, in := range list {
		kind, dur := "outage", "going on"
		if in.Drill {
			kind = "drill"
		}
		if !in.Open() {
			dur = max(in.End.Sub(in.Start), 0).Round(time.Second).String()
		}
		drained, reported := "-", "-"
		if !in.DrainedAt.IsZero() {
			drained = max(in.DrainedAt.Sub(in.End), 0).Round(time.Second).String() + " after"
		}
		if !in.ReportedAt.IsZero() {
			reported = in.ReportedAt.Local().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, kind, in.Start.Local().Format("2006-01-02 15:04:05"), dur, in.Peak, in.Cause, drained, reported)
	}
	if len(list) == 0 {
		fmt.Fprintln(tw, "(no incidents)")
	}
	return tw.Flush()
}

// writeReport writes an incident's Markdown, CSV and HTML reports.
func writeReport(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("report", "Write an incident's report as Markdown, CSV and HTML: kiosk report [--dir DIR] [--lang CODE] ID")
	dir := fs.String("dir", m.reportDir(), "where to write the files")
	lang := langFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := report.CheckLang(*lang); err != nil {
		return fmt.Errorf("--lang: %w", err)
	}
	if fs.NArg() != 1 {
		return errors.New("report: give one incident ID (see kiosk incidents)")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("report: %q is not an incident ID", fs.Arg(0))
	}
	cfg := m.jobsConfig()
	cfg.ReportDir, cfg.Lang = *dir, *lang // no --lang: the staff language stored
	paths, err := jobs.WriteReport(ctx, m.store, cfg, id)
	if err != nil {
		return describe(err)
	}
	for _, p := range paths {
		fmt.Fprintln(m.Stdout, p)
	}
	return nil
}

// langFlag is the --lang flag of the commands that write for people: the
// language staff chose on the kiosk unless it is given.
func langFlag(fs *flag.FlagSet) *string {
	return fs.String("lang", "", "write in language `CODE` ("+strings.Join(report.Languages(), ", ")+
		") instead of the staff language chosen in staff mode")
}

// drill starts or stops an outage drill. The kiosk UI, if it runs on the
// same database, holds its outbox within a few seconds.
func drill(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("drill", "Start or stop an outage drill: kiosk drill start [--minutes N] [--banner] [--by NAME] | kiosk drill stop")
	minutes := fs.Int("minutes", 15, "how long the drill lasts")
	_, site, _ := m.siteSettings()
	banner := fs.Bool("banner", *site.Outage.DrillBanner, "visitors see the outage banner during the drill")
	by := fs.String("by", "IT", "who runs the drill")
	if len(args) == 0 {
		fs.Usage()
		return errors.New("drill: say start or stop")
	}
	verb := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch verb {
	case "start":
		in, err := m.store.StartDrill(ctx, time.Duration(*minutes)*time.Minute, *banner, *by)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(m.Stdout, "drill %d until %s; visitors see the banner: %t\n", in.ID, in.DrillUntil.Local().Format("15:04"), in.DrillBanner)
		return nil
	case "stop":
		in, ok, err := m.store.CurrentIncident(ctx)
		if err != nil {
			return err
		}
		if !ok || !in.Drill {
			return errors.New("drill: no drill is running")
		}
		if err := m.store.EndIncident(ctx, in.ID, time.Now(), "stopped by "+*by); err != nil {
			return describe(err)
		}
		fmt.Fprintf(m.Stdout, "drill %d stopped\n", in.ID)
		return nil
	}
	return fmt.Errorf("drill: %q is not start or stop", verb)
}

// roster prints who is in the building, and who checked out today with
// how each proved it, or writes both as CSV, HTML or JSON.
func roster(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("roster", "Who checked in and has not left, for an evacuation; then who checked out today, and with what proof.")
	csvOut := fs.Bool("csv", false, "write CSV to stdout")
	htmlOut := fs.Bool("html", false, "write a printable HTML page (tick boxes for the assembly point) to stdout")
	jsonOut := fs.Bool("json", false, `print JSON: {"on_site": one entry per person, with their tickets; "checked_out": today's check-outs, with their proof}`)
	lang := langFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := report.CheckLang(*lang); err != nil {
		return fmt.Errorf("--lang: %w", err)
	}
	list, err := m.store.Roster(ctx)
	if err != nil {
		return err
	}
	left, err := m.store.LeftToday(ctx)
	if err != nil {
		return err
	}
	switch {
	case btoi(*csvOut)+btoi(*htmlOut)+btoi(*jsonOut) > 1:
		return errors.New("roster: one of --csv, --html and --json")
	case *jsonOut:
		return printJSON(m.Stdout, rosterJSON(queue.People(list), left))
	case *csvOut:
		return queue.WriteRosterCSV(m.Stdout, list, left, time.Local)
	case *htmlOut:
		code := *lang
		if code == "" {
			if code, err = m.store.StaffLanguage(ctx); err != nil {
				return err
			}
		}
		names := map[string]string{}
		for _, s := range m.store.Services() {
			names[s.ID] = s.DisplayName(code)
		}
		return report.WriteRosterHTML(m.Stdout, list, report.RosterOptions{Kiosk: m.Config.KioskName, Site: m.Config.Site,
			Made: time.Now(), Location: time.Local, Services: names, Lang: code, Left: left})
	}
	// People, not tickets, are counted: PERSON numbers who holds each.
	people := queue.People(list)
	tw := tabwriter.NewWriter(m.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%d on site", len(people))
	if len(list) > len(people) {
		fmt.Fprintf(tw, " (%d tickets)", len(list))
	}
	fmt.Fprint(tw, "\nPERSON\tTICKET\tNAME\tHOST\tSERVICE\tSTATUS\tSINCE\tRESTORED FROM\n")
	for n, p := range people {
		for _, v := range p.Visits {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n+1, v.Ticket, v.Name, v.Host, v.Service, v.Status, v.CheckedInAt.Local().Format("2006-01-02 15:04"), v.Origin)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Today's check-outs: a self-declared one may not have been the
	// visitor, who may still be inside.
	self := 0
	for _, v := range left {
		if v.LeftProof == queue.ProofSelf {
			self++
		}
	}
	fmt.Fprintf(m.Stdout, "\n%d checked out today", len(left))
	if self > 0 {
		fmt.Fprintf(m.Stdout, ", %d SELF-DECLARED (no proof: may still be in the building)", self)
	}
	fmt.Fprintln(m.Stdout)
	if len(left) == 0 {
		return nil
	}
	tw = tabwriter.NewWriter(m.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprint(tw, "TICKET\tNAME\tSERVICE\tSINCE\tLEFT\tPROOF\n")
	for _, v := range left {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.Ticket, v.Name, v.Service, v.CheckedInAt.Local().Format("2006-01-02 15:04"),
			v.LeftAt.Local().Format("2006-01-02 15:04"), proofWord(v.LeftProof))
	}
	return tw.Flush()
}

// proofWord is a check-out's proof as the roster command prints it; a
// self-declared one in capitals, to be seen.
func proofWord(p queue.Proof) string {
	switch p {
	case queue.ProofSelf:
		return "SELF-DECLARED"
	case "":
		return "unknown"
	}
	return string(p)
}

// checkOut records that a visitor left.
func checkOut(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("checkout", "Check a visitor out: kiosk checkout [--by NAME] TICKET-OR-QR-REFERENCE")
	by := fs.String("by", queue.SourceCLI, "who checks them out")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("checkout: give the ticket number (like R-042) or the QR reference")
	}
	v, err := m.store.CheckOut(ctx, fs.Arg(0), *by)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(m.Stdout, "%s %s checked out at %s\n", v.Ticket, v.Name, v.LeftAt.Local().Format("15:04"))
	return nil
}

// closeDay runs the end-of-day close now.
func closeDay(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("close-day", "End the day now: keep a roster snapshot, check everyone out, expire open tickets, close the desks.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := m.store.CloseDay(ctx)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(m.Stdout, "roster snapshot %d: %d on site; %d tickets expired, %d checked out, %d desks closed\n",
		res.Snapshot, res.OnSite, res.Expired, res.CheckedOut, res.DesksShut)
	return nil
}

// purge erases personal data older than the retention time now.
func purge(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("purge", "Erase visitors' personal data older than jobs.retention_days (the site's, if the centre sets it) now.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cutoff := time.Now().Add(-m.retention())
	p, err := m.store.Purge(ctx, cutoff)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "before %s: %d visits, %d synced changes, %d alerts, %d other kiosks' visits, %d roster snapshots; %d audit entries older than a year\n",
		cutoff.Local().Format("2006-01-02 15:04"), p.Visits, p.Outbox, p.Alerts, p.Remote, p.Snapshots, p.Audit)
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rosterJSON is who is on site, and who checked out today, as `kiosk
// roster --json` prints it.
func rosterJSON(people []queue.Person, left []queue.Visit) any {
	type ticket struct {
		Ticket    string    `json:"ticket"`
		Service   string    `json:"service"`
		Host      string    `json:"host"`
		Status    string    `json:"status"`
		CheckedIn time.Time `json:"checked_in"`
		// RestoredFrom: where a recovery took the visit from; absent if
		// never restored.
		RestoredFrom string `json:"restored_from,omitempty"`
	}
	type person struct {
		Name    string   `json:"name"`
		Phone   string   `json:"phone"`
		Tickets []ticket `json:"tickets"`
	}
	// proof is "qr", "phone", "self" (self-declared: no proof), "staff",
	// "close" or "" (recorded before proofs were).
	type checkedOut struct {
		Ticket     string    `json:"ticket"`
		Name       string    `json:"name"`
		Service    string    `json:"service"`
		Status     string    `json:"status"`
		CheckedIn  time.Time `json:"checked_in"`
		CheckedOut time.Time `json:"checked_out"`
		Proof      string    `json:"proof"`
	}
	out := struct {
		OnSite     []person     `json:"on_site"`
		CheckedOut []checkedOut `json:"checked_out"`
	}{OnSite: []person{}, CheckedOut: []checkedOut{}}
	for _, p := range people {
		j := person{Name: p.Name(), Phone: p.Visits[0].Phone}
		for _, v := range p.Visits {
			j.Tickets = append(j.Tickets, ticket{v.Ticket, v.Service, v.Host, string(v.Status), v.CheckedInAt.UTC(), string(v.Origin)})
		}
		out.OnSite = append(out.OnSite, j)
	}
	for _, v := range left {
		out.CheckedOut = append(out.CheckedOut, checkedOut{v.Ticket, v.Name, v.Service, string(v.Status), v.CheckedInAt.UTC(), v.LeftAt.UTC(), string(v.LeftProof)})
	}
	return out
}

// incidentsJSON is the list as `kiosk incidents --json` prints it: times
// in UTC, null where there is none yet.
func incidentsJSON(list []queue.Incident) any {
	type incident struct {
		ID           int64      `json:"id"`
		Kind         string     `json:"kind"` // outage or drill
		Cause        string     `json:"cause"`
		Severity     string     `json:"severity"`
		Peak         string     `json:"peak"`
		Start        time.Time  `json:"start"`
		End          *time.Time `json:"end"`
		Drained      *time.Time `json:"drained"`
		ExpectedBack *time.Time `json:"expected_back"`
		Reported     *time.Time `json:"reported"`
	}
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		t = t.UTC()
		return &t
	}
	out := []incident{}
	for _, in := range list {
		kind := "outage"
		if in.Drill {
			kind = "drill"
		}
		out = append(out, incident{in.ID, kind, in.Cause, in.Severity.String(), queue.ReportedPeak(in).String(), in.Start.UTC(),
			at(in.End), at(in.DrainedAt), at(in.ExpectedBack), at(in.ReportedAt)})
	}
	return out
}

// prune removes what the centre has and is older than jobs.prune_days now.
func prune(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("prune", "Remove events, connectivity log lines and incident samples the centre has and older than jobs.prune_days now.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if m.Config.Jobs.PruneDays == 0 {
		return errors.New("prune: jobs.prune_days is 0 (keep everything)")
	}
	p, err := m.store.Prune(ctx, time.Now().Add(-time.Duration(m.Config.Jobs.PruneDays)*24*time.Hour))
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "before %s: %d synced changes and %d events, %d connectivity lines, %d incident samples\n",
		p.Cutoff.Local().Format("2006-01-02 15:04"), p.Outbox, p.Events, p.Connectivity, p.Samples)
	return nil
}

package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"lobbyline/queue"
	"lobbyline/queue/csvsafe"
	"lobbyline/syncer/centre"
)

type incidentsCmd struct {
	site  string
	since time.Time
	csv   bool
	json  bool
}

func (c *incidentsCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.site, "site", "", "the `SITE` whose incidents to list (required)")
	fs.Func("since", "only incidents that ended on or after this `DATE` (YYYY-MM-DD, local time)", func(s string) error {
		t, err := time.ParseInLocation(time.DateOnly, s, time.Local)
		if err != nil {
			return errors.New("must be a date like 2026-03-02")
		}
		c.since = t
		return nil
	})
	fs.BoolVar(&c.csv, "csv", false, "print CSV with a header row instead of a table")
	fs.BoolVar(&c.json, "json", false, "print JSON: each incident with the summary its kiosk sent")
}

func (c *incidentsCmd) args(args []string) error {
	if err := wantArgs(args); err != nil {
		return err
	}
	return checkSite(c.site)
}

func (c *incidentsCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := siteExists(ctx, st, c.site); err != nil {
		return err
	}
	recs, err := st.Incidents(ctx, c.site, c.since)
	if err != nil {
		return err
	}
	switch {
	case c.csv && c.json:
		return errors.New("--csv or --json, not both")
	case c.csv:
		return incidentsCSV(m.Stdout, recs)
	case c.json:
		type incidentJSON struct {
			Kiosk     string                `json:"kiosk"`
			KioskName string                `json:"kiosk_name"`
			Epoch     int64                 `json:"epoch"`
			Received  time.Time             `json:"received"`
			Summary   queue.IncidentSummary `json:"summary"`
		}
		out := make([]incidentJSON, 0, len(recs))
		for _, r := range recs {
			out = append(out, incidentJSON{r.Kiosk, r.KioskName, r.Epoch, r.Received.UTC(), r.Summary})
		}
		return printJSON(m.Stdout, out)
	}
	if len(recs) == 0 {
		since := ""
		if !c.since.IsZero() {
			since = " since " + c.since.Format(time.DateOnly)
		}
		fmt.Fprintf(m.Stdout, "No incidents reported at site %s%s.\n", c.site, since)
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIOSK\tNAME\tTYPE\tSTART\tDURATION\tCAUSE\tPEAK\tCHECK-INS\tDRAIN\tSTEPS\tFEEDBACK")
	for _, r := range recs {
		s := r.Summary
		steps, feedback := "-", "-"
		if s.StepsTotal > 0 {
			steps = fmt.Sprintf("%d/%d", s.StepsDone, s.StepsTotal)
		}
		if s.Feedback > 0 {
			feedback = fmt.Sprintf("%.1f (%d)", s.FeedbackAvg, s.Feedback)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.Kiosk, oneLine(r.KioskName), incidentType(s.Drill),
			s.Start.Local().Format(whenFormat), formatSpan(s.Duration), oneLine(s.Cause), s.Peak, s.CheckIns,
			formatSpan(s.DrainTime), steps, feedback)
	}
	return tw.Flush()
}

// incidentsCSV writes the figures for a spreadsheet: times in local
// RFC 3339, spans in whole seconds. What a kiosk sent as text (its id, its
// name, the cause) goes through csvsafe.Cell; unlike list, this is not
// read back by import.
func incidentsCSV(out io.Writer, recs []centre.IncidentRecord) error {
	rows := [][]string{{"kiosk", "kiosk_name", "type", "start", "end", "duration_s", "cause", "peak", "check_ins", "peak_waiting",
		"longest_wait_s", "drain_s", "conflicts", "watch_hits", "messages", "steps_done", "steps_total", "feedback", "feedback_avg"}}
	seconds := func(d time.Duration) string { return strconv.FormatInt(int64(d.Round(time.Second)/time.Second), 10) }
	for _, r := range recs {
		s := r.Summary
		avg := ""
		if s.Feedback > 0 {
			avg = strconv.FormatFloat(s.FeedbackAvg, 'f', 2, 64)
		}
		rows = append(rows, []string{csvsafe.Cell(r.Kiosk), csvsafe.Cell(r.KioskName), incidentType(s.Drill), s.Start.Local().Format(time.RFC3339), s.End.Local().Format(time.RFC3339),
			seconds(s.Duration), csvsafe.Cell(s.Cause), s.Peak.String(), strconv.Itoa(s.CheckIns), strconv.Itoa(s.PeakWaiting),
			seconds(s.LongestWait), seconds(s.DrainTime), strconv.Itoa(s.Conflicts), strconv.Itoa(s.WatchHits), strconv.Itoa(s.Messages),
			strconv.Itoa(s.StepsDone), strconv.Itoa(s.StepsTotal), strconv.Itoa(s.Feedback), avg})
	}
	return csv.NewWriter(out).WriteAll(rows)
}

func incidentType(drill bool) string {
	if drill {
		return "drill"
	}
	return "outage"
}

// formatSpan shows a span the way staff say it: 1h20m, 12m, 1m30s, 45s.
func formatSpan(d time.Duration) string {
	d = d.Round(time.Second)
	if d >= time.Hour {
		d = d.Round(time.Minute)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// oneLine keeps text a kiosk sent from breaking the table's rows.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

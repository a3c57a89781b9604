package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/hlc"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centredb"
	"lobbyline/syncer/wire"
)

// pushIncidents sends incident summaries as the kiosk with token would,
// through the store's push.
func pushIncidents(t *testing.T, store, token string, epoch int64, summaries ...queue.IncidentSummary) {
	t.Helper()
	ctx := context.Background()
	db, err := centredb.Open(ctx, store, centredb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := centre.New(db, centre.Options{})
	k, err := st.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	var ms []wire.PushMutation
	for i, s := range summaries {
		at := s.End.Add(5 * time.Minute)
		stamp := hlc.Timestamp{Wall: at.UnixMilli()}.String()
		raw, err := json.Marshal(queue.Mutation{Kiosk: k.ID, Epoch: epoch, Kind: queue.KindIncident, At: at, HLC: stamp, Incident: &s})
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, wire.PushMutation{Epoch: epoch, Seq: int64(i + 1), Kind: queue.KindIncident, At: at, HLC: stamp, Payload: raw})
	}
	resp, err := st.Push(ctx, k, wire.PushRequest{Kiosk: k.ID, Mutations: ms})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.Results {
		if r.Status != wire.StatusApplied {
			t.Fatalf("push of incidents: %+v", r)
		}
	}
}

func testIncidents(t *testing.T, store string) {
	c := newCentre(t, store)
	c.mustRun("site", "add", "north", "North Hospital")
	c.mustRun("site", "add", "south", "South Clinic")
	lobby := c.enroll("north", "lobby-1", "--name", "Main lobby")
	side := c.enroll("north", "lobby-2", "--name", "Side door")

	c.mustFail(`site "west" does not exist; add it with: central site add west NAME`, "incidents", "--site", "west")
	if out := c.mustRun("incidents", "--site", "north"); out != "No incidents reported at site north.\n" {
		t.Fatalf("incidents before any: %q", out)
	}

	utc := func(day, hour, minute int) time.Time { return time.Date(2026, 11, day, hour, minute, 0, 0, time.UTC) }
	old := queue.IncidentSummary{ID: 1, Cause: "central unreachable", Peak: queue.SeverityMinor,
		Start: utc(1, 22, 0), End: utc(2, 1, 0), Duration: 3 * time.Hour, CheckIns: 2}
	outage := queue.IncidentSummary{ID: 2, Cause: "central unreachable", Peak: queue.SeverityMajor,
		Start: utc(12, 9, 0), End: utc(12, 10, 20), Duration: 80 * time.Minute,
		CheckIns: 7, PeakWaiting: 5, LongestWait: 12 * time.Minute, DrainTime: 90 * time.Second, Conflicts: 1, Messages: 2,
		StepsDone: 3, StepsTotal: 4, Feedback: 2, FeedbackAvg: 4.5}
	drill := queue.IncidentSummary{ID: 1, Drill: true, Cause: "drill:\tdisk full", Peak: queue.SeverityCritical,
		Start: utc(20, 14, 0), End: utc(20, 14, 40), Duration: 40 * time.Minute}
	pushIncidents(t, store, lobby, 7, old, outage)
	pushIncidents(t, store, side, 9, drill)

	local := func(tm time.Time) string { return tm.Local().Format("2006-01-02 15:04") }
	out := c.mustRun("incidents", "--site", "north")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []string{
		`^KIOSK +NAME +TYPE +START +DURATION +CAUSE +PEAK +CHECK-INS +DRAIN +STEPS +FEEDBACK$`,
		`^lobby-2 +Side door +drill +` + local(drill.Start) + ` +40m +drill: disk full +critical +0 +0s +- +-$`,
		`^lobby-1 +Main lobby +outage +` + local(outage.Start) + ` +1h20m +central unreachable +major +7 +1m30s +3/4 +4\.5 \(2\)$`,
		`^lobby-1 +Main lobby +outage +` + local(old.Start) + ` +3h +central unreachable +minor +2 +0s +- +-$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("incidents printed %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d %q does not match %s", i, lines[i], re)
		}
	}
	// The columns line up.
	if at := strings.Index(lines[0], "CAUSE"); strings.Index(lines[1], "drill: disk") != at || strings.Index(lines[2], "central") != at {
		t.Errorf("columns are not aligned:\n%s", out)
	}

	rfc := func(tm time.Time) string { return tm.Local().Format(time.RFC3339) }
	since := old.End.Local().AddDate(0, 0, 1).Format(time.DateOnly) // the day after the old outage ended
	wantCSV := "kiosk,kiosk_name,type,start,end,duration_s,cause,peak,check_ins,peak_waiting,longest_wait_s,drain_s,conflicts,watch_hits,messages,steps_done,steps_total,feedback,feedback_avg\n" +
		"lobby-2,Side door,drill," + rfc(drill.Start) + "," + rfc(drill.End) + ",2400,drill:\tdisk full,critical,0,0,0,0,0,0,0,0,0,0,\n" +
		"lobby-1,Main lobby,outage," + rfc(outage.Start) + "," + rfc(outage.End) + ",4800,central unreachable,major,7,5,720,90,1,0,2,3,4,2,4.50\n"
	if out := c.mustRun("incidents", "--site", "north", "--since", since, "--csv"); out != wantCSV {
		t.Errorf("incidents --csv --since %s:\n got %q\nwant %q", since, out, wantCSV)
	}
	if out := c.mustRun("incidents", "--csv", "--site", "south"); out != strings.SplitAfter(wantCSV, "\n")[0] {
		t.Errorf("incidents --csv at a site without any: %q", out)
	}
	if out := c.mustRun("incidents", "--site", "north", "--since", "2027-01-01"); out != "No incidents reported at site north since 2027-01-01.\n" {
		t.Errorf("incidents since a later date: %q", out)
	}
}

func TestFormatSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 400 * time.Millisecond: "0s", 45 * time.Second: "45s", 90 * time.Second: "1m30s", 12 * time.Minute: "12m",
		time.Hour: "1h", 80*time.Minute + 20*time.Second: "1h20m", 26*time.Hour + 5*time.Minute: "26h5m",
	} {
		if got := formatSpan(d); got != want {
			t.Errorf("formatSpan(%v) = %q, want %q", d, got, want)
		}
	}
}

// testIncidentsCSVDefusesFormulas: incidents --csv is for a spreadsheet,
// so a kiosk name or cause that would run as a formula there comes out
// led by an apostrophe, and no cell starts a formula.
func testIncidentsCSVDefusesFormulas(t *testing.T, store string) {
	c := newCentre(t, store)
	c.mustRun("site", "add", "north", "North Hospital")
	token := c.enroll("north", "lobby-1", "--name", `=HYPERLINK("x")`)
	start := time.Date(2026, 11, 12, 9, 0, 0, 0, time.UTC)
	var sums []queue.IncidentSummary
	causes := []string{"+1 555", "@SUM(A1)", "-2+3+cmd|' /C calc'!A0"}
	for i, cause := range causes {
		s := start.AddDate(0, 0, i)
		sums = append(sums, queue.IncidentSummary{ID: int64(i + 1), Cause: cause, Peak: queue.SeverityMinor,
			Start: s, End: s.Add(time.Hour), Duration: time.Hour})
	}
	pushIncidents(t, store, token, 7, sums...)

	out := c.mustRun("incidents", "--site", "north", "--csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != len(causes)+1 {
		t.Fatalf("incidents --csv printed %q (%v)", out, err)
	}
	name, cause := slices.Index(recs[0], "kiosk_name"), slices.Index(recs[0], "cause")
	got := map[string]bool{}
	for _, rec := range recs[1:] {
		if rec[name] != `'=HYPERLINK("x")` {
			t.Errorf("kiosk_name %q, want %q", rec[name], `'=HYPERLINK("x")`)
		}
		got[rec[cause]] = true
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q in row %q starts a formula", cell, rec)
			}
		}
	}
	for _, want := range causes {
		if !got["'"+want] {
			t.Errorf("no cause %q in:\n%s", "'"+want, out)
		}
	}
}

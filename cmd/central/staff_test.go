package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os/user"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"lobbyline/queue/pinhash"
	"lobbyline/syncer/centre/centretest"
)

// runStaff runs a command with stdin and cheap PIN hashes.
func (c *program) runStaff(stdin string, args ...string) (string, error) {
	c.t.Helper()
	m, out := newMain(c.t)
	m.Stdin = strings.NewReader(stdin)
	m.PINParams = pinhash.Params{Time: 1, Memory: 8 * 1024, Threads: 1}
	err := m.ParseFlags(append([]string{"--store", c.store}, args...))
	if err == nil {
		err = m.Run(context.Background())
	}
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	return out.String(), err
}

var staffID = regexp.MustCompile(`account (st-[a-z0-9]+)`)

func testStaffCommands(t *testing.T, store string) {
	c := newCentre(t, store)
	c.mustRun("site", "add", "north", "North Hospital")
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SUDO_USER", "")

	out := c.mustRun("enroll", "--site", "north", "lobby-1")
	if !strings.Contains(out, "Warning: site north has no enabled supervisor account, so a kiosk enrolled now asks for its first supervisor at set-up.") {
		t.Fatalf("enroll at a site without a supervisor does not warn:\n%s", out)
	}

	// A PIN or a badge's code on the command line is refused before
	// anything is opened, whatever stdin holds.
	const pin = "20481632"
	add := []string{"staff", "add", "--site", "north", "--name", "Maya Ortiz", "--role", "supervisor"}
	for _, args := range [][]string{
		append(slices.Clone(add), "--pin", pin),
		append(slices.Clone(add), "--pin="+pin),
		append(slices.Clone(add), pin),
		append(slices.Clone(add), "--badge", "--badge-code", "B-7731"),
		{"staff", "set-pin", "--site", "north", "--id", "st-abcdefgh", pin},
		{"staff", "set-pin", "--site", "north", "--id", "st-abcdefgh", "--pin", pin},
		{"staff", "set-badge", "--site", "north", "--id", "st-abcdefgh", "B-7731"},
	} {
		out, err := c.runStaff(pin+"\nB-7731\n", args...)
		if err == nil || !strings.Contains(err.Error(), "command line") {
			t.Errorf("central %s: %v (printed %q), want a refusal that says so", strings.Join(args, " "), err, out)
		}
	}
	for _, bad := range []struct{ stdin, want string }{
		{"", "no PIN on standard input"},
		{"12345\n", "a PIN has 6 to 12 digits"},
		{"12345678901234\n", "a PIN has 6 to 12 digits"},
		{"1234x6\n", "a PIN has 6 to 12 digits"},
	} {
		if _, err := c.runStaff(bad.stdin, add...); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("staff add with stdin %q: %v, want %q", bad.stdin, err, bad.want)
		}
	}
	if _, err := c.runStaff(pin+"\n", append(slices.Clone(add), "--badge")...); err == nil || !strings.Contains(err.Error(), "no badge code on standard input") {
		t.Errorf("staff add --badge without a code: %v", err)
	}
	if out := c.mustRun("staff", "list", "--site", "north"); !strings.Contains(out, "No staff accounts at site north") {
		t.Fatalf("refused commands added an account:\n%s", out)
	}

	out, err = c.runStaff(pin+"\nB-7731\n", append(slices.Clone(add), "--badge")...)
	if err != nil {
		t.Fatal(err)
	}
	m := staffID.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "Added Maya Ortiz (supervisor)") {
		t.Fatalf("staff add printed:\n%s", out)
	}
	maya := m[1]
	out, err = c.runStaff("551203\n", "staff", "add", "--site", "north", "--name", "Jon Bell", "--role", "reception")
	if err != nil {
		t.Fatal(err)
	}
	jon := staffID.FindStringSubmatch(out)[1]
	if _, err := c.runStaff("551203\n", "staff", "add", "--site", "north", "--name", "jon bell", "--role", "reception"); err == nil ||
		!strings.Contains(err.Error(), "is the name of another account") {
		t.Errorf("a second Jon Bell: %v", err)
	}

	list := c.mustRun("staff", "list", "--site", "north")
	for _, want := range []string{maya, "Maya Ortiz", "supervisor", jon, "reception", me.Username + " (central)"} {
		if !strings.Contains(list, want) {
			t.Errorf("staff list lacks %q:\n%s", want, list)
		}
	}
	var listed []staffJSON
	raw := c.mustRun("staff", "list", "--site", "north", "--json")
	if err := json.Unmarshal([]byte(raw), &listed); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || listed[1].ID != maya || !listed[1].Badge || listed[0].Badge || listed[1].Role != "supervisor" {
		t.Fatalf("staff list --json: %+v", listed)
	}
	// The badge's code whole: four digits alone turn up in ids and times.
	for _, secret := range []string{"argon2id", pin, "B-7731", "hash"} {
		if strings.Contains(list+raw, secret) {
			t.Errorf("staff list shows %q:\n%s\n%s", secret, list, raw)
		}
	}

	if out, err := c.runStaff("99887766\n", "staff", "set-pin", "--site", "north", "--id", jon); err != nil || !strings.Contains(out, "Set a new PIN for Jon Bell") {
		t.Fatalf("set-pin: %q, %v", out, err)
	}
	c.mustRun("staff", "disable", "--site", "north", "--id", jon)
	c.mustFail("Jon Bell is disabled already; nothing changed", "staff", "disable", "--site", "north", "--id", jon)
	c.mustRun("staff", "enable", "--site", "north", "--id", jon)
	if out, err := c.runStaff("", "staff", "set-badge", "--site", "north", "--id", maya, "--remove"); err != nil || !strings.Contains(out, "Took the badge of Maya Ortiz") {
		t.Fatalf("set-badge --remove: %q, %v", out, err)
	}
	c.mustFail("no such staff account", "staff", "disable", "--site", "north", "--id", "st-nobody00")
	c.mustFail("--id ID is required", "staff", "disable", "--site", "north")

	// With a supervisor, enrolling warns no more.
	if out := c.mustRun("enroll", "--token", "--site", "north", "lobby-2"); strings.Contains(out, "supervisor") {
		t.Fatalf("enroll warns although the site has a supervisor:\n%s", out)
	}
	c.mustRun("revoke", "lobby-2")
	c.mustRun("erase", "--site", "north", "--name", "Zoë Adams")

	// Through sudo, the audit log names who ran sudo.
	t.Setenv("SUDO_USER", "=HYPERLINK(\"http://x\")")
	c.mustRun("staff", "disable", "--site", "north", "--id", jon)

	var log []auditJSON
	if err := json.Unmarshal([]byte(c.mustRun("audit", "--site", "north", "--json")), &log); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log[:len(log)-1] {
		if e.Source != "centre" || e.Name != me.Username || e.OSUser != me.Username || e.Kiosk != "" {
			t.Errorf("audit entry %+v, want source centre by %s", e, me.Username)
		}
		actions = append(actions, e.Action)
	}
	want := []string{"enrol_code", "staff_add", "staff_add", "staff_set_pin", "staff_disable", "staff_enable", "staff_remove_badge", "enrol", "revoke", "erase"}
	if !slices.Equal(actions, want) {
		t.Fatalf("audit actions %v, want %v", actions, want)
	}
	if erase := log[len(log)-2]; strings.Contains(strings.ToLower(erase.Detail), "zo") {
		t.Errorf("the erasure's audit entry names the person: %+v", erase)
	}
	if last := log[len(log)-1]; last.Name != `=HYPERLINK("http://x")` || !strings.Contains(last.OSUser, "sudo as "+me.Username) || last.Action != "staff_disable" {
		t.Fatalf("the entry made through sudo: %+v", last)
	}

	// CSV: one row per entry under a header, formula-like text defused.
	rows, err := csv.NewReader(strings.NewReader(c.mustRun("audit", "--site", "north", "--csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(log)+1 || rows[0][0] != "at" || rows[0][4] != "name" {
		t.Fatalf("audit --csv has %d rows, header %v", len(rows), rows[0])
	}
	if got := rows[len(rows)-1][4]; got != `'=HYPERLINK("http://x")` {
		t.Errorf("a formula-like name in the CSV: %q, want it led by an apostrophe", got)
	}
	text := c.mustRun("audit", "--site", "north")
	if !strings.Contains(text, "staff_set_pin") || strings.Contains(text, "argon2id") {
		t.Errorf("audit as a table:\n%s", text)
	}
	// Date filters: nothing before today, everything up to today.
	today := time.Now().Format(time.DateOnly)
	yesterday := time.Now().AddDate(0, 0, -1).Format(time.DateOnly)
	if out := c.mustRun("audit", "--site", "north", "--until", yesterday); !strings.Contains(out, "No audit entries") {
		t.Errorf("audit --until yesterday:\n%s", out)
	}
	if out := c.mustRun("audit", "--site", "north", "--since", today, "--until", today, "--csv"); strings.Count(out, "\n") != len(log)+1 {
		t.Errorf("audit --since and --until today:\n%s", out)
	}
	c.mustFail("--csv or --json, not both", "audit", "--site", "north", "--csv", "--json")
	c.mustFail("--until is before --since", "audit", "--site", "north", "--since", today, "--until", yesterday)
	c.mustFail(`site "south" does not exist`, "audit", "--site", "south")
}

// enroll, revoke and erase write their audit entry in the transaction of
// what they do: when the audit log refuses it, the command fails and
// nothing was done, and no token or code is printed.
func testAuditRefused(t *testing.T, store string) {
	c := newCentre(t, store)
	c.mustRun("site", "add", "north", "North Hospital")
	token := c.enroll("north", "lobby-1")
	kiosks := c.mustRun("kiosks")
	audit := c.mustRun("audit", "--site", "north", "--csv")

	allow := centretest.RefuseAudit(t, store)
	for _, args := range [][]string{
		{"enroll", "--site", "north", "lobby-2"},
		{"enroll", "--token", "--site", "north", "lobby-2"},
		{"enroll", "--token", "--replace", "--site", "north", "lobby-1"},
		{"revoke", "lobby-1"},
		{"erase", "--site", "north", "--name", "Zoë Adams"},
	} {
		out, err := c.run(args...)
		if err == nil || !strings.Contains(err.Error(), "audit refused") {
			t.Errorf("central %s while the audit log refuses entries: %v, want its refusal", strings.Join(args, " "), err)
		}
		if out != "" {
			t.Errorf("central %s printed, although it failed:\n%s", strings.Join(args, " "), out)
		}
	}
	allow()
	if after := c.mustRun("kiosks"); after != kiosks {
		t.Errorf("kiosks after refused enrolments and revocation:\n%s\nwant\n%s", after, kiosks)
	}
	if after := c.mustRun("audit", "--site", "north", "--csv"); after != audit {
		t.Errorf("the audit log after refused commands:\n%s\nwant\n%s", after, audit)
	}
	cen := centretest.Open(t, store, nil)
	if k, err := cen.Authenticate(context.Background(), token); err != nil || k.ID != "lobby-1" {
		t.Errorf("lobby-1's token after a refused revocation and re-enrolment: %+v, %v; want it to work", k, err)
	}
	var codes int
	if err := cen.DB().QueryRow("SELECT count(*) FROM enrolment_codes").Scan(&codes); err != nil || codes != 0 {
		t.Errorf("%d enrolment codes after a refused one (%v), want none", codes, err)
	}
	if err := cen.Close(); err != nil {
		t.Fatal(err)
	}
	// Once the log takes entries, they work.
	c.mustRun("revoke", "lobby-1")
	c.mustFail("revoked already", "revoke", "lobby-1")
}

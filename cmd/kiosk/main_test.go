package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// run runs the program with args against a database in dir and returns
// what it printed.
func run(t *testing.T, dir, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := NewMain()
	m.Stdin, m.Stdout, m.Stderr = strings.NewReader(stdin), &out, &errOut
	err := m.ParseFlags(append([]string{"--db", filepath.Join(dir, "kiosk.db")}, args...))
	if err == nil {
		err = m.Run(context.Background())
	}
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	return out.String(), err
}

func mustRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := run(t, dir, "", args...)
	if err != nil {
		t.Fatalf("kiosk %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func TestCommandsShareTheDatabase(t *testing.T) {
	dir := t.TempDir()
	out := mustRun(t, dir, "checkin", "--name", "Zoë", "--service", "registration")
	// No desk is open: no range that could not come true.
	if !strings.HasPrefix(out, "R-001\tposition 1\tno desk open: called when one opens\t") || !strings.Contains(out, "LL1.lobby-1.") {
		t.Fatalf("checkin printed %q", out)
	}
	mustRun(t, dir, "checkin", "--name", "李雷", "--service", "registration")
	if out := mustRun(t, dir, "queue"); strings.Contains(out, " min") || strings.Count(out, "no desk open: called when one opens") != 2 {
		t.Fatalf("queue with no desk open printed:\n%s", out)
	}
	if _, err := run(t, dir, "", "call-next", "--desk", "desk-1"); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("call-next at a closed desk: %v", err)
	}
	mustRun(t, dir, "open-desk", "--desk", "desk-1", "--staff", "Marta")
	if out := mustRun(t, dir, "call-next", "--desk", "desk-1", "--staff", "Marta"); !strings.HasPrefix(out, "R-001\tZoë") {
		t.Fatalf("call-next printed %q", out)
	}
	out = mustRun(t, dir, "queue")
	// Registration's 6 min per visitor, 1 desk, first in line behind R-001: 6 min, 3–9.
	if !strings.Contains(out, "desk-1  open    Marta  R-001 Zoë") || !regexp.MustCompile(`R-002 .* 0s +3-9 min`).MatchString(out) {
		t.Fatalf("queue printed:\n%s", out)
	}
	out = mustRun(t, dir, "export", "--day", time.Now().Format("2006-01-02"))
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 3 || recs[2][8] != "李雷" {
		t.Fatalf("export: %v\n%s", err, out)
	}
}

func TestCheckInRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	cases := map[string][]string{
		"name: Please enter your name.":      {"checkin", "--service", "registration"},
		"service: Please choose a service":   {"checkin", "--name", "Ana", "--service", "xray"},
		"phone: Please enter a phone number": {"checkin", "--name", "Ana", "--service", "visit", "--phone", "call me"},
		"name: Please use letters":           {"checkin", "--name", "Ana\x1b[2J", "--service", "visit"},
		"name: Your name holds an invisible": {"checkin", "--name", "Zoë \u202Eneirb'O", "--service", "visit"},
		"host: The name of whom you visit":   {"checkin", "--name", "Zoë", "--host", "Dr\u200B Ruiz", "--service", "visit"},
		`unknown command "frobnicate"`:       {"frobnicate"},
		"A day is written YYYY-MM-DD":        {"export", "--day", "monday"},
		"There is no desk desk-9":            {"open-desk", "--desk", "desk-9", "--staff", "Ana"},
		"Please say who is at Desk 1":        {"open-desk", "--desk", "desk-1"},
		"Nobody is waiting for Desk 2":       {"open-desk", "--desk", "desk-2", "--staff", "Ana"},
		"wait-eval needs --log FILE.csv":     {"wait-eval"},
		"no such file or directory":          {"wait-eval", "--log", filepath.Join(dir, "missing.csv")},
		"unknown key idle_timout":            {"--config", writeFile(t, dir, "bad.toml", "idle_timout = \"1m\"\n"), "queue"},
	}
	for want, args := range cases {
		_, err := run(t, dir, "", args...)
		if want == "Nobody is waiting for Desk 2" { // opening works; calling finds nobody
			if err != nil {
				t.Fatal(err)
			}
			_, err = run(t, dir, "", "call-next", "--desk", "desk-2")
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("kiosk %s: got %v, want %q", strings.Join(args, " "), err, want)
		}
	}
	if out := mustRun(t, dir, "queue"); strings.Contains(out, "R-0") || strings.Contains(out, "V-0") {
		t.Fatalf("a rejected check-in was stored:\n%s", out)
	}
}

func TestHashPIN(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, dir, "2580\n", "hash-pin")
	if err != nil || !strings.HasPrefix(out, `pin_hash = "$2a$`) {
		t.Fatalf("hash-pin: %q, %v", out, err)
	}
	// The printed line drops into a config that then validates.
	cfg := strings.Replace(defaultConfig, `pin_hash = "`+DefaultConfig().PINHash+`"`, strings.TrimSpace(out), 1)
	if _, err := ParseConfig(cfg); err != nil {
		t.Fatalf("config with the new hash: %v", err)
	}
	if _, err := run(t, dir, "12\n", "hash-pin"); err == nil {
		t.Fatal("a 2-digit PIN was hashed")
	}
}

func TestWaitEvalPrintsOneLinePerMethod(t *testing.T) {
	dir := t.TempDir()
	log := writeFile(t, dir, "log.csv", "id,service,arrived,called,done,counter,outcome\n"+
		"1,a,2026-03-02T10:00:00Z,2026-03-02T10:10:00Z,2026-03-02T10:20:00Z,,served\n"+
		"2,a,2026-03-02T10:30:00Z,2026-03-02T10:50:00Z,2026-03-02T11:00:00Z,,served\n")
	out := mustRun(t, dir, "wait-eval", "--log", log)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "estimator served=2 mae_min=") || !strings.HasPrefix(lines[1], "naive ") {
		t.Fatalf("wait-eval printed:\n%s", out)
	}
}

// Outside --demo the lobby never opens with the sample PIN, without a
// PIN, or with the embedded centre; check-config says so, and what to do,
// while it still validates the file (a config without a PIN is valid:
// IT sets it on the machine).
func TestCheckConfigSaysWhetherTheLobbyMayOpen(t *testing.T) {
	dir := t.TempDir()
	sample := defaultConfig
	for _, tc := range []struct {
		name   string
		args   []string
		config string
		want   string
	}{
		{"no config", nil, "", "lobby: will not open: This kiosk has no configuration"},
		{"demo", []string{"--demo"}, "", "lobby: ready"},
		{"sample PIN", nil, sample, "still the sample's, which anyone can look up"},
		{"no PIN", nil, strings.Replace(sample, "pin_hash = ", "# pin_hash = ", 1), "No staff account yet. Make the first supervisor with `lobbyline-kiosk staff add --role supervisor"},
		{"embedded", nil, withPIN(sample), `central = "embedded" runs a private centre`},
		{"off", nil, strings.Replace(withPIN(sample), `central = "embedded"`, `central = "off"`, 1), "lobby: ready"},
		{"not enrolled", nil, strings.Replace(withPIN(sample), `central = "embedded"`, `central = "https://centre.example"`, 1), "lobby: waiting for enrolment"},
	} {
		args := tc.args
		if tc.config != "" {
			args = append(args, "--config", writeFile(t, dir, tc.name+".toml", tc.config))
		}
		out, err := run(t, dir, "", append(args, "check-config")...)
		if !strings.Contains(out, "config ok: kiosk lobby-1") || !strings.Contains(out, tc.want) {
			t.Errorf("%s: check-config printed %q, want %q", tc.name, out, tc.want)
		}
		if strings.Contains(out, "2580") {
			t.Errorf("%s: the sample PIN is shown: %q", tc.name, out)
		}
		// A script tells a lobby that will not open by the status alone.
		if ready := strings.Contains(out, "lobby: ready"); (err == nil) != ready || (!ready && !errors.Is(err, exitNotReady)) {
			t.Errorf("%s: check-config returned %v (ready: %v)", tc.name, err, ready)
		}
	}
}

// withPIN is config text with a PIN of its own (1234).
func withPIN(config string) string {
	hash, err := bcrypt.GenerateFromPassword([]byte("1234"), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return strings.Replace(config, DefaultConfig().PINHash, string(hash), 1)
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCheckInNamesEveryProblem: the command line, like the kiosk's form,
// reports every problem of a check-in at once.
func TestCheckInNamesEveryProblem(t *testing.T) {
	_, err := run(t, t.TempDir(), "", "checkin", "--phone", "12")
	if err == nil {
		t.Fatal("a check-in with no name, no service and a short phone was accepted")
	}
	for _, want := range []string{"name: ", "phone: ", "service: "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

// queue, incidents and roster take --json, for IT's scripts.
func TestListsAsJSON(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "checkin", "--name", "Zoë", "--service", "registration")
	mustRun(t, dir, "checkin", "--name", "Li", "--service", "visit")
	mustRun(t, dir, "open-desk", "--desk", "desk-1", "--staff", "Marta")
	var q struct {
		Desks []struct {
			Desk string
			Open bool
		}
		Waiting []struct {
			Service, Ticket, Name string
			Position              int
			WaitHigh              int64 `json:"wait_high_s"`
			DeskOpen              bool  `json:"desk_open"`
		}
	}
	if err := json.Unmarshal([]byte(mustRun(t, dir, "queue", "--json")), &q); err != nil {
		t.Fatal(err)
	}
	if len(q.Desks) != 2 || !q.Desks[0].Open || len(q.Waiting) != 2 || q.Waiting[0].Ticket == "" || !q.Waiting[0].DeskOpen {
		t.Errorf("queue --json: %+v", q)
	}
	mustRun(t, dir, "drill", "start", "--minutes", "5")
	var incs []struct {
		ID   int64
		Kind string
		End  *time.Time
	}
	if err := json.Unmarshal([]byte(mustRun(t, dir, "incidents", "--json")), &incs); err != nil {
		t.Fatal(err)
	}
	if len(incs) != 1 || incs[0].Kind != "drill" || incs[0].End != nil {
		t.Errorf("incidents --json: %+v", incs)
	}
	var roster struct {
		OnSite []struct {
			Name    string
			Tickets []struct{ Ticket string }
		} `json:"on_site"`
		CheckedOut []struct{ Ticket, Proof string } `json:"checked_out"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, dir, "roster", "--json")), &roster); err != nil {
		t.Fatal(err)
	}
	if people := roster.OnSite; len(people) != 2 || people[0].Name != "Zoë" || len(people[0].Tickets) != 1 || roster.CheckedOut == nil {
		t.Errorf("roster --json: %+v", roster)
	}
	if _, err := run(t, dir, "", "roster", "--json", "--csv"); err == nil {
		t.Error("roster --json --csv")
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"lobbyline/syncer/centre/centretest"
)

// program runs the centre's command against one store, as IT would from a shell.
type program struct {
	t     *testing.T
	store string // --store DSN
}

// scenarios run against SQLite, and against PostgreSQL when the test
// command provides one (see TestPostgres).
var scenarios = map[string]func(t *testing.T, store string){
	"AdminCommands":               testAdminCommands,
	"ImportEachKind":              testImportEachKind,
	"ListImportKeepsFormulaText":  testListImportKeepsFormulaText,
	"Incidents":                   testIncidents,
	"IncidentsCSVDefusesFormulas": testIncidentsCSVDefusesFormulas,
	"Serve":                       testServe,
	"SiteConfig":                  testSiteConfig,
	"SiteConfigSettings":          testSiteConfigSettings,
	"ImportServices":              testImportServices,
	"StaffCommands":               testStaffCommands,
	"AuditRefused":                testAuditRefused,
}

func TestSQLite(t *testing.T) {
	for name, fn := range scenarios {
		t.Run(name, func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "central.db")) })
	}
}

// TestPostgres runs the scenarios in a fresh database each on the server
// at LOBBYLINE_TEST_POSTGRES, which ./dev.sh test starts.
func TestPostgres(t *testing.T) {
	base := os.Getenv("LOBBYLINE_TEST_POSTGRES")
	if base == "" {
		t.Skip("LOBBYLINE_TEST_POSTGRES is not set; ./dev.sh test starts a server and sets it")
	}
	for name, fn := range scenarios {
		t.Run(name, func(t *testing.T) { fn(t, newPostgresDatabase(t, base)) })
	}
}

func newPostgresDatabase(t *testing.T, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	name := "central_test_" + strings.ToLower(rand.Text()[:10])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Error(err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func newCentre(t *testing.T, store string) *program {
	return &program{t: t, store: store}
}

// newMain is a Main that writes to buffers and logs to the test output.
func newMain(t *testing.T) (*Main, *bytes.Buffer) {
	var out bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr = &out, t.Output()
	m.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	return m, &out
}

// runArgs runs the program with exactly args and returns what it printed.
func runArgs(t *testing.T, args ...string) (string, error) {
	t.Helper()
	m, out := newMain(t)
	err := m.ParseFlags(args)
	if err == nil {
		err = m.Run(context.Background())
	}
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	return out.String(), err
}

// run runs the program with --store first.
func (c *program) run(args ...string) (string, error) {
	c.t.Helper()
	return runArgs(c.t, append([]string{"--store", c.store}, args...)...)
}

func (c *program) mustRun(args ...string) string {
	c.t.Helper()
	out, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("central %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// mustFail runs a command that must fail with an error containing want.
func (c *program) mustFail(want string, args ...string) {
	c.t.Helper()
	out, err := c.run(args...)
	if err == nil || !strings.Contains(err.Error(), want) {
		c.t.Errorf("central %s: got %v (printed %q), want an error containing %q", strings.Join(args, " "), err, out, want)
	}
}

var tokenPattern = regexp.MustCompile(`(?m)^    (llk_[A-Za-z0-9_-]{43})$`)

// enroll enrolls a kiosk and returns its token.
func (c *program) enroll(site, kiosk string, extra ...string) string {
	c.t.Helper()
	out := c.mustRun(append([]string{"enroll", "--token", "--site", site, kiosk}, extra...)...)
	m := tokenPattern.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "enrolment file") {
		c.t.Fatalf("enroll printed no token and where to put it:\n%s", out)
	}
	return m[1]
}

func testAdminCommands(t *testing.T, store string) {
	c := newCentre(t, store)
	if out := c.mustRun("kiosks"); !strings.Contains(out, "No kiosks enrolled") {
		t.Fatalf("kiosks on an empty store: %q", out)
	}
	if out := c.mustRun("site", "add", "north", "North", "Hospital"); out != "site north: North Hospital\n" {
		t.Fatalf("site add printed %q", out)
	}
	c.mustRun("site", "add", "south", "South Clinic")

	// Flags may come after the command and between its arguments.
	out, err := runArgs(t, "enroll", "--token", "--site", "north", "lobby-1", "--name", "Main lobby", "--store", store)
	if err != nil || tokenPattern.FindString(out) == "" {
		t.Fatalf("enroll with flags after the kiosk: %v\n%s", err, out)
	}
	first := tokenPattern.FindStringSubmatch(out)[1]
	c.mustFail("enrolled already (never seen)", "enroll", "--site", "north", "lobby-1")
	second := c.enroll("north", "lobby-1", "--replace") // again: a new token, the name kept
	if second == first {
		t.Fatal("enrolling again gave the same token")
	}
	c.enroll("south", "er-1", "--name", "Emergency")
	c.mustFail(`kiosk "lobby-1" belongs to site "north"`, "enroll", "--site", "south", "lobby-1")

	c.mustRun("revoke", "er-1")
	c.mustFail(`no enrolled kiosk "er-1", or it is revoked already`, "revoke", "er-1")
	c.mustFail(`no enrolled kiosk "ghost"`, "revoke", "ghost")

	out = c.mustRun("kiosks")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "SITE") ||
		!regexp.MustCompile(`^north +lobby-1 +Main lobby +no +never +0 +0s +0$`).MatchString(lines[1]) ||
		!regexp.MustCompile(`^south +er-1 +Emergency +yes +never`).MatchString(lines[2]) {
		t.Fatalf("kiosks printed:\n%s", out)
	}

	// Inputs the store refuses after it is open change nothing either.
	c.mustFail(`site "west" does not exist; add it with: central site add west NAME`, "enroll", "--site", "west", "k-9")
	c.mustFail(`site "west" does not exist`, "list", "prereg", "--site", "west")
	c.mustFail(`site "west" does not exist`, "compact", "--site", "west")
	c.mustFail("no pre-registration NOPE-1 at site north", "cancel-prereg", "--site", "north", "nope-1")
	if after := c.mustRun("kiosks"); after != out {
		t.Fatalf("a refused command changed the kiosks:\n%s", after)
	}

	// Compact: a deleted record older than the age goes, a live one stays.
	dir := t.TempDir()
	c.mustRun("import", "hosts", "--site", "north", writeFile(t, dir, "h.csv", "department,name,extension\nRadiology,,1\nPharmacy,,2\n"))
	c.mustRun("import", "hosts", "--site", "north", "--replace", writeFile(t, dir, "h2.csv", "department,name,extension\nRadiology,,1\n"))
	if out := c.mustRun("compact", "--site", "north", "--older-than", "1h"); !strings.Contains(out, "purged 0 deletion marker(s)") {
		t.Fatalf("compact of fresh markers: %q", out)
	}
	m, buf := newMain(t)
	m.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if err := m.ParseFlags([]string{"--store", store, "compact", "--site", "north", "--older-than", "1h"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if !strings.Contains(buf.String(), "purged 1 deletion marker(s)") {
		t.Fatalf("compact printed %q", buf.String())
	}
	if out := c.mustRun("list", "hosts", "--site", "north"); out != "department,name,extension\nRadiology,,1\n" {
		t.Fatalf("hosts after compact:\n%s", out)
	}
}

// TestBadArgumentsOpenNothing: every mistake on the command line is
// reported before the store is opened, so not even an empty database
// appears.
func TestBadArgumentsOpenNothing(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "central.db")
	c := newCentre(t, store)
	badCSV := writeFile(t, dir, "bad.csv", "code,name,host,expected\nAB12-CD34,Ana,,tomorrow\n")
	badConfig := writeFile(t, dir, "bad.toml", "lisen = \":1\"\n")
	cases := map[string][]string{
		`unknown command "frobnicate" (try central --help)`:                           {"frobnicate"},
		"site needs a subcommand: central site add ID NAME":                           {"site"},
		`site id "North" must be lower-case`:                                          {"site", "add", "North", "X"},
		"takes a site ID and NAME":                                                    {"site", "add", "north"},
		"site name is empty":                                                          {"site", "add", "north", " "},
		"enroll: --site SITE is required":                                             {"enroll", "lobby-1"},
		"enroll: takes 1 argument(s), KIOSK; got 0":                                   {"enroll", "--site", "north"},
		`kiosk id "Lobby 1" must be lower-case`:                                       {"enroll", "--site", "north", "Lobby 1"},
		"--name holds a control character":                                            {"enroll", "--site", "north", "--name", "a\tb", "k-1"},
		`--site "North" must be lower-case`:                                           {"enroll", "--site", "North", "k-1"},
		"revoke: takes 1 argument(s), KIOSK; got 2":                                   {"revoke", "a", "b"},
		"kiosks: takes no arguments":                                                  {"kiosks", "all"},
		"admin needs a subcommand: central admin add NAME":                            {"admin"},
		`admin name "IT Ops" must be lower-case`:                                      {"admin", "add", "IT Ops"},
		"admin add: takes 1 argument(s), NAME; got 0":                                 {"admin", "add"},
		`admin_listen ":8471" is not a loopback address`:                              {"--admin-listen", ":8471", "serve"},
		`unknown kind "people": want prereg, watch, hosts, services or announcements`: {"import", "people", "--site", "north", badCSV},
		"import: --site SITE is required":                                             {"import", "prereg", badCSV},
		"import: takes 2 argument(s), KIND FILE.csv; got 1":                           {"import", "prereg", "--site", "north"},
		"no such file or directory":                                                   {"import", "prereg", "--site", "north", filepath.Join(dir, "missing.csv")},
		`line 2: pre-registration AB12-CD34: expected "tomorrow" is not a time`:       {"import", "prereg", "--site", "north", badCSV},
		"list: takes 1 argument(s), KIND; got 0":                                      {"list", "--site", "north"},
		"--older-than -1h0m0s must be positive":                                       {"compact", "--site", "north", "--older-than", "-1h"},
		`invalid value "soon" for flag -older-than`:                                   {"compact", "--site", "north", "--older-than", "soon"},
		"the invite CODE is empty":                                                    {"cancel-prereg", "--site", "north", " "},
		`listen "nowhere" must be host:port`:                                          {"--listen", "nowhere", "serve"},
		`serve: takes no arguments, got ["now"]`:                                      {"serve", "now"},
		"unknown key lisen":                                                           {"--config", badConfig, "kiosks"},
		"flag provided but not defined: -listen":                                      {"kiosks", "--listen", ":1"},
		"incidents: --site SITE is required":                                          {"incidents", "--csv"},
		"incidents: takes no arguments":                                               {"incidents", "--site", "north", "all"},
		`invalid value "2026-13-01" for flag -since: must be a date like 2026-03-02`:  {"incidents", "--site", "north", "--since", "2026-13-01"},
	}
	for want, args := range cases {
		c.mustFail(want, args...)
	}
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Fatalf("a refused command created the store: %v", err)
	}
}

// TestDefaultStore: without --store or a store key the database is in
// the user's data directory.
func TestDefaultStore(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dir)
	if _, err := runArgs(t, "site", "add", "north", "North"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "lobbyline-central", "central.db")); err != nil {
		t.Fatal(err)
	}
	// A config's store is used unless --store overrides it.
	other := filepath.Join(dir, "other.db")
	cfg := writeFile(t, dir, "central.toml", fmt.Sprintf("store = %q\n", other))
	if _, err := runArgs(t, "--config", cfg, "site", "add", "south", "South"); err != nil {
		t.Fatal(err)
	}
	if out, err := runArgs(t, "--config", cfg, "list", "hosts", "--site", "north"); err == nil {
		t.Fatalf("site north is in the config's store too:\n%s", out)
	}
	if _, err := runArgs(t, "list", "hosts", "--config", cfg, "--store", filepath.Join(dir, "lobbyline-central", "central.db"), "--site", "north"); err != nil {
		t.Fatalf("--store after --config: %v", err)
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// `central enroll` prints a one-time code with its QR and how to use it;
// with --json, what a script needs. The code enrols the kiosk once.
func TestEnrollPrintsACode(t *testing.T) {
	store := filepath.Join(t.TempDir(), "central.db")
	c := newCentre(t, store)
	c.mustRun("site", "add", "north", "North")
	out := c.mustRun("enroll", "--site", "north", "--centre", "https://centre.example:8080", "lobby-1")
	m := regexp.MustCompile(`(?m)^    ([A-Z2-9]{5}-[A-Z2-9]{5})$`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "lobbyline-kiosk enroll --centre https://centre.example:8080 --code "+m[1]) ||
		!strings.Contains(out, "█") || !strings.Contains(out, "for one use until") {
		t.Fatalf("enroll printed:\n%s", out)
	}
	var got struct{ Site, Kiosk, Code, Expires string }
	if err := json.Unmarshal([]byte(c.mustRun("enroll", "--json", "--valid", "1h", "--site", "north", "lobby-2")), &got); err != nil {
		t.Fatal(err)
	}
	if got.Site != "north" || got.Kiosk != "lobby-2" || len(got.Code) != 11 || got.Expires == "" {
		t.Errorf("enroll --json: %+v", got)
	}
	c.mustFail("--valid", "enroll", "--valid", "0s", "--site", "north", "lobby-3")
	c.mustFail("--centre", "enroll", "--centre", "ftp://x", "--site", "north", "lobby-3")
	// A plain-HTTP address on the network is enrolled, with the warning
	// that kiosks will refuse it (unless insecure); loopback is fine.
	if out := c.mustRun("enroll", "--site", "north", "--centre", "http://10.0.0.5:8470", "lobby-4"); !strings.Contains(out, "Warning: kiosks will refuse this address") {
		t.Errorf("enroll with a plain-HTTP centre on the network printed no warning:\n%s", out)
	}
	if out := c.mustRun("enroll", "--site", "north", "--centre", "http://127.0.0.1:8470", "lobby-5"); strings.Contains(out, "Warning: kiosks") {
		t.Errorf("enroll with a loopback centre warned:\n%s", out)
	}

	st := centretest.Open(t, store, time.Now)
	resp, err := st.Redeem(context.Background(), got.Code)
	if err != nil || resp.Kiosk != "lobby-2" {
		t.Fatalf("redeem the printed code: %+v, %v", resp, err)
	}
}

// `kiosks --json` and `incidents --json` print what the tables show, for
// scripts.
func TestListsAsJSON(t *testing.T) {
	store := filepath.Join(t.TempDir(), "central.db")
	c := newCentre(t, store)
	c.mustRun("site", "add", "north", "North")
	c.enroll("north", "lobby-1", "--name", "Main lobby")
	var ks []struct {
		Site, Kiosk, Name string
		Revoked           bool
		LastSeen          *time.Time `json:"last_seen"`
	}
	if err := json.Unmarshal([]byte(c.mustRun("kiosks", "--json")), &ks); err != nil {
		t.Fatal(err)
	}
	if len(ks) != 1 || ks[0].Kiosk != "lobby-1" || ks[0].Name != "Main lobby" || ks[0].Revoked || ks[0].LastSeen != nil {
		t.Errorf("kiosks --json: %+v", ks)
	}
	if out := c.mustRun("sites", "--json"); !strings.Contains(out, `"id": "north"`) || !strings.Contains(out, `"name": "North"`) {
		t.Errorf("sites --json: %q", out)
	}
	if out := c.mustRun("sites"); !regexp.MustCompile(`(?m)^north +North$`).MatchString(out) {
		t.Errorf("sites: %q", out)
	}
	if out := c.mustRun("incidents", "--site", "north", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("incidents --json with none: %q", out)
	}
	c.mustFail("not both", "incidents", "--site", "north", "--json", "--csv")
}

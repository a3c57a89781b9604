package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// Staff accounts at the command line: PINs from standard input only,
// never a hash printed, every change audited as the operating-system
// user from the command line; a kiosk with a supervisor and no set-up
// PIN opens.
func TestStaffAccountsAtTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	config := writeFile(t, dir, "kiosk.toml", strings.Replace(
		strings.Replace(defaultConfig, "pin_hash = ", "# pin_hash = ", 1), `central = "embedded"`, `central = "off"`, 1))
	cfg := []string{"--config", config}
	if out, _ := run(t, dir, "", append(cfg, "check-config")...); !strings.Contains(out, "No staff account yet") {
		t.Fatalf("check-config with no account:\n%s", out)
	}
	if _, err := run(t, dir, "", append(cfg, "staff", "add", "--name", "Eva Lind", "--role", "supervisor", "20261205")...); err == nil ||
		!strings.Contains(err.Error(), "standard input") {
		t.Fatalf("a PIN on the command line: %v", err)
	}
	if _, err := run(t, dir, "1234\n", append(cfg, "staff", "add", "--name", "Eva Lind", "--role", "supervisor")...); err == nil ||
		!strings.Contains(err.Error(), "6 to 12 digits") {
		t.Fatalf("a short PIN: %v", err)
	}
	if _, err := run(t, dir, "", append(cfg, "staff", "add", "--name", "Eva Lind", "--role", "supervisor")...); err == nil ||
		!strings.Contains(err.Error(), "no PIN (6 to 12 digits) on standard input") {
		t.Fatalf("an account with no PIN: %v", err)
	}
	out, err := run(t, dir, "20261205\nBADGE-0042\n", append(cfg, "staff", "add", "--name", "Eva Lind", "--role", "supervisor", "--badge")...)
	if err != nil || !strings.Contains(out, "added Eva Lind (supervisor), id st-") {
		t.Fatalf("staff add: %q, %v", out, err)
	}
	id := strings.TrimSpace(out[strings.Index(out, "id ")+3:])
	if out, err := run(t, dir, "", append(cfg, "check-config")...); err != nil || !strings.Contains(out, "lobby: ready") {
		t.Fatalf("check-config with a supervisor: %q, %v", out, err)
	}
	mustRun(t, dir, append(cfg, "staff", "disable", "--id", id)...)
	list := mustRun(t, dir, append(cfg, "staff", "list", "--json")...)
	if strings.Contains(list, "argon2") || strings.Contains(list, "BADGE") {
		t.Errorf("staff list shows a secret:\n%s", list)
	}
	var accounts []staffJSON
	if err := json.Unmarshal([]byte(list), &accounts); err != nil || len(accounts) != 1 || !accounts[0].Disabled || !accounts[0].Badge {
		t.Fatalf("staff list: %s, %v", list, err)
	}
	mustRun(t, dir, append(cfg, "open-desk", "--desk", "desk-1", "--staff", "Eva")...)

	audit := mustRun(t, dir, append(cfg, "audit", "--json")...)
	var log []struct {
		Source, Name, Action string
		OSUser               string `json:"os_user"`
	}
	if err := json.Unmarshal([]byte(audit), &log); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log {
		if e.Source != "cli" || e.OSUser == "" || e.Name != e.OSUser && os.Getenv("SUDO_USER") == "" {
			t.Errorf("entry %+v is not the command line's", e)
		}
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "account_add account_change desk_open" {
		t.Errorf("audited: %s", got)
	}
	if csv := mustRun(t, dir, append(cfg, "audit", "--csv")...); !strings.HasPrefix(csv, "at,kiosk,source,account,name,role,os_user,action,ticket,detail\n") {
		t.Errorf("audit --csv:\n%s", csv)
	}
}

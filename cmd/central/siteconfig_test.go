package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lobbyline/queue/siteconfig"
)

const siteConfigV1 = `
[[services]]
id = "visit"
prefix = "V"
name = "Visit a patient"
time_per_visitor = "2m"

[[desks]]
id = "desk-1"
name = "Desk 1"
services = ["visit"]
`

// testSiteConfig: a good file is stored as the next version; a bad one is
// refused with the reason and the site keeps the version it had.
func testSiteConfig(t *testing.T, store string) {
	c := newCentre(t, store)
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := file("v1.toml", siteConfigV1)
	c.mustFail(`site "north" does not exist`, "config", "set", "--site", "north", good)
	c.mustRun("site", "add", "north", "North Hospital")
	if out := c.mustRun("config", "show", "--site", "north"); !strings.Contains(out, "no configuration set") {
		t.Errorf("config show before any set printed %q", out)
	}
	if out := c.mustRun("config", "set", "--site", "north", "--by", "ana", good); !strings.Contains(out, "configuration version 1 stored (1 services, 1 desks)") {
		t.Errorf("config set printed %q", out)
	}
	bad := file("bad.toml", strings.Replace(siteConfigV1, `services = ["visit"]`, `services = ["visit", "pharmacy"]`, 1))
	c.mustFail(`nothing stored; `+bad+`: desks[0].services[1]: no service has id "pharmacy"`, "config", "set", "--site", "north", bad)
	typo := file("typo.toml", strings.Replace(siteConfigV1, "prefix =", "prefx =", 1))
	c.mustFail("unknown key services.prefx", "config", "set", "--site", "north", typo)

	out := c.mustRun("config", "show", "--site", "north", "--json")
	rec, err := siteconfig.DecodeRecord([]byte(out))
	if err != nil {
		t.Fatalf("config show --json printed %q: %v", out, err)
	}
	if rec.Version != 1 || rec.SetBy != "ana" || len(rec.Desks) != 1 || len(rec.Desks[0].Services) != 1 {
		t.Errorf("after a refused file, the site holds %+v; want version 1 as set", rec)
	}

	v2 := file("v2.toml", siteConfigV1+"\n[[services]]\nid = \"pharmacy\"\nprefix = \"P\"\nname = \"Pharmacy\"\n")
	c.mustRun("config", "set", "--site", "north", v2)
	out = c.mustRun("config", "show", "--site", "north")
	for _, want := range []string{"configuration version 2", "pharmacy  P       Pharmacy", "desk-1  Desk 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("config show printed\n%s\nwant it to hold %q", out, want)
		}
	}
	c.mustFail("config needs a subcommand: central config set", "config")
}

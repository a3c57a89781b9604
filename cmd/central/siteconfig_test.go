package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

const siteConfigSettings = `languages = ["en", "es"]
idle_timeout = "2m"

[outage]
grace = "2m"
major_after = "20m"
critical_after = "0s"
runbook = ["Call IT on 4410"]

[outage.contacts]
major = ["Duty manager, ext. 2000"]

[[outage.templates]]
id = "pharmacy"
severity = "minor"
title = { en = "Pharmacy", es = "Farmacia" }
text = { en = "The pharmacy closes early.", es = "La farmacia cierra antes." }
`

// testSiteConfigSettings: languages, timeouts and the site's part of
// [outage] are set with the services and desks, refused with the key when
// bad, and shown back as TOML that config set takes again.
func testSiteConfigSettings(t *testing.T, store string) {
	c := newCentre(t, store)
	dir := t.TempDir()
	c.mustRun("site", "add", "north", "North Hospital")
	good := writeFile(t, dir, "good.toml", siteConfigSettings+siteConfigV1)
	if out := c.mustRun("config", "set", "--site", "north", good); !strings.Contains(out, "configuration version 1 stored") {
		t.Fatalf("config set printed %q", out)
	}
	for _, bad := range []struct{ text, want string }{
		{strings.Replace(siteConfigSettings, `major_after = "20m"`, `major_after = "1m"`, 1), "outage.major_after must be between outage.grace and 24h"},
		{strings.Replace(siteConfigSettings, `idle_timeout = "2m"`, `idle_timeout = "2h"`, 1), "idle_timeout must be between 10s and 30m"},
		{strings.Replace(siteConfigSettings, `, es = "La farmacia cierra antes."`, "", 1), "outage.templates[0] (pharmacy).text.es is missing"},
		{strings.Replace(siteConfigSettings, `grace = "2m"`, `grace = "2m"`+"\nclock_max = \"1h\"", 1), "unknown key outage.clock_max"},
	} {
		c.mustFail("nothing stored; ", "config", "set", "--site", "north", writeFile(t, dir, "bad.toml", bad.text+siteConfigV1))
		c.mustFail(bad.want, "config", "set", "--site", "north", writeFile(t, dir, "bad.toml", bad.text+siteConfigV1))
	}
	out := c.mustRun("config", "show", "--site", "north")
	for _, want := range []string{"configuration version 1", `languages = ["en", "es"]`, `critical_after = "0s"`, `runbook = ["Call IT on 4410"]`} {
		if !strings.Contains(out, want) {
			t.Errorf("config show printed\n%s\nwant it to hold %q", out, want)
		}
	}
	// What show --toml prints, set takes as the next version, the same.
	shown := c.mustRun("config", "show", "--site", "north", "--toml")
	c.mustRun("config", "set", "--site", "north", writeFile(t, dir, "shown.toml", shown))
	v1, err := siteconfig.Parse(siteConfigSettings + siteConfigV1)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := siteconfig.DecodeRecord([]byte(c.mustRun("config", "show", "--site", "north", "--json")))
	if err != nil || rec.Version != 2 {
		t.Fatalf("after setting what show --toml printed: %+v, %v", rec, err)
	}
	a, _ := json.Marshal(v1)
	b, _ := json.Marshal(rec.Document)
	if string(a) != string(b) {
		t.Fatalf("show --toml, set again, changed the document:\n%s\n%s\nTOML:\n%s", a, b, shown)
	}
}

// testImportServices: import services makes a new version of the site's
// configuration from its current one, so services have one source at the
// centre; the CSV format is as before.
func testImportServices(t *testing.T, store string) {
	c := newCentre(t, store)
	dir := t.TempDir()
	c.mustRun("site", "add", "north", "North Hospital")
	good := writeFile(t, dir, "good.csv", "id,prefix,name\nregistration,R,Registration\nvisit,v,Visit a relative\n")
	c.mustFail("site north has no configuration yet", "import", "services", "--site", "north", good)
	c.mustRun("config", "set", "--site", "north", writeFile(t, dir, "v1.toml", siteConfigSettings+siteConfigV1))

	if out := c.mustRun("import", "services", "--site", "north", good); !strings.Contains(out, "1 added, 1 updated, 0 deleted, 0 unchanged; configuration version 2 stored") {
		t.Fatalf("import printed %q", out)
	}
	listed := c.mustRun("list", "services", "--site", "north")
	if want := "id,prefix,name\nvisit,V,Visit a relative\nregistration,R,Registration\n"; listed != want {
		t.Fatalf("list printed:\n%s\nwant:\n%s", listed, want)
	}
	if out := c.mustRun("import", "services", "--site", "north", writeFile(t, dir, "listed.csv", listed)); !strings.Contains(out, "0 added, 0 updated, 0 deleted, 2 unchanged; configuration version 2 kept") {
		t.Fatalf("importing the list again printed %q", out)
	}
	rec, err := siteconfig.DecodeRecord([]byte(c.mustRun("config", "show", "--site", "north", "--json")))
	if err != nil {
		t.Fatal(err)
	}
	visit := rec.QueueServices()[0]
	if rec.Version != 2 || visit.Name != "Visit a relative" || visit.TimePerVisitor != 2*time.Minute || len(rec.Desks) != 1 || rec.Outage == nil || len(rec.Languages) != 2 {
		t.Fatalf("version 2: %+v; want the file's name, the time per visitor, desks and settings kept", rec)
	}
	// A desk names visit: a file without it cannot replace the services.
	c.mustFail(`desks[0].services[0]: no service has id "visit"`, "import", "services", "--site", "north", "--replace",
		writeFile(t, dir, "replace.csv", "id,prefix,name\nregistration,R,Registration\n"))
	if out := c.mustRun("import", "services", "--site", "north", "--replace", writeFile(t, dir, "replace2.csv", "id,prefix,name\nvisit,V,Visit a relative\n")); !strings.Contains(out, "0 added, 0 updated, 1 deleted, 1 unchanged; configuration version 3") {
		t.Fatalf("import --replace printed %q", out)
	}
	// Text that looks like a formula is listed as it is and read back.
	c.mustRun("import", "services", "--site", "north", writeFile(t, dir, "formula.csv", "id,prefix,name\nlab,L,\"-2+3+cmd|' /C calc'!A0\"\n"))
	listed = c.mustRun("list", "services", "--site", "north")
	if !strings.Contains(listed, "lab,L,-2+3+cmd|' /C calc'!A0\n") {
		t.Fatalf("list printed:\n%s", listed)
	}
	if out := c.mustRun("import", "services", "--site", "north", writeFile(t, dir, "again.csv", listed)); !strings.Contains(out, "2 unchanged; configuration version 4 kept") {
		t.Fatalf("importing the list again printed %q", out)
	}
}

package main

import (
	"os"
	"strings"
	"testing"
)

func TestIncidentCommands(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, "checkin", "--name", "Ana García", "--service", "registration")
	mustRun(t, dir, "checkin", "--name", "=cmd|x", "--service", "visit")
	if out := mustRun(t, dir, "incidents"); !strings.Contains(out, "(no incidents)") {
		t.Fatalf("incidents before any:\n%s", out)
	}
	if _, err := run(t, dir, "", "drill", "start", "--minutes", "0"); err == nil || !strings.Contains(err.Error(), "1 minute to 8 hours") {
		t.Fatalf("a drill of 0 minutes: %v", err)
	}
	if out := mustRun(t, dir, "drill", "start", "--minutes", "10", "--by", "IT"); !strings.HasPrefix(out, "drill 1 until ") {
		t.Fatalf("drill start printed %q", out)
	}
	if _, err := run(t, dir, "", "drill", "start"); err == nil || !strings.Contains(err.Error(), "incident is going on") {
		t.Fatalf("a second drill: %v", err)
	}
	if out := mustRun(t, dir, "incidents"); !strings.Contains(out, "drill") || !strings.Contains(out, "going on") {
		t.Fatalf("incidents during the drill:\n%s", out)
	}
	mustRun(t, dir, "drill", "stop")
	if _, err := run(t, dir, "", "drill", "stop"); err == nil {
		t.Fatal("stopped a drill twice")
	}
	out := mustRun(t, dir, "report", "--dir", dir+"/reports", "1")
	paths := strings.Fields(out)
	if len(paths) != 3 {
		t.Fatalf("report printed %q", out)
	}
	for _, p := range paths {
		if b, err := os.ReadFile(p); err != nil || !strings.Contains(string(b), "drill") {
			t.Fatalf("%s: %v", p, err)
		}
	}
	if _, err := run(t, dir, "", "report", "99"); err == nil || !strings.Contains(err.Error(), "no incident 99") {
		t.Fatalf("report of an unknown incident: %v", err)
	}

	if out := mustRun(t, dir, "roster"); !strings.HasPrefix(out, "2 on site") || !strings.Contains(out, "Ana García") {
		t.Fatalf("roster:\n%s", out)
	}
	if out := mustRun(t, dir, "roster", "--csv"); !strings.Contains(out, "'=cmd|x") {
		t.Fatalf("roster CSV lets a formula through:\n%s", out)
	}
	if out := mustRun(t, dir, "roster", "--html"); !strings.Contains(out, "<html") || !strings.Contains(out, "Ana García") || !strings.Contains(out, "2 on site") && !strings.Contains(out, ">2<") {
		t.Fatalf("roster HTML:\n%.400s", out)
	}
	if out := mustRun(t, dir, "checkout", "r1"); !strings.HasPrefix(out, "R-001 Ana García checked out at ") {
		t.Fatalf("checkout printed %q", out)
	}
	if _, err := run(t, dir, "", "checkout", "R-001"); err == nil || !strings.Contains(err.Error(), "already checked out") {
		t.Fatalf("checking out twice: %v", err)
	}
	if out := mustRun(t, dir, "close-day"); !strings.Contains(out, "1 on site; 1 tickets expired, 1 checked out") {
		t.Fatalf("close-day printed %q", out)
	}
	if out := mustRun(t, dir, "roster"); !strings.HasPrefix(out, "0 on site") {
		t.Fatalf("roster after close:\n%s", out)
	}
	if out := mustRun(t, dir, "purge"); !strings.Contains(out, "0 visits") {
		t.Fatalf("purge printed %q (nothing is old enough)", out)
	}
	if out := mustRun(t, dir, "prune"); !strings.Contains(out, "0 synced changes and 0 events") {
		t.Fatalf("prune printed %q (nothing is old enough)", out)
	}
}

func TestOutageConfigErrorsNameTheKey(t *testing.T) {
	base := DefaultConfig()
	cases := []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Outage.Grace.Duration = 0 }, "outage.grace"},
		{func(c *Config) { c.Outage.MajorAfter = c.Outage.Grace; c.Outage.MajorAfter.Duration-- }, "outage.major_after"},
		{func(c *Config) { c.Outage.Contacts = map[string][]string{"urgent": {"x"}} }, "outage.contacts.urgent"},
		{func(c *Config) { c.Outage.Runbook = []string{"ok", "two\nlines"} }, "outage.runbook[1]"},
		{func(c *Config) { c.Jobs.RetentionDays = 0 }, "jobs.retention_days"},
		{func(c *Config) { c.Jobs.PruneDays = 7 }, "jobs.prune_days"},
		{func(c *Config) { c.Jobs.PruneAt = "3am" }, "jobs.prune_at"},
		{func(c *Config) { c.Jobs.CloseDayAt = "25:00" }, "jobs.close_day_at"},
	}
	for _, tc := range cases {
		c := base
		c.Outage.Contacts = map[string][]string{}
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want an error naming %s, got %v", tc.want, err)
		}
	}
	c := base
	c.Jobs.CloseDayAt = "off"
	if err := c.Validate(); err != nil {
		t.Errorf("close_day_at = off: %v", err)
	}
}

func TestConfigWithoutOutageTablesTakesTheSample(t *testing.T) {
	text := strings.SplitN(defaultConfig, "\n[outage]", 2)[0]
	c, err := ParseConfig(text)
	if err != nil {
		t.Fatal(err)
	}
	if c.Outage.Grace.Duration == 0 || len(c.Outage.Runbook) == 0 || c.Jobs.RetentionDays != 30 {
		t.Fatalf("defaults not applied: %+v %+v", c.Outage, c.Jobs)
	}
	custom := text + "\n[outage.contacts]\nmajor = [\"Ops, ext. 1\"]\n"
	c, err = ParseConfig(custom)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Outage.Contacts) != 1 || c.Outage.Contacts["major"][0] != "Ops, ext. 1" {
		t.Fatalf("contacts given in a file merged with the sample's: %v", c.Outage.Contacts)
	}
}

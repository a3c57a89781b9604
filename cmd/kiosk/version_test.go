package main

import (
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "1.2.3~test"
	for _, args := range [][]string{{"--version"}, {"version"}, {"--config", "missing.toml", "--version"}} {
		out, err := run(t, t.TempDir(), "", args...)
		if err != nil || out != "lobbyline-kiosk 1.2.3~test\n" {
			t.Errorf("kiosk %s: printed %q, %v", strings.Join(args, " "), out, err)
		}
	}
	version = ""
	if v := buildVersion(); v == "" {
		t.Error("without -X the version is empty")
	}
}

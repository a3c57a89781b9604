package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at build time by the packages
// (-ldflags "-X main.version=0.1.0"); empty, the build info says what was
// built.
var version string

// buildVersion is version, else what the Go toolchain recorded: the module
// version, or the commit for a build from a checkout ("devel" for go run).
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev + dirty
}

func printVersion(_ context.Context, m *Main, args []string) error {
	fs := m.flags("version", "Print the version.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, "lobbyline-kiosk", buildVersion())
	return nil
}

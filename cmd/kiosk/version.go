package main

import (
	"context"
	"fmt"

	"lobbyline/syncer/wire"
)

// version is set at build time by the packages
// (-ldflags "-X main.version=0.1.0"); empty, the build info says what was
// built.
var version string

// buildVersion is version, else what the Go toolchain recorded.
func buildVersion() string {
	if version != "" {
		return version
	}
	return wire.BuildVersion()
}

func printVersion(_ context.Context, m *Main, args []string) error {
	fs := m.flags("version", "Print the version.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, "lobbyline-kiosk", buildVersion())
	return nil
}

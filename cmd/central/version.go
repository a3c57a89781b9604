package main

import (
	"context"
	"flag"
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

type versionCmd struct{}

func (*versionCmd) flags(*flag.FlagSet)      {}
func (*versionCmd) args(args []string) error { return wantArgs(args) }
func (*versionCmd) run(_ context.Context, m *Main) error {
	fmt.Fprintln(m.Stdout, "lobbyline-central", buildVersion())
	return nil
}

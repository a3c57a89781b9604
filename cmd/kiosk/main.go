// Command kiosk runs the Lobbyline lobby kiosk: with no command it opens the
// touchscreen UI; its commands let IT and scripts work on the same database
// while the UI runs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain()
	err := m.ParseFlags(os.Args[1:])
	if err == nil {
		err = m.Run(ctx)
	}
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	var code exitCode
	switch {
	case errors.Is(err, errRestart):
		restartSelf()
	case errors.As(err, &code):
		os.Exit(int(code)) // what went wrong is printed already
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "kiosk:", err)
		os.Exit(1)
	}
}

// restartSelf runs this program again with the same arguments, in place
// of this process: the kiosk opens on its recovered database, or to write
// on a disk that has room again.
func restartSelf() {
	exe, err := os.Executable()
	if err == nil {
		// #nosec G204 G702 -- this very program, with the arguments it was started with
		err = syscall.Exec(exe, os.Args, os.Environ())
	}
	fmt.Fprintln(os.Stderr, "kiosk: start again:", err)
	os.Exit(1) // the session starts it again
}

// exitCode is an outcome a command has printed already and that scripts
// tell apart by the exit status alone.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

// exitNotReady is check-config's status for a valid configuration with
// which the lobby will not open (yet).
const exitNotReady exitCode = 3

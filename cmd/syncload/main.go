// Command syncload puts sync under load and prints figures: it runs a real
// centre (centre.Service on PostgreSQL or SQLite behind centre.Server, on a
// loopback port) in this process, and many kiosks against it over real
// HTTP. Two scenarios:
//
//	syncload fleet      simulated kiosks syncing every 30 s ± 5 s: push and pull latency
//	syncload reconnect  real kiosks (queue.Store + syncer.Syncer) coming back after an outage
//
// It is a measuring tool, not a test: BENCHMARKS.md gives the commands and
// the figures. It must not import the UI.
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
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "syncload:", err)
		os.Exit(1)
	}
}

// Command soak runs the real kiosk UI for hours at a lobby's pace or
// faster, with the embedded centre, the syncer, the outage monitor and the
// scheduled jobs, as cmd/kiosk wires them: visitors check in, staff call,
// serve and check them out, the kiosk syncs, and the centre is stopped
// for a while at intervals (an outage). Every -sample it records the
// process's RSS, Go heap, goroutines, open files, threads and the size of
// the kiosk's database and its WAL to a CSV file, and at the end draws
// them (an SVG file) and prints how they moved after the warm-up.
//
// With no display it starts a private Xvfb; -headless uses Fyne's
// software test driver instead (no X server, no GPU; what the short test
// in the test command runs).
//
//	go run ./cmd/soak -for 8h -every 3s -out soak-8h   # a lobby's day (BENCHMARKS.md)
//	go run ./cmd/soak -for 30m -every 1s                # faster, shorter
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
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

package main

import (
	"context"
	"flag"
	"fmt"
	"time"
)

// pruneCmd clears old mutation payloads. Each mutation's name, answer and
// payload hash stay, so a kiosk replaying one is still answered
// "duplicate"; run it from cron as the kiosks run their daily prune.
type pruneCmd struct{ olderThan time.Duration }

func (c *pruneCmd) flags(fs *flag.FlagSet) {
	fs.DurationVar(&c.olderThan, "older-than", 2160*time.Hour, "clear the payloads of mutations received longer ago than this `AGE`")
}

func (c *pruneCmd) args(args []string) error {
	if err := wantArgs(args); err != nil {
		return err
	}
	if c.olderThan <= 0 {
		return fmt.Errorf("--older-than %s must be positive, like 2160h", c.olderThan)
	}
	return nil
}

func (c *pruneCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	n, err := st.PruneMutations(ctx, m.now().Add(-c.olderThan))
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Cleared the payloads of %d mutation(s) received more than %s ago; their names and payload hashes stay, so replays are still answered duplicate.\n",
		n, c.olderThan)
	return nil
}

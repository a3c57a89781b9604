package main

import (
	"context"
	"fmt"
	"time"

	"github.com/go-co-op/gocron/v2"

	"lobbyline/syncer/centre"
)

// startGapCheck raises the alerts for changes missing from kiosks every
// minute (centre.Service.CheckGaps), until the returned stop is called.
func startGapCheck(ctx context.Context, m *Main, st *centre.Service) (stop func() error, err error) {
	sched, err := gocron.NewScheduler()
	if err != nil {
		return nil, fmt.Errorf("start gap check: %w", err)
	}
	_, err = sched.NewJob(gocron.DurationJob(time.Minute),
		gocron.NewTask(func() {
			if _, err := st.CheckGaps(ctx); err != nil && ctx.Err() == nil {
				m.Logger.Error("check for missing changes", "err", err)
			}
		}), gocron.WithName("gaps"), gocron.WithSingletonMode(gocron.LimitModeReschedule))
	if err != nil {
		_ = sched.Shutdown() // nothing was scheduled; the job error is the one to report
		return nil, fmt.Errorf("start gap check: %w", err)
	}
	sched.Start()
	return sched.Shutdown, nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"lobbyline/kiosk"
	"lobbyline/queue"
	"lobbyline/queue/sqldb"
)

// runUI opens the kiosk window and blocks until it is closed.
func runUI(ctx context.Context, m *Main, _ []string) error {
	cfg, err := m.uiConfig()
	if err != nil {
		return err
	}
	if m.openedReadOnly != sqldb.FaultNone {
		return runReadOnlyUI(ctx, m, cfg)
	}
	damaged, err := m.checkBeforeLobby(ctx)
	if err != nil {
		return err
	}
	if damaged {
		if m.Config.Jobs.SelfRecover {
			// Recovered by the kiosk itself if the record of earlier
			// automatic recoveries allows it: closed first (the
			// recovery needs the file to itself), then opened again.
			if _, _, ok := m.selfRecoveryAllowed(time.Now()); ok {
				cause := m.store.Damage()
				if err := m.store.Close(); err != nil {
					m.Logger.Warn("close the damaged database", "err", err)
				}
				m.store = nil
				if tried, _ := m.selfRecover(ctx, cause); tried {
					return errReopen
				}
				// Not tried after all (its record could not be
				// written, the log says): the reception screen.
				if err := m.openForCommand(ctx); err != nil {
					return err
				}
				if _, err := m.checkBeforeLobby(ctx); err != nil {
					return err
				}
			}
		}
		// No board, no check-in, no writes: the lobby sends visitors to
		// reception (the UI asks the store, which says it is damaged).
		return m.showUI(ctx, cfg)
	}
	// The demo's accounts sign in with the sample PIN in demo mode only.
	if err := m.store.SetDemoStaff(ctx, m.Demo); err != nil {
		return err
	}
	if m.Demo {
		m.Logger.Warn("demo: staff sign in as Demo supervisor or Demo reception with the sample PIN", "pin", queue.DemoPIN)
	}
	// The disk monitor runs whatever becomes of sync: a full disk that
	// keeps the embedded centre from opening must still be seen.
	cfg.Disk = m.startDiskWatch(ctx)
	hasSupervisor, err := m.store.HasSupervisor(ctx)
	if err != nil {
		return err
	}
	if problem := m.lobbyProblem(hasSupervisor); problem != "" {
		// Shown on the screen, where IT looks, rather than an exit the
		// session would restart into a blank screen.
		m.Logger.Error("the lobby will not open", "why", problem)
		cfg.Setup = &kiosk.Setup{Problem: problem}
	} else {
		sy, mon, err := m.startSync(ctx)
		switch {
		case errors.Is(err, errNotEnrolled):
			m.Logger.Warn("not enrolled yet: showing the set-up screen", "enrolment_file", m.enrolmentPath())
			cfg.Setup = &kiosk.Setup{Centre: m.Config.Central, Enrol: m.enrolAndSync(ctx)}
		case err != nil:
			// The kiosk works offline: a centre it cannot set up is an
			// outage, not a reason to keep visitors from checking in.
			m.Logger.Error("sync not started; the kiosk runs offline", "err", err)
		case sy != nil:
			cfg.Sync, cfg.Outage = sy, mon
		}
	}
	return m.showUI(ctx, cfg)
}

// showUI opens the kiosk window on the store and blocks until it closes.
//
// A store that says its database is damaged while the kiosk runs is
// recovered by the kiosk itself if the config and the record of earlier
// automatic recoveries allow it: the window closes, the store closes,
// the recovery runs and the kiosk starts again (errRestart).
func (m *Main) showUI(ctx context.Context, cfg kiosk.Config) error {
	a := m.app()
	if cfg.SelfRecovery != nil && m.Config.Jobs.SelfRecover {
		cfg.SelfRecovery.Damaged = func() (bool, *queue.AutoRecovery) {
			_, held, ok := m.selfRecoveryAllowed(time.Now())
			if ok {
				m.recoverAfterUI = true
				a.Quit()
			}
			return ok, held
		}
	}
	ui := kiosk.New(a, m.store, cfg, m.Logger)
	closeUI := sync.OnceFunc(ui.Close)
	defer closeUI()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w := ui.Window()
	w.SetFullScreen(m.Fullscreen)
	if m.Fullscreen { // a lobby: no way out but staff mode's Quit
		ui.KeepOpen()
	}
	if err := m.show(a, w); err != nil {
		return err
	}
	if !m.recoverAfterUI {
		return nil
	}
	cause := m.store.Damage()
	closeUI()
	if err := m.Close(); err != nil {
		m.Logger.Warn("close the kiosk before its recovery", "err", err)
	}
	m.selfRecover(ctx, cause)
	return errRestart
}

// uiConfig is the UI's settings: the config's, with the message
// templates, the runbook and where reports and exports go.
func (m *Main) uiConfig() (kiosk.Config, error) {
	_, site, ui := m.siteSettings()
	cfg := m.Config.uiConfig(site)
	cfg.SelfRecovery = m.selfRecoveryUI(nil)
	cfg.SiteSettings = func() (int64, kiosk.SiteSettings) {
		v, _, ui := m.siteSettings()
		return v, ui
	}
	cfg.Incident = kiosk.IncidentConfig{
		Templates: ui.Templates, Runbook: ui.Runbook, Contacts: ui.Contacts,
		DrillBanner: ui.DrillBanner, FeedbackWindow: ui.FeedbackWindow, ExportDir: m.exportDir(),
		WriteReport: func(ctx context.Context, id int64) ([]string, error) {
			if m.jobs == nil {
				return nil, errors.New("reports are written once the kiosk's jobs run")
			}
			return m.jobs.WriteReport(ctx, id)
		},
	}
	return cfg, nil
}

// enrolAndSync is the set-up screen's enrolment: redeem the code, keep
// the token, then start sync, the outage monitor and the scheduled jobs
// for the life of the process (ctx).
func (m *Main) enrolAndSync(ctx context.Context) func(context.Context, string, string) (kiosk.SyncSource, kiosk.OutageSource, error) {
	return func(call context.Context, centre, code string) (kiosk.SyncSource, kiosk.OutageSource, error) {
		if _, err := m.enrol(call, centre, code); err != nil {
			return nil, nil, err
		}
		sy, mon, err := m.startSync(ctx)
		if err != nil || sy == nil {
			return nil, nil, fmt.Errorf("enrolled, but sync did not start: %w", err)
		}
		return sy, mon, nil
	}
}

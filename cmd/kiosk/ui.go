package main

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"lobbyline/assets"
	"lobbyline/kiosk"
)

// runUI opens the kiosk window and blocks until it is closed.
func runUI(ctx context.Context, m *Main, _ []string) error {
	if m.Config.PINHash == DefaultConfig().PINHash {
		m.Logger.Warn("staff PIN is the sample's (2580); set pin_hash with kiosk hash-pin")
	}
	cfg, err := m.uiConfig()
	if err != nil {
		return err
	}
	sy, mon, err := m.startSync(ctx)
	switch {
	case err != nil:
		// The kiosk works offline: a centre it cannot set up is an
		// outage, not a reason to keep visitors from checking in.
		m.Logger.Error("sync not started; the kiosk runs offline", "err", err)
	case sy != nil:
		cfg.Sync, cfg.Outage = sy, mon
	}
	a := app.NewWithID("org.lobbyline.kiosk")
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	ui := kiosk.New(a, m.store, cfg, m.Logger)
	defer ui.Close()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w := ui.Window()
	w.SetFullScreen(m.Fullscreen)
	if m.Fullscreen { // a lobby: no way out but staff mode's Quit
		ui.KeepOpen()
	}
	w.ShowAndRun()
	return nil
}

// uiConfig is the UI's settings: the config's, with the message
// templates, the runbook and where reports and exports go.
func (m *Main) uiConfig() (kiosk.Config, error) {
	cfg := m.Config.uiConfig()
	templates, err := m.Config.templates()
	if err != nil {
		return kiosk.Config{}, err
	}
	o := m.Config.Outage
	feedback := o.FeedbackWindow.Duration
	if feedback == 0 {
		feedback = -1 // "0s" in the config: never ask
	}
	cfg.Incident = kiosk.IncidentConfig{
		Templates: templates, Runbook: o.Runbook, Contacts: o.contacts(),
		DrillBanner: o.DrillBanner, FeedbackWindow: feedback, ExportDir: m.exportDir(),
		WriteReport: func(ctx context.Context, id int64) ([]string, error) {
			if m.jobs == nil {
				return nil, errors.New("reports are written once the kiosk's jobs run")
			}
			return m.jobs.WriteReport(ctx, id)
		},
	}
	return cfg, nil
}

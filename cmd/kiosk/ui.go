package main

import (
	"context"

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
	cfg := m.Config.uiConfig()
	sy, err := m.startSync(ctx)
	switch {
	case err != nil:
		// The kiosk works offline: a centre it cannot set up is an
		// outage, not a reason to keep visitors from checking in.
		m.Logger.Error("sync not started; the kiosk runs offline", "err", err)
	case sy != nil:
		cfg.Sync = sy
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
	w.ShowAndRun()
	return nil
}

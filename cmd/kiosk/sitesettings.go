package main

import (
	"encoding/json"
	"fmt"
	"sync"

	"lobbyline/assets"
	"lobbyline/kiosk"
	"lobbyline/queue/siteconfig"
)

// mergeSettings are the centre's settings (as the store keeps them) over
// the file's, checked as a whole: a version that does not fit this
// kiosk's file (templates lacking a language the centre adds, say) is
// refused by the store, and the last good one kept.
func (c Config) mergeSettings(raw json.RawMessage) (siteconfig.Settings, error) {
	centre, err := siteconfig.DecodeSettings(raw)
	if err != nil {
		return siteconfig.Settings{}, err
	}
	merged := centre.Over(c.siteSettings())
	if err := merged.Validate(); err != nil {
		return siteconfig.Settings{}, fmt.Errorf("with this kiosk's file: %w", err)
	}
	return merged, nil
}

// siteView is the site's settings in use, worked out once per version of
// the centre's configuration.
type siteView struct {
	mu       sync.Mutex
	version  int64
	known    bool
	settings siteconfig.Settings
	ui       kiosk.SiteSettings
}

// siteSettings are the site's settings in use and their version: the
// centre's over the file's once a version is applied, else the file's.
func (m *Main) siteSettings() (int64, siteconfig.Settings, kiosk.SiteSettings) {
	version, raw := m.store.SiteSettings()
	v := &m.site
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.known && v.version == version {
		return v.version, v.settings, v.ui
	}
	s := m.Config.siteSettings()
	if raw != nil {
		merged, err := m.Config.mergeSettings(raw)
		if err != nil {
			// The store checked it when it applied it; the file has
			// changed since.
			m.Logger.Warn("the centre's site settings do not fit this kiosk's file; using the file's", "version", version, "err", err)
		} else {
			s = merged
		}
	}
	ui, err := kioskSettings(s)
	if err != nil {
		m.Logger.Warn("the site's message templates; using the file's settings", "version", version, "err", err)
		s = m.Config.siteSettings()
		ui, _ = kioskSettings(s) // the file's were checked when it loaded
	}
	m.store.SetLanguages(s.Languages)
	v.version, v.known, v.settings, v.ui = version, true, s, ui
	return version, s, ui
}

// kioskSettings are the settings as the UI takes them.
func kioskSettings(s siteconfig.Settings) (kiosk.SiteSettings, error) {
	templates, err := s.MessageTemplates(assets.Templates)
	if err != nil {
		return kiosk.SiteSettings{}, err
	}
	feedback := s.Outage.FeedbackWindow.Duration
	if feedback == 0 {
		feedback = -1 // "0s": never ask
	}
	return kiosk.SiteSettings{
		Languages: s.Languages, IdleTimeout: s.IdleTimeout.Duration, StaffIdleTimeout: s.StaffIdleTimeout.Duration,
		Templates: templates, Runbook: s.Outage.Runbook, Contacts: s.Outage.ContactsBySeverity(),
		DrillBanner: *s.Outage.DrillBanner, FeedbackWindow: feedback, PhoneProof: s.PhoneProof(),
	}, nil
}

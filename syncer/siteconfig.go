package syncer

import (
	"context"

	"lobbyline/queue/siteconfig"
	"lobbyline/syncer/wire"
)

func holdsSiteConfig(page wire.PullResponse) bool {
	for _, r := range page.Records {
		if r.Entity == siteconfig.Entity {
			return true
		}
	}
	return false
}

// applySiteConfig puts the pulled site configuration in use if it is
// newer than the one in use. The store applies it in a transaction of its
// own, which check-ins and staff actions wait for and which waits for
// them. One it cannot read or apply is logged and the one in use kept:
// the kiosk goes on syncing and serving the lobby.
func (s *Syncer) applySiteConfig(ctx context.Context) {
	s.configSeen.Store(true)
	recs, err := s.store.Remote(ctx, siteconfig.Entity)
	if err != nil {
		s.log.Warn("read the site configuration", "err", err)
		s.configSeen.Store(false)
		return
	}
	for _, r := range recs {
		if r.Key != siteconfig.Key {
			continue
		}
		rec, err := siteconfig.DecodeRecord(r.Data)
		if err != nil {
			s.log.Warn("refused the centre's site configuration; keeping the one in use", "err", err, "in_use", s.store.ConfigVersion())
			return
		}
		if rec.Version < s.store.ConfigVersion() {
			return
		}
		settings, err := rec.SettingsJSON()
		if err == nil {
			_, err = s.store.ApplySiteConfig(ctx, rec.Version, rec.QueueServices(), rec.QueueDesks(), settings)
		}
		if err != nil {
			s.log.Warn("refused the centre's site configuration; keeping the one in use", "err", err, "in_use", s.store.ConfigVersion())
		}
	}
}

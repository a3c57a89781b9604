package kiosk

import (
	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/outage"
)

// The kiosk's own store, syncer and outage monitor, which cmd/kiosk
// passes to New, fit the interfaces the screens are built on.
var (
	_ Store        = (*queue.Store)(nil)
	_ SyncSource   = (*syncer.Syncer)(nil)
	_ OutageSource = (*outage.Monitor)(nil)
)

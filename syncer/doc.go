// Package syncer holds both ends of sync between kiosks and the centre:
// the wire types, the central HTTP handler with its SQLite and PostgreSQL
// store, and the kiosk-side client loop with its connectivity state.
//
// It builds on queue (the kiosk's domain and store) and must not import
// Fyne: the UI learns of connectivity through Syncer.Subscribe.
package syncer

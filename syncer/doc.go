// Package syncer is the kiosk's side of sync: the client that speaks the
// protocol (package wire) to the centre, the loop that pulls the site's
// data and pushes the outbox with backoff, exactly once, and the
// connectivity state staff and the outage monitor read.
//
// It builds on queue (the kiosk's domain and store) and must import
// neither Fyne (the UI learns of connectivity through Syncer.Subscribe)
// nor the centre's application or a database driver of its own.
package syncer

// Package queue is Lobbyline's domain: visits, tickets, desks, the staff
// actions that move a visit through its states, and the SQLite store that
// keeps all of it durable on the kiosk. It feeds the store's history to
// the wait estimator (package estimate), which knows nothing of SQL.
//
// Every change is one transaction that appends an event to an append-only
// log, applies it to the current state and writes an outbox row for the
// syncer, so the kiosk works with no network and nothing is lost.
//
// The package must not depend on Fyne, HTTP or the syncer: the UI and the
// command line are adapters around it.
package queue

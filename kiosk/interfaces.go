package kiosk

import (
	"context"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/outage"
)

// The screens see the kiosk's store, syncer and outage monitor only
// through the small interfaces here, each listing what one part of the
// UI calls. cmd/kiosk passes the concrete *queue.Store, *syncer.Syncer
// and *outage.Monitor; interfaces_test.go checks that they fit.

// Store is the kiosk's store as the UI uses it: every part's needs
// together. New takes one; each part of the UI keeps its own view.
type Store interface {
	Lobby
	StaffQueue
	IncidentLog
	SyncRecords
}

// Lobby is what the visitors' screens need: the board, check-in with or
// without an invite, check-out with its proof, and the feedback a ticket asks for after
// an incident. The services' names are for every screen.
type Lobby interface {
	Board(ctx context.Context) (queue.Board, error)
	Services() []queue.Service
	Service(id string) (queue.Service, bool)
	CheckIn(ctx context.Context, form queue.CheckInForm, source string) (queue.Ticket, error)
	Invite(ctx context.Context, code string) (queue.PreRegistration, bool, error)
	FindForCheckOut(ctx context.Context, ticket string) (v queue.Visit, verified bool, err error)
	CheckOutVisit(ctx context.Context, id int64, by string, proof queue.Proof) (queue.Visit, error)
	CheckOutByPhone(ctx context.Context, id int64, digits string) (queue.Visit, error)
	Incidents(ctx context.Context, limit int) ([]queue.Incident, error)
	RecordFeedback(ctx context.Context, incident, visit int64, score int) error
	// LocalProblem is what stops this kiosk saving a check-in, if
	// anything; SubscribeLocalProblem's callback runs on the goroutine
	// that raised or cleared it.
	LocalProblem() (queue.LocalProblem, bool)
	SubscribeLocalProblem(fn func(p queue.LocalProblem, raised bool)) (cancel func())
}

// StaffQueue is what sign-in, the staff screen and the roster need: the
// accounts and signing in (the first supervisor too), the audit of what
// changes nothing, the desks, the staff's changes to the queue, finding a
// visit, who is in the building and who left today, and the language
// staff chose for the reports and the printed roster. Calls made with a
// context carrying the signed-in account (queue.WithActor) are named and
// audited by it.
type StaffQueue interface {
	StaffAccounts(ctx context.Context, all bool) ([]queue.StaffAccount, error)
	HasSupervisor(ctx context.Context) (bool, error)
	AccountByBadge(ctx context.Context, code string) (queue.StaffAccount, error)
	SignIn(ctx context.Context, id, pin string) (queue.StaffAccount, error)
	CheckSetupPIN(ctx context.Context, hash, pin string) error
	SaveStaffAccount(ctx context.Context, a queue.StaffAccount) error
	Audit(ctx context.Context, action, ticket, detail string) error
	Services() []queue.Service
	Desks() []queue.Desk
	Apply(ctx context.Context, cmd queue.Command) (queue.Visit, error)
	Find(ctx context.Context, query string) ([]queue.Visit, error)
	Visit(ctx context.Context, id int64) (queue.Visit, error)
	Roster(ctx context.Context) ([]queue.Visit, error)
	LeftToday(ctx context.Context) ([]queue.Visit, error)
	CheckOutVisits(ctx context.Context, ids []int64, by string) ([]queue.Visit, error)
	StaffLanguage(ctx context.Context) (string, error)
	SetStaffLanguage(ctx context.Context, code string) error
}

// IncidentLog is what the incident panel reads and records: past
// incidents, the runbook's ticks, the lobby message and the expected
// time back.
type IncidentLog interface {
	Incidents(ctx context.Context, limit int) ([]queue.Incident, error)
	Timeline(ctx context.Context, id int64) ([]queue.TimelineEntry, error)
	PublishMessage(ctx context.Context, m queue.LobbyMessage) (queue.LobbyMessage, error)
	ClearMessage(ctx context.Context, id int64, by string) error
	SetExpectedBack(ctx context.Context, id int64, at time.Time, by string) error
	TickStep(ctx context.Context, id int64, step int, text, by string) error
}

// SyncRecords is what the sync panel shows of the store beside the
// syncer's status: when the centre was last heard from, the changes it
// refused, the site's other kiosks, and the staff alerts.
type SyncRecords interface {
	Identity() (kiosk string, epoch int64)
	PulledAt(ctx context.Context) (time.Time, error)
	RejectedOutbox(ctx context.Context, limit int) ([]queue.OutboxEntry, error)
	RetryRejected(ctx context.Context, seq int64) error
	Remote(ctx context.Context, entity string) ([]queue.RemoteRecord, error)
	Alerts(ctx context.Context, open bool) ([]queue.StaffAlert, error)
	AckAlert(ctx context.Context, id int64, staff string) error
	// ConfigVersion is the centre's site configuration version in use, 0
	// while the kiosk file's services and desks are.
	ConfigVersion() int64
}

// SyncSource is what the UI shows of the syncer. Subscribe's callback runs
// on the syncer's goroutine; the UI moves it to its own through the bridge.
type SyncSource interface {
	Status() syncer.Status
	Subscribe(func(syncer.Status)) (cancel func())
}

// OutageSource is what the UI shows of the outage monitor, and what staff
// do with it. Subscribe's callback runs on the monitor's goroutine; the UI
// moves it to its own through the bridge.
type OutageSource interface {
	Outage() outage.Outage
	Subscribe(func(outage.Outage)) (cancel func())
	// Evaluate makes the monitor look again now: after staff published a
	// message or set the expected time back.
	Evaluate(ctx context.Context) error
	StartDrill(ctx context.Context, d time.Duration, banner bool, by string) (queue.Incident, error)
	StopDrill(ctx context.Context, by string) error
}

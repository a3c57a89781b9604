package centre

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer/wire"
)

// Errors the service returns for the handler to map to HTTP; a Store
// returns ErrNotFound for a site or kiosk it does not have.
var (
	ErrUnauthorized = errors.New("centre: unknown or revoked token")
	ErrForbidden    = errors.New("centre: kiosk is not enrolled at this site")
	ErrNotFound     = errors.New("centre: not found")
)

// Store is what the centre keeps, in one database that several stateless
// instances may share. The sqlite and postgres packages implement it.
type Store interface {
	Ops // each call on its own
	// Update runs fn in a read-write transaction: all of it or none.
	Update(ctx context.Context, fn func(Ops) error) error
	// View runs fn in a read-only transaction that sees one snapshot.
	View(ctx context.Context, fn func(Ops) error) error
	Ping(ctx context.Context) error
	Close() error
}

// Ops are the centre's reads and writes. Inside Update they take part in
// the transaction; the Lock methods hold a row until it ends, so writers
// of one site, or of one kiosk database, take turns. Outside a
// transaction (the Store's own Ops) a lock ends with its statement, and
// several calls are not atomic: the service calls the Lock methods,
// NextVersions, PutRecords and Compact inside Update only.
type Ops interface {
	PutSite(ctx context.Context, id, name string, at time.Time) error
	SiteName(ctx context.Context, id string) (name string, ok bool, err error)
	// LockSite takes the site's row; false if there is no such site.
	LockSite(ctx context.Context, id string) (bool, error)
	// WatchSecret is the site's secret for sealing its watch-list,
	// set to fresh first if it has none; ErrNotFound if there is no site.
	WatchSecret(ctx context.Context, site, fresh string) (string, error)
	// SiteVersion is the site's newest record version and the floor
	// below which its tombstones were compacted away.
	SiteVersion(ctx context.Context, id string) (version, floor int64, err error)

	// KioskSite is the site a kiosk id is enrolled at, and whether its
	// token was revoked; ok is false for an id never enrolled.
	KioskSite(ctx context.Context, id string) (site string, revoked, ok bool, err error)
	// PutKiosk enrols a kiosk or enrols it again with a new token; an
	// empty name keeps the name it had.
	PutKiosk(ctx context.Context, k KioskRow) error
	// RevokeKiosk revokes an unrevoked kiosk's token; false if there was
	// none to revoke.
	RevokeKiosk(ctx context.Context, id string, at time.Time) (bool, error)
	KioskByToken(ctx context.Context, tokenHash string) (k Kiosk, ok bool, err error)
	// PutEnrolmentCode stores a new one-time enrolment code by its hash.
	PutEnrolmentCode(ctx context.Context, c EnrolmentCode) error
	// EnrolmentCode is the code with this hash; ok is false if there is none.
	EnrolmentCode(ctx context.Context, hash string) (c EnrolmentCode, ok bool, err error)
	// UseEnrolmentCode marks an unused code used; false if it was used
	// already (or is not there).
	UseEnrolmentCode(ctx context.Context, hash string, at time.Time) (bool, error)
	Kiosks(ctx context.Context) ([]KioskInfo, error)
	// NoteKiosk records what a push said of the kiosk's health, and the
	// software it runs unless that is "".
	// config as for software, 0 saying nothing.
	NoteKiosk(ctx context.Context, id string, seen time.Time, backlog int, skew time.Duration, software string, config int64) error
	// SeenKiosk records that the kiosk was heard from, at most once a
	// minute, so a pull every 30 s need not cost a durable write; and at
	// once if it runs other software than recorded ("" says nothing).
	SeenKiosk(ctx context.Context, id string, at time.Time, software string, config int64) error

	// LockProgress takes a kiosk database's progress row, creating it,
	// and returns the highest sequence number recorded.
	LockProgress(ctx context.Context, kiosk string, epoch int64) (lastSeq int64, err error)
	// SetProgress raises the recorded sequence number to lastSeq.
	SetProgress(ctx context.Context, kiosk string, epoch, lastSeq int64) error
	// Gaps are the open gaps of a kiosk database, in order.
	Gaps(ctx context.Context, kiosk string, epoch int64) ([]Gap, error)
	// SetGaps replaces the open gaps of a kiosk database.
	SetGaps(ctx context.Context, kiosk string, epoch int64, gaps []Gap) error
	// StaleGaps are the gaps opened before before and not yet alerted,
	// of every kiosk, oldest first, at most limit.
	StaleGaps(ctx context.Context, before time.Time, limit int) ([]Gap, error)
	// AlertedGap marks a gap alerted at at.
	AlertedGap(ctx context.Context, g Gap, at time.Time) error
	// Earlier is what was recorded for the names (kiosk, epoch, from…to).
	Earlier(ctx context.Context, kiosk string, epoch, from, to int64) (map[int64]Earlier, error)
	// PutMutations records mutations by name; a row already there is
	// replaced only if it was rejected.
	PutMutations(ctx context.Context, rows []MutationRow) error
	// PruneMutations clears the payloads of mutations received before
	// before, hashing first those stored without a hash; the name, the
	// answer and the hash stay. It returns how many it cleared.
	PruneMutations(ctx context.Context, before time.Time) (int, error)

	// UnpurgedMutations are at most limit of a site's mutations received,
	// or made by the kiosk's clock, before before and not yet purged.
	UnpurgedMutations(ctx context.Context, site string, before time.Time, limit int) ([]StoredMutation, error)
	// PurgeMutations stores each mutation's payload and hash as given and
	// marks it purged at at.
	PurgeMutations(ctx context.Context, ms []StoredMutation, at time.Time) error
	// PurgeArrivals empties the names of a site's check-ins before before,
	// returning how many it emptied.
	PurgeArrivals(ctx context.Context, site string, before time.Time) (int, error)

	// MutationsAfter are at most limit of a site's mutations not yet
	// purged whose names come after after's (kiosk, epoch, seq), in that
	// order.
	MutationsAfter(ctx context.Context, site string, after StoredMutation, limit int) ([]StoredMutation, error)
	// EraseArrivals empties a normalised name from a site's check-ins,
	// returning how many it emptied.
	EraseArrivals(ctx context.Context, site, name string) (int, error)

	// PutArrivals records check-ins by normalised name, once each.
	PutArrivals(ctx context.Context, rows []Arrival) error
	// Arrivals are a site's check-ins under any of names at other kiosks.
	Arrivals(ctx context.Context, site, exceptKiosk string, names []string) ([]Arrival, error)

	// NextVersions takes n versions from a site's counter and returns the
	// last; ErrNotFound if there is no such site. It locks the site's row.
	NextVersions(ctx context.Context, site string, n int) (top int64, err error)
	// PutRecords writes records at their versions, one row per key.
	PutRecords(ctx context.Context, rows []RecordRow) error
	// Record is one live record; ok is false if there is none or it was
	// deleted.
	Record(ctx context.Context, site, entity, key string) (data json.RawMessage, ok bool, err error)
	// Records are a site's live records of one entity, by key.
	Records(ctx context.Context, site, entity string) ([]wire.Record, error)
	// RecordsByKey are the live records of one entity with these keys,
	// their data by key; a key with none or a tombstone is absent.
	RecordsByKey(ctx context.Context, site, entity string, keys []string) (map[string]json.RawMessage, error)
	// Changes are a site's records above version after, in version order,
	// at most limit; live ones only when liveOnly.
	Changes(ctx context.Context, site string, after int64, limit int, liveOnly bool) ([]wire.Record, error)
	// Compact removes a site's tombstones older than before and raises its
	// floor past them, returning how many went.
	Compact(ctx context.Context, site string, before time.Time) (int, error)

	// PutIncidents stores incident summaries; a newer one of the same
	// incident replaces the row.
	PutIncidents(ctx context.Context, rows []IncidentRow) error
	// Incidents are a site's incident summaries that ended at or after
	// since (all if zero), newest first.
	Incidents(ctx context.Context, site string, since time.Time) ([]StoredIncident, error)

	// KioskRecords are at most limit of a site's live records of one
	// entity whose keys begin with prefix, above version after, in
	// version order.
	KioskRecords(ctx context.Context, site, entity, prefix string, after int64, limit int) ([]wire.Record, error)
	// PutVisitOrigins records where kiosks' recoveries took visits from,
	// replacing what an earlier recovery said.
	PutVisitOrigins(ctx context.Context, rows []VisitOrigin) error
	// VisitOrigins are a site's recovered visits' origins, by key.
	VisitOrigins(ctx context.Context, site string) ([]VisitOrigin, error)

	// Sites are every site, by id.
	Sites(ctx context.Context) ([]Site, error)

	// PutAudit stores audit entries by name (kiosk, epoch, seq), once
	// each: a row already there stays as it is.
	PutAudit(ctx context.Context, rows []AuditRow) error
	// AuditLog is a site's audit entries made in [Since, Until) (either
	// zero for no bound), oldest first, at most Limit (0 for all).
	AuditLog(ctx context.Context, q AuditQuery) ([]AuditRow, error)
	// PurgeAudit deletes a site's entries received before before,
	// returning how many went.
	PurgeAudit(ctx context.Context, site string, before time.Time) (int, error)

	// PutAdmin adds an admin account or sets its password, which also
	// unlocks it and ends its sessions.
	PutAdmin(ctx context.Context, a AdminRow) error
	// Admin is an account by name; ok is false if there is none.
	Admin(ctx context.Context, name string) (a AdminRow, ok bool, err error)
	// FailAdmin counts a wrong password and, from limit failures on, locks
	// the account until lockUntil; it returns the failures so far.
	FailAdmin(ctx context.Context, name string, limit int, lockUntil time.Time) (int, error)
	// PassAdmin clears an account's failures after a right password.
	PassAdmin(ctx context.Context, name string) error
	// PutAdminSession records a session; DeleteAdminSessions removes the
	// ones that expired before a time.
	PutAdminSession(ctx context.Context, s AdminSession) error
	AdminSession(ctx context.Context, tokenHash string) (s AdminSession, ok bool, err error)
	DeleteAdminSession(ctx context.Context, tokenHash string) error
	DeleteAdminSessions(ctx context.Context, expiredBefore time.Time) error
}

// VisitOrigin is where a kiosk's recovery took a visit's state from
// (queue.Origin), by the visit's record key (kiosk/epoch/visit id).
type VisitOrigin struct {
	Site     string
	Key      string
	Kiosk    string
	Origin   string
	Restored time.Time // when the centre received the kiosk's word
}

// Site is a site of the fleet.
type Site struct {
	ID   string
	Name string
}

// AdminRow is an account of the fleet console.
type AdminRow struct {
	Name         string
	PasswordHash string // bcrypt
	Created      time.Time
	Failures     int       // wrong passwords since the last right one
	LockedUntil  time.Time // zero if never locked
}

// AdminSession is a signed-in browser: the hash of its cookie's token,
// and the CSRF token its forms carry.
type AdminSession struct {
	TokenHash string
	Admin     string
	CSRF      string
	Created   time.Time
	Expires   time.Time
}

// Kiosk is an enrolled kiosk as the centre knows it.
type Kiosk struct {
	ID   string
	Site string
	// Software is what the kiosk says it runs: in a request, its
	// User-Agent's version ("" if it sent none); in KioskInfo, the last
	// one recorded.
	Software string
	// Config is the centre's site configuration version the kiosk says it
	// runs (wire.ConfigHeader): in a request, 0 if it said none; in
	// KioskInfo, the last one recorded, 0 if never.
	Config int64
	// Protocol is the sync protocol a request declared, as far as this
	// centre speaks it: what the answer may use. Not stored.
	Protocol int
}

// KioskRow is an enrolment.
type KioskRow struct {
	Kiosk
	Name      string
	TokenHash string
	Enrolled  time.Time
}

// EnrolmentCode is a one-time code that enrols one kiosk at one site,
// kept by its hash.
type EnrolmentCode struct {
	Hash    string
	Site    string
	Kiosk   string
	Name    string
	Created time.Time
	Expires time.Time
	Used    time.Time // zero until redeemed
}

// KioskInfo is what the centre knows of a kiosk's health.
type KioskInfo struct {
	Kiosk
	Name     string
	Revoked  bool
	LastSeen time.Time
	Backlog  int64
	Skew     time.Duration
	LastSeq  int64
}

// Gap is a run of a kiosk database's sequence numbers, From to To, that
// the centre has not received though it received a higher one.
type Gap struct {
	Kiosk    string
	Site     string // filled by StaleGaps only
	Epoch    int64
	From, To int64
	Why      string // GapUnsent, or the kiosk's wire.SkipHeld or wire.SkipLost
	Opened   time.Time
	Alerted  time.Time // zero until an alert was raised
}

// GapUnsent is a gap's Why when a kiosk before protocol 4 sent past
// numbers it had not sent.
const GapUnsent = "unsent"

// Earlier is what the centre recorded for a mutation name it has seen.
type Earlier struct {
	Status  string
	Payload string // "" once pruned
	Hash    string // PayloadHash of the payload; "" if stored before hashes were
}

// StoredMutation is a stored mutation's name and payload, for the purge.
type StoredMutation struct {
	Kiosk      string
	Epoch, Seq int64
	Payload    string // "" once pruned
	Hash       string // PayloadHash of the payload as received; "" if stored before hashes were
}

// MutationRow is a mutation as received, with the centre's answer.
type MutationRow struct {
	Kiosk    string
	Epoch    int64
	Seq      int64
	Site     string
	Kind     string
	At       time.Time // the kiosk's clock
	HLC      string
	Received time.Time
	Status   string
	Reason   string
	Payload  string
	// PayloadHash is PayloadHash(Payload): what stays of it once pruned.
	PayloadHash string
}

// Arrival is a check-in by normalised name, for screening.
type Arrival struct {
	Site   string
	Name   string // normalised
	Kiosk  string
	Epoch  int64
	Visit  int64
	Ticket string
	At     time.Time
}

// RecordRow is a record of a site's centre-owned data at a version.
type RecordRow struct {
	Site    string
	Entity  string
	Key     string
	Version int64
	Deleted bool
	Data    string
	Updated time.Time
}

// IncidentRow is an incident summary as a kiosk sent it.
type IncidentRow struct {
	Kiosk    string
	Epoch    int64
	Site     string
	Summary  queue.IncidentSummary
	JSON     string // the summary as stored and read back
	Received time.Time
}

// AuditRow is an audit entry as the centre keeps it: under the name of
// the mutation that brought it (a kiosk's), or under kiosk "", epoch 0
// and a random sequence number (the centre's own).
type AuditRow struct {
	Site       string
	Kiosk      string
	Epoch, Seq int64
	Entry      queue.AuditEntry
	Received   time.Time
}

// AuditQuery selects a site's audit entries.
type AuditQuery struct {
	Site         string
	Since, Until time.Time // by the entry's time; zero: no bound
	Limit        int       // 0: all
}

// StoredIncident is an incident summary as read back.
type StoredIncident struct {
	Kiosk     string
	KioskName string
	Epoch     int64
	Summary   json.RawMessage
	Received  time.Time
}

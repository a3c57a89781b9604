// Package centre is the central service's application: enrolment and
// tokens, a site's scope, applying kiosks' pushes exactly once, screening
// check-ins (the same person at two kiosks, invitations, the watch-list),
// sealing the watch-list for kiosks, serving pulls (each kiosk only its
// share of the site's data), purging visitors' personal data past each
// site's retention or on request, and the HTTP API over all of it.
//
// It is written against Store; the sqlite and postgres sub-packages are
// the adapters, each with its own SQL and migrations. It must not import
// a database driver, nor anything of the kiosk's UI or sync loop.
package centre

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lobbyline/queue"
	"lobbyline/queue/pinhash"
	"lobbyline/syncer/wire"
)

// Service is the centre. It keeps no state in memory, so several
// instances can share one store.
type Service struct {
	store   Store
	now     func() time.Time
	log     *slog.Logger
	accepts map[string]bool
	// clockAllowance is how far a change's time may lie ahead of the
	// centre's clock; checks counts the changes refused or flagged.
	clockAllowance time.Duration
	checks         *prometheus.CounterVec
	// gapAlertAfter is how long a gap in a kiosk's changes may stay open
	// before CheckGaps raises an alert.
	gapAlertAfter time.Duration

	passwordCost int
	pinParams    pinhash.Params
	dummyOnce    sync.Once
	dummy        []byte
}

// Options tune New; zero values are fine.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	// Accepts limits the mutation kinds applied to these; nil means every
	// kind this build knows (Kinds). Tests set it to play an older centre.
	Accepts []string
	// ClockAllowance is how far ahead of the centre's clock a pushed
	// change's time may be before it is refused (flagged instead when
	// the kiosk's clock is known to be as far ahead); zero means
	// DefaultClockAllowance.
	ClockAllowance time.Duration
	// GapAlertAfter is how long numbers missing from a kiosk's changes
	// may stay missing before CheckGaps raises an alert; zero means
	// DefaultGapAlertAfter.
	GapAlertAfter time.Duration
	// PasswordCost is bcrypt's cost for admin passwords; zero means
	// PasswordCost. Tests lower it to bcrypt.MinCost.
	PasswordCost int
	// PINParams are argon2id's costs for the staff PINs set here; zero
	// means pinhash.Default. Tests lower them.
	PINParams pinhash.Params
}

// Kinds are the mutation kinds this build of the centre applies, in the
// order it announces them.
var Kinds = []string{
	queue.KindCheckIn, queue.KindCall, queue.KindRecall, queue.KindServe,
	queue.KindNoShow, queue.KindCancel, queue.KindPrioritize, queue.KindTransfer,
	queue.KindDeskOpen, queue.KindDeskClose, queue.KindCheckOut, queue.KindIncident,
	queue.KindStaffAccount, queue.KindAudit, queue.KindRestored,
}

// New returns the centre over store.
func New(store Store, opts Options) *Service {
	s := &Service{store: store, now: opts.Now, log: opts.Logger, accepts: make(map[string]bool), passwordCost: opts.PasswordCost}
	if s.passwordCost == 0 {
		s.passwordCost = PasswordCost
	}
	if s.pinParams = opts.PINParams; s.pinParams == (pinhash.Params{}) {
		s.pinParams = pinhash.Default
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.clockAllowance = opts.ClockAllowance; s.clockAllowance <= 0 {
		s.clockAllowance = DefaultClockAllowance
	}
	if s.gapAlertAfter = opts.GapAlertAfter; s.gapAlertAfter <= 0 {
		s.gapAlertAfter = DefaultGapAlertAfter
	}
	// Counted here, registered by each Server over the service.
	s.checks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lobbyline_central_mutation_checks_total",
		Help: "Pushed mutations refused (outcome=refused) or applied with a warning (outcome=flagged), by the rule: hlc, envelope, time, kiosk_clock, visit.",
	}, []string{"outcome", "rule"})
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	kinds := opts.Accepts
	if kinds == nil {
		kinds = Kinds
	}
	for _, k := range kinds {
		s.accepts[k] = true
	}
	return s
}

// Accepts lists the mutation kinds this centre applies.
func (s *Service) Accepts() []string {
	var out []string
	for _, k := range Kinds {
		if s.accepts[k] {
			out = append(out, k)
		}
	}
	return out
}

// Store is the store the centre runs on.
func (s *Service) Store() Store { return s.store }

// AddSite creates a site; adding one that exists changes its name.
func (s *Service) AddSite(ctx context.Context, id, name string) error {
	if !queue.ValidID(id) {
		return fmt.Errorf("add site: id %q must be lower-case letters, digits and dashes", id)
	}
	if err := s.store.PutSite(ctx, id, name, s.now()); err != nil {
		return fmt.Errorf("add site %s: %w", id, err)
	}
	return nil
}

// SiteName returns a site's name; ok is false if there is no such site.
func (s *Service) SiteName(ctx context.Context, id string) (name string, ok bool, err error) {
	name, ok, err = s.store.SiteName(ctx, id)
	if err != nil {
		return "", false, fmt.Errorf("look up site %s: %w", id, err)
	}
	return name, ok, nil
}

// Enroll adds a kiosk to a site, or re-enrolls it, and returns its new
// token. Only the token's hash is stored: the token is shown once. An
// empty name keeps the name a re-enrolled kiosk had. by is who enrols
// it: the enrolment and its audit entry are one transaction, so there is
// never one without the other, and without a known actor nothing is
// enrolled.
func (s *Service) Enroll(ctx context.Context, site, kiosk, name string, by Actor) (string, error) {
	if !queue.ValidID(kiosk) {
		return "", fmt.Errorf("enroll: kiosk id %q must be lower-case letters, digits and dashes", kiosk)
	}
	if err := by.check(); err != nil {
		return "", fmt.Errorf("enroll %s: %w", kiosk, err)
	}
	var token string
	err := s.store.Update(ctx, func(tx Ops) error {
		current, revoked, ok, err := tx.KioskSite(ctx, kiosk)
		if err != nil {
			return err
		}
		detail := "kiosk " + kiosk
		if ok && current == site && !revoked {
			detail += ", enrolled again: its old token stopped working"
		}
		if token, err = s.enroll(ctx, tx, site, kiosk, name); err != nil {
			return err
		}
		return s.audit(ctx, tx, site, by.entry(s.now(), ActionEnrol, detail))
	})
	if err != nil {
		return "", fmt.Errorf("enroll %s: %w", kiosk, err)
	}
	return token, nil
}

// enroll enrols kiosk at site in tx and returns its new token.
func (s *Service) enroll(ctx context.Context, tx Ops, site, kiosk, name string) (string, error) {
	if err := canEnroll(ctx, tx, site, kiosk); err != nil {
		return "", err
	}
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return "", err
	}
	token := "llk_" + base64.RawURLEncoding.EncodeToString(secret[:])
	// A revoked kiosk may move: enrolling it elsewhere moves it there.
	err := tx.PutKiosk(ctx, KioskRow{Kiosk: Kiosk{ID: kiosk, Site: site}, Name: name, TokenHash: hashToken(token), Enrolled: s.now()})
	return token, err
}

// ErrEnrolRefused marks an enrolment, or an enrolment code, the centre
// refuses (no such site, the kiosk is another site's): the message says
// why, in words IT can act on. Any other error is the centre's failing.
var ErrEnrolRefused = errors.New("centre: enrolment refused")

type enrolRefusal string

func (r enrolRefusal) Error() string { return string(r) }

func (enrolRefusal) Is(target error) bool { return target == ErrEnrolRefused }

// canEnroll says why kiosk cannot be enrolled at site, if it cannot: the
// site does not exist, or the kiosk belongs to another one.
func canEnroll(ctx context.Context, tx Ops, site, kiosk string) error {
	if _, ok, err := tx.SiteName(ctx, site); err != nil || !ok {
		if err == nil {
			err = enrolRefusal(fmt.Sprintf("site %q does not exist; add it first", site))
		}
		return err
	}
	current, revoked, ok, err := tx.KioskSite(ctx, kiosk)
	if err != nil {
		return err
	}
	if ok && current != site && !revoked {
		return enrolRefusal(fmt.Sprintf("kiosk %q belongs to site %q; revoke it there first", kiosk, current))
	}
	return nil
}

// Revoke stops a kiosk's token from working. Its data stays. by is who
// revokes it: the revocation and its audit entry, at the kiosk's site,
// are one transaction.
func (s *Service) Revoke(ctx context.Context, kiosk string, by Actor) error {
	if err := by.check(); err != nil {
		return fmt.Errorf("revoke %s: %w", kiosk, err)
	}
	err := s.store.Update(ctx, func(tx Ops) error {
		site, revoked, ok, err := tx.KioskSite(ctx, kiosk)
		switch {
		case err != nil:
			return err
		case !ok || revoked:
			return fmt.Errorf("%w (or already revoked)", ErrNotFound)
		}
		if ok, err = tx.RevokeKiosk(ctx, kiosk, s.now()); err != nil || !ok {
			if err == nil {
				err = fmt.Errorf("%w (or already revoked)", ErrNotFound) // by another instance, a moment ago
			}
			return err
		}
		return s.audit(ctx, tx, site, by.entry(s.now(), ActionRevoke, "kiosk "+kiosk))
	})
	if err != nil {
		return fmt.Errorf("revoke %s: %w", kiosk, err)
	}
	return nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticate finds the kiosk a token belongs to. Tokens carry 256
// random bits, so a plain SHA-256 is a safe hash to look them up by.
func (s *Service) Authenticate(ctx context.Context, token string) (Kiosk, error) {
	if token == "" {
		return Kiosk{}, ErrUnauthorized
	}
	k, ok, err := s.store.KioskByToken(ctx, hashToken(token))
	if err != nil {
		return Kiosk{}, fmt.Errorf("authenticate: %w", err)
	}
	if !ok {
		return Kiosk{}, ErrUnauthorized
	}
	return k, nil
}

// Kiosks lists every enrolled kiosk, by site and id.
func (s *Service) Kiosks(ctx context.Context) ([]KioskInfo, error) {
	out, err := s.store.Kiosks(ctx)
	if err != nil {
		return nil, fmt.Errorf("list kiosks: %w", err)
	}
	return out, nil
}

// RecordWrite is one change to a site's centre-owned data.
type RecordWrite struct {
	Entity string
	Key    string
	Data   any // marshalled to JSON; ignored when Delete
	Delete bool
}

// Write applies changes to a site's records in one transaction and returns
// the site's version after them.
func (s *Service) Write(ctx context.Context, site string, writes []RecordWrite) (int64, error) {
	writes, err := s.withSealed(ctx, site, writes)
	if err != nil {
		return 0, fmt.Errorf("write %s records: %w", site, err)
	}
	var version int64
	err = s.store.Update(ctx, func(tx Ops) error {
		var err error
		version, err = s.writeRecords(ctx, tx, site, writes)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("write %s records: %w", site, err)
	}
	return version, nil
}

// writeRecords takes a version per record from the site's counter, which
// also locks the site's row until the transaction ends: a later writer
// gets later versions and commits after this one.
func (s *Service) writeRecords(ctx context.Context, tx Ops, site string, writes []RecordWrite) (int64, error) {
	if len(writes) == 0 {
		return 0, nil
	}
	// One row per record: a visit changed three times in a batch is
	// written once, as it ended.
	last := make(map[[2]string]int, len(writes))
	for i, w := range writes {
		last[[2]string{w.Entity, w.Key}] = i
	}
	top, err := tx.NextVersions(ctx, site, len(last))
	if err != nil {
		return 0, fmt.Errorf("site %q: next version: %w", site, err)
	}
	now := s.now()
	rows := make([]RecordRow, 0, len(last))
	version := top - int64(len(last))
	for i, w := range writes {
		if last[[2]string{w.Entity, w.Key}] != i {
			continue
		}
		version++
		data := []byte("{}")
		if !w.Delete {
			if raw, ok := w.Data.(json.RawMessage); ok {
				data = raw
			} else if data, err = json.Marshal(w.Data); err != nil {
				return 0, fmt.Errorf("encode %s %s: %w", w.Entity, w.Key, err)
			}
		}
		rows = append(rows, RecordRow{Site: site, Entity: w.Entity, Key: w.Key, Version: version, Deleted: w.Delete, Data: string(data), Updated: now})
	}
	if err := tx.PutRecords(ctx, rows); err != nil {
		return 0, fmt.Errorf("write records: %w", err)
	}
	return top, nil
}

// Record reads one record; ok is false if there is none or it is deleted.
func (s *Service) Record(ctx context.Context, site, entity, key string) (json.RawMessage, bool, error) {
	data, ok, err := s.store.Record(ctx, site, entity, key)
	if err != nil {
		return nil, false, fmt.Errorf("read %s %s: %w", entity, key, err)
	}
	return data, ok, nil
}

// Records lists a site's live records of one entity, by key.
func (s *Service) Records(ctx context.Context, site, entity string) ([]wire.Record, error) {
	out, err := s.store.Records(ctx, site, entity)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", entity, err)
	}
	return out, nil
}

// PullQuery asks for a page of a site's changes.
type PullQuery struct {
	Cursor int64
	Limit  int
	// Continuing says the kiosk is part-way through a snapshot: it has
	// cleared what it held and is reading the rest, so a cursor below
	// the floor must not start the snapshot again.
	Continuing bool
}

// Pull is PullFrom for an ordinary page.
func (s *Service) Pull(ctx context.Context, k Kiosk, cursor int64, limit int) (wire.PullResponse, error) {
	return s.PullFrom(ctx, k, PullQuery{Cursor: cursor, Limit: limit})
}

// PullFrom returns a site's changes after a cursor, at most a page, in
// version order. It reads in one snapshot so the page and the site's
// version agree. A cursor below the site's floor (its tombstones were
// compacted away) gets the first page of a snapshot instead: live records
// only, marked Snapshot so the kiosk clears what it held; the kiosk then
// follows with Continuing set until More is false. Each kiosk gets what
// it needs of the log and no more (forKiosk).
func (s *Service) PullFrom(ctx context.Context, k Kiosk, pq PullQuery) (wire.PullResponse, error) {
	cursor, limit := pq.Cursor, pq.Limit
	if limit <= 0 || limit > wire.MaxPullPage {
		limit = wire.MaxPullPage
	}
	resp := wire.PullResponse{Records: []wire.Record{}}
	err := s.store.View(ctx, func(tx Ops) error {
		version, floor, err := tx.SiteVersion(ctx, k.Site)
		if err != nil {
			return fmt.Errorf("site %s: %w", k.Site, err)
		}
		from := cursor
		if (cursor < floor && !pq.Continuing) || cursor > version {
			// Too old to follow, or from a centre that was rebuilt:
			// start again from everything live.
			resp.Snapshot = true
			from = 0
		}
		recs, err := tx.Changes(ctx, k.Site, from, limit+1, resp.Snapshot)
		if err != nil {
			return fmt.Errorf("read changes: %w", err)
		}
		resp.Records = append(resp.Records, recs...)
		resp.Cursor = from
		if resp.More = len(resp.Records) > limit; resp.More {
			resp.Records = resp.Records[:limit]
			resp.Cursor = resp.Records[limit-1].Version
		} else {
			// Nothing newer is committed in this snapshot: the kiosk is
			// at the head, even if the newest versions were compacted.
			resp.Cursor = version
		}
		resp.Records = forKiosk(k.ID, resp.Records)
		return nil
	})
	if err != nil {
		return wire.PullResponse{}, fmt.Errorf("pull %s: %w", k.ID, err)
	}
	resp.Now = s.now().UTC()
	// A kiosk with nothing to push is still alive; IT's kiosk list says so.
	if err := s.store.SeenKiosk(ctx, k.ID, resp.Now, k.Software, k.Config); err != nil {
		return wire.PullResponse{}, fmt.Errorf("pull %s: %w", k.ID, err)
	}
	return resp, nil
}

// PruneMutations clears the payloads of mutations received before
// before, at every site. Each mutation's name, answer and payload hash
// stay for good: a kiosk may replay a change long after (a backup
// restored, a disk snapshot rolled back), and it is still answered
// "duplicate", or refused if its payload differs.
func (s *Service) PruneMutations(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := s.store.Update(ctx, func(tx Ops) error {
		var err error
		n, err = tx.PruneMutations(ctx, before)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune mutations: %w", err)
	}
	return n, nil
}

// Compact removes a site's tombstones older than before and raises its
// floor past them; kiosks whose cursor is below the floor get a snapshot.
func (s *Service) Compact(ctx context.Context, site string, before time.Time) (int, error) {
	var n int
	err := s.store.Update(ctx, func(tx Ops) error {
		var err error
		n, err = tx.Compact(ctx, site, before)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("compact %s: %w", site, err)
	}
	return n, nil
}

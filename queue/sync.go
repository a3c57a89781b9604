package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"lobbyline/queue/hlc"
	"lobbyline/queue/sqldb"
)

// This file is the kiosk's side of sync as storage: the outbox the syncer
// pushes from, the centre's records it pulls into, and the connectivity
// log. The protocol itself lives in syncer/.

// OutboxEntry is one mutation waiting for the centre, or one the centre
// rejected (then Reason says why).
type OutboxEntry struct {
	Seq       int64
	Epoch     int64
	Kind      string
	HLC       string
	CreatedAt time.Time
	Payload   []byte
	Reason    string
	State     string // pending, done or rejected
}

// PendingOutbox returns up to limit pending mutations in order, leaving
// out those of the kinds in skip. Rejected ones are not among them, so
// they never hold back those behind.
func (s *Store) PendingOutbox(ctx context.Context, limit int, skip ...string) ([]OutboxEntry, error) {
	return s.outbox(ctx, "pending", limit, skip...)
}

// RejectedOutbox returns the mutations the centre refused: they need a
// person's attention and stay until one deals with them.
func (s *Store) RejectedOutbox(ctx context.Context, limit int) ([]OutboxEntry, error) {
	return s.outbox(ctx, "rejected", limit)
}

func (s *Store) outbox(ctx context.Context, state string, limit int, skip ...string) ([]OutboxEntry, error) {
	kinds, err := json.Marshal(append([]string{}, skip...))
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+outboxColumns+`
		FROM outbox WHERE state = ? AND kind NOT IN (SELECT value FROM json_each(?)) ORDER BY seq LIMIT ?`, state, string(kinds), limit)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return scanOutbox(rows)
}

// outboxColumns are what scanOutbox reads.
const outboxColumns = "seq, epoch, kind, hlc, created_at, payload, reason, state"

// scanOutbox reads outbox rows selected as outboxColumns, and closes them.
func scanOutbox(rows *sql.Rows) ([]OutboxEntry, error) {
	defer rows.Close()
	var out []OutboxEntry
	for rows.Next() {
		var e OutboxEntry
		var created, payload string
		if err := rows.Scan(&e.Seq, &e.Epoch, &e.Kind, &e.HLC, &created, &payload, &e.Reason, &e.State); err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		e.Payload = []byte(payload)
		var err error
		if e.CreatedAt, err = sqldb.ParseTime(created); err != nil {
			return nil, fmt.Errorf("read outbox %d: %w", e.Seq, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// OutboxBetween returns the outbox rows numbered from to to, in order,
// at most limit, whatever their epoch and state: what the syncer reads
// when the centre asks for changes from a number again. A number with no
// row is one this database no longer has (accepted and pruned, or lost).
func (s *Store) OutboxBetween(ctx context.Context, from, to int64, limit int) ([]OutboxEntry, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+outboxColumns+`
		FROM outbox WHERE seq BETWEEN ? AND ? ORDER BY seq LIMIT ?`, from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return scanOutbox(rows)
}

// Settlement is the centre's answer for one pushed mutation.
type Settlement struct {
	Seq      int64
	Rejected bool
	Reason   string
}

// SettleOutbox records the centre's answers in one transaction: accepted
// mutations (applied or duplicate) are done, rejected ones wait for staff.
// Only pending rows change, so a late answer cannot undo a newer one.
func (s *Store) SettleOutbox(ctx context.Context, answers []Settlement) error {
	at := sqldb.FormatTime(s.now())
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, a := range answers {
			state, reason := "done", ""
			if a.Rejected {
				state, reason = "rejected", a.Reason
			}
			err := s.stmts.exec(ctx, tx, `UPDATE outbox SET state = ?, reason = ?, synced_at = ? WHERE seq = ? AND state = 'pending'`,
				state, reason, at, a.Seq)
			if err != nil {
				return fmt.Errorf("settle outbox %d: %w", a.Seq, err)
			}
		}
		return nil
	})
}

// RetryRejected puts a rejected mutation back in line, for when staff or
// IT fixed what the centre objected to.
func (s *Store) RetryRejected(ctx context.Context, seq int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'pending', reason = '' WHERE seq = ? AND state = 'rejected'`, seq)
		if err != nil {
			return fmt.Errorf("retry outbox %d: %w", seq, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &Error{Code: ENotFound, Key: "error.outbox.notrejected", Message: "That change is not waiting for attention."}
		}
		return s.auditAs(ctx, tx, s.now(), "retry_rejected", "", fmt.Sprintf("change %d", seq))
	})
}

// Backlog describes what has not reached the centre yet.
type Backlog struct {
	Pending  int
	Oldest   time.Time // creation time of the oldest pending mutation; zero if none
	Rejected int
	Done     int   // accepted by the centre
	Last     int64 // sequence number of the newest pending mutation
}

// Backlog counts the outbox by state.
func (s *Store) Backlog(ctx context.Context) (Backlog, error) {
	var b Backlog
	var oldest sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM outbox WHERE state = 'pending'),
		(SELECT min(created_at) FROM outbox WHERE state = 'pending'),
		(SELECT count(*) FROM outbox WHERE state = 'rejected'),
		(SELECT count(*) FROM outbox WHERE state = 'done'),
		(SELECT coalesce(max(seq), 0) FROM outbox WHERE state = 'pending')`).Scan(&b.Pending, &oldest, &b.Rejected, &b.Done, &b.Last)
	if err != nil {
		return b, fmt.Errorf("backlog: %w", err)
	}
	if oldest.Valid {
		if b.Oldest, err = sqldb.ParseTime(oldest.String); err != nil {
			return b, fmt.Errorf("backlog: %w", err)
		}
	}
	return b, nil
}

// RemoteRecord is one record of centre-owned data as pulled.
type RemoteRecord struct {
	Entity  string          `json:"entity"`
	Key     string          `json:"key"`
	Version int64           `json:"version"`
	Deleted bool            `json:"deleted,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// PullCursor is the centre's version this kiosk has applied up to.
func (s *Store) PullCursor(ctx context.Context) (int64, error) {
	cursor, _, err := s.PullState(ctx)
	return cursor, err
}

// PullState is the pull cursor and whether a snapshot is part-way done
// (its first page applied, more to come).
func (s *Store) PullState(ctx context.Context) (cursor int64, continuing bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'pull_cursor'), 0),
		coalesce((SELECT value FROM meta WHERE key = 'snapshot_pending'), '') = '1'`).Scan(&cursor, &continuing)
	if err != nil {
		return 0, false, fmt.Errorf("pull cursor: %w", err)
	}
	return cursor, continuing, nil
}

// PullPage is one page of centre changes: records in version order and
// the cursor to store once they are applied. A snapshot replaces all
// records the kiosk holds.
type PullPage struct {
	Snapshot bool // the first page of a snapshot: clear what is held
	More     bool // more pages follow
	Records  []RemoteRecord
	Cursor   int64
	Clock    hlc.Timestamp // the centre's clock; later local events order after it
}

// ApplyPull applies a page and advances the cursor in one transaction, so
// a crash leaves either both or neither. A page older than the stored
// cursor (a late answer to an earlier request) changes nothing.
func (s *Store) ApplyPull(ctx context.Context, page PullPage) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var cursor int64
		if err := tx.QueryRowContext(ctx, "SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'pull_cursor'), 0)").Scan(&cursor); err != nil {
			return fmt.Errorf("pull cursor: %w", err)
		}
		if !page.Snapshot && page.Cursor < cursor {
			return nil
		}
		if page.Snapshot {
			if _, err := tx.ExecContext(ctx, "DELETE FROM remote"); err != nil {
				return fmt.Errorf("clear for snapshot: %w", err)
			}
		}
		purged, err := purgedBefore(ctx, tx)
		if err != nil {
			return err
		}
		for _, r := range page.Records {
			if purgedRecord(r, purged) {
				r = RemoteRecord{Entity: r.Entity, Key: r.Key, Version: r.Version, Deleted: true}
			}
			if r.Entity == EntityStaff { // kept as accounts, not as a record
				if err := s.applyStaffRecord(ctx, tx, r); err != nil {
					return err
				}
				continue
			}
			r, keep := s.needed(r)
			if !keep {
				continue
			}
			if r.Entity == EntityVisit && !r.Deleted {
				older, err := olderThanHeld(ctx, tx, r)
				if err != nil {
					return err
				}
				if older {
					continue
				}
			}
			var err error
			if r.Deleted {
				err = s.stmts.exec(ctx, tx, "DELETE FROM remote WHERE entity = ? AND key = ?", r.Entity, r.Key)
			} else {
				err = s.stmts.exec(ctx, tx, `INSERT INTO remote (entity, key, version, data) VALUES (?, ?, ?, ?)
					ON CONFLICT (entity, key) DO UPDATE SET version = excluded.version, data = excluded.data`,
					r.Entity, r.Key, r.Version, string(r.Data))
			}
			if err != nil {
				return fmt.Errorf("apply %s %s: %w", r.Entity, r.Key, err)
			}
			if r.Entity == EntityErasure {
				if err := s.applyErasure(ctx, tx, r); err != nil {
					return err
				}
			}
			if r.Entity == EntityAlert && !r.Deleted {
				if err := s.raiseRemoteAlert(ctx, tx, r); err != nil {
					return err
				}
			}
		}
		if err := setMeta(ctx, tx, "pull_cursor", fmt.Sprint(page.Cursor)); err != nil {
			return err
		}
		// A snapshot spans pages: until its last, the kiosk asks for the
		// rest rather than for a new snapshot.
		if page.Snapshot || !page.More {
			pending := ""
			if page.Snapshot && page.More {
				pending = "1"
			}
			if err := setMeta(ctx, tx, "snapshot_pending", pending); err != nil {
				return err
			}
		}
		if err := setMeta(ctx, tx, "pulled_at", sqldb.FormatTime(s.now())); err != nil {
			return err
		}
		if !page.Clock.IsZero() {
			return s.seeClock(ctx, tx, page.Clock)
		}
		return nil
	})
}

// olderThanHeld reports whether a pulled visit record was set by an
// older change than the copy the kiosk holds (SiteVisit.Older): a centre
// before issue 16 kept the last change it applied, not the newest, and a
// record must never go back to an earlier state.
func olderThanHeld(ctx context.Context, tx *sql.Tx, r RemoteRecord) (bool, error) {
	var held string
	err := tx.QueryRowContext(ctx, "SELECT data FROM remote WHERE entity = ? AND key = ?", r.Entity, r.Key).Scan(&held)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("held %s %s: %w", r.Entity, r.Key, err)
	}
	var a, b SiteVisit
	if json.Unmarshal(r.Data, &a) != nil || json.Unmarshal([]byte(held), &b) != nil {
		return false, nil // the newer page's copy wins, as before
	}
	return a.Older(b), nil
}

// needed is what of a pulled record this kiosk keeps (issue 13 §2). The
// centre sends only that since this release; a centre of an earlier one
// sends more, which stays off this kiosk's disk all the same: the
// watch-list in plain text (the kiosk screens with the sealed one only),
// the site's other kiosks' alerts, and the phone numbers, hosts and
// invitations of their visits (their panel shows ticket, name and kiosk).
func (s *Store) needed(r RemoteRecord) (RemoteRecord, bool) {
	if r.Entity == EntityWatch {
		return r, r.Deleted
	}
	if r.Deleted {
		return r, true
	}
	switch r.Entity {
	case EntityAlert:
		var a Alert
		return r, json.Unmarshal(r.Data, &a) == nil && a.Kiosk == s.kioskID
	case EntityVisit:
		sv, ok := SiteVisitFor(r.Data, s.kioskID)
		if !ok {
			return r, false
		}
		r.Data = sv
	}
	return r, true
}

// SiteVisitFor is a site visit's record as kiosk self may hold it: its
// own visits whole, other kiosks' without phone number, host or
// invitation. ok is false if the record cannot be read. The centre sends
// it so and the kiosk keeps it so.
func SiteVisitFor(data json.RawMessage, self string) (_ json.RawMessage, ok bool) {
	var sv SiteVisit
	if json.Unmarshal(data, &sv) != nil {
		return nil, false
	}
	if sv.Kiosk == self {
		return data, true
	}
	if sv.Visit.Phone == "" && sv.Visit.Host == "" && sv.Visit.Invite == "" {
		return data, true
	}
	sv.Visit.Phone, sv.Visit.Host, sv.Visit.Invite = "", "", ""
	out, err := json.Marshal(sv)
	return out, err == nil
}

// raiseRemoteAlert copies an alert from the centre into the staff list
// if it is about this kiosk database (kiosk and epoch): alerts about the
// site's other kiosks are theirs, and those about an earlier database of
// this kiosk name visits this one does not hold. The centre may update an
// alert (a third check-in of the same person); the message follows, the
// acknowledgement stays. A record that cannot be read is logged and
// skipped: one bad alert must not stop the kiosk from syncing.
func (s *Store) raiseRemoteAlert(ctx context.Context, tx *sql.Tx, r RemoteRecord) error {
	var a Alert
	if err := json.Unmarshal(r.Data, &a); err != nil {
		s.log.Warn("unreadable alert from the centre", "key", r.Key, "err", err)
		return nil
	}
	if a.Kiosk != s.kioskID {
		return nil
	}
	// Any epoch of this database: alerts about visits written before
	// it started a new one are about its visits too.
	cur, err := s.currentEpoch(ctx, tx)
	if err != nil {
		return err
	}
	past, err := getMeta(ctx, tx, "past_epochs")
	if err != nil {
		return err
	}
	if a.Epoch != cur && !slices.Contains(strings.Fields(past), fmt.Sprint(a.Epoch)) {
		return nil
	}
	at := a.At
	if at.IsZero() {
		at = s.now()
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO alerts (key, kind, visit_id, message, created_at)
		VALUES (?, ?, (SELECT id FROM visits WHERE id = ? AND epoch IN (?, 0)), ?, ?)
		ON CONFLICT (key) DO UPDATE SET message = CASE WHEN alerts.message = ? THEN alerts.message ELSE excluded.message END`,
		"centre/"+r.Key, a.Kind, a.Visit, a.Epoch, a.Message, sqldb.FormatTime(at), PurgedText) // a purged name stays purged
	if err != nil {
		return fmt.Errorf("raise alert %s: %w", r.Key, err)
	}
	return nil
}

// PulledAt is when the kiosk last applied data from the centre; zero if
// never. Staff see it as the age of the cached watch-list.
func (s *Store) PulledAt(ctx context.Context) (time.Time, error) {
	var v string
	if err := s.db.QueryRowContext(ctx, "SELECT coalesce((SELECT value FROM meta WHERE key = 'pulled_at'), '')").Scan(&v); err != nil {
		return time.Time{}, fmt.Errorf("pulled at: %w", err)
	}
	if v == "" {
		return time.Time{}, nil
	}
	return sqldb.ParseTime(v)
}

// Remote returns the cached records of one entity, keyed.
func (s *Store) Remote(ctx context.Context, entity string) ([]RemoteRecord, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT key, version, data FROM remote WHERE entity = ? ORDER BY key", entity)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", entity, err)
	}
	defer rows.Close()
	var out []RemoteRecord
	for rows.Next() {
		r := RemoteRecord{Entity: entity}
		var data string
		if err := rows.Scan(&r.Key, &r.Version, &data); err != nil {
			return nil, fmt.Errorf("read %s: %w", entity, err)
		}
		r.Data = json.RawMessage(data)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Invite looks up a pre-registration by invite code in the cached data.
func (s *Store) Invite(ctx context.Context, code string) (PreRegistration, bool, error) {
	return lookupInvite(ctx, s.db, NormalizeInvite(code))
}

func lookupInvite(ctx context.Context, q querier, code string) (PreRegistration, bool, error) {
	var data string
	err := q.QueryRowContext(ctx, "SELECT data FROM remote WHERE entity = 'prereg' AND json_extract(data, '$.code') = ?", code).Scan(&data)
	if err == sql.ErrNoRows {
		return PreRegistration{}, false, nil
	}
	if err != nil {
		return PreRegistration{}, false, fmt.Errorf("look up invite: %w", err)
	}
	var p PreRegistration
	if err := json.Unmarshal([]byte(data), &p); err != nil {
		return PreRegistration{}, false, fmt.Errorf("invite %s: %w", code, err)
	}
	return p, true, nil
}

// StaffAlert is an alert as staff see it.
type StaffAlert struct {
	ID      int64
	Kind    string
	Visit   int64
	Ticket  string // the visit's ticket number, if the visit is this kiosk's
	Message string
	At      time.Time
	AckedAt time.Time
	AckedBy string
}

// Alerts returns alerts newest first; with open only, those not yet
// acknowledged.
func (s *Store) Alerts(ctx context.Context, open bool) ([]StaffAlert, error) {
	where := ""
	if open {
		where = "WHERE a.acked_at IS NULL"
	}
	return s.alerts(ctx, where+" ORDER BY a.id DESC LIMIT 200")
}

// alerts reads the alerts that the rest of the query (after FROM) picks.
func (s *Store) alerts(ctx context.Context, rest string, args ...any) ([]StaffAlert, error) {
	// #nosec G202 -- rest is a constant query tail of this package; values go as arguments
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.kind, coalesce(a.visit_id, 0), coalesce(v.ticket, ''), a.message,
		a.created_at, coalesce(a.acked_at, ''), a.acked_by FROM alerts a LEFT JOIN visits v ON v.id = a.visit_id `+rest, args...)
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	defer rows.Close()
	var out []StaffAlert
	for rows.Next() {
		var a StaffAlert
		var at, acked string
		if err := rows.Scan(&a.ID, &a.Kind, &a.Visit, &a.Ticket, &a.Message, &at, &acked, &a.AckedBy); err != nil {
			return nil, fmt.Errorf("read alerts: %w", err)
		}
		if a.At, err = sqldb.ParseTime(at); err != nil {
			return nil, err
		}
		if acked != "" {
			if a.AckedAt, err = sqldb.ParseTime(acked); err != nil {
				return nil, err
			}
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AckAlert records that a member of staff has dealt with an alert.
func (s *Store) AckAlert(ctx context.Context, id int64, staff string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE alerts SET acked_at = ?, acked_by = ? WHERE id = ? AND acked_at IS NULL",
			sqldb.FormatTime(s.now()), staff, id)
		if err != nil {
			return fmt.Errorf("acknowledge alert: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &Error{Code: ENotFound, Key: "error.alert.notfound", Message: "That alert is gone or already dealt with."}
		}
		return s.auditAs(ctx, tx, s.now(), "alert_ack", "", fmt.Sprintf("alert %d", id))
	})
}

// ConnectivityChange is one line of the connectivity log.
type ConnectivityChange struct {
	At      time.Time
	State   string
	Detail  string
	Backlog int
}

// LogConnectivity records a change of connectivity state.
func (s *Store) LogConnectivity(ctx context.Context, c ConnectivityChange) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO connectivity_log (at, state, detail, backlog) VALUES (?, ?, ?, ?)",
			sqldb.FormatTime(c.At), c.State, c.Detail, c.Backlog)
		if err != nil {
			return fmt.Errorf("log connectivity: %w", err)
		}
		return nil
	})
}

// ConnectivityLog returns the changes since a time, oldest first.
func (s *Store) ConnectivityLog(ctx context.Context, since time.Time) ([]ConnectivityChange, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT at, state, detail, backlog FROM connectivity_log WHERE at >= ? ORDER BY id", sqldb.FormatTime(since))
	if err != nil {
		return nil, fmt.Errorf("read connectivity log: %w", err)
	}
	defer rows.Close()
	var out []ConnectivityChange
	for rows.Next() {
		var c ConnectivityChange
		var at string
		if err := rows.Scan(&at, &c.State, &c.Detail, &c.Backlog); err != nil {
			return nil, fmt.Errorf("read connectivity log: %w", err)
		}
		if c.At, err = sqldb.ParseTime(at); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Identity is what the syncer needs to name this kiosk's mutations.
// The epoch is the one this process last wrote, read or started in.
func (s *Store) Identity() (kiosk string, epoch int64) { return s.kioskID, s.epoch.Load() }

// seeClock raises the floor for the next local HLC reading to a clock
// received from the centre.
func (s *Store) seeClock(ctx context.Context, tx *sql.Tx, h hlc.Timestamp) error {
	seen, err := s.lastHLC(ctx, tx)
	if err != nil {
		return err
	}
	if !seen.Less(h) {
		return nil
	}
	return setMeta(ctx, tx, "hlc_seen", h.String())
}

// lastHLC is the latest clock reading this database has issued or seen.
func (s *Store) lastHLC(ctx context.Context, tx *sql.Tx) (hlc.Timestamp, error) {
	var v string
	err := s.stmts.queryRow(ctx, tx, `SELECT max(coalesce((SELECT hlc FROM events ORDER BY id DESC LIMIT 1), ''),
		coalesce((SELECT value FROM meta WHERE key = 'hlc_seen'), ''))`).Scan(&v)
	if err != nil {
		return hlc.Timestamp{}, fmt.Errorf("read clock: %w", err)
	}
	return hlc.Parse(v)
}

// Package sqlstore runs the centre's Store over database/sql for a
// database whose Dialect supplies the SQL: the sqlite and postgres
// packages each write theirs, in their own words, with their own
// migrations. What is left here is what does not depend on the database:
// transactions, scanning rows, and multi-row inserts sized to the
// databases' parameter limits.
//
// It imports no driver; the adapter that opens the database does.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/sqldb"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/wire"
)

// Dialect is what one database needs said in its own SQL.
type Dialect struct {
	// Param is the placeholder for the i-th parameter, from 1.
	Param func(i int) string
	// Snapshot is the isolation of View's read-only transactions; zero is
	// the database's default.
	Snapshot sql.IsolationLevel
	Queries  Queries
}

// Queries are the statements, with placeholders in the database's own
// form; the comment on each says its parameters, in order.
type Queries struct {
	PutSite      string // id, name, created_at
	SiteName     string // id → name
	LockSite     string // id → id, holding the site's row
	SiteVersion  string // id → version, floor
	NextVersions string // n, id → version
	// SetWatchSecret: watch_secret, id; sets it only while it is ''.
	SetWatchSecret string
	WatchSecret    string // id → watch_secret

	KioskSite    string // id → site_id, revoked
	PutKiosk     string // id, site_id, name, token_hash, enrolled_at
	RevokeKiosk  string // revoked_at, id
	KioskByToken string // token_hash → id, site_id

	PutEnrolmentCode string // code_hash, site_id, kiosk_id, name, created_at, expires_at
	EnrolmentCode    string // code_hash → site_id, kiosk_id, name, created_at, expires_at, used_at or ''
	UseEnrolmentCode string // used_at, code_hash

	Kiosks    string // → id, site_id, name, revoked, last_seen_at, backlog, skew_ms, last_seq, software, config_version
	NoteKiosk string // last_seen_at, backlog, skew_ms, software or '', config version or 0, id
	SeenKiosk string // last_seen_at, software or '', config version or 0, id, a minute before last_seen_at, software or '', config version or 0

	InitProgress string // kiosk_id, epoch
	LockProgress string // kiosk_id, epoch → last_seq, holding the row
	SetProgress  string // last_seq, kiosk_id, epoch, last_seq
	Earlier      string // kiosk_id, epoch, from, to → seq, status, payload, payload_hash

	Gaps       string // kiosk_id, epoch → from_seq, to_seq, why, opened_at, alerted_at in order
	DeleteGaps string // kiosk_id, epoch
	PutGap     string // kiosk_id, epoch, from_seq, to_seq, why, opened_at, alerted_at
	// StaleGaps: opened before, limit → kiosk_id, site_id, epoch,
	// from_seq, to_seq, why, opened_at of gaps not alerted, oldest first.
	StaleGaps  string
	AlertedGap string // alerted_at, kiosk_id, epoch, from_seq

	UnhashedMutations string // before, limit → kiosk_id, epoch, seq, payload of rows with a payload and no hash
	SetPayloadHash    string // payload_hash, kiosk_id, epoch, seq
	PruneMutations    string // before: clears the payload of hashed rows received before

	// UnpurgedMutations: site_id, before (received or made by the kiosk's
	// clock), limit → kiosk_id, epoch, seq, payload, payload_hash of rows
	// not yet purged.
	UnpurgedMutations string
	PurgeMutation     string // payload, payload_hash, purged_at, kiosk_id, epoch, seq
	PurgeArrivals     string // site_id, before: empties the names of check-ins before
	// MutationsAfter: site_id, kiosk_id, epoch, seq, limit → kiosk_id,
	// epoch, seq, payload, payload_hash of rows not yet purged after that
	// name, in name order.
	MutationsAfter string
	EraseArrivals  string // site_id, norm_name: empties that name

	// Arrivals: site_id, kiosk_id to leave out, the names as a JSON array
	// → norm_name, kiosk_id, epoch, visit_id, ticket, checked_in_at.
	Arrivals string

	Record  string // site_id, entity, key → data
	Records string // site_id, entity → key, version, data
	// RecordsByKey: site_id, entity, the keys as a JSON array → key, data
	// of the live ones
	RecordsByKey string
	Changes      string // site_id, after, limit → entity, key, version, deleted, data
	LiveChanges  string // as Changes, live records only

	CompactTop    string // site_id, before → max version of old tombstones
	CompactDelete string // site_id, version
	CompactFloor  string // floor, site_id, floor

	Incidents      string // site_id → kiosk_id, kiosk name, epoch, summary, received_at
	IncidentsSince string // site_id, ended at or after

	Sites string // → id, name

	// KioskRecords: site_id, entity, key prefix, after version, limit →
	// key, version, data of live records whose key starts with the
	// prefix, in version order.
	KioskRecords   string
	PutVisitOrigin string // site_id, key, kiosk_id, origin, restored_at; replaces
	VisitOrigins   string // site_id → key, kiosk_id, origin, restored_at by key

	// AuditLog: site_id, since, until, limit (-1 for all) → kiosk_id,
	// epoch, seq, at, source, account, name, role, os_user, action,
	// ticket, detail, received_at, oldest first.
	AuditLog   string
	PurgeAudit string // site_id, received before

	PutAdmin            string // name, password_hash, created_at
	EndAdminSessions    string // admin: its sessions end when its password is set
	Admin               string // name → password_hash, created_at, failures, locked_until
	FailAdmin           string // limit, locked_until, name → failures
	PassAdmin           string // name
	PutAdminSession     string // token_hash, admin, csrf, created_at, expires_at
	AdminSession        string // token_hash → admin, csrf, created_at, expires_at
	DeleteAdminSession  string // token_hash
	DeleteAdminSessions string // expired before

	// Multi-row inserts: Head, a tuple of placeholders per row, Tail.
	PutMutations Insert // kiosk_id, epoch, seq, site_id, kind, kiosk_at, hlc, received_at, status, reason, payload, payload_hash
	PutArrivals  Insert // site_id, norm_name, kiosk_id, epoch, visit_id, ticket, checked_in_at
	PutRecords   Insert // site_id, entity, key, version, deleted, data, updated_at
	// PutAudit: kiosk_id, epoch, seq, site_id, at, source, account, name,
	// role, os_user, action, ticket, detail, received_at; a row already
	// there stays.
	PutAudit     Insert
	PutIncidents Insert // kiosk_id, epoch, incident_id, site_id, drill, cause, peak, started_at, ended_at, duration_ms,
	// check_ins, peak_waiting, longest_wait_ms, drain_ms, conflicts, watch_hits, messages, steps_done, steps_total,
	// feedback, feedback_avg, first_said_ms, all_ticked_ms, summary, received_at
}

// Insert is a multi-row INSERT: Head + "(…), (…)" + Tail.
type Insert struct{ Head, Tail string }

// Store is the centre's store on one database.
type Store struct {
	db *sql.DB
	d  Dialect
	ops
}

// Options are what Open needs besides the database.
type Options struct {
	// MaxConns caps the connections opened and kept idle; 0 means 64, the
	// server's default MaxInFlight. Keeping them idle matters: database/sql's
	// default of 2 idle connections closed and reopened a PostgreSQL backend
	// for every burst of more than two requests, which under load fed on
	// itself (see BENCHMARKS.md, "Sync under load").
	MaxConns int
	// Migrations bring the database up to date before it is used.
	Migrations sqldb.Migrations
}

// Open wraps db, sizes its pool and applies the migrations. On error it
// closes db.
func Open(ctx context.Context, db *sql.DB, d Dialect, opts Options) (*Store, error) {
	conns := opts.MaxConns
	if conns <= 0 {
		conns = 64
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := opts.Migrations.Apply(ctx, db); err != nil {
		_ = db.Close() // the migration error is the one to report
		return nil, err
	}
	s := &Store{db: db, d: d}
	s.ops = ops{q: db, d: &s.d}
	return s, nil
}

// DB is the database handle, for benchmarks and tests that look at rows.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Update runs fn in a read-write transaction.
func (s *Store) Update(ctx context.Context, fn func(centre.Ops) error) error {
	return sqldb.InTx(ctx, s.db, func(tx *sql.Tx) error { return fn(ops{q: tx, d: &s.d}) })
}

// View runs fn in a read-only transaction over one snapshot.
func (s *Store) View(ctx context.Context, fn func(centre.Ops) error) error {
	opts := &sql.TxOptions{ReadOnly: true, Isolation: s.d.Snapshot}
	return sqldb.InTxOpts(ctx, s.db, opts, func(tx *sql.Tx) error { return fn(ops{q: tx, d: &s.d}) })
}

// querier is a database or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ops are the centre's reads and writes on a database or in a transaction.
type ops struct {
	q querier
	d *Dialect
}

var _ centre.Store = (*Store)(nil)

var stamp = sqldb.FormatTime

func (o ops) PutSite(ctx context.Context, id, name string, at time.Time) error {
	_, err := o.q.ExecContext(ctx, o.d.Queries.PutSite, id, name, stamp(at))
	return err
}

func (o ops) SiteName(ctx context.Context, id string) (string, bool, error) {
	var name string
	err := o.q.QueryRowContext(ctx, o.d.Queries.SiteName, id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return name, err == nil, err
}

func (o ops) LockSite(ctx context.Context, id string) (bool, error) {
	var got string
	err := o.q.QueryRowContext(ctx, o.d.Queries.LockSite, id).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (o ops) SiteVersion(ctx context.Context, id string) (version, floor int64, err error) {
	err = o.q.QueryRowContext(ctx, o.d.Queries.SiteVersion, id).Scan(&version, &floor)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, centre.ErrNotFound
	}
	return version, floor, err
}

func (o ops) WatchSecret(ctx context.Context, site, fresh string) (string, error) {
	if _, err := o.q.ExecContext(ctx, o.d.Queries.SetWatchSecret, fresh, site); err != nil {
		return "", err
	}
	var secret string
	err := o.q.QueryRowContext(ctx, o.d.Queries.WatchSecret, site).Scan(&secret)
	if errors.Is(err, sql.ErrNoRows) {
		return "", centre.ErrNotFound
	}
	return secret, err
}

func (o ops) NextVersions(ctx context.Context, site string, n int) (int64, error) {
	var top int64
	err := o.q.QueryRowContext(ctx, o.d.Queries.NextVersions, n, site).Scan(&top)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, centre.ErrNotFound
	}
	return top, err
}

func (o ops) KioskSite(ctx context.Context, id string) (site string, revoked, ok bool, err error) {
	err = o.q.QueryRowContext(ctx, o.d.Queries.KioskSite, id).Scan(&site, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, false, nil
	}
	return site, revoked, err == nil, err
}

func (o ops) PutKiosk(ctx context.Context, k centre.KioskRow) error {
	_, err := o.q.ExecContext(ctx, o.d.Queries.PutKiosk, k.ID, k.Site, k.Name, k.TokenHash, stamp(k.Enrolled))
	return err
}

func (o ops) RevokeKiosk(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := o.q.ExecContext(ctx, o.d.Queries.RevokeKiosk, stamp(at), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (o ops) KioskByToken(ctx context.Context, hash string) (centre.Kiosk, bool, error) {
	var k centre.Kiosk
	err := o.q.QueryRowContext(ctx, o.d.Queries.KioskByToken, hash).Scan(&k.ID, &k.Site)
	if errors.Is(err, sql.ErrNoRows) {
		return centre.Kiosk{}, false, nil
	}
	return k, err == nil, err
}

func (o ops) PutEnrolmentCode(ctx context.Context, c centre.EnrolmentCode) error {
	_, err := o.q.ExecContext(ctx, o.d.Queries.PutEnrolmentCode, c.Hash, c.Site, c.Kiosk, c.Name, stamp(c.Created), stamp(c.Expires))
	return err
}

func (o ops) EnrolmentCode(ctx context.Context, hash string) (centre.EnrolmentCode, bool, error) {
	c := centre.EnrolmentCode{Hash: hash}
	var created, expires, used string
	err := o.q.QueryRowContext(ctx, o.d.Queries.EnrolmentCode, hash).Scan(&c.Site, &c.Kiosk, &c.Name, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return centre.EnrolmentCode{}, false, nil
	}
	if err != nil {
		return centre.EnrolmentCode{}, false, err
	}
	if c.Created, err = sqldb.ParseTime(created); err != nil {
		return centre.EnrolmentCode{}, false, err
	}
	if c.Expires, err = sqldb.ParseTime(expires); err != nil {
		return centre.EnrolmentCode{}, false, err
	}
	if used != "" {
		if c.Used, err = sqldb.ParseTime(used); err != nil {
			return centre.EnrolmentCode{}, false, err
		}
	}
	return c, true, nil
}

func (o ops) UseEnrolmentCode(ctx context.Context, hash string, at time.Time) (bool, error) {
	res, err := o.q.ExecContext(ctx, o.d.Queries.UseEnrolmentCode, stamp(at), hash)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (o ops) Kiosks(ctx context.Context) ([]centre.KioskInfo, error) {
	return collect(ctx, o.q, o.d.Queries.Kiosks, nil, func(rows *sql.Rows) (centre.KioskInfo, error) {
		var k centre.KioskInfo
		var seen string
		var skew int64
		if err := rows.Scan(&k.ID, &k.Site, &k.Name, &k.Revoked, &seen, &k.Backlog, &skew, &k.LastSeq, &k.Software, &k.Config); err != nil {
			return k, err
		}
		k.Skew = time.Duration(skew) * time.Millisecond
		var err error
		if seen != "" {
			k.LastSeen, err = sqldb.ParseTime(seen)
		}
		return k, err
	})
}

func (o ops) NoteKiosk(ctx context.Context, id string, seen time.Time, backlog int, skew time.Duration, software string, config int64) error {
	_, err := o.q.ExecContext(ctx, o.d.Queries.NoteKiosk, stamp(seen), backlog, skew.Milliseconds(), software, config, id)
	return err
}

func (o ops) SeenKiosk(ctx context.Context, id string, at time.Time, software string, config int64) error {
	_, err := o.q.ExecContext(ctx, o.d.Queries.SeenKiosk, stamp(at), software, config, id, stamp(at.Add(-time.Minute)), software, config)
	return err
}

func (o ops) LockProgress(ctx context.Context, kiosk string, epoch int64) (int64, error) {
	if _, err := o.q.ExecContext(ctx, o.d.Queries.InitProgress, kiosk, epoch); err != nil {
		return 0, err
	}
	var last int64
	err := o.q.QueryRowContext(ctx, o.d.Queries.LockProgress, kiosk, epoch).Scan(&last)
	return last, err
}

func (o ops) SetProgress(ctx context.Context, kiosk string, epoch, lastSeq int64) error {
	_, err := o.q.ExecContext(ctx, o.d.Queries.SetProgress, lastSeq, kiosk, epoch, lastSeq)
	return err
}

func (o ops) Gaps(ctx context.Context, kiosk string, epoch int64) ([]centre.Gap, error) {
	rows, err := o.q.QueryContext(ctx, o.d.Queries.Gaps, kiosk, epoch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []centre.Gap
	for rows.Next() {
		g := centre.Gap{Kiosk: kiosk, Epoch: epoch}
		var opened, alerted string
		if err := rows.Scan(&g.From, &g.To, &g.Why, &opened, &alerted); err != nil {
			return nil, err
		}
		if g.Opened, err = sqldb.ParseTime(opened); err != nil {
			return nil, err
		}
		if alerted != "" {
			if g.Alerted, err = sqldb.ParseTime(alerted); err != nil {
				return nil, err
			}
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func (o ops) SetGaps(ctx context.Context, kiosk string, epoch int64, gaps []centre.Gap) error {
	if _, err := o.q.ExecContext(ctx, o.d.Queries.DeleteGaps, kiosk, epoch); err != nil {
		return err
	}
	for _, g := range gaps {
		alerted := ""
		if !g.Alerted.IsZero() {
			alerted = stamp(g.Alerted)
		}
		if _, err := o.q.ExecContext(ctx, o.d.Queries.PutGap, kiosk, epoch, g.From, g.To, g.Why, stamp(g.Opened), alerted); err != nil {
			return err
		}
	}
	return nil
}

func (o ops) StaleGaps(ctx context.Context, before time.Time, limit int) ([]centre.Gap, error) {
	rows, err := o.q.QueryContext(ctx, o.d.Queries.StaleGaps, stamp(before), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []centre.Gap
	for rows.Next() {
		var g centre.Gap
		var opened string
		if err := rows.Scan(&g.Kiosk, &g.Site, &g.Epoch, &g.From, &g.To, &g.Why, &opened); err != nil {
			return nil, err
		}
		if g.Opened, err = sqldb.ParseTime(opened); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func (o ops) AlertedGap(ctx context.Context, g centre.Gap, at time.Time) error {
	_, err := o.q.ExecContext(ctx, o.d.Queries.AlertedGap, stamp(at), g.Kiosk, g.Epoch, g.From)
	return err
}

func (o ops) Earlier(ctx context.Context, kiosk string, epoch, from, to int64) (map[int64]centre.Earlier, error) {
	rows, err := o.q.QueryContext(ctx, o.d.Queries.Earlier, kiosk, epoch, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	seen := make(map[int64]centre.Earlier)
	for rows.Next() {
		var seq int64
		var e centre.Earlier
		if err := rows.Scan(&seq, &e.Status, &e.Payload, &e.Hash); err != nil {
			return nil, err
		}
		seen[seq] = e
	}
	return seen, rows.Err()
}

func (o ops) PutMutations(ctx context.Context, ms []centre.MutationRow) error {
	rows := make([][]any, len(ms))
	for i, m := range ms {
		rows[i] = []any{m.Kiosk, m.Epoch, m.Seq, m.Site, m.Kind, stamp(m.At), m.HLC, stamp(m.Received), m.Status, m.Reason, m.Payload, m.PayloadHash}
	}
	return o.insert(ctx, o.d.Queries.PutMutations, rows)
}

// hashBatch is how many older rows a prune hashes per statement.
const hashBatch = 1000

func (o ops) PruneMutations(ctx context.Context, before time.Time) (int, error) {
	// Rows written before payloads were hashed get their hash first.
	for {
		rows, err := o.q.QueryContext(ctx, o.d.Queries.UnhashedMutations, stamp(before), hashBatch)
		if err != nil {
			return 0, err
		}
		type name struct {
			kiosk      string
			epoch, seq int64
			hash       string
		}
		var todo []name
		for rows.Next() {
			var n name
			var payload string
			if err := rows.Scan(&n.kiosk, &n.epoch, &n.seq, &payload); err != nil {
				_ = rows.Close() // the scan error is the one to report
				return 0, err
			}
			n.hash = centre.PayloadHash([]byte(payload))
			todo = append(todo, n)
		}
		_ = rows.Close() // rows.Err below reports a failed read
		if err := rows.Err(); err != nil {
			return 0, err
		}
		for _, n := range todo {
			if _, err := o.q.ExecContext(ctx, o.d.Queries.SetPayloadHash, n.hash, n.kiosk, n.epoch, n.seq); err != nil {
				return 0, err
			}
		}
		if len(todo) < hashBatch {
			break
		}
	}
	res, err := o.q.ExecContext(ctx, o.d.Queries.PruneMutations, stamp(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (o ops) UnpurgedMutations(ctx context.Context, site string, before time.Time, limit int) ([]centre.StoredMutation, error) {
	return collect(ctx, o.q, o.d.Queries.UnpurgedMutations, []any{site, stamp(before), limit}, func(rows *sql.Rows) (centre.StoredMutation, error) {
		var m centre.StoredMutation
		err := rows.Scan(&m.Kiosk, &m.Epoch, &m.Seq, &m.Payload, &m.Hash)
		return m, err
	})
}

func (o ops) PurgeMutations(ctx context.Context, ms []centre.StoredMutation, at time.Time) error {
	for _, m := range ms {
		if _, err := o.q.ExecContext(ctx, o.d.Queries.PurgeMutation, m.Payload, m.Hash, stamp(at), m.Kiosk, m.Epoch, m.Seq); err != nil {
			return err
		}
	}
	return nil
}

func (o ops) PurgeArrivals(ctx context.Context, site string, before time.Time) (int, error) {
	res, err := o.q.ExecContext(ctx, o.d.Queries.PurgeArrivals, site, stamp(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (o ops) MutationsAfter(ctx context.Context, site string, after centre.StoredMutation, limit int) ([]centre.StoredMutation, error) {
	return collect(ctx, o.q, o.d.Queries.MutationsAfter, []any{site, after.Kiosk, after.Epoch, after.Seq, limit}, func(rows *sql.Rows) (centre.StoredMutation, error) {
		var m centre.StoredMutation
		err := rows.Scan(&m.Kiosk, &m.Epoch, &m.Seq, &m.Payload, &m.Hash)
		return m, err
	})
}

func (o ops) EraseArrivals(ctx context.Context, site, name string) (int, error) {
	res, err := o.q.ExecContext(ctx, o.d.Queries.EraseArrivals, site, name)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (o ops) PutArrivals(ctx context.Context, as []centre.Arrival) error {
	rows := make([][]any, len(as))
	for i, a := range as {
		rows[i] = []any{a.Site, a.Name, a.Kiosk, a.Epoch, a.Visit, a.Ticket, stamp(a.At)}
	}
	return o.insert(ctx, o.d.Queries.PutArrivals, rows)
}

func (o ops) Arrivals(ctx context.Context, site, exceptKiosk string, names []string) ([]centre.Arrival, error) {
	if len(names) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(names)
	if err != nil {
		return nil, err
	}
	return collect(ctx, o.q, o.d.Queries.Arrivals, []any{site, exceptKiosk, string(list)}, func(rows *sql.Rows) (centre.Arrival, error) {
		a := centre.Arrival{Site: site}
		var at string
		if err := rows.Scan(&a.Name, &a.Kiosk, &a.Epoch, &a.Visit, &a.Ticket, &at); err != nil {
			return a, err
		}
		var err error
		a.At, err = sqldb.ParseTime(at)
		return a, err
	})
}

func (o ops) PutRecords(ctx context.Context, rs []centre.RecordRow) error {
	rows := make([][]any, len(rs))
	for i, r := range rs {
		rows[i] = []any{r.Site, r.Entity, r.Key, r.Version, r.Deleted, r.Data, stamp(r.Updated)}
	}
	return o.insert(ctx, o.d.Queries.PutRecords, rows)
}

func (o ops) Record(ctx context.Context, site, entity, key string) (json.RawMessage, bool, error) {
	var data string
	err := o.q.QueryRowContext(ctx, o.d.Queries.Record, site, entity, key).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return json.RawMessage(data), true, nil
}

func (o ops) Records(ctx context.Context, site, entity string) ([]wire.Record, error) {
	return collect(ctx, o.q, o.d.Queries.Records, []any{site, entity}, func(rows *sql.Rows) (wire.Record, error) {
		r := wire.Record{Entity: entity}
		var data string
		err := rows.Scan(&r.Key, &r.Version, &data)
		r.Data = json.RawMessage(data)
		return r, err
	})
}

func (o ops) RecordsByKey(ctx context.Context, site, entity string, keys []string) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	list, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	rows, err := collect(ctx, o.q, o.d.Queries.RecordsByKey, []any{site, entity, string(list)}, func(rows *sql.Rows) ([2]string, error) {
		var kd [2]string
		err := rows.Scan(&kd[0], &kd[1])
		return kd, err
	})
	if err != nil {
		return nil, err
	}
	for _, kd := range rows {
		out[kd[0]] = json.RawMessage(kd[1])
	}
	return out, nil
}

func (o ops) KioskRecords(ctx context.Context, site, entity, prefix string, after int64, limit int) ([]wire.Record, error) {
	return collect(ctx, o.q, o.d.Queries.KioskRecords, []any{site, entity, prefix, after, limit}, func(rows *sql.Rows) (wire.Record, error) {
		r := wire.Record{Entity: entity}
		var data string
		err := rows.Scan(&r.Key, &r.Version, &data)
		r.Data = json.RawMessage(data)
		return r, err
	})
}

func (o ops) PutVisitOrigins(ctx context.Context, rows []centre.VisitOrigin) error {
	for _, r := range rows {
		if _, err := o.q.ExecContext(ctx, o.d.Queries.PutVisitOrigin, r.Site, r.Key, r.Kiosk, r.Origin, stamp(r.Restored)); err != nil {
			return err
		}
	}
	return nil
}

func (o ops) VisitOrigins(ctx context.Context, site string) ([]centre.VisitOrigin, error) {
	return collect(ctx, o.q, o.d.Queries.VisitOrigins, []any{site}, func(rows *sql.Rows) (centre.VisitOrigin, error) {
		v := centre.VisitOrigin{Site: site}
		var at string
		if err := rows.Scan(&v.Key, &v.Kiosk, &v.Origin, &at); err != nil {
			return v, err
		}
		var err error
		v.Restored, err = sqldb.ParseTime(at)
		return v, err
	})
}

func (o ops) Changes(ctx context.Context, site string, after int64, limit int, liveOnly bool) ([]wire.Record, error) {
	query := o.d.Queries.Changes
	if liveOnly {
		query = o.d.Queries.LiveChanges
	}
	return collect(ctx, o.q, query, []any{site, after, limit}, func(rows *sql.Rows) (wire.Record, error) {
		var r wire.Record
		var data string
		if err := rows.Scan(&r.Entity, &r.Key, &r.Version, &r.Deleted, &data); err != nil {
			return r, err
		}
		if !r.Deleted {
			r.Data = json.RawMessage(data)
		}
		return r, nil
	})
}

func (o ops) Compact(ctx context.Context, site string, before time.Time) (int, error) {
	// The site's row first, as every writer takes it, so a compaction and
	// an import never wait on each other's rows.
	if _, err := o.LockSite(ctx, site); err != nil {
		return 0, err
	}
	var top sql.NullInt64
	if err := o.q.QueryRowContext(ctx, o.d.Queries.CompactTop, site, stamp(before)).Scan(&top); err != nil || !top.Valid {
		return 0, err
	}
	res, err := o.q.ExecContext(ctx, o.d.Queries.CompactDelete, site, top.Int64)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	_, err = o.q.ExecContext(ctx, o.d.Queries.CompactFloor, top.Int64, site, top.Int64)
	return int(n), err
}

func (o ops) PutIncidents(ctx context.Context, ins []centre.IncidentRow) error {
	ms := func(d time.Duration) int64 { return d.Milliseconds() }
	rows := make([][]any, len(ins))
	for i, in := range ins {
		s := in.Summary
		rows[i] = []any{in.Kiosk, in.Epoch, s.ID, in.Site, s.Drill, s.Cause, s.Peak.String(),
			stamp(s.Start), stamp(s.End), ms(s.Duration), s.CheckIns, s.PeakWaiting, ms(s.LongestWait), ms(s.DrainTime),
			s.Conflicts, s.WatchHits, s.Messages, s.StepsDone, s.StepsTotal, s.Feedback, s.FeedbackAvg,
			ms(s.FirstSaid), ms(s.AllTicked), in.JSON, stamp(in.Received)}
	}
	return o.insert(ctx, o.d.Queries.PutIncidents, rows)
}

func (o ops) Incidents(ctx context.Context, site string, since time.Time) ([]centre.StoredIncident, error) {
	query, args := o.d.Queries.Incidents, []any{site}
	if !since.IsZero() {
		query, args = o.d.Queries.IncidentsSince, append(args, stamp(since))
	}
	return collect(ctx, o.q, query, args, func(rows *sql.Rows) (centre.StoredIncident, error) {
		var in centre.StoredIncident
		var summary, received string
		if err := rows.Scan(&in.Kiosk, &in.KioskName, &in.Epoch, &summary, &received); err != nil {
			return in, err
		}
		in.Summary = json.RawMessage(summary)
		var err error
		in.Received, err = sqldb.ParseTime(received)
		return in, err
	})
}

func (o ops) Sites(ctx context.Context) ([]centre.Site, error) {
	return collect(ctx, o.q, o.d.Queries.Sites, nil, func(rows *sql.Rows) (centre.Site, error) {
		var s centre.Site
		err := rows.Scan(&s.ID, &s.Name)
		return s, err
	})
}

func (o ops) PutAudit(ctx context.Context, as []centre.AuditRow) error {
	rows := make([][]any, len(as))
	for i, a := range as {
		e := a.Entry
		rows[i] = []any{a.Kiosk, a.Epoch, a.Seq, a.Site, stamp(e.At), e.Source, e.Account, e.Name, string(e.Role), e.OSUser,
			e.Action, e.Ticket, e.Detail, stamp(a.Received)}
	}
	return o.insert(ctx, o.d.Queries.PutAudit, rows)
}

// auditEnd stands for "no upper bound" in an audit query: later than any
// time the centre stores.
var auditEnd = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

func (o ops) AuditLog(ctx context.Context, q centre.AuditQuery) ([]centre.AuditRow, error) {
	until, limit := q.Until, q.Limit
	if until.IsZero() {
		until = auditEnd
	}
	if limit <= 0 {
		limit = -1
	}
	return collect(ctx, o.q, o.d.Queries.AuditLog, []any{q.Site, stamp(q.Since), stamp(until), limit}, func(rows *sql.Rows) (centre.AuditRow, error) {
		a := centre.AuditRow{Site: q.Site}
		e := &a.Entry
		var at, received, role string
		if err := rows.Scan(&a.Kiosk, &a.Epoch, &a.Seq, &at, &e.Source, &e.Account, &e.Name, &role, &e.OSUser,
			&e.Action, &e.Ticket, &e.Detail, &received); err != nil {
			return a, err
		}
		e.Kiosk, e.Role = a.Kiosk, queue.Role(role)
		var err error
		if e.At, err = sqldb.ParseTime(at); err != nil {
			return a, err
		}
		a.Received, err = sqldb.ParseTime(received)
		return a, err
	})
}

func (o ops) PurgeAudit(ctx context.Context, site string, before time.Time) (int, error) {
	res, err := o.q.ExecContext(ctx, o.d.Queries.PurgeAudit, site, stamp(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (o ops) PutAdmin(ctx context.Context, a centre.AdminRow) error {
	if _, err := o.q.ExecContext(ctx, o.d.Queries.PutAdmin, a.Name, a.PasswordHash, stamp(a.Created)); err != nil {
		return err
	}
	_, err := o.q.ExecContext(ctx, o.d.Queries.EndAdminSessions, a.Name)
	return err
}

func (o ops) Admin(ctx context.Context, name string) (centre.AdminRow, bool, error) {
	a := centre.AdminRow{Name: name}
	var created, locked string
	err := o.q.QueryRowContext(ctx, o.d.Queries.Admin, name).Scan(&a.PasswordHash, &created, &a.Failures, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return centre.AdminRow{}, false, nil
	}
	if err != nil {
		return centre.AdminRow{}, false, err
	}
	if a.Created, err = sqldb.ParseTime(created); err != nil {
		return centre.AdminRow{}, false, err
	}
	if locked != "" {
		if a.LockedUntil, err = sqldb.ParseTime(locked); err != nil {
			return centre.AdminRow{}, false, err
		}
	}
	return a, true, nil
}

func (o ops) FailAdmin(ctx context.Context, name string, limit int, lockUntil time.Time) (int, error) {
	var n int
	err := o.q.QueryRowContext(ctx, o.d.Queries.FailAdmin, limit, stamp(lockUntil), name).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, centre.ErrNotFound
	}
	return n, err
}

func (o ops) PassAdmin(ctx context.Context, name string) error {
	_, err := o.q.ExecContext(ctx, o.d.Queries.PassAdmin, name)
	return err
}

func (o ops) PutAdminSession(ctx context.Context, s centre.AdminSession) error {
	_, err := o.q.ExecContext(ctx, o.d.Queries.PutAdminSession, s.TokenHash, s.Admin, s.CSRF, stamp(s.Created), stamp(s.Expires))
	return err
}

func (o ops) AdminSession(ctx context.Context, tokenHash string) (centre.AdminSession, bool, error) {
	s := centre.AdminSession{TokenHash: tokenHash}
	var created, expires string
	err := o.q.QueryRowContext(ctx, o.d.Queries.AdminSession, tokenHash).Scan(&s.Admin, &s.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return centre.AdminSession{}, false, nil
	}
	if err != nil {
		return centre.AdminSession{}, false, err
	}
	if s.Created, err = sqldb.ParseTime(created); err != nil {
		return centre.AdminSession{}, false, err
	}
	if s.Expires, err = sqldb.ParseTime(expires); err != nil {
		return centre.AdminSession{}, false, err
	}
	return s, true, nil
}

func (o ops) DeleteAdminSession(ctx context.Context, tokenHash string) error {
	_, err := o.q.ExecContext(ctx, o.d.Queries.DeleteAdminSession, tokenHash)
	return err
}

func (o ops) DeleteAdminSessions(ctx context.Context, expiredBefore time.Time) error {
	_, err := o.q.ExecContext(ctx, o.d.Queries.DeleteAdminSessions, stamp(expiredBefore))
	return err
}

// collect runs a query and scans each row with scan.
func collect[T any](ctx context.Context, q querier, query string, args []any, scan func(*sql.Rows) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// insert writes rows with in as few statements as the databases'
// parameter limits allow.
func (o ops) insert(ctx context.Context, in Insert, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0])
	per := max(1, 30000/width) // SQLite allows 32766 parameters, PostgreSQL 65535
	for chunk := range slices.Chunk(rows, per) {
		var b strings.Builder
		b.WriteString(in.Head)
		args := make([]any, 0, len(chunk)*width)
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j := range r {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(o.d.Param(len(args) + j + 1))
			}
			b.WriteByte(')')
			args = append(args, r...)
		}
		b.WriteString(in.Tail)
		if _, err := o.q.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// Package sqlite keeps the centre in one SQLite file: the default, with no
// set-up, for one site or the kiosk's embedded centre. Its SQL and
// migrations are its own; package postgres holds the same for PostgreSQL.
//
// The kiosk binary links this package (for its embedded centre) and so
// never links PostgreSQL's driver.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // registers "sqlite"

	"lobbyline/queue/sqldb"
	"lobbyline/syncer/centre/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune Open; zero values are fine.
type Options struct {
	Now      func() time.Time // stamps the migrations
	MaxConns int              // see sqlstore.Options
}

// Open opens the centre's SQLite file at path, creating it if needed, and
// brings its schema up to date. It refuses a file a newer version made.
func Open(ctx context.Context, path string, opts Options) (*sqlstore.Store, error) {
	if err := sqldb.CheckPlace(path); err != nil {
		return nil, fmt.Errorf("open central store: %w", err)
	}
	db, err := sql.Open("sqlite", sqldb.SQLiteDSN(path, "journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)"))
	if err != nil {
		return nil, fmt.Errorf("open central store: %w", err)
	}
	s, err := sqlstore.Open(ctx, db, dialect, sqlstore.Options{
		MaxConns:   opts.MaxConns,
		Migrations: sqldb.Migrations{FS: migrations, Glob: "migrations/*.sql", Table: "schema_migrations", Now: opts.Now},
	})
	if err != nil {
		return nil, fmt.Errorf("open central store %s: %w", path, err)
	}
	return s, nil
}

// dialect is the centre's SQL for SQLite. Writers take turns through
// _txlock=immediate, which takes the database's one write lock at BEGIN,
// so rows need no locks of their own.
var dialect = sqlstore.Dialect{
	Param: func(int) string { return "?" },
	Queries: sqlstore.Queries{ // #nosec G101 -- SQL text, not a credential (a column is named token_hash)
		PutSite: `INSERT INTO sites (id, name, created_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name`,
		SiteName:       "SELECT name FROM sites WHERE id = ?",
		LockSite:       "SELECT id FROM sites WHERE id = ?",
		SiteVersion:    "SELECT version, floor FROM sites WHERE id = ?",
		NextVersions:   "UPDATE sites SET version = version + ? WHERE id = ? RETURNING version",
		SetWatchSecret: "UPDATE sites SET watch_secret = ? WHERE id = ? AND watch_secret = ''",
		WatchSecret:    "SELECT watch_secret FROM sites WHERE id = ?",

		KioskSite: "SELECT site_id, revoked_at IS NOT NULL FROM kiosks WHERE id = ?",
		PutKiosk: `INSERT INTO kiosks (id, site_id, name, token_hash, enrolled_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET site_id = excluded.site_id, token_hash = excluded.token_hash,
				name = CASE WHEN excluded.name = '' THEN kiosks.name ELSE excluded.name END,
				enrolled_at = excluded.enrolled_at, revoked_at = NULL`,
		RevokeKiosk:      "UPDATE kiosks SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
		KioskByToken:     "SELECT id, site_id FROM kiosks WHERE token_hash = ? AND revoked_at IS NULL",
		PutEnrolmentCode: "INSERT INTO enrolment_codes (code_hash, site_id, kiosk_id, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
		EnrolmentCode:    "SELECT site_id, kiosk_id, name, created_at, expires_at, coalesce(used_at, '') FROM enrolment_codes WHERE code_hash = ?",
		UseEnrolmentCode: "UPDATE enrolment_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL",
		Kiosks: `SELECT k.id, k.site_id, k.name, k.revoked_at IS NOT NULL, coalesce(k.last_seen_at, ''),
			k.backlog, k.skew_ms, coalesce((SELECT max(p.last_seq) FROM progress p WHERE p.kiosk_id = k.id), 0), k.software, k.config_version
			FROM kiosks k ORDER BY k.site_id, k.id`,
		NoteKiosk: `UPDATE kiosks SET last_seen_at = ?, backlog = ?, skew_ms = ?, software = coalesce(nullif(?, ''), software),
			config_version = coalesce(nullif(?, 0), config_version) WHERE id = ?`,
		SeenKiosk: `UPDATE kiosks SET last_seen_at = ?, software = coalesce(nullif(?, ''), software), config_version = coalesce(nullif(?, 0), config_version)
			WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ? OR software <> coalesce(nullif(?, ''), software)
				OR config_version <> coalesce(nullif(?, 0), config_version))`,

		InitProgress: "INSERT INTO progress (kiosk_id, epoch, last_seq) VALUES (?, ?, 0) ON CONFLICT DO NOTHING",
		LockProgress: "SELECT last_seq FROM progress WHERE kiosk_id = ? AND epoch = ?",
		SetProgress:  "UPDATE progress SET last_seq = ? WHERE kiosk_id = ? AND epoch = ? AND last_seq < ?",
		Earlier:      "SELECT seq, status, payload, payload_hash FROM mutations WHERE kiosk_id = ? AND epoch = ? AND seq >= ? AND seq <= ?",

		Gaps:       "SELECT from_seq, to_seq, why, opened_at, alerted_at FROM seq_gaps WHERE kiosk_id = ? AND epoch = ? ORDER BY from_seq",
		DeleteGaps: "DELETE FROM seq_gaps WHERE kiosk_id = ? AND epoch = ?",
		PutGap:     "INSERT INTO seq_gaps (kiosk_id, epoch, from_seq, to_seq, why, opened_at, alerted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		StaleGaps: `SELECT g.kiosk_id, k.site_id, g.epoch, g.from_seq, g.to_seq, g.why, g.opened_at FROM seq_gaps g JOIN kiosks k ON k.id = g.kiosk_id
			WHERE g.alerted_at = '' AND g.opened_at < ? ORDER BY g.opened_at, g.kiosk_id, g.epoch, g.from_seq LIMIT ?`,
		AlertedGap: "UPDATE seq_gaps SET alerted_at = ? WHERE kiosk_id = ? AND epoch = ? AND from_seq = ?",

		UnhashedMutations: "SELECT kiosk_id, epoch, seq, payload FROM mutations WHERE received_at < ? AND payload <> '' AND payload_hash = '' LIMIT ?",
		SetPayloadHash:    "UPDATE mutations SET payload_hash = ? WHERE kiosk_id = ? AND epoch = ? AND seq = ?",
		PruneMutations:    "UPDATE mutations SET payload = '' WHERE received_at < ? AND payload <> '' AND payload_hash <> ''",

		UnpurgedMutations: `SELECT kiosk_id, epoch, seq, payload, payload_hash FROM mutations
			WHERE site_id = ?1 AND purged_at IS NULL AND (received_at < ?2 OR kiosk_at < ?2) LIMIT ?3`,
		PurgeMutation: "UPDATE mutations SET payload = ?, payload_hash = ?, purged_at = ? WHERE kiosk_id = ? AND epoch = ? AND seq = ?",
		PurgeArrivals: "UPDATE arrivals SET norm_name = '' WHERE site_id = ? AND checked_in_at < ? AND norm_name <> ''",
		MutationsAfter: `SELECT kiosk_id, epoch, seq, payload, payload_hash FROM mutations
			WHERE site_id = ? AND purged_at IS NULL AND (kiosk_id, epoch, seq) > (?, ?, ?) ORDER BY kiosk_id, epoch, seq LIMIT ?`,
		EraseArrivals: "UPDATE arrivals SET norm_name = '' WHERE site_id = ? AND norm_name = ?",

		Arrivals: `SELECT norm_name, kiosk_id, epoch, visit_id, ticket, checked_in_at FROM arrivals
			WHERE site_id = ? AND kiosk_id <> ? AND norm_name IN (SELECT value FROM json_each(?))`,

		Record:  "SELECT data FROM records WHERE site_id = ? AND entity = ? AND key = ? AND NOT deleted",
		Records: "SELECT key, version, data FROM records WHERE site_id = ? AND entity = ? AND NOT deleted ORDER BY key",
		RecordsByKey: `SELECT key, data FROM records
			WHERE site_id = ? AND entity = ? AND key IN (SELECT value FROM json_each(?)) AND NOT deleted`,
		Changes:     "SELECT entity, key, version, deleted, data FROM records WHERE site_id = ? AND version > ? ORDER BY version LIMIT ?",
		LiveChanges: "SELECT entity, key, version, deleted, data FROM records WHERE site_id = ? AND version > ? AND NOT deleted ORDER BY version LIMIT ?",

		CompactTop:    "SELECT max(version) FROM records WHERE site_id = ? AND deleted AND updated_at < ?",
		CompactDelete: "DELETE FROM records WHERE site_id = ? AND deleted AND version <= ?",
		CompactFloor:  "UPDATE sites SET floor = ? WHERE id = ? AND floor < ?",

		Incidents: `SELECT i.kiosk_id, coalesce(k.name, ''), i.epoch, i.summary, i.received_at
			FROM incidents i LEFT JOIN kiosks k ON k.id = i.kiosk_id WHERE i.site_id = ?
			ORDER BY i.started_at DESC, i.kiosk_id, i.epoch, i.incident_id DESC`,
		IncidentsSince: `SELECT i.kiosk_id, coalesce(k.name, ''), i.epoch, i.summary, i.received_at
			FROM incidents i LEFT JOIN kiosks k ON k.id = i.kiosk_id WHERE i.site_id = ? AND i.ended_at >= ?
			ORDER BY i.started_at DESC, i.kiosk_id, i.epoch, i.incident_id DESC`,

		KioskRecords: `SELECT key, version, data FROM records WHERE site_id = ?1 AND entity = ?2 AND NOT deleted
			AND substr(key, 1, length(?3)) = ?3 AND version > ?4 ORDER BY version LIMIT ?5`,
		PutVisitOrigin: `INSERT INTO visit_origins (site_id, key, kiosk_id, origin, restored_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (site_id, key) DO UPDATE SET origin = excluded.origin, restored_at = excluded.restored_at`,
		VisitOrigins: "SELECT key, kiosk_id, origin, restored_at FROM visit_origins WHERE site_id = ? ORDER BY key",
		Sites:        "SELECT id, name FROM sites ORDER BY id",

		AuditLog: `SELECT kiosk_id, epoch, seq, at, source, account, name, role, os_user, action, ticket, detail, received_at
			FROM audit_log WHERE site_id = ? AND at >= ? AND at < ? ORDER BY at, kiosk_id, epoch, seq LIMIT ?`,
		PurgeAudit: "DELETE FROM audit_log WHERE site_id = ? AND received_at < ?",

		PutAdmin: `INSERT INTO admins (name, password_hash, created_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, failures = 0, locked_until = ''`,
		EndAdminSessions: "DELETE FROM admin_sessions WHERE admin = ?",
		Admin:            "SELECT password_hash, created_at, failures, locked_until FROM admins WHERE name = ?",
		FailAdmin: `UPDATE admins SET failures = failures + 1,
				locked_until = CASE WHEN failures + 1 >= ? THEN ? ELSE locked_until END
			WHERE name = ? RETURNING failures`,
		PassAdmin:           "UPDATE admins SET failures = 0, locked_until = '' WHERE name = ? AND failures > 0",
		PutAdminSession:     "INSERT INTO admin_sessions (token_hash, admin, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		AdminSession:        "SELECT admin, csrf, created_at, expires_at FROM admin_sessions WHERE token_hash = ?",
		DeleteAdminSession:  "DELETE FROM admin_sessions WHERE token_hash = ?",
		DeleteAdminSessions: "DELETE FROM admin_sessions WHERE expires_at < ?",

		PutMutations: sqlstore.Insert{
			Head: "INSERT INTO mutations (kiosk_id, epoch, seq, site_id, kind, kiosk_at, hlc, received_at, status, reason, payload, payload_hash) VALUES ",
			Tail: ` ON CONFLICT (kiosk_id, epoch, seq) DO UPDATE SET status = excluded.status, reason = excluded.reason,
				received_at = excluded.received_at, payload = excluded.payload, payload_hash = excluded.payload_hash, kind = excluded.kind, hlc = excluded.hlc,
				kiosk_at = excluded.kiosk_at, purged_at = NULL
				WHERE mutations.status = 'rejected'`,
		},
		PutArrivals: sqlstore.Insert{
			Head: "INSERT INTO arrivals (site_id, norm_name, kiosk_id, epoch, visit_id, ticket, checked_in_at) VALUES ",
			Tail: " ON CONFLICT DO NOTHING",
		},
		PutRecords: sqlstore.Insert{
			Head: "INSERT INTO records (site_id, entity, key, version, deleted, data, updated_at) VALUES ",
			Tail: ` ON CONFLICT (site_id, entity, key) DO UPDATE SET version = excluded.version, deleted = excluded.deleted,
				data = excluded.data, updated_at = excluded.updated_at`,
		},
		PutAudit: sqlstore.Insert{
			Head: `INSERT INTO audit_log (kiosk_id, epoch, seq, site_id, at, source, account, name, role, os_user,
				action, ticket, detail, received_at) VALUES `,
			Tail: " ON CONFLICT (kiosk_id, epoch, seq) DO NOTHING",
		},
		PutIncidents: sqlstore.Insert{
			Head: `INSERT INTO incidents (kiosk_id, epoch, incident_id, site_id, drill, cause, peak,
				started_at, ended_at, duration_ms, check_ins, peak_waiting, longest_wait_ms, drain_ms,
				conflicts, watch_hits, messages, steps_done, steps_total, feedback, feedback_avg,
				first_said_ms, all_ticked_ms, summary, received_at) VALUES `,
			Tail: ` ON CONFLICT (kiosk_id, epoch, incident_id) DO UPDATE SET site_id = excluded.site_id, drill = excluded.drill,
				cause = excluded.cause, peak = excluded.peak, started_at = excluded.started_at, ended_at = excluded.ended_at,
				duration_ms = excluded.duration_ms, check_ins = excluded.check_ins, peak_waiting = excluded.peak_waiting,
				longest_wait_ms = excluded.longest_wait_ms, drain_ms = excluded.drain_ms, conflicts = excluded.conflicts,
				watch_hits = excluded.watch_hits, messages = excluded.messages, steps_done = excluded.steps_done,
				steps_total = excluded.steps_total, feedback = excluded.feedback, feedback_avg = excluded.feedback_avg,
				first_said_ms = excluded.first_said_ms, all_ticked_ms = excluded.all_ticked_ms,
				summary = excluded.summary, received_at = excluded.received_at`,
		},
	},
}

// Package postgres keeps the centre in PostgreSQL, which several stateless
// instances of the centre can share. Its SQL and migrations are its own;
// package sqlite holds the same for one SQLite file.
//
// Only the centre's binary links this package and PostgreSQL's driver.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strconv"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

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

// Open connects to the database at url (postgres://…) and brings its
// schema up to date; instances starting together take turns. It refuses
// a database a newer version upgraded.
func Open(ctx context.Context, url string, opts Options) (*sqlstore.Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open central store: %w", err)
	}
	s, err := sqlstore.Open(ctx, db, dialect, sqlstore.Options{
		MaxConns: opts.MaxConns,
		Migrations: sqldb.Migrations{FS: migrations, Glob: "migrations/*.sql", Table: "schema_migrations", Now: opts.Now,
			Lock: "SELECT pg_advisory_xact_lock(7201)"},
	})
	if err != nil {
		return nil, fmt.Errorf("open central store: %w", err)
	}
	return s, nil
}

// dialect is the centre's SQL for PostgreSQL. Writers of one site take
// turns on the site's row (FOR UPDATE), and a kiosk database's pushes on
// its progress row; a pull reads one REPEATABLE READ snapshot, so a page
// and the site's version agree.
var dialect = sqlstore.Dialect{
	Param:    func(i int) string { return "$" + strconv.Itoa(i) },
	Snapshot: sql.LevelRepeatableRead,
	Queries: sqlstore.Queries{ // #nosec G101 -- SQL text, not a credential (a column is named token_hash)
		PutSite: `INSERT INTO sites (id, name, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name`,
		SiteName:       "SELECT name FROM sites WHERE id = $1",
		LockSite:       "SELECT id FROM sites WHERE id = $1 FOR UPDATE",
		SiteVersion:    "SELECT version, floor FROM sites WHERE id = $1",
		NextVersions:   "UPDATE sites SET version = version + $1 WHERE id = $2 RETURNING version",
		SetWatchSecret: "UPDATE sites SET watch_secret = $1 WHERE id = $2 AND watch_secret = ''",
		WatchSecret:    "SELECT watch_secret FROM sites WHERE id = $1",

		KioskSite: "SELECT site_id, revoked_at IS NOT NULL FROM kiosks WHERE id = $1",
		PutKiosk: `INSERT INTO kiosks (id, site_id, name, token_hash, enrolled_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO UPDATE SET site_id = excluded.site_id, token_hash = excluded.token_hash,
				name = CASE WHEN excluded.name = '' THEN kiosks.name ELSE excluded.name END,
				enrolled_at = excluded.enrolled_at, revoked_at = NULL`,
		RevokeKiosk:      "UPDATE kiosks SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
		KioskByToken:     "SELECT id, site_id FROM kiosks WHERE token_hash = $1 AND revoked_at IS NULL",
		PutEnrolmentCode: "INSERT INTO enrolment_codes (code_hash, site_id, kiosk_id, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
		EnrolmentCode:    "SELECT site_id, kiosk_id, name, created_at, expires_at, coalesce(used_at, '') FROM enrolment_codes WHERE code_hash = $1",
		UseEnrolmentCode: "UPDATE enrolment_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL",
		Kiosks: `SELECT k.id, k.site_id, k.name, k.revoked_at IS NOT NULL, coalesce(k.last_seen_at, ''),
			k.backlog, k.skew_ms, coalesce((SELECT max(p.last_seq) FROM progress p WHERE p.kiosk_id = k.id), 0), k.software, k.config_version
			FROM kiosks k ORDER BY k.site_id, k.id`,
		NoteKiosk: `UPDATE kiosks SET last_seen_at = $1, backlog = $2, skew_ms = $3, software = coalesce(nullif($4, ''), software),
			config_version = coalesce(nullif($5::bigint, 0), config_version) WHERE id = $6`,
		SeenKiosk: `UPDATE kiosks SET last_seen_at = $1, software = coalesce(nullif($2, ''), software), config_version = coalesce(nullif($3::bigint, 0), config_version)
			WHERE id = $4 AND (last_seen_at IS NULL OR last_seen_at < $5 OR software <> coalesce(nullif($6, ''), software)
				OR config_version <> coalesce(nullif($7::bigint, 0), config_version))`,

		InitProgress: "INSERT INTO progress (kiosk_id, epoch, last_seq) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING",
		LockProgress: "SELECT last_seq FROM progress WHERE kiosk_id = $1 AND epoch = $2 FOR UPDATE",
		SetProgress:  "UPDATE progress SET last_seq = $1 WHERE kiosk_id = $2 AND epoch = $3 AND last_seq < $4",
		Earlier:      "SELECT seq, status, payload, payload_hash FROM mutations WHERE kiosk_id = $1 AND epoch = $2 AND seq >= $3 AND seq <= $4",

		Gaps:       "SELECT from_seq, to_seq, why, opened_at, alerted_at FROM seq_gaps WHERE kiosk_id = $1 AND epoch = $2 ORDER BY from_seq",
		DeleteGaps: "DELETE FROM seq_gaps WHERE kiosk_id = $1 AND epoch = $2",
		PutGap:     "INSERT INTO seq_gaps (kiosk_id, epoch, from_seq, to_seq, why, opened_at, alerted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		StaleGaps: `SELECT g.kiosk_id, k.site_id, g.epoch, g.from_seq, g.to_seq, g.why, g.opened_at FROM seq_gaps g JOIN kiosks k ON k.id = g.kiosk_id
			WHERE g.alerted_at = '' AND g.opened_at < $1 ORDER BY g.opened_at, g.kiosk_id, g.epoch, g.from_seq LIMIT $2`,
		AlertedGap: "UPDATE seq_gaps SET alerted_at = $1 WHERE kiosk_id = $2 AND epoch = $3 AND from_seq = $4",

		UnhashedMutations: "SELECT kiosk_id, epoch, seq, payload FROM mutations WHERE received_at < $1 AND payload <> '' AND payload_hash = '' LIMIT $2",
		SetPayloadHash:    "UPDATE mutations SET payload_hash = $1 WHERE kiosk_id = $2 AND epoch = $3 AND seq = $4",
		PruneMutations:    "UPDATE mutations SET payload = '' WHERE received_at < $1 AND payload <> '' AND payload_hash <> ''",

		UnpurgedMutations: `SELECT kiosk_id, epoch, seq, payload, payload_hash FROM mutations
			WHERE site_id = $1 AND purged_at IS NULL AND (received_at < $2 OR kiosk_at < $2) LIMIT $3`,
		PurgeMutation: "UPDATE mutations SET payload = $1, payload_hash = $2, purged_at = $3 WHERE kiosk_id = $4 AND epoch = $5 AND seq = $6",
		PurgeArrivals: "UPDATE arrivals SET norm_name = '' WHERE site_id = $1 AND checked_in_at < $2 AND norm_name <> ''",
		MutationsAfter: `SELECT kiosk_id, epoch, seq, payload, payload_hash FROM mutations
			WHERE site_id = $1 AND purged_at IS NULL AND (kiosk_id, epoch, seq) > ($2, $3, $4) ORDER BY kiosk_id, epoch, seq LIMIT $5`,
		EraseArrivals: "UPDATE arrivals SET norm_name = '' WHERE site_id = $1 AND norm_name = $2",

		Arrivals: `SELECT norm_name, kiosk_id, epoch, visit_id, ticket, checked_in_at FROM arrivals
			WHERE site_id = $1 AND kiosk_id <> $2 AND norm_name IN (SELECT jsonb_array_elements_text($3::jsonb))`,

		Record:  "SELECT data FROM records WHERE site_id = $1 AND entity = $2 AND key = $3 AND NOT deleted",
		Records: "SELECT key, version, data FROM records WHERE site_id = $1 AND entity = $2 AND NOT deleted ORDER BY key",
		RecordsByKey: `SELECT key, data FROM records
			WHERE site_id = $1 AND entity = $2 AND key IN (SELECT jsonb_array_elements_text($3::jsonb)) AND NOT deleted`,
		Changes:     "SELECT entity, key, version, deleted, data FROM records WHERE site_id = $1 AND version > $2 ORDER BY version LIMIT $3",
		LiveChanges: "SELECT entity, key, version, deleted, data FROM records WHERE site_id = $1 AND version > $2 AND NOT deleted ORDER BY version LIMIT $3",

		CompactTop:    "SELECT max(version) FROM records WHERE site_id = $1 AND deleted AND updated_at < $2",
		CompactDelete: "DELETE FROM records WHERE site_id = $1 AND deleted AND version <= $2",
		CompactFloor:  "UPDATE sites SET floor = $1 WHERE id = $2 AND floor < $3",

		Incidents: `SELECT i.kiosk_id, coalesce(k.name, ''), i.epoch, i.summary, i.received_at
			FROM incidents i LEFT JOIN kiosks k ON k.id = i.kiosk_id WHERE i.site_id = $1
			ORDER BY i.started_at DESC, i.kiosk_id, i.epoch, i.incident_id DESC`,
		IncidentsSince: `SELECT i.kiosk_id, coalesce(k.name, ''), i.epoch, i.summary, i.received_at
			FROM incidents i LEFT JOIN kiosks k ON k.id = i.kiosk_id WHERE i.site_id = $1 AND i.ended_at >= $2
			ORDER BY i.started_at DESC, i.kiosk_id, i.epoch, i.incident_id DESC`,

		KioskRecords: `SELECT key, version, data FROM records WHERE site_id = $1 AND entity = $2 AND NOT deleted
			AND left(key, length($3::text)) = $3::text AND version > $4 ORDER BY version LIMIT $5`,
		PutVisitOrigin: `INSERT INTO visit_origins (site_id, key, kiosk_id, origin, restored_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (site_id, key) DO UPDATE SET origin = excluded.origin, restored_at = excluded.restored_at`,
		VisitOrigins: "SELECT key, kiosk_id, origin, restored_at FROM visit_origins WHERE site_id = $1 ORDER BY key",
		Sites:        "SELECT id, name FROM sites ORDER BY id",

		AuditLog: `SELECT kiosk_id, epoch, seq, at, source, account, name, role, os_user, action, ticket, detail, received_at
			FROM audit_log WHERE site_id = $1 AND at >= $2 AND at < $3 ORDER BY at, kiosk_id, epoch, seq
			LIMIT CASE WHEN $4::bigint < 0 THEN NULL ELSE $4::bigint END`,
		PurgeAudit: "DELETE FROM audit_log WHERE site_id = $1 AND received_at < $2",

		PutAdmin: `INSERT INTO admins (name, password_hash, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, failures = 0, locked_until = ''`,
		EndAdminSessions: "DELETE FROM admin_sessions WHERE admin = $1",
		Admin:            "SELECT password_hash, created_at, failures, locked_until FROM admins WHERE name = $1",
		FailAdmin: `UPDATE admins SET failures = failures + 1,
				locked_until = CASE WHEN failures + 1 >= $1 THEN $2 ELSE locked_until END
			WHERE name = $3 RETURNING failures`,
		PassAdmin:           "UPDATE admins SET failures = 0, locked_until = '' WHERE name = $1 AND failures > 0",
		PutAdminSession:     "INSERT INTO admin_sessions (token_hash, admin, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
		AdminSession:        "SELECT admin, csrf, created_at, expires_at FROM admin_sessions WHERE token_hash = $1",
		DeleteAdminSession:  "DELETE FROM admin_sessions WHERE token_hash = $1",
		DeleteAdminSessions: "DELETE FROM admin_sessions WHERE expires_at < $1",

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

package syncer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"lobbyline/queue"
)

// RecordWrite is one change to a site's centre-owned data.
type RecordWrite struct {
	Entity string
	Key    string
	Data   any // marshalled to JSON; ignored when Delete
	Delete bool
}

// Write applies changes to a site's records in one transaction and returns
// the site's version after them.
func (c *Central) Write(ctx context.Context, site string, writes []RecordWrite) (int64, error) {
	var version int64
	err := c.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		version, err = c.writeRecords(ctx, tx, site, writes)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("write %s records: %w", site, err)
	}
	return version, nil
}

// writeRecords takes a version per record from the site's counter in one
// update, which also locks the site's row until the transaction ends: a
// later writer gets later versions and commits after this one.
func (c *Central) writeRecords(ctx context.Context, tx *sql.Tx, site string, writes []RecordWrite) (int64, error) {
	if len(writes) == 0 {
		return 0, nil
	}
	// One row per record: a visit changed three times in a batch is
	// written once, as it ended.
	last := make(map[[2]string]int, len(writes))
	for i, w := range writes {
		last[[2]string{w.Entity, w.Key}] = i
	}
	var top int64
	err := tx.QueryRowContext(ctx, c.q("UPDATE sites SET version = version + ? WHERE id = ? RETURNING version"), len(last), site).Scan(&top)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("site %q: %w", site, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("next version: %w", err)
	}
	now := stamp(c.now())
	rows := make([][]any, 0, len(last))
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
		rows = append(rows, []any{site, w.Entity, w.Key, version, w.Delete, string(data), now})
	}
	err = c.insertRows(ctx, tx, `INSERT INTO records (site_id, entity, key, version, deleted, data, updated_at) VALUES `, rows,
		` ON CONFLICT (site_id, entity, key) DO UPDATE SET version = excluded.version, deleted = excluded.deleted,
			data = excluded.data, updated_at = excluded.updated_at`)
	if err != nil {
		return 0, fmt.Errorf("write records: %w", err)
	}
	return top, nil
}

// insertRows runs head + "(?, …), (?, …)" + tail for rows, in as few
// statements as the databases' parameter limits allow.
func (c *Central) insertRows(ctx context.Context, tx *sql.Tx, head string, rows [][]any, tail string) error {
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0])
	per := max(1, 30000/width) // SQLite allows 32766 parameters, PostgreSQL 65535
	mark := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	for chunk := range slices.Chunk(rows, per) {
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, len(chunk)*width)
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(mark)
			args = append(args, r...)
		}
		b.WriteString(tail)
		if _, err := tx.ExecContext(ctx, c.q(b.String()), args...); err != nil {
			return err
		}
	}
	return nil
}

// Record reads one record; ok is false if there is none or it is deleted.
func (c *Central) Record(ctx context.Context, site, entity, key string) (json.RawMessage, bool, error) {
	return c.record(ctx, c.db, site, entity, key)
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (c *Central) record(ctx context.Context, q rowQuerier, site, entity, key string) (json.RawMessage, bool, error) {
	var data string
	err := q.QueryRowContext(ctx, c.q("SELECT data FROM records WHERE site_id = ? AND entity = ? AND key = ? AND NOT deleted"),
		site, entity, key).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s %s: %w", entity, key, err)
	}
	return json.RawMessage(data), true, nil
}

// Records lists a site's live records of one entity, by key.
func (c *Central) Records(ctx context.Context, site, entity string) ([]queue.RemoteRecord, error) {
	rows, err := c.db.QueryContext(ctx, c.q(`SELECT key, version, data FROM records
		WHERE site_id = ? AND entity = ? AND NOT deleted ORDER BY key`), site, entity)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", entity, err)
	}
	defer rows.Close()
	var out []queue.RemoteRecord
	for rows.Next() {
		r := queue.RemoteRecord{Entity: entity}
		var data string
		if err := rows.Scan(&r.Key, &r.Version, &data); err != nil {
			return nil, fmt.Errorf("list %s: %w", entity, err)
		}
		r.Data = json.RawMessage(data)
		out = append(out, r)
	}
	return out, rows.Err()
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
func (c *Central) Pull(ctx context.Context, k Kiosk, cursor int64, limit int) (PullResponse, error) {
	return c.PullFrom(ctx, k, PullQuery{Cursor: cursor, Limit: limit})
}

// PullFrom returns a site's changes after a cursor, at most a page, in
// version order. It reads in one snapshot so the page and the site's
// version agree. A cursor below the site's floor (its tombstones were
// compacted away) gets the first page of a snapshot instead: live records
// only, marked Snapshot so the kiosk clears what it held; the kiosk then
// follows with Continuing set until More is false.
func (c *Central) PullFrom(ctx context.Context, k Kiosk, pq PullQuery) (PullResponse, error) {
	cursor, limit := pq.Cursor, pq.Limit
	if limit <= 0 || limit > MaxPullPage {
		limit = MaxPullPage
	}
	resp := PullResponse{Records: []queue.RemoteRecord{}}
	opts := &sql.TxOptions{ReadOnly: true}
	if c.pg {
		opts.Isolation = sql.LevelRepeatableRead
	}
	err := c.inTxOpts(ctx, opts, func(tx *sql.Tx) error {
		var version, floor int64
		err := tx.QueryRowContext(ctx, c.q("SELECT version, floor FROM sites WHERE id = ?"), k.Site).Scan(&version, &floor)
		if err != nil {
			return fmt.Errorf("site %s: %w", k.Site, err)
		}
		query := "SELECT entity, key, version, deleted, data FROM records WHERE site_id = ? AND version > ?"
		from := cursor
		if (cursor < floor && !pq.Continuing) || cursor > version {
			// Too old to follow, or from a centre that was rebuilt:
			// start again from everything live.
			resp.Snapshot = true
			from = 0
			query += " AND NOT deleted"
		}
		rows, err := tx.QueryContext(ctx, c.q(query+" ORDER BY version LIMIT ?"), k.Site, from, limit+1)
		if err != nil {
			return fmt.Errorf("read changes: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r queue.RemoteRecord
			var data string
			if err := rows.Scan(&r.Entity, &r.Key, &r.Version, &r.Deleted, &data); err != nil {
				return fmt.Errorf("read changes: %w", err)
			}
			if !r.Deleted {
				r.Data = json.RawMessage(data)
			}
			resp.Records = append(resp.Records, r)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read changes: %w", err)
		}
		resp.Cursor = from
		if resp.More = len(resp.Records) > limit; resp.More {
			resp.Records = resp.Records[:limit]
			resp.Cursor = resp.Records[limit-1].Version
		} else {
			// Nothing newer is committed in this snapshot: the kiosk is
			// at the head, even if the newest versions were compacted.
			resp.Cursor = version
		}
		return nil
	})
	if err != nil {
		return PullResponse{}, fmt.Errorf("pull %s: %w", k.ID, err)
	}
	resp.Now = c.now().UTC()
	// A kiosk with nothing to push is still alive; IT's kiosk list says so.
	// To the minute: a pull every 30 s need not cost a durable write each.
	if _, err := c.db.ExecContext(ctx, c.q("UPDATE kiosks SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)"),
		stamp(resp.Now), k.ID, stamp(resp.Now.Add(-time.Minute))); err != nil {
		return PullResponse{}, fmt.Errorf("pull %s: %w", k.ID, err)
	}
	return resp, nil
}

// Compact removes a site's tombstones older than before and raises its
// floor past them; kiosks whose cursor is below the floor get a snapshot.
func (c *Central) Compact(ctx context.Context, site string, before time.Time) (int, error) {
	var n int64
	err := c.inTx(ctx, func(tx *sql.Tx) error {
		// The site's row first, as every writer takes it, so a compaction
		// and an import never wait on each other's rows.
		if _, err := tx.ExecContext(ctx, c.q("SELECT id FROM sites WHERE id = ?"+c.forUpdate()), site); err != nil {
			return err
		}
		var top sql.NullInt64
		err := tx.QueryRowContext(ctx, c.q("SELECT max(version) FROM records WHERE site_id = ? AND deleted AND updated_at < ?"),
			site, stamp(before)).Scan(&top)
		if err != nil || !top.Valid {
			return err
		}
		res, err := tx.ExecContext(ctx, c.q("DELETE FROM records WHERE site_id = ? AND deleted AND version <= ?"), site, top.Int64)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, c.q("UPDATE sites SET floor = ? WHERE id = ? AND floor < ?"), top.Int64, site, top.Int64)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("compact %s: %w", site, err)
	}
	return int(n), nil
}

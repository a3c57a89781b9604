package queue

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"lobbyline/queue/sqldb"
)

// This file is the part of a recovery (recover.go) that uses the
// centre's copy of this kiosk's visits, and the origin each recovered
// visit keeps, which the kiosk tells the centre in KindRestored changes.

// KindRestored says where a recovery took visits' states from
// (Mutation.Restored). Nothing depends on it: a kiosk sends it only to a
// centre that lists it, and holds nothing else back while it waits.
const KindRestored = "restored"

// Restored is a KindRestored change: at most MaxRestoredPerChange visits
// of this kiosk and where their recovered state came from.
type Restored struct {
	Visits []RestoredVisit `json:"visits"`
}

// RestoredVisit names a visit as the centre does (kiosk, Epoch, ID) and
// says its origin.
type RestoredVisit struct {
	ID     int64  `json:"id"`
	Epoch  int64  `json:"epoch"`
	Origin Origin `json:"origin"`
}

// MaxRestoredPerChange bounds the visits one KindRestored change names.
const MaxRestoredPerChange = 500

// Valid reports whether o is one a recovery sets.
func (o Origin) Valid() bool { return slices.Contains(Origins, o) }

// originText is an origin as the recovery's report says it.
func originText(o Origin) string {
	switch o {
	case OriginSnapshot:
		return "the snapshot"
	case OriginDamaged:
		return "the damaged file"
	case OriginOutbox:
		return "the outbox's copies"
	case OriginCentre:
		return "the centre's copy"
	}
	return "nowhere (not restored)"
}

// metaSendOrigins marks a recovered database whose visits' origins the
// store that next opens it sends to the centre, in the new epoch.
const metaSendOrigins = "send_origins"

// restoredVisitColumns and restoredVisitArgs write a recovered visit.
const restoredVisitColumns = `(id, ticket, day, service_id, name, host, phone, status, rank, priority,
	desk_id, source, recalls, checked_in_at, called_at, done_at, invite, left_at, left_proof, epoch, origin)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, nullif(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func restoredVisitArgs(v Visit) []any {
	return []any{v.ID, v.Ticket, v.Day, v.Service, v.Name, v.Host, v.Phone, string(v.Status), v.CheckedInAt.UnixMilli(), v.Priority,
		v.Desk, v.Source, v.Recalls, sqldb.FormatTime(v.CheckedInAt), nullTime(v.CalledAt), nullTime(v.DoneAt), v.Invite,
		nullTime(v.LeftAt), string(v.LeftProof), v.Epoch, string(v.Origin)}
}

// markOrigin sets the origin of the visits ids.
func markOrigin(ctx context.Context, db *sql.DB, o Origin, ids map[int64]bool) error {
	return sqldb.InTx(ctx, db, func(tx *sql.Tx) error {
		for _, id := range slices.Sorted(maps.Keys(ids)) {
			if _, err := tx.ExecContext(ctx, "UPDATE visits SET origin = ? WHERE id = ?", string(o), id); err != nil {
				return fmt.Errorf("visit %d: %w", id, err)
			}
		}
		return nil
	})
}

// visitStamps names, per visit, the newest change the log holds of it,
// as the centre names the change that set its record (SiteVisit with
// Kiosk, HLC, Epoch and Seq): the state here is older than the centre's
// if that change is.
func visitStamps(ctx context.Context, db *sql.DB, kiosk string) (map[int64]SiteVisit, error) {
	rows, err := db.QueryContext(ctx, `SELECT e.visit_id, e.hlc, coalesce(o.epoch, 0), coalesce(o.seq, 0)
		FROM events e LEFT JOIN outbox o ON o.event_id = e.id WHERE e.visit_id IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]SiteVisit{}
	for rows.Next() {
		var id int64
		sv := SiteVisit{Kiosk: kiosk}
		if err := rows.Scan(&id, &sv.HLC, &sv.Epoch, &sv.Seq); err != nil {
			return nil, err
		}
		if have, ok := out[id]; !ok || have.Older(sv) {
			out[id] = sv
		}
	}
	return out, rows.Err()
}

// fromCentre adds the centre's copy of this kiosk's visits: a visit
// missing here is added, one whose state here was set by an older change
// than the centre's takes the centre's state. A centre that does not
// answer is no failure: the report says what is not recovered.
func fromCentre(ctx context.Context, db *sql.DB, opts RecoverOptions, snapshot, outbox map[int64]SiteVisit, r *Recovery) error {
	visits, err := opts.Centre(ctx)
	if err != nil {
		r.Centre.Problem = err.Error()
		r.Lost = append(r.Lost, fmt.Sprintf("%s: visits only it had are not recovered", err))
		return nil
	}
	damaged, err := visitStamps(ctx, db, opts.KioskID)
	if err != nil {
		return fmt.Errorf("read the log: %w", err)
	}
	local, err := heldVisits(ctx, db)
	if err != nil {
		return err
	}
	for _, sv := range visits {
		if sv.Kiosk != opts.KioskID || sv.Visit.ID <= 0 {
			continue // never another kiosk's visit
		}
		r.Centre.Read++
		v := sv.Visit
		v.Origin = OriginCentre
		h, ok := local[v.ID]
		if ok && h.epoch != v.Epoch && h.epoch != 0 && v.Epoch != 0 {
			r.Lost = append(r.Lost, fmt.Sprintf("visit %d of epoch %d (ticket %s) in the centre's copy: the recovered database holds another visit under its number", v.ID, v.Epoch, v.Ticket))
			continue
		}
		if ok {
			var stamp SiteVisit
			switch h.origin {
			case OriginSnapshot:
				stamp = snapshot[v.ID]
			case OriginOutbox:
				stamp = outbox[v.ID]
			default:
				stamp = damaged[v.ID]
			}
			stamp.Kiosk = opts.KioskID
			if stamp.HLC == sv.HLC || !stamp.Older(sv) {
				continue // the state here is the centre's, or newer
			}
		}
		err := sqldb.InTx(ctx, db, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "DELETE FROM visits WHERE id = ?", v.ID); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO visits "+restoredVisitColumns, restoredVisitArgs(v)...)
			return err
		})
		if err != nil {
			r.Lost = append(r.Lost, fmt.Sprintf("visit %d (ticket %s) in the centre's copy could not be written: %v", v.ID, v.Ticket, err))
			continue
		}
		if ok {
			r.Centre.Newer++
		} else {
			r.Centre.Added++
		}
	}
	return nil
}

// held is a recovered visit's epoch and origin.
type held struct {
	epoch  int64
	origin Origin
}

// heldVisits are the recovered visits by id.
func heldVisits(ctx context.Context, db *sql.DB) (map[int64]held, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, epoch, origin FROM visits")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]held{}
	for rows.Next() {
		var id int64
		var h held
		if err := rows.Scan(&id, &h.epoch, &h.origin); err != nil {
			return nil, err
		}
		out[id] = h
	}
	return out, rows.Err()
}

// countOrigins counts the visits by origin.
func countOrigins(ctx context.Context, db *sql.DB) (map[Origin]int, error) {
	rows, err := db.QueryContext(ctx, "SELECT origin, count(*) FROM visits GROUP BY origin")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[Origin]int{}
	for rows.Next() {
		var o Origin
		var n int
		if err := rows.Scan(&o, &n); err != nil {
			return nil, err
		}
		out[o] = n
	}
	return out, rows.Err()
}

// sendOrigins writes the KindRestored changes of a recovered database,
// inside the transaction that started its new epoch: every visit with an
// origin, MaxRestoredPerChange to a change.
func (s *Store) sendOrigins(ctx context.Context, tx *sql.Tx) error {
	all, err := restoredVisits(ctx, tx)
	if err != nil {
		return fmt.Errorf("visits' origins: %w", err)
	}
	at := s.now()
	for chunk := range slices.Chunk(all, MaxRestoredPerChange) {
		if err := s.record(ctx, tx, at, event{Kind: KindRestored, restored: &Restored{Visits: chunk}}, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// restoredVisits are the visits with an origin, by id.
func restoredVisits(ctx context.Context, tx *sql.Tx) ([]RestoredVisit, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id, epoch, origin FROM visits WHERE origin != '' ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RestoredVisit
	for rows.Next() {
		var v RestoredVisit
		if err := rows.Scan(&v.ID, &v.Epoch, &v.Origin); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// CheckRestored returns why a KindRestored change is not one a kiosk
// sends, or "".
func CheckRestored(r *Restored) string {
	switch {
	case r == nil || len(r.Visits) == 0:
		return "a restored change without its visits"
	case len(r.Visits) > MaxRestoredPerChange:
		return fmt.Sprintf("a restored change names %d visits, at most %d", len(r.Visits), MaxRestoredPerChange)
	}
	for _, v := range r.Visits {
		if v.ID <= 0 || !v.Origin.Valid() {
			return fmt.Sprintf("restored visit %d: origin %q is not one of %s", v.ID, v.Origin, originList())
		}
	}
	return ""
}

func originList() string {
	s := make([]string, len(Origins))
	for i, o := range Origins {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}

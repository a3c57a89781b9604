package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"lobbyline/queue/durable"
	"lobbyline/queue/sqldb"
)

// This file is the recovery of a damaged database (issue 15 §3): the
// damaged file is moved aside and kept; a new one is built from the
// newest sound snapshot (snapshot.go), every row of the damaged file
// that can still be read, table by table, skipping what cannot, and the
// visits the outbox's payloads carry (each change carries its visit in
// full). The kiosk keeps its identity and ticket key when either the
// damaged file or the snapshot still has them, so printed QR codes still
// verify, and the recovered database starts a new epoch as a restore's
// does (MarkRestored). When the kiosk's configuration names a centre and
// it answers, the centre's copy of this kiosk's own visits comes last:
// visits missing here are added, and a visit whose state here is older
// than the centre's (SiteVisit.Older) takes the centre's. Each visit
// keeps where its state came from (Visit.Origin); the store that next
// opens the file tells the centre (KindRestored).

// Damaged is the suffix of the name the damaged file is kept under,
// followed by the time of the recovery.
const Damaged = ".damaged-"

// RecoverOptions say what a recovery may use.
type RecoverOptions struct {
	KioskID string
	// SnapshotDirs are where snapshots are kept (SnapshotOptions.Dirs).
	SnapshotDirs []string
	Now          func() time.Time // defaults to time.Now
	// Centre, if set, reads the centre's copy of this kiosk's own
	// visits. An error is no failure of the recovery: its text says why
	// there is no copy ("the centre was not reachable (…)"), and the
	// report says that visits only the centre had are not recovered.
	Centre func(ctx context.Context) ([]SiteVisit, error)
}

// CentreCopy is what a recovery took from the centre's copy.
type CentreCopy struct {
	Asked   bool // the configuration names a centre
	Read    int  // visits the centre holds of this kiosk
	Added   int  // missing here, added
	Newer   int  // older here, replaced by the centre's state
	Problem string
}

// Recovery is what a recovery did and could not do.
type Recovery struct {
	DamagedKept string   // where the damaged file is kept
	Snapshot    string   // the snapshot it started from; "" for none
	Tables      []string // per table, what was read from the damaged file
	FromOutbox  int      // visits taken from the outbox's payloads
	Centre      CentreCopy
	// Origins counts the recovered visits by where their state came
	// from (Visit.Origin).
	Origins map[Origin]int
	Lost    []string // what could not be recovered, one line each
	Report  string   // the file all of this is written to
	// KeyLost says neither the damaged file nor the snapshot had the
	// kiosk's ticket key: printed QR codes no longer verify.
	KeyLost bool
	// Notes are what could not be read but was found elsewhere.
	Notes []string

	visitGaps []string // ranges of the damaged file's visits table it could not read
}

// Nothing says the recovery found nothing to rebuild from: no snapshot,
// no visit, and not even the kiosk's ticket key. The database it made is
// empty; opened, the lobby would show an empty queue as if all were well.
func (r Recovery) Nothing() bool {
	n := 0
	for _, c := range r.Origins {
		n += c
	}
	return r.Snapshot == "" && n == 0 && r.KeyLost
}

// Recover rebuilds the kiosk database at path, which must not be open
// in any process. Anything it cannot recover is in Recovery.Lost, which
// is also written to Recovery.Report beside the database. The caller
// opens the recovered database and applies the purge (Store.Purge) as
// it is due, so no snapshot older than a purge brings erased personal
// data back.
func Recover(ctx context.Context, path string, opts RecoverOptions) (Recovery, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	stamp := now().UTC().Format("20060102T150405Z")
	var r Recovery
	if _, err := os.Stat(path); err != nil {
		return r, fmt.Errorf("recover: %w", err)
	}
	if err := quiesceDamaged(ctx, path); err != nil {
		return r, err
	}
	snap, skipped := newestSnapshot(ctx, opts.SnapshotDirs, opts.KioskID)
	r.Snapshot = snap
	r.Lost = append(r.Lost, skipped...)

	tmp := tempBeside(path)
	defer os.Remove(tmp)
	if snap != "" {
		if err := copyFile(snap, tmp); err != nil {
			return r, fmt.Errorf("recover: %w", err)
		}
	}
	db, err := sql.Open("sqlite", sqldb.SQLiteDSN(tmp, "foreign_keys(0)"))
	if err != nil {
		return r, fmt.Errorf("recover: %w", err)
	}
	defer db.Close()
	m := sqldb.Migrations{FS: migrations, Glob: "migrations/*.sql", Table: "migrations", TableOptions: " STRICT", Now: now}
	if err := m.Apply(ctx, db); err != nil {
		return r, fmt.Errorf("recover: %w", err)
	}
	if _, err := db.ExecContext(ctx, "UPDATE visits SET origin = ?", string(OriginSnapshot)); err != nil {
		return r, fmt.Errorf("recover: %w", err)
	}
	// What set each snapshot visit's state, before the damaged file's
	// events join the log: the centre's copy replaces it where newer.
	snapStamps, err := visitStamps(ctx, db, opts.KioskID)
	if err != nil {
		return r, fmt.Errorf("recover: read the snapshot's log: %w", err)
	}

	r.DamagedKept = path + Damaged + stamp
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Rename(path+suffix, r.DamagedKept+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return r, fmt.Errorf("recover: keep the damaged file: %w", err)
		}
	}
	// From here on path is missing until the rename below: a failure
	// says where the damaged file is.
	fail := func(err error) (Recovery, error) {
		return r, fmt.Errorf("recover: %w (the damaged database is kept as %s; kiosk restore can put it back)", err, r.DamagedKept)
	}
	fromDamaged, err := salvage(ctx, db, r.DamagedKept, &r)
	if err != nil {
		return fail(err)
	}
	if err := markOrigin(ctx, db, OriginDamaged, fromDamaged["visits"]); err != nil {
		return fail(err)
	}
	outboxStamps := map[int64]SiteVisit{}
	if r.FromOutbox, err = visitsFromOutbox(ctx, db, fromDamaged, outboxStamps); err != nil {
		return fail(err)
	}
	if opts.Centre != nil {
		r.Centre.Asked = true
		if err := fromCentre(ctx, db, opts, snapStamps, outboxStamps, &r); err != nil {
			return fail(err)
		}
	}
	if err := accountVisits(ctx, db, &r); err != nil {
		return fail(err)
	}
	if r.Origins, err = countOrigins(ctx, db); err != nil {
		return fail(err)
	}
	if err := checkIdentity(ctx, db, opts.KioskID, &r); err != nil {
		return fail(err)
	}
	if err := renumberFrom(ctx, db, fromDamaged[counterTable], &r); err != nil {
		return fail(err)
	}
	if err := MarkRestored(ctx, db); err != nil {
		return fail(err)
	}
	if err := sqldb.InTx(ctx, db, func(tx *sql.Tx) error { return setMeta(ctx, tx, metaSendOrigins, "1") }); err != nil {
		return fail(err)
	}
	problems, err := quickCheck(ctx, db)
	if err == nil && len(problems) > 0 {
		err = fmt.Errorf("the rebuilt database fails its check: %s", strings.Join(problems, "; "))
	}
	if err != nil {
		return fail(err)
	}
	if err := db.Close(); err != nil {
		return fail(err)
	}
	if err := syncFile(tmp); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	if err := durable.SyncDir(filepath.Dir(path)); err != nil {
		return fail(err)
	}
	r.Report = path + ".recovery-" + stamp + ".txt"
	if err := os.WriteFile(r.Report, []byte(r.String()), 0o600); err != nil {
		return r, fmt.Errorf("recover: the database is recovered, but the report was not written: %w", err)
	}
	return r, nil
}

// String is the recovery's report, for the terminal and the report file.
func (r Recovery) String() string {
	var b strings.Builder
	if r.Nothing() {
		b.WriteString("NOTHING WAS RECOVERED: no sound snapshot, no readable visit and no ticket key; the kiosk starts on an empty database\n")
	}
	fmt.Fprintf(&b, "damaged database kept as %s\n", r.DamagedKept)
	if r.Snapshot != "" {
		fmt.Fprintf(&b, "rebuilt from the snapshot %s\n", r.Snapshot)
	} else {
		b.WriteString("no sound snapshot: rebuilt from the damaged file alone\n")
	}
	for _, t := range r.Tables {
		fmt.Fprintf(&b, "read from the damaged file: %s\n", t)
	}
	fmt.Fprintf(&b, "visits taken from the outbox's copies: %d\n", r.FromOutbox)
	switch c := r.Centre; {
	case !c.Asked:
		b.WriteString("no centre in the configuration: its copy was not asked for\n")
	case c.Problem == "":
		fmt.Fprintf(&b, "the centre's copy: %d visits of this kiosk; %d added, %d took the centre's newer state\n", c.Read, c.Added, c.Newer)
	}
	for _, o := range Origins {
		fmt.Fprintf(&b, "visits whose state came from %s: %d\n", originText(o), r.Origins[o])
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "read elsewhere: %s\n", n)
	}
	if len(r.Lost) == 0 {
		b.WriteString("nothing found lost\n")
	}
	for _, l := range r.Lost {
		fmt.Fprintf(&b, "NOT RECOVERED: %s\n", l)
	}
	b.WriteString("changes made from now on go to the centre in a new epoch\n")
	b.WriteString("what the centre sends (other kiosks' visits, staff accounts, the watch-list) is fetched afresh at the next sync\n")
	return b.String()
}

// accountVisits says what the visits table's unreadable ranges cost,
// once every other copy has been read: the visits the event log names
// that no copy held are lost; if there are none, the ranges go to the
// notes, not the losses, so staff are not told of a loss that did not
// happen. (A visit whose events were pruned, 90 days on, is not named:
// it was purged of its personal data long before.)
func accountVisits(ctx context.Context, db *sql.DB, r *Recovery) error {
	if len(r.visitGaps) == 0 {
		return nil
	}
	missing, err := sqldb.Column[string](ctx, db, `SELECT DISTINCT CAST(visit_id AS TEXT) FROM events
		WHERE visit_id IS NOT NULL AND visit_id NOT IN (SELECT id FROM visits) ORDER BY visit_id`)
	if err != nil {
		return fmt.Errorf("visits the event log names: %w", err)
	}
	gaps := strings.Join(r.visitGaps, "; ")
	if len(missing) == 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("table visits: %s; every visit the event log names was found in the other copies", gaps))
		return nil
	}
	r.Lost = append(r.Lost, fmt.Sprintf("table visits: %s; %d visits the event log names are in no other copy (visit numbers %s)",
		gaps, len(missing), strings.Join(missing, ", ")))
	return nil
}

// quiesceDamaged is quiesce for a file that may be damaged: SQLite may
// refuse even to change its journal mode, and then no kiosk can be
// using it either.
func quiesceDamaged(ctx context.Context, path string) error {
	err := quiesce(ctx, path)
	if err == nil || !errors.Is(err, ErrInUse) {
		return err
	}
	db, oerr := sql.Open("sqlite", sqldb.SQLiteDSN(path, "busy_timeout(0)"))
	if oerr != nil {
		return err
	}
	defer db.Close()
	var mode string
	qerr := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode)
	if f := sqldb.FaultOf(qerr); f == sqldb.FaultDamaged || f == sqldb.FaultNotADB {
		return nil
	}
	return err
}

// counterTable is where ticket numbers come from.
const counterTable = "counters"

// salvageBatch is how many rows one read of a damaged table takes.
const salvageBatch = 500

// salvage copies every row it can read from the damaged file at damaged
// into db, table by table. A table read whole replaces the snapshot's
// (rows deleted since the snapshot stay deleted); one with ranges that
// cannot be read goes over the snapshot's rows, the damaged file's
// winning (they are newer). It returns, per table, the rowids it copied (only visits'
// and counters' are kept: the outbox's visits yield to them).
func salvage(ctx context.Context, db *sql.DB, damaged string, r *Recovery) (map[string]map[int64]bool, error) {
	out := map[string]map[int64]bool{}
	old, err := sql.Open("sqlite", sqldb.SQLiteDSN(damaged, "query_only(1)"))
	if err != nil {
		return nil, err
	}
	defer old.Close()
	tables, err := tableNames(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		cols, err := commonColumns(ctx, db, old, t)
		if err != nil || len(cols) == 0 {
			r.Lost = append(r.Lost, fmt.Sprintf("table %s: its definition cannot be read in the damaged file (%v)", t, err))
			continue
		}
		read, skipped, ids, err := copyTableTx(ctx, db, old, t, cols, true)
		if err == nil && len(skipped) > 0 {
			// Keep the snapshot's rows where the damaged file's are lost.
			read, skipped, ids, err = copyTableTx(ctx, db, old, t, cols, false)
		}
		if err != nil {
			return nil, err
		}
		if t == "visits" || t == counterTable {
			out[t] = ids
		}
		r.Tables = append(r.Tables, fmt.Sprintf("%s: %d rows", t, read))
		for _, s := range skipped {
			if t == "visits" {
				// Other copies may cover them: accountVisits decides.
				r.visitGaps = append(r.visitGaps, s)
				continue
			}
			r.Lost = append(r.Lost, fmt.Sprintf("table %s: %s", t, s))
		}
	}
	return out, nil
}

// tableNames are db's tables but SQLite's own and the migrations (the
// rebuilt file has its own).
func tableNames(ctx context.Context, db *sql.DB) ([]string, error) {
	return sqldb.Column[string](ctx, db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'migrations' ORDER BY name")
}

func columnNames(ctx context.Context, db *sql.DB, table string) ([]string, error) {
	return sqldb.Column[string](ctx, db, "SELECT name FROM pragma_table_info(?)", table)
}

func commonColumns(ctx context.Context, db, old *sql.DB, table string) ([]string, error) {
	want, err := columnNames(ctx, db, table)
	if err != nil {
		return nil, err
	}
	have, err := columnNames(ctx, old, table)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range want {
		if slices.Contains(have, c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no such table")
	}
	return out, nil
}

// copyTableTx is copyTable in one transaction, replacing what db's
// table holds if whole is set and every row was read (else nothing is
// changed and skipped says why).
func copyTableTx(ctx context.Context, db, old *sql.DB, table string, cols []string, whole bool) (read int, skipped []string, ids map[int64]bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	defer tx.Rollback()
	if whole {
		// A table its triggers keep append-only (the event log) refuses:
		// its snapshot rows are all in the damaged file anyway, and are
		// copied over.
		// #nosec G202 -- the table name comes from the rebuilt file's own schema
		if _, err := tx.ExecContext(ctx, `SAVEPOINT whole; DELETE FROM "`+table+`"; RELEASE whole`); err != nil {
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO whole; RELEASE whole"); rerr != nil {
				return 0, nil, nil, errors.Join(err, rerr)
			}
			whole = false
		}
	}
	read, skipped, ids, err = copyTable(ctx, tx, old, table, cols)
	if err != nil || (whole && len(skipped) > 0) {
		return read, skipped, ids, err
	}
	return read, skipped, ids, tx.Commit()
}

// copyTable copies table's readable rows in rowid order. A read that
// fails marks a damaged range: the next readable rowid is looked for at
// growing distances, and the range between is reported lost.
func copyTable(ctx context.Context, db *sql.Tx, old *sql.DB, table string, cols []string) (read int, skipped []string, ids map[int64]bool, err error) {
	ids = map[int64]bool{}
	q := `"` + strings.Join(cols, `", "`) + `"`
	// #nosec G201 -- table and column names come from the rebuilt file's own schema
	sel := fmt.Sprintf(`SELECT rowid, %s FROM "%s" WHERE rowid > ? ORDER BY rowid LIMIT %d`, q, table, salvageBatch)
	// #nosec G201 -- as above
	ins := fmt.Sprintf(`INSERT OR REPLACE INTO "%s" (%s) VALUES (%s)`, table, q, strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "))
	after := int64(-1 << 62)
	for {
		batch, last, rerr := readBatch(ctx, old, sel, after, len(cols))
		for _, row := range batch {
			if _, err := db.ExecContext(ctx, ins, row.values...); err != nil {
				return read, skipped, ids, fmt.Errorf("copy a row of %s: %w", table, err)
			}
			ids[row.rowid] = true
			read++
		}
		if rerr == nil && len(batch) < salvageBatch {
			return read, skipped, ids, nil
		}
		if rerr == nil {
			after = last
			continue
		}
		if len(batch) > 0 {
			after = last
		}
		next, ok := nextReadable(ctx, old, table, after)
		if !ok {
			skipped = append(skipped, fmt.Sprintf("rows after rowid %s cannot be read (%v)", rowidText(after), rerr))
			return read, skipped, ids, nil
		}
		skipped = append(skipped, fmt.Sprintf("rows between rowid %s and %d cannot be read (%v)", rowidText(after), next, rerr))
		after = next - 1
	}
}

func rowidText(r int64) string {
	if r == -1<<62 {
		return "(the first)"
	}
	return fmt.Sprint(r)
}

type salvagedRow struct {
	rowid  int64
	values []any
}

// readBatch reads what it can of one batch: the rows before a failure
// are kept.
func readBatch(ctx context.Context, old *sql.DB, sel string, after int64, ncols int) ([]salvagedRow, int64, error) {
	rows, err := old.QueryContext(ctx, sel, after)
	if err != nil {
		return nil, after, err
	}
	defer rows.Close()
	var out []salvagedRow
	last := after
	for rows.Next() {
		var id int64
		vals := make([]any, ncols)
		ptrs := make([]any, ncols+1)
		ptrs[0] = &id
		for i := range vals {
			ptrs[i+1] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return out, last, err
		}
		out = append(out, salvagedRow{id, vals})
		last = id
	}
	return out, last, rows.Err()
}

// nextReadable finds a rowid beyond after from which table reads again,
// probing at doubling distances.
func nextReadable(ctx context.Context, old *sql.DB, table string, after int64) (int64, bool) {
	// #nosec G201 -- the table name comes from the rebuilt file's own schema
	sel := fmt.Sprintf(`SELECT rowid FROM "%s" WHERE rowid >= ? ORDER BY rowid LIMIT 1`, table)
	start := max(after, 0)
	for step := int64(1); step < 1<<40; step *= 2 {
		var id int64
		err := old.QueryRowContext(ctx, sel, start+step).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false
		}
		if err == nil {
			return id, true
		}
	}
	return 0, false
}

// visitsFromOutbox puts back the visits the outbox's payloads carry: for
// each visit its latest change, unless the damaged file's own row was
// read (newer, or as new). Payloads the purge emptied carry none.
func visitsFromOutbox(ctx context.Context, db *sql.DB, fromDamaged map[string]map[int64]bool, stamps map[int64]SiteVisit) (int, error) {
	latest, order, err := outboxVisits(ctx, db)
	if err != nil {
		return 0, fmt.Errorf("read the outbox: %w", err)
	}
	n := 0
	for _, id := range order {
		if fromDamaged["visits"][id] {
			continue
		}
		sv := latest[id]
		v := sv.Visit
		v.Origin = OriginOutbox
		if _, err := db.ExecContext(ctx, "INSERT OR REPLACE INTO visits "+restoredVisitColumns, restoredVisitArgs(v)...); err != nil {
			return n, fmt.Errorf("visit %d from the outbox: %w", id, err)
		}
		stamps[id] = sv
		n++
	}
	return n, nil
}

// outboxVisits is each visit's latest copy in the outbox, and the
// visits in the order they first appear.
func outboxVisits(ctx context.Context, db *sql.DB) (map[int64]SiteVisit, []int64, error) {
	rows, err := db.QueryContext(ctx, "SELECT seq, payload FROM outbox WHERE json_extract(payload, '$.visit') IS NOT NULL AND json_extract(payload, '$.purged') IS NULL ORDER BY seq")
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	latest := map[int64]SiteVisit{}
	var order []int64
	for rows.Next() {
		var p string
		var seq int64
		if err := rows.Scan(&seq, &p); err != nil {
			return nil, nil, err
		}
		var m Mutation
		if json.Unmarshal([]byte(p), &m) != nil || m.Visit == nil || m.Visit.ID == 0 || m.Kiosk == "" {
			continue
		}
		if _, seen := latest[m.Visit.ID]; !seen {
			order = append(order, m.Visit.ID)
		}
		latest[m.Visit.ID] = SiteVisit{Kiosk: m.Kiosk, HLC: m.HLC, Visit: *m.Visit, Epoch: m.Epoch, Seq: seq}
	}
	return latest, order, rows.Err()
}

// checkIdentity makes sure the rebuilt file is this kiosk's and says
// whether its ticket key survived.
func checkIdentity(ctx context.Context, db *sql.DB, kioskID string, r *Recovery) error {
	var id, secret string
	err := db.QueryRowContext(ctx, `SELECT coalesce((SELECT value FROM meta WHERE key = 'kiosk_id'), ''),
		coalesce((SELECT value FROM meta WHERE key = 'ticket_secret'), '')`).Scan(&id, &secret)
	if err != nil {
		return err
	}
	if id != "" && id != kioskID {
		return fmt.Errorf("%w: the database is kiosk %q's, this is kiosk %q", ErrOtherKiosk, id, kioskID)
	}
	if secret == "" {
		r.KeyLost = true
		r.Lost = append(r.Lost, "the ticket key: tickets printed before the recovery no longer verify (staff check them by name)")
	}
	return nil
}

// renumberFrom keeps ticket numbers unique for the day: each day's
// counter is at least the highest ticket number any recovered visit
// holds. When the damaged file's counters could not be read, visits it
// lost may hold higher numbers, so today's counters skip ahead.
func renumberFrom(ctx context.Context, db *sql.DB, countersRead map[int64]bool, r *Recovery) error {
	_, err := db.ExecContext(ctx, `INSERT INTO counters (day, prefix, last)
		SELECT day, substr(ticket, 1, instr(ticket, '-') - 1), max(CAST(substr(ticket, instr(ticket, '-') + 1) AS INTEGER))
		FROM visits WHERE instr(ticket, '-') > 1 GROUP BY 1, 2 HAVING true
		ON CONFLICT (day, prefix) DO UPDATE SET last = max(last, excluded.last)`)
	if err != nil {
		return fmt.Errorf("ticket counters: %w", err)
	}
	if len(countersRead) > 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, "UPDATE counters SET last = last + ? WHERE day = (SELECT max(day) FROM counters)", counterSkip); err != nil {
		return fmt.Errorf("ticket counters: %w", err)
	}
	r.Lost = append(r.Lost, fmt.Sprintf("the ticket counters: the last day's ticket numbers skip %d ahead, past any ticket lost with them", counterSkip))
	return nil
}

// counterSkip is how far the last day's ticket numbers skip when the
// counters were lost.
const counterSkip = 100

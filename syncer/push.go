package syncer

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"lobbyline/queue"
)

// Conflict rules, from the issue that asked for them.
const (
	// DuplicateWindow links check-ins of the same name at two kiosks of a
	// site this close together.
	DuplicateWindow = 30 * time.Minute
)

// knownKinds are the mutation kinds a kiosk may send.
var knownKinds = map[string]bool{
	queue.KindCheckIn: true, queue.KindCall: true, queue.KindRecall: true, queue.KindServe: true,
	queue.KindNoShow: true, queue.KindCancel: true, queue.KindPrioritize: true, queue.KindTransfer: true,
	queue.KindDeskOpen: true, queue.KindDeskClose: true, queue.KindCheckOut: true, queue.KindIncident: true,
}

// Push applies a batch from kiosk k in one transaction, together with the
// kiosk's progress. A mutation the centre has seen before, by name, is
// answered "duplicate" (or its earlier rejection again) and not applied;
// a mutation it cannot accept is answered "rejected" with a reason and
// does not stop the ones after it.
func (c *Central) Push(ctx context.Context, k Kiosk, req PushRequest) (PushResponse, error) {
	if req.Kiosk != k.ID {
		return PushResponse{}, fmt.Errorf("%w: token is for kiosk %s, batch names %s", ErrForbidden, k.ID, req.Kiosk)
	}
	now := c.now()
	resp := PushResponse{Results: make([]PushResult, len(req.Mutations)), Now: now.UTC()}
	err := c.inTx(ctx, func(tx *sql.Tx) error {
		p := &pushTx{c: c, tx: tx, k: k, now: now}
		groups := byEpoch(req.Mutations)
		// Lock progress rows in epoch order so two instances never wait
		// on each other.
		for _, epoch := range slices.Sorted(maps.Keys(groups)) {
			ms := groups[epoch]
			seen, err := p.lockProgress(ctx, epoch, req.Mutations[ms[0]].Seq, req.Mutations[ms[len(ms)-1]].Seq)
			if err != nil {
				return err
			}
			for _, i := range ms {
				m := req.Mutations[i]
				if prev, ok := seen[m.Seq]; ok {
					if res, done := p.replay(m, prev); done {
						resp.Results[i] = res
						continue
					}
				}
				resp.Results[i] = p.apply(m)
			}
			last := req.Mutations[ms[len(ms)-1]].Seq
			_, err = tx.ExecContext(ctx, c.q("UPDATE progress SET last_seq = ? WHERE kiosk_id = ? AND epoch = ? AND last_seq < ?"),
				last, k.ID, epoch, last)
			if err != nil {
				return fmt.Errorf("progress: %w", err)
			}
		}
		if err := p.finish(ctx); err != nil {
			return err
		}
		backlog := max(req.Backlog-len(req.Mutations), 0)
		skew := req.Sent.Sub(now).Milliseconds()
		if req.Sent.IsZero() {
			skew = 0
		}
		_, err := tx.ExecContext(ctx, c.q("UPDATE kiosks SET last_seen_at = ?, backlog = ?, skew_ms = ? WHERE id = ?"),
			stamp(now), backlog, skew, k.ID)
		return err
	})
	if err != nil {
		return PushResponse{}, fmt.Errorf("push from %s: %w", k.ID, err)
	}
	return resp, nil
}

// byEpoch groups a batch's indexes by epoch, keeping order within each.
func byEpoch(ms []PushMutation) map[int64][]int {
	out := make(map[int64][]int)
	for i, m := range ms {
		out[m.Epoch] = append(out[m.Epoch], i)
	}
	return out
}

// pushTx is one push transaction. Applying a mutation only gathers rows;
// finish writes them with a few multi-row statements, so a batch of 500
// costs a handful of round trips to the database rather than thousands.
type pushTx struct {
	c   *Central
	tx  *sql.Tx
	k   Kiosk
	now time.Time

	mutations [][]any       // rows for the mutations table
	checkIns  []checkIn     // applied check-ins, screened in finish
	writes    []RecordWrite // record writes, versioned together at the end
	incidents []incidentRow // applied incident summaries, stored in finish
}

type checkIn struct {
	epoch int64
	hlc   string
	key   string // the visit's record key
	visit queue.Visit
	name  string // normalised
}

// lockProgress locks the kiosk's progress row for this epoch, so a replay
// racing on another instance waits and then sees this batch as duplicates,
// and returns what it recorded for sequence numbers in [from, to].
func (p *pushTx) lockProgress(ctx context.Context, epoch, from, to int64) (map[int64]earlier, error) {
	c, tx := p.c, p.tx
	_, err := tx.ExecContext(ctx, c.q("INSERT INTO progress (kiosk_id, epoch, last_seq) VALUES (?, ?, 0) ON CONFLICT DO NOTHING"), p.k.ID, epoch)
	if err != nil {
		return nil, fmt.Errorf("progress: %w", err)
	}
	var last int64
	if err := tx.QueryRowContext(ctx, c.q("SELECT last_seq FROM progress WHERE kiosk_id = ? AND epoch = ?"+c.forUpdate()), p.k.ID, epoch).Scan(&last); err != nil {
		return nil, fmt.Errorf("progress: %w", err)
	}
	seen := make(map[int64]earlier)
	if from > last {
		return seen, nil // all new: the common case needs no lookup
	}
	rows, err := tx.QueryContext(ctx, c.q(`SELECT seq, status, payload FROM mutations
		WHERE kiosk_id = ? AND epoch = ? AND seq >= ? AND seq <= ?`), p.k.ID, epoch, from, to)
	if err != nil {
		return nil, fmt.Errorf("earlier answers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var e earlier
		if err := rows.Scan(&seq, &e.status, &e.payload); err != nil {
			return nil, fmt.Errorf("earlier answers: %w", err)
		}
		seen[seq] = e
	}
	return seen, rows.Err()
}

// earlier is what the centre recorded for a mutation name it has seen.
type earlier struct {
	status  string
	payload string
}

// replay answers a mutation the centre has seen before. An applied one is
// a duplicate, unless the payload differs: then two different changes
// carry one name (a kiosk database restored from a backup reuses names),
// and the new one is refused so staff see it rather than lose it. A
// rejected one had no effect, so it is judged again: whatever the centre
// objected to may have been fixed.
func (p *pushTx) replay(m PushMutation, e earlier) (PushResult, bool) {
	res := PushResult{Epoch: m.Epoch, Seq: m.Seq}
	if e.status == StatusRejected {
		return res, false
	}
	if !samePayload(e.payload, m.Payload) {
		res.Status = StatusRejected
		res.Reason = "the centre already holds a different change under this name; was this kiosk's database restored from a backup?"
		return res, true
	}
	res.Status = StatusDuplicate
	return res, true
}

// samePayload compares JSON as the kiosk sent it, ignoring white space.
func samePayload(stored string, sent json.RawMessage) bool {
	var a, b bytes.Buffer
	if json.Compact(&a, []byte(stored)) != nil || json.Compact(&b, sent) != nil {
		return stored == string(sent)
	}
	return bytes.Equal(a.Bytes(), b.Bytes())
}

// apply gathers one new mutation and, if it is acceptable, its effects.
func (p *pushTx) apply(m PushMutation) PushResult {
	res := PushResult{Epoch: m.Epoch, Seq: m.Seq, Status: StatusApplied}
	var mut queue.Mutation
	if reason := p.check(m, &mut); reason != "" {
		res.Status, res.Reason = StatusRejected, reason
	}
	p.mutations = append(p.mutations, []any{p.k.ID, m.Epoch, m.Seq, p.k.Site, m.Kind, stamp(m.At), m.HLC, stamp(p.now),
		res.Status, res.Reason, string(m.Payload)})
	if res.Status != StatusApplied {
		return res
	}
	if m.Kind == queue.KindIncident {
		// A report for the centre's records, not a visit: no record for
		// the site's kiosks, nothing to screen.
		p.incidents = append(p.incidents, incidentRow{epoch: m.Epoch, summary: *mut.Incident})
		return res
	}
	if mut.Visit == nil {
		return res
	}
	v := *mut.Visit
	key := fmt.Sprintf("%s/%d/%d", p.k.ID, m.Epoch, v.ID)
	p.writes = append(p.writes, RecordWrite{Entity: queue.EntityVisit, Key: key,
		Data: queue.SiteVisit{Kiosk: p.k.ID, HLC: m.HLC, Visit: v, Left: v.LeftAt}})
	if m.Kind == queue.KindCheckIn {
		p.checkIns = append(p.checkIns, checkIn{epoch: m.Epoch, hlc: m.HLC, key: key, visit: v, name: queue.NormalizeName(v.Name)})
	}
	return res
}

// finish writes what the batch gathered: the mutations, the arrivals,
// the alerts screening finds, the incident summaries and the record
// writes.
func (p *pushTx) finish(ctx context.Context) error {
	// The site's row first: pushes of one site take turns from here, so
	// two kiosks' check-ins of the same person see each other's arrival,
	// and screening reads a watch-list no import is half-way through.
	if _, err := p.tx.ExecContext(ctx, p.c.q("SELECT id FROM sites WHERE id = ?"+p.c.forUpdate()), p.k.Site); err != nil {
		return fmt.Errorf("lock site: %w", err)
	}
	// A mutation rejected before and judged again replaces its row.
	err := p.c.insertRows(ctx, p.tx, `INSERT INTO mutations (kiosk_id, epoch, seq, site_id, kind, kiosk_at, hlc, received_at, status, reason, payload) VALUES `,
		p.mutations, ` ON CONFLICT (kiosk_id, epoch, seq) DO UPDATE SET status = excluded.status, reason = excluded.reason,
			received_at = excluded.received_at, payload = excluded.payload, kind = excluded.kind, hlc = excluded.hlc, kiosk_at = excluded.kiosk_at
			WHERE mutations.status = 'rejected'`)
	if err != nil {
		return fmt.Errorf("record mutations: %w", err)
	}
	if len(p.checkIns) > 0 {
		if err := p.screen(ctx); err != nil {
			return err
		}
	}
	if err := p.storeIncidents(ctx); err != nil {
		return err
	}
	_, err = p.c.writeRecords(ctx, p.tx, p.k.Site, p.writes)
	return err
}

// check returns why a mutation cannot be applied, or "".
func (p *pushTx) check(m PushMutation, mut *queue.Mutation) string {
	if !knownKinds[m.Kind] {
		return fmt.Sprintf("unknown kind %q", m.Kind)
	}
	if err := json.Unmarshal(m.Payload, mut); err != nil {
		return "payload is not a mutation: " + err.Error()
	}
	switch {
	case mut.Kiosk != p.k.ID:
		return fmt.Sprintf("payload names kiosk %q, not %q", mut.Kiosk, p.k.ID)
	case mut.Kind != m.Kind:
		return fmt.Sprintf("payload kind %q differs from %q", mut.Kind, m.Kind)
	case mut.Epoch != m.Epoch:
		return fmt.Sprintf("payload epoch %d differs from %d", mut.Epoch, m.Epoch)
	}
	switch m.Kind {
	case queue.KindDeskOpen, queue.KindDeskClose:
		return ""
	case queue.KindIncident:
		return checkIncident(mut.Incident)
	}
	switch {
	case mut.Visit == nil || mut.Visit.ID <= 0:
		return "a visit change without its visit"
	case m.Kind == queue.KindCheckOut && mut.Visit.LeftAt.IsZero():
		return "a check-out without the time the visitor left"
	}
	return ""
}

// screen runs the centre's checks on the batch's check-ins: the same
// person at another kiosk of the site, a cancelled or unknown invitation,
// and the site's current watch-list (which may be newer than the kiosk's
// copy). Each finding becomes an alert record that the site's kiosks pull.
func (p *pushTx) screen(ctx context.Context) error {
	c, tx := p.c, p.tx
	rows := make([][]any, len(p.checkIns))
	names := make([]any, 0, len(p.checkIns))
	seen := make(map[string]bool)
	for i, ci := range p.checkIns {
		rows[i] = []any{p.k.Site, ci.name, p.k.ID, ci.epoch, ci.visit.ID, ci.visit.Ticket, stamp(ci.visit.CheckedInAt)}
		if !seen[ci.name] {
			seen[ci.name] = true
			names = append(names, ci.name)
		}
	}
	err := c.insertRows(ctx, tx, `INSERT INTO arrivals (site_id, norm_name, kiosk_id, epoch, visit_id, ticket, checked_in_at) VALUES `,
		rows, " ON CONFLICT DO NOTHING")
	if err != nil {
		return fmt.Errorf("arrivals: %w", err)
	}
	others, err := p.arrivalsElsewhere(ctx, names)
	if err != nil {
		return err
	}
	watch, err := p.watchList(ctx)
	if err != nil {
		return err
	}
	for _, ci := range p.checkIns {
		v := ci.visit
		for _, o := range others[ci.name] {
			if d := o.at.Sub(v.CheckedInAt); d > DuplicateWindow || d < -DuplicateWindow {
				continue
			}
			msg := fmt.Sprintf("%s checked in twice: %s at kiosk %s and %s at kiosk %s. Both records are kept; please check which is right.",
				v.Name, o.ticket, o.kiosk, v.Ticket, p.k.ID)
			p.alert(fmt.Sprintf("duplicate/%s/%d/%d", o.kiosk, o.epoch, o.visit), queue.Alert{Kind: queue.AlertDuplicate, Kiosk: o.kiosk, Epoch: o.epoch, Visit: o.visit, Ticket: o.ticket, Message: msg})
			p.alert("duplicate/"+ci.key, queue.Alert{Kind: queue.AlertDuplicate, Kiosk: p.k.ID, Epoch: ci.epoch, Visit: v.ID, Ticket: v.Ticket, Message: msg})
		}
		if v.Invite != "" {
			if err := p.screenInvite(ctx, ci); err != nil {
				return err
			}
		}
		for _, w := range watch {
			if queue.NormalizeName(w.Name) != ci.name {
				continue
			}
			msg := fmt.Sprintf("Watch-list (%s): %s checked in as %s at kiosk %s.", w.Action, v.Name, v.Ticket, p.k.ID)
			if w.Note != "" {
				msg += " " + w.Note
			}
			p.alert("watch/"+ci.key, queue.Alert{Kind: queue.AlertWatch, Kiosk: p.k.ID, Epoch: ci.epoch, Visit: v.ID, Ticket: v.Ticket, Message: msg})
		}
	}
	return nil
}

// arrival is a check-in at another kiosk of the site.
type arrival struct {
	kiosk        string
	epoch, visit int64
	ticket       string
	at           time.Time
}

// arrivalsElsewhere finds check-ins at the site's other kiosks under any
// of names, by name.
func (p *pushTx) arrivalsElsewhere(ctx context.Context, names []any) (map[string][]arrival, error) {
	out := make(map[string][]arrival)
	for chunk := range slices.Chunk(names, 500) {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")
		args := append([]any{p.k.Site, p.k.ID}, chunk...)
		rows, err := p.tx.QueryContext(ctx, p.c.q(`SELECT norm_name, kiosk_id, epoch, visit_id, ticket, checked_in_at FROM arrivals
			WHERE site_id = ? AND kiosk_id <> ? AND norm_name IN (`+marks+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("find duplicates: %w", err)
		}
		for rows.Next() {
			var a arrival
			var name, at string
			if err := rows.Scan(&name, &a.kiosk, &a.epoch, &a.visit, &a.ticket, &at); err != nil {
				rows.Close()
				return nil, fmt.Errorf("find duplicates: %w", err)
			}
			if a.at, err = parseStamp(at); err != nil {
				rows.Close()
				return nil, fmt.Errorf("find duplicates: %w", err)
			}
			out[name] = append(out[name], a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("find duplicates: %w", err)
		}
	}
	return out, nil
}

// screenInvite alerts staff to a check-in with an invitation the centre
// does not know or has cancelled. The check-in stands either way.
func (p *pushTx) screenInvite(ctx context.Context, ci checkIn) error {
	v := ci.visit
	data, ok, err := p.c.record(ctx, p.tx, p.k.Site, queue.EntityPreReg, v.Invite)
	if err != nil {
		return err
	}
	var pre queue.PreRegistration
	switch {
	case !ok:
		p.alert("invite/"+ci.key, queue.Alert{Kind: queue.AlertUnknownCode, Kiosk: p.k.ID, Epoch: ci.epoch, Visit: v.ID, Ticket: v.Ticket,
			Message: fmt.Sprintf("%s (%s) checked in with invite %s, which the centre does not know.", v.Name, v.Ticket, v.Invite)})
	case json.Unmarshal(data, &pre) == nil && pre.Cancelled:
		p.alert("invite/"+ci.key, queue.Alert{Kind: queue.AlertPreRegGone, Kiosk: p.k.ID, Epoch: ci.epoch, Visit: v.ID, Ticket: v.Ticket,
			Message: fmt.Sprintf("%s (%s) checked in with invite %s, which was cancelled. The check-in stands: they are in the building.", v.Name, v.Ticket, v.Invite)})
	}
	return nil
}

// watchList reads the site's current watch-list.
func (p *pushTx) watchList(ctx context.Context) ([]queue.WatchEntry, error) {
	rows, err := p.tx.QueryContext(ctx, p.c.q("SELECT data FROM records WHERE site_id = ? AND entity = ? AND NOT deleted"), p.k.Site, queue.EntityWatch)
	if err != nil {
		return nil, fmt.Errorf("read watch-list: %w", err)
	}
	defer rows.Close()
	var out []queue.WatchEntry
	for rows.Next() {
		var data string
		var w queue.WatchEntry
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("read watch-list: %w", err)
		}
		if json.Unmarshal([]byte(data), &w) == nil {
			out = append(out, w)
		}
	}
	return out, rows.Err()
}

func (p *pushTx) alert(key string, a queue.Alert) {
	a.At = p.now.UTC()
	p.writes = append(p.writes, RecordWrite{Entity: queue.EntityAlert, Key: key, Data: a})
}

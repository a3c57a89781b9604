package syncer

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
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
	queue.KindDeskOpen: true, queue.KindDeskClose: true,
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
		applied := 0
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
					resp.Results[i] = prev
					continue
				}
				res, err := p.apply(ctx, m)
				if err != nil {
					return err
				}
				resp.Results[i] = res
				if res.Status == StatusApplied {
					applied++
				}
			}
			last := req.Mutations[ms[len(ms)-1]].Seq
			_, err = tx.ExecContext(ctx, c.q("UPDATE progress SET last_seq = ? WHERE kiosk_id = ? AND epoch = ? AND last_seq < ?"),
				last, k.ID, epoch, last)
			if err != nil {
				return fmt.Errorf("progress: %w", err)
			}
		}
		if _, err := p.flush(ctx); err != nil {
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

// pushTx is one push transaction: the kiosk, the clock, and the record
// writes gathered to take their versions together at the end.
type pushTx struct {
	c      *Central
	tx     *sql.Tx
	k      Kiosk
	now    time.Time
	writes []RecordWrite
	watch  []queue.WatchEntry // the site's watch-list, read once per batch
	loaded bool
}

// lockProgress locks the kiosk's progress row for this epoch, so a replay
// racing on another instance waits and then sees this batch as duplicates,
// and returns the earlier answers for sequence numbers in [from, to].
func (p *pushTx) lockProgress(ctx context.Context, epoch, from, to int64) (map[int64]PushResult, error) {
	c, tx := p.c, p.tx
	_, err := tx.ExecContext(ctx, c.q("INSERT INTO progress (kiosk_id, epoch, last_seq) VALUES (?, ?, 0) ON CONFLICT DO NOTHING"), p.k.ID, epoch)
	if err != nil {
		return nil, fmt.Errorf("progress: %w", err)
	}
	var last int64
	if err := tx.QueryRowContext(ctx, c.q("SELECT last_seq FROM progress WHERE kiosk_id = ? AND epoch = ?"+c.forUpdate()), p.k.ID, epoch).Scan(&last); err != nil {
		return nil, fmt.Errorf("progress: %w", err)
	}
	seen := make(map[int64]PushResult)
	if from > last {
		return seen, nil // all new: the common case needs no lookup
	}
	rows, err := tx.QueryContext(ctx, c.q(`SELECT seq, status, reason FROM mutations
		WHERE kiosk_id = ? AND epoch = ? AND seq >= ? AND seq <= ?`), p.k.ID, epoch, from, to)
	if err != nil {
		return nil, fmt.Errorf("earlier answers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := PushResult{Epoch: epoch}
		if err := rows.Scan(&r.Seq, &r.Status, &r.Reason); err != nil {
			return nil, fmt.Errorf("earlier answers: %w", err)
		}
		if r.Status == StatusApplied {
			r.Status = StatusDuplicate
		}
		seen[r.Seq] = r
	}
	return seen, rows.Err()
}

// apply records one new mutation and, if it is acceptable, its effects.
func (p *pushTx) apply(ctx context.Context, m PushMutation) (PushResult, error) {
	res := PushResult{Epoch: m.Epoch, Seq: m.Seq, Status: StatusApplied}
	var mut queue.Mutation
	if reason := p.check(m, &mut); reason != "" {
		res.Status, res.Reason = StatusRejected, reason
	}
	_, err := p.tx.ExecContext(ctx, p.c.q(`INSERT INTO mutations (kiosk_id, epoch, seq, site_id, kind, kiosk_at, hlc, received_at, status, reason, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		p.k.ID, m.Epoch, m.Seq, p.k.Site, m.Kind, stamp(m.At), m.HLC, stamp(p.now), res.Status, res.Reason, string(m.Payload))
	if err != nil {
		return res, fmt.Errorf("record mutation %d/%d: %w", m.Epoch, m.Seq, err)
	}
	if res.Status != StatusApplied || mut.Visit == nil {
		return res, nil
	}
	v := *mut.Visit
	key := fmt.Sprintf("%s/%d/%d", p.k.ID, m.Epoch, v.ID)
	p.writes = append(p.writes, RecordWrite{Entity: queue.EntityVisit, Key: key,
		Data: queue.SiteVisit{Kiosk: p.k.ID, HLC: m.HLC, Visit: v}})
	if m.Kind == queue.KindCheckIn {
		if err := p.screen(ctx, m, v, key); err != nil {
			return res, err
		}
	}
	return res, nil
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
	case m.Kind != queue.KindDeskOpen && m.Kind != queue.KindDeskClose && (mut.Visit == nil || mut.Visit.ID <= 0):
		return "a visit change without its visit"
	}
	return ""
}

// screen runs the centre's checks on a check-in: the same person at
// another kiosk of the site, a cancelled or unknown invitation, and the
// site's current watch-list (which may be newer than the kiosk's copy).
// Each finding becomes an alert record that the site's kiosks pull.
func (p *pushTx) screen(ctx context.Context, m PushMutation, v queue.Visit, key string) error {
	c, tx := p.c, p.tx
	name := queue.NormalizeName(v.Name)
	in := v.CheckedInAt.UTC()
	_, err := tx.ExecContext(ctx, c.q(`INSERT INTO arrivals (site_id, norm_name, kiosk_id, epoch, visit_id, ticket, checked_in_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`), p.k.Site, name, p.k.ID, m.Epoch, v.ID, v.Ticket, stamp(in))
	if err != nil {
		return fmt.Errorf("arrival: %w", err)
	}
	rows, err := tx.QueryContext(ctx, c.q(`SELECT kiosk_id, epoch, visit_id, ticket FROM arrivals
		WHERE site_id = ? AND norm_name = ? AND kiosk_id <> ? AND checked_in_at >= ? AND checked_in_at <= ?`),
		p.k.Site, name, p.k.ID, stamp(in.Add(-DuplicateWindow)), stamp(in.Add(DuplicateWindow)))
	if err != nil {
		return fmt.Errorf("find duplicates: %w", err)
	}
	type other struct {
		kiosk        string
		epoch, visit int64
		ticket       string
	}
	var others []other
	for rows.Next() {
		var o other
		if err := rows.Scan(&o.kiosk, &o.epoch, &o.visit, &o.ticket); err != nil {
			rows.Close()
			return fmt.Errorf("find duplicates: %w", err)
		}
		others = append(others, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find duplicates: %w", err)
	}
	for _, o := range others {
		msg := fmt.Sprintf("%s checked in twice: %s at kiosk %s and %s at kiosk %s. Both records are kept; please check which is right.",
			v.Name, o.ticket, o.kiosk, v.Ticket, p.k.ID)
		p.alert(fmt.Sprintf("duplicate/%s/%d/%d", o.kiosk, o.epoch, o.visit), queue.Alert{Kind: queue.AlertDuplicate, Kiosk: o.kiosk, Visit: o.visit, Ticket: o.ticket, Message: msg})
		p.alert(fmt.Sprintf("duplicate/%s", key), queue.Alert{Kind: queue.AlertDuplicate, Kiosk: p.k.ID, Visit: v.ID, Ticket: v.Ticket, Message: msg})
	}
	if v.Invite != "" {
		data, ok, err := c.record(ctx, tx, p.k.Site, queue.EntityPreReg, v.Invite)
		if err != nil {
			return err
		}
		var pre queue.PreRegistration
		switch {
		case !ok:
			p.alert("invite/"+key, queue.Alert{Kind: queue.AlertUnknownCode, Kiosk: p.k.ID, Visit: v.ID, Ticket: v.Ticket,
				Message: fmt.Sprintf("%s (%s) checked in with invite %s, which the centre does not know.", v.Name, v.Ticket, v.Invite)})
		case json.Unmarshal(data, &pre) == nil && pre.Cancelled:
			p.alert("invite/"+key, queue.Alert{Kind: queue.AlertPreRegGone, Kiosk: p.k.ID, Visit: v.ID, Ticket: v.Ticket,
				Message: fmt.Sprintf("%s (%s) checked in with invite %s, which was cancelled. The check-in stands: they are in the building.", v.Name, v.Ticket, v.Invite)})
		}
	}
	if err := p.loadWatch(ctx); err != nil {
		return err
	}
	for _, w := range p.watch {
		if queue.NormalizeName(w.Name) != name {
			continue
		}
		msg := fmt.Sprintf("Watch-list (%s): %s checked in as %s at kiosk %s.", w.Action, v.Name, v.Ticket, p.k.ID)
		if w.Note != "" {
			msg += " " + w.Note
		}
		p.alert("watch/"+key, queue.Alert{Kind: queue.AlertWatch, Kiosk: p.k.ID, Visit: v.ID, Ticket: v.Ticket, Message: msg})
	}
	return nil
}

func (p *pushTx) loadWatch(ctx context.Context) error {
	if p.loaded {
		return nil
	}
	p.loaded = true
	rows, err := p.tx.QueryContext(ctx, p.c.q("SELECT data FROM records WHERE site_id = ? AND entity = ? AND NOT deleted"), p.k.Site, queue.EntityWatch)
	if err != nil {
		return fmt.Errorf("read watch-list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var data string
		var w queue.WatchEntry
		if err := rows.Scan(&data); err != nil {
			return fmt.Errorf("read watch-list: %w", err)
		}
		if json.Unmarshal([]byte(data), &w) == nil {
			p.watch = append(p.watch, w)
		}
	}
	return rows.Err()
}

func (p *pushTx) alert(key string, a queue.Alert) {
	a.At = p.now.UTC()
	p.writes = append(p.writes, RecordWrite{Entity: queue.EntityAlert, Key: key, Data: a})
}

// flush writes the gathered records under the site's version counter.
func (p *pushTx) flush(ctx context.Context) (int64, error) {
	return p.c.writeRecords(ctx, p.tx, p.k.Site, p.writes)
}

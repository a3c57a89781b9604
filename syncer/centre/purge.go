package centre

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/siteconfig"
)

// Purged is what a purge of one site erased.
type Purged struct {
	Site   string
	Cutoff time.Time // visits checked in before this, and alerts raised before it, lost their personal data
	// Visits and Alerts are records that became tombstones: kiosks that
	// hold a copy drop it, and no snapshot sends it again.
	Visits, Alerts int
	Arrivals       int // check-ins whose name was emptied
	Mutations      int // mutation payloads that lost the visitor's personal fields
	Audit          int // audit entries received more than AuditRetention ago, deleted
}

// purgeBatch is how many mutation payloads one transaction anonymises.
const purgeBatch = 1000

// Purge erases visitors' personal data past each site's retention (the
// site configuration's jobs.retention_days, else queue.DefaultRetention),
// with the rule kiosks apply (queue.Visit.Purgeable, Alert.Anonymous,
// AnonymousMutation).
func (s *Service) Purge(ctx context.Context) ([]Purged, error) {
	sites, err := s.store.Sites(ctx)
	if err != nil {
		return nil, fmt.Errorf("purge: %w", err)
	}
	out := make([]Purged, 0, len(sites))
	for _, site := range sites {
		p, err := s.PurgeSite(ctx, site.ID)
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// PurgeSite erases one site's personal data older than its retention:
//   - a visit record checked in before the cut-off and over, and an alert
//     raised before it (its message names the visitor), become tombstones
//     at new versions, so kiosks holding a copy drop it and snapshots,
//     which send live records only, never bring it back;
//   - check-ins (arrivals) lose their names;
//   - mutation payloads lose the visitor's personal fields, keeping kind,
//     times, service and figures for statistics; the hash of the payload as
//     received stays, so a replay is still answered "duplicate";
//   - audit entries received more than AuditRetention ago are deleted:
//     they name staff, not visitors, and keep a year whatever the site's
//     retention.
//
// Incident summaries hold no personal data and stay as they are.
func (s *Service) PurgeSite(ctx context.Context, site string) (Purged, error) {
	p := Purged{Site: site}
	err := s.store.Update(ctx, func(tx Ops) error {
		if err := lockSite(ctx, tx, site); err != nil {
			return err
		}
		var err error
		if p.Cutoff, err = s.cutoff(ctx, tx, site); err != nil {
			return err
		}
		visits, err := tombstonesOf(ctx, tx, site, queue.EntityVisit, func(_ string, sv queue.SiteVisit) bool { return sv.Visit.Purgeable(p.Cutoff) })
		if err != nil {
			return err
		}
		alerts, err := tombstonesOf(ctx, tx, site, queue.EntityAlert, func(_ string, a queue.Alert) bool { return a.At.Before(p.Cutoff) })
		if err != nil {
			return err
		}
		p.Visits, p.Alerts = len(visits), len(alerts)
		writes := slices.Concat(visits, alerts)
		if _, err := s.writeRecords(ctx, tx, site, writes); err != nil {
			return err
		}
		if p.Arrivals, err = tx.PurgeArrivals(ctx, site, p.Cutoff); err != nil {
			return err
		}
		p.Audit, err = tx.PurgeAudit(ctx, site, s.now().Add(-AuditRetention))
		return err
	})
	if err != nil {
		return Purged{}, fmt.Errorf("purge %s: %w", site, err)
	}
	for {
		n, err := s.purgeMutations(ctx, site, p.Cutoff)
		if err != nil {
			return Purged{}, fmt.Errorf("purge %s: mutations: %w", site, err)
		}
		p.Mutations += n
		if n < purgeBatch {
			return p, nil
		}
	}
}

// purgeMutations anonymises up to purgeBatch mutation payloads of a site
// from before cutoff, in one transaction, hashing first a payload stored
// before hashes were (as the prune does), and returns how many.
func (s *Service) purgeMutations(ctx context.Context, site string, cutoff time.Time) (int, error) {
	var n int
	err := s.store.Update(ctx, func(tx Ops) error {
		ms, err := tx.UnpurgedMutations(ctx, site, cutoff, purgeBatch)
		if err != nil {
			return err
		}
		for i, m := range ms {
			if ms[i], err = anonymous(m); err != nil {
				return err
			}
		}
		n = len(ms)
		return tx.PurgeMutations(ctx, ms, s.now())
	})
	return n, err
}

// lockSite takes a site's row, as every writer of its records does
// first; ErrNotFound if there is no such site.
func lockSite(ctx context.Context, tx Ops, site string) error {
	found, err := tx.LockSite(ctx, site)
	if err == nil && !found {
		err = ErrNotFound
	}
	return err
}

// tombstonesOf are tombstones for a site's live records of one entity
// that match, read as T; a record that cannot be read does not match.
func tombstonesOf[T any](ctx context.Context, tx Ops, site, entity string, match func(key string, v T) bool) ([]RecordWrite, error) {
	recs, err := tx.Records(ctx, site, entity)
	if err != nil {
		return nil, err
	}
	var out []RecordWrite
	for _, r := range recs {
		var v T
		if json.Unmarshal(r.Data, &v) == nil && match(r.Key, v) {
			out = append(out, RecordWrite{Entity: entity, Key: r.Key, Delete: true})
		}
	}
	return out, nil
}

// anonymous is a stored mutation without the visitor's personal data,
// with the hash of its payload as received: a payload stored before
// hashes were is hashed first, as the prune does. A pruned one has
// nothing left to take out.
func anonymous(m StoredMutation) (StoredMutation, error) {
	if m.Payload == "" {
		return m, nil
	}
	if m.Hash == "" {
		m.Hash = PayloadHash([]byte(m.Payload))
	}
	var err error
	m.Payload, err = queue.AnonymousMutation([]byte(m.Payload))
	return m, err
}

// cutoff is when a site's retention began: now less the site
// configuration's jobs.retention_days, or queue.DefaultRetention.
func (s *Service) cutoff(ctx context.Context, tx Ops, site string) (time.Time, error) {
	retention := queue.DefaultRetention
	data, ok, err := tx.Record(ctx, site, siteconfig.Entity, siteconfig.Key)
	if err != nil {
		return time.Time{}, fmt.Errorf("retention: %w", err)
	}
	if ok {
		rec, err := siteconfig.DecodeRecord(data)
		if err != nil {
			return time.Time{}, fmt.Errorf("retention: stored %w", err)
		}
		retention = rec.Retention()
	}
	return s.now().Add(-retention), nil
}

// purgeLate makes the batch's writes of visits that are already past the
// site's retention (a kiosk that was offline longer than it, a backup
// restored) tombstones, with the alerts about them, so a late change
// never brings a purged person back. The shortest retention is a day, so
// a batch of younger visits, the common case, reads nothing.
func (p *pushTx) purgeLate(ctx context.Context) error {
	young := p.now.Add(-24 * time.Hour)
	old := false
	for _, w := range p.writes {
		if sv, ok := w.Data.(queue.SiteVisit); ok && w.Entity == queue.EntityVisit && sv.Visit.CheckedInAt.Before(young) {
			old = true
			break
		}
	}
	if !old {
		return nil
	}
	cutoff, err := p.s.cutoff(ctx, p.tx, p.k.Site)
	if err != nil {
		return err
	}
	purged := map[string]bool{}
	for i, w := range p.writes {
		if sv, ok := w.Data.(queue.SiteVisit); ok && w.Entity == queue.EntityVisit && sv.Visit.Purgeable(cutoff) {
			p.writes[i] = RecordWrite{Entity: w.Entity, Key: w.Key, Delete: true}
			purged[w.Key] = true
		}
	}
	for i, w := range p.writes {
		if a, ok := w.Data.(queue.Alert); ok && w.Entity == queue.EntityAlert && purged[fmt.Sprintf("%s/%d/%d", a.Kiosk, a.Epoch, a.Visit)] {
			p.writes[i] = RecordWrite{Entity: w.Entity, Key: w.Key, Delete: true}
		}
	}
	return nil
}

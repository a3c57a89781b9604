package centre

import (
	"context"
	"encoding/json"
	"fmt"

	"lobbyline/queue"
	"lobbyline/syncer/wire"
)

// KioskVisits is a page of kiosk k's own visit records as the centre
// holds them now (protocol 5, wire.CentreCopy), for the recovery of its
// damaged database: never another kiosk's, never another site's; live
// records only, so a purged visit (a tombstone) never goes back, nor one
// already past the site's retention that the purge has not reached yet.
func (s *Service) KioskVisits(ctx context.Context, k Kiosk, after int64, limit int) (wire.VisitsPage, error) {
	if limit <= 0 || limit > wire.MaxVisitsPage {
		limit = wire.MaxVisitsPage
	}
	page := wire.VisitsPage{Records: []wire.Record{}, Cursor: after, Now: s.now().UTC()}
	err := s.store.View(ctx, func(tx Ops) error {
		cutoff, err := s.cutoff(ctx, tx, k.Site)
		if err != nil {
			return err
		}
		recs, err := tx.KioskRecords(ctx, k.Site, queue.EntityVisit, k.ID+"/", after, limit+1)
		if err != nil {
			return err
		}
		if len(recs) > limit {
			recs, page.More = recs[:limit], true
		}
		for _, r := range recs {
			page.Cursor = r.Version
			var sv queue.SiteVisit
			if json.Unmarshal(r.Data, &sv) != nil || sv.Kiosk != k.ID || sv.Visit.Purgeable(cutoff) {
				continue
			}
			page.Records = append(page.Records, r)
		}
		return nil
	})
	if err != nil {
		return wire.VisitsPage{}, fmt.Errorf("visits of %s: %w", k.ID, err)
	}
	return page, nil
}

// VisitOrigins are where kiosks' recoveries of a site took visits from.
func (s *Service) VisitOrigins(ctx context.Context, site string) ([]VisitOrigin, error) {
	out, err := s.store.VisitOrigins(ctx, site)
	if err != nil {
		return nil, fmt.Errorf("visit origins of %s: %w", site, err)
	}
	return out, nil
}

// KioskVisitsAll is every page of KioskVisits, decoded: the embedded
// centre's copy, read in the kiosk's own process.
func KioskVisitsAll(ctx context.Context, s *Service, k Kiosk) ([]queue.SiteVisit, error) {
	var out []queue.SiteVisit
	after := int64(0)
	for {
		page, err := s.KioskVisits(ctx, k, after, wire.MaxVisitsPage)
		if err != nil {
			return nil, err
		}
		for _, r := range page.Records {
			var sv queue.SiteVisit
			if err := json.Unmarshal(r.Data, &sv); err != nil {
				return nil, fmt.Errorf("visit %s: %w", r.Key, err)
			}
			out = append(out, sv)
		}
		if !page.More || page.Cursor <= after {
			return out, nil
		}
		after = page.Cursor
	}
}

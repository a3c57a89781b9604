package centre

import (
	"context"
	"errors"
	"fmt"

	"lobbyline/queue/siteconfig"
)

// ErrSiteConfig: a site configuration the centre refuses; the error names
// the key and the reason, and nothing was stored.
var ErrSiteConfig = errors.New("centre: site configuration refused")

// SiteConfig is the site's current configuration; ok is false if none
// was ever set.
func (s *Service) SiteConfig(ctx context.Context, site string) (rec siteconfig.Record, ok bool, err error) {
	data, ok, err := s.store.Record(ctx, site, siteconfig.Entity, siteconfig.Key)
	if err != nil || !ok {
		return siteconfig.Record{}, false, err
	}
	if rec, err = siteconfig.DecodeRecord(data); err != nil {
		return siteconfig.Record{}, false, fmt.Errorf("stored %w", err)
	}
	return rec, true, nil
}

// SetSiteConfig stores next's document as the site's next configuration
// version, set by by. next gets the current version (ok false if there is
// none) and returns the new document, which is checked with the rules
// every kiosk applies. It all happens in one transaction that first takes
// the site's row: two at once for one site get versions one after the
// other, each made from the one before. A document next or the rules
// refuse is ErrSiteConfig with the reason, and nothing is stored; a site
// that does not exist is ErrNotFound.
func (s *Service) SetSiteConfig(ctx context.Context, site, by string, next func(cur siteconfig.Record, ok bool) (siteconfig.Document, error)) (siteconfig.Record, error) {
	var rec siteconfig.Record
	err := s.store.Update(ctx, func(tx Ops) error {
		found, err := tx.LockSite(ctx, site)
		switch {
		case err != nil:
			return err
		case !found:
			return ErrNotFound
		}
		var cur siteconfig.Record
		data, ok, err := tx.Record(ctx, site, siteconfig.Entity, siteconfig.Key)
		if err != nil {
			return err
		}
		if ok {
			if cur, err = siteconfig.DecodeRecord(data); err != nil {
				return fmt.Errorf("stored %w", err)
			}
		}
		doc, err := next(cur, ok)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrSiteConfig, err)
		}
		if err := doc.Validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrSiteConfig, err)
		}
		rec = siteconfig.Record{Version: cur.Version + 1, SetAt: s.now().UTC(), SetBy: by, Document: doc}
		_, err = s.writeRecords(ctx, tx, site, []RecordWrite{{Entity: siteconfig.Entity, Key: siteconfig.Key, Data: rec}})
		return err
	})
	if err != nil {
		return siteconfig.Record{}, fmt.Errorf("set site %s configuration: %w", site, err)
	}
	return rec, nil
}

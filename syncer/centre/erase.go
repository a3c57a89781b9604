package centre

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"lobbyline/queue"
)

// Erased is what erasing one person at a site found and erased.
type Erased struct {
	Visits    int // visit records that became tombstones
	Alerts    int // alert records that became tombstones
	PreRegs   int // pre-registrations under the name that became tombstones
	Arrivals  int // check-ins whose name was emptied
	Mutations int // mutation payloads that lost the person's personal fields
	Kiosks    int // kiosk databases sent an erasure for their own copy
}

// Erase forgets one person at a site on request, now, whatever the
// retention: every visit under the name (compared as the watch-list
// compares names) and every alert about one of them or naming them
// becomes a tombstone, as do pre-registrations under the name; their
// check-ins lose the name; and mutation payloads that carry one of them
// lose the personal fields, keeping their hashes. Each kiosk database
// that checked the person in gets an Erasure record, which it applies to
// its own tables when it next pulls. The watch-list is left alone: it is
// IT's list, changed by importing it.
func (s *Service) Erase(ctx context.Context, site, name string) (Erased, error) {
	norm := queue.NormalizeName(name)
	if norm == "" {
		return Erased{}, errors.New("erase: a name is required")
	}
	var e Erased
	err := s.store.Update(ctx, func(tx Ops) error {
		found, err := tx.LockSite(ctx, site)
		if err != nil || !found {
			if err == nil {
				err = ErrNotFound
			}
			return err
		}
		var writes []RecordWrite
		visits, err := tx.Records(ctx, site, queue.EntityVisit)
		if err != nil {
			return err
		}
		erasures := map[string]*queue.Erasure{} // by kiosk/epoch
		keys := map[string]bool{}
		for _, r := range visits {
			var sv queue.SiteVisit
			if json.Unmarshal(r.Data, &sv) != nil || queue.NormalizeName(sv.Visit.Name) != norm {
				continue
			}
			writes = append(writes, RecordWrite{Entity: queue.EntityVisit, Key: r.Key, Delete: true})
			keys[r.Key] = true
			e.Visits++
			// The key is kiosk/epoch/id: the epoch the visit was checked in under.
			parts := strings.Split(r.Key, "/")
			if len(parts) != 3 {
				continue
			}
			epoch, err := strconv.ParseInt(parts[1], 10, 64)
			if err != nil {
				continue
			}
			at := parts[0] + "/" + parts[1]
			if erasures[at] == nil {
				erasures[at] = &queue.Erasure{Kiosk: parts[0], Epoch: epoch, At: s.now().UTC()}
			}
			erasures[at].Visits = append(erasures[at].Visits, sv.Visit.ID)
		}
		alerts, err := tx.Records(ctx, site, queue.EntityAlert)
		if err != nil {
			return err
		}
		for _, r := range alerts {
			var a queue.Alert
			if json.Unmarshal(r.Data, &a) != nil {
				continue
			}
			if keys[fmt.Sprintf("%s/%d/%d", a.Kiosk, a.Epoch, a.Visit)] || strings.Contains(" "+queue.NormalizeName(a.Message)+" ", " "+norm+" ") {
				writes = append(writes, RecordWrite{Entity: queue.EntityAlert, Key: r.Key, Delete: true})
				e.Alerts++
			}
		}
		preregs, err := tx.Records(ctx, site, queue.EntityPreReg)
		if err != nil {
			return err
		}
		for _, r := range preregs {
			var p queue.PreRegistration
			if json.Unmarshal(r.Data, &p) == nil && queue.NormalizeName(p.Name) == norm {
				writes = append(writes, RecordWrite{Entity: queue.EntityPreReg, Key: r.Key, Delete: true})
				e.PreRegs++
			}
		}
		for _, at := range slices.Sorted(maps.Keys(erasures)) {
			writes = append(writes, RecordWrite{Entity: queue.EntityErasure, Key: at + "/" + strings.ToLower(rand.Text()[:10]), Data: erasures[at]})
			e.Kiosks++
		}
		if _, err := s.writeRecords(ctx, tx, site, writes); err != nil {
			return err
		}
		e.Arrivals, err = tx.EraseArrivals(ctx, site, norm)
		return err
	})
	if err != nil {
		return Erased{}, fmt.Errorf("erase at %s: %w", site, err)
	}
	var after StoredMutation
	for {
		var n int
		err := s.store.Update(ctx, func(tx Ops) error {
			ms, err := tx.MutationsAfter(ctx, site, after, purgeBatch)
			if err != nil || len(ms) == 0 {
				return err
			}
			n, after = len(ms), ms[len(ms)-1]
			var hit []StoredMutation
			for _, m := range ms {
				if !namesPerson(m.Payload, norm) {
					continue
				}
				if m, err = anonymous(m); err != nil {
					return err
				}
				hit = append(hit, m)
			}
			e.Mutations += len(hit)
			return tx.PurgeMutations(ctx, hit, s.now())
		})
		if err != nil {
			return Erased{}, fmt.Errorf("erase at %s: mutations: %w", site, err)
		}
		if n < purgeBatch {
			return e, nil
		}
	}
}

// namesPerson reports whether a mutation's payload carries a visit (its
// own, or a desk's) under the normalised name.
func namesPerson(payload, norm string) bool {
	var m queue.Mutation
	if json.Unmarshal([]byte(payload), &m) != nil {
		return false
	}
	if m.Visit != nil && queue.NormalizeName(m.Visit.Name) == norm {
		return true
	}
	return m.Desk != nil && m.Desk.Serving != nil && queue.NormalizeName(m.Desk.Serving.Name) == norm
}

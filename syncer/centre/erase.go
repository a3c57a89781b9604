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
// IT's list, changed by importing it. by is who asked for it: the audit
// entry, with counts and never the name, is written with the erasure.
func (s *Service) Erase(ctx context.Context, site, name string, by Actor) (Erased, error) {
	norm := queue.NormalizeName(name)
	if norm == "" {
		return Erased{}, errors.New("erase: a name is required")
	}
	if err := by.check(); err != nil {
		return Erased{}, fmt.Errorf("erase at %s: %w", site, err)
	}
	var e Erased
	err := s.store.Update(ctx, func(tx Ops) error {
		if err := lockSite(ctx, tx, site); err != nil {
			return err
		}
		erasures := map[string]*queue.Erasure{} // by kiosk/epoch
		visits, err := tombstonesOf(ctx, tx, site, queue.EntityVisit, func(key string, sv queue.SiteVisit) bool {
			if queue.NormalizeName(sv.Visit.Name) != norm {
				return false
			}
			// The key is kiosk/epoch/id: the epoch the visit was checked in under.
			if kiosk, rest, ok := strings.Cut(key, "/"); ok {
				at, _, _ := strings.Cut(rest, "/")
				if epoch, err := strconv.ParseInt(at, 10, 64); err == nil {
					group := kiosk + "/" + at
					if erasures[group] == nil {
						erasures[group] = &queue.Erasure{Kiosk: kiosk, Epoch: epoch, At: s.now().UTC()}
					}
					erasures[group].Visits = append(erasures[group].Visits, sv.Visit.ID)
				}
			}
			return true
		})
		if err != nil {
			return err
		}
		erased := map[string]bool{}
		for _, w := range visits {
			erased[w.Key] = true
		}
		alerts, err := tombstonesOf(ctx, tx, site, queue.EntityAlert, func(_ string, a queue.Alert) bool {
			return erased[fmt.Sprintf("%s/%d/%d", a.Kiosk, a.Epoch, a.Visit)] || strings.Contains(" "+queue.NormalizeName(a.Message)+" ", " "+norm+" ")
		})
		if err != nil {
			return err
		}
		preregs, err := tombstonesOf(ctx, tx, site, queue.EntityPreReg, func(_ string, p queue.PreRegistration) bool { return queue.NormalizeName(p.Name) == norm })
		if err != nil {
			return err
		}
		e.Visits, e.Alerts, e.PreRegs = len(visits), len(alerts), len(preregs)
		writes := slices.Concat(visits, alerts, preregs)
		for _, at := range slices.Sorted(maps.Keys(erasures)) {
			writes = append(writes, RecordWrite{Entity: queue.EntityErasure, Key: at + "/" + strings.ToLower(rand.Text()[:10]), Data: erasures[at]})
			e.Kiosks++
		}
		if _, err := s.writeRecords(ctx, tx, site, writes); err != nil {
			return err
		}
		if e.Arrivals, err = tx.EraseArrivals(ctx, site, norm); err != nil {
			return err
		}
		// The audit entry belongs to this transaction, not to the last of
		// the batches below: this one is the erasure (the tombstones, the
		// kiosks' erasure records), and once it commits it cannot be taken
		// back, so its entry commits with it or neither does. The batches
		// only take the name out of stored change payloads; if one fails,
		// the erasure stands, audited, and erasing again finishes them. So
		// the entry counts what this transaction did, never the mutations,
		// and never names the person.
		return s.audit(ctx, tx, site, by.entry(s.now(), ActionErase, fmt.Sprintf(
			"one person: %d visits, %d alerts, %d pre-registrations, %d check-ins; %d kiosk database(s) to erase their copy",
			e.Visits, e.Alerts, e.PreRegs, e.Arrivals, e.Kiosks)))
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
			return Erased{}, fmt.Errorf("erase at %s: the person is erased (and audited), but taking the name out of stored changes stopped; run the erasure again to finish: %w", site, err)
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

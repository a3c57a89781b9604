package centre

import (
	"encoding/json"
	"strings"

	"lobbyline/queue"
	"lobbyline/syncer/wire"
)

// forKiosk keeps of a page of a site's changes what kiosk self needs
// (issue 13 §2). The site has one change log, so this is done per
// kiosk as it pulls, on ordinary pages and snapshots alike, after the
// page's cursor and More were settled on the whole log: a page may come
// out short, or empty, and the kiosk simply asks for the next.
//
//   - The plain watch-list never leaves the centre, tombstones included
//     (their keys are a fast hash of name, date of birth and ID card); the
//     sealed companions go instead.
//   - An alert goes only to the kiosk it is about (Alert.Kiosk; a
//     tombstone, by its key, "kind/kiosk/…").
//   - Another kiosk's visit goes without phone number, host or
//     invitation: a kiosk shows others' waiting visitors by ticket, name
//     and kiosk, and uses nothing else of them.
//
// It filters recs in place.
func forKiosk(self string, recs []wire.Record) []wire.Record {
	out := recs[:0]
	for _, r := range recs {
		switch r.Entity {
		case queue.EntityWatch:
			continue
		case queue.EntityAlert:
			if !alertFor(self, r) {
				continue
			}
		case queue.EntityVisit:
			if !r.Deleted {
				data, ok := queue.SiteVisitFor(r.Data, self)
				if !ok {
					continue
				}
				r.Data = data
			}
		}
		out = append(out, r)
	}
	return out
}

// alertFor says whether an alert record is about kiosk self.
func alertFor(self string, r wire.Record) bool {
	if r.Deleted {
		_, rest, _ := strings.Cut(r.Key, "/")
		kiosk, _, _ := strings.Cut(rest, "/")
		return kiosk == self
	}
	var a queue.Alert
	return json.Unmarshal(r.Data, &a) == nil && a.Kiosk == self
}

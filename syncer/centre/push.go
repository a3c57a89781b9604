package centre

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/hlc"
	"lobbyline/syncer/wire"
)

// Conflict rules, from the issue that asked for them.
const (
	// DuplicateWindow links check-ins of the same name at two kiosks of a
	// site this close together.
	DuplicateWindow = 30 * time.Minute
)

// Push applies a batch from kiosk k in one transaction, together with the
// kiosk's progress. A mutation the centre has seen before, by name, is
// answered "duplicate" (or its earlier rejection again) and not applied;
// a mutation it cannot accept is answered "rejected" with a reason and
// does not stop the ones after it.
func (s *Service) Push(ctx context.Context, k Kiosk, req wire.PushRequest) (wire.PushResponse, error) {
	if req.Kiosk != k.ID {
		return wire.PushResponse{}, fmt.Errorf("%w: token is for kiosk %s, batch names %s", ErrForbidden, k.ID, req.Kiosk)
	}
	for i, m := range req.Mutations {
		if _, err := hlc.Parse(m.HLC); err != nil || m.HLC == "" {
			if err == nil {
				err = errors.New("hlc is empty: every kiosk change carries its clock")
			}
			s.checks.WithLabelValues("refused", "hlc").Inc()
			return wire.PushResponse{}, fmt.Errorf("%w: mutation %d: %v", wire.ErrMalformed, i, err)
		}
	}
	now := s.now()
	resp := wire.PushResponse{Results: make([]wire.PushResult, len(req.Mutations)), Now: now.UTC()}
	err := s.store.Update(ctx, func(tx Ops) error {
		p := &pushTx{s: s, tx: tx, k: k, now: now, sent: req.Sent}
		groups := byEpoch(req.Mutations)
		skips := make(map[int64][]wire.SkipRange)
		for _, r := range req.Skipped {
			skips[r.Epoch] = append(skips[r.Epoch], r)
			if _, ok := groups[r.Epoch]; !ok {
				groups[r.Epoch] = nil
			}
		}
		// Lock progress rows in epoch order so two instances never wait
		// on each other.
		for _, epoch := range slices.Sorted(maps.Keys(groups)) {
			if err := p.pushEpoch(ctx, epoch, groups[epoch], skips[epoch], req.Mutations, resp.Results); err != nil {
				return err
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
		return tx.NoteKiosk(ctx, k.ID, now, backlog, time.Duration(skew)*time.Millisecond, k.Software, k.Config)
	})
	if err != nil {
		return wire.PushResponse{}, fmt.Errorf("push from %s: %w", k.ID, err)
	}
	return resp, nil
}

// pushEpoch answers the batch's mutations of one epoch (ms, indexes into
// all) and takes what the kiosk said of the numbers it skips, keeping the
// sequence discipline: the centre expects the number after the highest it
// has accounted for (received, or said skipped). A mutation below that is
// judged by name; one above it leaves numbers unaccounted for: a kiosk of
// protocol 4 is answered StatusResend for it and the rest of the epoch's,
// which are neither applied nor recorded; an older kiosk's is taken as
// before, and the numbers it skipped recorded as a gap.
func (p *pushTx) pushEpoch(ctx context.Context, epoch int64, ms []int, skips []wire.SkipRange, all []wire.PushMutation, results []wire.PushResult) error {
	var from, to int64
	switch {
	case len(ms) > 0:
		from, to = all[ms[0]].Seq, all[ms[len(ms)-1]].Seq
	case len(skips) > 0:
		from, to = skips[0].From, skips[0].From
	}
	last, seen, err := p.lockProgress(ctx, epoch, from, to)
	if err != nil {
		return err
	}
	g := gapBook{p: p, epoch: epoch}
	next := last + 1
	if last == 0 {
		// A new epoch begins where the kiosk's first change in it is: a
		// kiosk numbers its changes across epochs.
		next = from
		if len(skips) > 0 {
			next = min(next, skips[0].From)
		}
	}
	resend := int64(0) // the number to send from, once one is missing
	taken := false     // a change of this batch was refused by name
	j := 0             // next of skips
	for _, i := range ms {
		m := all[i]
		for ; j < len(skips) && skips[j].From < m.Seq && resend == 0; j++ {
			r := skips[j]
			if r.To < next {
				continue
			}
			if r.From > next {
				if resend = g.hole(next, r.From-1); resend != 0 {
					break
				}
			}
			if r.Why != wire.SkipElsewhere {
				g.open(max(r.From, next), r.To, r.Why)
			}
			next = r.To + 1
		}
		if resend == 0 && m.Seq > next {
			resend = g.hole(next, m.Seq-1)
			if resend == 0 {
				next = m.Seq
			}
		}
		if resend != 0 {
			results[i] = wire.PushResult{Epoch: m.Epoch, Seq: m.Seq, Status: wire.StatusResend, Next: resend,
				Reason: fmt.Sprintf("the centre expects change %d of epoch %d next: send from there", resend, epoch)}
			continue
		}
		if prev, ok := seen[m.Seq]; ok {
			if res, done := p.replay(m, prev); done {
				results[i] = res
				taken = taken || strings.HasPrefix(res.Reason, wire.ReasonNameTaken)
				next = max(next, m.Seq+1)
				continue
			}
		} else if m.Seq < next {
			// A number not received before: a gap closes.
			if err := g.close(ctx, m.Seq); err != nil {
				return err
			}
		}
		next = max(next, m.Seq+1)
		if taken {
			// What follows a change refused by name comes from the
			// same copy of the kiosk's database, which parted from
			// the one the centre heard first: its visits' numbers are
			// the other copy's too. It is refused alike, unrecorded,
			// and the kiosk sends it again in a new epoch.
			results[i] = wire.PushResult{Epoch: m.Epoch, Seq: m.Seq, Status: wire.StatusRejected,
				Reason: wire.ReasonNameTaken + " before this one in the batch, and this change came from the same copy of the database: send both again in a new epoch"}
			continue
		}
		results[i] = p.apply(m)
	}
	for ; j < len(skips) && resend == 0; j++ { // ranges after the batch's last change: none, from a kiosk of this build
		r := skips[j]
		if r.To < next {
			continue
		}
		if r.From > next {
			if resend = g.hole(next, r.From-1); resend != 0 {
				break
			}
		}
		if r.Why != wire.SkipElsewhere {
			g.open(max(r.From, next), r.To, r.Why)
		}
		next = r.To + 1
	}
	if next-1 > last {
		if err := p.tx.SetProgress(ctx, p.k.ID, epoch, next-1); err != nil {
			return fmt.Errorf("progress: %w", err)
		}
	}
	return g.save(ctx)
}

// gapBook is the open gaps of one kiosk database during a push, read
// only when a push opens or closes one.
type gapBook struct {
	p       *pushTx
	epoch   int64
	gaps    []Gap
	read    bool
	changed bool
}

// hole is numbers from to to that the batch skips without a word: a
// kiosk of protocol 4 is asked to send from from (returned), an older
// one's are recorded as a gap (0 returned).
func (g *gapBook) hole(from, to int64) int64 {
	if g.p.k.Protocol >= wire.SeqDiscipline {
		g.p.s.log.Info("push: a kiosk skipped changes; asking it to send from the first", "kiosk", g.p.k.ID, "epoch", g.epoch, "from", from, "to", to)
		return from
	}
	g.open(from, to, GapUnsent)
	return 0
}

// open records numbers from to to as a gap.
func (g *gapBook) open(from, to int64, why string) {
	g.p.s.log.Warn("push: a kiosk's changes are missing", "kiosk", g.p.k.ID, "epoch", g.epoch, "from", from, "to", to, "why", why)
	g.gaps = append(g.gaps, Gap{Kiosk: g.p.k.ID, Epoch: g.epoch, From: from, To: to, Why: why, Opened: g.p.now})
	g.changed = true
}

// close takes a number received out of a gap.
func (g *gapBook) close(ctx context.Context, seq int64) error {
	if err := g.load(ctx); err != nil {
		return err
	}
	for i, gap := range g.gaps {
		if seq < gap.From || seq > gap.To {
			continue
		}
		var parts []Gap
		if seq > gap.From {
			left := gap
			left.To = seq - 1
			parts = append(parts, left)
		}
		if seq < gap.To {
			right := gap
			right.From = seq + 1
			parts = append(parts, right)
		}
		g.gaps = slices.Replace(g.gaps, i, i+1, parts...)
		g.changed = true
		return nil
	}
	return nil
}

// load reads the open gaps before the first change to them; gaps opened
// by this push so far are kept after them.
func (g *gapBook) load(ctx context.Context) error {
	if g.read {
		return nil
	}
	held, err := g.p.tx.Gaps(ctx, g.p.k.ID, g.epoch)
	if err != nil {
		return fmt.Errorf("gaps: %w", err)
	}
	g.gaps, g.read = append(held, g.gaps...), true
	return nil
}

// save writes the gaps back if the push changed them.
func (g *gapBook) save(ctx context.Context) error {
	if !g.changed {
		return nil
	}
	if err := g.load(ctx); err != nil {
		return err
	}
	slices.SortFunc(g.gaps, func(a, b Gap) int { return cmp.Compare(a.From, b.From) })
	if err := g.p.tx.SetGaps(ctx, g.p.k.ID, g.epoch, g.gaps); err != nil {
		return fmt.Errorf("gaps: %w", err)
	}
	return nil
}

// byEpoch groups a batch's indexes by epoch, keeping order within each.
func byEpoch(ms []wire.PushMutation) map[int64][]int {
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
	s    *Service
	tx   Ops
	k    Kiosk
	now  time.Time
	sent time.Time // the kiosk's clock when it sent the batch; zero if not said

	mutations []MutationRow // rows for the mutations table
	checkIns  []checkIn     // applied check-ins, screened in finish
	writes    []RecordWrite // record writes, versioned together at the end
	incidents []IncidentRow // applied incident summaries, stored in finish
	staff     []queue.StaffAccount
	audits    []AuditRow
	origins   []VisitOrigin
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
// and returns the highest number it accounted for and what it recorded
// for sequence numbers in [from, to].
func (p *pushTx) lockProgress(ctx context.Context, epoch, from, to int64) (last int64, seen map[int64]Earlier, err error) {
	last, err = p.tx.LockProgress(ctx, p.k.ID, epoch)
	if err != nil {
		return 0, nil, fmt.Errorf("progress: %w", err)
	}
	if from > last {
		return last, nil, nil // all new: the common case needs no lookup
	}
	seen, err = p.tx.Earlier(ctx, p.k.ID, epoch, from, to)
	if err != nil {
		return 0, nil, fmt.Errorf("earlier answers: %w", err)
	}
	return last, seen, nil
}

// replay answers a mutation the centre has seen before. An applied one is
// a duplicate, unless the payload differs: then two different changes
// carry one name (a kiosk database restored from a backup reuses names),
// and the new one is refused so staff see it rather than lose it. A
// rejected one had no effect, so it is judged again: whatever the centre
// objected to may have been fixed.
func (p *pushTx) replay(m wire.PushMutation, e Earlier) (wire.PushResult, bool) {
	res := wire.PushResult{Epoch: m.Epoch, Seq: m.Seq}
	if e.Status == wire.StatusRejected {
		return res, false
	}
	if !samePayload(e, m.Payload) {
		res.Status = wire.StatusRejected
		res.Reason = wire.ReasonNameTaken + "; was this kiosk's database restored from a backup?"
		return res, true
	}
	res.Status = wire.StatusDuplicate
	return res, true
}

// samePayload compares JSON as the kiosk sent it, ignoring white space:
// by its hash, which is all that stays once the stored payload is pruned
// or purged of personal data; by the payload itself for rows stored
// before hashes were.
func samePayload(e Earlier, sent json.RawMessage) bool {
	if e.Hash != "" {
		return PayloadHash(sent) == e.Hash
	}
	var a, b bytes.Buffer
	if json.Compact(&a, []byte(e.Payload)) != nil || json.Compact(&b, sent) != nil {
		return e.Payload == string(sent)
	}
	return bytes.Equal(a.Bytes(), b.Bytes())
}

// PayloadHash is what the centre keeps of a mutation's payload once it is
// pruned: SHA-256 of the JSON without white space (as the kiosk sent it
// if it is not JSON), in hex.
func PayloadHash(payload []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, payload) != nil {
		b.Reset()
		b.Write(payload)
	}
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:])
}

// storedPayload is what the centre keeps of a mutation's payload in its
// log: the payload, less the PIN and badge hashes of a staff account
// (the account's record holds them, for the site's kiosks; a second copy
// in the log would keep a replaced PIN's hash for the prune's 90 days).
// A replay is still told apart by PayloadHash, taken of the payload as
// sent.
func storedPayload(m wire.PushMutation) string {
	if m.Kind != queue.KindStaffAccount {
		return string(m.Payload)
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(m.Payload, &top) != nil {
		return "" // refused by check; nothing of it is needed
	}
	var staff map[string]json.RawMessage
	if raw, ok := top["staff"]; ok && json.Unmarshal(raw, &staff) == nil {
		delete(staff, "pin_hash")
		delete(staff, "badge_hash")
		b, err := json.Marshal(staff)
		if err != nil {
			return ""
		}
		top["staff"] = b
	} else {
		delete(top, "staff")
	}
	out, err := json.Marshal(top)
	if err != nil {
		return ""
	}
	return string(out)
}

// apply gathers one new mutation and, if it is acceptable, its effects.
func (p *pushTx) apply(m wire.PushMutation) wire.PushResult {
	res := wire.PushResult{Epoch: m.Epoch, Seq: m.Seq, Status: wire.StatusApplied}
	var mut queue.Mutation
	if reason := p.check(m, &mut); reason != "" {
		res.Status, res.Reason = wire.StatusRejected, reason
	}
	p.mutations = append(p.mutations, MutationRow{Kiosk: p.k.ID, Epoch: m.Epoch, Seq: m.Seq, Site: p.k.Site, Kind: m.Kind, At: m.At,
		HLC: m.HLC, Received: p.now, Status: res.Status, Reason: res.Reason, Payload: storedPayload(m), PayloadHash: PayloadHash(m.Payload)})
	if res.Status != wire.StatusApplied {
		return res
	}
	switch m.Kind {
	case queue.KindIncident:
		// A report for the centre's records, not a visit: no record for
		// the site's kiosks, nothing to screen.
		p.incidents = append(p.incidents, IncidentRow{Kiosk: p.k.ID, Epoch: m.Epoch, Site: p.k.Site, Summary: *mut.Incident, Received: p.now})
		return res
	case queue.KindStaffAccount:
		// Applied if it is the newest copy, in finish; an older one is
		// still answered applied: the kiosk pulls the newer.
		p.staff = append(p.staff, *mut.Staff)
		return res
	case queue.KindAudit:
		p.audits = append(p.audits, AuditRow{Site: p.k.Site, Kiosk: p.k.ID, Epoch: m.Epoch, Seq: m.Seq, Entry: tidyAudit(*mut.Audit), Received: p.now})
		return res
	case queue.KindRestored:
		// Named by the kiosk's own id: a kiosk speaks only of its visits.
		for _, v := range mut.Restored.Visits {
			p.origins = append(p.origins, VisitOrigin{Site: p.k.Site, Key: fmt.Sprintf("%s/%d/%d", p.k.ID, v.Epoch, v.ID),
				Kiosk: p.k.ID, Origin: string(v.Origin), Restored: p.now})
		}
		return res
	}
	if mut.Visit == nil {
		return res
	}
	v := *mut.Visit
	// A visit is named by the epoch it was checked in under, which a
	// change made after the kiosk started a new epoch says; older kiosks
	// do not, and never change epochs.
	epoch := m.Epoch
	if v.Epoch != 0 {
		epoch = v.Epoch
	}
	key := fmt.Sprintf("%s/%d/%d", p.k.ID, epoch, v.ID)
	p.writes = append(p.writes, RecordWrite{Entity: queue.EntityVisit, Key: key,
		Data: queue.SiteVisit{Kiosk: p.k.ID, HLC: m.HLC, Visit: v, Left: v.LeftAt, Epoch: m.Epoch, Seq: m.Seq}})
	if m.Kind == queue.KindCheckIn {
		p.checkIns = append(p.checkIns, checkIn{epoch: epoch, hlc: m.HLC, key: key, visit: v, name: queue.NormalizeName(v.Name)})
	}
	return res
}

// finish writes what the batch gathered: the mutations, the arrivals,
// the alerts screening finds, the incident summaries, the audit entries,
// the staff accounts and the record writes.
func (p *pushTx) finish(ctx context.Context) error {
	// The site's row first: pushes of one site take turns from here, so
	// two kiosks' check-ins of the same person see each other's arrival,
	// and screening reads a watch-list no import is half-way through.
	if _, err := p.tx.LockSite(ctx, p.k.Site); err != nil {
		return fmt.Errorf("lock site: %w", err)
	}
	// A mutation rejected before and judged again replaces its row.
	if err := p.tx.PutMutations(ctx, p.mutations); err != nil {
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
	if err := p.storeAudit(ctx); err != nil {
		return err
	}
	if err := p.storeStaff(ctx); err != nil {
		return err
	}
	if err := p.tx.PutVisitOrigins(ctx, p.origins); err != nil {
		return fmt.Errorf("visit origins: %w", err)
	}
	if err := p.keepNewest(ctx); err != nil {
		return err
	}
	if err := p.purgeLate(ctx); err != nil {
		return err
	}
	_, err := p.s.writeRecords(ctx, p.tx, p.k.Site, p.writes)
	return err
}

// keepNewest drops the batch's visit writes that are older
// (queue.SiteVisit.Older) than another write of the batch or the record
// the centre holds: a record keeps the state of the newest change to it,
// whatever order changes arrive in. The older change is still recorded
// among the mutations and, for a check-in, the arrivals.
func (p *pushTx) keepNewest(ctx context.Context) error {
	newest := make(map[string]int) // record key → index in writes
	for i, w := range p.writes {
		sv, ok := w.Data.(queue.SiteVisit)
		if !ok || w.Entity != queue.EntityVisit {
			continue
		}
		if j, ok := newest[w.Key]; !ok || p.writes[j].Data.(queue.SiteVisit).Older(sv) {
			newest[w.Key] = i
		}
	}
	if len(newest) == 0 {
		return nil
	}
	held, err := p.tx.RecordsByKey(ctx, p.k.Site, queue.EntityVisit, slices.Sorted(maps.Keys(newest)))
	if err != nil {
		return fmt.Errorf("read visit records: %w", err)
	}
	out := p.writes[:0]
	for i, w := range p.writes {
		if _, ok := w.Data.(queue.SiteVisit); ok && w.Entity == queue.EntityVisit {
			if newest[w.Key] != i {
				continue
			}
			var h queue.SiteVisit
			if data, ok := held[w.Key]; ok && json.Unmarshal(data, &h) == nil && w.Data.(queue.SiteVisit).Older(h) {
				continue
			}
		}
		out = append(out, w)
	}
	p.writes = out
	return nil
}

// check returns why a mutation cannot be applied, or "".
func (p *pushTx) check(m wire.PushMutation, mut *queue.Mutation) string {
	if !p.s.accepts[m.Kind] {
		return fmt.Sprintf("%s %q", wire.ReasonUnknownKind, m.Kind)
	}
	if err := json.Unmarshal(m.Payload, mut); err != nil {
		return "payload is not a mutation: " + err.Error()
	}
	switch {
	case mut.Kiosk != p.k.ID:
		return p.refuse("envelope", fmt.Sprintf("payload names kiosk %q, not %q", mut.Kiosk, p.k.ID))
	case mut.Kind != m.Kind:
		return p.refuse("envelope", fmt.Sprintf("payload kind %q differs from %q", mut.Kind, m.Kind))
	case mut.Epoch != m.Epoch:
		return p.refuse("envelope", fmt.Sprintf("payload epoch %d differs from %d", mut.Epoch, m.Epoch))
	case mut.HLC != m.HLC:
		return p.refuse("envelope", fmt.Sprintf("payload hlc %q differs from %q", mut.HLC, m.HLC))
	}
	if reason := p.checkTime(m, mut); reason != "" {
		return reason
	}
	switch m.Kind {
	case queue.KindDeskOpen, queue.KindDeskClose:
		return ""
	case queue.KindIncident:
		return checkIncident(mut.Incident)
	case queue.KindStaffAccount:
		return checkStaff(mut.Staff, p.now)
	case queue.KindAudit:
		return checkAudit(mut.Audit, p.k.ID)
	case queue.KindRestored:
		return queue.CheckRestored(mut.Restored)
	}
	switch {
	case mut.Visit == nil || mut.Visit.ID <= 0:
		return "a visit change without its visit"
	case m.Kind == queue.KindCheckOut && mut.Visit.LeftAt.IsZero():
		return "a check-out without the time the visitor left"
	}
	if err := queue.CheckVisit(*mut.Visit); err != nil {
		var qe *queue.Error
		if errors.As(err, &qe) {
			return p.refuse("visit", fmt.Sprintf("%s %s", wire.ReasonRefused, qe.Text()))
		}
		return p.refuse("visit", wire.ReasonRefused+" "+err.Error())
	}
	return ""
}

// DefaultClockAllowance is how far ahead of the centre's clock a change's
// time may lie; a kiosk offline for days honestly sends changes days
// old, so there is no such bound behind, only MaxChangeAge.
const DefaultClockAllowance = 10 * time.Minute

// MaxChangeAge is the oldest a pushed change may be by the centre's
// clock: longer than any retention, so only a kiosk whose clock is wrong
// (a flat clock battery reads 1970 or 2000) sends older.
const MaxChangeAge = 400 * 24 * time.Hour

// checkTime refuses a change with no time, one whose time its HLC does
// not follow (the kiosk stamps a change's HLC from its time, never
// lower), and one whose time lies further from the centre's clock than
// allowed. When the batch's own send time shows the kiosk's clock off by
// as much, the change is flagged, not refused: the kiosk's clock is wrong
// and the change is honest; the centre logs which kiosk, and by how much.
func (p *pushTx) checkTime(m wire.PushMutation, mut *queue.Mutation) string {
	if m.At.IsZero() || mut.At.IsZero() {
		return p.refuse("time", wire.ReasonRefused+" the change has no time")
	}
	if m.At.UnixMilli() != mut.At.UnixMilli() {
		return p.refuse("envelope", fmt.Sprintf("payload time %s differs from %s", mut.At.Format(time.RFC3339Nano), m.At.Format(time.RFC3339Nano)))
	}
	if h, _ := hlc.Parse(m.HLC); h.Wall < m.At.UnixMilli() {
		return p.refuse("envelope", fmt.Sprintf("hlc %s is before the change's time %s", m.HLC, m.At.Format(time.RFC3339Nano)))
	}
	ahead := m.At.Sub(p.now)
	skew := time.Duration(0)
	if !p.sent.IsZero() {
		skew = p.sent.Sub(p.now)
	}
	switch {
	case ahead > p.s.clockAllowance && skew >= ahead-p.s.clockAllowance,
		-ahead > MaxChangeAge && skew <= ahead+MaxChangeAge:
		p.s.checks.WithLabelValues("flagged", "kiosk_clock").Inc()
		p.s.log.Warn("push: a change's time is far from the centre's clock, as is the kiosk's: its clock is off",
			"kiosk", p.k.ID, "epoch", m.Epoch, "seq", m.Seq, "at", m.At, "kiosk_clock_off_by", skew.Round(time.Second))
	case ahead > p.s.clockAllowance:
		return p.refuse("time", fmt.Sprintf("%s the change's time %s is %s ahead of the centre's clock, more than the %s allowed",
			wire.ReasonRefused, m.At.Format(time.RFC3339), ahead.Round(time.Second), p.s.clockAllowance))
	case -ahead > MaxChangeAge:
		return p.refuse("time", fmt.Sprintf("%s the change's time %s is older than %s", wire.ReasonRefused, m.At.Format(time.RFC3339), MaxChangeAge))
	}
	return ""
}

// refuse counts a refusal by its rule and returns its reason.
func (p *pushTx) refuse(rule, reason string) string {
	p.s.checks.WithLabelValues("refused", rule).Inc()
	return reason
}

// screen runs the centre's checks on the batch's check-ins: the same
// person at another kiosk of the site, a cancelled or unknown invitation,
// and the site's current watch-list (which may be newer than the kiosk's
// copy). Each finding becomes an alert record that the site's kiosks pull.
func (p *pushTx) screen(ctx context.Context) error {
	rows := make([]Arrival, len(p.checkIns))
	names := make([]string, 0, len(p.checkIns))
	seen := make(map[string]bool)
	for i, ci := range p.checkIns {
		rows[i] = Arrival{Site: p.k.Site, Name: ci.name, Kiosk: p.k.ID, Epoch: ci.epoch, Visit: ci.visit.ID, Ticket: ci.visit.Ticket, At: ci.visit.CheckedInAt}
		if !seen[ci.name] {
			seen[ci.name] = true
			names = append(names, ci.name)
		}
	}
	if err := p.tx.PutArrivals(ctx, rows); err != nil {
		return fmt.Errorf("arrivals: %w", err)
	}
	elsewhere, err := p.tx.Arrivals(ctx, p.k.Site, p.k.ID, names)
	if err != nil {
		return fmt.Errorf("find duplicates: %w", err)
	}
	others := make(map[string][]Arrival)
	for _, a := range elsewhere {
		others[a.Name] = append(others[a.Name], a)
	}
	watch, err := p.watchList(ctx)
	if err != nil {
		return err
	}
	for _, ci := range p.checkIns {
		v := ci.visit
		for _, o := range others[ci.name] {
			if d := o.At.Sub(v.CheckedInAt); d > DuplicateWindow || d < -DuplicateWindow {
				continue
			}
			msg := fmt.Sprintf("%s checked in twice: %s at kiosk %s and %s at kiosk %s. Both records are kept; please check which is right.",
				v.Name, o.Ticket, o.Kiosk, v.Ticket, p.k.ID)
			p.alert(fmt.Sprintf("duplicate/%s/%d/%d", o.Kiosk, o.Epoch, o.Visit), queue.Alert{Kind: queue.AlertDuplicate, Kiosk: o.Kiosk, Epoch: o.Epoch, Visit: o.Visit, Ticket: o.Ticket, Message: msg})
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

// screenInvite alerts staff to a check-in with an invitation the centre
// does not know or has cancelled. The check-in stands either way.
func (p *pushTx) screenInvite(ctx context.Context, ci checkIn) error {
	v := ci.visit
	data, ok, err := p.tx.Record(ctx, p.k.Site, queue.EntityPreReg, v.Invite)
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
	recs, err := p.tx.Records(ctx, p.k.Site, queue.EntityWatch)
	if err != nil {
		return nil, fmt.Errorf("read watch-list: %w", err)
	}
	out := make([]queue.WatchEntry, 0, len(recs))
	for _, r := range recs {
		var w queue.WatchEntry
		if json.Unmarshal(r.Data, &w) == nil {
			out = append(out, w)
		}
	}
	return out, nil
}

func (p *pushTx) alert(key string, a queue.Alert) {
	a.At = p.now.UTC()
	p.writes = append(p.writes, RecordWrite{Entity: queue.EntityAlert, Key: key, Data: a})
}

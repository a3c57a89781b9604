// Package wire is the sync protocol between kiosks and the centre, and
// nothing else: request and response types, limits, answer statuses, the
// protocol version and how bodies are read. Both ends import it; it
// imports no Lobbyline package and no database driver, so what crosses the
// network is defined in one place that either end can be read against.
//
// Compatibility: a request or response without the version header is
// protocol 1. Decoders since protocol 2 ignore fields they do not know, so
// a neighbouring version may add one; but protocol 1's peers (release
// 17e7641) refuse unknown fields, so a new field goes only to a peer that
// declared the protocol that has it. A change an older peer cannot ignore
// is a new version.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Protocol limits. A kiosk pushes at most MaxBatch mutations per request;
// the centre refuses bodies over MaxBody bytes.
const (
	MaxBatch    = 500
	MaxBody     = 8 << 20
	MaxPullPage = 1000
)

// Push answers per mutation.
const (
	StatusApplied   = "applied"
	StatusDuplicate = "duplicate"
	StatusRejected  = "rejected"
	// StatusResend (protocol 4) answers a change sent ahead of a number
	// the centre has not seen in its epoch: send again from Next. Only a
	// kiosk that declared SeqDiscipline or newer is answered so.
	StatusResend = "resend"
)

// Why a kiosk does not send sequence numbers below its batch's (SkipRange.Why).
const (
	// SkipHeld: the kiosk holds these changes for staff (refused, or
	// waiting for a kind the centre does not apply); they may come later.
	SkipHeld = "held"
	// SkipElsewhere: these numbers name changes of another epoch of the
	// kiosk, or none: not this epoch's, nothing is missing.
	SkipElsewhere = "elsewhere"
	// SkipLost: the kiosk no longer has these changes (a damaged or
	// pruned database); the centre will not receive them.
	SkipLost = "lost"
)

// SkipRange is a run of sequence numbers, From to To inclusive, of one
// epoch that a kiosk does not send, and why.
type SkipRange struct {
	Epoch int64  `json:"epoch"`
	From  int64  `json:"from"`
	To    int64  `json:"to"`
	Why   string `json:"why"`
}

// ReasonUnknownKind begins the reason of a mutation rejected because the
// centre does not apply its kind, as every centre since protocol 1 words
// it; a kiosk holds such a change until the centre is upgraded.
const ReasonUnknownKind = "unknown kind"

// ReasonNameTaken begins the reason of a mutation rejected because the
// centre holds a different change under its name (kiosk, epoch, seq), as
// every centre since protocol 1 words it: the kiosk's database went back
// to an earlier copy. The kiosk starts a new epoch and sends the change
// again under a new name.
const ReasonNameTaken = "the centre already holds a different change under this name"

// ReasonRefused begins the reason of a mutation the centre refuses
// because no honest kiosk sends it (since protocol 4's centres): a time
// too far from the centre's clock, or a visit field outside what the
// kiosk's form accepts. The rest of the reason says which rule.
// Envelope and payload that differ (kind, epoch, HLC, time) are refused
// with a reason that begins "payload".
const ReasonRefused = "refused:"

// PushMutation is one outbox row on the wire. (Kiosk, Epoch, Seq) names it
// for good: the centre never applies the same name twice.
type PushMutation struct {
	Epoch   int64           `json:"epoch"`
	Seq     int64           `json:"seq"`
	Kind    string          `json:"kind"`
	At      time.Time       `json:"at"`  // the kiosk's wall clock when it happened
	HLC     string          `json:"hlc"` // the kiosk's hybrid logical clock
	Payload json.RawMessage `json:"payload"`
}

// PushRequest is a batch of mutations from one kiosk, in sequence order.
type PushRequest struct {
	Kiosk     string         `json:"kiosk"`
	Sent      time.Time      `json:"sent"`    // kiosk clock, for skew
	Backlog   int            `json:"backlog"` // pending mutations including this batch
	Mutations []PushMutation `json:"mutations"`
	// Pull, since protocol 3, asks for a page of the site's changes in
	// the same answer, read after the batch is applied: one request per
	// change instead of a pull, a push and a pull again. A kiosk sends it
	// only to a centre that declared protocol 3 or newer.
	Pull *PullRequest `json:"pull,omitempty"`
	// Skipped, since protocol 4, are the numbers below the batch's that
	// the kiosk does not send, said when the centre asked it to send
	// from a number (StatusResend). Sent only to a centre of protocol 4
	// or newer.
	Skipped []SkipRange `json:"skipped,omitempty"`
}

// PullRequest is what GET pull's query says, as a push carries it.
type PullRequest struct {
	Cursor     int64 `json:"cursor"`
	Limit      int   `json:"limit,omitempty"`    // 0 or over MaxPullPage: MaxPullPage
	Continuing bool  `json:"snapshot,omitempty"` // part-way through a snapshot
}

// PushResult is the centre's answer for one mutation.
type PushResult struct {
	Epoch  int64  `json:"epoch"`
	Seq    int64  `json:"seq"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Next, with StatusResend, is the sequence number of this epoch the
	// centre expects next.
	Next int64 `json:"next,omitempty"`
}

// PushResponse answers a batch, one result per mutation in the same order.
type PushResponse struct {
	Results []PushResult `json:"results"`
	Now     time.Time    `json:"now"` // the centre's clock
	// Pull answers the request's Pull. It is absent when the request had
	// none, from a centre before protocol 3, and when the centre could not
	// read the page: the kiosk then pulls as before.
	Pull *PullResponse `json:"pull,omitempty"`
}

// PullResponse is one page of a site's centre-owned data after a cursor.
type PullResponse struct {
	Snapshot bool      `json:"snapshot,omitempty"` // replace everything held
	Records  []Record  `json:"records"`
	Cursor   int64     `json:"cursor"` // store this once the page is applied
	More     bool      `json:"more,omitempty"`
	Now      time.Time `json:"now"`
}

// Record is one record of a site's centre-owned data as pulled: Data is
// the entity's JSON, absent on a tombstone.
type Record struct {
	Entity  string          `json:"entity"`
	Key     string          `json:"key"`
	Version int64           `json:"version"`
	Deleted bool            `json:"deleted,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// VisitsPage (protocol 5, CentreCopy) is one page of the calling kiosk's
// own visit records as the centre holds them now, answering GET
// /v1/sites/{site}/visits?after=N&limit=M: live records only (a purged
// visit is a tombstone at the centre and is never sent), in version
// order. Ask again with After = Cursor while More.
type VisitsPage struct {
	Records []Record  `json:"records"`
	Cursor  int64     `json:"cursor"`
	More    bool      `json:"more,omitempty"`
	Now     time.Time `json:"now"`
}

// MaxVisitsPage is the most records one VisitsPage holds.
const MaxVisitsPage = 1000

// DecodeVisitsPage reads a page of a kiosk's visits as the kiosk
// receives it.
func DecodeVisitsPage(r io.Reader) (VisitsPage, error) {
	var p VisitsPage
	if err := decode(r, &p); err != nil {
		return VisitsPage{}, err
	}
	if len(p.Records) > MaxVisitsPage {
		return VisitsPage{}, fmt.Errorf("%w: %d records in a page, at most %d", ErrMalformed, len(p.Records), MaxVisitsPage)
	}
	if err := checkPage(PullResponse{Records: p.Records}); err != nil {
		return VisitsPage{}, err
	}
	for i, rec := range p.Records {
		if rec.Deleted || len(rec.Data) == 0 {
			return VisitsPage{}, fmt.Errorf("%w: record %d: a visits page holds live records only", ErrMalformed, i)
		}
		if rec.Version > p.Cursor {
			return VisitsPage{}, fmt.Errorf("%w: record %d: version %d past the cursor %d", ErrMalformed, i, rec.Version, p.Cursor)
		}
	}
	return p, nil
}

// ErrorBody is what the centre sends with any 4xx or 5xx.
type ErrorBody struct {
	Error string `json:"error"`
}

// ErrMalformed marks a body that does not keep the protocol's rules; the
// centre answers such a request 400.
var ErrMalformed = errors.New("wire: malformed request")

// DecodePushRequest reads and checks a push body: one JSON object, at most
// MaxBatch mutations, each with a positive epoch and sequence, in
// increasing order, a kind, and a JSON object as payload. What the HLC
// and the payload mean is the centre's to judge.
func DecodePushRequest(r io.Reader) (PushRequest, error) {
	var req PushRequest
	if err := decode(r, &req); err != nil {
		return PushRequest{}, err
	}
	if req.Kiosk == "" {
		return PushRequest{}, fmt.Errorf("%w: kiosk is missing", ErrMalformed)
	}
	if len(req.Mutations) > MaxBatch {
		return PushRequest{}, fmt.Errorf("%w: %d mutations, at most %d per batch", ErrMalformed, len(req.Mutations), MaxBatch)
	}
	last := make(map[int64]int64) // per epoch
	for i, m := range req.Mutations {
		if m.Epoch <= 0 || m.Seq <= 0 {
			return PushRequest{}, fmt.Errorf("%w: mutation %d: epoch and seq must be positive", ErrMalformed, i)
		}
		if prev, ok := last[m.Epoch]; ok && m.Seq <= prev {
			return PushRequest{}, fmt.Errorf("%w: mutation %d: seq %d after %d; a batch is in sequence order", ErrMalformed, i, m.Seq, prev)
		}
		last[m.Epoch] = m.Seq
		if m.Kind == "" {
			return PushRequest{}, fmt.Errorf("%w: mutation %d: kind is missing", ErrMalformed, i)
		}
		if t := bytes.TrimSpace(m.Payload); len(t) == 0 || t[0] != '{' {
			return PushRequest{}, fmt.Errorf("%w: mutation %d: payload must be a JSON object", ErrMalformed, i)
		}
	}
	if len(req.Skipped) > MaxBatch {
		return PushRequest{}, fmt.Errorf("%w: %d skipped ranges, at most %d", ErrMalformed, len(req.Skipped), MaxBatch)
	}
	for i, r := range req.Skipped {
		switch {
		case r.Epoch <= 0 || r.From <= 0 || r.To < r.From:
			return PushRequest{}, fmt.Errorf("%w: skipped %d: epoch and from must be positive, to not below from", ErrMalformed, i)
		case r.Why != SkipHeld && r.Why != SkipElsewhere && r.Why != SkipLost:
			return PushRequest{}, fmt.Errorf("%w: skipped %d: why %q is not %s, %s or %s", ErrMalformed, i, r.Why, SkipHeld, SkipElsewhere, SkipLost)
		}
		if first, ok := firstSeq(req.Mutations, r.Epoch); ok && r.To >= first {
			return PushRequest{}, fmt.Errorf("%w: skipped %d: %d–%d is not below the batch's first change of epoch %d, %d", ErrMalformed, i, r.From, r.To, r.Epoch, first)
		}
		if prev := req.Skipped[max(i-1, 0)]; i > 0 && (prev.Epoch > r.Epoch || prev.Epoch == r.Epoch && r.From <= prev.To) {
			return PushRequest{}, fmt.Errorf("%w: skipped %d: ranges are in order of epoch and number and do not overlap", ErrMalformed, i)
		}
	}
	if p := req.Pull; p != nil && (p.Cursor < 0 || p.Limit < 0) {
		return PushRequest{}, fmt.Errorf("%w: pull: cursor and limit must not be negative", ErrMalformed)
	}
	if len(req.Skipped) == 0 {
		req.Skipped = nil // "skipped": [] says what no field says
	}
	return req, nil
}

// firstSeq is the sequence number of the first of ms in epoch.
func firstSeq(ms []PushMutation, epoch int64) (int64, bool) {
	for _, m := range ms {
		if m.Epoch == epoch {
			return m.Seq, true
		}
	}
	return 0, false
}

// DecodePullResponse reads a pull page as the kiosk receives it.
func DecodePullResponse(r io.Reader) (PullResponse, error) {
	var resp PullResponse
	if err := decode(r, &resp); err != nil {
		return PullResponse{}, err
	}
	if err := checkPage(resp); err != nil {
		return PullResponse{}, err
	}
	return resp, nil
}

// checkPage checks what a kiosk relies on in a pulled page.
func checkPage(p PullResponse) error {
	last := int64(-1)
	for i, rec := range p.Records {
		if rec.Entity == "" || rec.Key == "" {
			return fmt.Errorf("%w: record %d: entity and key are required", ErrMalformed, i)
		}
		if rec.Version <= last {
			return fmt.Errorf("%w: record %d: version %d after %d; a page is in version order", ErrMalformed, i, rec.Version, last)
		}
		last = rec.Version
	}
	return nil
}

// DecodePushResponse reads the centre's answer to a push.
func DecodePushResponse(r io.Reader) (PushResponse, error) {
	var resp PushResponse
	if err := decode(r, &resp); err != nil {
		return PushResponse{}, err
	}
	for i, res := range resp.Results {
		switch res.Status {
		case StatusApplied, StatusDuplicate, StatusRejected:
		case StatusResend:
			if res.Next <= 0 || res.Next >= res.Seq {
				return PushResponse{}, fmt.Errorf("%w: result %d: resend from %d for seq %d", ErrMalformed, i, res.Next, res.Seq)
			}
		default:
			return PushResponse{}, fmt.Errorf("%w: result %d: unknown status %q", ErrMalformed, i, res.Status)
		}
	}
	if resp.Pull != nil {
		if err := checkPage(*resp.Pull); err != nil {
			return PushResponse{}, fmt.Errorf("pull: %w", err)
		}
	}
	return resp, nil
}

// decode reads exactly one JSON object. Fields it does not know are
// ignored: a neighbouring version may send more.
func decode(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON object", ErrMalformed)
	}
	return nil
}

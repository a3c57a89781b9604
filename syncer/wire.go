package syncer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"lobbyline/queue"
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
)

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
}

// PushResult is the centre's answer for one mutation.
type PushResult struct {
	Epoch  int64  `json:"epoch"`
	Seq    int64  `json:"seq"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// PushResponse answers a batch, one result per mutation in the same order.
type PushResponse struct {
	Results []PushResult `json:"results"`
	Now     time.Time    `json:"now"` // the centre's clock
}

// PullResponse is one page of a site's centre-owned data after a cursor.
type PullResponse struct {
	Snapshot bool                 `json:"snapshot,omitempty"` // replace everything held
	Records  []queue.RemoteRecord `json:"records"`
	Cursor   int64                `json:"cursor"` // store this once the page is applied
	More     bool                 `json:"more,omitempty"`
	Now      time.Time            `json:"now"`
}

// ErrorBody is what the centre sends with any 4xx or 5xx.
type ErrorBody struct {
	Error string `json:"error"`
}

// errMalformed marks a request the centre cannot read; it answers 400.
var errMalformed = errors.New("syncer: malformed request")

// DecodePushRequest reads and checks a push body: one JSON object, known
// fields only, at most MaxBatch mutations, each with a positive epoch and
// sequence, in increasing order, with a JSON object as payload.
func DecodePushRequest(r io.Reader) (PushRequest, error) {
	var req PushRequest
	if err := decodeStrict(r, &req); err != nil {
		return PushRequest{}, err
	}
	if req.Kiosk == "" {
		return PushRequest{}, fmt.Errorf("%w: kiosk is missing", errMalformed)
	}
	if len(req.Mutations) > MaxBatch {
		return PushRequest{}, fmt.Errorf("%w: %d mutations, at most %d per batch", errMalformed, len(req.Mutations), MaxBatch)
	}
	last := make(map[int64]int64) // per epoch
	for i, m := range req.Mutations {
		if m.Epoch <= 0 || m.Seq <= 0 {
			return PushRequest{}, fmt.Errorf("%w: mutation %d: epoch and seq must be positive", errMalformed, i)
		}
		if prev, ok := last[m.Epoch]; ok && m.Seq <= prev {
			return PushRequest{}, fmt.Errorf("%w: mutation %d: seq %d after %d; a batch is in sequence order", errMalformed, i, m.Seq, prev)
		}
		last[m.Epoch] = m.Seq
		if m.Kind == "" {
			return PushRequest{}, fmt.Errorf("%w: mutation %d: kind is missing", errMalformed, i)
		}
		if _, err := queue.ParseHLC(m.HLC); err != nil {
			return PushRequest{}, fmt.Errorf("%w: mutation %d: %v", errMalformed, i, err)
		}
		if t := bytes.TrimSpace(m.Payload); len(t) == 0 || t[0] != '{' {
			return PushRequest{}, fmt.Errorf("%w: mutation %d: payload must be a JSON object", errMalformed, i)
		}
	}
	return req, nil
}

// DecodePullResponse reads a pull page as the kiosk receives it.
func DecodePullResponse(r io.Reader) (PullResponse, error) {
	var resp PullResponse
	if err := decodeStrict(r, &resp); err != nil {
		return PullResponse{}, err
	}
	last := int64(-1)
	for i, rec := range resp.Records {
		if rec.Entity == "" || rec.Key == "" {
			return PullResponse{}, fmt.Errorf("%w: record %d: entity and key are required", errMalformed, i)
		}
		if rec.Version <= last {
			return PullResponse{}, fmt.Errorf("%w: record %d: version %d after %d; a page is in version order", errMalformed, i, rec.Version, last)
		}
		last = rec.Version
	}
	return resp, nil
}

// DecodePushResponse reads the centre's answer to a push.
func DecodePushResponse(r io.Reader) (PushResponse, error) {
	var resp PushResponse
	if err := decodeStrict(r, &resp); err != nil {
		return PushResponse{}, err
	}
	for i, res := range resp.Results {
		switch res.Status {
		case StatusApplied, StatusDuplicate, StatusRejected:
		default:
			return PushResponse{}, fmt.Errorf("%w: result %d: unknown status %q", errMalformed, i, res.Status)
		}
	}
	return resp, nil
}

func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return fmt.Errorf("%w: %v", errMalformed, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON object", errMalformed)
	}
	return nil
}

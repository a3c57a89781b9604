package centre

import (
	"context"
	"sync"
	"time"
)

// healthCheck is the store's health as /healthz reports it. Every kiosk
// probes it every few seconds, so 10,000 kiosks would cost the database
// 2,000 pings a second: instead each instance asks its store at most once
// per every, and probes that arrive while a ping runs share its answer.
// A kiosk learns the centre is down within every plus its own probe
// interval, which the outage grace period (a minute) absorbs.
type healthCheck struct {
	ping  func(context.Context) error
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	at      time.Time     // when the last answer came; zero before the first
	err     error         // that answer
	pending chan struct{} // closed when the ping under way ends; nil if none
}

// check is the store's health, from the last answer if it is fresh.
func (h *healthCheck) check(ctx context.Context) error {
	h.mu.Lock()
	if !h.at.IsZero() && h.now().Sub(h.at) < h.every {
		err := h.err
		h.mu.Unlock()
		return err
	}
	if wait := h.pending; wait != nil {
		h.mu.Unlock()
		select {
		case <-wait:
			h.mu.Lock()
			defer h.mu.Unlock()
			return h.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	done := make(chan struct{})
	h.pending = done
	h.mu.Unlock()

	// Not the request's context: other probes wait for this answer.
	pctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	err := h.ping(pctx)
	cancel()

	h.mu.Lock()
	h.at, h.err, h.pending = h.now(), err, nil
	h.mu.Unlock()
	close(done)
	return err
}

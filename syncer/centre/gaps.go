package centre

import (
	"context"
	"fmt"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer/wire"
)

// DefaultGapAlertAfter is how long a gap in a kiosk's changes may stay
// open before it raises an alert: long enough for a kiosk of protocol 4
// to fill it on its next sync, or for a change held for staff to be
// dealt with at the desk.
const DefaultGapAlertAfter = 10 * time.Minute

// AlertMissing is the kind of alert raised for changes of a kiosk the
// centre has not received though it received later ones.
const AlertMissing = "missing_changes"

// CheckGaps raises an alert for every gap in a kiosk's changes open
// longer than the centre allows (Options.GapAlertAfter), once each: a
// record for the kiosk's staff, pulled by that kiosk, and a warning in
// the centre's log. It returns the gaps it alerted. The centre's serve
// runs it every minute; several instances may, as each alert is raised
// in a transaction that marks its gap.
func (s *Service) CheckGaps(ctx context.Context) ([]Gap, error) {
	now := s.now()
	stale, err := s.store.StaleGaps(ctx, now.Add(-s.gapAlertAfter), 100)
	if err != nil {
		return nil, fmt.Errorf("check gaps: %w", err)
	}
	var done []Gap
	for _, g := range stale {
		err := s.store.Update(ctx, func(tx Ops) error {
			held, err := tx.Gaps(ctx, g.Kiosk, g.Epoch)
			if err != nil {
				return err
			}
			still := false
			for _, h := range held {
				if h.From == g.From && h.Alerted.IsZero() {
					g.To, still = h.To, true
				}
			}
			if !still { // closed or alerted meanwhile
				return nil
			}
			a := queue.Alert{Kind: AlertMissing, Kiosk: g.Kiosk, Epoch: g.Epoch, At: now.UTC(), Message: g.Message()}
			key := fmt.Sprintf("%s/%s/%d/%d", AlertMissing, g.Kiosk, g.Epoch, g.From)
			if _, err := s.writeRecords(ctx, tx, g.Site, []RecordWrite{{Entity: queue.EntityAlert, Key: key, Data: a}}); err != nil {
				return err
			}
			if err := tx.AlertedGap(ctx, g, now); err != nil {
				return err
			}
			s.log.Warn("kiosk is missing changes", "kiosk", g.Kiosk, "site", g.Site, "epoch", g.Epoch, "from", g.From, "to", g.To, "why", g.Why, "since", g.Opened)
			done = append(done, g)
			return nil
		})
		if err != nil {
			return done, fmt.Errorf("check gaps: kiosk %s: %w", g.Kiosk, err)
		}
	}
	return done, nil
}

// Message is what staff read of a gap.
func (g Gap) Message() string {
	changes := fmt.Sprintf("changes %d–%d", g.From, g.To)
	if g.From == g.To {
		changes = fmt.Sprintf("change %d", g.From)
	}
	why := "it sent later ones without them"
	switch g.Why {
	case wire.SkipHeld:
		why = "the kiosk holds them: a change the centre refused waits there for staff"
	case wire.SkipLost:
		why = "the kiosk no longer has them: its database was damaged or put back from a copy"
	}
	return fmt.Sprintf("Kiosk %s is missing %s at the centre since %s (epoch %d): %s.",
		g.Kiosk, changes, g.Opened.UTC().Format("2006-01-02 15:04 MST"), g.Epoch, why)
}

package centre

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/sqldb"
)

// IncidentRecord is an incident summary as the centre stored it.
type IncidentRecord struct {
	Kiosk     string
	KioskName string // "" if the kiosk has none
	Epoch     int64  // the kiosk database the incident is in
	Summary   queue.IncidentSummary
	Received  time.Time // centre time of the latest summary
}

// Incidents lists the incidents the kiosks of a site reported that ended
// at or after since (so one under way at since is listed), newest first.
// A zero since lists them all.
func (s *Service) Incidents(ctx context.Context, site string, since time.Time) ([]IncidentRecord, error) {
	stored, err := s.store.Incidents(ctx, site, since)
	if err != nil {
		return nil, fmt.Errorf("list incidents at %s: %w", site, err)
	}
	out := make([]IncidentRecord, 0, len(stored))
	for _, in := range stored {
		r := IncidentRecord{Kiosk: in.Kiosk, KioskName: in.KioskName, Epoch: in.Epoch, Received: in.Received}
		if err := json.Unmarshal(in.Summary, &r.Summary); err != nil {
			return nil, fmt.Errorf("incident %s/%d: %w", in.Kiosk, in.Epoch, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// checkIncident returns why an incident summary cannot be stored, or "".
// The kiosk sends one when the incident is over, so it has an end.
func checkIncident(s *queue.IncidentSummary) string {
	switch {
	case s == nil:
		return "an incident without its summary"
	case s.ID <= 0:
		return fmt.Sprintf("incident id %d must be positive", s.ID)
	case s.Start.IsZero():
		return fmt.Sprintf("incident %d has no start", s.ID)
	case s.End.IsZero():
		return fmt.Sprintf("incident %d has no end; a summary is sent once it is over", s.ID)
	case s.End.Before(s.Start):
		return fmt.Sprintf("incident %d ends (%s) before it starts (%s)", s.ID, sqldb.FormatTime(s.End), sqldb.FormatTime(s.Start))
	case s.Drill && s.Peak == queue.SeverityNone:
		// A drill stopped within the grace period, from a kiosk of the
		// previous release (kiosks now send queue.DrillPeak): accepted, so
		// staff can send again what an older centre refused.
	case s.Peak < queue.SeverityMinor || s.Peak > queue.SeverityCritical:
		return fmt.Sprintf("incident %d: peak severity %s must be minor, major or critical", s.ID, s.Peak)
	}
	for _, n := range []struct {
		name string
		v    int
	}{
		{"check_ins", s.CheckIns}, {"peak_waiting", s.PeakWaiting}, {"conflicts", s.Conflicts}, {"watch_hits", s.WatchHits},
		{"messages", s.Messages}, {"steps_done", s.StepsDone}, {"steps_total", s.StepsTotal}, {"feedback", s.Feedback},
	} {
		if n.v < 0 {
			return fmt.Sprintf("incident %d: %s %d is negative", s.ID, n.name, n.v)
		}
	}
	return ""
}

// storeIncidents writes the batch's incident summaries. Within a batch
// the last summary of an incident wins, as one statement may not change a
// row twice.
func (p *pushTx) storeIncidents(ctx context.Context) error {
	if len(p.incidents) == 0 {
		return nil
	}
	last := make(map[[2]int64]int, len(p.incidents))
	for i, in := range p.incidents {
		last[[2]int64{in.Epoch, in.Summary.ID}] = i
	}
	rows := make([]IncidentRow, 0, len(last))
	for i, in := range p.incidents {
		if last[[2]int64{in.Epoch, in.Summary.ID}] != i {
			continue
		}
		data, err := json.Marshal(in.Summary)
		if err != nil {
			return fmt.Errorf("encode incident %d: %w", in.Summary.ID, err)
		}
		in.JSON = string(data)
		rows = append(rows, in)
	}
	if err := p.tx.PutIncidents(ctx, rows); err != nil {
		return fmt.Errorf("store incidents: %w", err)
	}
	return nil
}

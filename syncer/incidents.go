package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"lobbyline/queue"
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
func (c *Central) Incidents(ctx context.Context, site string, since time.Time) ([]IncidentRecord, error) {
	query := `SELECT i.kiosk_id, coalesce(k.name, ''), i.epoch, i.summary, i.received_at
		FROM incidents i LEFT JOIN kiosks k ON k.id = i.kiosk_id WHERE i.site_id = ?`
	args := []any{site}
	if !since.IsZero() {
		query += " AND i.ended_at >= ?"
		args = append(args, stamp(since))
	}
	rows, err := c.db.QueryContext(ctx, c.q(query+" ORDER BY i.started_at DESC, i.kiosk_id, i.epoch, i.incident_id DESC"), args...)
	if err != nil {
		return nil, fmt.Errorf("list incidents at %s: %w", site, err)
	}
	defer rows.Close()
	var out []IncidentRecord
	for rows.Next() {
		var r IncidentRecord
		var summary, received string
		if err := rows.Scan(&r.Kiosk, &r.KioskName, &r.Epoch, &summary, &received); err != nil {
			return nil, fmt.Errorf("list incidents at %s: %w", site, err)
		}
		if err := json.Unmarshal([]byte(summary), &r.Summary); err != nil {
			return nil, fmt.Errorf("incident %s/%d/%d: %w", r.Kiosk, r.Epoch, r.Summary.ID, err)
		}
		if r.Received, err = parseStamp(received); err != nil {
			return nil, fmt.Errorf("incident %s/%d/%d: %w", r.Kiosk, r.Epoch, r.Summary.ID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list incidents at %s: %w", site, err)
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
		return fmt.Sprintf("incident %d ends (%s) before it starts (%s)", s.ID, stamp(s.End), stamp(s.Start))
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

// incidentRow is an applied incident summary waiting for finish.
type incidentRow struct {
	epoch   int64
	summary queue.IncidentSummary
}

// storeIncidents writes the batch's incident summaries. A newer summary
// of the same incident replaces the row; within a batch the last wins,
// as one statement may not change a row twice.
func (p *pushTx) storeIncidents(ctx context.Context) error {
	if len(p.incidents) == 0 {
		return nil
	}
	last := make(map[[2]int64]int, len(p.incidents))
	for i, in := range p.incidents {
		last[[2]int64{in.epoch, in.summary.ID}] = i
	}
	ms := func(d time.Duration) int64 { return d.Milliseconds() }
	rows := make([][]any, 0, len(last))
	for i, in := range p.incidents {
		if last[[2]int64{in.epoch, in.summary.ID}] != i {
			continue
		}
		s := in.summary
		data, err := json.Marshal(s)
		if err != nil {
			return fmt.Errorf("encode incident %d: %w", s.ID, err)
		}
		rows = append(rows, []any{p.k.ID, in.epoch, s.ID, p.k.Site, s.Drill, s.Cause, s.Peak.String(),
			stamp(s.Start), stamp(s.End), ms(s.Duration), s.CheckIns, s.PeakWaiting, ms(s.LongestWait), ms(s.DrainTime),
			s.Conflicts, s.WatchHits, s.Messages, s.StepsDone, s.StepsTotal, s.Feedback, s.FeedbackAvg,
			ms(s.FirstSaid), ms(s.AllTicked), string(data), stamp(p.now)})
	}
	err := p.c.insertRows(ctx, p.tx, `INSERT INTO incidents (kiosk_id, epoch, incident_id, site_id, drill, cause, peak,
		started_at, ended_at, duration_ms, check_ins, peak_waiting, longest_wait_ms, drain_ms,
		conflicts, watch_hits, messages, steps_done, steps_total, feedback, feedback_avg,
		first_said_ms, all_ticked_ms, summary, received_at) VALUES `, rows,
		` ON CONFLICT (kiosk_id, epoch, incident_id) DO UPDATE SET site_id = excluded.site_id, drill = excluded.drill,
			cause = excluded.cause, peak = excluded.peak, started_at = excluded.started_at, ended_at = excluded.ended_at,
			duration_ms = excluded.duration_ms, check_ins = excluded.check_ins, peak_waiting = excluded.peak_waiting,
			longest_wait_ms = excluded.longest_wait_ms, drain_ms = excluded.drain_ms, conflicts = excluded.conflicts,
			watch_hits = excluded.watch_hits, messages = excluded.messages, steps_done = excluded.steps_done,
			steps_total = excluded.steps_total, feedback = excluded.feedback, feedback_avg = excluded.feedback_avg,
			first_said_ms = excluded.first_said_ms, all_ticked_ms = excluded.all_ticked_ms,
			summary = excluded.summary, received_at = excluded.received_at`)
	if err != nil {
		return fmt.Errorf("store incidents: %w", err)
	}
	return nil
}

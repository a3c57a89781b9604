package queue

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"lobbyline/queue/sqldb"
)

// alertWindow is how long after an incident drained its alerts still
// count for it: the centre's re-screen of offline check-ins arrives with
// the pull that follows the push.
const alertWindow = 5 * time.Minute

// IncidentReport gathers what the kiosk knows about incident id. steps is
// the runbook as configured, for the checklist.
func (s *Store) IncidentReport(ctx context.Context, id int64, steps []string) (IncidentReport, error) {
	in, err := s.Incident(ctx, id)
	if err != nil {
		return IncidentReport{}, err
	}
	now := s.now()
	r := IncidentReport{Kiosk: s.kioskID, MadeAt: now, Incident: in, Steps: steps}
	end := in.End
	if end.IsZero() {
		end = now
	}
	// Spans of times the clock gave: one set back in between would make
	// them negative; none is shorter than nothing.
	r.Duration = max(end.Sub(in.Start), 0)
	if !in.DrainedAt.IsZero() {
		r.DrainTime = max(in.DrainedAt.Sub(in.End), 0)
	}
	err = inReadTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := s.reportWaits(ctx, tx, &r, end, now); err != nil {
			return err
		}
		if r.PeakWaiting, err = peakWaiting(ctx, tx, in.Start, end); err != nil {
			return err
		}
		drained := in.DrainedAt
		if drained.IsZero() {
			drained = now
		}
		if r.PeakBacklog, err = peakBacklog(ctx, tx, in.Start, drained); err != nil {
			return err
		}
		alertsUntil := now
		if !in.DrainedAt.IsZero() {
			alertsUntil = in.DrainedAt.Add(alertWindow)
		}
		alerts, err := s.alerts(ctx, "WHERE a.created_at >= ? AND a.created_at <= ? ORDER BY a.id", sqldb.FormatTime(in.Start), sqldb.FormatTime(alertsUntil))
		if err != nil {
			return err
		}
		// The kiosk's own screening and the centre's re-screen may both
		// flag one visit: it counts once.
		type hit struct {
			kind  string
			visit int64
		}
		seen := map[hit]bool{}
		for _, a := range alerts {
			h := hit{a.Kind, a.Visit}
			if a.Visit != 0 && seen[h] {
				continue
			}
			seen[h] = true
			switch a.Kind {
			case AlertWatch:
				r.WatchHits++
			case AlertDuplicate, AlertPreRegGone, AlertUnknownCode:
				r.Conflicts++
			default:
				continue
			}
			r.Alerts = append(r.Alerts, a)
		}
		rows, err := tx.QueryContext(ctx, "SELECT score FROM feedback WHERE incident_id = ? ORDER BY id", id)
		if err != nil {
			return fmt.Errorf("read feedback: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var score int
			if err := rows.Scan(&score); err != nil {
				return fmt.Errorf("read feedback: %w", err)
			}
			r.Feedback = append(r.Feedback, score)
		}
		return rows.Err()
	})
	if err != nil {
		return IncidentReport{}, fmt.Errorf("incident %d report: %w", id, err)
	}
	if r.Timeline, err = s.Timeline(ctx, id); err != nil {
		return IncidentReport{}, err
	}
	if r.Samples, err = s.Samples(ctx, id); err != nil {
		return IncidentReport{}, err
	}
	r.FirstSaid, r.AllTicked = responseTimes(in.Start, r.Timeline, len(steps))
	return r, nil
}

// reportWaits reads the visits that checked in during the incident with
// the estimate each was shown.
func (s *Store) reportWaits(ctx context.Context, tx *sql.Tx, r *IncidentReport, end, now time.Time) error {
	// The wait ends at the first call: a transfer clears called_at, and
	// the estimate on the ticket was for that first call.
	rows, err := tx.QueryContext(ctx, `SELECT v.ticket, v.service_id, v.status, v.checked_in_at,
		coalesce((SELECT min(c.at) FROM events c WHERE c.visit_id = v.id AND c.kind = 'call'), v.called_at, ''),
		coalesce(json_extract(e.data, '$.est_s'), -1)
		FROM visits v LEFT JOIN events e ON e.visit_id = v.id AND e.kind = 'check_in'
		WHERE v.checked_in_at >= ? AND v.checked_in_at < ? ORDER BY v.checked_in_at, v.id`,
		sqldb.FormatTime(r.Incident.Start), sqldb.FormatTime(end))
	if err != nil {
		return fmt.Errorf("read waits: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			w               WaitOutcome
			status          Status
			checkedIn, call string
			est             int64
		)
		if err := rows.Scan(&w.Ticket, &w.Service, &status, &checkedIn, &call, &est); err != nil {
			return fmt.Errorf("read waits: %w", err)
		}
		r.CheckIns++
		if w.CheckedIn, err = sqldb.ParseTime(checkedIn); err != nil {
			return err
		}
		switch {
		case call != "":
			called, err := sqldb.ParseTime(call)
			if err != nil {
				return err
			}
			w.Wait = max(called.Sub(w.CheckedIn), 0)
		case status == StatusWaiting:
			w.Wait, w.Waiting = max(now.Sub(w.CheckedIn), 0), true
		default:
			continue // left before being called: no wait to compare
		}
		r.LongestWait = max(r.LongestWait, w.Wait)
		if est < 0 {
			continue // checked in before estimates were logged
		}
		w.Estimate = time.Duration(est) * time.Second
		r.Waits = append(r.Waits, w)
	}
	return rows.Err()
}

// peakWaiting is the longest the line was from start to end, exactly: the
// visits' events replayed in the order they were written, counting those
// waiting after each one. (The samples the chart draws are a minute
// apart; a line that formed and was called between two is in the log.)
func peakWaiting(ctx context.Context, tx *sql.Tx, start, end time.Time) (int, error) {
	from, to := sqldb.FormatTime(start), sqldb.FormatTime(end)
	// A visit done before the start was never in line again (nothing
	// leads back from served, no-show or cancelled); one checked in after
	// the end does not count.
	// A visit's events come after its check-in: the log is read from the
	// earliest check-in that matters, by its index on time.
	rows, err := tx.QueryContext(ctx, `WITH live AS
			(SELECT id, checked_in_at FROM visits WHERE checked_in_at <= ?2 AND (done_at IS NULL OR done_at >= ?1))
		SELECT e.at, e.kind, e.visit_id FROM events e
		WHERE e.at >= (SELECT coalesce(min(checked_in_at), ?2) FROM live) AND e.at <= ?2
			AND e.visit_id IN (SELECT id FROM live)
		ORDER BY e.id`, from, to)
	if err != nil {
		return 0, fmt.Errorf("replay the line: %w", err)
	}
	defer rows.Close()
	waiting := map[int64]bool{}
	peak, started := 0, false
	for rows.Next() {
		var at, kind string
		var visit int64
		if err := rows.Scan(&at, &kind, &visit); err != nil {
			return 0, fmt.Errorf("replay the line: %w", err)
		}
		if !started && at >= from { // the line at the start, then each change
			started, peak = true, len(waiting)
		}
		switch kind {
		case KindCheckIn, KindTransfer:
			waiting[visit] = true
		case KindCall, KindServe, KindNoShow, KindCancel, KindCheckOut:
			delete(waiting, visit)
		}
		if started {
			peak = max(peak, len(waiting))
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("replay the line: %w", err)
	}
	if !started { // nothing changed during the incident
		peak = len(waiting)
	}
	return peak, nil
}

// peakBacklog is the most changes that waited for the centre at once
// from start to end, exactly: each outbox row waits from its creation
// until the centre answered it (synced_at), or until now if it has not.
// A change made at end (the summary, once drained) is not counted.
func peakBacklog(ctx context.Context, tx *sql.Tx, start, end time.Time) (int, error) {
	from, to := sqldb.FormatTime(start), sqldb.FormatTime(end)
	rows, err := tx.QueryContext(ctx, `SELECT created_at, CASE WHEN state = 'pending' THEN '' ELSE coalesce(synced_at, '') END
		FROM outbox WHERE created_at < ?2 AND (state = 'pending' OR synced_at IS NULL OR synced_at > ?1)`, from, to)
	if err != nil {
		return 0, fmt.Errorf("replay the backlog: %w", err)
	}
	defer rows.Close()
	type step struct {
		at    string
		delta int
	}
	var steps []step
	n := 0 // waiting at the start
	for rows.Next() {
		var created, answered string
		if err := rows.Scan(&created, &answered); err != nil {
			return 0, fmt.Errorf("replay the backlog: %w", err)
		}
		if created <= from {
			n++
		} else {
			steps = append(steps, step{created, +1})
		}
		if answered != "" && answered <= to {
			steps = append(steps, step{answered, -1})
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("replay the backlog: %w", err)
	}
	// At one instant, arrivals before answers: a change made and sent in
	// the same millisecond still waited.
	slices.SortFunc(steps, func(a, b step) int { return cmp.Or(cmp.Compare(a.at, b.at), b.delta-a.delta) })
	peak := n
	for _, s := range steps {
		n += s.delta
		peak = max(peak, n)
	}
	return peak, nil
}

// responseTimes is how long after start the first message went up and
// the whole runbook was ticked (0 for what did not happen).
func responseTimes(start time.Time, timeline []TimelineEntry, steps int) (firstSaid, allTicked time.Duration) {
	ticked := map[int]time.Time{}
	for _, e := range timeline {
		switch e.Kind {
		case TimelineMessage:
			if firstSaid == 0 {
				firstSaid = max(e.At.Sub(start), time.Millisecond)
			}
		case TimelineStep:
			if e.Step < steps {
				ticked[e.Step] = e.At
			}
		}
	}
	if steps == 0 || len(ticked) < steps {
		return firstSaid, 0
	}
	var last time.Time
	for _, at := range ticked {
		if at.After(last) {
			last = at
		}
	}
	return firstSaid, max(last.Sub(start), time.Millisecond)
}

// ReportIncident puts the summary of an ended incident in the outbox for
// the centre, once. It reports whether it did now.
func (s *Store) ReportIncident(ctx context.Context, id int64, steps []string) (bool, error) {
	r, err := s.IncidentReport(ctx, id, steps)
	if err != nil {
		return false, err
	}
	if r.Incident.Open() || !r.Incident.ReportedAt.IsZero() {
		return false, nil
	}
	sum := r.Summary()
	now := s.now()
	sent := false
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		// A drill ended by the previous release may have kept peak none:
		// the row says what the summary says.
		res, err := tx.ExecContext(ctx, "UPDATE incidents SET reported_at = ?, peak = ? WHERE id = ? AND reported_at IS NULL",
			sqldb.FormatTime(now), sum.Peak, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // another process reported it first
		}
		sent = true
		return s.record(ctx, tx, now, event{Kind: KindIncident, Actor: "kiosk", incident: &sum}, nil, nil)
	})
	if err != nil {
		return false, fmt.Errorf("report incident %d: %w", id, err)
	}
	if sent {
		s.afterWrite()
	}
	return sent, nil
}

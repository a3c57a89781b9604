package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"lobbyline/queue/sqldb"
)

// ErrIncidentOpen is returned when an incident (or drill) is already going on.
var ErrIncidentOpen = errors.New("queue: an incident is already open")

const incidentColumns = `id, drill, cause, severity, peak, started_at, coalesce(ended_at, ''), coalesce(drained_at, ''),
	coalesce(expected_back, ''), coalesce(drill_until, ''), drill_banner, coalesce(reported_at, '')`

func scanIncident(r scanner) (Incident, error) {
	var (
		in                                             Incident
		drill, banner                                  int
		start, end, drained, expected, until, reported string
	)
	err := r.Scan(&in.ID, &drill, &in.Cause, &in.Severity, &in.Peak, &start, &end, &drained, &expected, &until, &banner, &reported)
	if err != nil {
		return Incident{}, err
	}
	in.Drill, in.DrillBanner = drill != 0, banner != 0
	for _, f := range []struct {
		s string
		t *time.Time
	}{{start, &in.Start}, {end, &in.End}, {drained, &in.DrainedAt}, {expected, &in.ExpectedBack}, {until, &in.DrillUntil}, {reported, &in.ReportedAt}} {
		if f.s == "" {
			continue
		}
		if *f.t, err = sqldb.ParseTime(f.s); err != nil {
			return Incident{}, fmt.Errorf("incident %d: %w", in.ID, err)
		}
	}
	return in, nil
}

// OpenIncident records the start of an outage. If an incident is already
// open it is returned unchanged with created false: the kiosk lives one
// incident at a time, and a drill that is on holds the place of a real
// outage that starts during it.
func (s *Store) OpenIncident(ctx context.Context, cause string, sev Severity, start time.Time) (in Incident, created bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		cur, ok, err := openIncident(ctx, tx)
		if err != nil || ok {
			in = cur
			return err
		}
		in = Incident{Cause: cause, Severity: sev, Peak: sev, Start: start}
		if err := insertIncident(ctx, tx, &in); err != nil {
			return err
		}
		created = true
		return addTimeline(ctx, tx, in.ID, TimelineEntry{At: s.now(), Kind: TimelineSeverity, Text: "none → " + sev.String()})
	})
	if err != nil {
		return Incident{}, false, fmt.Errorf("open incident: %w", err)
	}
	return in, created, nil
}

// StartDrill opens a drill: an outage rehearsed on a live kiosk for d.
// banner says whether visitors see the lobby banner during it.
func (s *Store) StartDrill(ctx context.Context, d time.Duration, banner bool, by string) (Incident, error) {
	if d < time.Minute || d > 8*time.Hour {
		return Incident{}, invalid("minutes", "error.drill.length", "A drill lasts from 1 minute to 8 hours.", nil)
	}
	if err := checkText("staff", by); err != nil {
		return Incident{}, err
	}
	now := s.now()
	in := Incident{Drill: true, Cause: "drill: central unreachable", Start: now, DrillUntil: now.Add(d), DrillBanner: banner}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, ok, err := openIncident(ctx, tx); err != nil || ok {
			if ok {
				return conflict("error.incident.open", "An incident is going on; a drill cannot start until it is over.", nil)
			}
			return err
		}
		if err := insertIncident(ctx, tx, &in); err != nil {
			return err
		}
		if err := s.auditAs(ctx, tx, now, "drill_start", "", d.String()); err != nil {
			return err
		}
		return addTimeline(ctx, tx, in.ID, TimelineEntry{At: now, Kind: TimelineNote, Actor: by,
			Text: fmt.Sprintf("drill started for %s", d)})
	})
	if err != nil {
		return Incident{}, storageError("start drill", err)
	}
	return in, nil
}

func insertIncident(ctx context.Context, tx *sql.Tx, in *Incident) error {
	return tx.QueryRowContext(ctx, `INSERT INTO incidents (drill, cause, severity, peak, started_at, drill_until, drill_banner)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		boolInt(in.Drill), in.Cause, in.Severity, in.Peak, sqldb.FormatTime(in.Start), nullTime(in.DrillUntil), boolInt(in.DrillBanner)).Scan(&in.ID)
}

// CurrentIncident returns the open incident, if any.
func (s *Store) CurrentIncident(ctx context.Context) (Incident, bool, error) {
	var in Incident
	var ok bool
	err := inReadTx(ctx, s.db, func(tx *sql.Tx) error {
		var err error
		in, ok, err = openIncident(ctx, tx)
		return err
	})
	if err != nil {
		return Incident{}, false, fmt.Errorf("current incident: %w", err)
	}
	return in, ok, nil
}

func openIncident(ctx context.Context, tx *sql.Tx) (Incident, bool, error) {
	in, err := scanIncident(tx.QueryRowContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1"))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, false, nil
	}
	if err != nil {
		return Incident{}, false, err
	}
	return in, true, nil
}

// Incident returns one incident by ID.
func (s *Store) Incident(ctx context.Context, id int64) (Incident, error) {
	in, err := scanIncident(s.db.QueryRowContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, notFound("error.incident.unknown", "There is no incident {{.ID}}.", map[string]any{"ID": id})
	}
	if err != nil {
		return Incident{}, fmt.Errorf("read incident %d: %w", id, err)
	}
	return in, nil
}

// Incidents returns up to limit incidents, newest first.
func (s *Store) Incidents(ctx context.Context, limit int) ([]Incident, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+incidentColumns+" FROM incidents ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("list incidents: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// SetSeverity records a change of the open incident's severity.
func (s *Store) SetSeverity(ctx context.Context, id int64, sev Severity, cause string) error {
	return s.changeIncident(ctx, id, "set severity", func(tx *sql.Tx, in Incident) error {
		if in.Severity == sev && in.Cause == cause {
			return nil
		}
		_, err := tx.ExecContext(ctx, "UPDATE incidents SET severity = ?, peak = max(peak, ?), cause = ? WHERE id = ?", sev, sev, cause, id)
		if err != nil || in.Severity == sev {
			return err
		}
		return addTimeline(ctx, tx, id, TimelineEntry{At: s.now(), Kind: TimelineSeverity,
			Text: in.Severity.String() + " → " + sev.String() + " (" + cause + ")"})
	})
}

// EndIncident closes the open incident at the given time: the centre is
// back, or the drill is over. The messages published for it come down; a
// drill's are practice, so the lobby's message put up before the drill
// (which they never replaced) is still up after it.
func (s *Store) EndIncident(ctx context.Context, id int64, at time.Time, why string) error {
	return s.changeIncident(ctx, id, "end incident", func(tx *sql.Tx, in Incident) error {
		if !in.Open() {
			return conflict("error.incident.over", "This incident is over.", nil)
		}
		// A drill's peak is final here, and a drill is minor at the least
		// (see DrillPeak).
		if _, err := tx.ExecContext(ctx, "UPDATE incidents SET ended_at = ?, peak = ? WHERE id = ?",
			sqldb.FormatTime(at), ReportedPeak(in), id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE lobby_messages SET cleared_at = ?, cleared_by = 'kiosk' WHERE incident_id = ? AND cleared_at IS NULL",
			sqldb.FormatTime(at), id)
		if err != nil {
			return err
		}
		if err := s.auditAs(ctx, tx, at, "incident_end", "", why); err != nil {
			return err
		}
		return addTimeline(ctx, tx, id, TimelineEntry{At: at, Kind: TimelineEnd, Text: why})
	})
}

// MarkDrained records that the backlog of every ended incident reached
// the centre at the given time, and says how many it marked.
func (s *Store) MarkDrained(ctx context.Context, at time.Time) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "UPDATE incidents SET drained_at = ?1 WHERE ended_at IS NOT NULL AND drained_at IS NULL AND ended_at <= ?1 RETURNING id",
			sqldb.FormatTime(at))
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				_ = rows.Close() // the scan error is the one to report
				return err
			}
			ids = append(ids, id)
		}
		_ = rows.Close() // rows.Err below reports a failed read
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			if err := addTimeline(ctx, tx, id, TimelineEntry{At: at, Kind: TimelineDrained, Text: "every change made during it reached the centre"}); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("mark drained: %w", err)
	}
	return n, nil
}

// SetExpectedBack records when staff expect the centre back; the zero
// time clears it.
func (s *Store) SetExpectedBack(ctx context.Context, id int64, at time.Time, by string) error {
	if err := checkText("staff", by); err != nil {
		return err
	}
	now := s.now()
	if !at.IsZero() && !at.After(now) {
		return invalid("expected", "error.expected.past", "The expected time back must be in the future.", nil)
	}
	return s.changeIncident(ctx, id, "set expected time", func(tx *sql.Tx, in Incident) error {
		if !in.Open() {
			return conflict("error.incident.over", "This incident is over.", nil)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE incidents SET expected_back = ? WHERE id = ?", nullTime(at), id); err != nil {
			return err
		}
		text := "expected time back cleared"
		if !at.IsZero() {
			text = "expected back at " + at.In(s.loc).Format("15:04")
		}
		if err := s.auditAs(ctx, tx, now, "expected_back", "", text); err != nil {
			return err
		}
		return addTimeline(ctx, tx, id, TimelineEntry{At: now, Kind: TimelineExpected, Actor: by, Text: text})
	})
}

// TickStep records that a member of staff did runbook step i (its text as
// configured now, so the report reads right if the config changes).
func (s *Store) TickStep(ctx context.Context, id int64, step int, text, by string) error {
	if err := checkText("staff", by); err != nil {
		return err
	}
	if step < 0 {
		return invalid("step", "error.step.unknown", "There is no such step.", nil)
	}
	return s.changeIncident(ctx, id, "tick step", func(tx *sql.Tx, in Incident) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM incident_timeline WHERE incident_id = ? AND kind = 'step' AND step = ?", id, step).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return conflict("error.step.done", "This step is already ticked.", nil)
		}
		if err := s.auditAs(ctx, tx, s.now(), "runbook_tick", "", fmt.Sprintf("step %d", step+1)); err != nil {
			return err
		}
		return addTimeline(ctx, tx, id, TimelineEntry{At: s.now(), Kind: TimelineStep, Actor: by, Text: text, Step: step})
	})
}

// changeIncident runs fn on incident id in a transaction.
func (s *Store) changeIncident(ctx context.Context, id int64, what string, fn func(*sql.Tx, Incident) error) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		in, err := scanIncident(tx.QueryRowContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("error.incident.unknown", "There is no incident {{.ID}}.", map[string]any{"ID": id})
		}
		if err != nil {
			return err
		}
		return fn(tx, in)
	})
	return storageError(what, err)
}

// TimelineNote is a free remark on the timeline: a drill started, a
// report made.
const TimelineNote = "note"

func addTimeline(ctx context.Context, tx *sql.Tx, id int64, e TimelineEntry) error {
	step := e.Step
	if e.Kind != TimelineStep {
		step = -1
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO incident_timeline (incident_id, at, kind, actor, text, step) VALUES (?, ?, ?, ?, ?, ?)",
		id, sqldb.FormatTime(e.At), e.Kind, e.Actor, e.Text, step)
	if err != nil {
		return fmt.Errorf("incident timeline: %w", err)
	}
	return nil
}

// Timeline returns what happened during incident id, in order.
func (s *Store) Timeline(ctx context.Context, id int64) ([]TimelineEntry, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT at, kind, actor, text, step FROM incident_timeline WHERE incident_id = ? ORDER BY id", id)
	if err != nil {
		return nil, fmt.Errorf("read timeline: %w", err)
	}
	defer rows.Close()
	var out []TimelineEntry
	for rows.Next() {
		var e TimelineEntry
		var at string
		if err := rows.Scan(&at, &e.Kind, &e.Actor, &e.Text, &e.Step); err != nil {
			return nil, fmt.Errorf("read timeline: %w", err)
		}
		if e.At, err = sqldb.ParseTime(at); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// AddSample records the line and the backlog for an incident's chart.
func (s *Store) AddSample(ctx context.Context, id int64, smp Sample) error {
	_, err := s.db.ExecContext(ctx, "INSERT INTO incident_samples (incident_id, at, waiting, backlog) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
		id, sqldb.FormatTime(smp.At), smp.Waiting, smp.Backlog)
	if err != nil {
		return fmt.Errorf("incident sample: %w", err)
	}
	return nil
}

// Samples returns an incident's samples in time order.
func (s *Store) Samples(ctx context.Context, id int64) ([]Sample, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT at, waiting, backlog FROM incident_samples WHERE incident_id = ? ORDER BY at", id)
	if err != nil {
		return nil, fmt.Errorf("read samples: %w", err)
	}
	defer rows.Close()
	var out []Sample
	for rows.Next() {
		var smp Sample
		var at string
		if err := rows.Scan(&at, &smp.Waiting, &smp.Backlog); err != nil {
			return nil, fmt.Errorf("read samples: %w", err)
		}
		if smp.At, err = sqldb.ParseTime(at); err != nil {
			return nil, err
		}
		out = append(out, smp)
	}
	return out, rows.Err()
}

// Waiting counts the visitors waiting at this kiosk now.
func (s *Store) Waiting(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM visits WHERE status = 'waiting'").Scan(&n); err != nil {
		return 0, fmt.Errorf("count waiting: %w", err)
	}
	return n, nil
}

// LobbyMessage is what staff published for the lobby banner.
type LobbyMessage struct {
	ID          int64
	Incident    int64             // the incident it was published during; 0 if none
	Template    string            // the template it came from, "" if written from scratch
	Severity    Severity          // the template's severity
	Texts       map[string]string // by language code
	PublishedAt time.Time
	PublishedBy string
	// Practice says it was published during a drill: it is kept apart
	// from the lobby's message (which it neither replaces nor hides) and
	// comes down when the drill ends.
	Practice bool
}

// Text is the message in language code, or else in the first language
// it has (by code order, so the choice is stable).
func (m LobbyMessage) Text(code string) string {
	if t, ok := m.Texts[code]; ok && t != "" {
		return t
	}
	best := ""
	for c, t := range m.Texts {
		if t != "" && (best == "" || c < best) {
			best = c
		}
	}
	return m.Texts[best]
}

// MaxMessageLength is the longest lobby message, in characters.
const MaxMessageLength = 500

// PublishMessage puts a message on the lobby banner, replacing the one
// there, and notes it on the open incident's timeline.
//
// During a drill the message is practice: it replaces only the drill's
// earlier practice message, never the lobby's own message, which stays
// up, untouched, through the drill and after it (see EndIncident).
func (s *Store) PublishMessage(ctx context.Context, m LobbyMessage) (LobbyMessage, error) {
	if err := checkText("staff", m.PublishedBy); err != nil {
		return LobbyMessage{}, err
	}
	if len(m.Texts) == 0 {
		return LobbyMessage{}, invalid("message", "error.message.empty", "Please write the message.", nil)
	}
	for code, t := range m.Texts {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
			return LobbyMessage{}, invalid("message", "error.message.empty", "Please write the message.", nil)
		case len([]rune(t)) > MaxMessageLength:
			return LobbyMessage{}, invalid("message", "error.message.long", "Please keep the message under {{.Max}} characters.", map[string]any{"Max": MaxMessageLength})
		case hasControl(t):
			return LobbyMessage{}, invalid("message", "error.message.control", "The message contains characters that cannot be shown.", nil)
		}
		m.Texts[code] = t
	}
	texts, err := json.Marshal(m.Texts)
	if err != nil {
		return LobbyMessage{}, fmt.Errorf("publish message: %w", err)
	}
	m.PublishedAt = s.now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		in, open, err := openIncident(ctx, tx)
		if err != nil {
			return err
		}
		m.Incident, m.Practice = 0, open && in.Drill
		if open {
			m.Incident = in.ID
		}
		at := sqldb.FormatTime(m.PublishedAt)
		// Outside a drill every message up is the lobby's (a drill's
		// come down with it); during one, only the drill's are replaced.
		var drill int64
		if m.Practice {
			drill = in.ID
		}
		if _, err := tx.ExecContext(ctx, "UPDATE lobby_messages SET cleared_at = ?1, cleared_by = ?2 WHERE cleared_at IS NULL AND (?3 = 0 OR incident_id = ?3)",
			at, m.PublishedBy, drill); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO lobby_messages (incident_id, template, severity, texts, published_at, published_by)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, nullInt(m.Incident), m.Template, m.Severity, string(texts), at, m.PublishedBy).Scan(&m.ID)
		if err != nil {
			return err
		}
		if err := s.auditAs(ctx, tx, m.PublishedAt, "message_publish", "", m.Template); err != nil || !open {
			return err
		}
		return addTimeline(ctx, tx, in.ID, TimelineEntry{At: m.PublishedAt, Kind: TimelineMessage, Actor: m.PublishedBy, Text: m.Text("en")})
	})
	if err != nil {
		return LobbyMessage{}, storageError("publish message", err)
	}
	return m, nil
}

// ClearMessage takes lobby message id down: the lobby's message, or a
// drill's practice message (see LobbyMessage.Practice). A message already
// down stays down: nothing changes and the error is nil.
func (s *Store) ClearMessage(ctx context.Context, id int64, by string) error {
	if err := checkText("staff", by); err != nil {
		return err
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var incident sql.NullInt64
		err := tx.QueryRowContext(ctx, "UPDATE lobby_messages SET cleared_at = ?, cleared_by = ? WHERE id = ? AND cleared_at IS NULL RETURNING incident_id",
			sqldb.FormatTime(now), by, id).Scan(&incident)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		detail := ""
		if incident.Valid {
			var drill bool
			if err := tx.QueryRowContext(ctx, "SELECT drill FROM incidents WHERE id = ?", incident.Int64).Scan(&drill); err != nil {
				return err
			}
			if drill {
				detail = "practice"
			}
		}
		if err := s.auditAs(ctx, tx, now, "message_clear", "", detail); err != nil || !incident.Valid {
			return err
		}
		return addTimeline(ctx, tx, incident.Int64, TimelineEntry{At: now, Kind: TimelineCleared, Actor: by, Text: "message taken down"})
	})
	return storageError("clear message", err)
}

// CurrentMessage returns the lobby's message, if any: the one staff put
// up outside a drill, which visitors read during a drill too. A drill's
// practice message is never it (see PracticeMessage).
func (s *Store) CurrentMessage(ctx context.Context) (LobbyMessage, bool, error) {
	return s.lobbyMessage(ctx, false)
}

// PracticeMessage returns the practice message of the drill open now, if
// any: the one staff published during it.
func (s *Store) PracticeMessage(ctx context.Context) (LobbyMessage, bool, error) {
	return s.lobbyMessage(ctx, true)
}

// lobbyMessage returns the newest practice message of the open drill up,
// or the newest of the lobby's.
func (s *Store) lobbyMessage(ctx context.Context, practice bool) (LobbyMessage, bool, error) {
	q := `SELECT m.id, m.incident_id, m.template, m.severity, m.texts, m.published_at, m.published_by, 0
		FROM lobby_messages m LEFT JOIN incidents i ON i.id = m.incident_id
		WHERE m.cleared_at IS NULL AND coalesce(i.drill, 0) = 0 ORDER BY m.id DESC LIMIT 1`
	if practice {
		q = `SELECT m.id, m.incident_id, m.template, m.severity, m.texts, m.published_at, m.published_by, 1
		FROM lobby_messages m JOIN incidents i ON i.id = m.incident_id
		WHERE m.cleared_at IS NULL AND i.drill = 1 AND i.ended_at IS NULL ORDER BY m.id DESC LIMIT 1`
	}
	var (
		m     LobbyMessage
		inc   sql.NullInt64
		texts string
		at    string
	)
	err := s.db.QueryRowContext(ctx, q).Scan(&m.ID, &inc, &m.Template, &m.Severity, &texts, &at, &m.PublishedBy, &m.Practice)
	if errors.Is(err, sql.ErrNoRows) {
		return LobbyMessage{}, false, nil
	}
	if err != nil {
		return LobbyMessage{}, false, fmt.Errorf("read lobby message: %w", err)
	}
	m.Incident = inc.Int64
	if err := json.Unmarshal([]byte(texts), &m.Texts); err != nil {
		return LobbyMessage{}, false, fmt.Errorf("lobby message %d: %w", m.ID, err)
	}
	if m.PublishedAt, err = sqldb.ParseTime(at); err != nil {
		return LobbyMessage{}, false, err
	}
	return m, true, nil
}

// RecordFeedback stores a visitor's 1–5 answer about their wait during
// incident id. One answer per visit.
func (s *Store) RecordFeedback(ctx context.Context, incident, visit int64, score int) error {
	if score < 1 || score > 5 {
		return invalid("score", "error.feedback.score", "Please choose from 1 to 5.", nil)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO feedback (incident_id, visit_id, score, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (visit_id) DO UPDATE SET score = excluded.score, at = excluded.at`, nullInt(incident), visit, score, sqldb.FormatTime(s.now()))
	return storageError("record feedback", err)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// hasControl reports control characters other than a line break, hidden
// formatting characters (HiddenRune), or invalid UTF-8.
func hasControl(t string) bool {
	if !utf8.ValidString(t) {
		return true
	}
	for _, r := range t {
		if r != '\n' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || HiddenRune(r)) {
			return true
		}
	}
	return false
}

// Heartbeat writes the time to the database: the monitor's proof that the
// kiosk can still commit.
func (s *Store) Heartbeat(ctx context.Context) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return setMeta(ctx, tx, "heartbeat", sqldb.FormatTime(s.now())) })
}

// Announcements returns the centre's announcements in force at now,
// the most severe first, then the newest.
func (s *Store) Announcements(ctx context.Context, now time.Time) ([]Announcement, error) {
	recs, err := s.Remote(ctx, EntityAnnouncement)
	if err != nil {
		return nil, err
	}
	var out []Announcement
	for _, r := range recs {
		var a Announcement
		if err := json.Unmarshal(r.Data, &a); err != nil {
			s.log.Warn("announcement", "key", r.Key, "err", err)
			continue
		}
		if a.From.After(now) || (!a.Until.IsZero() && !now.Before(a.Until)) || strings.TrimSpace(a.Text) == "" {
			continue
		}
		out = append(out, a)
	}
	rank := map[string]int{"critical": 3, "major": 2, "minor": 1}
	slices.SortStableFunc(out, func(a, b Announcement) int {
		if d := rank[b.Severity] - rank[a.Severity]; d != 0 {
			return d
		}
		return b.From.Compare(a.From)
	})
	return out, nil
}

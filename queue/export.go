package queue

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"lobbyline/queue/csvsafe"
)

// ExportColumns are the CSV columns of ExportDay. The first seven are the
// visit-log format of the shared datasets, so an export can be replayed by
// wait-eval; the rest are for reception. origin is where a recovery took
// the visit from (Visit.Origin), empty for a visit never restored.
var ExportColumns = []string{"id", "service", "arrived", "called", "done", "counter", "outcome",
	"ticket", "name", "host", "phone", "status", "source", "origin"}

// ExportDay writes the visits of one kiosk-local day (YYYY-MM-DD) as CSV in
// check-in order. What visitors typed goes through csvsafe.Cell, since
// reception opens the file in a spreadsheet.
func (s *Store) ExportDay(ctx context.Context, day string, w io.Writer) error {
	if _, err := time.Parse("2006-01-02", day); err != nil {
		return invalid("day", "error.day", "A day is written YYYY-MM-DD, like 2026-11-23.", nil)
	}
	// Read the whole day first and write after: a slow destination (a
	// pipe, a USB stick) must not hold a read transaction open, which
	// would keep the WAL from being truncated. A day is a few thousand
	// visits at most.
	var visits []Visit
	err := func() error {
		rows, err := s.db.QueryContext(ctx, "SELECT "+visitColumns+" FROM visits WHERE day = ? ORDER BY id", day)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scanVisit(rows)
			if err != nil {
				return err
			}
			visits = append(visits, v)
		}
		return rows.Err()
	}()
	if err != nil {
		return fmt.Errorf("export %s: %w", day, err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportColumns); err != nil {
		return err
	}
	for _, v := range visits {
		rec := []string{strconv.FormatInt(v.ID, 10), v.Service, rfc3339(v.CheckedInAt), rfc3339(v.CalledAt), rfc3339(v.DoneAt),
			v.Desk, outcome(v), v.Ticket, csvsafe.Cell(v.Name), csvsafe.Cell(v.Host), csvsafe.Cell(v.Phone), string(v.Status), v.Source, string(v.Origin)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// outcome maps a status to the visit-log outcome; open visits have none yet.
func outcome(v Visit) string {
	switch v.Status {
	case StatusServed:
		return "served"
	case StatusNoShow:
		return "no_show"
	case StatusCancelled:
		if v.CalledAt.IsZero() {
			return "abandoned"
		}
		return "no_show"
	}
	return ""
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

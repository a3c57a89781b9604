// Package report turns a queue.IncidentReport into the documents that IT
// and lobby staff read after an outage or a drill: a Markdown file, a
// long-form CSV for spreadsheets and scripts, a self-contained HTML page
// and a PNG chart of the line and the sync backlog over time.
//
// Reports and the printed roster are in the staff's language
// (Options.Lang, RosterOptions.Lang: a per-kiosk setting staff choose in
// staff mode, never the current visitor's), from a small catalogue of its
// own in translations/ (queue must not depend on Fyne, whose translations
// the kiosk's screens use). Dates are written as the language writes them
// in numbers (2026-03-02, 02.03.2026, 02/03/2026) with 24-hour clocks, and
// decimals with its mark. The CSV is a machine format: its header,
// sections, names and coded values stay English; only the notes for
// people in its detail column follow the language.
//
// The reports never contain an alert's message, which may name a
// visitor: alerts appear only by kind, ticket and time. Staff messages,
// step names and similar text are written as staff typed them, escaped for
// the format (Markdown punctuation, HTML through html/template, and CSV
// cells that a spreadsheet would read as a formula get a leading quote).
//
// The same report and options always give the same bytes, so reports can
// be compared and stored next to each other.
//
// The CSV has the header section,at,name,value,detail and these sections:
//
//	summary   name is a figure (kind, cause, start, duration_s, …), value its
//	          value, detail a human-readable note ("1 h 05 min", "not drained
//	          yet"); a value that does not exist yet is empty
//	timeline  at, name the entry's kind, value its text, detail who (empty for
//	          the kiosk)
//	step      at when it was ticked (empty if not), name the step as
//	          configured, value "done" or "not done", detail who ticked it;
//	          in runbook order
//	sample    two rows per sample: name "waiting" and "backlog"
//	wait      four rows per visit, detail its ticket: name "service",
//	          "estimate_s", "wait_s" and "still_waiting" (true or false);
//	          at is the check-in
//	alert     at, name "kind", value the alert's kind, detail its ticket
//	feedback  name "score_1" … "score_5", value how many visitors answered so;
//	          "score_other" counts answers outside 1–5, if any
//
// Times are RFC 3339 in Options.Location; durations are whole seconds;
// decimals have a point in every language. A timeline entry's value is its
// text as recorded.
//
// The package depends on queue's data types and on gonum.org/v1/plot for
// the chart; it must not depend on Fyne, HTTP, the store or the syncer,
// and it needs neither a display nor cgo.
package report

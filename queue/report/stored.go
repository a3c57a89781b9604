package report

import (
	"regexp"
	"time"

	"lobbyline/queue"
)

// The kiosk writes some timeline entries itself, in English, when the
// severity changes, the backlog drains or a drill starts or ends (see
// queue and syncer/outage). storedText reads those back and says them in
// the report's language; text that staff typed, and any the kiosk wrote
// that is not known here, stays as it was written.
var (
	storedSeverity  = regexp.MustCompile(`^(none|minor|major|critical) → (none|minor|major|critical)( \(.*\))?$`)
	storedExpected  = regexp.MustCompile(`^expected back at (\d\d:\d\d)$`)
	storedStopped   = regexp.MustCompile(`^stopped by (.+)$`)
	storedDrillFor  = regexp.MustCompile(`^drill started for (\S+)$`)
	storedFixedKeys = map[string]string{
		"expected time back cleared":                     "stored.expected_cleared",
		"message taken down":                             "event.cleared",
		"every change made during it reached the centre": "stored.drained",
		"the problem is over":                            "stored.over",
		"the drill's time was up":                        "stored.drill_time_up",
	}
)

func (l language) storedText(e queue.TimelineEntry) string {
	if e.Kind == queue.TimelineMessage || e.Kind == queue.TimelineStep {
		return e.Text // staff's own words
	}
	if key, ok := storedFixedKeys[e.Text]; ok {
		return l.t(key)
	}
	if m := storedSeverity.FindStringSubmatch(e.Text); m != nil {
		from, _ := queue.ParseSeverity(m[1])
		to, _ := queue.ParseSeverity(m[2])
		return l.severity(from) + " → " + l.severity(to) + m[3]
	}
	if m := storedExpected.FindStringSubmatch(e.Text); m != nil {
		return l.t("stored.expected_at", "Time", m[1])
	}
	if m := storedStopped.FindStringSubmatch(e.Text); m != nil && e.Kind == queue.TimelineEnd {
		return l.t("stored.stopped_by", "By", m[1])
	}
	if m := storedDrillFor.FindStringSubmatch(e.Text); m != nil {
		if d, err := time.ParseDuration(m[1]); err == nil {
			return l.t("stored.drill_started", "Duration", human(d))
		}
	}
	return e.Text
}

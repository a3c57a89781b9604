package kiosk

import (
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// defaultFeedbackWindow is how long after an incident visitors checking
// out are asked about their wait, when the config does not say.
const defaultFeedbackWindow = 2 * time.Hour

// feedbackIncident is the incident a visitor checking out at the kiosk is
// asked about (never a new ticket: its wait has not happened yet): the one
// going on (drills only if visitors see them), or the last one if it
// ended within the feedback window (measured either way, for a clock set
// back since); 0 for none. A negative window never
// asks.
func (u *UI) feedbackIncident() int64 {
	o := u.outage
	if o.Incident != nil {
		if o.Drill() && !o.Incident.DrillBanner {
			return 0
		}
		return o.Incident.ID
	}
	window := u.cfg.Incident.FeedbackWindow
	switch {
	case window < 0:
		return 0 // IT turned the question off
	case window == 0:
		window = defaultFeedbackWindow
	}
	list, err := u.lobby.Incidents(u.ctx, 1)
	if err != nil || len(list) == 0 {
		return 0
	}
	last := list[0]
	// Within the window either side of the end: a clock set back by hours
	// puts the end in the future, which must not keep asking until the
	// clock catches up.
	if since := u.cfg.Now().Sub(last.End); last.Open() || (last.Drill && !last.DrillBanner) || since > window || since < -window {
		return 0
	}
	return last.ID
}

// feedbackCard asks one optional question at check-out: how did we
// handle your wait today, 1 to 5.
type feedbackCard struct {
	scores  [5]*widget.Button
	thanks  *widget.Label
	content *fyne.Container
}

func newFeedbackCard(u *UI, incident, visit int64) *feedbackCard {
	c := &feedbackCard{thanks: newWrapped("", theme.SizeNameText, widget.SuccessImportance)}
	row := container.NewGridWithColumns(5)
	for i := range c.scores {
		score := i + 1
		c.scores[i] = widget.NewButton(strconv.Itoa(score), func() { u.giveFeedback(c, incident, visit, score) })
		row.Add(sized(0, 56, c.scores[i]))
	}
	c.thanks.Hide()
	c.content = container.NewVBox(
		newWrapped(lang.X("feedback.question", "We had a system problem today. How did we handle your wait? (optional)"),
			theme.SizeNameText, widget.MediumImportance),
		row,
		container.NewBorder(nil, nil,
			newText(lang.X("feedback.low", "1 poorly"), theme.SizeNameCaptionText, false, widget.LowImportance),
			newText(lang.X("feedback.high", "5 very well"), theme.SizeNameCaptionText, false, widget.LowImportance)),
		c.thanks)
	return c
}

// giveFeedback stores a visitor's answer and thanks them.
func (u *UI) giveFeedback(c *feedbackCard, incident, visit int64, score int) {
	u.touch()
	if err := u.lobby.RecordFeedback(u.ctx, incident, visit, score); err != nil {
		setText(c.thanks, u.errorText(err))
		c.thanks.Show()
		return
	}
	for i, b := range c.scores {
		if i+1 == score {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
	setText(c.thanks, lang.X("feedback.thanks", "Thank you. Your answer helps us do better."))
	c.thanks.Show()
}

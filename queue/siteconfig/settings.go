package siteconfig

import (
	"fmt"
	"strings"
	"time"

	"lobbyline/queue"
)

// Settings are the sections of a site's configuration besides its
// services and desks, in the kiosk file's keys: the languages, the idle
// timeouts, the site's part of [outage], the retention and [checkout]. A key a document leaves out
// (nil) is the kiosk file's: Over says how the two combine. What belongs
// to the machine (outage.disk_min_mb, outage.clock_max, the display, the
// keyboard, the centre's address) is never here.
type Settings struct {
	Languages        []string  `toml:"languages,omitempty" json:"languages,omitzero"`
	IdleTimeout      *Duration `toml:"idle_timeout,omitempty" json:"idle_timeout,omitempty"`
	StaffIdleTimeout *Duration `toml:"staff_idle_timeout,omitempty" json:"staff_idle_timeout,omitempty"`
	Outage           *Outage   `toml:"outage,omitempty" json:"outage,omitempty"`
	Jobs             *Jobs     `toml:"jobs,omitempty" json:"jobs,omitempty"`
	Checkout         *Checkout `toml:"checkout,omitempty" json:"checkout,omitempty"`
}

// Checkout is the [checkout] table: what a visitor checking out by a
// typed ticket number must show. A site decides it for all its kiosks,
// so that its roster means the same whichever kiosk a visitor used.
type Checkout struct {
	// PhoneProof: a typed ticket number of a visit with a phone asks for
	// the phone's last four digits (a scanned QR code needs nothing
	// more); without them the check-out is recorded self-declared. It is
	// also what makes the check-in form ask for a phone number at all
	// (queue.AskedFields). Off by default: the form asks no phone.
	PhoneProof *bool `toml:"phone_proof,omitempty" json:"phone_proof,omitempty"`
}

// PhoneProof is whether the settings ask for phone proof; off unless set.
func (s Settings) PhoneProof() bool {
	return s.Checkout != nil && s.Checkout.PhoneProof != nil && *s.Checkout.PhoneProof
}

// Jobs is the site's part of the [jobs] table: how long visitors'
// personal data is kept. The centre purges its copy after the same time,
// so kiosks and centre agree on it; the times of day the jobs run belong
// to each machine.
type Jobs struct {
	RetentionDays *int `toml:"retention_days,omitempty" json:"retention_days,omitempty"`
}

// Retention is the retention the settings set, or queue.DefaultRetention.
func (s Settings) Retention() time.Duration {
	if s.Jobs == nil || s.Jobs.RetentionDays == nil {
		return queue.DefaultRetention
	}
	return time.Duration(*s.Jobs.RetentionDays) * 24 * time.Hour
}

// Outage is the site's part of the [outage] table: when a problem
// becomes an incident and how it escalates, whom staff call, their
// runbook and the message templates added to the built-in ones.
type Outage struct {
	Grace          *Duration               `toml:"grace,omitempty" json:"grace,omitempty"`
	MajorAfter     *Duration               `toml:"major_after,omitempty" json:"major_after,omitempty"`
	CriticalAfter  *Duration               `toml:"critical_after,omitempty" json:"critical_after,omitempty"` // "0s": never by time alone
	BackToNormal   *Duration               `toml:"back_to_normal,omitempty" json:"back_to_normal,omitempty"`
	UpdateEvery    *Duration               `toml:"update_every,omitempty" json:"update_every,omitempty"`
	FeedbackWindow *Duration               `toml:"feedback_window,omitempty" json:"feedback_window,omitempty"` // "0s": never ask
	DrillBanner    *bool                   `toml:"drill_banner,omitempty" json:"drill_banner,omitempty"`
	Runbook        []string                `toml:"runbook" json:"runbook,omitzero"`
	Contacts       map[string][]string     `toml:"contacts" json:"contacts,omitzero"` // by severity: minor, major, critical
	Templates      []queue.MessageTemplate `toml:"templates,omitempty" json:"templates,omitzero"`
}

// Empty reports whether s sets nothing.
func (s Settings) Empty() bool {
	return s.Languages == nil && s.IdleTimeout == nil && s.StaffIdleTimeout == nil && s.Outage == nil && s.Jobs == nil && s.Checkout == nil
}

// Over is base with every key s sets in place of base's: the centre's
// settings over the kiosk file's.
func (s Settings) Over(base Settings) Settings {
	out := base
	if s.Languages != nil {
		out.Languages = s.Languages
	}
	out.IdleTimeout = or(s.IdleTimeout, base.IdleTimeout)
	out.StaffIdleTimeout = or(s.StaffIdleTimeout, base.StaffIdleTimeout)
	if s.Jobs != nil && s.Jobs.RetentionDays != nil {
		out.Jobs = &Jobs{RetentionDays: s.Jobs.RetentionDays}
	}
	if s.Checkout != nil && s.Checkout.PhoneProof != nil {
		out.Checkout = &Checkout{PhoneProof: s.Checkout.PhoneProof}
	}
	if s.Outage == nil {
		return out
	}
	var o Outage
	if base.Outage != nil {
		o = *base.Outage
	}
	n := *s.Outage
	o.Grace, o.MajorAfter, o.CriticalAfter = or(n.Grace, o.Grace), or(n.MajorAfter, o.MajorAfter), or(n.CriticalAfter, o.CriticalAfter)
	o.BackToNormal, o.UpdateEvery, o.FeedbackWindow = or(n.BackToNormal, o.BackToNormal), or(n.UpdateEvery, o.UpdateEvery), or(n.FeedbackWindow, o.FeedbackWindow)
	o.DrillBanner = or(n.DrillBanner, o.DrillBanner)
	if n.Runbook != nil {
		o.Runbook = n.Runbook
	}
	if n.Contacts != nil {
		o.Contacts = n.Contacts
	}
	if n.Templates != nil {
		o.Templates = n.Templates
	}
	out.Outage = &o
	return out
}

func or[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}

// Validate returns the first problem with the keys s sets, naming the key
// as the kiosk file does (outage.grace …). The escalation thresholds
// (grace, major_after, critical_after) are checked against each other, so
// a document sets all three or none; templates need a text in every
// language, so a document that sets templates sets languages too.
func (s Settings) Validate() error {
	if s.Languages != nil {
		if err := checkLanguages(s.Languages); err != nil {
			return err
		}
	}
	if err := checkDurations(
		span{"idle_timeout", s.IdleTimeout, 10 * time.Second, 30 * time.Minute, "must be between 10s and 30m"},
		span{"staff_idle_timeout", s.StaffIdleTimeout, 10 * time.Second, 8 * time.Hour, "must be between 10s and 8h"},
	); err != nil {
		return err
	}
	if s.Jobs != nil && s.Jobs.RetentionDays != nil && (*s.Jobs.RetentionDays < 1 || *s.Jobs.RetentionDays > 3650) {
		return fmt.Errorf("jobs.retention_days must be between 1 and 3650")
	}
	if s.Outage != nil {
		return s.Outage.validate(s.Languages)
	}
	return nil
}

func checkLanguages(ls []string) error {
	if len(ls) == 0 {
		return fmt.Errorf(`languages needs at least one language, like ["en"]`)
	}
	seen := map[string]bool{}
	for i, l := range ls {
		if !Supported(l) {
			return fmt.Errorf("languages[%d]: %q is not supported (%s)", i, l, strings.Join(Languages, ", "))
		}
		if seen[l] {
			return fmt.Errorf("languages[%d]: %q is listed twice", i, l)
		}
		seen[l] = true
	}
	return nil
}

// span is a duration key's rule: nil passes, else lo ≤ v ≤ hi.
type span struct {
	key    string
	v      *Duration
	lo, hi time.Duration
	msg    string
}

func checkDurations(spans ...span) error {
	for _, s := range spans {
		if s.v != nil && (s.v.Duration < s.lo || s.v.Duration > s.hi) {
			return fmt.Errorf("%s %s", s.key, s.msg)
		}
	}
	return nil
}

func (o Outage) validate(languages []string) error {
	// The thresholds are checked against each other: all three or none.
	thresholds := []struct {
		key string
		v   *Duration
	}{{"grace", o.Grace}, {"major_after", o.MajorAfter}, {"critical_after", o.CriticalAfter}}
	var set, unset string
	for _, t := range thresholds {
		if t.v == nil && unset == "" {
			unset = t.key
		} else if t.v != nil && set == "" {
			set = t.key
		}
	}
	if set != "" && unset != "" {
		return fmt.Errorf("outage.%s is required with outage.%s: grace, major_after and critical_after are checked against each other, so set all three", unset, set)
	}
	spans := []span{
		{"outage.grace", o.Grace, 5 * time.Second, 30 * time.Minute, "must be between 5s and 30m"},
		{"outage.back_to_normal", o.BackToNormal, 10 * time.Second, time.Hour, "must be between 10s and 1h"},
		{"outage.update_every", o.UpdateEvery, time.Minute, time.Hour, "must be between 1m and 1h"},
		{"outage.feedback_window", o.FeedbackWindow, 0, 24 * time.Hour, "must be between 0s (never ask) and 24h"},
	}
	if o.Grace != nil {
		spans = append(spans, span{"outage.major_after", o.MajorAfter, o.Grace.Duration, 24 * time.Hour, "must be between outage.grace and 24h"})
		if o.CriticalAfter.Duration != 0 {
			spans = append(spans, span{"outage.critical_after", o.CriticalAfter, o.MajorAfter.Duration, 7 * 24 * time.Hour, `must be "0s" (never) or between outage.major_after and 168h`})
		}
	}
	if err := checkDurations(spans...); err != nil {
		return err
	}
	if len(o.Runbook) > 30 {
		return fmt.Errorf("outage.runbook has more than 30 steps")
	}
	for i, step := range o.Runbook {
		if strings.TrimSpace(step) == "" || len([]rune(step)) > 200 || strings.ContainsAny(step, "\n\r\t") {
			return fmt.Errorf("outage.runbook[%d] must be one line of 1 to 200 characters", i)
		}
	}
	for sev, people := range o.Contacts {
		if s, err := queue.ParseSeverity(sev); err != nil || s == queue.SeverityNone {
			return fmt.Errorf("outage.contacts.%s: the keys are minor, major and critical", sev)
		}
		for i, p := range people {
			if strings.TrimSpace(p) == "" || len([]rune(p)) > 200 {
				return fmt.Errorf("outage.contacts.%s[%d] must be 1 to 200 characters", sev, i)
			}
		}
	}
	if o.Templates != nil && languages == nil {
		return fmt.Errorf("outage.templates needs languages in the same document: every template needs a text in each language the kiosks speak")
	}
	if err := queue.CheckTemplates(o.Templates, languages); err != nil {
		return fmt.Errorf("outage.%w", err)
	}
	return nil
}

// ContactsBySeverity are [outage.contacts] by severity.
func (o Outage) ContactsBySeverity() map[queue.Severity][]string {
	out := make(map[queue.Severity][]string, len(o.Contacts))
	for k, v := range o.Contacts {
		if sev, err := queue.ParseSeverity(k); err == nil {
			out[sev] = v
		}
	}
	return out
}

// MessageTemplates are base (the built-in templates) with the settings' merged
// in, checked against the settings' languages.
func (s Settings) MessageTemplates(base string) ([]queue.MessageTemplate, error) {
	builtin, err := queue.ParseTemplates(base, s.Languages)
	if err != nil {
		return nil, err
	}
	var extra []queue.MessageTemplate
	if s.Outage != nil {
		extra = s.Outage.Templates
	}
	return queue.MergeTemplates(builtin, extra), nil
}

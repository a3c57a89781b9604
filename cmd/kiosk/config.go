package main

import (
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	"golang.org/x/crypto/bcrypt"

	"lobbyline/assets"
	"lobbyline/kiosk"
	"lobbyline/queue"
	"lobbyline/queue/jobs"
	"lobbyline/queue/siteconfig"
	"lobbyline/queue/tomlstrict"
	"lobbyline/syncer/outage"
)

//go:embed default.toml
var defaultConfig string

// Config is the kiosk's one TOML file. Keys are documented in default.toml
// and in the README.
type Config struct {
	KioskID          string            `toml:"kiosk_id"`
	KioskName        string            `toml:"kiosk_name"`
	KioskNames       map[string]string `toml:"kiosk_names"` // kiosk_name in other languages
	Site             string            `toml:"site"`
	Languages        []string          `toml:"languages"`
	IdleTimeout      duration          `toml:"idle_timeout"`
	StaffIdleTimeout duration          `toml:"staff_idle_timeout"`
	Privacy          string            `toml:"privacy"`
	TimePerVisitor   duration          `toml:"time_per_visitor"`
	Keyboard         string            `toml:"keyboard"`     // the on-screen keyboard: "auto", "on" or "off"
	DefaultWait      duration          `toml:"default_wait"` // the older key: read as time_per_visitor
	PINHash          string            `toml:"pin_hash"`
	Database         string            `toml:"database"`       // optional; defaults to the user's data directory
	Central          string            `toml:"central"`        // "embedded", "off", or the centre's http(s) URL
	CentralToken     string            `toml:"central_token"`  // no longer read: refused with what to do instead
	EnrolmentFile    string            `toml:"enrolment_file"` // where the token from enrolment is kept; default beside the database
	Services         []ServiceConfig   `toml:"services"`
	Desks            []DeskConfig      `toml:"desks"`
	Outage           OutageConfig      `toml:"outage"`
	Jobs             JobsConfig        `toml:"jobs"`
}

// OutageConfig is the [outage] table: when a problem becomes an incident,
// how it escalates, whom staff call, their runbook and extra message
// templates.
type OutageConfig struct {
	Grace          duration                `toml:"grace"`
	MajorAfter     duration                `toml:"major_after"`
	CriticalAfter  duration                `toml:"critical_after"` // "0s": never by time alone
	DiskMinMB      int                     `toml:"disk_min_mb"`
	ClockMax       duration                `toml:"clock_max"`
	BackToNormal   duration                `toml:"back_to_normal"`
	UpdateEvery    duration                `toml:"update_every"`
	DrillBanner    bool                    `toml:"drill_banner"`
	FeedbackWindow duration                `toml:"feedback_window"`
	Runbook        []string                `toml:"runbook"`
	Contacts       map[string][]string     `toml:"contacts"` // by severity: minor, major, critical
	Templates      []queue.MessageTemplate `toml:"templates"`
}

// JobsConfig is the [jobs] table: the scheduled work.
type JobsConfig struct {
	RetentionDays int    `toml:"retention_days"` // visitors' personal data is erased after this many days
	PurgeAt       string `toml:"purge_at"`
	// PruneDays: events, the connectivity log and incident samples the
	// centre has are removed after this many days; 0 keeps them.
	PruneDays  int    `toml:"prune_days"`
	PruneAt    string `toml:"prune_at"`
	RefitAt    string `toml:"refit_at"`
	CloseDayAt string `toml:"close_day_at"` // "off" for a lobby open round the clock
}

// ServiceConfig is one [[services]] table; DeskConfig one [[desks]]
// table. The centre's site configuration has the same format and rules.
type (
	ServiceConfig = siteconfig.Service
	DeskConfig    = siteconfig.Desk
)

// duration reads "90s" or "15m" from TOML.
type duration struct{ time.Duration }

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 90s or 15m", b)
	}
	d.Duration = v
	return nil
}

// DefaultConfig is the embedded sample: three services, two desks.
func DefaultConfig() Config {
	c, err := ParseConfig(defaultConfig)
	if err != nil {
		panic("embedded default config: " + err.Error())
	}
	return c
}

// LoadConfig reads and validates a config file.
func LoadConfig(path string) (Config, error) { return tomlstrict.LoadFile(path, ParseConfig) }

// ParseConfig decodes TOML and validates it. Unknown keys are errors so a
// typo does not silently fall back to a default.
func ParseConfig(text string) (Config, error) {
	// The [outage] and [jobs] keys a file leaves out take the sample's
	// values, so configs written before those tables existed still load.
	b := builtinTables()
	c := Config{Outage: b.Outage, Jobs: b.Jobs, Keyboard: string(kiosk.KeyboardAuto)}
	c.Outage.Runbook, c.Outage.Contacts = nil, nil
	md, err := tomlstrict.Decode(text, &c)
	if err != nil {
		return Config{}, err
	}
	if !md.IsDefined("outage", "runbook") {
		c.Outage.Runbook = slices.Clone(b.Outage.Runbook)
	}
	if !md.IsDefined("outage", "contacts") {
		c.Outage.Contacts = maps.Clone(b.Outage.Contacts)
	}
	return c, c.Validate()
}

// builtinTables are the embedded sample's [outage] and [jobs] tables.
var builtinTables = sync.OnceValue(func() (t struct {
	Outage OutageConfig `toml:"outage"`
	Jobs   JobsConfig   `toml:"jobs"`
}) {
	if _, err := toml.Decode(defaultConfig, &t); err != nil {
		panic("embedded default config: " + err.Error())
	}
	return t
})

var (
	// supportedLanguages: see siteconfig.Languages.
	supportedLanguages = siteconfig.Languages
	languages          = func() map[string]bool {
		m := map[string]bool{}
		for _, l := range supportedLanguages {
			m[l] = true
		}
		return m
	}()
)

// Validate returns the first problem, naming its key.
func (c Config) Validate() error {
	checks := []struct {
		ok  bool
		key string
		msg string
	}{
		{queue.ValidID(c.KioskID), "kiosk_id", "must be lower-case letters, digits and dashes, like lobby-1"},
		{strings.TrimSpace(c.KioskName) != "", "kiosk_name", "is required"},
		{queue.ValidID(c.Site), "site", "must be lower-case letters, digits and dashes, like general-hospital"},
		{len(c.Languages) > 0, "languages", `needs at least one language, like ["en"]`},
		{between(c.IdleTimeout, 10*time.Second, 30*time.Minute), "idle_timeout", "must be between 10s and 30m"},
		{between(c.StaffIdleTimeout, 10*time.Second, 8*time.Hour), "staff_idle_timeout", "must be between 10s and 8h"},
		{c.Privacy == string(kiosk.PrivacyInitial) || c.Privacy == string(kiosk.PrivacyTicket), "privacy", `must be "initial" or "ticket"`},
		{validKeyboard(c.Keyboard), "keyboard", `must be "auto", "on" or "off"`},
		{c.PINHash == "" || validHash(c.PINHash), "pin_hash", "must be a bcrypt hash; make one with: lobbyline-kiosk hash-pin"},
		{validCentral(c.Central), "central", `must be "embedded", "off", the centre's URL, like https://central.example:8470, or "" for the centre the kiosk is enrolled with`},
		{c.CentralToken == "", "central_token", "is no longer read from the config, where others may read it: enrol the kiosk with " +
			"`lobbyline-kiosk enroll --centre URL --code CODE` (a code from `central enroll`), which keeps its token in a file only the kiosk's user reads, and remove central_token"},
	}
	for _, ch := range checks {
		if !ch.ok {
			return fmt.Errorf("%s %s", ch.key, ch.msg)
		}
	}
	if err := checkPerVisitor("", c.TimePerVisitor, c.DefaultWait, true); err != nil {
		return err
	}
	if err := c.Outage.validate(c.Languages); err != nil {
		return err
	}
	if err := c.Jobs.validate(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, l := range c.Languages {
		if !languages[l] {
			return fmt.Errorf("languages[%d]: %q is not supported (%s)", i, l, strings.Join(supportedLanguages, ", "))
		}
		if seen[l] {
			return fmt.Errorf("languages[%d]: %q is listed twice", i, l)
		}
		seen[l] = true
	}
	for l, n := range c.KioskNames {
		switch {
		case !languages[l]:
			return fmt.Errorf("kiosk_names: %q is not a supported language (%s)", l, strings.Join(supportedLanguages, ", "))
		case strings.TrimSpace(n) == "":
			return fmt.Errorf("kiosk_names.%s is empty: leave it out to show kiosk_name", l)
		}
	}
	return siteconfig.Document{Services: c.Services, Desks: c.Desks}.Validate()
}

func (o OutageConfig) validate(languages []string) error {
	checks := []struct {
		ok  bool
		key string
		msg string
	}{
		{between(o.Grace, 5*time.Second, 30*time.Minute), "outage.grace", "must be between 5s and 30m"},
		{between(o.MajorAfter, o.Grace.Duration, 24*time.Hour), "outage.major_after", "must be between outage.grace and 24h"},
		{o.CriticalAfter.Duration == 0 || between(o.CriticalAfter, o.MajorAfter.Duration, 7*24*time.Hour), "outage.critical_after", `must be "0s" (never) or between outage.major_after and 168h`},
		{o.DiskMinMB >= 10 && o.DiskMinMB <= 100_000, "outage.disk_min_mb", "must be between 10 and 100000"},
		{between(o.ClockMax, time.Minute, 24*time.Hour), "outage.clock_max", "must be between 1m and 24h"},
		{between(o.BackToNormal, 10*time.Second, time.Hour), "outage.back_to_normal", "must be between 10s and 1h"},
		{between(o.UpdateEvery, time.Minute, time.Hour), "outage.update_every", "must be between 1m and 1h"},
		{between(o.FeedbackWindow, 0, 24*time.Hour), "outage.feedback_window", "must be between 0s (never ask) and 24h"},
		{len(o.Runbook) <= 30, "outage.runbook", "has more than 30 steps"},
	}
	for _, ch := range checks {
		if !ch.ok {
			return fmt.Errorf("%s %s", ch.key, ch.msg)
		}
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
	if err := queue.CheckTemplates(o.Templates, languages); err != nil {
		return fmt.Errorf("outage.%w", err)
	}
	return nil
}

func (j JobsConfig) validate() error {
	if j.RetentionDays < 1 || j.RetentionDays > 3650 {
		return errors.New("jobs.retention_days must be between 1 and 3650")
	}
	if minDays := int(queue.MinPruneAge / (24 * time.Hour)); j.PruneDays != 0 && (j.PruneDays < minDays || j.PruneDays > 3650) {
		return fmt.Errorf("jobs.prune_days must be 0 (keep everything) or between %d (the wait estimator reads two weeks back) and 3650", minDays)
	}
	for _, t := range []struct{ key, v string }{{"jobs.purge_at", j.PurgeAt}, {"jobs.prune_at", j.PruneAt}, {"jobs.refit_at", j.RefitAt}, {"jobs.close_day_at", j.CloseDayAt}} {
		if t.key == "jobs.close_day_at" && t.v == "off" {
			continue
		}
		if _, err := jobs.ParseClockTime(t.v); err != nil {
			return fmt.Errorf("%s: %w", t.key, err)
		}
	}
	return nil
}

// Values of the central key besides a URL.
const (
	CentralEmbedded = "embedded" // an in-process centre with SQLite beside the kiosk database
	CentralOff      = "off"      // no sync
)

func validCentral(v string) bool {
	if v == "" || v == CentralEmbedded || v == CentralOff {
		return true
	}
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// checkPerVisitor checks a time_per_visitor and the older default_wait,
// which configurations written before it carry and which is read as a
// time per visitor: one of them, 1m–24h; required at the top level.
func checkPerVisitor(prefix string, perVisitor, old duration, required bool) error {
	return siteconfig.CheckPerVisitor(prefix, perVisitor.Duration, old.Duration, required)
}

func validKeyboard(v string) bool {
	switch kiosk.KeyboardMode(v) {
	case kiosk.KeyboardAuto, kiosk.KeyboardOn, kiosk.KeyboardOff:
		return true
	}
	return false
}

func between(d duration, lo, hi time.Duration) bool { return d.Duration >= lo && d.Duration <= hi }

func validHash(h string) bool {
	_, err := bcrypt.Cost([]byte(h))
	return err == nil
}

// storeOptions turns the config into the queue store's options.
func (c Config) storeOptions() queue.Options {
	// With a centre, the site configuration it sends wins over the
	// file's services and desks once one has arrived.
	o := queue.Options{KioskID: c.KioskID, Languages: c.Languages, ManagedConfig: c.Central != CentralOff,
		FallbackPerVisitor: cmp.Or(c.TimePerVisitor.Duration, c.DefaultWait.Duration)}
	doc := siteconfig.Document{Services: c.Services, Desks: c.Desks}
	o.Services, o.Desks = doc.QueueServices(), doc.QueueDesks()
	return o
}

// uiConfig turns the config into the kiosk UI's settings.
func (c Config) uiConfig() kiosk.Config {
	return kiosk.Config{
		KioskName: c.KioskName, KioskNames: c.KioskNames, Site: c.Site, Languages: c.Languages,
		IdleTimeout: c.IdleTimeout.Duration, StaffIdleTimeout: c.StaffIdleTimeout.Duration,
		Privacy: kiosk.Privacy(c.Privacy), Keyboard: kiosk.KeyboardMode(c.Keyboard), PINHash: c.PINHash,
	}
}

// policy is the outage monitor's thresholds.
func (o OutageConfig) policy() outage.Policy {
	return outage.Policy{
		Grace: o.Grace.Duration, MajorAfter: o.MajorAfter.Duration, CriticalAfter: o.CriticalAfter.Duration,
		DiskMin: uint64(o.DiskMinMB) << 20, ClockMax: o.ClockMax.Duration,
		BackToNormal: o.BackToNormal.Duration, UpdateEvery: o.UpdateEvery.Duration,
	}
}

// templates are the built-in message templates with the config's merged in.
func (c Config) templates() ([]queue.MessageTemplate, error) {
	base, err := queue.ParseTemplates(assets.Templates, c.Languages)
	if err != nil {
		return nil, err
	}
	return queue.MergeTemplates(base, c.Outage.Templates), nil
}

// contacts are the [outage.contacts] by severity.
func (o OutageConfig) contacts() map[queue.Severity][]string {
	out := make(map[queue.Severity][]string, len(o.Contacts))
	for k, v := range o.Contacts {
		if sev, err := queue.ParseSeverity(k); err == nil {
			out[sev] = v
		}
	}
	return out
}

package main

import (
	"cmp"
	_ "embed"
	"encoding/json"
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

	"lobbyline/kiosk"
	"lobbyline/queue"
	"lobbyline/queue/jobs"
	"lobbyline/queue/siteconfig"
	"lobbyline/queue/tomlstrict"
	"lobbyline/syncer"
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
	CAFile           string            `toml:"ca_file"`        // PEM CAs the centre's certificate chains to, instead of the system's
	CentrePin        string            `toml:"centre_pin"`     // "sha256//BASE64" of the centre's public key; ";" between several
	Insecure         bool              `toml:"insecure"`       // allows plain http:// to a centre off this machine, for a lab
	Services         []ServiceConfig   `toml:"services"`
	Desks            []DeskConfig      `toml:"desks"`
	Outage           OutageConfig      `toml:"outage"`
	Jobs             JobsConfig        `toml:"jobs"`
	Checkout         CheckoutConfig    `toml:"checkout"`
}

// CheckoutConfig is the [checkout] table: what a visitor checking out by
// a typed ticket number must show (siteconfig.Checkout).
type CheckoutConfig struct {
	// PhoneProof asks for the last four digits of the phone given at
	// check-in, and so makes the check-in form ask for a phone; off, the
	// form asks none and typed check-outs are recorded self-declared.
	PhoneProof bool `toml:"phone_proof"`
}

// OutageConfig is the [outage] table: when a problem becomes an incident,
// how it escalates, whom staff call, their runbook and extra message
// templates.
type OutageConfig struct {
	Grace          duration                `toml:"grace"`
	MajorAfter     duration                `toml:"major_after"`
	CriticalAfter  duration                `toml:"critical_after"` // "0s": never by time alone
	DiskMinMB      int                     `toml:"disk_min_mb"`
	DiskReserveMB  int                     `toml:"disk_reserve_mb"` // 0: no reserve
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
	CheckAt    string `toml:"check_at"`     // the daily check of the database
	// Snapshots of the database, hourly and only when it changed:
	// SnapshotDir ("" is a "snapshots" directory beside the database),
	// SnapshotCopyDir (a second disk; "" for none), SnapshotKeep per
	// directory.
	SnapshotDir     string `toml:"snapshot_dir"`
	SnapshotCopyDir string `toml:"snapshot_copy_dir"`
	SnapshotKeep    int    `toml:"snapshot_keep"`
	// SelfRecover: on finding its database damaged, the kiosk runs
	// the recovery `kiosk recover` runs by itself and opens the lobby on
	// the result (selfrecover.go); off, it waits for a person.
	SelfRecover bool `toml:"self_recover"`
}

// ServiceConfig is one [[services]] table; DeskConfig one [[desks]]
// table. The centre's site configuration has the same format and rules.
type (
	ServiceConfig = siteconfig.Service
	DeskConfig    = siteconfig.Desk
)

// duration reads "90s" or "15m" from TOML.
type duration = siteconfig.Duration

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
	if err := c.validTransport(); err != nil {
		return err
	}
	if err := checkPerVisitor("", c.TimePerVisitor, c.DefaultWait, true); err != nil {
		return err
	}
	// The site's keys (languages, timeouts, the site's part of [outage])
	// follow the rules the centre checks its documents by.
	if err := c.siteSettings().Validate(); err != nil {
		return err
	}
	if err := c.Outage.validate(); err != nil {
		return err
	}
	if err := c.Jobs.validate(); err != nil {
		return err
	}
	for l, n := range c.KioskNames {
		switch {
		case !siteconfig.Supported(l):
			return fmt.Errorf("kiosk_names: %q is not a supported language (%s)", l, strings.Join(siteconfig.Languages, ", "))
		case strings.TrimSpace(n) == "":
			return fmt.Errorf("kiosk_names.%s is empty: leave it out to show kiosk_name", l)
		}
	}
	return siteconfig.Document{Services: c.Services, Desks: c.Desks}.Validate()
}

// validate checks the machine's keys of [outage]; siteconfig checks the
// site's.
func (o OutageConfig) validate() error {
	switch {
	case o.DiskMinMB < 10 || o.DiskMinMB > 100_000:
		return errors.New("outage.disk_min_mb must be between 10 and 100000")
	case o.DiskReserveMB < 0 || o.DiskReserveMB > 10_000:
		return errors.New("outage.disk_reserve_mb must be between 0 (no reserve) and 10000")
	case !between(o.ClockMax, time.Minute, 24*time.Hour):
		return errors.New("outage.clock_max must be between 1m and 24h")
	}
	return nil
}

// siteSettings are the file's keys that a site's managed configuration
// may set instead (siteconfig.Settings), every one of them set.
func (c Config) siteSettings() siteconfig.Settings {
	o := c.Outage
	d := func(v duration) *duration { return &v }
	drill := o.DrillBanner
	retention := c.Jobs.RetentionDays
	phoneProof := c.Checkout.PhoneProof
	return siteconfig.Settings{
		Jobs:        &siteconfig.Jobs{RetentionDays: &retention},
		Checkout:    &siteconfig.Checkout{PhoneProof: &phoneProof},
		Languages:   append([]string{}, c.Languages...), // set, even if empty: the file needs one
		IdleTimeout: d(c.IdleTimeout), StaffIdleTimeout: d(c.StaffIdleTimeout),
		Outage: &siteconfig.Outage{
			Grace: d(o.Grace), MajorAfter: d(o.MajorAfter), CriticalAfter: d(o.CriticalAfter),
			BackToNormal: d(o.BackToNormal), UpdateEvery: d(o.UpdateEvery), FeedbackWindow: d(o.FeedbackWindow),
			DrillBanner: &drill, Runbook: o.Runbook, Contacts: o.Contacts, Templates: o.Templates,
		},
	}
}

func (j JobsConfig) validate() error {
	if j.RetentionDays < 1 || j.RetentionDays > 3650 {
		return errors.New("jobs.retention_days must be between 1 and 3650")
	}
	if minDays := int(queue.MinPruneAge / (24 * time.Hour)); j.PruneDays != 0 && (j.PruneDays < minDays || j.PruneDays > 3650) {
		return fmt.Errorf("jobs.prune_days must be 0 (keep everything) or between %d (the wait estimator reads two weeks back) and 3650", minDays)
	}
	if j.SnapshotKeep < 1 || j.SnapshotKeep > 1000 {
		return errors.New("jobs.snapshot_keep must be between 1 and 1000")
	}
	for _, t := range []struct{ key, v string }{{"jobs.purge_at", j.PurgeAt}, {"jobs.prune_at", j.PruneAt}, {"jobs.refit_at", j.RefitAt}, {"jobs.close_day_at", j.CloseDayAt}, {"jobs.check_at", j.CheckAt}} {
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

// validTransport checks the keys that say how the kiosk reaches its
// centre: the CA file is read now, so a bad one is caught by check-config
// rather than at the first sync.
func (c Config) validTransport() error {
	if c.Central != "" && c.Central != CentralEmbedded && c.Central != CentralOff {
		if err := syncer.CheckCentreURL(c.Central, c.Insecure); err != nil {
			return fmt.Errorf("central: %w", err)
		}
	}
	if c.CAFile != "" {
		if _, err := syncer.LoadCAFile(c.CAFile); err != nil {
			return err
		}
	}
	if _, err := syncer.ParsePins(c.CentrePin); err != nil {
		return fmt.Errorf("centre_pin: %w", err)
	}
	return nil
}

// transport is how the kiosk reaches its centre, for every request.
func (c Config) transport() syncer.Transport {
	return syncer.Transport{CAFile: c.CAFile, Pin: c.CentrePin, Insecure: c.Insecure, Timeout: 30 * time.Second}
}

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
		FallbackPerVisitor: cmp.Or(c.TimePerVisitor.Duration, c.DefaultWait.Duration),
		CheckSettings: func(raw json.RawMessage) error {
			_, err := c.mergeSettings(raw)
			return err
		}}
	doc := siteconfig.Document{Services: c.Services, Desks: c.Desks}
	o.Services, o.Desks = doc.QueueServices(), doc.QueueDesks()
	return o
}

// uiConfig turns the config into the kiosk UI's settings, with site the
// site's settings in use (siteSettings, or the centre's over them).
func (c Config) uiConfig(site siteconfig.Settings) kiosk.Config {
	return kiosk.Config{
		KioskName: c.KioskName, KioskNames: c.KioskNames, Site: c.Site, Languages: site.Languages,
		IdleTimeout: site.IdleTimeout.Duration, StaffIdleTimeout: site.StaffIdleTimeout.Duration,
		Privacy: kiosk.Privacy(c.Privacy), Keyboard: kiosk.KeyboardMode(c.Keyboard), PINHash: c.PINHash,
		PhoneProof: site.PhoneProof(), Centre: c.Central != CentralOff,
	}
}

// policy is the outage monitor's thresholds: the site's, with the
// machine's disk and clock limits.
func (o OutageConfig) policy(site *siteconfig.Outage) outage.Policy {
	return outage.Policy{
		Grace: site.Grace.Duration, MajorAfter: site.MajorAfter.Duration, CriticalAfter: site.CriticalAfter.Duration,
		DiskMin: uint64(o.DiskMinMB) << 20, ClockMax: o.ClockMax.Duration, // #nosec G115 -- disk_min_mb is checked to be between 10 and 100000 when the config loads
		BackToNormal: site.BackToNormal.Duration, UpdateEvery: site.UpdateEvery.Duration,
	}
}

// Package siteconfig is a site's managed configuration: the services,
// desks, languages, timeouts, escalation thresholds, runbook, contacts and
// message templates the centre sets (`central config set`, `central
// import services`, the fleet console) and kiosks apply, in exactly the
// format of the kiosk file's keys, with the one set of rules both the
// kiosk file and the centre's document are checked by. It depends on
// queue's types alone: no Fyne, no HTTP, no database.
package siteconfig

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"lobbyline/queue"
	"lobbyline/queue/tomlstrict"
)

// The centre record that carries a site's configuration to its kiosks.
const (
	Entity = queue.EntitySiteConfig
	Key    = "current"
)

// Languages each have a translation in assets/translations, a text in
// every template of assets/templates.toml and a name of their own on the
// welcome screen. Right-to-left scripts and scripts that Fyne's bundled
// fonts lack wait: see README.
var Languages = []string{"en", "es", "fr", "de", "pt", "it"}

// Supported reports whether a kiosk can show language l.
func Supported(l string) bool {
	for _, s := range Languages {
		if s == l {
			return true
		}
	}
	return false
}

// Duration reads "90s" or "15m" from TOML and JSON.
type Duration struct{ time.Duration }

// UnmarshalText reads a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 90s or 15m", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes a Go duration, without the zero units a person
// would leave out: "2m", not "2m0s".
func (d Duration) MarshalText() ([]byte, error) {
	s := d.Duration.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return []byte(s), nil
}

// Service is one [[services]] table.
type Service struct {
	ID             string            `toml:"id" json:"id"`
	Prefix         string            `toml:"prefix" json:"prefix"`
	Name           string            `toml:"name" json:"name"`
	Names          map[string]string `toml:"names,omitempty" json:"names,omitempty"`
	TimePerVisitor Duration          `toml:"time_per_visitor,omitempty" json:"time_per_visitor,omitzero"`
	DefaultWait    Duration          `toml:"default_wait,omitempty" json:"default_wait,omitzero"` // the older key: read as time_per_visitor
}

// Desk is one [[desks]] table.
type Desk struct {
	ID       string   `toml:"id" json:"id"`
	Name     string   `toml:"name" json:"name"`
	Services []string `toml:"services" json:"services"`
}

// Document is a site's managed configuration as a file holds it: its
// [[services]] and [[desks]], which every version has, and the Settings
// it chooses to set.
type Document struct {
	Services []Service `toml:"services" json:"services"`
	Desks    []Desk    `toml:"desks" json:"desks"`
	Settings
}

// Parse decodes a TOML document in the kiosk file's format (its
// [[services]], [[desks]], languages, idle timeouts and the site's part
// of [outage]) and validates it. Unknown keys are errors, as in the
// kiosk file; so are the kiosk file's keys that belong to the machine.
func Parse(text string) (Document, error) {
	var d Document
	md, err := tomlstrict.Decode(text, &d)
	if err != nil {
		return Document{}, err
	}
	// "runbook = []" and an empty [outage.contacts] set "none"; a key
	// left out is the kiosk file's.
	if d.Outage != nil {
		if d.Outage.Runbook == nil && md.IsDefined("outage", "runbook") {
			d.Outage.Runbook = []string{}
		}
		if d.Outage.Contacts == nil && md.IsDefined("outage", "contacts") {
			d.Outage.Contacts = map[string][]string{}
		}
	}
	return d, d.Validate()
}

// TOML is the document in the format Parse reads.
func (d Document) TOML() (string, error) {
	var b strings.Builder
	if err := toml.NewEncoder(&b).Encode(d); err != nil {
		return "", fmt.Errorf("site configuration as TOML: %w", err)
	}
	return b.String(), nil
}

var prefixPattern = regexp.MustCompile(`^[A-Z]{1,3}$`)

// Validate returns the first problem, naming its key as the kiosk file
// does (services[1].prefix …, outage.grace …).
func (d Document) Validate() error {
	switch {
	case len(d.Services) == 0:
		return fmt.Errorf("services needs at least one [[services]] table")
	case len(d.Desks) == 0:
		return fmt.Errorf("desks needs at least one [[desks]] table")
	}
	services, prefixes := map[string]bool{}, map[string]string{}
	for i, s := range d.Services {
		key := fmt.Sprintf("services[%d]", i)
		switch {
		case !queue.ValidID(s.ID):
			return fmt.Errorf("%s.id %q must be lower-case letters, digits and dashes", key, s.ID)
		case services[s.ID]:
			return fmt.Errorf("%s.id %q is used twice", key, s.ID)
		case !prefixPattern.MatchString(s.Prefix):
			return fmt.Errorf("%s.prefix %q must be 1 to 3 capital letters", key, s.Prefix)
		case prefixes[s.Prefix] != "":
			return fmt.Errorf("%s.prefix %q is already used by %s: ticket numbers would clash", key, s.Prefix, prefixes[s.Prefix])
		case strings.TrimSpace(s.Name) == "":
			return fmt.Errorf("%s.name is required", key)
		}
		if err := CheckPerVisitor(key+".", s.TimePerVisitor.Duration, s.DefaultWait.Duration, false); err != nil {
			return err
		}
		for l := range s.Names {
			if !Supported(l) {
				return fmt.Errorf("%s.names: %q is not a supported language (%s)", key, l, strings.Join(Languages, ", "))
			}
		}
		services[s.ID], prefixes[s.Prefix] = true, s.ID
	}
	desks := map[string]bool{}
	for i, dk := range d.Desks {
		key := fmt.Sprintf("desks[%d]", i)
		switch {
		case !queue.ValidID(dk.ID):
			return fmt.Errorf("%s.id %q must be lower-case letters, digits and dashes", key, dk.ID)
		case desks[dk.ID]:
			return fmt.Errorf("%s.id %q is used twice", key, dk.ID)
		case strings.TrimSpace(dk.Name) == "":
			return fmt.Errorf("%s.name is required", key)
		case len(dk.Services) == 0:
			return fmt.Errorf("%s.services needs at least one service id", key)
		}
		for j, s := range dk.Services {
			if !services[s] {
				return fmt.Errorf("%s.services[%d]: no service has id %q", key, j, s)
			}
		}
		desks[dk.ID] = true
	}
	return d.Settings.Validate()
}

// CheckPerVisitor checks a time_per_visitor and the older default_wait,
// which configurations written before it carry and which is read as a
// time per visitor: one of them, 1m–24h; required at the top level.
func CheckPerVisitor(prefix string, perVisitor, old time.Duration, required bool) error {
	in := func(d time.Duration) bool { return d >= time.Minute && d <= 24*time.Hour }
	switch {
	case perVisitor != 0 && old != 0:
		return fmt.Errorf("%sdefault_wait is the older name of %stime_per_visitor: keep only time_per_visitor", prefix, prefix)
	case perVisitor != 0 && !in(perVisitor):
		return fmt.Errorf("%stime_per_visitor must be between 1m and 24h", prefix)
	case old != 0 && !in(old):
		return fmt.Errorf("%sdefault_wait must be between 1m and 24h", prefix)
	case required && perVisitor == 0 && old == 0:
		return fmt.Errorf("%stime_per_visitor is required: how long one desk takes per visitor, like \"5m\"", prefix)
	}
	return nil
}

// QueueServices are the document's services as the kiosk store takes them.
func (d Document) QueueServices() []queue.Service {
	out := make([]queue.Service, 0, len(d.Services))
	for _, s := range d.Services {
		tpv := s.TimePerVisitor.Duration
		if tpv == 0 {
			tpv = s.DefaultWait.Duration
		}
		out = append(out, queue.Service{ID: s.ID, Prefix: s.Prefix, Name: s.Name, Names: s.Names, TimePerVisitor: tpv})
	}
	return out
}

// QueueDesks are the document's desks as the kiosk store takes them.
func (d Document) QueueDesks() []queue.Desk {
	out := make([]queue.Desk, 0, len(d.Desks))
	for _, dk := range d.Desks {
		out = append(out, queue.Desk{ID: dk.ID, Name: dk.Name, Services: dk.Services})
	}
	return out
}

// SettingsJSON are the document's Settings as the kiosk store keeps them
// beside its services and desks; nil if it sets none.
func (d Document) SettingsJSON() (json.RawMessage, error) {
	if d.Settings.Empty() {
		return nil, nil
	}
	b, err := json.Marshal(d.Settings)
	if err != nil {
		return nil, fmt.Errorf("site settings: %w", err)
	}
	return b, nil
}

// DecodeSettings reads what SettingsJSON wrote. Keys it does not know
// (from a centre of a later release) are ignored.
func DecodeSettings(data json.RawMessage) (Settings, error) {
	var s Settings
	if len(data) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return Settings{}, fmt.Errorf("site settings: %w", err)
	}
	return s, nil
}

// Record is one version of a site's configuration as the centre stores it
// (entity Entity, key Key) and kiosks pull it.
type Record struct {
	Version int64     `json:"version"`
	SetAt   time.Time `json:"set_at"`
	SetBy   string    `json:"set_by,omitempty"`
	Document
}

// DecodeRecord reads a pulled record and checks it with the same rules
// the centre applied: a neighbouring version of the centre may check less.
func DecodeRecord(data []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return Record{}, fmt.Errorf("site configuration: %w", err)
	}
	if r.Version < 1 {
		return Record{}, fmt.Errorf("site configuration: version %d is not a version", r.Version)
	}
	if err := r.Validate(); err != nil {
		return Record{}, fmt.Errorf("site configuration version %d: %w", r.Version, err)
	}
	return r, nil
}

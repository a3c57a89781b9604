package queue

import (
	"fmt"
	"slices"
	"strings"

	"lobbyline/queue/tomlstrict"
)

// MessageTemplate is a ready-made lobby message for one severity, in
// every language the kiosk speaks.
//
// Most templates speak of an outage, and are true only while there is
// one of the kind they name: "Our central system is unavailable" while
// the centre is out of reach (or a drill rehearses that), "This kiosk has
// a technical problem" (Kiosk) while the kiosk's own disk, database or
// clock fails. Staff are offered each only then, and a message published
// during an incident comes down when it ends. A template whose words are
// true at any time ("Waits may be longer than usual") says so with
// Anytime, and is offered when all is well too.
type MessageTemplate struct {
	ID       string            `toml:"id"`
	Severity Severity          `toml:"severity"`
	Anytime  bool              `toml:"anytime" json:"Anytime,omitempty"` // true with no incident open as well
	Kiosk    bool              `toml:"kiosk" json:"Kiosk,omitempty"`     // about the kiosk itself, not the central system
	Title    map[string]string `toml:"title"`                            // a short name staff pick it by
	Text     map[string]string `toml:"text"`                             // the message, by language code
}

// Situation is what the lobby is going through when staff pick a
// message: which templates are true.
type Situation int

const (
	AllWell      Situation = iota // no incident open
	CentreDown                    // the central system out of reach, or a drill rehearsing that
	KioskProblem                  // the kiosk's own disk, database or clock
)

// Offered reports whether staff may publish the template in situation
// s: always if its words are true at any time, otherwise only during an
// incident of the kind it speaks of.
func (t MessageTemplate) Offered(s Situation) bool {
	switch {
	case t.Anytime:
		return true
	case s == AllWell:
		return false
	default:
		return t.Kiosk == (s == KioskProblem)
	}
}

// TemplatesOffered returns the templates staff may publish in situation
// s, in their order (see MessageTemplate.Offered).
func TemplatesOffered(ts []MessageTemplate, s Situation) []MessageTemplate {
	var out []MessageTemplate
	for _, t := range ts {
		if t.Offered(s) {
			out = append(out, t)
		}
	}
	return out
}

// Message turns the template into a lobby message to publish.
func (t MessageTemplate) Message(by string) LobbyMessage {
	texts := make(map[string]string, len(t.Text))
	for k, v := range t.Text {
		texts[k] = v
	}
	return LobbyMessage{Template: t.ID, Severity: t.Severity, Texts: texts, PublishedBy: by}
}

// TitleIn is the template's title in language code, or its ID.
func (t MessageTemplate) TitleIn(code string) string {
	if s := t.Title[code]; s != "" {
		return s
	}
	if s := t.Title["en"]; s != "" {
		return s
	}
	return t.ID
}

// ParseTemplates reads a TOML file of [[templates]] tables (the format of
// assets/templates.toml) and checks each against the kiosk's languages.
func ParseTemplates(text string, languages []string) ([]MessageTemplate, error) {
	var f struct {
		Templates []MessageTemplate `toml:"templates"`
	}
	if _, err := tomlstrict.Decode(text, &f); err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	return f.Templates, CheckTemplates(f.Templates, languages)
}

// CheckTemplates returns the first problem with a list of templates,
// naming the template.
func CheckTemplates(ts []MessageTemplate, languages []string) error {
	seen := map[string]bool{}
	for i, t := range ts {
		where := fmt.Sprintf("templates[%d]", i)
		switch {
		case !ValidID(t.ID):
			return fmt.Errorf("%s.id %q must be lower-case letters, digits and dashes", where, t.ID)
		case seen[t.ID]:
			return fmt.Errorf("%s.id %q is used twice", where, t.ID)
		case t.Severity == SeverityNone:
			return fmt.Errorf("%s (%s).severity must be minor, major or critical", where, t.ID)
		}
		seen[t.ID] = true
		for _, code := range languages {
			text := strings.TrimSpace(t.Text[code])
			switch {
			case text == "":
				return fmt.Errorf("%s (%s).text.%s is missing: every language the kiosk speaks needs one", where, t.ID, code)
			case len([]rune(text)) > MaxMessageLength:
				return fmt.Errorf("%s (%s).text.%s is longer than %d characters", where, t.ID, code, MaxMessageLength)
			case hasControl(text):
				return fmt.Errorf("%s (%s).text.%s contains control characters", where, t.ID, code)
			}
		}
	}
	return nil
}

// MergeTemplates returns base with each of extra replacing the template of
// the same ID or added at the end.
func MergeTemplates(base, extra []MessageTemplate) []MessageTemplate {
	out := slices.Clone(base)
	for _, t := range extra {
		if i := slices.IndexFunc(out, func(b MessageTemplate) bool { return b.ID == t.ID }); i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	return out
}

// TemplatesFor returns the templates of a severity, in their order.
func TemplatesFor(ts []MessageTemplate, sev Severity) []MessageTemplate {
	var out []MessageTemplate
	for _, t := range ts {
		if t.Severity == sev {
			out = append(out, t)
		}
	}
	return out
}

package queue

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Entities the centre owns and kiosks pull. Each record is identified by
// (entity, key) within a site.
const (
	EntityPreReg       = "prereg"       // PreRegistration, key: invite code
	EntityWatch        = "watch"        // WatchEntry, key: chosen by the centre; it stays at the centre
	EntitySealedWatch  = "sealed_watch" // SealedWatch, the watch-list as kiosks get it; key: not derived from the name alone
	EntityHost         = "host"         // Host, key: chosen by the centre
	EntityService      = "service"      // Service, key: service id
	EntityAnnouncement = "announcement" // Announcement, key: chosen by the centre
	EntityAlert        = "alert"        // Alert for staff, key: chosen by the centre
	EntityVisit        = "visit"        // SiteVisit from a kiosk of the site, key: kiosk/visit id
	EntitySiteConfig   = "site_config"  // siteconfig.Record, key: "current"
	EntityErasure      = "erasure"      // Erasure, key: chosen by the centre
)

// Entities lists every entity a kiosk may receive.
var Entities = []string{EntityPreReg, EntitySealedWatch, EntityHost, EntityService, EntityAnnouncement, EntityAlert, EntityVisit, EntitySiteConfig, EntityErasure, EntityStaff}

// PreRegistration is a visitor the centre expects, who checks in with an
// invite code.
type PreRegistration struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Host      string    `json:"host"`
	Expected  time.Time `json:"expected"`
	Cancelled bool      `json:"cancelled,omitempty"`
}

// Watch-list actions. Both alert staff discreetly; neither shows anything
// different to the visitor.
const (
	WatchFlag  = "flag"
	WatchBlock = "block"
)

// WatchEntry is a person staff must be told about when they check in.
type WatchEntry struct {
	Name   string `json:"name"`
	Born   string `json:"born,omitempty"` // YYYY-MM-DD, optional
	IDCard string `json:"id_card,omitempty"`
	Action string `json:"action"`
	Note   string `json:"note,omitempty"`
}

// Host is a person or department visitors come to see.
type Host struct {
	Department string `json:"department"`
	Name       string `json:"name"`
	Extension  string `json:"extension,omitempty"`
}

// Announcement is a message the centre publishes to a site's lobbies.
type Announcement struct {
	Severity string    `json:"severity"` // info, minor, major, critical
	Lang     string    `json:"lang"`     // BCP 47 tag; empty means every language
	Text     string    `json:"text"`
	From     time.Time `json:"from"`
	Until    time.Time `json:"until,omitzero"`
}

// Alert kinds raised for staff.
const (
	AlertWatch       = "watch"            // a check-in matched the watch-list
	AlertDuplicate   = "duplicate"        // the same person checked in at two kiosks
	AlertPreRegGone  = "prereg_cancelled" // checked in with a cancelled invite
	AlertUnknownCode = "invite_unknown"   // the centre does not know the invite code
)

// Alert is something staff should look at; visitors never see alerts.
type Alert struct {
	Kind    string    `json:"kind"`
	Kiosk   string    `json:"kiosk"`
	Epoch   int64     `json:"epoch"` // the kiosk database the visit is in
	Visit   int64     `json:"visit"` // the kiosk's visit id
	Ticket  string    `json:"ticket"`
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

// SiteVisit is a visit as the centre last heard of it from a kiosk.
type SiteVisit struct {
	Kiosk string `json:"kiosk"`
	HLC   string `json:"hlc"`
	Visit Visit  `json:"visit"`
	// Left is when the visitor checked out; zero while they are in the
	// building.
	Left time.Time `json:"left,omitzero"`
	// Epoch and Seq name the change that set the record (with Kiosk and
	// HLC), so that ties between equal clocks break the same way at every
	// centre and kiosk. Zero in records written before they were kept.
	Epoch int64 `json:"epoch,omitempty"`
	Seq   int64 `json:"seq,omitempty"`
}

// Older reports whether the change that set sv comes before the one that
// set o: by HLC, then kiosk, epoch and sequence number. A record takes
// the state of its newest change whatever order changes arrive in; an
// older one updates the history only. The centre applies pushed changes
// by it and a kiosk applies pulled records by it, so both ends agree.
func (sv SiteVisit) Older(o SiteVisit) bool {
	if sv.HLC != o.HLC { // the HLC's text order is its clock order
		return sv.HLC < o.HLC
	}
	if sv.Kiosk != o.Kiosk {
		return sv.Kiosk < o.Kiosk
	}
	if sv.Epoch != o.Epoch {
		return sv.Epoch < o.Epoch
	}
	return sv.Seq < o.Seq
}

// NormalizeName is how names are compared for the watch-list and for
// duplicate check-ins: case and accents folded, punctuation dropped,
// white space collapsed. "  José  O'Brien" and "jose obrien" match.
func NormalizeName(s string) string {
	var b strings.Builder
	space := false
	for _, r := range fold(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		case unicode.IsSpace(r) || r == '-':
			space = true
		}
	}
	return b.String()
}

// Validate checks a watch-list entry as imported by IT.
func (w WatchEntry) Validate() error {
	if NormalizeName(w.Name) == "" {
		return fmt.Errorf("watch-list entry: name is empty")
	}
	if w.Action != WatchFlag && w.Action != WatchBlock {
		return fmt.Errorf("watch-list entry %q: action %q must be %q or %q", w.Name, w.Action, WatchFlag, WatchBlock)
	}
	if w.Born != "" {
		if _, err := time.Parse(time.DateOnly, w.Born); err != nil {
			return fmt.Errorf("watch-list entry %q: date of birth %q must be YYYY-MM-DD", w.Name, w.Born)
		}
	}
	return nil
}

// Validate checks a pre-registration as imported by IT.
func (p PreRegistration) Validate() error {
	if !validInvite(p.Code) {
		return fmt.Errorf("pre-registration %q: invite code %q must be 4 to 32 letters, digits or dashes", p.Name, p.Code)
	}
	if strings.TrimSpace(p.Name) == "" {
		return fmt.Errorf("pre-registration %s: name is empty", p.Code)
	}
	if err := checkText("name", p.Name); err != nil {
		return fmt.Errorf("pre-registration %s: name: %w", p.Code, err)
	}
	if err := checkText("host", p.Host); err != nil {
		return fmt.Errorf("pre-registration %s: host: %w", p.Code, err)
	}
	return nil
}

// NormalizeInvite upper-cases a typed or scanned invite code and drops
// surrounding space.
func NormalizeInvite(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

func validInvite(code string) bool {
	if len(code) < 4 || len(code) > 32 || code != NormalizeInvite(code) {
		return false
	}
	for _, r := range code {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

package wire

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
)

// Protocol versions. Every request and response carries Header; one
// without it is version 1, as kiosks and centres before the header spoke.
const (
	Header = "Lobbyline-Protocol"
	// Version is the protocol this build speaks. 3 added PushRequest.Pull;
	// 4 added sequence discipline (StatusResend, PushRequest.Skipped);
	// 5 the centre's copy of a kiosk's own visits (CentreCopy).
	Version = 5
	// MinVersion is the oldest protocol this build still serves or talks
	// to; a peer below it is refused with StatusUpgradeRequired.
	MinVersion = 1
	// PullInPush is the first protocol whose centres answer a push's Pull.
	PullInPush = 3
	// SeqDiscipline is the first protocol whose centres answer a push
	// that skips sequence numbers with StatusResend, and whose kiosks
	// answer that by sending from the number named, saying which numbers
	// they do not send (PushRequest.Skipped).
	SeqDiscipline = 4
	// CentreCopy is the first protocol whose centres answer GET
	// .../visits (VisitsPage) with the calling kiosk's own visits, for
	// the recovery of its damaged database. An older centre answers 404,
	// and its answers carry the older version.
	CentreCopy = 5
)

// AcceptsHeader is the centre's list of the mutation kinds it applies,
// space-separated, on every response from version 2. A kiosk holds a
// change of any other kind until the centre is upgraded, rather than send
// it to be refused.
const AcceptsHeader = "Lobbyline-Accepts"

// StatusUpgradeRequired is the answer to a peer whose protocol is too old;
// the body's error says which side needs the update.
const StatusUpgradeRequired = http.StatusUpgradeRequired

// VersionOf reads the protocol version a request or response declares:
// 1 when the header is absent.
func VersionOf(h http.Header) (int, error) {
	v := strings.TrimSpace(h.Get(Header))
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: %s %q is not a protocol version", ErrMalformed, Header, v)
	}
	return n, nil
}

// SetVersion declares this build's protocol on a request or response.
func SetVersion(h http.Header) { h.Set(Header, strconv.Itoa(Version)) }

// Accepts reads a centre's AcceptsHeader: nil when the centre announced
// nothing (protocol 1), which means it takes the kinds of protocol 1.
func Accepts(h http.Header) map[string]bool {
	v, ok := h[http.CanonicalHeaderKey(AcceptsHeader)]
	if !ok {
		return nil
	}
	kinds := make(map[string]bool)
	for _, line := range v {
		for _, k := range strings.Fields(line) {
			kinds[k] = true
		}
	}
	return kinds
}

// AgentProduct names a kiosk in the User-Agent of its requests,
// "lobbyline-kiosk/VERSION", so the centre can show IT which software each
// kiosk runs. It is informational: kiosks before it send Go's default and
// are served the same.
const AgentProduct = "lobbyline-kiosk"

// MaxAgentVersion bounds the version the centre records.
const MaxAgentVersion = 64

// SetAgent declares the kiosk's software version on a request.
func SetAgent(h http.Header, version string) { h.Set("User-Agent", AgentProduct+"/"+version) }

// BuildVersion is what the Go toolchain recorded of this binary's
// version: the module version of a tagged build, else "devel-" and the
// commit (with "-dirty" for a work tree with changes), else "devel". The
// packages set theirs with -ldflags -X, which the binaries prefer.
func BuildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev[:min(len(rev), 12)] + dirty
}

// ConfigHeader carries the version of the centre's site configuration
// (central config set) a kiosk runs. Like the User-Agent it is
// informational: centres before it ignore it, kiosks before it and kiosks
// on their own file's services and desks do not send it.
const ConfigHeader = "Lobbyline-Config"

// SetConfigVersion declares the site configuration version a kiosk runs;
// 0 (its own file's) sends nothing.
func SetConfigVersion(h http.Header, v int64) {
	if v > 0 {
		h.Set(ConfigHeader, strconv.FormatInt(v, 10))
	}
}

// ConfigVersion reads the version ConfigHeader declares: 0 if none, or
// not a positive number.
func ConfigVersion(h http.Header) int64 {
	v, err := strconv.ParseInt(h.Get(ConfigHeader), 10, 64)
	if err != nil || v < 0 {
		return 0
	}
	return v
}

// AgentVersion reads the version a kiosk's User-Agent declares: "" if it
// is not a kiosk's, or the version is empty, too long or not printable
// ASCII.
func AgentVersion(h http.Header) string {
	v, ok := strings.CutPrefix(h.Get("User-Agent"), AgentProduct+"/")
	if !ok {
		return ""
	}
	v, _, _ = strings.Cut(v, " ")
	if v == "" || len(v) > MaxAgentVersion {
		return ""
	}
	for _, r := range v {
		if r <= ' ' || r > '~' {
			return ""
		}
	}
	return v
}

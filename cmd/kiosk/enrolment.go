package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lobbyline/queue/durable"
	"lobbyline/syncer"
	"lobbyline/syncer/wire"
)

// Enrolment is what this kiosk got from its centre for a one-time code:
// where the centre is and the token it knows the kiosk by. It lives in a
// file only the kiosk's user may read, never in the config (which IT
// shares and versions) or on a command line (which `ps` shows).
type Enrolment struct {
	Centre   string    `json:"centre"`
	Site     string    `json:"site"`
	Kiosk    string    `json:"kiosk"`
	Name     string    `json:"name"`
	Token    string    `json:"token"`
	Enrolled time.Time `json:"enrolled"`
	// Supervisor says whether the enrolment answer held a supervisor
	// account; not kept in the file.
	Supervisor bool `json:"-"`
}

// errNotEnrolled is a kiosk with a centre but no token for it yet.
var errNotEnrolled = errors.New("this kiosk is not enrolled with its centre yet: get a code with `central enroll` and enter it on the kiosk's set-up screen, or run `lobbyline-kiosk enroll --centre URL --code CODE`")

// enrolmentPath is where the enrolment is kept: the config's
// enrolment_file, else beside the database.
func (m *Main) enrolmentPath() string {
	if p := m.Config.EnrolmentFile; p != "" {
		return p
	}
	return filepath.Join(filepath.Dir(m.DBPath), m.Config.KioskID+".enrolment")
}

// readEnrolment reads the enrolment file; ok is false if there is none. A
// file other users may read is refused: the token in it would be theirs.
func (m *Main) readEnrolment() (e Enrolment, ok bool, err error) {
	path := m.enrolmentPath()
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Enrolment{}, false, nil
	}
	if err != nil {
		return Enrolment{}, false, fmt.Errorf("enrolment file: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return Enrolment{}, false, fmt.Errorf("enrolment file %s may be read by other users (mode %s): run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path) // #nosec G304 -- the enrolment file the config names, checked above to be readable by its owner only
	if err != nil {
		return Enrolment{}, false, fmt.Errorf("enrolment file: %w", err)
	}
	if err := json.Unmarshal(b, &e); err != nil || e.Token == "" || e.Centre == "" {
		return Enrolment{}, false, fmt.Errorf("enrolment file %s is damaged: enrol the kiosk again (lobbyline-kiosk enroll)", path)
	}
	if e.Kiosk != m.Config.KioskID || e.Site != m.Config.Site {
		return Enrolment{}, false, fmt.Errorf("enrolment file %s is for kiosk %s at site %s, but the config says kiosk_id %s, site %s: enrol this kiosk again",
			path, e.Kiosk, e.Site, m.Config.KioskID, m.Config.Site)
	}
	return e, true, nil
}

// writeEnrolment saves e whole and on disk, readable by this user only.
func (m *Main) writeEnrolment(e Enrolment) error {
	path := m.enrolmentPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save enrolment: %w", err)
	}
	b, err := json.MarshalIndent(e, "", "  ")
	if err == nil {
		err = durable.WriteFile(path, append(b, '\n'), 0o600)
	}
	if err != nil {
		return fmt.Errorf("save enrolment: %w", err)
	}
	return nil
}

// centreURL is the centre this kiosk syncs with: the config's, or the one
// it was enrolled with.
func (m *Main) centreURL(e Enrolment) string {
	if u := m.Config.Central; u != "" {
		return u
	}
	return e.Centre
}

// enrol redeems code at the centre at url for this kiosk's token and
// saves the enrolment. url "" is the config's central.
func (m *Main) enrol(ctx context.Context, url, code string) (Enrolment, error) {
	if url == "" {
		url = m.Config.Central
	}
	if url == "" || url == CentralOff || url == CentralEmbedded {
		return Enrolment{}, errors.New("which centre? give its address, like https://central.example:8470")
	}
	if m.Config.Central != "" && m.Config.Central != CentralOff && m.Config.Central != CentralEmbedded &&
		strings.TrimSuffix(url, "/") != strings.TrimSuffix(m.Config.Central, "/") {
		return Enrolment{}, fmt.Errorf("the config says this kiosk's centre is %s, not %s", m.Config.Central, url)
	}
	// The same rule for an address typed, scanned or given to enroll as
	// for the config's: no plain HTTP off this machine unless insecure.
	if err := syncer.CheckCentreURL(url, m.Config.Insecure); err != nil {
		return Enrolment{}, err
	}
	hc, err := m.Config.transport().HTTPClient()
	if err != nil {
		return Enrolment{}, err
	}
	client, err := syncer.NewClient(url, m.Config.Site, "", hc)
	if err != nil {
		return Enrolment{}, err
	}
	resp, err := client.Enrol(ctx, code, m.Config.KioskID)
	if err != nil {
		var he *syncer.HTTPError
		if errors.As(err, &he) && he.Message != "" {
			return Enrolment{}, errors.New(he.Message)
		}
		return Enrolment{}, fmt.Errorf("cannot reach the centre at %s: %w", url, err)
	}
	e := Enrolment{Centre: strings.TrimSuffix(url, "/"), Site: resp.Site, Kiosk: resp.Kiosk, Name: resp.Name, Token: resp.Token, Enrolled: time.Now().UTC()}
	if err := m.writeEnrolment(e); err != nil {
		return Enrolment{}, err
	}
	if e.Supervisor, err = m.applyEnrolmentStaff(ctx, resp.Staff); err != nil {
		return Enrolment{}, err
	}
	m.Logger.Info("enrolled", "centre", e.Centre, "site", e.Site, "kiosk", e.Kiosk)
	return e, nil
}

// enrollCmd exchanges a code for the kiosk's token without the screen,
// for IT's provisioning scripts.
func enrollCmd(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("enroll", "Enrol this kiosk with its centre: exchange a one-time code from `central enroll` for its token.")
	url := fs.String("centre", "", "the centre's `URL` (default: the config's central)")
	code := fs.String("code", "", "the one-time enrolment `CODE` (required), or what its QR code holds")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("enroll takes no arguments, got %q", fs.Args())
	}
	scanned, c := wire.ParseEnrolScan(*code)
	if c == "" {
		return errors.New("--code is required: the code `central enroll` printed")
	}
	if *url == "" {
		*url = scanned
	}
	e, err := m.enrol(ctx, *url, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Enrolled: kiosk %s at site %s with the centre at %s.\nThe token is kept in %s, readable by this user only.\n",
		e.Kiosk, e.Site, e.Centre, m.enrolmentPath())
	if !e.Supervisor {
		fmt.Fprintln(m.Stdout, "The site has no supervisor account yet: add one at the centre (central staff add), "+
			"or here with lobbyline-kiosk staff add --role supervisor --name NAME.")
	}
	return nil
}

// lobbyProblem is why the lobby may not open with this configuration,
// or "": outside --demo, never without a configuration, with the
// embedded centre (which exists for trying Lobbyline out), or with no
// way to a supervisor account. A kiosk without one opens if it has a
// set-up PIN of its own (staff make the first supervisor with it) or
// waits for enrolment (the set-up screen asks for the first supervisor
// after the code).
func (m *Main) lobbyProblem(hasSupervisor bool) string {
	if m.Demo {
		return ""
	}
	file, _ := filepath.Abs(m.ConfigPath)
	if m.ConfigPath == "" {
		file = "a config file (start from the sample: kiosk --help)"
	}
	_, enrolled, _ := m.readEnrolment()
	awaitingEnrolment := m.Config.Central != CentralOff && m.Config.Central != CentralEmbedded && !enrolled
	const addFirst = "Make the first supervisor with `lobbyline-kiosk staff add --role supervisor --name NAME` (it asks for the PIN)"
	switch {
	case m.ConfigPath == "":
		return "This kiosk has no configuration: it would open with the sample's staff PIN, which anyone can look up. " +
			"Start it with --config FILE, or with --demo to try Lobbyline out."
	case !hasSupervisor && m.Config.PINHash == DefaultConfig().PINHash:
		return fmt.Sprintf("No supervisor account yet, and the set-up PIN is still the sample's, which anyone can look up. %s, or replace pin_hash in %s with your own from `lobbyline-kiosk hash-pin`.", addFirst, file)
	case !hasSupervisor && m.Config.PINHash == "" && !awaitingEnrolment:
		return fmt.Sprintf("No staff account yet. %s, or add one at the centre (central staff add) and sync.", addFirst)
	case m.Config.Central == CentralEmbedded:
		return fmt.Sprintf(`central = "embedded" runs a private centre inside the kiosk, for trying Lobbyline out. In %s, set central to your centre's address (or to "" and enrol the kiosk on its set-up screen with a code from central enroll), or to "off" for a lobby with no centre; or start with --demo.`, file)
	}
	return ""
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/sqlite"
)

// centreCopyTimeout bounds the recovery's wait for the centre's copy: a
// centre that does not answer in time is one not reachable, and the
// recovery goes on without it.
const centreCopyTimeout = 20 * time.Second

// centreCopy is how the recovery reads the centre's copy of this kiosk's
// own visits, as the config's central says: nil for none (central =
// "off"). Its errors say in plain words why there is no copy.
func (m *Main) centreCopy() func(context.Context) ([]queue.SiteVisit, error) {
	switch m.Config.Central {
	case CentralOff:
		return nil
	case CentralEmbedded:
		return m.embeddedCopy
	}
	return m.remoteCopy
}

// remoteCopy asks the centre the kiosk is enrolled with, as its sync
// does, with a short timeout.
func (m *Main) remoteCopy(ctx context.Context) ([]queue.SiteVisit, error) {
	e, ok, err := m.readEnrolment()
	switch {
	case err != nil:
		return nil, fmt.Errorf("the centre was not asked (the enrolment cannot be read: %v)", err)
	case !ok:
		return nil, errors.New("the centre was not asked (this kiosk is not enrolled)")
	}
	url := m.centreURL(e)
	if err := syncer.CheckCentreURL(url, m.Config.Insecure); err != nil {
		return nil, fmt.Errorf("the centre was not asked (%v)", err)
	}
	t := m.Config.transport()
	t.Timeout = centreCopyTimeout
	hc, err := t.HTTPClient()
	if err != nil {
		return nil, fmt.Errorf("the centre was not asked (%v)", err)
	}
	client, err := syncer.NewClient(url, m.Config.Site, e.Token, hc)
	if err != nil {
		return nil, fmt.Errorf("the centre was not asked (%v)", err)
	}
	client.SetSoftware(buildVersion())
	ctx, cancel := context.WithTimeout(ctx, centreCopyTimeout)
	defer cancel()
	visits, err := client.Visits(ctx)
	var old *syncer.CentreTooOldError
	if errors.As(err, &old) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("the centre was not reachable (%v)", err)
	}
	return visits, nil
}

// embeddedCopy reads the embedded centre's database beside the kiosk's,
// if this kiosk was enrolled there; it enrols nothing.
func (m *Main) embeddedCopy(ctx context.Context) ([]queue.SiteVisit, error) {
	dir := filepath.Dir(m.DBPath)
	path := filepath.Join(dir, "central.db")
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // never started: it holds nothing of this kiosk's
	}
	if err != nil {
		return nil, fmt.Errorf("the embedded centre was not reachable (%v)", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, m.Config.KioskID+".central-token")) // #nosec G304 -- the embedded centre's token file in the kiosk's own data directory
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // never enrolled there: it holds nothing of this kiosk's
	}
	if err != nil {
		return nil, fmt.Errorf("the embedded centre was not reachable (this kiosk's token: %v)", err)
	}
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("the embedded centre was not reachable (%v)", err)
	}
	defer db.Close()
	svc := centre.New(db, centre.Options{Logger: m.Logger})
	k, err := svc.Authenticate(ctx, strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("the embedded centre was not reachable (%v)", err)
	}
	return centre.KioskVisitsAll(ctx, svc, k)
}

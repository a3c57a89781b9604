package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/durable"
	"lobbyline/queue/jobs"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/sqlite"
	"lobbyline/syncer/outage"
)

// kick is what the store's AfterWrite calls: the syncer's Kick once it
// runs, nothing before.
type kick struct{ fn atomic.Pointer[func()] }

func (k *kick) run() {
	if fn := k.fn.Load(); fn != nil {
		(*fn)()
	}
}

// startSync starts the syncer's job, the outage monitor on it and the
// scheduled jobs. With sync off it returns nil syncer and monitor and
// starts only the jobs that need no centre.
func (m *Main) startSync(ctx context.Context) (*syncer.Syncer, *outage.Monitor, error) {
	sy, client, err := m.newSyncer(ctx)
	if err != nil {
		return nil, nil, err
	}
	var mon *outage.Monitor
	if sy != nil {
		fn := sy.Kick
		m.kick.fn.Store(&fn)
		if err := sy.Start(ctx); err != nil {
			return nil, nil, err
		}
		m.closers = append(m.closers, sy.Stop)
		version, site, _ := m.siteSettings()
		mon = outage.NewMonitor(m.store, sy, client, outage.Config{
			Policy: m.Config.Outage.policy(site.Outage), DataDir: filepath.Dir(m.DBPath), Logger: m.Logger})
		if err := mon.Resume(ctx); err != nil {
			return nil, nil, err
		}
		unwatch := mon.Watch(ctx)
		// A version of the site's configuration arrives with a sync; its
		// thresholds apply from the monitor's next evaluation (the
		// running incident's severity is judged by them from then on).
		var inUse atomic.Int64
		inUse.Store(version)
		unfollow := sy.Subscribe(func(syncer.Status) {
			if v, site, _ := m.siteSettings(); inUse.Swap(v) != v {
				mon.SetPolicy(m.Config.Outage.policy(site.Outage))
				m.Logger.Info("the outage thresholds follow the site's configuration", "version", v)
			}
		})
		m.closers = append(m.closers, func() error { unwatch(); unfollow(); return nil })
	}
	var probe jobs.Monitor // nil, not a nil *outage.Monitor, when sync is off
	if mon != nil {
		probe = mon
	}
	scheduled, err := jobs.Start(ctx, m.store, probe, m.jobsConfig())
	if err != nil {
		return nil, nil, err
	}
	m.closers = append(m.closers, scheduled.Stop)
	m.jobs = scheduled
	return sy, mon, nil
}

// newSyncer builds the syncer the config asks for: against an embedded
// centre, a real one, or none (central = "off", nil syncer).
func (m *Main) newSyncer(ctx context.Context) (*syncer.Syncer, *syncer.Client, error) {
	var url, token string
	switch m.Config.Central {
	case CentralOff:
		return nil, nil, nil
	case CentralEmbedded:
		var err error
		if url, token, err = m.startEmbeddedCentre(ctx); err != nil {
			return nil, nil, err
		}
	default:
		e, ok, err := m.readEnrolment()
		switch {
		case err != nil:
			return nil, nil, err
		case !ok:
			return nil, nil, errNotEnrolled
		}
		url, token = m.centreURL(e), e.Token
		// The config's central is checked on load; the address the kiosk
		// was enrolled with, perhaps by an earlier release, here.
		if err := syncer.CheckCentreURL(url, m.Config.Insecure); err != nil {
			return nil, nil, fmt.Errorf("the centre this kiosk was enrolled with: %w", err)
		}
	}
	hc, err := m.Config.transport().HTTPClient()
	if err != nil {
		return nil, nil, err
	}
	client, err := syncer.NewClient(url, m.Config.Site, token, hc)
	if err != nil {
		return nil, nil, err
	}
	client.SetSoftware(buildVersion()) // the package's version, which the fleet console shows
	return syncer.New(m.store, client, syncer.Config{Logger: m.Logger}), client, nil
}

// startEmbeddedCentre runs a centre in this process on a loopback port,
// with its SQLite file beside the kiosk database, and enrolls this kiosk
// on first use. It is for trying Lobbyline out and for a single lobby;
// IT points kiosks at cmd/central for anything more.
func (m *Main) startEmbeddedCentre(ctx context.Context) (url, token string, err error) {
	dir := filepath.Dir(m.DBPath)
	db, err := sqlite.Open(ctx, filepath.Join(dir, "central.db"), sqlite.Options{})
	if err != nil {
		return "", "", err
	}
	m.closers = append(m.closers, db.Close)
	store := centre.New(db, centre.Options{Logger: m.Logger})
	if token, err = m.embeddedToken(ctx, store, filepath.Join(dir, m.Config.KioskID+".central-token")); err != nil {
		return "", "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", fmt.Errorf("embedded centre: %w", err)
	}
	srv := &http.Server{Handler: centre.NewServer(store, centre.ServerOptions{Logger: m.Logger}), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("embedded centre", "err", err)
		}
	}()
	// Closed before the store: closers run in reverse order.
	m.closers = append(m.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	})
	m.Logger.Info("embedded centre", "url", "http://"+ln.Addr().String(), "store", filepath.Join(dir, "central.db"))
	return "http://" + ln.Addr().String(), token, nil
}

// embeddedToken reads this kiosk's token for the embedded centre, or
// creates the site and enrolls the kiosk if the token is missing or the
// centre no longer knows it.
func (m *Main) embeddedToken(ctx context.Context, store *centre.Service, path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil { // #nosec G304 -- the embedded centre's token file in the kiosk's own data directory
		token := strings.TrimSpace(string(b))
		if _, err := store.Authenticate(ctx, token); err == nil {
			return token, nil
		}
	}
	if err := store.AddSite(ctx, m.Config.Site, m.Config.Site); err != nil {
		return "", err
	}
	// Audited at the embedded centre as the operating-system user the
	// kiosk runs as, as `central enroll` would be.
	token, err := store.Enroll(ctx, m.Config.Site, m.Config.KioskID, m.Config.KioskName, centre.CommandLineActor())
	if err != nil {
		return "", err
	}
	// Whole and on the disk, or not there: a power cut must not leave an
	// empty file beside a centre that enrolled the kiosk.
	if err := durable.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("save embedded centre token: %w", err)
	}
	return token, nil
}

// syncNow makes one sync attempt and prints what the staff panel shows.
func syncNow(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("sync", "Sync with the centre once: pull its data, push this kiosk's changes.")
	asJSON := fs.Bool("json", false, "print the state as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if m.Config.Central == CentralOff {
		return errors.New(`sync is off in the config (central = "off")`)
	}
	sy, _, err := m.newSyncer(ctx)
	if err != nil {
		return err
	}
	syncErr := sy.Sync(ctx)
	st := sy.Status()
	if *asJSON {
		if err := printJSON(m.Stdout, map[string]any{"state": st.State, "backlog": st.Backlog, "needs_attention": st.Rejected,
			"clock_skew_ms": st.Skew.Milliseconds(), "awaiting_centre": st.AwaitingCentre, "epoch": st.Epoch}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(m.Stdout, "state: %s\nbacklog: %d\nneeds attention: %d\nclock skew: %s\n", st.State, st.Backlog, st.Rejected, st.Skew)
	}
	if st.Renewals > 0 && !*asJSON {
		fmt.Fprintf(m.Stdout, "new epoch: %d (the centre held other changes under this kiosk's names, as after a restore from a copy; the changes went again under new ones)\n", st.Epoch)
	}
	switch st.State {
	case syncer.Unenrolled:
		return errors.New("this kiosk is no longer enrolled at the centre; its data is kept. Ask IT for a new code (central enroll) and enrol it again (kiosk enroll)")
	case syncer.KioskOutdated:
		return errors.New("this kiosk needs an update: the centre no longer speaks its sync protocol; its changes are kept until then")
	case syncer.CentreOutdated:
		return errors.New("the centre needs an update: it speaks a sync protocol older than this kiosk's; the kiosk's changes are kept until then")
	}
	if st.AwaitingCentre > 0 {
		fmt.Fprintf(m.Stdout, "waiting for the centre's update: %d (it does not yet take %q changes)\n", st.AwaitingCentre, st.AwaitingKind)
	}
	return syncErr
}

// reportDir and exportDir sit beside the database.
func (m *Main) reportDir() string { return filepath.Join(filepath.Dir(m.DBPath), "reports") }
func (m *Main) exportDir() string { return filepath.Join(filepath.Dir(m.DBPath), "exports") }

// jobsConfig is the scheduled jobs' settings from the config.
func (m *Main) jobsConfig() jobs.Config {
	j := m.Config.Jobs
	cfg := jobs.Config{
		Retention: m.retention(),
		ReportDir: m.reportDir(), Steps: m.siteRunbook,
		KioskName: m.Config.KioskName, Site: m.Config.Site, Logger: m.Logger,
	}
	// Validate has checked these.
	cfg.PurgeAt, _ = jobs.ParseClockTime(j.PurgeAt)
	cfg.PruneAt, _ = jobs.ParseClockTime(j.PruneAt)
	cfg.PruneAge = time.Duration(j.PruneDays) * 24 * time.Hour
	if j.PruneDays == 0 {
		cfg.PruneAge = -1
	}
	cfg.RefitAt, _ = jobs.ParseClockTime(j.RefitAt)
	cfg.CheckAt, _ = jobs.ParseClockTime(j.CheckAt)
	cfg.Snapshots = queue.SnapshotOptions{Dirs: m.snapshotDirs(), Keep: j.SnapshotKeep}
	if j.CloseDayAt == "off" {
		cfg.CloseDayOff = true
	} else {
		cfg.CloseDayAt, _ = jobs.ParseClockTime(j.CloseDayAt)
	}
	return cfg
}

// retention is how long visitors' personal data is kept: the site's
// jobs.retention_days if the centre's configuration sets it (the centre
// purges its copy after the same time), else the file's.
func (m *Main) retention() time.Duration {
	if m.store == nil {
		return time.Duration(m.Config.Jobs.RetentionDays) * 24 * time.Hour
	}
	_, site, _ := m.siteSettings()
	return site.Retention()
}

// siteRunbook is the runbook in use now (the site's configuration's, once
// the centre has set one), for the reports' checklists.
func (m *Main) siteRunbook() []string {
	if m.store == nil {
		return m.Config.Outage.Runbook
	}
	_, site, _ := m.siteSettings()
	return site.Outage.Runbook
}

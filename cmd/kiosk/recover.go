package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"

	"lobbyline/kiosk"
	"lobbyline/queue"
	"lobbyline/queue/sqldb"
)

// errRestart: the kiosk starts again in its own place (main): on the
// database it recovered from the screen it shows when the database cannot
// be opened, or to write once the disk it started on has room again.
var errRestart = errors.New("start the kiosk again")

// snapshotDirs are where snapshots go: jobs.snapshot_dir (by default
// "snapshots" beside the database), then jobs.snapshot_copy_dir if set.
func (m *Main) snapshotDirs() []string {
	j := m.Config.Jobs
	dirs := []string{j.SnapshotDir}
	if dirs[0] == "" {
		dirs[0] = filepath.Join(filepath.Dir(m.DBPath), "snapshots")
	}
	if j.SnapshotCopyDir != "" {
		dirs = append(dirs, j.SnapshotCopyDir)
	}
	return dirs
}

// snapshotCmd takes a snapshot now, as the hourly job does: only if the
// database changed since the newest one.
func snapshotCmd(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("snapshot", "Take a checked snapshot of the database now, if it changed since the newest one (the kiosk takes one hourly).")
	if err := fs.Parse(args); err != nil {
		return err
	}
	path, err := m.store.Snapshot(ctx, queue.SnapshotOptions{Dirs: m.snapshotDirs(), Keep: m.Config.Jobs.SnapshotKeep})
	switch {
	case err != nil:
		return err
	case path == "":
		fmt.Fprintln(m.Stdout, "nothing changed since the newest snapshot: none taken")
	default:
		fmt.Fprintf(m.Stdout, "snapshot %s\n", path)
	}
	return nil
}

// recoverCmd rebuilds a damaged database. It opens no store first: the
// damaged one may not open, and the kiosk must not hold it.
func recoverCmd(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("recover", "Rebuild a damaged kiosk database (the kiosk stopped): the damaged file is kept beside it; the newest sound snapshot, "+
		"every row of the damaged file still readable, the outbox's copies of visits and the centre's copy of this kiosk's visits "+
		"(if the config names a centre and it answers) are put together; the purge is applied.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := m.recoverDB(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "recovered %s\n%sthis report is also in %s\n", m.DBPath, r, r.Report)
	return nil
}

// recoverDB runs the recovery, then opens the recovered database to
// apply the purge that is due — a snapshot older than a purge must not
// bring erased personal data back — and closes it.
func (m *Main) recoverDB(ctx context.Context) (queue.Recovery, error) {
	r, err := queue.Recover(ctx, m.DBPath, queue.RecoverOptions{KioskID: m.Config.KioskID, SnapshotDirs: m.snapshotDirs(), Centre: m.centreCopy()})
	if err != nil {
		return r, err
	}
	m.Logger.Warn("database recovered", "damaged_kept", r.DamagedKept, "snapshot", r.Snapshot, "from_outbox", r.FromOutbox,
		"centre_read", r.Centre.Read, "centre_added", r.Centre.Added, "centre_newer", r.Centre.Newer, "centre_problem", r.Centre.Problem,
		"origins", r.Origins, "not_recovered", r.Lost, "report", r.Report)
	if err := m.openStore(ctx, false); err != nil {
		return r, fmt.Errorf("recovered, but the recovered database does not open: %w", err)
	}
	defer func() {
		_ = m.store.Close()
		m.store = nil
	}()
	p, err := m.store.Purge(ctx, time.Now().Add(-m.retention()))
	if err != nil {
		return r, fmt.Errorf("recovered, but the purge failed (run kiosk purge): %w", err)
	}
	m.Logger.Info("purge after recovery", "visits", p.Visits, "outbox", p.Outbox)
	return r, nil
}

// checkBeforeLobby runs the database check before the lobby offers
// check-in; it says whether the database is damaged.
func (m *Main) checkBeforeLobby(ctx context.Context) (bool, error) {
	start := time.Now()
	problems, err := m.store.QuickCheck(ctx)
	if err != nil && !errors.Is(err, queue.ErrDamaged) {
		return false, err
	}
	m.Logger.Info("database check", "ok", err == nil, "took", time.Since(start).Round(time.Millisecond), "problems", problems)
	return err != nil, nil
}

// runWithoutStore is the UI when the database cannot be opened: a screen
// that sends visitors to reception and lets staff start the recovery
// with the set-up PIN, rather than an exit the session would restart
// into a blank screen every few seconds.
func (m *Main) runWithoutStore(ctx context.Context, openErr error, held *queue.AutoRecovery) error {
	m.Logger.Error("the database cannot be opened: the lobby sends visitors to reception", "db", m.DBPath, "fault", sqldb.FaultOf(openErr).String(), "err", openErr)
	cfg := m.Config.uiConfig(m.Config.siteSettings())
	if sr := m.selfRecoveryUI(held); sr != nil {
		sr.Last, sr.Acknowledge = nil, nil // no staff mode here: the notice waits for the lobby
		cfg.SelfRecovery = sr
	}
	a := m.app()
	restart := false
	ns := kiosk.NoStore{
		Recover: func(ctx context.Context) (string, error) {
			r, err := m.recoverDB(ctx)
			return r.Report, err
		},
		Restart: func() { restart = true; a.Quit() },
	}
	ui := kiosk.NewWithoutStore(a, cfg, ns, m.Logger)
	defer ui.Close()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w := ui.Window()
	w.SetFullScreen(m.Fullscreen)
	if m.Fullscreen {
		ui.KeepOpen()
	}
	if err := m.show(a, w); err != nil {
		return err
	}
	if restart {
		return errRestart
	}
	return nil
}

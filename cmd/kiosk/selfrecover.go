package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"lobbyline/kiosk"
	"lobbyline/queue"
	"lobbyline/queue/durable"
	"lobbyline/queue/sqldb"
)

// This file is the kiosk recovering a damaged database by itself
// ([jobs] self_recover, issue 15 §3): at start, when the store does not
// open for damage or the check before the lobby finds it, and while it
// runs, when the store marks itself damaged. It runs the recovery
// `kiosk recover` runs (recoverDB) and opens the lobby on the result —
// at most once per damaged file and not again within
// queue.AutoRecoveryQuiet, by the record it keeps beside the database
// (queue.AutoRecovery), written before the recovery starts.

// isDamageErr says whether err is the database's own damage (not the
// disk's): what a recovery is for.
func isDamageErr(err error) bool {
	f := sqldb.FaultOf(err)
	return errors.Is(err, queue.ErrDamaged) || f == sqldb.FaultDamaged || f == sqldb.FaultNotADB
}

// selfRecoveryAllowed says whether the kiosk may recover its damaged
// database by itself now: ok with the file's id, or held, the earlier
// automatic recovery that keeps it from doing so (nil when it is off, or
// cannot be guarded: the log says why).
func (m *Main) selfRecoveryAllowed(now time.Time) (file string, held *queue.AutoRecovery, ok bool) {
	if !m.Config.Jobs.SelfRecover || m.selfRecoverUnguarded {
		return "", nil, false
	}
	last, found, err := queue.LoadAutoRecovery(m.DBPath)
	if err != nil {
		m.Logger.Error("the database is damaged, and the kiosk does not recover it by itself: its record of automatic recoveries cannot be read", "err", err)
		return "", nil, false
	}
	file, err = queue.FileID(m.DBPath)
	if err != nil {
		m.Logger.Error("the database is damaged, and the kiosk does not recover it by itself: the file cannot be told apart from the last one it recovered", "err", err)
		return "", nil, false
	}
	if !found {
		return file, nil, true
	}
	if why := last.Refuses(file, now); why != "" {
		m.Logger.Error("the database is damaged, and the kiosk does not recover it by itself: "+why+"; the lobby sends visitors to reception",
			"record", queue.AutoRecoveryPath(m.DBPath), "last_failed", last.Failed)
		return "", &last, false
	}
	return file, nil, true
}

// selfRecover recovers the damaged database by itself if the config and
// the record of earlier automatic recoveries allow it. No store may be
// open. tried says a recovery ran (worked or not): the caller opens the
// database again, and the record then says how it went; held is the
// earlier recovery that kept it from running.
func (m *Main) selfRecover(ctx context.Context, cause error) (tried bool, held *queue.AutoRecovery) {
	now := time.Now()
	file, held, ok := m.selfRecoveryAllowed(now)
	if !ok {
		return false, held
	}
	rec := queue.AutoRecovery{At: now.UTC(), File: file, Cause: cause.Error(), Failed: queue.Interrupted}
	// The record first: a kiosk that stops during the recovery has used
	// its one try.
	if err := queue.SaveAutoRecovery(m.DBPath, rec); err != nil {
		m.Logger.Error("the database is damaged, and the kiosk does not recover it by itself: it cannot keep a record of doing so", "err", err)
		m.selfRecoverUnguarded = true // nor tries again in this process
		return false, nil
	}
	m.Logger.Warn("the database is damaged: the kiosk recovers it by itself (jobs.self_recover)", "db", m.DBPath, "cause", cause)
	r, err := m.recoverDB(ctx)
	rec.DamagedKept, rec.Report, rec.Lost = r.DamagedKept, r.Report, len(r.Lost)
	if err == nil && r.Nothing() {
		// An empty database would open an empty lobby, as if all were
		// well: a person decides that (kiosk recover does it by hand).
		err = errors.New("nothing could be recovered (no snapshot, no readable visit, no ticket key)")
		m.dropEmptyRecovery()
	}
	if err != nil {
		rec.Failed = err.Error()
		m.Logger.Error("the automatic recovery failed: the lobby sends visitors to reception until IT recovers the database", "err", err)
		m.putDamagedBack(r.DamagedKept)
	} else {
		rec.Failed = ""
		m.Logger.Warn("the database is recovered by itself: the lobby opens on it; staff mode shows a notice until a supervisor acknowledges it",
			"damaged_kept", r.DamagedKept, "report", r.Report, "not_recovered", len(r.Lost))
	}
	if err := queue.SaveAutoRecovery(m.DBPath, rec); err != nil {
		// The record still says "interrupted": no second try either way.
		m.Logger.Error("the automatic recovery's outcome was not recorded", "err", err)
	}
	return true, nil
}

// dropEmptyRecovery removes the empty database a recovery that found
// nothing made, so that putDamagedBack can return the damaged file.
func (m *Main) dropEmptyRecovery() {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(m.DBPath + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			m.Logger.Error("the empty database of a recovery that found nothing could not be removed", "path", m.DBPath+suffix, "err", err)
		}
	}
}

// putDamagedBack returns the damaged file kept as kept to the database's
// place when a failed recovery left none there: the kiosk then shows it
// as damaged, rather than starting an empty database in its place.
func (m *Main) putDamagedBack(kept string) {
	if kept == "" {
		return
	}
	if _, err := os.Stat(m.DBPath); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Rename(kept+suffix, m.DBPath+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			m.Logger.Error("the damaged database could not be put back after the failed recovery", "kept", kept+suffix, "err", err)
			return
		}
	}
	if err := durable.SyncDir(filepath.Dir(m.DBPath)); err != nil {
		m.Logger.Error("the damaged database is back, but its folder was not synced: a power cut now may undo that", "err", err)
		return
	}
	m.Logger.Warn("the damaged database is back in its place after the failed recovery", "db", m.DBPath)
}

// selfRecoveryUI is what the screens need of self-recovery: the last
// automatic recovery, whose notice staff mode shows until a supervisor
// acknowledges it, and held (why the kiosk does not recover by itself
// now). nil when there is nothing to say and self_recover is off.
func (m *Main) selfRecoveryUI(held *queue.AutoRecovery) *kiosk.SelfRecovery {
	last, found, err := queue.LoadAutoRecovery(m.DBPath)
	if err != nil {
		m.Logger.Error("self-recovery", "err", err)
	}
	if !m.Config.Jobs.SelfRecover && !(found && last.Pending()) {
		return nil
	}
	sr := &kiosk.SelfRecovery{Held: held}
	if found {
		sr.Last = &last
		sr.Acknowledge = func(ctx context.Context) error { return m.ackSelfRecovery(ctx, sr.Last) }
	}
	return sr
}

// ackSelfRecovery records that ctx's actor, a supervisor, read the
// notice of the automatic recovery last: in the audit log, then in the
// record beside the database.
func (m *Main) ackSelfRecovery(ctx context.Context, last *queue.AutoRecovery) error {
	a, ok := queue.ActorOf(ctx)
	if !ok || a.Role != queue.RoleSupervisor {
		return errors.New("a supervisor acknowledges the automatic recovery")
	}
	if m.store == nil {
		return errors.New("no database open")
	}
	detail := fmt.Sprintf("recovered by itself at %s; damaged file kept as %s; report %s; %d not recovered",
		last.At.UTC().Format(time.RFC3339), last.DamagedKept, last.Report, last.Lost)
	if err := m.store.Audit(ctx, "self_recovery_ack", "", detail); err != nil {
		return err
	}
	acked := *last
	acked.AckedAt, acked.AckedBy = time.Now().UTC(), a.Name
	if err := queue.SaveAutoRecovery(m.DBPath, acked); err != nil {
		return err
	}
	*last = acked
	m.Logger.Info("the automatic recovery's notice is acknowledged", "by", a.Name)
	return nil
}

// printSelfRecovery is check-config's line on self-recovery: whether it
// is on, and the last automatic recovery.
func (m *Main) printSelfRecovery() {
	if m.Config.Jobs.SelfRecover {
		fmt.Fprintf(m.Stdout, "self-recovery: on (jobs.self_recover): a damaged database is recovered by the kiosk itself, "+
			"at most once per damaged file and not again within %s; its record: %s\n", queue.AutoRecoveryQuiet, queue.AutoRecoveryPath(m.DBPath))
	} else {
		fmt.Fprintln(m.Stdout, "self-recovery: off (jobs.self_recover = false): a damaged database waits for a person (lobbyline-kiosk recover)")
	}
	last, found, err := queue.LoadAutoRecovery(m.DBPath)
	switch {
	case err != nil:
		fmt.Fprintf(m.Stdout, "last automatic recovery: %v\n", err)
	case !found:
	case last.Failed != "":
		fmt.Fprintf(m.Stdout, "last automatic recovery: %s, failed: %s\n", last.At.Local().Format("2006-01-02 15:04"), last.Failed)
	case last.Pending():
		fmt.Fprintf(m.Stdout, "last automatic recovery: %s, damaged file kept as %s, report %s, %d not recovered; not yet acknowledged by a supervisor\n",
			last.At.Local().Format("2006-01-02 15:04"), last.DamagedKept, last.Report, last.Lost)
	default:
		fmt.Fprintf(m.Stdout, "last automatic recovery: %s, report %s; acknowledged by %s\n", last.At.Local().Format("2006-01-02 15:04"), last.Report, last.AckedBy)
	}
}

package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"syscall"
	"time"

	"lobbyline/queue/durable"
)

// This file is the record a kiosk that recovers its damaged database by
// itself ([jobs] self_recover) keeps of doing so: in a small file beside
// the database, not in it — the database is the thing that may be
// damaged or replaced. The record is written, durably, before a recovery
// starts, so a kiosk that stops half-way has still used its one try; it
// is what keeps a kiosk whose disk keeps damaging its database from
// recovering in a loop, and what staff mode shows until a supervisor
// acknowledges it.

// AutoRecoveryQuiet is how long after an automatic recovery the kiosk
// does not recover by itself again: damage found again so soon is a disk
// that is failing, and a person must look.
const AutoRecoveryQuiet = 24 * time.Hour

// AutoRecovery is the kiosk's last automatic recovery.
type AutoRecovery struct {
	At          time.Time `json:"at"`                     // when it started
	File        string    `json:"file"`                   // the damaged file it was for (FileID)
	Cause       string    `json:"cause"`                  // the damage found
	Failed      string    `json:"failed,omitempty"`       // why it failed; "" when it worked
	DamagedKept string    `json:"damaged_kept,omitempty"` // Recovery.DamagedKept
	Report      string    `json:"report,omitempty"`       // Recovery.Report
	Lost        int       `json:"lost"`                   // len(Recovery.Lost): what could not be recovered
	AckedAt     time.Time `json:"acked_at,omitzero"`      // when a supervisor acknowledged it
	AckedBy     string    `json:"acked_by,omitempty"`
}

// Interrupted is the Failed of a recovery that had not finished when its
// record was written: if it is still there, the kiosk stopped during it.
const Interrupted = "the kiosk stopped during the recovery"

// AutoRecoveryPath is the record's file beside the database at db.
func AutoRecoveryPath(db string) string { return db + ".autorecovery.json" }

// LoadAutoRecovery reads the record beside the database at db; ok is
// false when there is none.
func LoadAutoRecovery(db string) (a AutoRecovery, ok bool, err error) {
	b, err := os.ReadFile(AutoRecoveryPath(db))
	if errors.Is(err, fs.ErrNotExist) {
		return a, false, nil
	}
	if err != nil {
		return a, false, fmt.Errorf("read the automatic recovery's record: %w", err)
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return a, false, fmt.Errorf("read the automatic recovery's record %s: %w", AutoRecoveryPath(db), err)
	}
	return a, true, nil
}

// SaveAutoRecovery writes the record beside the database at db, whole
// and on the disk before it returns.
func SaveAutoRecovery(db string, a AutoRecovery) error {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	if err := durable.WriteFile(AutoRecoveryPath(db), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write the automatic recovery's record: %w", err)
	}
	return nil
}

// FileID names the file at path as long as it exists under any name (its
// device and inode): a recovery moves the damaged file aside, and its
// replacement is another file.
func FileID(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", errors.New("no device and inode for " + path)
	}
	return strconv.FormatUint(uint64(st.Dev), 10) + ":" + strconv.FormatUint(st.Ino, 10), nil
}

// Refuses says why the kiosk may not recover the damaged file file by
// itself at now after the recovery a, or "" if it may: at most once per
// damaged file, and not again within AutoRecoveryQuiet of the last (either
// way round: a clock set back must not open the door).
func (a AutoRecovery) Refuses(file string, now time.Time) string {
	if a.At.IsZero() {
		return ""
	}
	if file != "" && a.File == file {
		return "the kiosk already tried to recover this very file by itself, at " + a.At.UTC().Format(time.RFC3339)
	}
	if d := now.Sub(a.At); d < AutoRecoveryQuiet && d > -AutoRecoveryQuiet {
		return fmt.Sprintf("the kiosk recovered its database by itself at %s, less than %s ago: damage again so soon needs a person",
			a.At.UTC().Format(time.RFC3339), AutoRecoveryQuiet)
	}
	return ""
}

// Pending says staff mode should show a: it worked and no supervisor
// has acknowledged it yet.
func (a AutoRecovery) Pending() bool {
	return !a.At.IsZero() && a.Failed == "" && a.AckedAt.IsZero()
}

package syncer_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/wire"
)

func TestReasonNameTakenIsWordedAlikeOnBothSides(t *testing.T) {
	if queue.ReasonNameTaken != wire.ReasonNameTaken {
		t.Fatalf("queue says %q, wire says %q", queue.ReasonNameTaken, wire.ReasonNameTaken)
	}
}

// restoreKiosk is a kiosk whose database file the test closes, copies and
// puts back, as IT would.
type restoreKiosk struct {
	t     *testing.T
	path  string
	url   string
	token string
	*kiosk
}

func (k *restoreKiosk) open() {
	k.t.Helper()
	store, err := queue.Open(context.Background(), k.path, queue.Options{
		KioskID:  "a",
		Services: []queue.Service{{ID: "registration", Prefix: "R", Name: "Registration"}},
		Desks:    []queue.Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"registration"}}},
	})
	if err != nil {
		k.t.Fatal(err)
	}
	client, err := syncer.NewClient(k.url, "north", k.token, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		k.t.Fatal(err)
	}
	k.kiosk = &kiosk{store: store, client: client, sync: syncer.New(store, client, syncer.Config{})}
}

func (k *restoreKiosk) close() {
	k.t.Helper()
	if err := k.store.Close(); err != nil {
		k.t.Fatal(err)
	}
}

func (k *restoreKiosk) sync() {
	k.t.Helper()
	if err := k.kiosk.sync.Sync(context.Background()); err != nil {
		k.t.Fatalf("sync: %v", err)
	}
}

// centreCheckIns counts, by visitor name, the check-ins the centre applied
// from kiosk a, and says whether it refused any of its changes.
func centreCheckIns(t *testing.T, c *testCentre) (map[string]int, []string) {
	t.Helper()
	rows, err := c.store.DB().Query("SELECT kind, status, reason, payload FROM mutations WHERE kiosk_id = 'a'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := make(map[string]int)
	var refused []string
	for rows.Next() {
		var kind, status, reason, payload string
		if err := rows.Scan(&kind, &status, &reason, &payload); err != nil {
			t.Fatal(err)
		}
		if status != wire.StatusApplied {
			refused = append(refused, reason)
			continue
		}
		var m queue.Mutation
		if err := json.Unmarshal([]byte(payload), &m); err != nil {
			t.Fatal(err)
		}
		if kind == queue.KindCheckIn {
			got[m.Visit.Name]++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got, refused
}

// TestRestoredKioskStartsANewEpoch restores an old backup after newer
// changes reached the centre, then makes more: the centre ends with every
// change once, and the kiosk is not wedged. With markRestore the
// database is put back by queue.Restore (kiosk restore); without it the
// file is copied back by hand, and the syncer finds out from the centre.
func TestRestoredKioskStartsANewEpoch(t *testing.T) {
	for _, tc := range []struct {
		name     string
		restore  func(t *testing.T, backup, path string)
		renewals int // new epochs the syncer starts on the centre's word
	}{
		{"kiosk restore", func(t *testing.T, backup, path string) {
			if err := queue.Restore(context.Background(), backup, path, queue.RestoreOptions{KioskID: "a"}); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path + queue.BeforeRestore); err != nil {
				t.Errorf("the replaced database is not kept: %v", err)
			}
		}, 0},
		{"copied back by hand", func(t *testing.T, backup, path string) {
			data, err := os.ReadFile(backup)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			centretest.EachStore(t, func(t *testing.T, dsn string) { restoreOldBackup(t, dsn, tc.restore, tc.renewals) })
		})
	}
}

func restoreOldBackup(t *testing.T, dsn string, restore func(t *testing.T, backup, path string), renewals int) {
	ctx := context.Background()
	c := startCentreOn(t, dsn)
	token, err := c.store.Enroll(ctx, "north", "a", "Kiosk a", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k := &restoreKiosk{t: t, path: filepath.Join(dir, "a.db"), url: c.http.URL, token: token}
	k.open()
	k.checkIn(t, "One")
	k.checkIn(t, "Two")
	k.sync()
	k.checkIn(t, "Three") // in the backup, not yet at the centre
	backup := filepath.Join(dir, "backup.db")
	if err := k.store.Backup(ctx, backup, false); err != nil {
		t.Fatal(err)
	}
	if err := k.store.Backup(ctx, backup, false); err == nil {
		t.Error("a second backup replaced the first without --force")
	}
	_, oldEpoch := k.store.Identity()
	k.checkIn(t, "Four") // the original goes on after the backup
	k.checkIn(t, "Five")
	k.sync()
	k.close()

	restore(t, backup, k.path)
	k.open()
	defer k.store.Close()
	// A visit checked in before the backup is called after the restore:
	// a change in the new epoch to a visit of the old. These two take
	// the sequence numbers Four and Five had.
	if _, err := k.store.Apply(ctx, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Ana"}); err != nil {
		t.Fatal(err)
	}
	if v, err := k.store.Apply(ctx, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Ana"}); err != nil || v.Name != "One" {
		t.Fatalf("call next after the restore: %+v, %v; want One", v, err)
	}
	// Sequence numbers the original never used, but Four's and Five's
	// visit numbers.
	k.checkIn(t, "Six")
	k.checkIn(t, "Seven")
	k.sync()

	got, refused := centreCheckIns(t, c)
	want := map[string]int{"One": 1, "Two": 1, "Three": 1, "Four": 1, "Five": 1, "Six": 1, "Seven": 1}
	for name, n := range want {
		if got[name] != n {
			t.Errorf("the centre applied %s's check-in %d times; want once (all: %v)", name, got[name], got)
		}
	}
	if len(refused) > renewals {
		t.Errorf("the centre refused %d changes: %q", len(refused), refused)
	}
	b, err := k.store.Backlog(ctx)
	if err != nil || b.Pending != 0 || b.Rejected != 0 {
		t.Fatalf("backlog after the sync = %+v, %v; want all accepted", b, err)
	}
	_, epoch := k.store.Identity()
	if epoch == oldEpoch {
		t.Errorf("the restored kiosk still writes in epoch %d", epoch)
	}
	epochs, err := k.store.Epochs(ctx)
	if err != nil || !slices.Contains(epochs, oldEpoch) || epochs[len(epochs)-1] != epoch {
		t.Errorf("epochs = %v, %v; want the old %d and then the current %d", epochs, err, oldEpoch, epoch)
	}
	st := k.kiosk.sync.Status()
	if st.Renewals != renewals || st.State != syncer.Online || st.Epoch != epoch {
		t.Errorf("status after the sync: renewals %d, state %s, epoch %d; want %d, online, %d", st.Renewals, st.State, st.Epoch, renewals, epoch)
	}
	// The centre counts what it refused by name, for IT to see.
	if got := strings.Contains(scrape(t, c.http.URL), `lobbyline_central_mutations_total{result="name_taken"}`); got != (renewals > 0) {
		t.Errorf("name_taken in the centre's metrics: %v; want %v", got, renewals > 0)
	}

	// Not wedged: the next change goes through too.
	k.checkIn(t, "Eight")
	k.sync()
	if got, _ := centreCheckIns(t, c); got["Eight"] != 1 {
		t.Errorf("a change after the restore's sync: applied %d times", got["Eight"])
	}
	// The centre's records name the new visits apart from the
	// original's, though both databases numbered them alike, and a visit
	// of the old epoch keeps its one record.
	b2, err := k.store.Backlog(ctx)
	if err != nil || b2.Pending != 0 || b2.Rejected != 0 {
		t.Errorf("backlog = %+v, %v", b2, err)
	}
	records, err := c.store.Records(ctx, "north", queue.EntityVisit)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range records {
		var sv queue.SiteVisit
		if err := json.Unmarshal(r.Data, &sv); err != nil {
			t.Fatal(err)
		}
		names = append(names, sv.Visit.Name)
		if sv.Visit.Name == "One" && sv.Visit.Status != queue.StatusCalled {
			t.Errorf("One's record at the centre is %s; want called, by the change made after the restore", sv.Visit.Status)
		}
	}
	slices.Sort(names)
	if got, want := strings.Join(names, ","), "Eight,Five,Four,One,Seven,Six,Three,Two"; got != want {
		t.Errorf("the centre's visits of kiosk a: %s; want %s", got, want)
	}
}

package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/hlc"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centredb"
	"lobbyline/syncer/wire"
)

// TestRestoredCommand: the origins a kiosk sends after recovering its
// database are listed per site, for IT; another site's are not.
func TestRestoredCommand(t *testing.T) {
	store := filepath.Join(t.TempDir(), "central.db")
	c := newCentre(t, store)
	c.mustRun("site", "add", "north", "North Hospital")
	c.mustRun("site", "add", "south", "South Clinic")
	token := c.enroll("north", "lobby-1")
	if out := c.mustRun("restored", "--site", "north"); !strings.Contains(out, "No kiosk of north has restored visits") {
		t.Fatalf("before any recovery: %q", out)
	}

	ctx := context.Background()
	db, err := centredb.Open(ctx, store, centredb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := centre.New(db, centre.Options{})
	k, err := st.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC()
	stamp := hlc.Timestamp{Wall: at.UnixMilli()}.String()
	restored := &queue.Restored{Visits: []queue.RestoredVisit{{ID: 3, Epoch: 7, Origin: queue.OriginSnapshot}, {ID: 4, Epoch: 7, Origin: queue.OriginCentre}}}
	raw, err := json.Marshal(queue.Mutation{Kiosk: k.ID, Epoch: 9, Kind: queue.KindRestored, At: at, HLC: stamp, Restored: restored})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := st.Push(ctx, k, wire.PushRequest{Kiosk: k.ID, Mutations: []wire.PushMutation{{Epoch: 9, Seq: 1, Kind: queue.KindRestored, At: at, HLC: stamp, Payload: raw}}})
	if err != nil || resp.Results[0].Status != wire.StatusApplied {
		t.Fatalf("push: %+v, %v", resp, err)
	}
	db.Close()

	out := c.mustRun("restored", "--site", "north")
	for _, want := range []string{"KIOSK", "lobby-1", "snapshot", "centre"} {
		if !strings.Contains(out, want) {
			t.Errorf("restored does not show %q:\n%s", want, out)
		}
	}
	var list []struct{ Kiosk, Visit, Origin string }
	if err := json.Unmarshal([]byte(c.mustRun("restored", "--site", "north", "--json")), &list); err != nil || len(list) != 2 {
		t.Fatalf("--json: %+v, %v", list, err)
	}
	if out := c.mustRun("restored", "--site", "south"); !strings.Contains(out, "No kiosk of south") {
		t.Fatalf("south shows north's: %q", out)
	}
	c.mustFail(`site "west" does not exist`, "restored", "--site", "west")
}

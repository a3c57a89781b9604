package syncer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"lobbyline/queue"
)

// TestCheckOutProofReachesTheCentre: how a visitor proved their
// check-out travels in the check-out's visit to the centre, which keeps
// it in the change and in the visit the site's other kiosks pull. A
// check-in carries no proof field at all (omitempty), so it reads to any
// centre as it did.
func TestCheckOutProofReachesTheCentre(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	a, b := newKiosk(t, c, "a"), newKiosk(t, c, "b")
	ana, err := a.store.CheckIn(ctx, queue.CheckInForm{Name: "Ana", Service: "registration", Phone: "600 123 456"}, queue.SourceKiosk)
	if err != nil {
		t.Fatal(err)
	}
	bo := a.checkIn(t, "Bo")
	if _, err := a.store.CheckOutByPhone(ctx, ana.Visit.ID, "3456"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.CheckOutVisit(ctx, bo.Visit.ID, queue.SourceKiosk, queue.ProofSelf); err != nil {
		t.Fatal(err)
	}
	if err := a.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	rows, err := c.store.DB().Query("SELECT kind, payload FROM mutations WHERE kiosk_id = 'a' AND status = 'applied' ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	proofs := map[string]queue.Proof{}
	for rows.Next() {
		var kind, payload string
		if err := rows.Scan(&kind, &payload); err != nil {
			t.Fatal(err)
		}
		var m queue.Mutation
		if err := json.Unmarshal([]byte(payload), &m); err != nil || m.Visit == nil {
			t.Fatalf("payload %s: %v", payload, err)
		}
		switch kind {
		case queue.KindCheckOut:
			proofs[m.Visit.Ticket] = m.Visit.LeftProof
		case queue.KindCheckIn:
			if bytes.Contains([]byte(payload), []byte("LeftProof")) {
				t.Errorf("a check-in carries a proof field: %s", payload)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if proofs[ana.Visit.Ticket] != queue.ProofPhone || proofs[bo.Visit.Ticket] != queue.ProofSelf {
		t.Fatalf("the centre's check-outs carry proofs %v; want %s phone, %s self", proofs, ana.Visit.Ticket, bo.Visit.Ticket)
	}

	// The site's other kiosk pulls the visits with their proofs.
	if err := b.sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	visits, err := b.store.Remote(ctx, queue.EntityVisit)
	if err != nil {
		t.Fatal(err)
	}
	pulled := map[string]queue.Proof{}
	for _, r := range visits {
		var sv queue.SiteVisit
		if err := json.Unmarshal(r.Data, &sv); err != nil {
			t.Fatal(err)
		}
		pulled[sv.Visit.Ticket] = sv.Visit.LeftProof
	}
	if pulled[ana.Visit.Ticket] != queue.ProofPhone || pulled[bo.Visit.Ticket] != queue.ProofSelf {
		t.Errorf("kiosk b pulled proofs %v", pulled)
	}
}

package queue_test

import (
	"context"
	"encoding/json"
	"testing"

	"lobbyline/queue"
)

func TestRenewEpochMovesTheRefusedChangeAndThoseAfter(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	_, old := s.Identity()
	first := mustCheckIn(t, s, "Accepted", "registration")
	settleAll(t, s)
	refused := mustCheckIn(t, s, "Refused", "registration")
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Ana"})
	// A change to a visit of before the parting: it moves, its visit not.
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Ana"})
	pending, err := s.PendingOutbox(ctx, 10)
	if err != nil || len(pending) != 3 {
		t.Fatalf("pending = %+v, %v", pending, err)
	}
	// The refused one waits as needs attention (as a kiosk before this
	// version left it); the rest are pending.
	if err := s.SettleOutbox(ctx, []queue.Settlement{{Seq: pending[0].Seq, Rejected: true, Reason: queue.ReasonNameTaken + "; was this kiosk's database restored?"}}); err != nil {
		t.Fatal(err)
	}

	next, err := s.RenewEpoch(ctx, old, pending[0].Seq)
	if err != nil || next == old || next <= 0 {
		t.Fatalf("renew = %d, %v; want a new epoch", next, err)
	}
	if _, epoch := s.Identity(); epoch != next {
		t.Errorf("identity epoch %d; want %d", epoch, next)
	}
	moved, err := s.PendingOutbox(ctx, 10)
	if err != nil || len(moved) != 3 {
		t.Fatalf("pending after the renewal = %+v, %v; want all three, the refused one too", moved, err)
	}
	for _, e := range moved {
		var m queue.Mutation
		if err := json.Unmarshal(e.Payload, &m); err != nil {
			t.Fatal(err)
		}
		if e.Epoch != next || m.Epoch != next {
			t.Errorf("change %d: epoch %d, payload's %d; want %d", e.Seq, e.Epoch, m.Epoch, next)
		}
		if m.Visit == nil {
			continue
		}
		want := old // the visit the call is about was checked in before
		if m.Visit.ID == refused.Visit.ID {
			want = next // checked in by a moved change
		}
		if m.Visit.Epoch != want {
			t.Errorf("change %d (%s of %s): visit epoch %d; want %d", e.Seq, e.Kind, m.Visit.Name, m.Visit.Epoch, want)
		}
	}
	if v, err := s.Visit(ctx, refused.Visit.ID); err != nil || v.Epoch != next {
		t.Errorf("the refused check-in's visit: epoch %d, %v; want %d", v.Epoch, err, next)
	}
	if v, err := s.Visit(ctx, first.Visit.ID); err != nil || v.Epoch != old {
		t.Errorf("the accepted visit: epoch %d, %v; want %d, kept", v.Epoch, err, old)
	}
	// Asked again for the old epoch (a late answer), it starts no other.
	if again, err := s.RenewEpoch(ctx, old, pending[0].Seq); err != nil || again != next {
		t.Errorf("renew again = %d, %v; want %d", again, err, next)
	}
	epochs, err := s.Epochs(ctx)
	if err != nil || len(epochs) != 2 || epochs[0] != old || epochs[1] != next {
		t.Errorf("epochs = %v, %v; want [%d %d]", epochs, err, old, next)
	}
	// New changes go in the new epoch.
	mustCheckIn(t, s, "Later", "registration")
	all, _ := s.PendingOutbox(ctx, 10)
	if last := all[len(all)-1]; last.Epoch != next {
		t.Errorf("a new change went in epoch %d; want %d", last.Epoch, next)
	}
}

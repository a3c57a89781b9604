package centre_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/wire"
)

// TestPrunedMutationsAreStillKnownByName prunes the payloads of pushed
// mutations: a replay is still a duplicate, a different change under a
// pruned name is still refused, and newer payloads are kept.
func TestPrunedMutationsAreStillKnownByName(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		k := mustEnrollKiosk(t, c, "north", "lobby-1")
		store := openKioskStore(t, "lobby-1", clk)

		kioskCheckIn(t, store, queue.CheckInForm{Name: "Old One"})
		kioskCheckIn(t, store, queue.CheckInForm{Name: "Old Two"})
		old := pendingBatch(t, store)
		mustPush(t, c, k, old)
		settle(t, store, old)
		clk.Advance(100 * 24 * time.Hour)
		kioskCheckIn(t, store, queue.CheckInForm{Name: "New One"})
		recent := pendingBatch(t, store)
		mustPush(t, c, k, recent)

		n, err := c.PruneMutations(ctx, clk.Now().Add(-90*24*time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("prune = %d, %v; want the 2 old payloads", n, err)
		}
		var empty, hashed, total int
		err = c.DB().QueryRow(`SELECT count(CASE WHEN payload = '' THEN 1 END), count(CASE WHEN payload_hash <> '' THEN 1 END), count(*)
			FROM mutations WHERE kiosk_id = 'lobby-1'`).Scan(&empty, &hashed, &total)
		if err != nil || empty != 2 || hashed != 3 || total != 3 {
			t.Fatalf("mutations: %d pruned, %d hashed, %d in all (%v); want 2, 3, 3", empty, hashed, total, err)
		}
		if n, err := c.PruneMutations(ctx, clk.Now().Add(-90*24*time.Hour)); err != nil || n != 0 {
			t.Errorf("a second prune = %d, %v; want nothing left to prune", n, err)
		}

		// A replay, with white space the kiosk's encoder might add, is a
		// duplicate; nothing is applied twice.
		head := siteHead(t, c, k)
		replay := append([]wire.PushMutation(nil), old...)
		replay[0].Payload = append([]byte(" "), replay[0].Payload...)
		if got := statusesOf(mustPush(t, c, k, append(replay, recent...))); strings.Join(got, ",") != "duplicate,duplicate,duplicate" {
			t.Errorf("replay after the prune: %v; want all duplicates", got)
		}
		if h := siteHead(t, c, k); h != head {
			t.Errorf("the replay changed the site: version %d, was %d", h, head)
		}
		// A different change under a pruned name is refused, as before.
		other := spoil(t, old[1], func(_ *wire.PushMutation, p map[string]any) { p["visit"].(map[string]any)["Name"] = "Someone Else" })
		res := mustPush(t, c, k, []wire.PushMutation{other})
		if res[0].Status != wire.StatusRejected || !strings.HasPrefix(res[0].Reason, wire.ReasonNameTaken) {
			t.Errorf("a different change under a pruned name: %+v; want refused", res[0])
		}
		// The records the payloads fed are untouched.
		visits, err := c.Records(ctx, "north", queue.EntityVisit)
		if err != nil || len(visits) != 3 {
			t.Errorf("visit records after the prune: %d, %v; want 3", len(visits), err)
		}
	})
}

// settle marks pushed mutations accepted in the kiosk's outbox.
func settle(tb testing.TB, s *queue.Store, ms []wire.PushMutation) {
	tb.Helper()
	answers := make([]queue.Settlement, len(ms))
	for i, m := range ms {
		answers[i] = queue.Settlement{Seq: m.Seq}
	}
	if err := s.SettleOutbox(context.Background(), answers); err != nil {
		tb.Fatal(err)
	}
}

func TestPayloadHashIgnoresWhiteSpaceOnly(t *testing.T) {
	a := centre.PayloadHash([]byte(`{"kiosk":"a","epoch":1}`))
	if b := centre.PayloadHash([]byte(" {\"kiosk\": \"a\",\n \"epoch\": 1}")); a != b {
		t.Errorf("white space changed the hash: %s, %s", a, b)
	}
	if b := centre.PayloadHash([]byte(`{"kiosk":"a","epoch":2}`)); a == b {
		t.Error("two payloads, one hash")
	}
	if len(a) != 64 {
		t.Errorf("hash %q: want 64 hex digits", a)
	}
}

package syncer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/wire"
)

// seqCentre is a centre on the store at dsn with a fake clock, behind
// serve (nil: the centre's own server), and kiosk "a" enrolled there.
func seqCentre(t *testing.T, dsn string, clock *clockwork.FakeClock, serve func(h http.Handler) http.Handler) (*kiosk, centretest.Centre) {
	t.Helper()
	ctx := context.Background()
	c := centretest.Open(t, dsn, clock.Now, centre.Options{GapAlertAfter: 10 * time.Minute})
	if err := c.AddSite(ctx, "north", "North"); err != nil {
		t.Fatal(err)
	}
	var h http.Handler = centre.NewServer(c.Service, centre.ServerOptions{})
	if serve != nil {
		h = serve(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	token, err := c.Enroll(ctx, "north", "a", "A", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	return newKioskWithToken(t, srv.URL, "a", token), c
}

// pushByHand sends the kiosk's outbox rows with these numbers through
// its wire client, as a kiosk that skipped the others would.
func pushByHand(t *testing.T, k *kiosk, seqs ...int64) wire.PushResponse {
	t.Helper()
	ctx := context.Background()
	kioskID, _ := k.store.Identity()
	req := wire.PushRequest{Kiosk: kioskID, Sent: time.Now().UTC()}
	for _, seq := range seqs {
		rows, err := k.store.OutboxBetween(ctx, seq, seq, 1)
		if err != nil || len(rows) != 1 {
			t.Fatalf("outbox %d: %+v, %v", seq, rows, err)
		}
		e := rows[0]
		req.Mutations = append(req.Mutations, wire.PushMutation{Epoch: e.Epoch, Seq: e.Seq, Kind: e.Kind, At: e.CreatedAt, HLC: e.HLC, Payload: e.Payload})
	}
	resp, err := k.client.Push(ctx, req)
	if err != nil {
		t.Fatalf("push %v by hand: %v", seqs, err)
	}
	return resp
}

func statuses(resp wire.PushResponse) []string {
	var out []string
	for _, r := range resp.Results {
		out = append(out, r.Status)
	}
	return out
}

func gapsOf(t *testing.T, c centretest.Centre, k *kiosk) []centre.Gap {
	t.Helper()
	_, epoch := k.store.Identity()
	gaps, err := c.Store.Gaps(context.Background(), "a", epoch)
	if err != nil {
		t.Fatal(err)
	}
	return gaps
}

func statusCount(t *testing.T, c centretest.Centre, status string) int {
	t.Helper()
	var n int
	if err := c.DB().QueryRow("SELECT count(*) FROM mutations WHERE kiosk_id = 'a' AND status = '" + status + "'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A batch that skips ahead is answered "resend" naming the number
// expected, and nothing of it from there is applied; the kiosk's own
// syncer then sends from that number, what the centre lacks included
// even when the kiosk counts it accepted (the centre's database went
// back to a copy), and the centre ends with every change, no gap.
func TestKioskSendsAgainFromTheNumberTheCentreNames(t *testing.T) {
	centretest.EachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clock := clockwork.NewFakeClockAt(time.Now())
		k, c := seqCentre(t, dsn, clock, nil)
		for _, name := range []string{"Ana Pérez", "Bo Chen", "Cy Dee", "Di Eve"} {
			k.checkIn(t, name)
		}
		if got := statuses(pushByHand(t, k, 1, 3, 4)); strings.Join(got, " ") != "applied resend resend" {
			t.Fatalf("a batch skipping change 2 answered %v; want applied, then resend", got)
		}
		resp := pushByHand(t, k, 3)
		if r := resp.Results[0]; r.Status != wire.StatusResend || r.Next != 2 || !strings.Contains(r.Reason, "change 2") {
			t.Fatalf("change 3 alone answered %+v; want resend from 2", r)
		}
		if n := statusCount(t, c, wire.StatusApplied); n != 1 {
			t.Fatalf("the centre applied %d changes; want only change 1", n)
		}
		// The kiosk counts 1 and 2 accepted, as if the centre had taken 2
		// and then lost it.
		if err := k.store.SettleOutbox(ctx, []queue.Settlement{{Seq: 1}, {Seq: 2}}); err != nil {
			t.Fatal(err)
		}
		if err := k.sync.Sync(ctx); err != nil {
			t.Fatalf("sync: %v", err)
		}
		if st := k.sync.Status(); st.Backlog != 0 || st.Rejected != 0 || st.State != syncer.Online {
			t.Fatalf("status %+v; want everything delivered", st)
		}
		if n := statusCount(t, c, wire.StatusApplied); n != 4 {
			t.Fatalf("the centre applied %d changes; want 4", n)
		}
		if gaps := gapsOf(t, c, k); len(gaps) != 0 {
			t.Fatalf("gaps %+v; want none", gaps)
		}
		// Duplicates stay duplicates; a different change under a known
		// name stays refused.
		if got := statuses(pushByHand(t, k, 1, 2)); strings.Join(got, " ") != "duplicate duplicate" {
			t.Fatalf("changes sent again answered %v; want duplicates", got)
		}
		rows, _ := k.store.OutboxBetween(ctx, 2, 2, 1)
		e := rows[0]
		other := bytes.Replace(e.Payload, []byte("Bo Chen"), []byte("Bo Chan"), 1)
		kioskID, _ := k.store.Identity()
		resp, err := k.client.Push(ctx, wire.PushRequest{Kiosk: kioskID, Mutations: []wire.PushMutation{{Epoch: e.Epoch, Seq: e.Seq, Kind: e.Kind, At: e.CreatedAt, HLC: e.HLC, Payload: other}}})
		if err != nil || resp.Results[0].Status != wire.StatusRejected || !strings.HasPrefix(resp.Results[0].Reason, wire.ReasonNameTaken) {
			t.Fatalf("a different change under a known name answered %+v, %v; want refused", resp, err)
		}
	})
}

// A change the kiosk holds for staff (refused) is a gap the kiosk names
// when asked: the changes after it are taken, the gap stays open at the
// centre, and once it has been open longer than allowed the kiosk's staff
// get an alert, once. Sent again by a supervisor, it closes the gap.
func TestAPersistentGapRaisesAnAlert(t *testing.T) {
	centretest.EachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clock := clockwork.NewFakeClockAt(time.Now())
		k, c := seqCentre(t, dsn, clock, nil)
		for _, name := range []string{"Ana Pérez", "Bo Chen", "Cy Dee"} {
			k.checkIn(t, name)
		}
		// Change 2 was refused as a whole request (400) once: the kiosk
		// holds it for staff, and the centre never recorded it.
		if err := k.store.SettleOutbox(ctx, []queue.Settlement{{Seq: 2, Rejected: true, Reason: "centre answered 400"}}); err != nil {
			t.Fatal(err)
		}
		if err := k.sync.Sync(ctx); err != nil {
			t.Fatalf("sync: %v", err)
		}
		if st := k.sync.Status(); st.Backlog != 0 || st.Rejected != 1 {
			t.Fatalf("status %+v; want 1 and 3 delivered, 2 held", st)
		}
		gaps := gapsOf(t, c, k)
		if len(gaps) != 1 || gaps[0].From != 2 || gaps[0].To != 2 || gaps[0].Why != wire.SkipHeld {
			t.Fatalf("gaps %+v; want change 2, held", gaps)
		}
		if got, err := c.CheckGaps(ctx); err != nil || len(got) != 0 {
			t.Fatalf("a fresh gap alerted: %+v, %v", got, err)
		}
		clock.Advance(11 * time.Minute)
		got, err := c.CheckGaps(ctx)
		if err != nil || len(got) != 1 {
			t.Fatalf("check after 11 minutes: %+v, %v; want one alert", got, err)
		}
		if again, err := c.CheckGaps(ctx); err != nil || len(again) != 0 {
			t.Fatalf("the gap alerted twice: %+v, %v", again, err)
		}
		if err := k.sync.Sync(ctx); err != nil {
			t.Fatalf("sync: %v", err)
		}
		alerts, err := k.store.Alerts(ctx, true)
		if err != nil || len(alerts) != 1 || alerts[0].Kind != centre.AlertMissing ||
			!strings.Contains(alerts[0].Message, "Kiosk a is missing change 2 at the centre") {
			t.Fatalf("the kiosk's alerts %+v, %v; want the missing change", alerts, err)
		}
		// A supervisor sends it again: the gap closes.
		if err := k.store.RetryRejected(queue.WithActor(ctx, queue.Actor{Name: "Carmen", Role: "supervisor"}), 2); err != nil {
			t.Fatal(err)
		}
		if err := k.sync.Sync(ctx); err != nil {
			t.Fatalf("sync: %v", err)
		}
		if n := statusCount(t, c, wire.StatusApplied); n < 3 {
			t.Fatalf("the centre applied %d changes; want change 2 too", n)
		}
		if gaps := gapsOf(t, c, k); len(gaps) != 0 {
			t.Fatalf("gaps %+v after change 2 arrived; want none", gaps)
		}
	})
}

// A kiosk of protocol 3 knows no "resend": the centre takes its batch
// as before and records the numbers it skipped as a gap, which alerts
// if it persists.
func TestProtocol3KioskSkippingIsTakenAndTheGapRecorded(t *testing.T) {
	centretest.EachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clock := clockwork.NewFakeClockAt(time.Now())
		k, c := seqCentre(t, dsn, clock, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Header.Set(wire.Header, "3") // as a kiosk of protocol 3 declares
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if strings.HasSuffix(r.URL.Path, "/push") && rec.Code == http.StatusOK {
					// A protocol 3 kiosk's decoder refuses any status it
					// does not know.
					var resp wire.PushResponse
					if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
						t.Errorf("push answer: %v", err)
					}
					for _, res := range resp.Results {
						if res.Status != wire.StatusApplied && res.Status != wire.StatusDuplicate && res.Status != wire.StatusRejected {
							t.Errorf("a protocol 3 kiosk was answered %q", res.Status)
						}
					}
				}
				for key, vs := range rec.Header() {
					w.Header()[key] = vs
				}
				w.WriteHeader(rec.Code)
				w.Write(rec.Body.Bytes())
			})
		})
		for _, name := range []string{"Ana Pérez", "Bo Chen", "Cy Dee", "Di Eve"} {
			k.checkIn(t, name)
		}
		if got := statuses(pushByHand(t, k, 1, 4)); strings.Join(got, " ") != "applied applied" {
			t.Fatalf("a protocol 3 batch skipping 2 and 3 answered %v; want both applied", got)
		}
		gaps := gapsOf(t, c, k)
		if len(gaps) != 1 || gaps[0].From != 2 || gaps[0].To != 3 || gaps[0].Why != centre.GapUnsent {
			t.Fatalf("gaps %+v; want 2–3 unsent", gaps)
		}
		pushByHand(t, k, 3)
		clock.Advance(11 * time.Minute)
		got, err := c.CheckGaps(ctx)
		if err != nil || len(got) != 1 || got[0].From != 2 || got[0].To != 2 {
			t.Fatalf("alerts %+v, %v; want change 2 only (3 arrived)", got, err)
		}
		if msg := got[0].Message(); !strings.Contains(msg, "Kiosk a is missing change 2 at the centre") {
			t.Errorf("alert %q", msg)
		}
	})
}

// A kiosk of protocol 4 talking to a centre of protocol 3 sends what it
// always sent, nothing a protocol 3 centre has not heard of, and its
// changes are taken.
func TestKioskTalksToACentreOfProtocol3(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var bodies []string
	k, c := kioskBehind(t, func(c centretest.Centre) http.Handler {
		h := centre.NewServer(c.Service, centre.ServerOptions{Protocol: 3})
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies = append(bodies, string(body))
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
			h.ServeHTTP(w, r)
		})
	})
	for _, name := range []string{"Ana Pérez", "Bo Chen", "Cy Dee"} {
		k.checkIn(t, name)
	}
	if err := k.store.SettleOutbox(ctx, []queue.Settlement{{Seq: 2, Rejected: true, Reason: "centre answered 400"}}); err != nil {
		t.Fatal(err)
	}
	if err := k.sync.Sync(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if got := k.client.Centre().Protocol; got != 3 {
		t.Fatalf("the kiosk heard protocol %d; want 3", got)
	}
	if st := k.sync.Status(); st.Backlog != 0 || st.Rejected != 1 {
		t.Fatalf("status %+v; want 1 and 3 delivered", st)
	}
	if n := appliedAt(t, c, "a"); n != 2 {
		t.Fatalf("the centre applied %d; want 2", n)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bodies {
		if strings.Contains(b, `"skipped"`) {
			t.Errorf("the kiosk sent a protocol 3 centre a field of protocol 4: %s", b)
		}
	}
}

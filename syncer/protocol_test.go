package syncer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/wire"
)

// addFields puts fields no kiosk knows into every JSON object a centre
// answers with, as a newer centre might during a rolling upgrade.
func addFields(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var v any
		if json.Unmarshal(body, &v) == nil {
			body, _ = json.Marshal(grow(v))
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

func grow(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if k != "data" && k != "payload" { // the entity's own JSON is not the protocol's
				v[k] = grow(e)
			}
		}
		v["from_a_newer_centre"] = map[string]any{"nested": []any{1, "two"}}
		return v
	case []any:
		for i, e := range v {
			v[i] = grow(e)
		}
	}
	return v
}

// kioskBehind is kiosk "a" of site north, enrolled at a centre on SQLite
// that serve puts behind its address.
func kioskBehind(t *testing.T, serve func(centretest.Centre) http.Handler) (*kiosk, centretest.Centre) {
	t.Helper()
	ctx := context.Background()
	c := centretest.Open(t, filepath.Join(t.TempDir(), "central.db"), nil)
	if err := c.AddSite(ctx, "north", "North"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(serve(c))
	t.Cleanup(srv.Close)
	token, err := c.Enroll(ctx, "north", "a", "A", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	return newKioskWithToken(t, srv.URL, "a", token), c
}

func TestKioskReadsAnswersWithFieldsItDoesNotKnow(t *testing.T) {
	ctx := context.Background()
	k, c := kioskBehind(t, func(c centretest.Centre) http.Handler {
		return addFields(centre.NewServer(c.Service, centre.ServerOptions{}))
	})
	if _, err := c.Write(ctx, "north", []centre.RecordWrite{{Entity: queue.EntityPreReg, Key: "AB12CD",
		Data: queue.PreRegistration{Code: "AB12CD", Name: "Ana Pérez", Host: "Dr Ruiz", Expected: time.Now().Add(time.Hour)}}}); err != nil {
		t.Fatal(err)
	}
	k.checkIn(t, "Zoë O'Brien")
	if err := k.sync.Sync(ctx); err != nil {
		t.Fatalf("sync with a centre that answers with more fields: %v", err)
	}
	if st := k.sync.Status(); st.State != syncer.Online || st.Backlog != 0 || st.Rejected != 0 {
		t.Fatalf("status %+v; want online with nothing left", st)
	}
	pre, err := k.store.Remote(ctx, queue.EntityPreReg)
	if err != nil || len(pre) != 1 || pre[0].Key != "AB12CD" {
		t.Fatalf("pre-registrations pulled: %+v, %v", pre, err)
	}
}

// v1PushResponse and v1PullResponse are the answers as kiosks of protocol
// 1 decode them: every field known, no other allowed.
type v1PushResponse struct {
	Results []struct {
		Epoch  int64  `json:"epoch"`
		Seq    int64  `json:"seq"`
		Status string `json:"status"`
		Reason string `json:"reason,omitempty"`
	} `json:"results"`
	Now time.Time `json:"now"`
}

type v1PullResponse struct {
	Snapshot bool `json:"snapshot,omitempty"`
	Records  []struct {
		Entity  string          `json:"entity"`
		Key     string          `json:"key"`
		Version int64           `json:"version"`
		Deleted bool            `json:"deleted,omitempty"`
		Data    json.RawMessage `json:"data,omitempty"`
	} `json:"records"`
	Cursor int64     `json:"cursor"`
	More   bool      `json:"more,omitempty"`
	Now    time.Time `json:"now"`
}

// v1Do sends a request as a kiosk of protocol 1 did (no version header)
// and decodes the answer as it did: strictly.
func v1Do(t *testing.T, method, url, token string, body []byte, into any) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, url, res.StatusCode, raw)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("a protocol 1 kiosk cannot read the answer to %s %s: %v\n%s", method, url, err, raw)
	}
}

func TestOldKioskTalksToNewCentre(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	token, err := c.store.Enroll(ctx, "north", "old", "Old kiosk", centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	// A real kiosk's outbox, sent as protocol 1 sent it.
	k := newKioskWithToken(t, c.http.URL, "old", token)
	k.checkIn(t, "Bo Chen")
	entries, err := k.store.PendingOutbox(ctx, 10)
	if err != nil || len(entries) != 1 {
		t.Fatalf("outbox %+v, %v", entries, err)
	}
	e := entries[0]
	body := `{"kiosk":"old","sent":"` + time.Now().UTC().Format(time.RFC3339Nano) + `","backlog":1,"mutations":[{"epoch":` +
		strconv.FormatInt(e.Epoch, 10) + `,"seq":` + strconv.FormatInt(e.Seq, 10) + `,"kind":"` + e.Kind + `","at":"` +
		e.CreatedAt.UTC().Format(time.RFC3339Nano) + `","hlc":"` + e.HLC + `","payload":` + string(e.Payload) + `}]}`
	var push v1PushResponse
	v1Do(t, http.MethodPost, c.http.URL+"/v1/sites/north/push", token, []byte(body), &push)
	if len(push.Results) != 1 || push.Results[0].Status != wire.StatusApplied {
		t.Fatalf("push answered %+v; want applied", push)
	}
	var pull v1PullResponse
	v1Do(t, http.MethodGet, c.http.URL+"/v1/sites/north/pull?cursor=0&limit=1000", token, nil, &pull)
	if len(pull.Records) != 1 || pull.Records[0].Entity != queue.EntityVisit {
		t.Fatalf("pull answered %+v; want the visit", pull)
	}
}

// swappable serves whichever centre it holds: a test upgrades the centre
// in place, on the same address and store.
type swappable struct{ h atomic.Pointer[http.Handler] }

func (s *swappable) ServeHTTP(w http.ResponseWriter, r *http.Request) { (*s.h.Load()).ServeHTTP(w, r) }

func (s *swappable) set(h http.Handler) { s.h.Store(&h) }

func TestKioskHoldsAKindItsCentreLacks(t *testing.T) {
	ctx := context.Background()
	// An older centre: it has not heard of check-outs.
	var older []string
	for _, k := range centre.Kinds {
		if k != queue.KindCheckOut {
			older = append(older, k)
		}
	}
	var h swappable
	k, c := kioskBehind(t, func(c centretest.Centre) http.Handler {
		h.set(centre.NewServer(centre.New(c.Store, centre.Options{Accepts: older}), centre.ServerOptions{}))
		return &h
	})
	ana := k.checkIn(t, "Ana Pérez")
	if _, err := k.store.CheckOutVisit(ctx, ana.Visit.ID, "Carmen", queue.ProofStaff); err != nil {
		t.Fatal(err)
	}
	k.checkIn(t, "Bo Chen")

	if err := k.sync.Sync(ctx); err != nil {
		t.Fatalf("sync with the older centre: %v", err)
	}
	st := k.sync.Status()
	if st.AwaitingCentre != 2 || st.AwaitingKind != queue.KindCheckOut || st.Backlog != 2 || st.Rejected != 0 {
		t.Fatalf("status %+v; want the check-out and what follows held (2), none rejected", st)
	}
	if n := appliedAt(t, c, "a"); n != 1 {
		t.Fatalf("the older centre holds %d mutations; want only the first check-in", n)
	}

	// The centre is upgraded; the held changes go, in order, once.
	h.set(centre.NewServer(c.Service, centre.ServerOptions{}))
	if err := k.sync.Sync(ctx); err != nil {
		t.Fatalf("sync after the upgrade: %v", err)
	}
	if st := k.sync.Status(); st.AwaitingCentre != 0 || st.Backlog != 0 || st.Rejected != 0 {
		t.Fatalf("status after the upgrade %+v; want everything delivered", st)
	}
	if n := appliedAt(t, c, "a"); n != 3 {
		t.Fatalf("the centre holds %d applied mutations; want 3, each once", n)
	}
}

func appliedAt(t *testing.T, c centretest.Centre, kiosk string) int {
	t.Helper()
	var n int
	if err := c.DB().QueryRow("SELECT count(*) FROM mutations WHERE kiosk_id = ? AND status = 'applied'", kiosk).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAKioskTooOldForItsCentreIsToldSo(t *testing.T) {
	ctx := context.Background()
	k, _ := kioskBehind(t, func(c centretest.Centre) http.Handler {
		return centre.NewServer(c.Service, centre.ServerOptions{MinProtocol: wire.Version + 1})
	})
	k.checkIn(t, "Ana Pérez")
	err := k.sync.Sync(ctx)
	st := k.sync.Status()
	if st.State != syncer.KioskOutdated || !strings.Contains(st.LastError, "this kiosk needs an update") {
		t.Fatalf("status %+v (%v); want outdated: this kiosk needs an update", st, err)
	}
	if st.Backlog != 1 || st.Rejected != 0 {
		t.Errorf("status %+v; the check-in must wait on the kiosk, not be refused", st)
	}
}

func TestACentreTooOldForItsKioskIsToldSo(t *testing.T) {
	ctx := context.Background()
	c := startCentre(t)
	k := newKiosk(t, c, "a")
	k.client.RequireCentre(wire.Version + 1)
	k.checkIn(t, "Ana Pérez")
	err := k.sync.Sync(ctx)
	if !errors.Is(err, syncer.ErrCentreOutdated) {
		t.Fatalf("sync = %v; want ErrCentreOutdated", err)
	}
	st := k.sync.Status()
	if st.State != syncer.CentreOutdated || st.Backlog != 1 {
		t.Fatalf("status %+v; want centre-outdated with the check-in kept", st)
	}
	if n := appliedAt(t, c.store, "a"); n != 0 {
		t.Fatalf("the kiosk sent %d mutations to a centre it cannot talk to", n)
	}
	if got := k.client.Centre(); got.Protocol != wire.Version || !slices.Equal(sortedKinds(got.Accepts), sortedKinds(toSet(centre.Kinds))) {
		t.Errorf("the kiosk heard %+v of the centre", got)
	}
}

func toSet(kinds []string) map[string]bool {
	m := make(map[string]bool)
	for _, k := range kinds {
		m[k] = true
	}
	return m
}

func sortedKinds(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// During a rolling upgrade two instances of the centre may answer one
// kiosk: the pull an upgraded one, the push one not yet upgraded, which
// refuses a kind it does not know. The change is held, not rejected, and
// goes through once an upgraded instance takes the push.
func TestAnInstanceNotYetUpgradedDoesNotLoseAChange(t *testing.T) {
	ctx := context.Background()
	var older []string
	for _, k := range centre.Kinds {
		if k != queue.KindCheckOut {
			older = append(older, k)
		}
	}
	var pushTo swappable
	var upgraded http.Handler
	k, c := kioskBehind(t, func(c centretest.Centre) http.Handler {
		upgraded = centre.NewServer(c.Service, centre.ServerOptions{})
		pushTo.set(centre.NewServer(centre.New(c.Store, centre.Options{Accepts: older}), centre.ServerOptions{}))
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/push") {
				pushTo.ServeHTTP(w, r)
				return
			}
			upgraded.ServeHTTP(w, r)
		})
	})
	ana := k.checkIn(t, "Ana Pérez")
	if _, err := k.store.CheckOutVisit(ctx, ana.Visit.ID, "Carmen", queue.ProofStaff); err != nil {
		t.Fatal(err)
	}
	k.checkIn(t, "Bo Chen")

	if err := k.sync.Sync(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
	st := k.sync.Status()
	if st.Rejected != 0 || st.Backlog != 1 || st.AwaitingCentre != 1 || st.AwaitingKind != queue.KindCheckOut {
		t.Fatalf("status %+v; want the check-out held (not rejected), the rest delivered", st)
	}

	pushTo.set(upgraded)
	if err := k.sync.Sync(ctx); err != nil {
		t.Fatalf("sync after the upgrade: %v", err)
	}
	if st := k.sync.Status(); st.Rejected != 0 || st.Backlog != 0 || st.AwaitingCentre != 0 {
		t.Fatalf("status after the upgrade %+v; want everything delivered", st)
	}
	if n := appliedAt(t, c, "a"); n != 3 {
		t.Fatalf("the centre holds %d applied mutations; want 3", n)
	}
}

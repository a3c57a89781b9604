package centre_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/siteconfig"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/wire"
)

// The central store's tests run every case against both stores: SQLite in
// a temp file and PostgreSQL from LOBBYLINE_TEST_POSTGRES, which
// `./dev.sh test` starts.

// storeClock is a clock tests move by hand, shared by the centre and the
// kiosks of a test.
type storeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newStoreClock() *storeClock {
	return &storeClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
}

func (c *storeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *storeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// eachStore runs fn once per backend with the DSN of a fresh store.
var eachStore = centretest.EachStore

// openTestCentral opens a centre on dsn whose clock is clk.
func openTestCentral(tb testing.TB, dsn string, clk *storeClock) centretest.Centre {
	tb.Helper()
	return centretest.Open(tb, dsn, clk.Now)
}

func mustAddSite(tb testing.TB, c centretest.Centre, id string) {
	tb.Helper()
	if err := c.AddSite(context.Background(), id, strings.ToUpper(id)); err != nil {
		tb.Fatalf("add site: %v", err)
	}
}

// mustEnrollKiosk enrolls a kiosk and returns it as its token authenticates.
func mustEnrollKiosk(tb testing.TB, c centretest.Centre, site, id string) centre.Kiosk {
	tb.Helper()
	ctx := context.Background()
	token, err := c.Enroll(ctx, site, id, "Kiosk "+id, centretest.IT)
	if err != nil {
		tb.Fatalf("enroll: %v", err)
	}
	k, err := c.Authenticate(ctx, token)
	if err != nil {
		tb.Fatalf("authenticate %s: %v", id, err)
	}
	return k
}

// openKioskStore opens a real kiosk database, whose outbox gives the
// mutations to push.
func openKioskStore(tb testing.TB, id string, clk *storeClock) *queue.Store {
	tb.Helper()
	return openKioskStoreAt(tb, tb.TempDir(), id, clk)
}

// openKioskStoreAt opens a kiosk database at dir/id.db, for a test that
// reads its file too.
func openKioskStoreAt(tb testing.TB, dir, id string, clk *storeClock) *queue.Store {
	tb.Helper()
	s, err := queue.Open(context.Background(), filepath.Join(dir, id+".db"), queue.Options{
		KioskID:  id,
		Services: []queue.Service{{ID: "registration", Prefix: "R", Name: "Registration", DefaultWait: 10 * time.Minute}},
		Desks:    []queue.Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"registration"}}},
		Now:      clk.Now,
		Location: time.UTC,
	})
	if err != nil {
		tb.Fatalf("open kiosk store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func kioskCheckIn(tb testing.TB, s *queue.Store, form queue.CheckInForm) queue.Visit {
	tb.Helper()
	if form.Service == "" {
		form.Service = "registration"
	}
	tk, err := s.CheckIn(context.Background(), form, queue.SourceKiosk)
	if err != nil {
		tb.Fatalf("check in %q: %v", form.Name, err)
	}
	return tk.Visit
}

func kioskApply(tb testing.TB, s *queue.Store, cmd queue.Command) {
	tb.Helper()
	if _, err := s.Apply(context.Background(), cmd); err != nil {
		tb.Fatalf("%s: %v", cmd.Action, err)
	}
}

// pendingBatch is the kiosk's pending outbox as the client sends it.
func pendingBatch(tb testing.TB, s *queue.Store) []wire.PushMutation {
	tb.Helper()
	entries, err := s.PendingOutbox(context.Background(), wire.MaxBatch)
	if err != nil {
		tb.Fatalf("pending outbox: %v", err)
	}
	out := make([]wire.PushMutation, len(entries))
	for i, e := range entries {
		out[i] = wire.PushMutation{Epoch: e.Epoch, Seq: e.Seq, Kind: e.Kind, At: e.CreatedAt, HLC: e.HLC, Payload: e.Payload}
	}
	return out
}

// mustPush pushes a batch and checks that the answers name the batch's
// mutations in order.
func mustPush(tb testing.TB, c centretest.Centre, k centre.Kiosk, ms []wire.PushMutation) []wire.PushResult {
	tb.Helper()
	resp, err := c.Push(context.Background(), k, wire.PushRequest{Kiosk: k.ID, Mutations: ms})
	if err != nil {
		tb.Fatalf("push: %v", err)
	}
	if len(resp.Results) != len(ms) {
		tb.Fatalf("push of %d mutations got %d results", len(ms), len(resp.Results))
	}
	for i, r := range resp.Results {
		if r.Epoch != ms[i].Epoch || r.Seq != ms[i].Seq {
			tb.Fatalf("result %d is for %d/%d, want %d/%d", i, r.Epoch, r.Seq, ms[i].Epoch, ms[i].Seq)
		}
	}
	return resp.Results
}

func statusesOf(rs []wire.PushResult) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Status
	}
	return out
}

func repeated(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// siteHead is the site's current version, as a pull from it reports.
func siteHead(tb testing.TB, c centretest.Centre, k centre.Kiosk) int64 {
	tb.Helper()
	return follow(tb, c, k, 0, 0).cursor
}

// pulled is what a kiosk holds after following a site's pages: the live
// records by entity/key, as ApplyPull keeps them.
type pulled struct {
	records  map[string]wire.Record
	cursor   int64
	pages    []wire.PullResponse
	versions []int64 // every record version received, in order
}

// follow pulls from cursor until the centre says there is no more,
// applying each page the way the kiosk does; it fails rather than loop.
func follow(tb testing.TB, c centretest.Centre, k centre.Kiosk, cursor int64, limit int) pulled {
	tb.Helper()
	p := pulled{records: make(map[string]wire.Record), cursor: cursor}
	continuing := false
	for range 1000 {
		resp, err := c.PullFrom(context.Background(), k, centre.PullQuery{Cursor: p.cursor, Limit: limit, Continuing: continuing})
		if err != nil {
			tb.Fatalf("pull from %d: %v", p.cursor, err)
		}
		p.pages = append(p.pages, resp)
		if resp.Snapshot {
			if len(p.pages) > 1 {
				tb.Fatalf("pull from %d with limit %d: page %d is a snapshot again; the kiosk would start over for ever",
					cursor, limit, len(p.pages))
			}
			clear(p.records)
			continuing = true
		}
		for _, r := range resp.Records {
			p.versions = append(p.versions, r.Version)
			if r.Deleted {
				delete(p.records, r.Entity+"/"+r.Key)
			} else {
				p.records[r.Entity+"/"+r.Key] = r
			}
		}
		p.cursor = resp.Cursor
		if !resp.More {
			return p
		}
	}
	tb.Fatalf("pull from %d with limit %d did not end after 1000 pages", cursor, limit)
	return p
}

func TestCentralEnrollment(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := openTestCentral(t, dsn, newStoreClock())
		mustAddSite(t, c, "north")
		mustAddSite(t, c, "south")

		first, err := c.Enroll(ctx, "north", "lobby-1", "Lobby 1", centretest.IT)
		if err != nil {
			t.Fatal(err)
		}
		other, err := c.Enroll(ctx, "north", "lobby-2", "Lobby 2", centretest.IT)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Revoke(ctx, "lobby-1", centretest.IT); err != nil {
			t.Fatal(err)
		}
		if err := c.Revoke(ctx, "lobby-1", centretest.IT); !errors.Is(err, centre.ErrNotFound) {
			t.Errorf("revoking a revoked kiosk: got %v, want ErrNotFound", err)
		}
		if err := c.Revoke(ctx, "nobody", centretest.IT); !errors.Is(err, centre.ErrNotFound) {
			t.Errorf("revoking an unknown kiosk: got %v, want ErrNotFound", err)
		}
		second, err := c.Enroll(ctx, "north", "lobby-1", "Lobby 1", centretest.IT)
		if err != nil {
			t.Fatal(err)
		}
		// Enrolling again without revoking also replaces the token.
		third, err := c.Enroll(ctx, "north", "lobby-1", "Lobby 1 (new screen)", centretest.IT)
		if err != nil {
			t.Fatal(err)
		}
		if first == second || second == third || !strings.HasPrefix(third, "llk_") {
			t.Fatalf("tokens not fresh: %q, %q, %q", first, second, third)
		}

		// A kiosk cannot move to another site while enrolled; its token
		// keeps working at the old one.
		if _, err := c.Enroll(ctx, "south", "lobby-1", "Lobby 1", centretest.IT); err == nil {
			t.Error("enrolled lobby-1 at south while it is enrolled at north")
		}
		if _, err := c.Enroll(ctx, "west", "lobby-9", "Lobby 9", centretest.IT); err == nil {
			t.Error("enrolled a kiosk at a site that does not exist")
		}
		if _, err := c.Enroll(ctx, "north", "Lobby 9", "Lobby 9", centretest.IT); err == nil {
			t.Error("enrolled a kiosk with an invalid id")
		}

		for _, tc := range []struct {
			name  string
			token string
			want  centre.Kiosk
			err   error
		}{
			{"current token", third, centre.Kiosk{ID: "lobby-1", Site: "north"}, nil},
			{"other kiosk", other, centre.Kiosk{ID: "lobby-2", Site: "north"}, nil},
			{"revoked token", first, centre.Kiosk{}, centre.ErrUnauthorized},
			{"replaced token", second, centre.Kiosk{}, centre.ErrUnauthorized},
			{"unknown token", "llk_" + strings.Repeat("A", 43), centre.Kiosk{}, centre.ErrUnauthorized},
			{"empty token", "", centre.Kiosk{}, centre.ErrUnauthorized},
			{"token with a space", third + " ", centre.Kiosk{}, centre.ErrUnauthorized},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := c.Authenticate(ctx, tc.token)
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				if got != tc.want {
					t.Errorf("kiosk = %+v, want %+v", got, tc.want)
				}
			})
		}

		// Revoked, it may be enrolled at another site, and then belongs there.
		if err := c.Revoke(ctx, "lobby-1", centretest.IT); err != nil {
			t.Fatal(err)
		}
		moved, err := c.Enroll(ctx, "south", "lobby-1", "Lobby 1", centretest.IT)
		if err != nil {
			t.Fatalf("enroll at south after revoking at north: %v", err)
		}
		k, err := c.Authenticate(ctx, moved)
		if err != nil || k != (centre.Kiosk{ID: "lobby-1", Site: "south"}) {
			t.Errorf("after moving: %+v, %v; want lobby-1 at south", k, err)
		}

		infos, err := c.Kiosks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, in := range infos {
			got = append(got, fmt.Sprintf("%s@%s revoked=%v %s", in.ID, in.Site, in.Revoked, in.Name))
		}
		want := []string{"lobby-2@north revoked=false Lobby 2", "lobby-1@south revoked=false Lobby 1"}
		if !slices.Equal(got, want) {
			t.Errorf("kiosks:\n got %q\nwant %q", got, want)
		}
	})
}

// corruptions are mutations a centre must refuse, each with the reason it
// gives; they double as fuzz seeds for the screening of payloads.
var corruptions = []struct {
	name   string
	spoil  func(m *wire.PushMutation, mut map[string]any)
	reason string
}{
	{"malformed payload", func(m *wire.PushMutation, _ map[string]any) { m.Payload = json.RawMessage(`{"kiosk": 42}`) }, "payload is not a mutation"},
	{"wrong kiosk", func(_ *wire.PushMutation, mut map[string]any) { mut["kiosk"] = "lobby-2" }, `payload names kiosk "lobby-2"`},
	{"unknown kind", func(m *wire.PushMutation, mut map[string]any) { m.Kind, mut["kind"] = "teleport", "teleport" }, `unknown kind "teleport"`},
	{"kind differs", func(m *wire.PushMutation, _ map[string]any) { m.Kind = queue.KindServe }, `payload kind "check_in" differs`},
	{"no visit", func(_ *wire.PushMutation, mut map[string]any) { delete(mut, "visit") }, "a visit change without its visit"},
	{"epoch differs", func(_ *wire.PushMutation, mut map[string]any) { mut["epoch"] = 7 }, "payload epoch 7 differs"},
}

// spoil applies a corruption to a copy of m: fn may change the mutation,
// or the payload decoded as a map, which is then encoded again.
func spoil(tb testing.TB, m wire.PushMutation, fn func(*wire.PushMutation, map[string]any)) wire.PushMutation {
	tb.Helper()
	var mut map[string]any
	if err := json.Unmarshal(m.Payload, &mut); err != nil {
		tb.Fatal(err)
	}
	original := m.Payload
	fn(&m, mut)
	if bytes.Equal(m.Payload, original) {
		raw, err := json.Marshal(mut)
		if err != nil {
			tb.Fatal(err)
		}
		m.Payload = raw
	}
	return m
}

func TestCentralPush(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		k := mustEnrollKiosk(t, c, "north", "lobby-1")
		store := openKioskStore(t, "lobby-1", clk)

		// m[0] opens a desk (no visit), m[1..12] are check-ins, m[13]
		// calls the first visitor.
		kioskApply(t, store, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "ana"})
		for i := range 12 {
			clk.Advance(time.Minute)
			kioskCheckIn(t, store, queue.CheckInForm{Name: fmt.Sprintf("Visitor %02d", i)})
		}
		kioskApply(t, store, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "ana"})
		m := pendingBatch(t, store)
		if len(m) != 14 {
			t.Fatalf("kiosk outbox has %d mutations, want 14", len(m))
		}
		if m[0].Kind != queue.KindDeskOpen || m[1].Kind != queue.KindCheckIn || m[13].Kind != queue.KindCall {
			t.Fatalf("unexpected kinds %s, %s, %s", m[0].Kind, m[1].Kind, m[13].Kind)
		}

		applied, dup, rejected := wire.StatusApplied, wire.StatusDuplicate, wire.StatusRejected
		check := func(step string, got []wire.PushResult, want []string, head int64) {
			t.Helper()
			if s := statusesOf(got); !slices.Equal(s, want) {
				t.Errorf("%s: statuses %v, want %v", step, s, want)
			}
			if h := siteHead(t, c, k); h != head {
				t.Errorf("%s: site version %d, want %d", step, h, head)
			}
		}

		// Every applied visit change is one record write; the desk is none.
		check("first push", mustPush(t, c, k, m[0:4]), repeated(applied, 4), 3)
		check("same batch again", mustPush(t, c, k, m[0:4]), repeated(dup, 4), 3)
		check("overlapping batch", mustPush(t, c, k, m[2:6]), []string{dup, dup, applied, applied}, 5)

		// m[6..13] with corruptions at 7 to 12 between good ones.
		batch := slices.Clone(m[6:14])
		for i, cr := range corruptions {
			batch[1+i] = spoil(t, batch[1+i], cr.spoil)
		}
		wantMixed := []string{applied, rejected, rejected, rejected, rejected, rejected, rejected, applied}
		res := mustPush(t, c, k, batch)
		check("batch with rejects", res, wantMixed, 7)
		reasons := make([]string, len(res))
		for i, r := range res {
			reasons[i] = r.Reason
		}
		for i, cr := range corruptions {
			if r := res[1+i]; !strings.Contains(r.Reason, cr.reason) {
				t.Errorf("%s: reason %q, want it to contain %q", cr.name, r.Reason, cr.reason)
			}
		}
		if res[0].Reason != "" || res[7].Reason != "" {
			t.Errorf("applied mutations carry reasons %q, %q", res[0].Reason, res[7].Reason)
		}

		// A replay of the same corrupt mutations is judged again and
		// refused again, for the same reasons.
		replay := mustPush(t, c, k, batch)
		check("replayed rejects", replay, []string{dup, rejected, rejected, rejected, rejected, rejected, rejected, dup}, 7)
		for i := range replay {
			if replay[i].Reason != reasons[i] {
				t.Errorf("replay %d: reason %q, first answer %q", i, replay[i].Reason, reasons[i])
			}
		}
		// A rejection had no effect, so once what the centre objected to is
		// put right (here: the kiosk sends the genuine mutation), the same
		// name is applied, once.
		check("genuine mutation under a rejected name", mustPush(t, c, k, m[7:8]), []string{applied}, 8)
		check("and again", mustPush(t, c, k, m[7:8]), []string{dup}, 8)

		// The answers survive a restart of the centre; the rest of the
		// rejected names are applied now that they are genuine.
		c.Close()
		c = openTestCentral(t, dsn, clk)
		wantAll := append(repeated(dup, 8), applied, applied, applied, applied, applied, dup)
		check("replay after restart", mustPush(t, c, k, m), wantAll, 13)

		// A different change under a name already applied (a kiosk database
		// restored from a backup) is refused, not taken for a duplicate.
		other := spoil(t, m[3], func(pm *wire.PushMutation, p map[string]any) { p["visit"].(map[string]any)["Name"] = "Someone Else" })
		if res := mustPush(t, c, k, []wire.PushMutation{other}); res[0].Status != rejected || !strings.Contains(res[0].Reason, "different change") {
			t.Errorf("a different change under an applied name: %+v", res[0])
		}

		// A batch that names another kiosk is refused whole.
		_, err := c.Push(ctx, k, wire.PushRequest{Kiosk: "lobby-2", Mutations: m})
		if !errors.Is(err, centre.ErrForbidden) {
			t.Errorf("push naming another kiosk: err = %v, want ErrForbidden", err)
		}

		// The first six visitors reached the centre, the first as called.
		visits, err := c.Records(ctx, "north", queue.EntityVisit)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range visits {
			var sv queue.SiteVisit
			if err := json.Unmarshal(r.Data, &sv); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("lobby-1/%d/%d", m[0].Epoch, sv.Visit.ID); r.Key != want || sv.Kiosk != "lobby-1" {
				t.Errorf("visit record %s from %s, want key %s from lobby-1", r.Key, sv.Kiosk, want)
			}
			names = append(names, fmt.Sprintf("%s %s", sv.Visit.Name, sv.Visit.Status))
		}
		slices.Sort(names)
		want := []string{"Visitor 00 called", "Visitor 01 waiting", "Visitor 02 waiting", "Visitor 03 waiting",
			"Visitor 04 waiting", "Visitor 05 waiting", "Visitor 06 waiting", "Visitor 07 waiting", "Visitor 08 waiting",
			"Visitor 09 waiting", "Visitor 10 waiting", "Visitor 11 waiting"}
		if !slices.Equal(names, want) {
			t.Errorf("visits at the centre:\n got %q\nwant %q", names, want)
		}

		infos, err := c.Kiosks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != 1 || infos[0].LastSeq != m[13].Seq || !infos[0].LastSeen.Equal(clk.Now()) {
			t.Errorf("kiosk info %+v, want last seq %d seen at %v", infos, m[13].Seq, clk.Now())
		}
	})
}

func TestCentralPushReportsBacklogAndSkew(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		k := mustEnrollKiosk(t, c, "north", "lobby-1")
		store := openKioskStore(t, "lobby-1", clk)
		kioskCheckIn(t, store, queue.CheckInForm{Name: "Ana"})
		m := pendingBatch(t, store)
		_, err := c.Push(ctx, k, wire.PushRequest{Kiosk: k.ID, Sent: clk.Now().Add(-90 * time.Second), Backlog: 40, Mutations: m})
		if err != nil {
			t.Fatal(err)
		}
		infos, err := c.Kiosks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != 1 || infos[0].Backlog != 39 || infos[0].Skew != -90*time.Second || infos[0].LastSeq != m[0].Seq {
			t.Errorf("kiosk info %+v, want backlog 39, skew -1m30s, last seq %d", infos, m[0].Seq)
		}
	})
}

func TestCentralPullPagesAndTombstones(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		mustAddSite(t, c, "south")
		k := mustEnrollKiosk(t, c, "north", "lobby-1")
		ks := mustEnrollKiosk(t, c, "south", "lobby-9")

		write := func(site string, ws ...centre.RecordWrite) int64 {
			t.Helper()
			v, err := c.Write(ctx, site, ws)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		host := func(i int, name string) centre.RecordWrite {
			return centre.RecordWrite{Entity: queue.EntityHost, Key: fmt.Sprintf("h%02d", i), Data: queue.Host{Department: "Ward", Name: name}}
		}
		gone := func(i int) centre.RecordWrite {
			return centre.RecordWrite{Entity: queue.EntityHost, Key: fmt.Sprintf("h%02d", i), Delete: true}
		}
		var hosts []centre.RecordWrite
		for i := range 10 {
			hosts = append(hosts, host(i, fmt.Sprintf("Dr %d", i)))
		}
		if v := write("north", hosts...); v != 10 {
			t.Fatalf("version after 10 writes: %d", v)
		}
		write("north", centre.RecordWrite{Entity: queue.EntityPreReg, Key: "AB12-CD34", Data: queue.PreRegistration{Code: "AB12-CD34", Name: "Ana"}})
		write("north", centre.RecordWrite{Entity: queue.EntityPreReg, Key: "EF56-GH78", Data: queue.PreRegistration{Code: "EF56-GH78", Name: "Bo"}})
		write("north", host(3, "Dr Three"))
		clk.Advance(time.Hour)
		if v := write("north", gone(5), gone(7)); v != 15 {
			t.Fatalf("version after deletes: %d, want 15", v)
		}
		if v := write("south", host(0, "South 0"), host(1, "South 1"), host(2, "South 2")); v != 3 {
			t.Fatalf("south version %d, want 3: sites count apart", v)
		}

		all, err := c.Pull(ctx, k, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if all.Snapshot || all.More || all.Cursor != 15 || len(all.Records) != 12 {
			t.Fatalf("pull from 0: snapshot=%v more=%v cursor=%d with %d records; want a full page of 12 to 15",
				all.Snapshot, all.More, all.Cursor, len(all.Records))
		}
		var tombstones []string
		for i, r := range all.Records {
			if i > 0 && r.Version <= all.Records[i-1].Version {
				t.Errorf("record %d: version %d after %d", i, r.Version, all.Records[i-1].Version)
			}
			if r.Deleted {
				tombstones = append(tombstones, fmt.Sprintf("%s@%d", r.Key, r.Version))
				if r.Data != nil {
					t.Errorf("tombstone %s carries data %s", r.Key, r.Data)
				}
			}
			if r.Key == "h03" && (r.Version != 13 || !strings.Contains(string(r.Data), "Dr Three")) {
				t.Errorf("h03 at %d is %s, want the update at 13", r.Version, r.Data)
			}
		}
		if !slices.Equal(tombstones, []string{"h05@14", "h07@15"}) {
			t.Errorf("tombstones %v, want h05@14 and h07@15", tombstones)
		}

		for _, limit := range []int{1, 5, 6, 11, 12, 13} {
			t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
				p := follow(t, c, k, 0, limit)
				var want []int64
				for _, r := range all.Records {
					want = append(want, r.Version)
				}
				if !slices.Equal(p.versions, want) {
					t.Errorf("paged versions %v, want %v", p.versions, want)
				}
				if wantPages := (12 + limit - 1) / limit; len(p.pages) != wantPages {
					t.Errorf("%d pages, want %d", len(p.pages), wantPages)
				}
				for i, page := range p.pages {
					if page.Snapshot || len(page.Records) > limit {
						t.Errorf("page %d: snapshot=%v with %d records", i, page.Snapshot, len(page.Records))
					}
					if page.More && page.Cursor != page.Records[len(page.Records)-1].Version {
						t.Errorf("page %d: cursor %d, last version %d", i, page.Cursor, page.Records[len(page.Records)-1].Version)
					}
				}
				if p.cursor != 15 {
					t.Errorf("final cursor %d, want 15", p.cursor)
				}
			})
		}

		for _, tc := range []struct {
			cursor int64
			want   []int64
		}{
			{15, nil},
			{12, []int64{13, 14, 15}},
			{14, []int64{15}},
		} {
			resp, err := c.Pull(ctx, k, tc.cursor, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range resp.Records {
				got = append(got, r.Version)
			}
			if resp.Snapshot || resp.Cursor != 15 || !slices.Equal(got, tc.want) {
				t.Errorf("pull from %d: snapshot=%v cursor=%d versions %v; want %v to 15", tc.cursor, resp.Snapshot, resp.Cursor, got, tc.want)
			}
		}

		south := follow(t, c, ks, 0, 0)
		if len(south.records) != 3 || south.cursor != 3 || south.records["host/h00"].Version != 1 {
			t.Errorf("south kiosk got %d records to %d: %v", len(south.records), south.cursor, south.records)
		}

		if _, ok, err := c.Record(ctx, "north", queue.EntityHost, "h05"); ok || err != nil {
			t.Errorf("deleted record h05 read back: ok=%v err=%v", ok, err)
		}
		if data, ok, err := c.Record(ctx, "north", queue.EntityHost, "h03"); !ok || err != nil || !strings.Contains(string(data), "Dr Three") {
			t.Errorf("record h03: %s ok=%v err=%v", data, ok, err)
		}
	})
}

func TestCentralCompactSnapshot(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		k := mustEnrollKiosk(t, c, "north", "lobby-1")

		// v1..v8 live hosts, v9..v11 delete three of them an hour later,
		// v12 one more host, and v13 a recent delete that stays.
		var ws []centre.RecordWrite
		for i := range 8 {
			ws = append(ws, centre.RecordWrite{Entity: queue.EntityHost, Key: fmt.Sprintf("h%d", i), Data: queue.Host{Name: fmt.Sprint(i)}})
		}
		if _, err := c.Write(ctx, "north", ws); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		del := func(key string) centre.RecordWrite {
			return centre.RecordWrite{Entity: queue.EntityHost, Key: key, Delete: true}
		}
		if _, err := c.Write(ctx, "north", []centre.RecordWrite{del("h1"), del("h4"), del("h6")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(ctx, "north", []centre.RecordWrite{{Entity: queue.EntityHost, Key: "h8", Data: queue.Host{Name: "8"}}}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		if _, err := c.Write(ctx, "north", []centre.RecordWrite{del("h7")}); err != nil {
			t.Fatal(err)
		}

		// A kiosk that followed up to v2 still holds h1, h4 and h6 later.
		before := follow(t, c, k, 0, 2)
		if len(before.records) != 5 || before.cursor != 13 {
			t.Fatalf("before compaction: %d records to %d, want 5 to 13", len(before.records), before.cursor)
		}

		n, err := c.Compact(ctx, "north", clk.Now().Add(-30*time.Minute))
		if err != nil || n != 3 {
			t.Fatalf("compact: removed %d, %v; want the 3 old tombstones", n, err)
		}
		if n, err := c.Compact(ctx, "north", clk.Now().Add(-30*time.Minute)); err != nil || n != 0 {
			t.Errorf("second compact removed %d, %v; want 0", n, err)
		}

		live, err := c.Records(ctx, "north", queue.EntityHost)
		if err != nil {
			t.Fatal(err)
		}
		wantLive := make(map[string]int64)
		for _, r := range live {
			wantLive[r.Entity+"/"+r.Key] = r.Version
		}
		if len(wantLive) != 5 {
			t.Fatalf("%d live records, want 5: %v", len(wantLive), wantLive)
		}

		for _, tc := range []struct {
			name     string
			cursor   int64
			snapshot bool
		}{
			{"new kiosk", 0, true},
			{"below the floor", 2, true},
			{"just below the floor", 10, true},
			{"at the floor", 11, false},
			{"at the head", 13, false},
			{"ahead of the centre", 99, true},
		} {
			for _, limit := range []int{0, 1, 2, 3} {
				t.Run(fmt.Sprintf("%s limit %d", tc.name, limit), func(t *testing.T) {
					p := follow(t, c, k, tc.cursor, limit)
					if p.pages[0].Snapshot != tc.snapshot {
						t.Errorf("first page snapshot=%v, want %v", p.pages[0].Snapshot, tc.snapshot)
					}
					if p.cursor != 13 {
						t.Errorf("final cursor %d, want the head 13", p.cursor)
					}
					if tc.snapshot {
						for _, page := range p.pages {
							if !page.Snapshot {
								continue // tombstones after the snapshot are fine
							}
							for _, r := range page.Records {
								if r.Deleted {
									t.Errorf("snapshot carries tombstone %s@%d", r.Key, r.Version)
								}
							}
						}
						got := make(map[string]int64)
						for key, r := range p.records {
							got[key] = r.Version
						}
						if fmt.Sprint(got) != fmt.Sprint(wantLive) {
							t.Errorf("after snapshot the kiosk holds %v, want %v", got, wantLive)
						}
					}
					// From where it ended, the next pull is an ordinary empty one.
					next, err := c.Pull(ctx, k, p.cursor, limit)
					if err != nil {
						t.Fatal(err)
					}
					if next.Snapshot || len(next.Records) != 0 || next.Cursor != 13 {
						t.Errorf("pull from the returned cursor: snapshot=%v, %d records, cursor %d",
							next.Snapshot, len(next.Records), next.Cursor)
					}
				})
			}
		}
	})
}

func TestCentralPushedVisitsArePulledBySiteKiosks(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		mustAddSite(t, c, "south")
		k1 := mustEnrollKiosk(t, c, "north", "lobby-1")
		k2 := mustEnrollKiosk(t, c, "north", "lobby-2")
		k9 := mustEnrollKiosk(t, c, "south", "lobby-9")
		s1 := openKioskStore(t, "lobby-1", clk)
		s2 := openKioskStore(t, "lobby-2", clk)

		for _, name := range []string{"Ana", "Bo", "Cy"} {
			kioskCheckIn(t, s1, queue.CheckInForm{Name: name})
		}
		m := pendingBatch(t, s1)
		if got := statusesOf(mustPush(t, c, k1, m)); !slices.Equal(got, repeated(wire.StatusApplied, 3)) {
			t.Fatalf("push: %v", got)
		}

		page, err := c.Pull(ctx, k2, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var tickets []string
		for i, r := range page.Records {
			var sv queue.SiteVisit
			if err := json.Unmarshal(r.Data, &sv); err != nil {
				t.Fatal(err)
			}
			if r.Entity != queue.EntityVisit || r.Version != int64(i+1) || sv.Kiosk != "lobby-1" || sv.HLC != m[i].HLC {
				t.Errorf("record %d: %s %s@%d from %s at %s", i, r.Entity, r.Key, r.Version, sv.Kiosk, sv.HLC)
			}
			tickets = append(tickets, sv.Visit.Ticket+" "+sv.Visit.Name)
		}
		if !slices.Equal(tickets, []string{"R-001 Ana", "R-002 Bo", "R-003 Cy"}) {
			t.Errorf("lobby-2 pulled %q", tickets)
		}
		err = s2.ApplyPull(ctx, queue.PullPage{Snapshot: page.Snapshot, Records: syncer.PageOf(page).Records, Cursor: page.Cursor})
		if err != nil {
			t.Fatal(err)
		}
		held, err := s2.Remote(ctx, queue.EntityVisit)
		if err != nil || len(held) != 3 {
			t.Errorf("lobby-2 holds %d visits, %v; want 3", len(held), err)
		}

		other, err := c.Pull(ctx, k9, 0, 0)
		if err != nil || len(other.Records) != 0 || other.Cursor != 0 {
			t.Errorf("a kiosk of another site pulled %d records to %d, %v; want none", len(other.Records), other.Cursor, err)
		}
	})
}

// TestCentralConcurrentWritesAndPulls checks that a site's versions commit
// in order: a reader following its cursor while many writers commit sees
// every version exactly once.
func TestCentralConcurrentWritesAndPulls(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := openTestCentral(t, dsn, newStoreClock())
		mustAddSite(t, c, "north")
		mustAddSite(t, c, "south")
		k := mustEnrollKiosk(t, c, "north", "lobby-1")

		const writers, rounds = 8, 20
		total := 0
		var wg sync.WaitGroup
		defer wg.Wait() // a failing reader must not leave writers on a closed store
		for w := range writers {
			size := w%3 + 1 // batches of 1 to 3 records
			total += rounds * size
			wg.Go(func() {
				for r := range rounds {
					var ws []centre.RecordWrite
					for i := range size {
						ws = append(ws, centre.RecordWrite{Entity: queue.EntityAnnouncement, Key: fmt.Sprintf("w%d-r%d-%d", w, r, i),
							Data: queue.Announcement{Severity: "info", Text: "x"}})
					}
					if _, err := c.Write(ctx, "north", ws); err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
					// Another site's writes must not show at north.
					if _, err := c.Write(ctx, "south", ws[:1]); err != nil {
						t.Errorf("writer %d at south: %v", w, err)
						return
					}
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()

		seen := make(map[string]int)
		var cursor, last int64
		read := func() {
			resp, err := c.Pull(ctx, k, cursor, 7)
			if err != nil {
				t.Fatalf("pull from %d: %v", cursor, err)
			}
			if resp.Snapshot {
				t.Fatalf("pull from %d is a snapshot", cursor)
			}
			for _, r := range resp.Records {
				if r.Version != last+1 {
					t.Fatalf("after version %d got %d: the reader skipped or repeated", last, r.Version)
				}
				last = r.Version
				seen[r.Key]++
			}
			if resp.Cursor < cursor {
				t.Fatalf("cursor went back from %d to %d", cursor, resp.Cursor)
			}
			cursor = resp.Cursor
		}
		for running := true; running; {
			select {
			case <-done:
				running = false
			default:
			}
			read()
		}
		for range 1000 {
			before := cursor
			read()
			if cursor == before {
				break
			}
		}
		if len(seen) != total || cursor != int64(total) {
			t.Fatalf("reader saw %d records up to %d, want %d", len(seen), cursor, total)
		}
		for key, n := range seen {
			if n != 1 {
				t.Errorf("%s seen %d times", key, n)
			}
		}
	})
}

// TestCentralConcurrentPushesOfOneBatch plays a kiosk that retried while
// its first request was still being served, maybe by another instance.
func TestCentralConcurrentPushesOfOneBatch(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		k := mustEnrollKiosk(t, c, "north", "lobby-1")
		// A second handle on the same database, as a second instance.
		c2 := openTestCentral(t, dsn, clk)
		store := openKioskStore(t, "lobby-1", clk)

		const pushers, rounds, size = 4, 5, 6
		for round := range rounds {
			for i := range size {
				kioskCheckIn(t, store, queue.CheckInForm{Name: fmt.Sprintf("Visitor %d-%d", round, i)})
			}
			batch := pendingBatch(t, store)
			if len(batch) != size {
				t.Fatalf("round %d: batch of %d, want %d", round, len(batch), size)
			}
			results := make([][]wire.PushResult, pushers)
			var wg sync.WaitGroup
			for p := range pushers {
				central := c
				if p%2 == 1 {
					central = c2
				}
				wg.Go(func() {
					resp, err := central.Push(ctx, k, wire.PushRequest{Kiosk: k.ID, Mutations: batch})
					if err != nil {
						t.Errorf("pusher %d: %v", p, err)
						return
					}
					results[p] = resp.Results
				})
			}
			wg.Wait()
			if t.Failed() {
				t.FailNow()
			}
			for i, m := range batch {
				count := map[string]int{}
				for p := range pushers {
					if r := results[p][i]; r.Seq == m.Seq {
						count[r.Status]++
					}
				}
				if count[wire.StatusApplied] != 1 || count[wire.StatusDuplicate] != pushers-1 {
					t.Errorf("round %d, seq %d: answers %v; want applied once and duplicate %d times", round, m.Seq, count, pushers-1)
				}
			}
			var answers []queue.Settlement
			for _, m := range batch {
				answers = append(answers, queue.Settlement{Seq: m.Seq})
			}
			if err := store.SettleOutbox(ctx, answers); err != nil {
				t.Fatal(err)
			}
		}
		visits, err := c.Records(ctx, "north", queue.EntityVisit)
		if err != nil {
			t.Fatal(err)
		}
		if len(visits) != rounds*size {
			t.Errorf("%d visit records, want %d", len(visits), rounds*size)
		}
		if h := siteHead(t, c, k); h != rounds*size {
			t.Errorf("site version %d, want %d: a duplicate wrote again", h, rounds*size)
		}
	})
}

// alertsAt returns the site's alerts by key.
func alertsAt(tb testing.TB, c centretest.Centre, site string) map[string]queue.Alert {
	tb.Helper()
	recs, err := c.Records(context.Background(), site, queue.EntityAlert)
	if err != nil {
		tb.Fatal(err)
	}
	out := make(map[string]queue.Alert)
	for _, r := range recs {
		var a queue.Alert
		if err := json.Unmarshal(r.Data, &a); err != nil {
			tb.Fatalf("alert %s: %v", r.Key, err)
		}
		out[r.Key] = a
	}
	return out
}

func TestCentralDuplicateCheckIns(t *testing.T) {
	for _, tc := range []struct {
		name        string
		first, then string        // names at lobby-1, then at the second kiosk
		gap         time.Duration // between the two check-ins
		sameKiosk   bool          // the second check-in is at lobby-1 too
		otherSite   bool          // the second kiosk is at another site
		reverse     bool          // the later check-in reaches the centre first
		alert       bool
	}{
		{name: "same name, 10 min", first: "José O'Brien", then: "jose  obrien", gap: 10 * time.Minute, alert: true},
		{name: "29 min", first: "Ana Lima", then: "ANA LIMA", gap: 29 * time.Minute, alert: true},
		{name: "pushed in reverse order", first: "Ana Lima", then: "Ana Lima", gap: 5 * time.Minute, reverse: true, alert: true},
		{name: "31 min", first: "Ana Lima", then: "Ana Lima", gap: 31 * time.Minute},
		{name: "two hours", first: "Ana Lima", then: "Ana Lima", gap: 2 * time.Hour},
		{name: "other names", first: "Ana Lima", then: "Ana Lim", gap: time.Minute},
		{name: "same kiosk", first: "Ana Lima", then: "Ana Lima", gap: time.Minute, sameKiosk: true},
		{name: "other site", first: "Ana Lima", then: "Ana Lima", gap: time.Minute, otherSite: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, dsn string) {
				clk := newStoreClock()
				c := openTestCentral(t, dsn, clk)
				mustAddSite(t, c, "north")
				mustAddSite(t, c, "south")
				k1 := mustEnrollKiosk(t, c, "north", "lobby-1")
				s1 := openKioskStore(t, "lobby-1", clk)
				k2, s2 := k1, s1
				if !tc.sameKiosk {
					site := "north"
					if tc.otherSite {
						site = "south"
					}
					k2 = mustEnrollKiosk(t, c, site, "lobby-2")
					s2 = openKioskStore(t, "lobby-2", clk)
				}

				v1 := kioskCheckIn(t, s1, queue.CheckInForm{Name: tc.first})
				b1 := pendingBatch(t, s1)
				clk.Advance(tc.gap)
				v2 := kioskCheckIn(t, s2, queue.CheckInForm{Name: tc.then})
				b2 := pendingBatch(t, s2)
				if tc.sameKiosk {
					b2 = b2[1:]
				}
				if tc.reverse {
					mustPush(t, c, k2, b2)
					mustPush(t, c, k1, b1)
				} else {
					mustPush(t, c, k1, b1)
					mustPush(t, c, k2, b2)
				}
				// Replaying both raises nothing new.
				mustPush(t, c, k1, b1)
				mustPush(t, c, k2, b2)

				alerts := alertsAt(t, c, "north")
				if !tc.alert {
					if len(alerts) != 0 {
						t.Errorf("alerts %v, want none", alerts)
					}
					return
				}
				key1 := fmt.Sprintf("duplicate/lobby-1/%d/%d", b1[0].Epoch, v1.ID)
				key2 := fmt.Sprintf("duplicate/lobby-2/%d/%d", b2[0].Epoch, v2.ID)
				if len(alerts) != 2 {
					t.Fatalf("alerts %v, want %s and %s", alerts, key1, key2)
				}
				for key, want := range map[string]queue.Alert{
					key1: {Kind: queue.AlertDuplicate, Kiosk: "lobby-1", Visit: v1.ID, Ticket: v1.Ticket},
					key2: {Kind: queue.AlertDuplicate, Kiosk: "lobby-2", Visit: v2.ID, Ticket: v2.Ticket},
				} {
					a, ok := alerts[key]
					if !ok {
						t.Errorf("no alert %s among %v", key, alerts)
						continue
					}
					if a.Kind != want.Kind || a.Kiosk != want.Kiosk || a.Visit != want.Visit || a.Ticket != want.Ticket ||
						!strings.Contains(a.Message, "checked in twice") {
						t.Errorf("alert %s = %+v, want %+v", key, a, want)
					}
				}
			})
		})
	}
}

func TestCentralInviteScreening(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		k := mustEnrollKiosk(t, c, "north", "lobby-1")
		store := openKioskStore(t, "lobby-1", clk)

		invite := func(code, name string, cancelled bool) centre.RecordWrite {
			return centre.RecordWrite{Entity: queue.EntityPreReg, Key: code,
				Data: queue.PreRegistration{Code: code, Name: name, Host: "Dr Okafor", Expected: clk.Now(), Cancelled: cancelled}}
		}
		if _, err := c.Write(ctx, "north", []centre.RecordWrite{
			invite("AB12-CD34", "Ana Lima", false), invite("EF56-GH78", "Bo Berg", false), invite("JK90-LM12", "Cy Diaz", false),
		}); err != nil {
			t.Fatal(err)
		}
		page, err := c.Pull(ctx, k, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.ApplyPull(ctx, queue.PullPage{Snapshot: page.Snapshot, Records: syncer.PageOf(page).Records, Cursor: page.Cursor}); err != nil {
			t.Fatal(err)
		}

		// The kiosk goes offline; meanwhile the centre cancels one
		// invitation and forgets another.
		clk.Advance(time.Hour)
		if _, err := c.Write(ctx, "north", []centre.RecordWrite{
			invite("AB12-CD34", "Ana Lima", true),
			{Entity: queue.EntityPreReg, Key: "EF56-GH78", Delete: true},
		}); err != nil {
			t.Fatal(err)
		}

		for _, tc := range []struct {
			code, kind string
		}{
			{"AB12-CD34", queue.AlertPreRegGone},
			{"ef56-gh78", queue.AlertUnknownCode},
			{"JK90-LM12", ""},
		} {
			t.Run(tc.code, func(t *testing.T) {
				v := kioskCheckIn(t, store, queue.CheckInForm{Invite: tc.code})
				batch := pendingBatch(t, store)
				res := mustPush(t, c, k, batch[len(batch)-1:])
				if res[0].Status != wire.StatusApplied {
					t.Fatalf("check-in with invite %s: %+v; the visitor is in the building, it must apply", tc.code, res[0])
				}
				key := fmt.Sprintf("invite/lobby-1/%d/%d", batch[0].Epoch, v.ID)
				a, ok := alertsAt(t, c, "north")[key]
				if tc.kind == "" {
					if ok {
						t.Errorf("alert %+v for a valid invitation", a)
					}
					return
				}
				if !ok || a.Kind != tc.kind || a.Visit != v.ID || a.Kiosk != "lobby-1" || !strings.Contains(a.Message, v.Invite) {
					t.Errorf("alert %s = %+v (found %v), want kind %s for visit %d", key, a, ok, tc.kind, v.ID)
				}
			})
		}
		if n := len(alertsAt(t, c, "north")); n != 2 {
			t.Errorf("%d alerts at the site, want 2", n)
		}
	})
}

func TestCentralWatchListScreening(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		k := mustEnrollKiosk(t, c, "north", "lobby-1")
		store := openKioskStore(t, "lobby-1", clk)

		// Offline, the kiosk's copy of the watch-list is empty.
		boris := kioskCheckIn(t, store, queue.CheckInForm{Name: "Boris Badenov"})
		kioskCheckIn(t, store, queue.CheckInForm{Name: "Natasha Fatale"})
		if open, err := store.Alerts(ctx, true); err != nil || len(open) != 0 {
			t.Fatalf("kiosk alerts before sync: %v, %v", open, err)
		}

		clk.Advance(10 * time.Minute)
		if _, err := c.Write(ctx, "north", []centre.RecordWrite{{Entity: queue.EntityWatch, Key: "w1",
			Data: queue.WatchEntry{Name: "BORIS  badenov", Action: queue.WatchFlag, Note: "Call security."}}}); err != nil {
			t.Fatal(err)
		}
		batch := pendingBatch(t, store)
		if got := statusesOf(mustPush(t, c, k, batch)); !slices.Equal(got, repeated(wire.StatusApplied, 2)) {
			t.Fatalf("push: %v", got)
		}

		alerts := alertsAt(t, c, "north")
		key := fmt.Sprintf("watch/lobby-1/%d/%d", batch[0].Epoch, boris.ID)
		a, ok := alerts[key]
		if len(alerts) != 1 || !ok || a.Kind != queue.AlertWatch || a.Visit != boris.ID || a.Ticket != boris.Ticket ||
			!strings.Contains(a.Message, "Call security.") || !a.At.Equal(clk.Now()) {
			t.Fatalf("alerts %v, want one %s alert %s for %s", alerts, queue.AlertWatch, key, boris.Ticket)
		}

		// The alert reaches the kiosk's staff with the next pull.
		for _, page := range follow(t, c, k, 0, 2).pages {
			if err := store.ApplyPull(ctx, queue.PullPage{Snapshot: page.Snapshot, Records: syncer.PageOf(page).Records, Cursor: page.Cursor}); err != nil {
				t.Fatal(err)
			}
		}
		open, err := store.Alerts(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(open) != 1 || open[0].Kind != queue.AlertWatch || open[0].Visit != boris.ID {
			t.Errorf("kiosk alerts %+v, want the watch alert for visit %d", open, boris.ID)
		}
	})
}

// Two people setting one site's configuration at the same moment get
// versions one after the other, each made from the one before: no two
// writes share a version, and none is lost.
func TestSetSiteConfigAllocatesVersionsOneAtATime(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := openTestCentral(t, dsn, newStoreClock())
		mustAddSite(t, c, "north")
		doc, err := siteconfig.Parse("[[services]]\nid = \"visit\"\nprefix = \"V\"\nname = \"Visit\"\n[[desks]]\nid = \"d1\"\nname = \"D1\"\nservices = [\"visit\"]\n")
		if err != nil {
			t.Fatal(err)
		}
		const writers = 8
		versions := make(chan int64, writers)
		errs := make(chan error, writers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range writers {
			wg.Go(func() {
				<-start
				rec, err := c.SetSiteConfig(ctx, "north", fmt.Sprintf("it-%d", i), func(cur siteconfig.Record, ok bool) (siteconfig.Document, error) {
					d := doc
					d.Desks = []siteconfig.Desk{{ID: "d1", Name: fmt.Sprintf("after %d", cur.Version), Services: []string{"visit"}}}
					return d, nil
				})
				if err != nil {
					errs <- err
					return
				}
				versions <- rec.Version
			})
		}
		close(start)
		wg.Wait()
		close(versions)
		close(errs)
		for err := range errs {
			t.Fatalf("SetSiteConfig: %v", err)
		}
		got := slices.Sorted(func(yield func(int64) bool) {
			for v := range versions {
				if !yield(v) {
					return
				}
			}
		})
		want := []int64{1, 2, 3, 4, 5, 6, 7, 8}
		if !slices.Equal(got, want) {
			t.Fatalf("versions %v, want %v: two writes shared a version", got, want)
		}
		cur, ok, err := c.SiteConfig(ctx, "north")
		if err != nil || !ok || cur.Version != writers || cur.Desks[0].Name != fmt.Sprintf("after %d", writers-1) {
			t.Fatalf("current: %+v, %v, %v; want version %d made from version %d", cur, ok, err, writers, writers-1)
		}
	})
}

// A document the rules refuse stores nothing, and says why.
func TestSetSiteConfigRefusesABadDocument(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := openTestCentral(t, dsn, newStoreClock())
		mustAddSite(t, c, "north")
		_, err := c.SetSiteConfig(ctx, "north", "it", func(siteconfig.Record, bool) (siteconfig.Document, error) {
			return siteconfig.Document{Services: []siteconfig.Service{{ID: "visit", Prefix: "V", Name: "Visit"}},
				Desks: []siteconfig.Desk{{ID: "d1", Name: "D1", Services: []string{"pharmacy"}}}}, nil
		})
		if !errors.Is(err, centre.ErrSiteConfig) || !strings.Contains(err.Error(), `desks[0].services[0]: no service has id "pharmacy"`) {
			t.Fatalf("SetSiteConfig of a bad document: %v", err)
		}
		if _, ok, err := c.SiteConfig(ctx, "north"); ok || err != nil {
			t.Fatalf("after a refused document: ok %v, %v; want nothing stored", ok, err)
		}
		if _, err := c.SetSiteConfig(ctx, "south", "it", nil); !errors.Is(err, centre.ErrNotFound) {
			t.Fatalf("SetSiteConfig for a site that does not exist: %v", err)
		}
	})
}

package centre_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"lobbyline/queue"
	"lobbyline/queue/pinhash"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/wire"
)

// cheapPIN keeps argon2id fast in tests; the race detector makes the
// default take seconds.
var cheapPIN = pinhash.Params{Time: 1, Memory: 8 * 1024, Threads: 1}

var itAlice = centre.Actor{Source: queue.AuditCentre, Name: "alice", OSUser: "alice"}

func openStaffCentre(tb testing.TB, dsn string, clk *storeClock) centretest.Centre {
	tb.Helper()
	return centretest.Open(tb, dsn, clk.Now, centre.Options{PINParams: cheapPIN})
}

// kioskAccount is an account as a kiosk makes it at set-up.
func kioskAccount(tb testing.TB, id, name string, role queue.Role, at time.Time) queue.StaffAccount {
	tb.Helper()
	hash, err := pinhash.HashWith("482913", cheapPIN)
	if err != nil {
		tb.Fatal(err)
	}
	return queue.StaffAccount{ID: id, Name: name, Role: role, PINHash: hash, UpdatedAt: at.UTC(), UpdatedBy: "set-up"}
}

func (o *handOutbox) staff(tb testing.TB, at time.Time, a queue.StaffAccount) wire.PushMutation {
	tb.Helper()
	return o.next(tb, at, queue.Mutation{Kind: queue.KindStaffAccount, Staff: &a})
}

func (o *handOutbox) audit(tb testing.TB, at time.Time, e queue.AuditEntry) wire.PushMutation {
	tb.Helper()
	return o.next(tb, at, queue.Mutation{Kind: queue.KindAudit, Audit: &e})
}

// staffPulled are the staff accounts in what a kiosk pulled, by ID.
func staffPulled(tb testing.TB, p pulled) map[string]queue.StaffAccount {
	tb.Helper()
	out := make(map[string]queue.StaffAccount)
	for _, r := range p.records {
		if r.Entity != queue.EntityStaff {
			continue
		}
		a, err := centre.DecodeStaffRecord(r.Data)
		if err != nil {
			tb.Fatalf("pulled staff record %s: %v", r.Key, err)
		}
		if a.ID != r.Key {
			tb.Fatalf("staff record %s holds account %s", r.Key, a.ID)
		}
		out[a.ID] = a
	}
	return out
}

// kioskAuditLog is a site's audit log without the centre's own entries
// (the kiosks' enrolments, say): what its kiosks sent.
func kioskAuditLog(tb testing.TB, c centretest.Centre, site string) []centre.AuditRow {
	tb.Helper()
	return slices.DeleteFunc(mustAuditLog(tb, c, site), func(r centre.AuditRow) bool { return r.Kiosk == "" })
}

func mustAuditLog(tb testing.TB, c centretest.Centre, site string) []centre.AuditRow {
	tb.Helper()
	rows, err := c.AuditLog(context.Background(), centre.AuditQuery{Site: site})
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

// An account IT adds at the centre reaches every kiosk of the site by
// pull, and a kiosk enrolled later in its enrolment answer; a kiosk of
// another site gets none of it. Each change is in the audit log, by the
// operating-system user.
func TestStaffAccountsMadeAtTheCentreReachTheSitesKiosks(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openStaffCentre(t, dsn, clk)
		mustAddSite(t, c, "north")
		mustAddSite(t, c, "south")
		k1 := mustEnrollKiosk(t, c, "north", "lobby-1")
		k2 := mustEnrollKiosk(t, c, "north", "lobby-2")
		other := mustEnrollKiosk(t, c, "south", "er-1")

		if ok, err := c.HasSupervisor(ctx, "north"); ok || err != nil {
			t.Fatalf("HasSupervisor of a site without accounts: %v, %v", ok, err)
		}
		sup, err := c.AddStaff(ctx, "north", centre.NewStaff{Name: "Maya Ortiz", Role: queue.RoleSupervisor, PIN: "20481632", Badge: " B-7731 "}, itAlice)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second) // the audit log lists entries by time
		rec, err := c.AddStaff(ctx, "north", centre.NewStaff{Name: "Jon Bell", Role: queue.RoleReception, PIN: "551203"}, itAlice)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := c.HasSupervisor(ctx, "north"); !ok || err != nil {
			t.Fatalf("HasSupervisor after adding one: %v, %v", ok, err)
		}
		if ok, _ := pinhash.Verify(sup.PINHash, "20481632"); !ok || sup.BadgeHash != queue.HashBadge("B-7731") || sup.UpdatedBy != "alice (central)" {
			t.Fatalf("the supervisor as stored: %+v", sup)
		}

		for _, k := range []centre.Kiosk{k1, k2} {
			got := staffPulled(t, follow(t, c, k, 0, 0))
			if len(got) != 2 || got[sup.ID].Name != "Maya Ortiz" || got[rec.ID].Role != queue.RoleReception || got[sup.ID].PINHash != sup.PINHash {
				t.Fatalf("%s pulled staff %+v", k.ID, got)
			}
		}
		if got := staffPulled(t, follow(t, c, other, 0, 0)); len(got) != 0 {
			t.Fatalf("a kiosk of another site pulled %+v", got)
		}

		// Disabled at the centre, the account goes to kiosks disabled.
		cursor := siteHead(t, c, k1)
		clk.Advance(time.Second)
		if _, err := c.SetStaffDisabled(ctx, "north", rec.ID, true, itAlice); err != nil {
			t.Fatal(err)
		}
		if _, err := c.SetStaffDisabled(ctx, "north", rec.ID, true, itAlice); !errors.Is(err, centre.ErrStaff) {
			t.Fatalf("disable a disabled account: %v", err)
		}
		if _, err := c.SetStaffPIN(ctx, "north", "st-nobody00", "123456", itAlice); !errors.Is(err, centre.ErrNotFound) {
			t.Fatalf("set the PIN of an account that does not exist: %v", err)
		}
		page := follow(t, c, k1, cursor, 0)
		if got := staffPulled(t, page); len(got) != 1 || !got[rec.ID].Disabled {
			t.Fatalf("after disabling, lobby-1 pulled %+v", got)
		}

		// Refusals: a short PIN, a PIN with letters, a name taken, a badge taken.
		for _, bad := range []centre.NewStaff{
			{Name: "Ana", Role: queue.RoleReception, PIN: "12345"},
			{Name: "Ana", Role: queue.RoleReception, PIN: "12345a"},
			{Name: "maya ortiz", Role: queue.RoleReception, PIN: "123456"},
			{Name: "Ana", Role: queue.RoleReception, PIN: "123456", Badge: "B-7731"},
			{Name: "Ana", Role: "cleaner", PIN: "123456"},
			{Name: "Ana\x1b[2J", Role: queue.RoleReception, PIN: "123456"},
		} {
			if _, err := c.AddStaff(ctx, "north", bad, itAlice); !errors.Is(err, centre.ErrStaff) {
				t.Errorf("add %+v: %v, want a refusal", bad, err)
			}
		}
		// A disabled account's name may be used again.
		clk.Advance(time.Second)
		if _, err := c.AddStaff(ctx, "north", centre.NewStaff{Name: "Jon Bell", Role: queue.RoleReception, PIN: "551203"}, itAlice); err != nil {
			t.Fatalf("a new Jon Bell beside a disabled one: %v", err)
		}

		// Enrolled now, a kiosk gets every account in its answer to
		// POST /v1/enrol, as its client decodes it.
		code, _, err := c.NewEnrolmentCode(ctx, "north", "lobby-3", "", 0, centretest.IT)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(centre.NewServer(c.Service, centre.ServerOptions{}))
		t.Cleanup(srv.Close)
		client, err := syncer.NewClient(srv.URL, "north", "", srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Enrol(ctx, code, "lobby-3")
		if err != nil {
			t.Fatal(err)
		}
		byKey := map[string]queue.StaffAccount{}
		for _, r := range resp.Staff {
			a, err := centre.DecodeStaffRecord(r.Data)
			if err != nil || r.Entity != queue.EntityStaff || r.Key != a.ID || r.Version == 0 {
				t.Fatalf("enrolment's staff record %+v: %v", r, err)
			}
			byKey[a.ID] = a
		}
		if len(byKey) != 3 || byKey[sup.ID].BadgeHash != sup.BadgeHash || !byKey[rec.ID].Disabled {
			t.Fatalf("the enrolment answer's staff: %+v", byKey)
		}

		log := mustAuditLog(t, c, "north")
		var actions []string
		for _, r := range log {
			e := r.Entry
			if e.Action == centre.ActionEnrol || e.Action == centre.ActionEnrolCode {
				continue // the kiosks' enrolments, by centretest.IT: see enrol_test.go
			}
			if e.Source != queue.AuditCentre || e.Name != "alice" || e.OSUser != "alice" || r.Kiosk != "" || r.Epoch != 0 {
				t.Errorf("centre audit entry %+v", r)
			}
			if strings.Contains(e.Detail, "$argon2id$") {
				t.Errorf("an audit entry holds a PIN hash: %+v", e)
			}
			actions = append(actions, e.Action)
		}
		want := []string{centre.ActionStaffAdd, centre.ActionStaffAdd, centre.ActionStaffDisable, centre.ActionStaffAdd}
		if !slices.Equal(actions, want) {
			t.Fatalf("audit actions %v, want %v", actions, want)
		}
		if log := mustAuditLog(t, c, "south"); len(log) != 1 || log[0].Entry.Detail != "kiosk er-1" {
			t.Fatalf("south's audit log: %+v, want er-1's enrolment alone", log)
		}
	})
}

// A kiosk's account (its first supervisor, made at set-up) is stored if
// the centre has none of that ID or an older one; an older copy never
// overwrites a newer, whichever arrives last; at the same time the larger
// hash wins everywhere; a malformed one is refused with its reason.
func TestKioskMadeStaffAccountsLastChangeWins(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openStaffCentre(t, dsn, clk)
		mustAddSite(t, c, "north")
		k1 := mustEnrollKiosk(t, c, "north", "lobby-1")
		k2 := mustEnrollKiosk(t, c, "north", "lobby-2")
		o1 := &handOutbox{kiosk: "lobby-1", epoch: 1}
		o2 := &handOutbox{kiosk: "lobby-2", epoch: 1}
		t0 := clk.Now()

		first := kioskAccount(t, "st-firstsup", "Rosa Diaz", queue.RoleSupervisor, t0)
		res := mustPush(t, c, k1, []wire.PushMutation{o1.staff(t, t0, first)})
		if res[0].Status != wire.StatusApplied {
			t.Fatalf("the first supervisor: %+v", res)
		}
		if got := staffPulled(t, follow(t, c, k2, 0, 0)); got["st-firstsup"].PINHash != first.PINHash {
			t.Fatalf("lobby-2 pulled %+v", got)
		}
		if ok, _ := c.HasSupervisor(ctx, "north"); !ok {
			t.Fatal("the site has no supervisor after a kiosk sent one")
		}

		// lobby-2 renamed it later; lobby-1's older rename arrives after.
		newer := first
		newer.Name, newer.UpdatedAt = "Rosa Díaz", t0.Add(10*time.Minute)
		older := first
		older.Name, older.UpdatedAt = "R. Diaz", t0.Add(5*time.Minute)
		mustPush(t, c, k2, []wire.PushMutation{o2.staff(t, t0.Add(10*time.Minute), newer)})
		res = mustPush(t, c, k1, []wire.PushMutation{o1.staff(t, t0.Add(5*time.Minute), older)})
		if res[0].Status != wire.StatusApplied {
			t.Fatalf("an older copy is answered %+v; it is accepted, and changes nothing", res)
		}
		if got := staffPulled(t, follow(t, c, k1, 0, 0)); got["st-firstsup"].Name != "Rosa Díaz" {
			t.Fatalf("after an older copy, the account is %+v", got["st-firstsup"])
		}

		// Two changes at the same instant: the same one wins whichever
		// comes first.
		tieA, tieB := kioskAccount(t, "st-tiedtie", "Tie", queue.RoleReception, t0), kioskAccount(t, "st-tiedtie", "Tie", queue.RoleReception, t0)
		winner, loser := tieA, tieB
		if tieB.Newer(tieA) {
			winner, loser = tieB, tieA
		}
		if loser.Newer(winner) {
			t.Fatal("each of two changes at one instant is newer than the other")
		}
		mustPush(t, c, k1, []wire.PushMutation{o1.staff(t, t0, winner), o1.staff(t, t0, loser)})
		if got := staffPulled(t, follow(t, c, k1, 0, 0)); got["st-tiedtie"].PINHash != winner.PINHash {
			t.Fatal("of two changes at one instant, the one with the smaller hash won")
		}

		// IT disables it at the centre: that change is dated after the
		// stored one, even if lobby-2's clock ran ahead of the centre's.
		ahead := newer
		ahead.UpdatedAt = clk.Now().Add(time.Hour)
		mustPush(t, c, k2, []wire.PushMutation{o2.staff(t, clk.Now(), ahead)})
		disabled, err := c.SetStaffDisabled(ctx, "north", "st-firstsup", true, itAlice)
		if err != nil {
			t.Fatal(err)
		}
		if !disabled.UpdatedAt.After(ahead.UpdatedAt) {
			t.Fatalf("the centre's change is dated %v, not after the stored %v", disabled.UpdatedAt, ahead.UpdatedAt)
		}
		if !disabled.Newer(ahead) {
			t.Fatal("a kiosk would not take the centre's change over its own")
		}

		// Malformed ones are refused, each with its reason.
		noHash := first
		noHash.ID, noHash.PINHash = "st-nohash00", "482913"
		badRole := first
		badRole.ID, badRole.Role = "st-badrole0", "admin"
		future := first
		future.ID, future.UpdatedAt = "st-future00", clk.Now().Add(centre.StaffClockSlack+time.Hour)
		badID := first
		badID.ID = "supervisor"
		batch := []wire.PushMutation{
			o1.staff(t, t0, noHash), o1.staff(t, t0, badRole), o1.staff(t, t0, future), o1.staff(t, t0, badID),
			o1.next(t, t0, queue.Mutation{Kind: queue.KindStaffAccount}),
		}
		res = mustPush(t, c, k1, batch)
		for i, want := range []string{"not stored as an argon2id hash", "role is reception or supervisor", "ahead of the centre's clock", "id is st-", "without its account"} {
			if res[i].Status != wire.StatusRejected || !strings.Contains(res[i].Reason, want) {
				t.Errorf("malformed %d: %+v, want rejected with %q", i, res[i], want)
			}
		}
		for _, id := range []string{"st-nohash00", "st-badrole0", "st-future00"} {
			if _, ok, _ := c.Record(ctx, "north", queue.EntityStaff, id); ok {
				t.Errorf("refused account %s was stored", id)
			}
		}
	})
}

// Audit entries a kiosk sends are stored once however often they come,
// and only its own.
func TestKioskAuditEntriesAreStoredOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		clk := newStoreClock()
		c := openStaffCentre(t, dsn, clk)
		mustAddSite(t, c, "north")
		k1 := mustEnrollKiosk(t, c, "north", "lobby-1")
		o := &handOutbox{kiosk: "lobby-1", epoch: 2}
		at := clk.Now()
		entry := queue.AuditEntry{At: at, Kiosk: "lobby-1", Source: queue.AuditTouch, Account: "st-firstsup", Name: "Rosa Díaz",
			Role: queue.RoleSupervisor, Action: "call", Ticket: "R-004", Detail: "desk-1"}
		cli := queue.AuditEntry{At: at, Kiosk: "lobby-1", Source: queue.AuditCLI, Name: "pat", OSUser: "pat", Action: "expected_back", Ticket: "R-002",
			Detail: "Back at 11:00.\nCall 4410." + strings.Repeat(" and more", 100)}
		batch := []wire.PushMutation{o.audit(t, at, entry), o.audit(t, at, cli)}
		if got := statusesOf(mustPush(t, c, k1, batch)); !slices.Equal(got, repeated(wire.StatusApplied, 2)) {
			t.Fatalf("statuses %v", got)
		}
		// The same batch again, as after a lost answer.
		if got := statusesOf(mustPush(t, c, k1, batch)); !slices.Equal(got, repeated(wire.StatusDuplicate, 2)) {
			t.Fatalf("replay: statuses %v", got)
		}
		log := kioskAuditLog(t, c, "north")
		if len(log) != 2 {
			t.Fatalf("%d audit entries after a replay, want 2: %+v", len(log), log)
		}
		got := log[0]
		if got.Kiosk != "lobby-1" || got.Epoch != 2 || got.Seq != 1 || got.Entry.Name != "Rosa Díaz" || got.Entry.Ticket != "R-004" ||
			got.Entry.Role != queue.RoleSupervisor || !got.Entry.At.Equal(at) || got.Entry.Account != "st-firstsup" || !got.Received.Equal(at) {
			t.Fatalf("stored entry %+v", got)
		}

		// A note with a line break, too long to keep whole, is kept tidied
		// rather than refused.
		if d := log[1].Entry.Detail; !strings.HasPrefix(d, "Back at 11:00. Call 4410. and more") || utf8.RuneCountInString(d) != 500 || !strings.HasSuffix(d, "…") {
			t.Errorf("the long note is stored as %q", d)
		}

		// Another kiosk's entry, or the centre's, from this kiosk: refused.
		forged := entry
		forged.Kiosk = "lobby-2"
		centreSide := entry
		centreSide.Source = queue.AuditCentre
		nameless := entry
		nameless.Name = " "
		badAction := entry
		badAction.Action = "DROP TABLE"
		res := mustPush(t, c, k1, []wire.PushMutation{o.audit(t, at, forged), o.audit(t, at, centreSide), o.audit(t, at, nameless),
			o.audit(t, at, badAction), o.next(t, at, queue.Mutation{Kind: queue.KindAudit})})
		for i, want := range []string{`names kiosk "lobby-2", not "lobby-1"`, "is not a kiosk's", "names nobody", "action", "without its entry"} {
			if res[i].Status != wire.StatusRejected || !strings.Contains(res[i].Reason, want) {
				t.Errorf("bad entry %d: %+v, want rejected with %q", i, res[i], want)
			}
		}
		if n := len(kioskAuditLog(t, c, "north")); n != 2 {
			t.Fatalf("%d audit entries after refusals, want 2", n)
		}
	})
}

// The daily purge deletes audit entries received more than a year ago
// and keeps the rest.
func TestPurgeDeletesOldAuditEntries(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openStaffCentre(t, dsn, clk)
		mustAddSite(t, c, "north")
		k := mustEnrollKiosk(t, c, "north", "lobby-1")
		o := &handOutbox{kiosk: "lobby-1", epoch: 1}
		old := queue.AuditEntry{At: clk.Now(), Kiosk: "lobby-1", Source: queue.AuditTouch, Name: "Rosa", Action: "sign_in"}
		first := o.audit(t, clk.Now(), old)
		mustPush(t, c, k, []wire.PushMutation{first}) // beside the centre's own entry of the enrolment
		clk.Advance(200 * 24 * time.Hour)
		recent := old
		recent.At = clk.Now()
		mustPush(t, c, k, []wire.PushMutation{o.audit(t, clk.Now(), recent)})

		clk.Advance(centre.AuditRetention - 200*24*time.Hour - time.Minute)
		p, err := c.PurgeSite(ctx, "north")
		if err != nil || p.Audit != 0 {
			t.Fatalf("purge a day short of a year: %+v, %v", p, err)
		}
		clk.Advance(2 * time.Minute)
		p, err = c.PurgeSite(ctx, "north")
		if err != nil || p.Audit != 2 {
			t.Fatalf("purge after a year: %+v, %v; want 2 entries deleted", p, err)
		}
		log := mustAuditLog(t, c, "north")
		if len(log) != 1 || !log[0].Entry.At.Equal(recent.At) {
			t.Fatalf("after the purge: %+v, want the recent entry only", log)
		}
		// A replay of the purged entry's change is still a duplicate, and
		// does not bring it back.
		if res := mustPush(t, c, k, []wire.PushMutation{first}); res[0].Status != wire.StatusDuplicate {
			t.Fatalf("a replay of a purged entry's change: %+v, want duplicate", res)
		}
		if n := len(mustAuditLog(t, c, "north")); n != 1 {
			t.Fatalf("%d entries after a replay of a purged one, want 1", n)
		}
	})
}

func mustMarshal(tb testing.TB, v any) []byte {
	tb.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// FuzzDecodeStaffRecord: whatever the bytes, the decoder returns an
// account that passes Validate, or an error.
func FuzzDecodeStaffRecord(f *testing.F) {
	good := kioskAccount(f, "st-firstsup", "Rosa Díaz", queue.RoleSupervisor, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	f.Add(mustMarshal(f, good))
	good.BadgeHash = queue.HashBadge("B-1")
	f.Add(mustMarshal(f, good))
	f.Add([]byte(`{"id":"st-x","role":"reception"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := centre.DecodeStaffRecord(data)
		if err != nil {
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("decoded an account that fails Validate: %+v: %v", a, err)
		}
	})
}

// FuzzCentralPushStaffAndAudit pushes staff and audit payloads: whatever
// the bytes, the centre answers, stores an audit entry exactly when it
// applies one, and stores only accounts that pass Validate.
func FuzzCentralPushStaffAndAudit(f *testing.F) {
	clk := newStoreClock()
	c := openStaffCentre(f, filepath.Join(f.TempDir(), "central.db"), clk)
	mustAddSite(f, c, "north")
	k := mustEnrollKiosk(f, c, "north", "lobby-1")
	o := &handOutbox{kiosk: "lobby-1", epoch: 7}
	f.Add(true, []byte(o.staff(f, clk.Now(), kioskAccount(f, "st-firstsup", "Rosa", queue.RoleSupervisor, clk.Now())).Payload))
	f.Add(false, []byte(o.audit(f, clk.Now(), queue.AuditEntry{At: clk.Now(), Kiosk: "lobby-1", Source: queue.AuditTouch, Name: "Rosa", Action: "call", Ticket: "R-1"}).Payload))
	f.Add(false, []byte(`{"kind":"audit","kiosk":"lobby-1","epoch":7,"audit":{"kiosk":"lobby-2"}}`))
	f.Add(true, []byte(`{"kind":"staff_account","kiosk":"lobby-1","epoch":7,"staff":{"id":"st-aaaaaa"}}`))
	f.Fuzz(func(t *testing.T, staff bool, payload []byte) {
		kind := queue.KindAudit
		if staff {
			kind = queue.KindStaffAccount
		}
		before := len(mustAuditLog(t, c, "north"))
		o.seq++
		m := wire.PushMutation{Epoch: o.epoch, Seq: o.seq, Kind: kind, At: clk.Now(), HLC: "000000000000001.000000", Payload: payload}
		res := mustPush(t, c, k, []wire.PushMutation{m})[0]
		after := len(mustAuditLog(t, c, "north"))
		switch res.Status {
		case wire.StatusRejected:
			if res.Reason == "" {
				t.Fatal("rejected without a reason")
			}
			if after != before {
				t.Fatal("a refused change added an audit entry")
			}
		case wire.StatusApplied:
			if !staff && after != before+1 {
				t.Fatalf("applied audit %s, but the log went from %d to %d entries", payload, before, after)
			}
		default:
			t.Fatalf("answer %+v to a new name", res)
		}
		if _, err := c.StaffAccounts(context.Background(), "north"); err != nil {
			t.Fatalf("the site's accounts no longer read: %v", err)
		}
	})
}

// The centre's log keeps no second copy of a staff account's PIN or
// badge hash: the account's record holds them for the kiosks, and the
// logged change keeps the rest, while a replay is still answered
// duplicate by the payload's hash.
func TestLoggedStaffChangeKeepsNoPINHash(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		clk := newStoreClock()
		c := openStaffCentre(t, dsn, clk)
		mustAddSite(t, c, "north")
		k := mustEnrollKiosk(t, c, "north", "lobby-1")
		o := &handOutbox{kiosk: "lobby-1", epoch: 1}
		a := kioskAccount(t, "st-firstsup", "Rosa Diaz", queue.RoleSupervisor, clk.Now())
		a.BadgeHash = strings.Repeat("ab", 32)
		m := o.staff(t, clk.Now(), a)
		if res := mustPush(t, c, k, []wire.PushMutation{m}); res[0].Status != wire.StatusApplied {
			t.Fatalf("push: %+v", res)
		}
		var payload string
		if err := c.DB().QueryRow("SELECT payload FROM mutations WHERE kind = 'staff_account'").Scan(&payload); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(payload, a.PINHash) || strings.Contains(payload, a.BadgeHash) || !strings.Contains(payload, "Rosa Diaz") {
			t.Fatalf("the logged change: %s", payload)
		}
		if got := staffPulled(t, follow(t, c, k, 0, 0)); got[a.ID].PINHash != a.PINHash {
			t.Fatalf("the account's record lost its hash: %+v", got[a.ID])
		}
		if res := mustPush(t, c, k, []wire.PushMutation{m}); res[0].Status != wire.StatusDuplicate {
			t.Fatalf("a replay: %+v, want duplicate", res)
		}
	})
}

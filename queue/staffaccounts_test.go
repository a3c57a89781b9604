package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/pinhash"
)

// cheapPIN hashes with a cost tests can afford many times; sign-in reads
// the parameters from the hash.
var cheapPIN = pinhash.Params{Time: 1, Memory: 8 * 1024, Threads: 1}

func account(t testing.TB, id, name string, role queue.Role, pin string, at time.Time) queue.StaffAccount {
	t.Helper()
	h, err := pinhash.HashWith(pin, cheapPIN)
	if err != nil {
		t.Fatal(err)
	}
	return queue.StaffAccount{ID: id, Name: name, Role: role, PINHash: h, UpdatedAt: at}
}

func staffRecord(t testing.TB, a queue.StaffAccount, version int64) queue.RemoteRecord {
	t.Helper()
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return queue.RemoteRecord{Entity: queue.EntityStaff, Key: a.ID, Version: version, Data: data}
}

func pullStaff(t testing.TB, s *queue.Store, cursor int64, snapshot bool, accounts ...queue.StaffAccount) {
	t.Helper()
	page := queue.PullPage{Cursor: cursor, Snapshot: snapshot}
	for i, a := range accounts {
		page.Records = append(page.Records, staffRecord(t, a, cursor-int64(len(accounts)-1-i)))
	}
	if err := s.ApplyPull(context.Background(), page); err != nil {
		t.Fatal(err)
	}
}

func auditActions(t testing.TB, s *queue.Store) []string {
	t.Helper()
	log, err := s.AuditLog(context.Background(), time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range log {
		out = append(out, e.Name+" "+e.Action+" "+e.Ticket)
	}
	return out
}

func TestSignInLocksOneAccount(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s := mustOpenStore(t, path, c)
	ana := account(t, "st-ana00001", "Ana", queue.RoleReception, "135790", c.Now())
	ben := account(t, "st-ben00001", "Ben", queue.RoleSupervisor, "246813", c.Now())
	pullStaff(t, s, 2, false, ana, ben)

	if got, err := s.SignIn(ctx, ana.ID, "135790"); err != nil || got.Name != "Ana" {
		t.Fatalf("right PIN: %v, %v", got.Name, err)
	}
	for i := 1; i < queue.MaxPINFailures; i++ {
		if code := queue.ErrorCode(signInErr(s, ana.ID, "000000")); code != queue.EInvalid {
			t.Fatalf("wrong try %d: %s", i, code)
		}
	}
	var qe *queue.Error
	if err := signInErr(s, ana.ID, "000000"); !errors.As(err, &qe) || qe.Code != queue.ELocked || !qe.Until.Equal(c.Now().Add(queue.PINLockout)) {
		t.Fatalf("fifth wrong try: %v", err)
	}
	// Ana's lock is hers: Ben signs in.
	if _, err := s.SignIn(ctx, ben.ID, "246813"); err != nil {
		t.Fatalf("Ben while Ana is locked: %v", err)
	}
	// Locked: even the right PIN is refused, also after a restart.
	s.Close()
	s = mustOpenStore(t, path, c)
	if code := queue.ErrorCode(signInErr(s, ana.ID, "135790")); code != queue.ELocked {
		t.Fatalf("right PIN while locked: %s", code)
	}
	// The next wrong try after the lock doubles it.
	c.Advance(queue.PINLockout)
	if err := signInErr(s, ana.ID, "111111"); !errors.As(err, &qe) || qe.Code != queue.ELocked || !qe.Until.Equal(c.Now().Add(2*queue.PINLockout)) {
		t.Fatalf("sixth wrong try: %v", err)
	}
	c.Advance(2 * queue.PINLockout)
	if err := signInErr(s, ana.ID, "135790"); err != nil {
		t.Fatalf("right PIN after the lock: %v", err)
	}
	if code := queue.ErrorCode(signInErr(s, ana.ID, "000000")); code != queue.EInvalid {
		t.Fatalf("a wrong try after success counts from one again: %s", code)
	}
	got := strings.Join(auditActions(t, s), "\n")
	for _, want := range []string{"Ana sign_in", "Ana sign_in_failed", "Ana locked", "Ben sign_in"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit log lacks %q:\n%s", want, got)
		}
	}
	// A disabled account does not sign in.
	ben.Disabled, ben.UpdatedAt = true, c.Now()
	pullStaff(t, s, 3, false, ben)
	if code := queue.ErrorCode(signInErr(s, ben.ID, "246813")); code != queue.ENotFound {
		t.Fatalf("disabled account: %s", code)
	}
}

func signInErr(s *queue.Store, id, pin string) error {
	_, err := s.SignIn(context.Background(), id, pin)
	return err
}

// Every staff change is named by the signed-in account and audited, in
// the same transaction, and travels to the centre; a visitor's own
// check-in is not a staff action.
func TestStaffActionsAudited(t *testing.T) {
	c := newClock()
	s := mustOpenStore(t, "", c)
	ana := account(t, "st-ana00001", "Ana Reyes", queue.RoleReception, "135790", c.Now())
	pullStaff(t, s, 1, false, ana)
	signed, err := s.SignIn(context.Background(), ana.ID, "135790")
	if err != nil {
		t.Fatal(err)
	}
	ctx := queue.WithActor(context.Background(), queue.AccountActor(signed))

	tk := mustCheckIn(t, s, "Jane Visitor", "registration")
	for _, cmd := range []queue.Command{
		{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: signed.Name},
		{Action: queue.ActCallNext, Desk: "desk-1", Staff: signed.Name},
		{Action: queue.ActServe, Desk: "desk-1", Visit: tk.Visit.ID, Staff: signed.Name},
	} {
		if _, err := s.Apply(ctx, cmd); err != nil {
			t.Fatalf("%s: %v", cmd.Action, err)
		}
	}
	if _, err := s.CheckOutVisit(ctx, tk.Visit.ID, signed.Name, queue.ProofStaff); err != nil {
		t.Fatal(err)
	}
	if err := s.Audit(ctx, "sign_out", "", ""); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Ana Reyes sign_in ", "Ana Reyes desk_open ", "Ana Reyes call " + tk.Visit.Ticket, "Ana Reyes serve " + tk.Visit.Ticket,
		"Ana Reyes check_out " + tk.Visit.Ticket, "Ana Reyes sign_out ",
	}
	if got := auditActions(t, s); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := s.Audit(context.Background(), "sign_out", "", ""); err == nil {
		t.Error("an audit entry without an actor was taken")
	}

	out, err := s.PendingOutbox(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var audits int
	for _, o := range out {
		var m queue.Mutation
		if err := json.Unmarshal(o.Payload, &m); err != nil {
			t.Fatal(err)
		}
		if o.Kind != queue.KindAudit {
			continue
		}
		audits++
		if m.Audit == nil || m.Audit.Kiosk != "lobby-1" || m.Audit.Account != ana.ID || m.Audit.Role != queue.RoleReception || m.Audit.Source != queue.AuditTouch {
			t.Errorf("audit mutation %+v", m.Audit)
		}
		if strings.Contains(string(o.Payload), "Jane") {
			t.Errorf("an audit entry names the visitor: %s", o.Payload)
		}
	}
	if audits != len(want) {
		t.Errorf("%d audit mutations in the outbox, want %d", audits, len(want))
	}
}

func TestStaffAccountsFromCentre(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	old := account(t, "st-ana00001", "Ana", queue.RoleReception, "135790", c.Now())
	newer := old
	newer.Name, newer.Role, newer.UpdatedAt = "Ana Reyes", queue.RoleSupervisor, c.Now().Add(time.Minute)
	pullStaff(t, s, 1, false, newer)
	pullStaff(t, s, 2, false, old) // a late, older copy changes nothing
	got, err := s.StaffAccount(ctx, old.ID)
	if err != nil || got.Name != "Ana Reyes" || got.Role != queue.RoleSupervisor {
		t.Fatalf("account after an older copy: %+v, %v", got, err)
	}
	// One that cannot be read is skipped, and sync goes on.
	bad := queue.RemoteRecord{Entity: queue.EntityStaff, Key: "st-bad00001", Version: 3, Data: json.RawMessage(`{"id":"st-bad00001","name":"X","role":"admin"}`)}
	if err := s.ApplyPull(ctx, queue.PullPage{Cursor: 3, Records: []queue.RemoteRecord{bad}}); err != nil {
		t.Fatal(err)
	}
	// A snapshot keeps the accounts: they are never deleted, only disabled.
	if err := s.ApplyPull(ctx, queue.PullPage{Cursor: 4, Snapshot: true}); err != nil {
		t.Fatal(err)
	}
	all, err := s.StaffAccounts(ctx, true)
	if err != nil || len(all) != 1 || all[0].ID != old.ID {
		t.Fatalf("accounts: %+v, %v", all, err)
	}
	if has, _ := s.HasSupervisor(ctx); !has {
		t.Error("no supervisor after Ana became one")
	}
	// The accounts are kept once, as accounts, not also as pulled records.
	if recs, _ := s.Remote(ctx, queue.EntityStaff); len(recs) != 0 {
		t.Errorf("%d staff records kept beside the accounts", len(recs))
	}
}

func TestDemoStaffOnlyInDemo(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s := mustOpenStore(t, path, c)
	if err := s.SetDemoStaff(ctx, true); err != nil {
		t.Fatal(err)
	}
	accounts, err := s.StaffAccounts(ctx, false)
	if err != nil || len(accounts) != 2 {
		t.Fatalf("demo accounts: %+v, %v", accounts, err)
	}
	for _, a := range accounts {
		if _, err := s.SignIn(ctx, a.ID, queue.DemoPIN); err != nil {
			t.Fatalf("%s with the demo PIN: %v", a.Name, err)
		}
	}
	// Started for real: the sample PIN signs nobody in.
	if err := s.SetDemoStaff(ctx, false); err != nil {
		t.Fatal(err)
	}
	if has, _ := s.HasSupervisor(ctx); has {
		t.Error("the demo supervisor counts outside demo mode")
	}
	for _, a := range accounts {
		if code := queue.ErrorCode(signInErr(s, a.ID, queue.DemoPIN)); code != queue.ENotFound {
			t.Errorf("%s outside demo: %s", a.Name, code)
		}
	}
	// Demo accounts never travel to the centre.
	out, _ := s.PendingOutbox(ctx, 100)
	for _, o := range out {
		if o.Kind == queue.KindStaffAccount {
			t.Errorf("a demo account is in the outbox: %s", o.Payload)
		}
	}
	if _, err := queue.NewStaffAccount("Eve", queue.RoleSupervisor, queue.DemoPIN, "", c.Now(), "test"); queue.ErrorCode(err) != queue.EInvalid {
		t.Errorf("an account with the demo PIN: %v", err)
	}
}

func TestSetupPINMakesTheFirstSupervisor(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	hash, err := queue.HashPIN("2580")
	if err != nil {
		t.Fatal(err)
	}
	if code := queue.ErrorCode(s.CheckSetupPIN(ctx, hash, "1111")); code != queue.EInvalid {
		t.Fatalf("wrong set-up PIN: %s", code)
	}
	if err := s.CheckSetupPIN(ctx, hash, "2580"); err != nil {
		t.Fatalf("set-up PIN: %v", err)
	}
	first, err := queue.NewStaffAccount("Carmen Ortiz", queue.RoleSupervisor, "20261205", "BADGE-0042", c.Now(), "set-up PIN")
	if err != nil {
		t.Fatal(err)
	}
	sctx := queue.WithActor(ctx, queue.Actor{Name: "set-up PIN", Source: queue.AuditTouch})
	if err := s.SaveStaffAccount(sctx, first); err != nil {
		t.Fatal(err)
	}
	// Once a supervisor exists, the set-up PIN does nothing.
	if code := queue.ErrorCode(s.CheckSetupPIN(ctx, hash, "2580")); code != queue.ENotFound {
		t.Fatalf("set-up PIN with a supervisor: %s", code)
	}
	if a, err := s.AccountByBadge(ctx, " BADGE-0042\n"); err != nil || a.ID != first.ID {
		t.Fatalf("by badge: %+v, %v", a, err)
	}
	if _, err := s.AccountByBadge(ctx, "BADGE-0043"); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("unknown badge: %v", err)
	}
	// It travels to the centre, and an older change of it is refused.
	out, _ := s.PendingOutbox(ctx, 100)
	var sent bool
	for _, o := range out {
		var m queue.Mutation
		if o.Kind == queue.KindStaffAccount && json.Unmarshal(o.Payload, &m) == nil && m.Staff != nil && m.Staff.ID == first.ID {
			sent = true
		}
	}
	if !sent {
		t.Error("the first supervisor is not in the outbox")
	}
	stale := first
	stale.UpdatedAt = first.UpdatedAt.Add(-time.Minute)
	if code := queue.ErrorCode(s.SaveStaffAccount(sctx, stale)); code != queue.EConflict {
		t.Errorf("an older change: %s", code)
	}
}

func TestStaffAccountRules(t *testing.T) {
	now := newClock().Now()
	for name, tc := range map[string]struct {
		name, pin, badge string
		role             queue.Role
	}{
		"short PIN":   {"Ana", "12345", "", queue.RoleReception},
		"letters":     {"Ana", "12345a", "", queue.RoleReception},
		"no name":     {"  ", "135790", "", queue.RoleReception},
		"hidden rune": {"Ana\u202e", "135790", "", queue.RoleReception},
		"role":        {"Ana", "135790", "", "admin"},
		"badge short": {"Ana", "135790", "ab", queue.RoleReception},
		"badge space": {"Ana", "135790", "ab cd", queue.RoleReception},
	} {
		if _, err := queue.NewStaffAccount(tc.name, tc.role, tc.pin, tc.badge, now, "test"); queue.ErrorCode(err) != queue.EInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The kiosk keeps its audit log for AuditRetention, whatever the
// visitors' retention.
func TestPurgeKeepsTheAuditLogAYear(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	actx := queue.WithActor(ctx, queue.CommandLineActor(queue.AuditCLI))
	if err := s.Audit(actx, "backup", "", "old"); err != nil {
		t.Fatal(err)
	}
	c.Advance(300 * 24 * time.Hour)
	if err := s.Audit(actx, "backup", "", "newer"); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Purge(ctx, c.Now().Add(-30*24*time.Hour)); err != nil || p.Audit != 0 {
		t.Fatalf("purge at 300 days: %+v, %v", p, err)
	}
	c.Advance(100 * 24 * time.Hour)
	if p, err := s.Purge(ctx, c.Now().Add(-30*24*time.Hour)); err != nil || p.Audit != 1 {
		t.Fatalf("purge at 400 days: %+v, %v", p, err)
	}
	log, _ := s.AuditLog(ctx, time.Time{}, time.Time{})
	if len(log) != 1 || log[0].Detail != "newer" {
		t.Fatalf("audit log after the purge: %+v", log)
	}
}

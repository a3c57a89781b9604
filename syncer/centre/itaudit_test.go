package centre_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centredb"
	"lobbyline/syncer/centre/centretest"
)

// auditedBy are the entries of a site's audit log that by made with
// action.
func auditedBy(tb testing.TB, c centretest.Centre, site string, by centre.Actor, action string) []queue.AuditEntry {
	tb.Helper()
	var out []queue.AuditEntry
	for _, r := range mustAuditLog(tb, c, site) {
		if r.Entry.Action == action && r.Entry.Source == by.Source && r.Entry.Name == by.Name {
			if r.Kiosk != "" || r.Epoch != 0 || r.Entry.OSUser != by.OSUser {
				tb.Errorf("the centre's entry %+v, want under kiosk \"\", epoch 0, by %+v", r, by)
			}
			out = append(out, r.Entry)
		}
	}
	return out
}

// Each action IT takes at the centre (an enrolment, an enrolment code, a
// revocation, an erasure) and its audit entry are one transaction: with
// no actor, or when the audit log refuses the entry, the action did not
// happen either; once the log takes it, both are there, the entry naming
// who did it and what, never the person erased.
func TestITActionsAndTheirAuditEntryAreOneTransaction(t *testing.T) {
	const person = "Zoë Smith"
	console := centre.Actor{Source: queue.AuditConsole, Name: "Priya (IT)"}
	type action struct {
		name   string
		by     centre.Actor
		action string
		detail string
		act    func(ctx context.Context, c centretest.Centre, by centre.Actor) error
		// state is what the action changes, as the centre shows it.
		state func(t *testing.T, f itFixture) string
	}
	for _, a := range []action{{
		name: "enrol", by: itAlice, action: centre.ActionEnrol, detail: "kiosk lobby-2",
		act: func(ctx context.Context, c centretest.Centre, by centre.Actor) error {
			_, err := c.Enroll(ctx, "north", "lobby-2", "Side door", by)
			return err
		},
		state: func(t *testing.T, f itFixture) string {
			ks, err := f.c.Kiosks(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(ks)
		},
	}, {
		name: "enrol again", by: console, action: centre.ActionEnrol, detail: "kiosk lobby-1, enrolled again: its old token stopped working",
		act: func(ctx context.Context, c centretest.Centre, by centre.Actor) error {
			_, err := c.Enroll(ctx, "north", "lobby-1", "", by)
			return err
		},
		state: oldTokenWorks,
	}, {
		name: "enrolment code", by: console, action: centre.ActionEnrolCode, detail: "kiosk lobby-3, valid until 2026-11-23 11:00 UTC",
		act: func(ctx context.Context, c centretest.Centre, by centre.Actor) error {
			_, _, err := c.NewEnrolmentCode(ctx, "north", "lobby-3", "Lift lobby", time.Hour, by)
			return err
		},
		state: func(t *testing.T, f itFixture) string {
			var n int
			if err := f.c.DB().QueryRow("SELECT count(*) FROM enrolment_codes").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("%d codes", n)
		},
	}, {
		name: "revoke", by: itAlice, action: centre.ActionRevoke, detail: "kiosk lobby-1",
		act: func(ctx context.Context, c centretest.Centre, by centre.Actor) error {
			return c.Revoke(ctx, "lobby-1", by)
		},
		state: oldTokenWorks,
	}, {
		name: "erase", by: itAlice, action: centre.ActionErase,
		detail: "one person: 1 visits, 0 alerts, 1 pre-registrations, 1 check-ins; 1 kiosk database(s) to erase their copy",
		act: func(ctx context.Context, c centretest.Centre, by centre.Actor) error {
			e, err := c.Erase(ctx, "north", "zoe smith", by)
			if err == nil && e.Mutations != 1 {
				t.Errorf("erased %+v, want the check-in's payload too", e)
			}
			return err
		},
		state: func(t *testing.T, f itFixture) string {
			db := f.c.DB()
			return strings.Join(rowsHolding(t, db, tablesOf(t, db, centredb.IsPostgres(f.dsn)), map[string]bool{person: true, "zoe smith": true}), "; ")
		},
	}} {
		for _, backend := range centretest.Backends {
			t.Run(strings.ReplaceAll(a.name, " ", "_")+"/"+backend, func(t *testing.T) {
				ctx := context.Background()
				clk := newStoreClock()
				dsn := centretest.DSN(t, backend)
				c := openTestCentral(t, dsn, clk)
				mustAddSite(t, c, "north")
				token, err := c.Enroll(ctx, "north", "lobby-1", "Main lobby", centretest.IT)
				if err != nil {
					t.Fatal(err)
				}
				f := itFixture{c: c, dsn: dsn, token: token}
				k, err := c.Authenticate(ctx, token)
				if err != nil {
					t.Fatal(err)
				}
				s := openKioskStoreAt(t, t.TempDir(), "lobby-1", clk)
				kioskCheckIn(t, s, queue.CheckInForm{Name: person, Host: "Dr Hollis"})
				pushAll(t, c.Service, k, s)
				if _, err := c.Write(ctx, "north", []centre.RecordWrite{{Entity: queue.EntityPreReg, Key: "AB12-CD34",
					Data: queue.PreRegistration{Code: "AB12-CD34", Name: person, Host: "Dr Hollis", Expected: clk.Now()}}}); err != nil {
					t.Fatal(err)
				}
				clk.Advance(time.Hour)
				before := a.state(t, f)

				// Nobody known: refused, nothing done.
				for _, nobody := range []centre.Actor{{}, {Source: queue.AuditTouch, Name: "Rosa"}, {Source: queue.AuditCentre, Name: " "}} {
					if err := a.act(ctx, c, nobody); err == nil || !strings.Contains(err.Error(), "audit:") {
						t.Errorf("%s by %+v: %v, want refused", a.name, nobody, err)
					}
				}
				if got := a.state(t, f); got != before {
					t.Fatalf("%s without an actor changed\n%s\ninto\n%s", a.name, before, got)
				}

				// The audit log refuses the entry: the action is undone with it.
				allow := centretest.RefuseAudit(t, dsn)
				if err := a.act(ctx, c, a.by); err == nil || !strings.Contains(err.Error(), "audit refused") {
					t.Fatalf("%s while the audit log refuses entries: %v, want its refusal", a.name, err)
				}
				if got := a.state(t, f); got != before {
					t.Fatalf("%s whose audit entry failed changed\n%s\ninto\n%s", a.name, before, got)
				}
				allow()
				if got := auditedBy(t, c, "north", a.by, a.action); len(got) != 0 {
					t.Fatalf("audit entries of actions that did not happen: %+v", got)
				}

				// The log takes it: both are there.
				if err := a.act(ctx, c, a.by); err != nil {
					t.Fatal(err)
				}
				if got := a.state(t, f); got == before {
					t.Fatalf("%s changed nothing: %s", a.name, got)
				}
				got := auditedBy(t, c, "north", a.by, a.action)
				if len(got) != 1 || got[0].Detail != a.detail || !got[0].At.Equal(clk.Now()) {
					t.Fatalf("%s's audit entries %+v, want one at %s with detail %q", a.name, got, clk.Now(), a.detail)
				}
				if strings.Contains(got[0].Detail, "Smith") || strings.Contains(strings.ToLower(got[0].Detail), "zo") {
					t.Errorf("the audit entry names the person: %q", got[0].Detail)
				}
			})
		}
	}
}

// itFixture is a centre with site north, kiosk lobby-1 enrolled (its
// token) and one visitor checked in there and pre-registered.
type itFixture struct {
	c     centretest.Centre
	dsn   string
	token string
}

// oldTokenWorks is whether lobby-1's first token still authenticates.
func oldTokenWorks(t *testing.T, f itFixture) string {
	k, err := f.c.Authenticate(context.Background(), f.token)
	return fmt.Sprintf("lobby-1's old token: %+v, %v", k, err)
}

// A kiosk that redeems an enrolment code is enrolled and audited in one
// transaction: the entry is the code's, naming the code's entry by the
// time it was made; when the log refuses it, the code stays unused and
// the kiosk unenrolled.
func TestRedeemedCodeIsAuditedWithTheEnrolment(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		made := clk.Now()
		code, _, err := c.NewEnrolmentCode(ctx, "north", "lobby-4", "Car park", time.Hour, centretest.IT)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)

		allow := centretest.RefuseAudit(t, dsn)
		if _, err := c.Redeem(ctx, code); err == nil || !strings.Contains(err.Error(), "audit refused") {
			t.Fatalf("redeem while the audit log refuses entries: %v, want its refusal", err)
		}
		allow()
		if ks, err := c.Kiosks(ctx); err != nil || len(ks) != 0 {
			t.Fatalf("kiosks after a refused redeem: %+v, %v", ks, err)
		}

		if _, err := c.Redeem(ctx, code); err != nil {
			t.Fatalf("the code after a refused redeem: %v", err)
		}
		got := auditedBy(t, c, "north", centre.CodeActor, centre.ActionEnrol)
		want := "kiosk lobby-4, with the enrolment code made " + made.UTC().Format("2006-01-02 15:04:05 UTC")
		if len(got) != 1 || got[0].Detail != want || !got[0].At.Equal(clk.Now()) {
			t.Fatalf("the redeem's audit entries %+v, want one at %s: %q", got, clk.Now(), want)
		}
	})
}

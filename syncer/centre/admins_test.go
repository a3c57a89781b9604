package centre_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/wire"
)

func TestAdminLoginLocksAfterRepeatedWrongPasswords(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := centretest.Open(t, dsn, clk.Now, centre.Options{PasswordCost: bcrypt.MinCost})
		const good = "correct horse battery"
		if err := c.AddAdmin(ctx, "it-ops", good); err != nil {
			t.Fatal(err)
		}
		if err := c.AddAdmin(ctx, "it-ops", "short"); !errors.Is(err, centre.ErrWeakPassword) {
			t.Fatalf("short password: %v, want ErrWeakPassword", err)
		}
		if _, err := c.Login(ctx, "nobody", good); !errors.Is(err, centre.ErrBadLogin) {
			t.Fatalf("unknown admin: %v, want ErrBadLogin", err)
		}
		for i := 1; i < centre.LoginLimit; i++ {
			if _, err := c.Login(ctx, "it-ops", "wrong password"); !errors.Is(err, centre.ErrBadLogin) {
				t.Fatalf("wrong password %d: %v, want ErrBadLogin", i, err)
			}
		}
		if _, err := c.Login(ctx, "it-ops", "wrong password"); !errors.Is(err, centre.ErrLocked) {
			t.Fatalf("wrong password %d: %v, want ErrLocked", centre.LoginLimit, err)
		}
		if _, err := c.Login(ctx, "it-ops", good); !errors.Is(err, centre.ErrLocked) {
			t.Fatalf("right password while locked: %v, want ErrLocked", err)
		}
		clk.Advance(centre.LockWindow - time.Second)
		if _, err := c.Login(ctx, "it-ops", good); !errors.Is(err, centre.ErrLocked) {
			t.Fatalf("right password a second before the lock ends: %v, want ErrLocked", err)
		}
		clk.Advance(time.Second)
		// Once the lock has ended, one more wrong password locks it again.
		if _, err := c.Login(ctx, "it-ops", "wrong password"); !errors.Is(err, centre.ErrLocked) {
			t.Fatalf("a wrong password after the lock: %v, want ErrLocked", err)
		}
		clk.Advance(centre.LockWindow)
		sess, err := c.Login(ctx, "it-ops", good)
		if err != nil {
			t.Fatalf("right password after the lock: %v", err)
		}
		// The count starts again: one wrong password does not lock.
		if _, err := c.Login(ctx, "it-ops", "wrong password"); !errors.Is(err, centre.ErrBadLogin) {
			t.Fatalf("wrong password after a right one: %v, want ErrBadLogin", err)
		}

		got, err := c.SessionFor(ctx, sess.Token)
		if err != nil || got.Admin != "it-ops" || !got.CheckCSRF(sess.CSRF) || got.CheckCSRF("") || got.CheckCSRF(sess.Token) {
			t.Fatalf("session: %+v, %v", got, err)
		}
		clk.Advance(centre.SessionTTL)
		if _, err := c.SessionFor(ctx, sess.Token); !errors.Is(err, centre.ErrNoSession) {
			t.Fatalf("session after its TTL: %v, want ErrNoSession", err)
		}
		sess, err = c.Login(ctx, "it-ops", good)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Logout(ctx, sess.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := c.SessionFor(ctx, sess.Token); !errors.Is(err, centre.ErrNoSession) {
			t.Fatalf("session after logout: %v, want ErrNoSession", err)
		}
		// Setting the password again unlocks the account.
		for range centre.LoginLimit {
			c.Login(ctx, "it-ops", "wrong password")
		}
		if err := c.AddAdmin(ctx, "it-ops", "a new long password"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Login(ctx, "it-ops", "a new long password"); err != nil {
			t.Fatalf("after a new password: %v", err)
		}
		// A new password ends the account's sessions: a stolen one too.
		sess, err = c.Login(ctx, "it-ops", "a new long password")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddAdmin(ctx, "it-ops", "a third long password"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.SessionFor(ctx, sess.Token); !errors.Is(err, centre.ErrNoSession) {
			t.Fatalf("a session after its password was set: %v, want ErrNoSession", err)
		}
	})
}

func TestCentreRecordsTheSoftwareKiosksDeclare(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		token, err := c.Enroll(ctx, "north", "lobby-1", "Lobby", centretest.IT)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(centre.NewServer(c.Service, centre.ServerOptions{}))
		defer srv.Close()
		pull := func(agent string) {
			t.Helper()
			req, _ := http.NewRequest("GET", srv.URL+"/v1/sites/north/pull", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			wire.SetVersion(req.Header)
			if agent != "" {
				req.Header.Set("User-Agent", agent)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("pull: %s", res.Status)
			}
		}
		software := func() string {
			t.Helper()
			ks, err := c.Kiosks(ctx)
			if err != nil || len(ks) != 1 {
				t.Fatalf("kiosks: %v, %v", ks, err)
			}
			return ks[0].Software
		}
		for _, step := range []struct{ agent, want string }{
			{"Go-http-client/1.1", ""}, // a kiosk from before the header
			{"lobbyline-kiosk/1.4.0", "1.4.0"},
			{"Go-http-client/1.1", "1.4.0"},             // says nothing: kept
			{"lobbyline-kiosk/1.5.0 (debian)", "1.5.0"}, // new software is recorded at once, within the minute
			{"lobbyline-kiosk/" + strings.Repeat("9", wire.MaxAgentVersion+1), "1.5.0"},
		} {
			pull(step.agent)
			if got := software(); got != step.want {
				t.Fatalf("after User-Agent %q: software %q, want %q", step.agent, got, step.want)
			}
		}
	})
}

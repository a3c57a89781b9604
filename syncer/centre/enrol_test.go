package centre_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
)

// A code from `central enroll` enrols its kiosk once, over the API, and
// only until it expires; a refused code says why and what to do, and
// changes nothing.
func TestEnrolmentCodeWorksOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := newStoreClock()
		c := openTestCentral(t, dsn, clk)
		mustAddSite(t, c, "north")
		srv := httptest.NewServer(centre.NewServer(c.Service, centre.ServerOptions{}))
		t.Cleanup(srv.Close)
		client, err := syncer.NewClient(srv.URL, "north", "", srv.Client())
		if err != nil {
			t.Fatal(err)
		}

		code, expires, err := c.NewEnrolmentCode(ctx, "north", "lobby-1", "Main lobby", time.Hour, centretest.IT)
		if err != nil {
			t.Fatal(err)
		}
		if !expires.Equal(clk.Now().Add(time.Hour)) || len(centre.NormalizeCode(code)) != 10 {
			t.Fatalf("code %q expires %v", code, expires)
		}
		// As typed from paper: lower case, the dash left out.
		// A code for lobby-1, asked for by lobby-7: refused, and still unused.
		if _, err := client.Enrol(ctx, code, "lobby-7"); err == nil || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "still unused") {
			t.Errorf("a code for another kiosk: %v", err)
		}
		resp, err := client.Enrol(ctx, strings.ToLower(strings.ReplaceAll(code, "-", " ")), "lobby-1")
		if err != nil {
			t.Fatalf("enrol: %v", err)
		}
		if resp.Site != "north" || resp.Kiosk != "lobby-1" || resp.Name != "Main lobby" {
			t.Errorf("enrolment %+v", resp)
		}
		if k, err := c.Authenticate(ctx, resp.Token); err != nil || k.ID != "lobby-1" {
			t.Fatalf("the token from the code: %+v, %v", k, err)
		}

		wantRefused(t, client, code, http.StatusGone, "used already")
		wantRefused(t, client, "ABCDE-FGHJK", http.StatusForbidden, "not known")

		late, _, err := c.NewEnrolmentCode(ctx, "north", "lobby-2", "", time.Hour, centretest.IT)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		wantRefused(t, client, late, http.StatusGone, "expired")
		if ks, _ := c.Kiosks(ctx); len(ks) != 1 {
			t.Errorf("kiosks after refused codes: %+v", ks)
		}

		// A code for a kiosk another site holds is not made at all.
		mustAddSite(t, c, "south")
		if _, _, err := c.NewEnrolmentCode(ctx, "south", "lobby-1", "", time.Hour, centretest.IT); err == nil || !strings.Contains(err.Error(), "belongs to site") {
			t.Errorf("code for another site's kiosk: %v", err)
		}
		if _, _, err := c.NewEnrolmentCode(ctx, "west", "lobby-9", "", time.Hour, centretest.IT); err == nil {
			t.Error("code for a site that does not exist")
		}
	})
}

// Two kiosks racing with one code: exactly one is enrolled.
func TestEnrolmentCodeRace(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := openTestCentral(t, dsn, newStoreClock())
		mustAddSite(t, c, "north")
		code, _, err := c.NewEnrolmentCode(ctx, "north", "lobby-1", "", time.Hour, centretest.IT)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { _, errs[i] = c.Redeem(ctx, code) })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			var ce *centre.CodeError
			switch {
			case err == nil:
				won++
			case errors.As(err, &ce) && errors.Is(err, centre.ErrCodeUsed):
			default:
				t.Errorf("redeem: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("%d redeems won, want 1", won)
		}
	})
}

// The code survives a restart of the centre: it is in the store, not in
// memory.
func TestEnrolmentCodeOutlivesTheProcess(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "central.db")
	clk := newStoreClock()
	c := centretest.Open(t, dsn, clk.Now)
	mustAddSite(t, c, "north")
	code, _, err := c.NewEnrolmentCode(ctx, "north", "lobby-1", "", time.Hour, centretest.IT)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	again := centretest.Open(t, dsn, clk.Now)
	if _, err := again.Redeem(ctx, code); err != nil {
		t.Fatalf("redeem after a restart: %v", err)
	}
}

func wantRefused(t *testing.T, client *syncer.Client, code string, status int, says string) {
	t.Helper()
	_, err := client.Enrol(context.Background(), code, "")
	var he *syncer.HTTPError
	if !errors.As(err, &he) || he.Status != status || !strings.Contains(he.Message, says) || !strings.Contains(he.Message, "IT") {
		t.Errorf("enrol with %s: %v, want %d saying %q and what to do", code, err, status, says)
	}
}

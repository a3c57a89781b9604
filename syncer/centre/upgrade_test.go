package centre_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/sqldb"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centredb"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/wire"
)

// releaseStore is a centre database made by the landed release 17e7641:
// site north, kiosk lobby-1 enrolled (its token beside it), pre-registration
// ABC123, and three visits the kiosk pushed; the migrations of that
// release were applied in one transaction. On SQLite it is the file, on
// PostgreSQL a dump loaded into a fresh schema. The path of the SQLite
// copy has the characters a connection string trips on.
func releaseStore(t *testing.T, backend string) (dsn, token string) {
	t.Helper()
	base := filepath.Join("testdata", "release", "central-17e7641")
	switch backend {
	case "sqlite":
		data, err := os.ReadFile(base + ".db")
		if err != nil {
			t.Fatal(err)
		}
		dsn = filepath.Join(t.TempDir(), "centre #1?.db")
		if err := os.WriteFile(dsn, data, 0o600); err != nil {
			t.Fatal(err)
		}
		base += ".db"
	case "postgres":
		dump, err := os.ReadFile(base + ".pg.sql")
		if err != nil {
			t.Fatal(err)
		}
		dsn = centretest.PostgresSchema(t)
		centretest.AdminExec(t, dsn, string(dump))
		base += ".pg"
	}
	tok, err := os.ReadFile(base + ".token")
	if err != nil {
		t.Fatal(err)
	}
	return dsn, strings.TrimSpace(string(tok))
}

func TestOpensACentreOfTheLandedRelease(t *testing.T) {
	for _, backend := range centretest.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			dsn, token := releaseStore(t, backend)
			now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
			c := centretest.Open(t, dsn, func() time.Time { return now })

			if name, ok, err := c.SiteName(ctx, "north"); err != nil || !ok || name != "North Hospital" {
				t.Fatalf("site north = %q, %v, %v", name, ok, err)
			}
			k, err := c.Authenticate(ctx, token)
			if err != nil || k.ID != "lobby-1" || k.Site != "north" {
				t.Fatalf("the release's token: %+v, %v", k, err)
			}
			page, err := c.Pull(ctx, k, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, r := range page.Records {
				keys = append(keys, r.Entity)
			}
			if got := strings.Join(keys, " "); got != "prereg visit visit visit" {
				t.Errorf("pulled %s; want the pre-registration and three visits", got)
			}
			// What it pushed then is still known by name: a replay is a
			// duplicate, not applied twice.
			var m wire.PushMutation
			var at, payload string
			err = c.DB().QueryRow("SELECT epoch, seq, kind, kiosk_at, hlc, payload FROM mutations WHERE kiosk_id = 'lobby-1' AND seq = 1").
				Scan(&m.Epoch, &m.Seq, &m.Kind, &at, &m.HLC, &payload)
			if err != nil {
				t.Fatal(err)
			}
			m.At, _ = sqldb.ParseTime(at)
			m.Payload = []byte(payload)
			resp, err := c.Push(ctx, k, wire.PushRequest{Kiosk: k.ID, Mutations: []wire.PushMutation{m}})
			if err != nil || resp.Results[0].Status != wire.StatusDuplicate {
				t.Fatalf("the release's first mutation again: %+v, %v; want duplicate", resp, err)
			}
			// Its payload, stored before payloads were hashed, is hashed
			// and pruned; the replay is still a duplicate.
			if n, err := c.PruneMutations(ctx, now); err != nil || n != 5 {
				t.Fatalf("prune the release's mutations = %d, %v; want its 5", n, err)
			}
			resp, err = c.Push(ctx, k, wire.PushRequest{Kiosk: k.ID, Mutations: []wire.PushMutation{m}})
			if err != nil || resp.Results[0].Status != wire.StatusDuplicate {
				t.Fatalf("the release's first mutation after the prune: %+v, %v; want duplicate", resp, err)
			}
			// The new release's migrations were recorded, stamped by the clock.
			var stamped int
			if err := c.DB().QueryRow("SELECT count(*) FROM schema_migrations WHERE applied_at < '2026-12-02'").Scan(&stamped); err != nil || stamped != 2 {
				t.Errorf("%d of the release's own migrations kept (%v); want 2", stamped, err)
			}
			if _, err := c.Write(ctx, "north", []centre.RecordWrite{{Entity: queue.EntityPreReg, Key: "NEW1",
				Data: queue.PreRegistration{Code: "NEW1", Name: "Bo Chen", Host: "Dr Ruiz", Expected: now}}}); err != nil {
				t.Fatalf("write after the upgrade: %v", err)
			}
		})
	}
}

func TestCentreRefusesADatabaseOfANewerVersion(t *testing.T) {
	for _, backend := range centretest.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			dsn, _ := releaseStore(t, backend)
			c := centretest.Open(t, dsn, nil)
			if _, err := c.DB().Exec("INSERT INTO schema_migrations (name, applied_at) VALUES ('migrations/9999_from_the_future.sql', '2027-01-01T00:00:00.000Z')"); err != nil {
				t.Fatal(err)
			}
			c.Close()
			st, err := centredb.Open(ctx, dsn, centredb.Options{})
			if err == nil {
				st.Close()
				t.Fatal("opened a database a newer version had upgraded")
			}
			if !errors.Is(err, sqldb.ErrSchemaNewer) || !strings.Contains(err.Error(), "9999_from_the_future.sql") {
				t.Errorf("error = %v; want ErrSchemaNewer naming the unknown migration", err)
			}
		})
	}
}

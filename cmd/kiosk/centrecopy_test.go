package main

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lobbyline/internal/dbdamage"
	"lobbyline/queue"
	"lobbyline/syncer/centre"
)

// damageAfterSync enrols a kiosk at a real centre over loopback; Ada
// checks in before a snapshot, is called after it; Cy checks in after
// it; both reach the centre. Then the visits and the outbox are
// damaged: Cy is only at the centre, and Ada's call too.
func damageAfterSync(t *testing.T) (dir, url string, central func() []centre.VisitOrigin, srvFor func(centre.ServerOptions, []string) string) {
	t.Helper()
	dir = t.TempDir()
	c, srv, code := newCentreWithCode(t, dir)
	mustRun(t, dir, "--central", srv.URL, "enroll", "--code", code)
	mustRun(t, dir, "checkin", "--name", "Ada Early", "--service", "registration")
	mustRun(t, dir, "--central", srv.URL, "sync")
	mustRun(t, dir, "snapshot")
	mustRun(t, dir, "open-desk", "--desk", "desk-1", "--staff", "Marta")
	mustRun(t, dir, "call-next", "--desk", "desk-1", "--staff", "Marta")
	mustRun(t, dir, "checkin", "--name", "Cy Late", "--service", "registration")
	if out := mustRun(t, dir, "--central", srv.URL, "sync"); !strings.Contains(out, "backlog: 0") {
		t.Fatalf("sync before the damage:\n%s", out)
	}
	for i, table := range []string{"visits", "outbox"} {
		if err := dbdamage.Table(filepath.Join(dir, "kiosk.db"), table, 600, uint64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	central = func() []centre.VisitOrigin {
		o, err := c.VisitOrigins(context.Background(), "general-hospital")
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	// A centre over the same store speaking opts.Protocol and applying
	// accepts (nil: every kind).
	srvFor = func(opts centre.ServerOptions, accepts []string) string {
		svc := c.Service
		if accepts != nil {
			svc = centre.New(c.Store, centre.Options{Accepts: accepts})
		}
		s := httptest.NewServer(centre.NewServer(svc, opts))
		t.Cleanup(s.Close)
		return s.URL
	}
	return dir, srv.URL, central, srvFor
}

func TestRecoverTakesTheCentresCopy(t *testing.T) {
	dir, url, origins, _ := damageAfterSync(t)
	out := mustRun(t, dir, "--central", url, "recover")
	for _, want := range []string{"rebuilt from the snapshot", "the centre's copy: 2 visits of this kiosk; 1 added, 1 took the centre's newer state",
		"visits whose state came from the centre's copy: 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("recover printed no %q:\n%s", want, out)
		}
	}
	q := mustRun(t, dir, "roster")
	if !strings.Contains(q, "Cy Late") || !strings.Contains(q, "centre") {
		t.Fatalf("the roster after the recovery has no Cy from the centre:\n%s", q)
	}
	if q := mustRun(t, dir, "queue"); !strings.Contains(q, "R-001 Ada Early") || !strings.Contains(q, "R-002") {
		t.Fatalf("Ada is not at the desk, as the centre had her, or Cy is not waiting:\n%s", q)
	}
	if out := mustRun(t, dir, "checkin", "--name", "Dee After", "--service", "registration"); strings.HasPrefix(out, "R-001") || strings.HasPrefix(out, "R-002") {
		t.Fatalf("a check-in after the recovery reused a ticket: %s", out)
	}
	if got := origins(); len(got) != 0 {
		t.Fatalf("the centre heard origins before the kiosk synced: %+v", got)
	}
	mustRun(t, dir, "--central", url, "sync")
	got := origins()
	if len(got) != 2 || got[0].Origin != "centre" || got[1].Origin != "centre" || !strings.HasPrefix(got[0].Key, "lobby-1/") {
		t.Fatalf("the centre's origins after the sync: %+v", got)
	}
	csv := mustRun(t, dir, "export", "--day", time.Now().Format("2006-01-02"))
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if !strings.HasSuffix(lines[0], ",source,origin") || !strings.HasSuffix(lines[1], ",centre") || !strings.HasSuffix(lines[3], ",") {
		t.Fatalf("the export's origin column:\n%s", csv)
	}
}

// An unreachable centre, or one too old to give its copy, is no
// failure: the recovery goes on and says what it could not use. The old
// centre still takes every visit after it; the origins wait for its
// upgrade.
func TestRecoverWithoutTheCentresCopy(t *testing.T) {
	dir, _, _, _ := damageAfterSync(t)
	out := mustRun(t, dir, "--central", "http://127.0.0.1:1", "recover")
	if !strings.Contains(out, "NOT RECOVERED: the centre was not reachable (") || !strings.Contains(out, "visits only it had are not recovered") {
		t.Fatalf("recover with the centre down printed:\n%s", out)
	}
	if q := mustRun(t, dir, "roster"); strings.Contains(q, "Cy Late") || !strings.Contains(q, "Ada Early") {
		t.Fatalf("the roster without the centre's copy:\n%s", q)
	}

	dir, _, origins, srvFor := damageAfterSync(t)
	prevKinds := slices.DeleteFunc(slices.Clone(centre.Kinds), func(k string) bool { return k == queue.KindRestored })
	old := srvFor(centre.ServerOptions{Protocol: 4}, prevKinds)
	out = mustRun(t, dir, "--central", old, "recover")
	if !strings.Contains(out, "NOT RECOVERED: the centre is too old to give its copy (protocol 4): visits only it had are not recovered") {
		t.Fatalf("recover against a protocol 4 centre printed:\n%s", out)
	}
	mustRun(t, dir, "checkin", "--name", "Dee After", "--service", "registration")
	// The previous version's centre does not list the new kind: the
	// origins wait, the visits go.
	out = mustRun(t, dir, "--central", old, "sync")
	if !strings.Contains(out, "state: online") || !strings.Contains(out, "backlog: 1") {
		t.Fatalf("sync to the old centre:\n%s", out)
	}
	if got := origins(); len(got) != 0 {
		t.Fatalf("an old centre stored origins: %+v", got)
	}
	if !strings.Contains(mustRun(t, dir, "--central", srvFor(centre.ServerOptions{}, nil), "sync"), "backlog: 0") {
		t.Fatal("the origins did not go once the centre was upgraded")
	}
	// Ada came back from the snapshot's outbox; Cy was only at the centre.
	if got := origins(); len(got) != 1 || got[0].Origin != "outbox" {
		t.Fatalf("the upgraded centre's origins: %+v", got)
	}
}

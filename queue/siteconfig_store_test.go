package queue_test

import (
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
)

var (
	v2Services = []queue.Service{
		{ID: "visit", Prefix: "V", Name: "Visit a patient"},
		{ID: "imaging", Prefix: "I", Name: "Imaging", TimePerVisitor: 20 * time.Minute},
	}
	v2Desks = []queue.Desk{{ID: "desk-9", Name: "Desk 9", Services: []string{"imaging", "visit"}}}
)

func serviceIDs(s *queue.Store) []string {
	var ids []string
	for _, svc := range s.Services() {
		ids = append(ids, svc.ID)
	}
	return ids
}

func TestApplySiteConfig(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	opts := testOptions(c)
	opts.ManagedConfig = true
	s, err := queue.Open(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	if s.ConfigVersion() != 0 {
		t.Fatalf("config version before any from the centre: %d", s.ConfigVersion())
	}

	// A version that does not hold together is refused; the file's stay.
	bad := []queue.Desk{{ID: "desk-9", Name: "Desk 9", Services: []string{"surgery"}}}
	if _, err := s.ApplySiteConfig(ctx, 1, v2Services, bad, nil); !errors.Is(err, queue.ErrSiteConfig) {
		t.Fatalf("ApplySiteConfig with a desk naming an unknown service: got %v, want ErrSiteConfig", err)
	}
	if got := serviceIDs(s); !slices.Equal(got, []string{"registration", "pharmacy", "visit"}) || s.ConfigVersion() != 0 {
		t.Fatalf("after a refused version: services %v, version %d", got, s.ConfigVersion())
	}

	if ok, err := s.ApplySiteConfig(ctx, 2, v2Services, v2Desks, nil); err != nil || !ok {
		t.Fatalf("ApplySiteConfig v2: %v, %v", ok, err)
	}
	if got := serviceIDs(s); !slices.Equal(got, []string{"visit", "imaging"}) || s.ConfigVersion() != 2 {
		t.Fatalf("after v2: services %v, version %d", got, s.ConfigVersion())
	}
	if tk := mustCheckIn(t, s, "Ana", "imaging"); tk.Visit.Ticket[:1] != "I" {
		t.Errorf("ticket for imaging: %q, want the prefix I", tk.Visit.Ticket)
	}
	// A form filled in before the change, for a service now gone.
	_, err = s.CheckIn(ctx, queue.CheckInForm{Name: "Li", Service: "pharmacy"}, queue.SourceKiosk)
	var fe *queue.FormError
	if !errors.As(err, &fe) || fe.Problems[0].Key != "error.service.unknown" {
		t.Fatalf("check-in for a service the new version dropped: got %v, want error.service.unknown", err)
	}
	b, err := s.Board(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Desks) != 1 || b.Desks[0].Desk.ID != "desk-9" {
		t.Errorf("board desks after v2: %+v", b.Desks)
	}
	// An older or equal version changes nothing.
	if ok, err := s.ApplySiteConfig(ctx, 1, testOptions(c).Services, testOptions(c).Desks, nil); err != nil || ok {
		t.Fatalf("ApplySiteConfig v1 after v2: %v, %v; want not applied", ok, err)
	}

	// Version 2 again with the same contents changes nothing; with other
	// contents (two people set version 2 at once at the centre, which
	// kept the later) it is applied.
	if ok, err := s.ApplySiteConfig(ctx, 2, v2Services, v2Desks, nil); err != nil || ok {
		t.Fatalf("ApplySiteConfig v2 again: %v, %v; want not applied", ok, err)
	}
	renamed := slices.Clone(v2Services)
	renamed[1].Name = "Radiology"
	if ok, err := s.ApplySiteConfig(ctx, 2, renamed, v2Desks, nil); err != nil || !ok {
		t.Fatalf("ApplySiteConfig v2 with other contents: %v, %v; want applied", ok, err)
	}
	if svc, _ := s.Service("imaging"); svc.Name != "Radiology" {
		t.Fatalf("after v2 with other contents: imaging is %q", svc.Name)
	}

	// A restart keeps version 2 over the file's services.
	s.Close()
	if s, err = queue.Open(ctx, path, opts); err != nil {
		t.Fatal(err)
	}
	if got := serviceIDs(s); !slices.Equal(got, []string{"visit", "imaging"}) || s.ConfigVersion() != 2 {
		t.Fatalf("after a restart: services %v, version %d", got, s.ConfigVersion())
	}
	mustCheckIn(t, s, "Bo", "imaging")

	// With no centre, the file's are used.
	s.Close()
	opts.ManagedConfig = false
	if s, err = queue.Open(ctx, path, opts); err != nil {
		t.Fatal(err)
	}
	if got := serviceIDs(s); !slices.Equal(got, []string{"registration", "pharmacy", "visit"}) || s.ConfigVersion() != 0 {
		t.Fatalf("central off: services %v, version %d", got, s.ConfigVersion())
	}
}

// A new configuration never lands in the middle of a check-in: every
// check-in for a service it drops commits before any for a service it
// adds.
func TestApplySiteConfigWaitsForCheckIns(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t, "", newClock())
	var (
		mu                sync.Mutex
		lastOld, firstNew int64 = 0, 1 << 62
		wg                sync.WaitGroup
	)
	for g := range 6 {
		wg.Go(func() {
			for i := range 40 {
				service := "pharmacy" // in the file's services, not in v2
				if (g+i)%2 == 0 {
					service = "imaging" // in v2 only
				}
				tk, err := s.CheckIn(ctx, queue.CheckInForm{Name: fmt.Sprintf("P%d-%d", g, i), Service: service}, queue.SourceKiosk)
				if queue.ErrorCode(err) == queue.EInvalid {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if service == "pharmacy" {
					lastOld = max(lastOld, tk.Visit.ID)
				} else {
					firstNew = min(firstNew, tk.Visit.ID)
				}
				mu.Unlock()
			}
		})
	}
	if _, err := s.ApplySiteConfig(ctx, 2, v2Services, v2Desks, nil); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if lastOld > firstNew {
		t.Fatalf("a check-in for pharmacy (visit %d) committed after one for imaging (visit %d): the configuration changed in its middle", lastOld, firstNew)
	}
}

// A version's other sections are kept with it, through a restart; a
// version whose sections the kiosk cannot use (CheckSettings) is refused
// whole, services and desks too, and the last good one kept.
func TestApplySiteConfigKeepsSettings(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	opts := testOptions(c)
	opts.ManagedConfig = true
	opts.CheckSettings = func(raw json.RawMessage) error {
		if strings.Contains(string(raw), "bad") {
			return errors.New("languages: not for this kiosk")
		}
		return nil
	}
	s, err := queue.Open(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	if v, raw := s.SiteSettings(); v != 0 || raw != nil {
		t.Fatalf("settings before any version: %d %s", v, raw)
	}
	good := json.RawMessage(`{"languages":["es"]}`)
	if ok, err := s.ApplySiteConfig(ctx, 1, v2Services, v2Desks, good); err != nil || !ok {
		t.Fatalf("apply version 1: %v, %v", ok, err)
	}
	if _, err := s.ApplySiteConfig(ctx, 2, v2Services[:1], []queue.Desk{{ID: "d", Name: "D", Services: []string{"visit"}}},
		json.RawMessage(`{"languages":["bad"]}`)); !errors.Is(err, queue.ErrSiteConfig) || !strings.Contains(err.Error(), "not for this kiosk") {
		t.Fatalf("apply settings the kiosk refuses: %v, want ErrSiteConfig with the reason", err)
	}
	if v, raw := s.SiteSettings(); v != 1 || string(raw) != string(good) || len(s.Services()) != 2 {
		t.Fatalf("after a refused version: %d %s, %d services; want version 1 whole", v, raw, len(s.Services()))
	}
	s.SetLanguages([]string{"es"})
	if err := s.SetStaffLanguage(ctx, "es"); err != nil {
		t.Fatalf("staff language among the new languages: %v", err)
	}
	s.Close()
	if s, err = queue.Open(ctx, path, opts); err != nil {
		t.Fatal(err)
	}
	if v, raw := s.SiteSettings(); v != 1 || string(raw) != string(good) {
		t.Fatalf("after a restart: %d %s", v, raw)
	}
}

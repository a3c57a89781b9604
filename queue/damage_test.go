package queue_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"lobbyline/internal/dbdamage"
	"lobbyline/queue"
)

// damagedStore is a store with a few visitors waiting whose visits table
// was then damaged (600 random bytes over its root page), opened again
// without a check, as the kiosk did before issue 15.
func damagedStore(t *testing.T) (*queue.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	c := newClock()
	s := mustOpenStore(t, path, c)
	for _, n := range []string{"Ada", "Bo", "Cy"} {
		mustCheckIn(t, s, n, "registration")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := dbdamage.Table(path, "visits", 600, 15); err != nil {
		t.Fatal(err)
	}
	return mustOpenStore(t, path, c), path
}

func TestQuickCheckFindsDamageAndTheStoreStopsReadingAndWriting(t *testing.T) {
	s, _ := damagedStore(t)
	ctx := context.Background()
	problems, err := s.QuickCheck(ctx)
	if !errors.Is(err, queue.ErrDamaged) || queue.ErrorCode(err) != queue.EDamaged || len(problems) == 0 {
		t.Fatalf("quick check = %q, %v; want damage found", problems, err)
	}
	if _, err := s.Board(ctx); queue.ErrorCode(err) != queue.EDamaged {
		t.Fatalf("board of a damaged database: %v, want EDamaged", err)
	}
	_, err = s.CheckIn(ctx, queue.CheckInForm{Name: "Dee", Service: "registration"}, queue.SourceKiosk)
	if queue.ErrorCode(err) != queue.EDamaged {
		t.Fatalf("check-in into a damaged database: %v, want EDamaged", err)
	}
	if _, err := s.Apply(ctx, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Ana"}); queue.ErrorCode(err) != queue.EDamaged {
		t.Fatalf("staff action on a damaged database: %v, want EDamaged", err)
	}
}

func TestDamageSeenAtRunTimeStopsTheStore(t *testing.T) {
	s, _ := damagedStore(t)
	ctx := context.Background()
	// No check first: the board's read meets the damage.
	if _, err := s.Board(ctx); queue.ErrorCode(err) != queue.EDamaged {
		t.Fatalf("board: %v, want EDamaged", err)
	}
	if s.Damage() == nil {
		t.Fatal("the store does not remember the damage")
	}
}

func TestCheckInMeetingDamageIsRefusedAsDamage(t *testing.T) {
	s, _ := damagedStore(t)
	// The check-in is the first thing to touch the damaged table: it
	// fails as "malformed" or as a foreign key it cannot read, and both
	// are told as damage.
	_, err := s.CheckIn(context.Background(), queue.CheckInForm{Name: "Dee", Service: "registration"}, queue.SourceKiosk)
	if queue.ErrorCode(err) != queue.EDamaged {
		t.Fatalf("check-in: %v, want EDamaged", err)
	}
}

func TestQuickCheckOfASoundStore(t *testing.T) {
	s := mustOpenStore(t, "", newClock())
	mustCheckIn(t, s, "Ada", "registration")
	if problems, err := s.QuickCheck(context.Background()); err != nil || len(problems) > 0 {
		t.Fatalf("quick check of a sound store = %q, %v", problems, err)
	}
	if s.Damage() != nil {
		t.Fatal("a sound store says it is damaged")
	}
}

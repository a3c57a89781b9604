package queue_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
)

// lastMutation is the newest change waiting for the centre, decoded.
func lastMutation(t *testing.T, s *queue.Store) queue.Mutation {
	t.Helper()
	pending, err := s.PendingOutbox(context.Background(), 1000)
	if err != nil || len(pending) == 0 {
		t.Fatalf("outbox: %d, %v", len(pending), err)
	}
	var m queue.Mutation
	if err := json.Unmarshal(pending[len(pending)-1].Payload, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCheckOutRecordsItsProof: every way out records how it was proved,
// on the visit and in the change the centre gets.
func TestCheckOutRecordsItsProof(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	checkIn := func(name, phone string) queue.Ticket {
		t.Helper()
		tk, err := s.CheckIn(ctx, queue.CheckInForm{Name: name, Service: "registration", Phone: phone}, queue.SourceKiosk)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	scanned, phoned, typed, staffed, closed := checkIn("Ana", ""), checkIn("Bo", "+34 600 123 456"), checkIn("Cy", ""), checkIn("Di", ""), checkIn("Ed", "")

	check := func(tk queue.Ticket, want queue.Proof) {
		t.Helper()
		v, err := s.Visit(ctx, tk.Visit.ID)
		if err != nil || v.LeftAt.IsZero() || v.LeftProof != want {
			t.Fatalf("%s: left %v with proof %q (%v); want %q", tk.Visit.Ticket, v.LeftAt, v.LeftProof, err, want)
		}
	}
	sent := func(want queue.Proof) {
		t.Helper()
		if m := lastMutation(t, s); m.Kind != queue.KindCheckOut || m.Visit == nil || m.Visit.LeftProof != want {
			t.Fatalf("the change for the centre: %s %+v; want a check-out with proof %q", m.Kind, m.Visit, want)
		}
	}

	v, verified, err := s.FindForCheckOut(ctx, scanned.Ref)
	if err != nil || !verified {
		t.Fatalf("find by QR: %v, %v", verified, err)
	}
	if _, err := s.CheckOutVisit(ctx, v.ID, queue.SourceKiosk, queue.ProofQR); err != nil {
		t.Fatal(err)
	}
	check(scanned, queue.ProofQR)
	sent(queue.ProofQR)

	if _, err := s.CheckOutByPhone(ctx, phoned.Visit.ID, "3456"); err != nil {
		t.Fatal(err)
	}
	check(phoned, queue.ProofPhone)
	sent(queue.ProofPhone)

	if _, err := s.CheckOutVisit(ctx, typed.Visit.ID, queue.SourceKiosk, queue.ProofSelf); err != nil {
		t.Fatal(err)
	}
	check(typed, queue.ProofSelf)
	sent(queue.ProofSelf)

	if _, err := s.CheckOutVisits(ctx, []int64{staffed.Visit.ID}, "Carmen"); err != nil {
		t.Fatal(err)
	}
	check(staffed, queue.ProofStaff)
	sent(queue.ProofStaff)

	if _, err := s.CloseDay(ctx); err != nil {
		t.Fatal(err)
	}
	check(closed, queue.ProofClose)

	// A caller may not state the proofs the store checks or makes itself.
	other := checkIn("Flo", "600 999 888")
	for _, p := range []queue.Proof{queue.ProofPhone, queue.ProofClose, "", "vibes"} {
		if _, err := s.CheckOutVisit(ctx, other.Visit.ID, queue.SourceKiosk, p); err == nil {
			t.Errorf("checked out with the stated proof %q", p)
		}
	}
	// The CLI's checkout is staff's, whatever was typed or scanned.
	if _, err := s.CheckOut(ctx, other.Ref, "it-ops"); err != nil {
		t.Fatal(err)
	}
	check(other, queue.ProofStaff)
}

// TestWrongDigitsNeverCheckOut: a wrong answer checks nobody out, says
// how many tries are left and nothing of the phone; after MaxPhoneTries
// the visit cannot be checked out by a typed number at all, with or
// without digits, until staff (or the QR code) do it.
func TestWrongDigitsNeverCheckOut(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	tk, err := s.CheckIn(ctx, queue.CheckInForm{Name: "Bo", Service: "registration", Phone: "+34 600 12-34 56"}, queue.SourceKiosk)
	if err != nil {
		t.Fatal(err)
	}
	id := tk.Visit.ID
	stillIn := func() {
		t.Helper()
		if v, _ := s.Visit(ctx, id); !v.LeftAt.IsZero() {
			t.Fatalf("checked out: %+v", v)
		}
	}

	// Not four digits: asked again, not counted.
	for _, typed := range []string{"", "345", "34567", "34a6", "३४५६"} {
		_, err := s.CheckOutByPhone(ctx, id, typed)
		var e *queue.Error
		if !errors.As(err, &e) || e.Code != queue.EInvalid || e.Key != "error.checkout.digits" {
			t.Errorf("%q: %v; want error.checkout.digits", typed, err)
		}
		stillIn()
	}
	for i, typed := range []string{"0000", "6543", "3455"} {
		_, err := s.CheckOutByPhone(ctx, id, typed)
		var e *queue.Error
		if !errors.As(err, &e) {
			t.Fatalf("try %d (%s): %v", i+1, typed, err)
		}
		stillIn()
		left := queue.MaxPhoneTries - i - 1
		switch {
		case left > 0 && (e.Code != queue.EInvalid || e.Key != "error.checkout.digits.wrong" || e.Args["Left"] != left):
			t.Errorf("try %d: %+v; want error.checkout.digits.wrong with %d left", i+1, e, left)
		case left == 0 && (e.Code != queue.ELocked || e.Key != "error.checkout.locked"):
			t.Errorf("last try: %+v; want error.checkout.locked", e)
		}
		if strings.Contains(e.Text(), "3456") || strings.Contains(e.Text(), "600") {
			t.Errorf("the answer tells of the phone: %q", e.Text())
		}
	}
	// Locked: the right digits, the typed number and a self-declared
	// check-out are all refused; the count is in the database, so a new
	// screen (or a restart) does not reset it.
	if _, err := s.CheckOutByPhone(ctx, id, "3456"); queue.ErrorCode(err) != queue.ELocked {
		t.Errorf("the right digits after the lock: %v", err)
	}
	if _, _, err := s.FindForCheckOut(ctx, tk.Visit.Ticket); queue.ErrorCode(err) != queue.ELocked {
		t.Errorf("the typed number after the lock: %v", err)
	}
	if _, err := s.CheckOutVisit(ctx, id, queue.SourceKiosk, queue.ProofSelf); queue.ErrorCode(err) != queue.ELocked {
		t.Errorf("self-declared after the lock: %v", err)
	}
	stillIn()
	// The QR code still proves it, and staff may check them out.
	if _, verified, err := s.FindForCheckOut(ctx, tk.Ref); err != nil || !verified {
		t.Errorf("the QR code after the lock: %v, %v", verified, err)
	}
	if _, err := s.CheckOutVisits(ctx, []int64{id}, "Carmen"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Visit(ctx, id); v.LeftProof != queue.ProofStaff {
		t.Errorf("proof %q, want staff", v.LeftProof)
	}

	// A visit without a phone cannot be proved by one.
	none, err := s.CheckIn(ctx, queue.CheckInForm{Name: "Cy", Service: "registration"}, queue.SourceKiosk)
	if err != nil {
		t.Fatal(err)
	}
	if none.Visit.CanProveByPhone() {
		t.Error("a visit without a phone can be proved by one")
	}
	if _, err := s.CheckOutByPhone(ctx, none.Visit.ID, "0000"); queue.ErrorCode(err) != queue.ELocked {
		t.Errorf("digits for a visit without a phone: %v", err)
	}
}

// TestLeftTodayListsCheckOutsWithProof: the roster's companion list, and
// its CSV rows after the people on site, with no person number.
func TestLeftTodayListsCheckOutsWithProof(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	yesterday := mustCheckIn(t, s, "Old", "registration")
	if _, err := s.CheckOutVisit(ctx, yesterday.Visit.ID, "Carmen", queue.ProofStaff); err != nil {
		t.Fatal(err)
	}
	c.Advance(24 * time.Hour)
	ana := mustCheckIn(t, s, "Ana", "registration")
	bo := mustCheckIn(t, s, "Bo", "registration")
	mustCheckIn(t, s, "Cy", "registration")
	c.Advance(time.Minute)
	if _, err := s.CheckOutVisit(ctx, bo.Visit.ID, queue.SourceKiosk, queue.ProofSelf); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	if _, err := s.CheckOutVisit(ctx, ana.Visit.ID, queue.SourceKiosk, queue.ProofQR); err != nil {
		t.Fatal(err)
	}
	left, err := s.LeftToday(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range left {
		got = append(got, v.Ticket+":"+string(v.LeftProof))
	}
	if g := strings.Join(got, " "); g != "R-002:self R-001:qr" {
		t.Fatalf("left today %s; want R-002:self R-001:qr, in the order they left", g)
	}
	roster, err := s.Roster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := queue.WriteRosterCSV(&out, roster, left, time.UTC); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range recs[1:] {
		rows = append(rows, strings.Join([]string{r[0], r[7], r[8], r[9]}, "|"))
	}
	if g, want := strings.Join(rows, " "), "R-003|1|| R-002||2026-11-24 09:01|self R-001||2026-11-24 09:02|qr"; g != want {
		t.Errorf("CSV rows (ticket|person|checked_out|proof)\n%s\nwant\n%s", g, want)
	}
	if strings.Join(recs[0][7:], ",") != "person,checked_out,proof" {
		t.Errorf("header %v", recs[0])
	}
}

// TestPurgeKeepsTheProof: the proof is not personal data.
func TestPurgeKeepsTheProof(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	tk, err := s.CheckIn(ctx, queue.CheckInForm{Name: "Bo", Service: "registration", Phone: "600 123 456"}, queue.SourceKiosk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckOutByPhone(ctx, tk.Visit.ID, "3456"); err != nil {
		t.Fatal(err)
	}
	c.Advance(40 * 24 * time.Hour)
	if p, err := s.Purge(ctx, c.Now().Add(-queue.DefaultRetention)); err != nil || p.Visits != 1 {
		t.Fatalf("purge %+v, %v", p, err)
	}
	v, err := s.Visit(ctx, tk.Visit.ID)
	if err != nil || v.Name != "" || v.Phone != "" || v.LeftProof != queue.ProofPhone {
		t.Fatalf("after the purge: %+v, %v; want no name or phone, and the proof kept", v, err)
	}
}

func TestAskedFieldsFollowWhatIsConfigured(t *testing.T) {
	for _, tc := range []struct {
		c    queue.FormConfig
		want queue.FormFields
	}{
		{queue.FormConfig{}, queue.FormFields{Host: true}},
		{queue.FormConfig{PhoneProof: true}, queue.FormFields{Host: true, Phone: true}},
		{queue.FormConfig{Centre: true}, queue.FormFields{Host: true, Invite: true}},
		{queue.FormConfig{PhoneProof: true, Centre: true}, queue.FormFields{Host: true, Phone: true, Invite: true}},
	} {
		if got := queue.AskedFields(tc.c); got != tc.want {
			t.Errorf("AskedFields(%+v) = %+v, want %+v", tc.c, got, tc.want)
		}
	}
}

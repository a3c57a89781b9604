package queue_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lobbyline/queue"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func testOptions(c *clock) queue.Options {
	return queue.Options{
		KioskID: "lobby-1",
		Services: []queue.Service{
			{ID: "registration", Prefix: "R", Name: "Registration", DefaultWait: 10 * time.Minute},
			{ID: "pharmacy", Prefix: "P", Name: "Pharmacy pick-up", DefaultWait: 5 * time.Minute},
			{ID: "visit", Prefix: "V", Name: "Visit a patient"},
		},
		Desks: []queue.Desk{
			{ID: "desk-1", Name: "Desk 1", Services: []string{"registration", "visit"}},
			{ID: "desk-2", Name: "Desk 2", Services: []string{"pharmacy", "registration"}},
		},
		FallbackWait: 15 * time.Minute,
		Now:          c.Now,
		Location:     time.UTC,
	}
}

func mustOpenStore(tb testing.TB, path string, c *clock) *queue.Store {
	tb.Helper()
	if path == "" {
		path = filepath.Join(tb.TempDir(), "kiosk.db")
	}
	s, err := queue.Open(context.Background(), path, testOptions(c))
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func mustCheckIn(tb testing.TB, s *queue.Store, name, service string) queue.Ticket {
	tb.Helper()
	t, err := s.CheckIn(context.Background(), queue.CheckInForm{Name: name, Service: service}, queue.SourceKiosk)
	if err != nil {
		tb.Fatalf("check in %s: %v", name, err)
	}
	return t
}

func mustApply(tb testing.TB, s *queue.Store, cmd queue.Command) queue.Visit {
	tb.Helper()
	v, err := s.Apply(context.Background(), cmd)
	if err != nil {
		tb.Fatalf("%s: %v", cmd.Action, err)
	}
	return v
}

// formCases double as fuzz seeds.
var formCases = []struct {
	name  string
	form  queue.CheckInForm
	field string // "" means valid
}{
	{"plain", queue.CheckInForm{Name: "Ana García", Service: "registration"}, ""},
	{"umlaut", queue.CheckInForm{Name: "Zoë", Service: "registration"}, ""},
	{"chinese", queue.CheckInForm{Name: "李雷", Service: "registration"}, ""},
	{"apostrophe", queue.CheckInForm{Name: "O'Brien", Service: "registration"}, ""},
	{"vietnamese", queue.CheckInForm{Name: "Nguyễn", Service: "registration"}, ""},
	{"phone ok", queue.CheckInForm{Name: "Ana", Service: "pharmacy", Phone: "+34 600 123 456"}, ""},
	{"phone dashes", queue.CheckInForm{Name: "Ana", Service: "pharmacy", Phone: "(555) 123-4567"}, ""},
	{"host", queue.CheckInForm{Name: "Ana", Service: "visit", Host: "Dr. Okafor, ward 3"}, ""},
	{"100 chars", queue.CheckInForm{Name: strings.Repeat("é", 100), Service: "registration"}, ""},
	{"empty name", queue.CheckInForm{Name: "", Service: "registration"}, "name"},
	{"blank name", queue.CheckInForm{Name: "   \t ", Service: "registration"}, "name"},
	{"101 chars", queue.CheckInForm{Name: strings.Repeat("a", 101), Service: "registration"}, "name"},
	{"newline", queue.CheckInForm{Name: "Ana\nDROP", Service: "registration"}, "name"},
	{"nul", queue.CheckInForm{Name: "Ana\x00", Service: "registration"}, "name"},
	{"escape", queue.CheckInForm{Name: "Ana\x1b[31m", Service: "registration"}, "name"},
	{"bad utf8", queue.CheckInForm{Name: "Ana\xff", Service: "registration"}, "name"},
	{"no service", queue.CheckInForm{Name: "Ana"}, "service"},
	{"unknown service", queue.CheckInForm{Name: "Ana", Service: "surgery"}, "service"},
	{"host control", queue.CheckInForm{Name: "Ana", Service: "visit", Host: "Dr\tX"}, "host"},
	{"phone letters", queue.CheckInForm{Name: "Ana", Service: "pharmacy", Phone: "call me"}, "phone"},
	{"phone short", queue.CheckInForm{Name: "Ana", Service: "pharmacy", Phone: "12345"}, "phone"},
	{"phone long", queue.CheckInForm{Name: "Ana", Service: "pharmacy", Phone: "1234567890123456"}, "phone"},
	{"phone plus inside", queue.CheckInForm{Name: "Ana", Service: "pharmacy", Phone: "600+123456"}, "phone"},
	// Invisible format characters (Unicode Cf) move or hide text on staff
	// screens; only the joiners some scripts need are allowed.
	{"right-to-left override", queue.CheckInForm{Name: "Ana \u202Enicrag", Service: "registration"}, "name"},
	{"left-to-right override", queue.CheckInForm{Name: "Ana\u202D", Service: "registration"}, "name"},
	{"embedding", queue.CheckInForm{Name: "\u202AAna\u202C", Service: "registration"}, "name"},
	{"right-to-left mark", queue.CheckInForm{Name: "Ana\u200F", Service: "registration"}, "name"},
	{"left-to-right mark", queue.CheckInForm{Name: "\u200EAna", Service: "registration"}, "name"},
	{"arabic letter mark", queue.CheckInForm{Name: "Ana\u061C", Service: "registration"}, "name"},
	{"isolate", queue.CheckInForm{Name: "\u2067Ana\u2069", Service: "registration"}, "name"},
	{"first strong isolate", queue.CheckInForm{Name: "\u2068Ana", Service: "registration"}, "name"},
	{"zero-width space", queue.CheckInForm{Name: "A\u200Bna", Service: "registration"}, "name"},
	{"byte-order mark", queue.CheckInForm{Name: "\uFEFFAna", Service: "registration"}, "name"},
	{"soft hyphen", queue.CheckInForm{Name: "An\u00ADa", Service: "registration"}, "name"},
	{"host override", queue.CheckInForm{Name: "Ana", Service: "visit", Host: "Dr \u202EziuR"}, "host"},
	{"host zero-width space", queue.CheckInForm{Name: "Ana", Service: "visit", Host: "Dr\u200B Ruiz"}, "host"},
	{"persian non-joiner", queue.CheckInForm{Name: "مهر\u200Cنوش", Service: "registration"}, ""},
	{"devanagari joiner", queue.CheckInForm{Name: "क्\u200Dष", Service: "registration"}, ""},
	{"arabic", queue.CheckInForm{Name: "زينب", Service: "registration"}, ""},
	{"hebrew", queue.CheckInForm{Name: "נועה", Service: "registration"}, ""},
}

func TestCheckInValidation(t *testing.T) {
	s := mustOpenStore(t, "", newClock())
	for _, tc := range formCases {
		t.Run(tc.name, func(t *testing.T) {
			tk, err := s.CheckIn(context.Background(), tc.form, queue.SourceKiosk)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("want accepted, got %v", err)
				}
				got, err := s.Visit(context.Background(), tk.Visit.ID)
				if err != nil {
					t.Fatal(err)
				}
				want := tc.form.Normalize()
				if got.Name != want.Name || got.Host != want.Host || got.Phone != want.Phone {
					t.Fatalf("stored %q/%q/%q, want %q/%q/%q", got.Name, got.Host, got.Phone, want.Name, want.Host, want.Phone)
				}
				return
			}
			var qe *queue.Error
			if !errors.As(err, &qe) || qe.Code != queue.EInvalid || qe.Field != tc.field {
				t.Fatalf("want invalid %s, got %#v", tc.field, err)
			}
			if qe.Key == "" || qe.Text() == "" || strings.Contains(qe.Text(), "{{") {
				t.Fatalf("error needs a key and a filled message: %#v", qe)
			}
		})
	}
}

func FuzzCheckInForm(f *testing.F) {
	for _, tc := range formCases {
		f.Add(tc.form.Name, tc.form.Service, tc.form.Host, tc.form.Phone)
	}
	s := mustOpenStore(f, "", newClock())
	f.Fuzz(func(t *testing.T, name, service, host, phone string) {
		form := queue.CheckInForm{Name: name, Service: service, Host: host, Phone: phone}
		tk, err := s.CheckIn(context.Background(), form, queue.SourceKiosk)
		if err != nil {
			if code := queue.ErrorCode(err); code != queue.EInvalid {
				t.Fatalf("bad input must be EInvalid, got %s: %v", code, err)
			}
			return
		}
		got, err := s.Visit(context.Background(), tk.Visit.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != form.Normalize().Name {
			t.Fatalf("stored name %q, want %q", got.Name, form.Normalize().Name)
		}
		if i := strings.IndexFunc(got.Name+got.Host, queue.HiddenRune); i >= 0 {
			t.Fatalf("stored %q / %q with a hidden character", got.Name, got.Host)
		}
	})
}

// A hidden character cannot be pointed at, so its message names the field.
func TestHiddenCharacterMessagesNameTheField(t *testing.T) {
	s := mustOpenStore(t, "", newClock())
	cases := []struct {
		form      queue.CheckInForm
		key, text string
	}{
		{queue.CheckInForm{Name: "Zoë \u202Eneirb'O", Service: "registration"}, "error.name.hidden", "Your name holds an invisible"},
		{queue.CheckInForm{Name: "Zoë", Service: "visit", Host: "\u2066Dr Ruiz\u2069"}, "error.host.hidden", "The name of whom you visit holds an invisible"},
	}
	for _, tc := range cases {
		_, err := s.CheckIn(context.Background(), tc.form, queue.SourceKiosk)
		var qe *queue.Error
		if !errors.As(err, &qe) || qe.Key != tc.key || !strings.HasPrefix(qe.Text(), tc.text) {
			t.Errorf("check in %+q: %v, want %s %q", tc.form, err, tc.key, tc.text)
		}
	}
	_, err := s.Apply(context.Background(), queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Carmen\u202E"})
	var qe *queue.Error
	if !errors.As(err, &qe) || qe.Key != "error.staff.hidden" || qe.Field != "staff" {
		t.Errorf("open desk as a staff name with an override: %v", err)
	}
}

var hiddenRuneCases = []struct {
	r      rune
	hidden bool
}{
	{'a', false}, {'é', false}, {' ', false}, {'\'', false}, {'-', false}, {'李', false}, {'ز', false},
	{'\u200C', false}, {'\u200D', false}, // joiners some scripts need
	{'\uFE0F', false}, // a variation selector is a mark, not a format character
	{'\u200B', true}, {'\u200E', true}, {'\u200F', true}, {'\u061C', true},
	{'\u202A', true}, {'\u202B', true}, {'\u202C', true}, {'\u202D', true}, {'\u202E', true},
	{'\u2066', true}, {'\u2067', true}, {'\u2068', true}, {'\u2069', true},
	{'\u2060', true}, {'\uFEFF', true}, {'\u00AD', true}, {'\U000E0041', true},
}

// The lobby message staff write is screen text too.
func TestLobbyMessageRefusesHiddenCharacters(t *testing.T) {
	s := mustOpenStore(t, "", newClock())
	for _, text := range []string{"Lift B \u202Eis closed", "\uFEFFLift B is closed", "Lift\u200B B"} {
		_, err := s.PublishMessage(context.Background(), queue.LobbyMessage{Texts: map[string]string{"en": text}, PublishedBy: "Carmen"})
		var qe *queue.Error
		if !errors.As(err, &qe) || qe.Code != queue.EInvalid || qe.Field != "message" {
			t.Errorf("publish %+q: %v", text, err)
		}
	}
	if _, err := s.PublishMessage(context.Background(), queue.LobbyMessage{Texts: map[string]string{"en": "Lift B is closed.\nUse lift A."}, PublishedBy: "Carmen"}); err != nil {
		t.Errorf("a plain message: %v", err)
	}
}

// A pre-registration imported before the centre refused hidden characters
// checks in without them.
func TestInviteNameLosesHiddenCharacters(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t, "", newClock())
	pre := queue.PreRegistration{Code: "AB12-CD34", Name: "Zoë \u202Eneirb'O", Host: "Dr\u200B Ruiz", Expected: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	if err := s.ApplyPull(ctx, queue.PullPage{Cursor: 1, Records: []queue.RemoteRecord{remote(t, queue.EntityPreReg, pre.Code, 1, pre)}}); err != nil {
		t.Fatal(err)
	}
	tk, err := s.CheckIn(ctx, queue.CheckInForm{Invite: "AB12-CD34", Service: "visit"}, queue.SourceKiosk)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Visit.Name != "Zoë neirb'O" || tk.Visit.Host != "Dr Ruiz" {
		t.Errorf("checked in as %q visiting %q", tk.Visit.Name, tk.Visit.Host)
	}
}

func TestHiddenRune(t *testing.T) {
	for _, tc := range hiddenRuneCases {
		if got := queue.HiddenRune(tc.r); got != tc.hidden {
			t.Errorf("HiddenRune(%U) = %v, want %v", tc.r, got, tc.hidden)
		}
	}
}

func TestTicketNumbers(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s := mustOpenStore(t, path, c)
	var got []string
	for _, svc := range []string{"registration", "registration", "pharmacy", "registration"} {
		got = append(got, mustCheckIn(t, s, "Ana", svc).Visit.Ticket)
	}
	s.Close()

	// A restart continues the day's sequence.
	s = mustOpenStore(t, path, c)
	got = append(got, mustCheckIn(t, s, "Ana", "registration").Visit.Ticket)
	// A new day, after the close, starts again at 1.
	if _, err := s.CloseDay(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.Advance(24 * time.Hour)
	got = append(got, mustCheckIn(t, s, "Ana", "registration").Visit.Ticket)
	// With no close (a lobby open round the clock) a number still in the
	// room is passed over: R-001 is waiting since this morning.
	c.Advance(24 * time.Hour)
	got = append(got, mustCheckIn(t, s, "Ana", "registration").Visit.Ticket)

	want := []string{"R-001", "R-002", "P-001", "R-003", "R-004", "R-001", "R-002"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("tickets %v, want %v", got, want)
	}
}

func TestTicketShowsPositionAndEstimate(t *testing.T) {
	s := mustOpenStore(t, "", newClock())
	mustCheckIn(t, s, "Ana", "registration")
	tk := mustCheckIn(t, s, "Ben", "registration")
	if tk.Position != 2 {
		t.Fatalf("position %d, want 2", tk.Position)
	}
	if tk.Estimate.Wait <= 0 || tk.Estimate.Low > tk.Estimate.Wait || tk.Estimate.High < tk.Estimate.Wait {
		t.Fatalf("estimate %+v is not a sensible range", tk.Estimate)
	}
	if !strings.HasPrefix(tk.Ref, "LL1.lobby-1.") {
		t.Fatalf("ref %q", tk.Ref)
	}
}

func TestTwoConnectionsNeverShareATicket(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	a := mustOpenStore(t, path, c)
	b := mustOpenStore(t, path, c)
	const each = 40
	var wg sync.WaitGroup
	tickets := make(chan string, 2*each)
	for _, s := range []*queue.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				tk, err := s.CheckIn(context.Background(), queue.CheckInForm{Name: "Ana", Service: "registration"}, queue.SourceCLI)
				if err != nil {
					t.Error(err)
					return
				}
				tickets <- tk.Visit.Ticket
			}
		}()
	}
	wg.Wait()
	close(tickets)
	seen := map[string]bool{}
	for tk := range tickets {
		if seen[tk] {
			t.Fatalf("ticket %s issued twice", tk)
		}
		seen[tk] = true
	}
	if len(seen) != 2*each {
		t.Fatalf("%d tickets, want %d", len(seen), 2*each)
	}
}

func TestStaffFlow(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	ana := mustCheckIn(t, s, "Ana", "registration")
	c.Advance(time.Minute)
	ben := mustCheckIn(t, s, "Ben", "registration")
	c.Advance(time.Minute)
	cid := mustCheckIn(t, s, "Cid", "pharmacy")

	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	called := mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"})
	if called.ID != ana.Visit.ID || called.Status != queue.StatusCalled || called.Desk != "desk-1" {
		t.Fatalf("call next gave %+v, want Ana called at desk-1", called)
	}
	if v := mustApply(t, s, queue.Command{Action: queue.ActRecall, Desk: "desk-1", Staff: "Marta"}); v.Recalls != 1 {
		t.Fatalf("recalls %d", v.Recalls)
	}
	// Calling next ends Ana's visit and calls Ben.
	called = mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"})
	if called.ID != ben.Visit.ID {
		t.Fatalf("second call gave %s", called.Ticket)
	}
	if v, _ := s.Visit(ctx, ana.Visit.ID); v.Status != queue.StatusServed {
		t.Fatalf("Ana is %s, want served", v.Status)
	}
	mustApply(t, s, queue.Command{Action: queue.ActNoShow, Visit: ben.Visit.ID, Staff: "Marta"})

	// Transfer Cid from pharmacy to registration and call them at desk 1.
	v := mustApply(t, s, queue.Command{Action: queue.ActTransfer, Visit: cid.Visit.ID, Service: "registration", Staff: "Marta"})
	if v.Service != "registration" || v.Ticket != cid.Visit.Ticket {
		t.Fatalf("transfer gave %+v", v)
	}
	called = mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"})
	if called.ID != cid.Visit.ID {
		t.Fatalf("call after transfer gave %s", called.Ticket)
	}
	mustApply(t, s, queue.Command{Action: queue.ActServe, Visit: cid.Visit.ID, Staff: "Marta"})
	mustApply(t, s, queue.Command{Action: queue.ActCloseDesk, Desk: "desk-1", Staff: "Marta"})

	b, err := s.Board(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.WaitingCount() != 0 || b.Desks[0].Open {
		t.Fatalf("board after the day: %+v", b)
	}
}

func TestPrioritizeMovesToFront(t *testing.T) {
	c := newClock()
	s := mustOpenStore(t, "", c)
	var last queue.Ticket
	for _, n := range []string{"Ana", "Ben", "Cid"} {
		last = mustCheckIn(t, s, n, "registration")
		c.Advance(time.Second)
	}
	mustApply(t, s, queue.Command{Action: queue.ActPrioritize, Visit: last.Visit.ID, Staff: "Marta"})
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Marta"})
	b, err := s.Board(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	first := b.Lines[0].Waiting[0]
	if first.Visit.Name != "Cid" || first.Position != 1 || !first.Visit.Priority {
		t.Fatalf("front of line is %+v", first)
	}
	if v := mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-2", Staff: "Marta"}); v.Name != "Cid" {
		t.Fatalf("called %s, want Cid", v.Name)
	}
}

// TestInvalidTransitionsChangeNothing checks each refused action leaves the
// visits, desks, event log and outbox exactly as they were.
func TestInvalidTransitionsChangeNothing(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	// Desk 2 (pharmacy, registration) is open and serving Ana; Cid waits
	// for a visit, which only the closed desk 1 serves.
	mustCheckIn(t, s, "Ana", "registration")
	cancelled := mustCheckIn(t, s, "Ben", "pharmacy").Visit
	waiting := mustCheckIn(t, s, "Cid", "visit").Visit
	mustApply(t, s, queue.Command{Action: queue.ActCancel, Visit: cancelled.ID, Staff: "Marta"})
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-2", Staff: "Marta"})
	atDesk := mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-2", Staff: "Marta"})

	cases := []struct {
		name string
		cmd  queue.Command
		code string
	}{
		{"serve cancelled", queue.Command{Action: queue.ActServe, Visit: cancelled.ID}, queue.EConflict},
		{"serve waiting", queue.Command{Action: queue.ActServe, Visit: waiting.ID}, queue.EConflict},
		{"no-show waiting", queue.Command{Action: queue.ActNoShow, Visit: waiting.ID}, queue.EConflict},
		{"cancel cancelled", queue.Command{Action: queue.ActCancel, Visit: cancelled.ID}, queue.EConflict},
		{"call from closed desk", queue.Command{Action: queue.ActCallNext, Desk: "desk-1"}, queue.EConflict},
		{"call when nobody waits", queue.Command{Action: queue.ActCallNext, Desk: "desk-2"}, queue.EConflict},
		{"call unknown desk", queue.Command{Action: queue.ActCallNext, Desk: "desk-9"}, queue.ENotFound},
		{"recall idle desk", queue.Command{Action: queue.ActRecall, Desk: "desk-1"}, queue.EConflict},
		{"close busy desk", queue.Command{Action: queue.ActCloseDesk, Desk: "desk-2"}, queue.EConflict},
		{"close closed desk", queue.Command{Action: queue.ActCloseDesk, Desk: "desk-1"}, queue.EConflict},
		{"open desk without staff", queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1"}, queue.EInvalid},
		{"prioritize called", queue.Command{Action: queue.ActPrioritize, Visit: atDesk.ID}, queue.EConflict},
		{"transfer to same", queue.Command{Action: queue.ActTransfer, Visit: waiting.ID, Service: "visit"}, queue.EConflict},
		{"transfer to unknown", queue.Command{Action: queue.ActTransfer, Visit: waiting.ID, Service: "surgery"}, queue.ENotFound},
		{"unknown visit", queue.Command{Action: queue.ActServe, Visit: 999}, queue.ENotFound},
		{"unknown action", queue.Command{Action: "dance"}, queue.EInvalid},
		{"staff name with control", queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "M\x00"}, queue.EInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := dump(t, s)
			_, err := s.Apply(ctx, tc.cmd)
			if got := queue.ErrorCode(err); got != tc.code {
				t.Fatalf("code %q (%v), want %q", got, err, tc.code)
			}
			if after := dump(t, s); after != before {
				t.Fatalf("state changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// dump summarises everything an action could change.
func dump(t *testing.T, s *queue.Store) string {
	t.Helper()
	b, err := s.Board(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, d := range b.Desks {
		fmt.Fprintf(&sb, "%s open=%v staff=%s serving=%v; ", d.Desk.ID, d.Open, d.Staff, d.Serving != nil)
	}
	for _, l := range b.Lines {
		for _, w := range l.Waiting {
			fmt.Fprintf(&sb, "%s@%d; ", w.Visit.Ticket, w.Position)
		}
	}
	out, err := s.PendingOutbox(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&sb, "outbox=%d", len(out))
	return sb.String()
}

func TestEveryChangeHasAnOutboxRow(t *testing.T) {
	s := mustOpenStore(t, "", newClock())
	tk := mustCheckIn(t, s, "Zoë", "registration")
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"})
	out, err := s.PendingOutbox(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range out {
		kinds = append(kinds, e.Kind)
	}
	if fmt.Sprint(kinds) != "[check_in desk_open call]" {
		t.Fatalf("outbox kinds %v", kinds)
	}
	if !strings.Contains(string(out[0].Payload), `"Name":"Zoë"`) || !strings.Contains(string(out[0].Payload), tk.Visit.Ticket) {
		t.Fatalf("check-in payload %s", out[0].Payload)
	}
	if out[0].Seq >= out[1].Seq || out[1].Seq >= out[2].Seq {
		t.Fatalf("outbox not in order: %+v", out)
	}
}

func TestVerifyTicket(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := mustOpenStore(t, "", c)
	other := mustOpenStore(t, "", c) // same kiosk ID, different secret
	tk := mustCheckIn(t, s, "Ana", "registration")
	mustCheckIn(t, s, "Ben", "registration")

	if v, err := s.VerifyTicket(ctx, tk.Ref); err != nil || v.ID != tk.Visit.ID {
		t.Fatalf("genuine ticket: %v, %v", v, err)
	}
	forgeries := map[string]string{
		"other ticket number": strings.Replace(tk.Ref, "R-001", "R-002", 1),
		"other visit":         strings.Replace(tk.Ref, fmt.Sprintf(".%d.", tk.Visit.ID), ".2.", 1),
		"cut":                 tk.Ref[:len(tk.Ref)-3],
		"garbage":             "hello",
		"empty":               "",
	}
	for name, ref := range forgeries {
		if _, err := s.VerifyTicket(ctx, ref); queue.ErrorCode(err) != queue.EInvalid {
			t.Errorf("%s: want forged, got %v", name, err)
		}
	}
	if _, err := other.VerifyTicket(ctx, tk.Ref); queue.ErrorCode(err) != queue.EInvalid {
		t.Errorf("another kiosk's secret accepted the ticket: %v", err)
	}
	if found, err := s.Find(ctx, tk.Ref); err != nil || len(found) != 1 || found[0].ID != tk.Visit.ID {
		t.Fatalf("find by QR ref: %v, %v", found, err)
	}
}

func TestFind(t *testing.T) {
	s := mustOpenStore(t, "", newClock())
	mustCheckIn(t, s, "Ana García", "registration")
	mustCheckIn(t, s, "100% Ben", "pharmacy")
	mustCheckIn(t, s, "Zoë O'Brien", "registration")
	mustCheckIn(t, s, "Zoe Ng", "pharmacy")
	mustCheckIn(t, s, "Li Lei", "visit")
	if _, err := s.CheckIn(context.Background(), queue.CheckInForm{Name: "Bo", Service: "visit", Host: "Dr. Ruiz-Peña"}, queue.SourceKiosk); err != nil {
		t.Fatal(err)
	}
	// Case, accents and punctuation are all forgiven, as watch-list
	// matching forgives them.
	cases := map[string]int{"garcia": 1, "GARCÍA": 1, "García": 1, "garcias": 0, "r-001": 1, "P-001": 1, "100%": 1, "%": 1, "_": 0, "nobody": 0, "": 0,
		"zoe obrien": 1, "ZOE O'BRIEN": 1, "Zoë O’Brien": 1, "o'brien": 1, "obrien": 1, "zoe": 2, "zoë": 2, "  zoe   o'brien ": 1,
		"dr ruiz pena": 1, "ruiz-pena": 1, "li lei": 1, "lilei": 0, "'": 1}
	for q, want := range cases {
		got, err := s.Find(context.Background(), q)
		if err != nil || len(got) != want {
			t.Errorf("find %q: %d results (%v), want %d", q, len(got), err, want)
		}
	}
}

func TestHashPINRejectsBadPINs(t *testing.T) {
	for _, pin := range []string{"", "123", "1234567890123", "12a4", "١٢٣٤"} {
		if _, err := queue.HashPIN(pin); queue.ErrorCode(err) != queue.EInvalid {
			t.Errorf("HashPIN(%q) = %v, want invalid", pin, err)
		}
	}
}

func TestReopenWithOtherKioskIDFails(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	mustOpenStore(t, path, c).Close()
	opts := testOptions(c)
	opts.KioskID = "lobby-2"
	if _, err := queue.Open(context.Background(), path, opts); err == nil || !strings.Contains(err.Error(), "lobby-1") {
		t.Fatalf("want kiosk mismatch error, got %v", err)
	}
	opts.KioskID = "Bad Id!"
	if _, err := queue.Open(context.Background(), path, opts); err == nil {
		t.Fatal("bad kiosk id accepted")
	}
}

func TestExportDay(t *testing.T) {
	c := newClock()
	s := mustOpenStore(t, "", c)
	mustCheckIn(t, s, "Ana, \"the\" first", "registration")
	mustApply(t, s, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Marta"})
	c.Advance(7 * time.Minute)
	mustApply(t, s, queue.Command{Action: queue.ActCallNext, Desk: "desk-1", Staff: "Marta"})
	var buf bytes.Buffer
	if err := s.ExportDay(context.Background(), "2026-11-23", &buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1][8] != "Ana, \"the\" first" || recs[1][2] != "2026-11-23T09:00:00Z" || recs[1][3] != "2026-11-23T09:07:00Z" || recs[1][5] != "desk-1" {
		t.Fatalf("export %q", recs)
	}
	if err := s.ExportDay(context.Background(), "yesterday", &buf); queue.ErrorCode(err) != queue.EInvalid {
		t.Fatalf("bad day: %v", err)
	}
}

// TestFormProblemsAllAtOnce: a form with several problems gets every one
// of them in one round, one per field, from Problems and from CheckIn
// alike.
func TestFormProblemsAllAtOnce(t *testing.T) {
	s := mustOpenStore(t, "", newClock())
	cases := []struct {
		name   string
		form   queue.CheckInForm
		fields []string
	}{
		{"valid", queue.CheckInForm{Name: "Ana", Service: "registration"}, nil},
		{"empty", queue.CheckInForm{}, []string{"name", "service"}},
		{"three", queue.CheckInForm{Name: " ", Phone: "call me", Host: "Dr\tX"}, []string{"name", "host", "phone", "service"}},
		{"name and phone", queue.CheckInForm{Name: strings.Repeat("a", 101), Service: "registration", Phone: "123"}, []string{"name", "phone"}},
		{"bad invite, no name", queue.CheckInForm{Invite: "!", Service: "registration"}, []string{"invite"}},
		{"long name, bad invite", queue.CheckInForm{Name: strings.Repeat("a", 101), Invite: "A1", Service: "registration"}, []string{"name", "invite"}},
		{"unknown service and phone", queue.CheckInForm{Name: "Ana", Service: "surgery", Phone: "1"}, []string{"phone", "service"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CheckIn(context.Background(), tc.form, queue.SourceKiosk)
			var fe *queue.FormError
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("want accepted, got %v", err)
				}
				return
			}
			if !errors.As(err, &fe) {
				t.Fatalf("want a *queue.FormError, got %#v", err)
			}
			var got []string
			for _, p := range fe.Problems {
				if p.Code != queue.EInvalid || p.Key == "" || strings.Contains(p.Text(), "{{") {
					t.Errorf("problem needs code, key and a filled message: %#v", p)
				}
				got = append(got, p.Field)
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("fields %v, want %v", got, tc.fields)
			}
			// The form alone says the same, but for what only the store knows.
			var alone []string
			for _, p := range tc.form.Normalize().Problems() {
				alone = append(alone, p.Field)
			}
			if tc.name != "unknown service and phone" && strings.Join(alone, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("Problems %v, want %v", alone, tc.fields)
			}
			var first *queue.Error
			if !errors.As(err, &first) || first != fe.Problems[0] {
				t.Fatalf("errors.As finds %#v, want the first problem", first)
			}
		})
	}
}

package queue_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
)

func TestPeopleGroupsTicketsTakenTogether(t *testing.T) {
	in := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	v := func(id int64, day, name, phone string) queue.Visit {
		return queue.Visit{ID: id, Ticket: fmt.Sprintf("R-%03d", id), Day: day, Name: name, Phone: phone, CheckedInAt: in.Add(time.Duration(id) * time.Minute)}
	}
	const today, yesterday = "2026-11-23", "2026-11-22"
	cases := []struct {
		name   string
		roster []queue.Visit
		want   string // people, each as their visit IDs joined by +
	}{
		{"nobody", nil, ""},
		{"one ticket", []queue.Visit{v(1, today, "Ana", "")}, "1"},
		{"three tickets, one visitor", []queue.Visit{v(1, today, "Zoë O'Brien", "600 123 456"), v(2, today, "Ana", ""),
			v(3, today, "zoe obrien", "600123456"), v(4, today, "ZOE O’BRIEN", "(600) 123-456")}, "1+3+4 2"},
		{"no phone on either", []queue.Visit{v(1, today, "Ana García", ""), v(2, today, "ana garcia", "")}, "1+2"},
		{"other phone", []queue.Visit{v(1, today, "Ana", "600123456"), v(2, today, "Ana", "600123457")}, "1 2"},
		{"phone on one only", []queue.Visit{v(1, today, "Ana", "600123456"), v(2, today, "Ana", "")}, "1 2"},
		{"another day", []queue.Visit{v(1, yesterday, "Ana", ""), v(2, today, "Ana", "")}, "1 2"},
		{"no name (an invite)", []queue.Visit{v(1, today, "", ""), v(2, today, "", "")}, "1 2"},
		{"punctuation only", []queue.Visit{v(1, today, "?", ""), v(2, today, "!", "")}, "1 2"},
		{"other name", []queue.Visit{v(1, today, "Ana", ""), v(2, today, "Anna", "")}, "1 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range queue.People(tc.roster) {
				var ids []string
				for _, id := range p.IDs() {
					ids = append(ids, fmt.Sprint(id))
				}
				got = append(got, strings.Join(ids, "+"))
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("people %q, want %q", g, tc.want)
			}
		})
	}
}

func TestRosterCountsPeople(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t, "", newClock())
	checkIn := func(name, service, phone string) queue.Ticket {
		t.Helper()
		tk, err := s.CheckIn(ctx, queue.CheckInForm{Name: name, Service: service, Phone: phone}, queue.SourceKiosk)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	zoe := checkIn("Zoë O'Brien", "registration", "+34 600 123 456")
	bo := checkIn("Bo", "registration", "")
	zoe2 := checkIn("zoe obrien", "pharmacy", "+34 600 123 456")
	zoe3 := checkIn("ZOË O'BRIEN", "visit", "+34 600 123 456")

	roster, err := s.Roster(ctx)
	if err != nil || len(roster) != 4 {
		t.Fatalf("roster %d tickets, %v", len(roster), err)
	}
	people := queue.People(roster)
	if len(people) != 2 || strings.Join(people[0].Tickets(), " ") != "R-001 P-001 V-001" || people[0].Name() != "Zoë O'Brien" || people[1].Visits[0].ID != bo.Visit.ID {
		t.Fatalf("people %+v", people)
	}
	var out strings.Builder
	if err := queue.WriteRosterCSV(&out, roster, nil, time.UTC); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range recs {
		rows = append(rows, r[0]+":"+r[7])
	}
	if got := strings.Join(rows, " "); got != "ticket:person R-001:1 P-001:1 V-001:1 R-002:2" {
		t.Fatalf("CSV rows (ticket:person) %s", got)
	}
	if strings.Join(recs[0][:7], ",") != "ticket,name,host,service,status,checked_in,phone" {
		t.Errorf("the first seven columns moved: %v", recs[0])
	}

	// Checking a person out checks out all their tickets, or none.
	if _, err := s.CheckOutVisit(ctx, zoe3.Visit.ID, "Carmen", queue.ProofStaff); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckOutVisits(ctx, []int64{zoe.Visit.ID, zoe2.Visit.ID, zoe3.Visit.ID}, "Carmen"); queue.ErrorCode(err) != queue.EConflict {
		t.Fatalf("checking out a person one of whose tickets left: %v", err)
	}
	if v, _ := s.Visit(ctx, zoe.Visit.ID); !v.LeftAt.IsZero() {
		t.Fatalf("a refused check-out of a person left %s checked out", v.Ticket)
	}
	left, err := s.CheckOutVisits(ctx, []int64{zoe.Visit.ID, zoe2.Visit.ID}, "Carmen")
	if err != nil || len(left) != 2 || left[0].LeftAt.IsZero() || left[1].Status != queue.StatusCancelled {
		t.Fatalf("check out a person: %+v %v", left, err)
	}
	if _, err := s.CheckOutVisits(ctx, []int64{bo.Visit.ID}, "Carmen\u202E"); queue.ErrorCode(err) != queue.EInvalid {
		t.Fatalf("a staff name with an override: %v", err)
	}
	if roster, _ := s.Roster(ctx); len(queue.People(roster)) != 1 {
		t.Fatalf("roster after Zoë left: %+v", roster)
	}
}

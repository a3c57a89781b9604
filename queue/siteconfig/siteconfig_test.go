package siteconfig_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"lobbyline/queue/siteconfig"
)

const good = `
[[services]]
id = "visit"
prefix = "V"
name = "Visit a patient"
names = { es = "Visitar a un paciente" }
time_per_visitor = "2m"

[[desks]]
id = "desk-1"
name = "Desk 1"
services = ["visit"]
`

var parseCases = []struct {
	name, text, want string // want: part of the error, "" for none
}{
	{"good", good, ""},
	{"unknown key", strings.Replace(good, `prefix = "V"`, `prefix = "V"`+"\ncolour = 1", 1), "unknown key services.colour"},
	{"desk names unknown service", strings.Replace(good, `services = ["visit"]`, `services = ["pharmacy"]`, 1), `desks[0].services[0]: no service has id "pharmacy"`},
	{"bad prefix", strings.Replace(good, `"V"`, `"v1"`, 1), `services[0].prefix "v1" must be 1 to 3 capital letters`},
	{"bad language", strings.Replace(good, "{ es =", "{ ar =", 1), `services[0].names: "ar" is not a supported language`},
	{"no desks", good[:strings.Index(good, "[[desks]]")], "desks needs at least one [[desks]] table"},
	{"short wait", strings.Replace(good, `"2m"`, `"10s"`, 1), "services[0].time_per_visitor must be between 1m and 24h"},
}

func TestParse(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := siteconfig.Parse(c.text)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("Parse: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("Parse: got %v, want %q", err, c.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		f.Add(c.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		doc, err := siteconfig.Parse(text)
		if err != nil {
			return
		}
		// What the centre accepts, the kiosk accepts after the round trip.
		b, err := json.Marshal(siteconfig.Record{Version: 1, Document: doc})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := siteconfig.DecodeRecord(b); err != nil {
			t.Fatalf("DecodeRecord of an accepted document: %v", err)
		}
	})
}

func TestRecordRoundTrip(t *testing.T) {
	doc, err := siteconfig.Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(siteconfig.Record{Version: 3, SetAt: time.Unix(0, 0).UTC(), SetBy: "it", Document: doc})
	if err != nil {
		t.Fatal(err)
	}
	r, err := siteconfig.DecodeRecord(b)
	if err != nil {
		t.Fatalf("DecodeRecord(%s): %v", b, err)
	}
	if r.Version != 3 || r.QueueServices()[0].TimePerVisitor != 2*time.Minute || r.QueueDesks()[0].Services[0] != "visit" {
		t.Fatalf("round trip: got %+v from %s", r, b)
	}
	bad := strings.Replace(string(b), `"services":["visit"]`, `"services":["gone"]`, 1)
	if _, err := siteconfig.DecodeRecord([]byte(bad)); err == nil || !strings.Contains(err.Error(), `no service has id "gone"`) {
		t.Fatalf("DecodeRecord of a desk naming an unknown service: got %v", err)
	}
}

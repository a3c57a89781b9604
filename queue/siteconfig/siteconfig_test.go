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
	{"full", full, ""},
	{"unsupported language", strings.Replace(full, `"es"]`, `"ar"]`, 1), `languages[1]: "ar" is not supported`},
	{"short idle", strings.Replace(full, `idle_timeout = "90s"`, `idle_timeout = "1s"`, 1), "idle_timeout must be between 10s and 30m"},
	{"long staff idle", strings.Replace(full, `staff_idle_timeout = "5m"`, `staff_idle_timeout = "9h"`, 1), "staff_idle_timeout must be between 10s and 8h"},
	{"major before grace", strings.Replace(full, `major_after = "15m"`, `major_after = "10s"`, 1), "outage.major_after must be between outage.grace and 24h"},
	{"threshold alone", strings.Replace(full, `major_after = "15m"`, ``, 1), "outage.major_after is required with outage.grace"},
	{"never critical", strings.Replace(full, `critical_after = "2h"`, `critical_after = "0s"`, 1), ""},
	{"machine key", strings.Replace(full, `grace = "2m"`, `grace = "2m"`+"\ndisk_min_mb = 100", 1), "unknown key outage.disk_min_mb"},
	{"bad contact severity", strings.Replace(full, `major = [`, `urgent = [`, 1), "outage.contacts.urgent: the keys are minor, major and critical"},
	{"two-line step", strings.Replace(full, `"Start the paper log"`, `"Start\nthe paper log"`, 1), "outage.runbook[1] must be one line"},
	{"template lacks a language", strings.Replace(full, `, es = "La farmacia cierra antes."`, ``, 1), "outage.templates[0] (pharmacy).text.es is missing"},
	{"templates without languages", strings.Replace(full, `languages = ["en", "es"]`, ``, 1), "outage.templates needs languages in the same document"},
	{"feedback too long", strings.Replace(full, `feedback_window = "0s"`, `feedback_window = "25h"`, 1), "outage.feedback_window must be between 0s (never ask) and 24h"},
	{"retention", good + "\n[jobs]\nretention_days = 14\n", ""},
	{"no retention", good + "\n[jobs]\nretention_days = 0\n", "jobs.retention_days must be between 1 and 3650"},
	{"machine's job", good + "\n[jobs]\npurge_at = \"03:15\"\n", "unknown key jobs.purge_at"},
	{"phone proof", good + "\n[checkout]\nphone_proof = true\n", ""},
	{"phone proof as text", good + "\n[checkout]\nphone_proof = \"yes\"\n", "phone_proof"},
	{"unknown checkout key", good + "\n[checkout]\nqr_only = true\n", "unknown key checkout.qr_only"},
}

// TestPhoneProof: off unless set; the site's wins over a kiosk file's,
// off as well as on; a document without [checkout] leaves the file's.
func TestPhoneProof(t *testing.T) {
	on, off := true, false
	if (siteconfig.Settings{}).PhoneProof() {
		t.Error("phone proof on by default")
	}
	doc, err := siteconfig.Parse(good + "\n[checkout]\nphone_proof = true\n")
	if err != nil {
		t.Fatal(err)
	}
	fileOff := siteconfig.Settings{Checkout: &siteconfig.Checkout{PhoneProof: &off}}
	fileOn := siteconfig.Settings{Checkout: &siteconfig.Checkout{PhoneProof: &on}}
	siteOff := siteconfig.Settings{Checkout: &siteconfig.Checkout{PhoneProof: &off}}
	switch {
	case !doc.PhoneProof():
		t.Error("[checkout] phone_proof = true read as off")
	case !doc.Settings.Over(fileOff).PhoneProof():
		t.Error("the site's phone proof does not win over the file's off")
	case siteOff.Over(fileOn).PhoneProof():
		t.Error("the site's off does not win over the file's on")
	case !(siteconfig.Settings{}).Over(fileOn).PhoneProof():
		t.Error("a document without [checkout] dropped the file's phone proof")
	case doc.Settings.Empty():
		t.Error("a document with [checkout] counts as empty")
	}
}

// TestRetention: the site's retention_days, else the default, and the
// site's wins over a kiosk file's.
func TestRetention(t *testing.T) {
	doc, err := siteconfig.Parse(good + "\n[jobs]\nretention_days = 14\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Retention(); got != 14*24*time.Hour {
		t.Errorf("retention %v, want 14 days", got)
	}
	if got := (siteconfig.Settings{}).Retention(); got != 30*24*time.Hour {
		t.Errorf("default retention %v, want 30 days", got)
	}
	days := 60
	file := siteconfig.Settings{Jobs: &siteconfig.Jobs{RetentionDays: &days}}
	if got := doc.Settings.Over(file).Retention(); got != 14*24*time.Hour {
		t.Errorf("the site's over the file's: %v, want 14 days", got)
	}
	if got := (siteconfig.Settings{}).Over(file).Retention(); got != 60*24*time.Hour {
		t.Errorf("no site retention over the file's: %v, want the file's 60 days", got)
	}
}

// full sets every section a site's configuration holds.
const full = `languages = ["en", "es"]
idle_timeout = "90s"
staff_idle_timeout = "5m"
` + good + `
[outage]
grace = "2m"
major_after = "15m"
critical_after = "2h"
back_to_normal = "3m"
update_every = "10m"
feedback_window = "0s"
drill_banner = true
runbook = ["Call IT on 4410", "Start the paper log"]

[checkout]
phone_proof = true

[outage.contacts]
major = ["Duty manager, ext. 2000"]

[[outage.templates]]
id = "pharmacy"
severity = "minor"
title = { en = "Pharmacy", es = "Farmacia" }
text = { en = "The pharmacy closes early.", es = "La farmacia cierra antes." }
`

func TestTOMLRoundTrip(t *testing.T) {
	for _, text := range []string{good, full, strings.Replace(full, `runbook = ["Call IT on 4410", "Start the paper log"]`, `runbook = []`, 1)} {
		doc, err := siteconfig.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		out, err := doc.TOML()
		if err != nil {
			t.Fatal(err)
		}
		again, err := siteconfig.Parse(out)
		if err != nil {
			t.Fatalf("Parse(TOML()): %v\n%s", err, out)
		}
		a, _ := json.Marshal(doc)
		b, _ := json.Marshal(again)
		if string(a) != string(b) {
			t.Fatalf("TOML round trip changed the document:\n%s\n%s\nTOML:\n%s", a, b, out)
		}
		if strings.Contains(out, "m0s") || strings.Contains(out, "default_wait") {
			t.Errorf("TOML() writes zero units or unset keys:\n%s", out)
		}
	}
}

func TestOver(t *testing.T) {
	file, err := siteconfig.Parse(full)
	if err != nil {
		t.Fatal(err)
	}
	centre, err := siteconfig.Parse(`languages = ["de"]
[outage]
runbook = []
update_every = "1m"
` + good)
	if err != nil {
		t.Fatal(err)
	}
	got := centre.Settings.Over(file.Settings)
	switch {
	case strings.Join(got.Languages, ",") != "de":
		t.Errorf("languages: got %v, want the centre's", got.Languages)
	case got.IdleTimeout.Duration != 90*time.Second:
		t.Errorf("idle_timeout: got %v, want the file's", got.IdleTimeout)
	case len(got.Outage.Runbook) != 0 || got.Outage.Runbook == nil:
		t.Errorf("runbook: got %#v, want the centre's none", got.Outage.Runbook)
	case got.Outage.UpdateEvery.Duration != time.Minute || got.Outage.Grace.Duration != 2*time.Minute:
		t.Errorf("outage: got update_every %v grace %v, want the centre's and the file's", got.Outage.UpdateEvery, got.Outage.Grace)
	case len(got.Outage.Templates) != 1 || len(got.Outage.Contacts["major"]) != 1:
		t.Errorf("outage: got %+v, want the file's templates and contacts", got.Outage)
	}
	if file.Outage.Runbook == nil || len(file.Outage.Runbook) != 2 {
		t.Errorf("Over changed its base: %v", file.Outage.Runbook)
	}
}

// A record from a centre of a later release, with a section and an
// [outage] key this kiosk does not know, is applied for what it knows:
// decoders ignore fields they do not know (see STYLE.md).
func TestDecodeRecordFromNewerCentre(t *testing.T) {
	data := `{"version":4,"set_at":"2026-12-01T10:00:00Z","services":[{"id":"visit","prefix":"V","name":"Visit"}],` +
		`"desks":[{"id":"d1","name":"D1","services":["visit"]}],"languages":["fr"],"printer":{"paper":"A4"},"outage":{"grace":"2m","major_after":"20m","critical_after":"0s","sms_after":"1h"}}`
	r, err := siteconfig.DecodeRecord([]byte(data))
	if err != nil {
		t.Fatalf("DecodeRecord: %v", err)
	}
	if r.Version != 4 || r.Languages[0] != "fr" || r.Outage.MajorAfter.Duration != 20*time.Minute {
		t.Fatalf("got %+v", r)
	}
}

// A kiosk of the previous release decoded a record into services and
// desks alone, with encoding/json, which ignores the new sections: it
// applies the services and desks of a new version and goes on with its
// own file's other keys.
func TestPreviousReleaseReadsNewSections(t *testing.T) {
	doc, err := siteconfig.Parse(full)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(siteconfig.Record{Version: 7, Document: doc})
	if err != nil {
		t.Fatal(err)
	}
	var previous struct { // siteconfig.Record as the previous release had it
		Version  int64                `json:"version"`
		Services []siteconfig.Service `json:"services"`
		Desks    []siteconfig.Desk    `json:"desks"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&previous); err != nil || previous.Version != 7 || len(previous.Services) != 1 || len(previous.Desks) != 1 {
		t.Fatalf("previous release's decoding: %v, %+v", err, previous)
	}
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

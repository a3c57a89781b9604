package wire_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"lobbyline/syncer/wire"
)

// pushBodies are push bodies with whether the centre must accept them;
// they also seed FuzzDecodePushRequest.
var pushBodies = []struct {
	name string
	body string
	ok   bool
}{
	{"empty batch", `{"kiosk":"a","sent":"2026-11-23T09:00:00Z","backlog":0,"mutations":[]}`, true},
	{"one mutation", `{"kiosk":"a","sent":"2026-11-23T09:00:00Z","backlog":1,"mutations":[{"epoch":7,"seq":1,"kind":"check_in","at":"2026-11-23T09:00:00Z","hlc":"001763888400000.000000","payload":{"kiosk":"a"}}]}`, true},
	{"two epochs", `{"kiosk":"a","mutations":[{"epoch":7,"seq":9,"kind":"call","at":"2026-11-23T09:00:00Z","hlc":"","payload":{}},{"epoch":8,"seq":1,"kind":"call","at":"2026-11-23T09:00:00Z","hlc":"","payload":{}}]}`, true},
	{"not json", `kiosk=a`, false},
	{"trailing data", `{"kiosk":"a","mutations":[]} {}`, false},
	{"a field of a newer version", `{"kiosk":"a","mutations":[],"admin":true}`, true},
	{"no kiosk", `{"mutations":[]}`, false},
	{"zero seq", `{"kiosk":"a","mutations":[{"epoch":7,"seq":0,"kind":"call","at":"2026-11-23T09:00:00Z","hlc":"","payload":{}}]}`, false},
	{"out of order", `{"kiosk":"a","mutations":[{"epoch":7,"seq":2,"kind":"call","at":"2026-11-23T09:00:00Z","hlc":"","payload":{}},{"epoch":7,"seq":2,"kind":"call","at":"2026-11-23T09:00:00Z","hlc":"","payload":{}}]}`, false},
	{"interleaved epochs out of order", `{"kiosk":"a","mutations":[{"epoch":1,"seq":5,"kind":"call","at":"2026-11-23T09:00:00Z","hlc":"","payload":{}},{"epoch":2,"seq":1,"kind":"call","at":"2026-11-23T09:00:00Z","hlc":"","payload":{}},{"epoch":1,"seq":3,"kind":"call","at":"2026-11-23T09:00:00Z","hlc":"","payload":{}}]}`, false},
	{"payload not an object", `{"kiosk":"a","mutations":[{"epoch":7,"seq":1,"kind":"call","at":"2026-11-23T09:00:00Z","hlc":"","payload":[1]}]}`, false},
	{"no kind", `{"kiosk":"a","mutations":[{"epoch":7,"seq":1,"at":"2026-11-23T09:00:00Z","hlc":"","payload":{}}]}`, false},
	{"bad time", `{"kiosk":"a","mutations":[{"epoch":7,"seq":1,"kind":"call","at":"9 o'clock","hlc":"","payload":{}}]}`, false},
	{"asking for the page after it", `{"kiosk":"a","mutations":[],"pull":{"cursor":12,"limit":1000,"snapshot":true}}`, true},
	{"a negative cursor", `{"kiosk":"a","mutations":[],"pull":{"cursor":-1}}`, false},
	{"a negative limit", `{"kiosk":"a","mutations":[],"pull":{"cursor":1,"limit":-5}}`, false},
	{"numbers skipped below the batch", `{"kiosk":"a","mutations":[{"epoch":7,"seq":9,"kind":"call","at":"2026-11-23T09:00:00Z","hlc":"","payload":{}}],"skipped":[{"epoch":7,"from":2,"to":3,"why":"held"},{"epoch":7,"from":4,"to":8,"why":"lost"},{"epoch":8,"from":1,"to":1,"why":"elsewhere"}]}`, true},
	{"skipped reaching the batch", `{"kiosk":"a","mutations":[{"epoch":7,"seq":9,"kind":"call","at":"2026-11-23T09:00:00Z","hlc":"","payload":{}}],"skipped":[{"epoch":7,"from":2,"to":9,"why":"held"}]}`, false},
	{"skipped for no known reason", `{"kiosk":"a","mutations":[],"skipped":[{"epoch":7,"from":2,"to":3,"why":"forgot"}]}`, false},
	{"skipped backwards", `{"kiosk":"a","mutations":[],"skipped":[{"epoch":7,"from":4,"to":3,"why":"held"}]}`, false},
	{"skipped from zero", `{"kiosk":"a","mutations":[],"skipped":[{"epoch":7,"from":0,"to":3,"why":"held"}]}`, false},
	{"skipped overlapping", `{"kiosk":"a","mutations":[],"skipped":[{"epoch":7,"from":2,"to":5,"why":"held"},{"epoch":7,"from":5,"to":6,"why":"lost"}]}`, false},
	{"skipped out of epoch order", `{"kiosk":"a","mutations":[],"skipped":[{"epoch":8,"from":2,"to":5,"why":"held"},{"epoch":7,"from":9,"to":9,"why":"lost"}]}`, false},
}

func TestDecodePushRequest(t *testing.T) {
	for _, tc := range pushBodies {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wire.DecodePushRequest(strings.NewReader(tc.body))
			if (err == nil) != tc.ok {
				t.Fatalf("accepted=%v, want %v (err %v)", err == nil, tc.ok, err)
			}
		})
	}
	var b strings.Builder
	b.WriteString(`{"kiosk":"a","mutations":[`)
	for i := 1; i <= wire.MaxBatch+1; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"epoch":1,"seq":%d,"kind":"call","at":"2026-11-23T09:00:00Z","hlc":"","payload":{}}`, i)
	}
	b.WriteString(`]}`)
	if _, err := wire.DecodePushRequest(strings.NewReader(b.String())); err == nil || !strings.Contains(err.Error(), "at most 500") {
		t.Fatalf("a batch of %d: %v", wire.MaxBatch+1, err)
	}
}

// FuzzDecodePushRequest: whatever the body, the decoder returns an error
// or a request that keeps the protocol's promises and survives a round
// trip unchanged.
func FuzzDecodePushRequest(f *testing.F) {
	for _, tc := range pushBodies {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := wire.DecodePushRequest(bytes.NewReader(body))
		if err != nil {
			return
		}
		if req.Kiosk == "" || len(req.Mutations) > wire.MaxBatch {
			t.Fatalf("accepted %+v", req)
		}
		for i, m := range req.Mutations {
			if m.Epoch <= 0 || m.Seq <= 0 || m.Kind == "" {
				t.Fatalf("accepted mutation %d: %+v", i, m)
			}
			if i > 0 && m.Epoch == req.Mutations[i-1].Epoch && m.Seq <= req.Mutations[i-1].Seq {
				t.Fatalf("accepted out-of-order mutation %d", i)
			}
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		back, err := wire.DecodePushRequest(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("re-encoded request refused: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(normalize(t, req), normalize(t, back)) {
			t.Fatalf("round trip changed the request:\n%+v\n%+v", req, back)
		}
	})
}

// normalize compacts payloads, which json.Marshal may re-indent.
func normalize(t *testing.T, r wire.PushRequest) wire.PushRequest {
	for i, m := range r.Mutations {
		var b bytes.Buffer
		if err := json.Compact(&b, m.Payload); err != nil {
			t.Fatal(err)
		}
		r.Mutations[i].Payload = b.Bytes()
	}
	return r
}

// FuzzDecodePullResponse: an accepted page is in strictly increasing
// version order with entity and key on every record.
func FuzzDecodePullResponse(f *testing.F) {
	f.Add([]byte(`{"records":[{"entity":"watch","key":"w1","version":3,"data":{"name":"x"}},{"entity":"prereg","key":"AB12","version":4,"deleted":true}],"cursor":4,"now":"2026-11-23T09:00:00Z"}`))
	f.Add([]byte(`{"records":[{"entity":"watch","key":"w1","version":3},{"entity":"watch","key":"w2","version":3}],"cursor":3}`))
	f.Add([]byte(`{"snapshot":true,"records":[],"cursor":0,"more":false}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := wire.DecodePullResponse(bytes.NewReader(body))
		if err != nil {
			return
		}
		for i, r := range page.Records {
			if r.Entity == "" || r.Key == "" || i > 0 && r.Version <= page.Records[i-1].Version {
				t.Fatalf("accepted record %d: %+v", i, r)
			}
		}
	})
}

// agentCases are User-Agent values and the version the centre records;
// they double as fuzz seeds.
var agentCases = []struct{ agent, want string }{
	{"", ""},
	{"Go-http-client/1.1", ""}, // kiosks before the header
	{"lobbyline-kiosk/1.4.0", "1.4.0"},
	{"lobbyline-kiosk/v1.5.0-3-gabcdef012345+dirty", "v1.5.0-3-gabcdef012345+dirty"},
	{"lobbyline-kiosk/1.5.0 (debian; amd64)", "1.5.0"},
	{"lobbyline-kiosk/", ""},
	{"lobbyline-kiosk/" + strings.Repeat("1", wire.MaxAgentVersion), strings.Repeat("1", wire.MaxAgentVersion)},
	{"lobbyline-kiosk/" + strings.Repeat("1", wire.MaxAgentVersion+1), ""},
	{"lobbyline-kiosk/1.4\x00", ""},
	{"lobbyline-kiosk/1.4é", ""},
	{"Mozilla/5.0 lobbyline-kiosk/1.4.0", ""},
}

func TestAgentVersion(t *testing.T) {
	for _, c := range agentCases {
		h := http.Header{}
		h.Set("User-Agent", c.agent)
		if got := wire.AgentVersion(h); got != c.want {
			t.Errorf("AgentVersion(%q) = %q, want %q", c.agent, got, c.want)
		}
	}
	h := http.Header{}
	wire.SetAgent(h, "1.5.0")
	if got := wire.AgentVersion(h); got != "1.5.0" {
		t.Errorf("SetAgent then AgentVersion: %q", got)
	}
}

func FuzzAgentVersion(f *testing.F) {
	for _, c := range agentCases {
		f.Add(c.agent)
	}
	f.Fuzz(func(t *testing.T, agent string) {
		h := http.Header{"User-Agent": {agent}}
		v := wire.AgentVersion(h)
		if len(v) > wire.MaxAgentVersion || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }) {
			t.Fatalf("AgentVersion(%q) = %q", agent, v)
		}
	})
}

func TestDecodePushResponseChecksItsPage(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"no page", `{"results":[],"now":"2026-11-23T09:00:00Z"}`, true},
		{"a page", `{"results":[],"pull":{"records":[{"entity":"watch","key":"w1","version":3}],"cursor":3}}`, true},
		{"a page out of order", `{"results":[],"pull":{"records":[{"entity":"watch","key":"w1","version":3},{"entity":"watch","key":"w2","version":2}],"cursor":3}}`, false},
		{"a record without a key", `{"results":[],"pull":{"records":[{"entity":"watch","version":3}],"cursor":3}}`, false},
		{"resend from a number", `{"results":[{"epoch":7,"seq":5,"status":"resend","next":3}]}`, true},
		{"resend from nowhere", `{"results":[{"epoch":7,"seq":5,"status":"resend"}]}`, false},
		{"resend from after itself", `{"results":[{"epoch":7,"seq":5,"status":"resend","next":5}]}`, false},
		{"a status of a later protocol", `{"results":[{"epoch":7,"seq":5,"status":"deferred"}]}`, false},
	} {
		resp, err := wire.DecodePushResponse(strings.NewReader(tc.body))
		if (err == nil) != tc.ok {
			t.Errorf("%s: %+v, %v; want ok %v", tc.name, resp, err, tc.ok)
		}
	}
}

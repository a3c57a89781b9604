package console_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"lobbyline/queue"
	"lobbyline/queue/hlc"
	"lobbyline/queue/pinhash"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
	"lobbyline/syncer/wire"
)

// cheapPIN keeps argon2id fast in tests.
var cheapPIN = pinhash.Params{Time: 1, Memory: 8 * 1024, Threads: 1}

var addedID = regexp.MustCompile(`done=added&id=(st-[a-z0-9]+)`)

// account is a site's account by ID, as stored.
func (f *fixture) account(t *testing.T, id string) queue.StaffAccount {
	t.Helper()
	accounts, err := f.centre.StaffAccounts(context.Background(), "north")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accounts {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no account %s at north", id)
	return queue.StaffAccount{}
}

// pushAudit sends an audit entry as a kiosk would.
func (f *fixture) pushAudit(t *testing.T, token string, seq int64, e queue.AuditEntry) {
	t.Helper()
	ctx := context.Background()
	k, err := f.centre.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	var h hlc.Timestamp
	h = h.Next(e.At)
	e.Kiosk = k.ID
	raw := mustJSON(t, queue.Mutation{Kind: queue.KindAudit, Kiosk: k.ID, Epoch: 1, At: e.At, HLC: h.String(), Audit: &e})
	resp, err := f.centre.Push(ctx, k, wire.PushRequest{Kiosk: k.ID, Mutations: []wire.PushMutation{
		{Epoch: 1, Seq: seq, Kind: queue.KindAudit, At: e.At, HLC: h.String(), Payload: raw}}})
	if err != nil || resp.Results[0].Status != wire.StatusApplied {
		t.Fatalf("push audit: %+v, %v", resp, err)
	}
}

// The staff page: add an account (PIN twice), disable and enable it,
// reset its PIN; each form needs its CSRF token, a refusal says why and
// changes nothing, and no page shows a hash.
func TestConsoleManagesStaffAccounts(t *testing.T) {
	centretest.EachStore(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		b := newBrowser(t, f.url)
		b.mustLogin()
		mustContain(t, "the fleet page", b.get("/").body, `href="/sites/north/staff"`)

		page := b.get("/sites/north/staff")
		mustContain(t, "the staff page of a site without accounts", page.body, "No staff accounts at this site yet",
			"This site has no enabled supervisor account: a kiosk enrolled now asks for its first supervisor at set-up")
		tok := csrf(t, page.body)
		form := func(name, role, pin, pin2 string) url.Values {
			return url.Values{"csrf": {tok}, "name": {name}, "role": {role}, "pin": {pin}, "pin2": {pin2}}
		}
		if res := b.post("/sites/north/staff", url.Values{"csrf": {"forged"}, "name": {"Maya"}, "role": {"supervisor"}, "pin": {"204816"}, "pin2": {"204816"}}); res.status != http.StatusForbidden {
			t.Fatalf("add without the CSRF token: %d, want 403", res.status)
		}
		if res := newBrowser(t, f.url).post("/sites/north/staff", form("Maya", "supervisor", "204816", "204816")); res.status != http.StatusUnauthorized {
			t.Fatalf("add signed out: %d, want 401", res.status)
		}
		for _, bad := range []struct {
			form url.Values
			says string
		}{
			{form("Maya Ortiz", "supervisor", "204816", "204817"), "Nothing changed: the two PINs differ."},
			{form("Maya Ortiz", "supervisor", "2048", "2048"), "Nothing changed: a PIN has 6 to 12 digits."},
			{form("Maya Ortiz", "admin", "204816", "204816"), "Nothing changed: a role is reception or supervisor."},
			{form("", "supervisor", "204816", "204816"), "Nothing changed: a staff account needs a name."},
		} {
			res := b.post("/sites/north/staff", bad.form)
			if res.status != http.StatusBadRequest {
				t.Fatalf("add %v: %d, want 400", bad.form, res.status)
			}
			mustContain(t, "the refusal", res.body, bad.says)
		}
		if accounts, _ := f.centre.StaffAccounts(context.Background(), "north"); len(accounts) != 0 {
			t.Fatalf("refused forms added %+v", accounts)
		}
		if res := b.post("/sites/north/staff", form("Maya Ortiz", "supervisor", "204816", "204817")); !strings.Contains(res.body, `value="Maya Ortiz"`) || strings.Contains(res.body, "204816") {
			t.Error("a refused form does not keep the name, or shows the PIN again")
		}

		res := b.post("/sites/north/staff", form("Maya Ortiz", "supervisor", "20481632", "20481632"))
		m := addedID.FindStringSubmatch(res.location)
		if res.status != http.StatusSeeOther || m == nil {
			t.Fatalf("add: %d → %q\n%s", res.status, res.location, res.body)
		}
		maya := f.account(t, m[1])
		if ok, _ := pinhash.Verify(maya.PINHash, "20481632"); !ok || maya.Role != queue.RoleSupervisor || maya.UpdatedBy != adminName+" (console)" {
			t.Fatalf("the account added: %+v", maya)
		}
		page = b.get(res.location)
		mustContain(t, "the staff page after adding", page.body, "Added Maya Ortiz.", `id="staff-`+maya.ID+`" data-disabled="false"`, "by it-ops (console)")
		if strings.Contains(page.body, "no enabled supervisor") {
			t.Error("the staff page still says the site has no supervisor")
		}
		if res := b.post("/sites/north/staff", form("maya ortiz", "reception", "551203", "551203")); res.status != http.StatusBadRequest {
			t.Fatalf("a second Maya Ortiz: %d, want 400", res.status)
		}

		f.clk.Advance(time.Second) // the audit log lists entries by time
		res = b.post("/sites/north/staff/"+maya.ID+"/disable", url.Values{"csrf": {tok}})
		if res.status != http.StatusSeeOther || !f.account(t, maya.ID).Disabled {
			t.Fatalf("disable: %d, account %+v", res.status, f.account(t, maya.ID))
		}
		mustContain(t, "the staff page after disabling", b.get(res.location).body, "Disabled Maya Ortiz", `data-disabled="true"`,
			"no enabled supervisor account")
		if res := b.post("/sites/north/staff/"+maya.ID+"/disable", url.Values{"csrf": {tok}}); res.status != http.StatusBadRequest {
			t.Fatalf("disable a disabled account: %d, want 400", res.status)
		}
		if res := b.post("/sites/north/staff/"+maya.ID+"/enable", url.Values{"csrf": {"forged"}}); res.status != http.StatusForbidden || !f.account(t, maya.ID).Disabled {
			t.Fatalf("enable without the CSRF token: %d", res.status)
		}
		f.clk.Advance(time.Second)
		if res := b.post("/sites/north/staff/"+maya.ID+"/enable", url.Values{"csrf": {tok}}); res.status != http.StatusSeeOther || f.account(t, maya.ID).Disabled {
			t.Fatalf("enable: %d", res.status)
		}
		if res := b.post("/sites/north/staff/st-nobody00/disable", url.Values{"csrf": {tok}}); res.status != http.StatusNotFound {
			t.Fatalf("disable an account that does not exist: %d, want 404", res.status)
		}

		pinPage := b.get("/sites/north/staff/" + maya.ID + "/pin")
		mustContain(t, "the PIN form", pinPage.body, "New PIN for Maya Ortiz")
		if res := b.post("/sites/north/staff/"+maya.ID+"/pin", url.Values{"csrf": {tok}, "pin": {"777888"}, "pin2": {"777889"}}); res.status != http.StatusBadRequest {
			t.Fatalf("PINs that differ: %d, want 400", res.status)
		}
		f.clk.Advance(time.Second)
		if res := b.post("/sites/north/staff/"+maya.ID+"/pin", url.Values{"csrf": {tok}, "pin": {"777888"}, "pin2": {"777888"}}); res.status != http.StatusSeeOther {
			t.Fatalf("set the PIN: %d", res.status)
		}
		if ok, _ := pinhash.Verify(f.account(t, maya.ID).PINHash, "777888"); !ok {
			t.Fatal("the new PIN does not verify")
		}
		if res := b.get("/sites/nowhere/staff"); res.status != http.StatusNotFound {
			t.Fatalf("the staff of a site that does not exist: %d, want 404", res.status)
		}
		for _, path := range []string{"/sites/north/staff", "/sites/north/staff/" + maya.ID + "/pin", "/audit?site=north"} {
			if body := b.get(path).body; strings.Contains(body, "argon2id") || strings.Contains(body, f.account(t, maya.ID).PINHash[20:40]) {
				t.Errorf("%s shows a hash", path)
			}
		}

		// Each change is in the audit log, by the admin, from the console.
		log, err := f.centre.AuditLog(context.Background(), centre.AuditQuery{Site: "north"})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, r := range log {
			if r.Entry.Source != queue.AuditConsole || r.Entry.Name != adminName {
				t.Errorf("audit entry %+v, want from the console by %s", r.Entry, adminName)
			}
			actions = append(actions, r.Entry.Action)
		}
		if got, want := strings.Join(actions, " "), "staff_add staff_disable staff_enable staff_set_pin"; got != want {
			t.Fatalf("audit actions %q, want %q", got, want)
		}
	})
}

// The audit log page filters by site and date and exports what it shows
// as CSV whose cells a spreadsheet does not run.
func TestConsoleAuditLog(t *testing.T) {
	centretest.EachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		f := newFixture(t, dsn, start)
		if err := f.centre.AddSite(ctx, "south", "South Clinic"); err != nil {
			t.Fatal(err)
		}
		token := f.enroll(t, "lobby-1", "Main entrance")
		f.pushAudit(t, token, 1, queue.AuditEntry{At: start.Add(-48 * time.Hour), Source: queue.AuditTouch, Account: "st-rosa0000",
			Name: "Rosa Díaz", Role: queue.RoleSupervisor, Action: "call", Ticket: "R-004", Detail: "desk-1"})
		f.pushAudit(t, token, 2, queue.AuditEntry{At: start.Add(-time.Hour), Source: queue.AuditTouch, Account: "st-rosa0000",
			Name: "Rosa Díaz", Role: queue.RoleSupervisor, Action: "check_out", Ticket: "=1+2", Detail: "@SUM(A1)"})
		b := newBrowser(t, f.url)
		b.mustLogin()

		if res := b.get("/audit"); res.status != http.StatusSeeOther || res.location != "/audit?site=north" {
			t.Fatalf("the audit page without a site: %d → %q, want the first site's", res.status, res.location)
		}
		page := b.get("/audit?site=north")
		mustContain(t, "north's audit log", page.body, "Rosa Díaz", "R-004", "check_out", "=1&#43;2", `href="/audit.csv?site=north"`)
		page = b.get("/audit?site=north&since=2026-12-01")
		mustContain(t, "north's audit log since today", page.body, "check_out")
		if strings.Contains(page.body, "R-004") {
			t.Error("the date filter let an entry of two days ago through")
		}
		page = b.get("/audit?site=north&until=2026-11-29")
		mustContain(t, "north's audit log to two days ago", page.body, "R-004", `href="/audit.csv?site=north&amp;until=2026-11-29"`)
		if strings.Contains(page.body, "check_out") {
			t.Error("the date filter let today's entry through")
		}
		mustContain(t, "south's audit log", b.get("/audit?site=south").body, "No audit entries at south")
		if res := b.get("/audit?site=north&since=yesterday"); res.status != http.StatusBadRequest {
			t.Fatalf("a bad date: %d, want 400", res.status)
		}
		if res := b.get("/audit?site=nowhere"); res.status != http.StatusNotFound {
			t.Fatalf("the audit log of a site that does not exist: %d, want 404", res.status)
		}

		res := b.get("/audit.csv?site=north")
		if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(res.header.Get("Content-Disposition"), `filename="audit-north.csv"`) {
			t.Fatalf("export: %d %v", res.status, res.header)
		}
		rows, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		// The kiosk's entries, then the centre's own of lobby-1's enrolment.
		if len(rows) != 4 || rows[0][8] != "ticket" || rows[1][8] != "R-004" || rows[2][8] != "'=1+2" || rows[2][9] != "'@SUM(A1)" || rows[2][1] != "lobby-1" ||
			rows[3][2] != queue.AuditCentre || rows[3][7] != centre.ActionEnrol || rows[3][9] != "kiosk lobby-1" {
			t.Fatalf("the CSV export:\n%s", res.body)
		}
		if res := newBrowser(t, f.url).get("/audit.csv?site=north"); res.status != http.StatusSeeOther || res.location != "/login" {
			t.Fatalf("the export signed out: %d → %q, want the sign-in page", res.status, res.location)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

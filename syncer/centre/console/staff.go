package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer/centre"
)

// Staff accounts and the audit log, per site. The pages show an account's
// name, role, whether it has a badge, whether it is disabled and its last
// change; never a PIN's or a badge's hash. Every change is audited with
// source console and the admin's name.

// MaxAuditRows is the most entries the audit page shows; the CSV export
// has them all.
const MaxAuditRows = 1000

type staffData struct {
	Site, SiteName string
	Accounts       []queue.StaffAccount
	Notice         string // what the last action did
	Message        string // why the add form was refused
	Name           string // the add form, shown again after a refusal
	Role           queue.Role
	Supervisor     bool // the site has an enabled supervisor
}

// staffNotices are the staff page's messages after an action, by code,
// so a link cannot make the page say anything else.
var staffNotices = map[string]string{
	"added":    "Added %s. The site's kiosks get the account at their next sync.",
	"disabled": "Disabled %s: it cannot sign in at the site's kiosks once they sync. What it did keeps its name.",
	"enabled":  "Enabled %s again.",
	"pin":      "Set a new PIN for %s; the site's kiosks take it at their next sync.",
}

func (h *Handler) actor(sess centre.Session) centre.Actor {
	return centre.Actor{Source: queue.AuditConsole, Name: sess.Admin}
}

// siteOf is the site in the path and its name, or false once the page
// says there is none.
func (h *Handler) siteOf(c context.Context, w http.ResponseWriter, r *http.Request, sess centre.Session) (string, string, bool) {
	site := r.PathValue("site")
	name, ok, err := h.svc.SiteName(c, site)
	switch {
	case err != nil:
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not read its sites.", err)
		return "", "", false
	case !ok:
		h.fail(w, sess, http.StatusNotFound, "There is no site "+site+".", nil)
		return "", "", false
	}
	return site, name, true
}

// showStaff renders the staff page with the site's accounts as they are
// now.
func (h *Handler) showStaff(c context.Context, w http.ResponseWriter, sess centre.Session, status int, d staffData) {
	accounts, err := h.svc.StaffAccounts(c, d.Site)
	if err != nil {
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not read the site's staff accounts.", err)
		return
	}
	d.Accounts = accounts
	for _, a := range accounts {
		d.Supervisor = d.Supervisor || (a.Role == queue.RoleSupervisor && !a.Disabled)
	}
	h.render(w, status, "staff", page{Title: "Staff of " + d.SiteName, Admin: sess.Admin, CSRF: sess.CSRF, Data: d})
}

func (h *Handler) staffPage(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	c, cancel := ctx(r)
	defer cancel()
	site, name, ok := h.siteOf(c, w, r, sess)
	if !ok {
		return
	}
	d := staffData{Site: site, SiteName: name, Role: queue.RoleReception}
	if format, ok := staffNotices[r.URL.Query().Get("done")]; ok {
		accounts, err := h.svc.StaffAccounts(c, site)
		if err != nil {
			h.fail(w, sess, http.StatusInternalServerError, "The centre could not read the site's staff accounts.", err)
			return
		}
		for _, a := range accounts {
			if a.ID == r.URL.Query().Get("id") {
				d.Notice = strings.Replace(format, "%s", a.Name, 1)
			}
		}
	}
	h.showStaff(c, w, sess, http.StatusOK, d)
}

// refusal is what the centre said against a staff change, for the page.
func refusal(err error) (string, bool) {
	if !errors.Is(err, centre.ErrStaff) {
		return "", false
	}
	_, why, _ := strings.Cut(err.Error(), centre.ErrStaff.Error()+": ")
	return "Nothing changed: " + why + ".", true
}

func (h *Handler) addStaff(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	c, cancel := ctx(r)
	defer cancel()
	site, name, ok := h.siteOf(c, w, r, sess)
	if !ok {
		return
	}
	d := staffData{Site: site, SiteName: name, Name: strings.TrimSpace(r.PostFormValue("name")), Role: queue.Role(r.PostFormValue("role"))}
	pin := r.PostFormValue("pin")
	if pin != r.PostFormValue("pin2") {
		d.Message = "Nothing changed: the two PINs differ."
		h.showStaff(c, w, sess, http.StatusBadRequest, d)
		return
	}
	a, err := h.svc.AddStaff(c, site, centre.NewStaff{Name: d.Name, Role: d.Role, PIN: pin}, h.actor(sess))
	if msg, ok := refusal(err); ok {
		d.Message = msg
		h.showStaff(c, w, sess, http.StatusBadRequest, d)
		return
	}
	if err != nil {
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not add the account.", err)
		return
	}
	h.log.Info("console: staff account added", "admin", sess.Admin, "site", site, "account", a.ID)
	http.Redirect(w, r, "/sites/"+url.PathEscape(site)+"/staff?done=added&id="+url.QueryEscape(a.ID), http.StatusSeeOther)
}

// setDisabled disables or enables an account.
func (h *Handler) setDisabled(disabled bool) func(http.ResponseWriter, *http.Request, centre.Session) {
	done := map[bool]string{true: "disabled", false: "enabled"}[disabled]
	return func(w http.ResponseWriter, r *http.Request, sess centre.Session) {
		c, cancel := ctx(r)
		defer cancel()
		site, name, ok := h.siteOf(c, w, r, sess)
		if !ok {
			return
		}
		a, err := h.svc.SetStaffDisabled(c, site, r.PathValue("id"), disabled, h.actor(sess))
		if h.staffChangeFailed(c, w, sess, staffData{Site: site, SiteName: name}, err) {
			return
		}
		h.log.Info("console: staff account "+done, "admin", sess.Admin, "site", site, "account", a.ID)
		http.Redirect(w, r, "/sites/"+url.PathEscape(site)+"/staff?done="+done+"&id="+url.QueryEscape(a.ID), http.StatusSeeOther)
	}
}

// staffChangeFailed shows why a change of an account failed, if it did.
func (h *Handler) staffChangeFailed(c context.Context, w http.ResponseWriter, sess centre.Session, d staffData, err error) bool {
	if msg, ok := refusal(err); ok {
		d.Notice = ""
		d.Message = msg
		h.showStaff(c, w, sess, http.StatusBadRequest, d)
		return true
	}
	switch {
	case errors.Is(err, centre.ErrNotFound):
		h.fail(w, sess, http.StatusNotFound, "There is no such staff account at site "+d.Site+".", nil)
		return true
	case err != nil:
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not change the account.", err)
		return true
	}
	return false
}

type pinData struct {
	Site, SiteName string
	Account        queue.StaffAccount
	Message        string
}

// pinForm asks for an account's new PIN, twice.
func (h *Handler) pinForm(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	c, cancel := ctx(r)
	defer cancel()
	d, ok := h.pinData(c, w, r, sess)
	if !ok {
		return
	}
	h.render(w, http.StatusOK, "staffpin", page{Title: "New PIN for " + d.Account.Name, Admin: sess.Admin, CSRF: sess.CSRF, Data: d})
}

func (h *Handler) setPIN(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	c, cancel := ctx(r)
	defer cancel()
	d, ok := h.pinData(c, w, r, sess)
	if !ok {
		return
	}
	again := func(msg string) {
		d.Message = msg
		h.render(w, http.StatusBadRequest, "staffpin", page{Title: "New PIN for " + d.Account.Name, Admin: sess.Admin, CSRF: sess.CSRF, Data: d})
	}
	pin := r.PostFormValue("pin")
	if pin != r.PostFormValue("pin2") {
		again("Nothing changed: the two PINs differ.")
		return
	}
	a, err := h.svc.SetStaffPIN(c, d.Site, d.Account.ID, pin, h.actor(sess))
	if msg, ok := refusal(err); ok {
		again(msg)
		return
	}
	if h.staffChangeFailed(c, w, sess, staffData{Site: d.Site, SiteName: d.SiteName}, err) {
		return
	}
	h.log.Info("console: staff PIN set", "admin", sess.Admin, "site", d.Site, "account", a.ID)
	http.Redirect(w, r, "/sites/"+url.PathEscape(d.Site)+"/staff?done=pin&id="+url.QueryEscape(a.ID), http.StatusSeeOther)
}

func (h *Handler) pinData(c context.Context, w http.ResponseWriter, r *http.Request, sess centre.Session) (pinData, bool) {
	site, name, ok := h.siteOf(c, w, r, sess)
	if !ok {
		return pinData{}, false
	}
	accounts, err := h.svc.StaffAccounts(c, site)
	if err != nil {
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not read the site's staff accounts.", err)
		return pinData{}, false
	}
	for _, a := range accounts {
		if a.ID == r.PathValue("id") {
			return pinData{Site: site, SiteName: name, Account: a}, true
		}
	}
	h.fail(w, sess, http.StatusNotFound, "There is no such staff account at site "+site+".", nil)
	return pinData{}, false
}

type auditData struct {
	Sites        []centre.Site
	Site         string
	Since, Until string // the filters as typed, YYYY-MM-DD (UTC)
	Rows         []centre.AuditRow
	More         bool   // there are more than MaxAuditRows
	Message      string // why a filter was refused
	CSV          string // the export link for these filters
}

// auditQuery reads the audit page's filters: a site, and dates in UTC,
// --until inclusive.
func auditQuery(r *http.Request) (centre.AuditQuery, auditData, string) {
	q := r.URL.Query()
	d := auditData{Site: q.Get("site"), Since: q.Get("since"), Until: q.Get("until")}
	aq := centre.AuditQuery{Site: d.Site}
	if d.Since != "" {
		t, err := time.Parse(time.DateOnly, d.Since)
		if err != nil {
			return aq, d, "A date is like 2026-03-02."
		}
		aq.Since = t
	}
	if d.Until != "" {
		t, err := time.Parse(time.DateOnly, d.Until)
		if err != nil {
			return aq, d, "A date is like 2026-03-02."
		}
		aq.Until = t.AddDate(0, 0, 1)
	}
	if !aq.Since.IsZero() && !aq.Until.IsZero() && !aq.Until.After(aq.Since) {
		return aq, d, "The end date is before the start date."
	}
	v := url.Values{"site": {d.Site}}
	if d.Since != "" {
		v.Set("since", d.Since)
	}
	if d.Until != "" {
		v.Set("until", d.Until)
	}
	d.CSV = "/audit.csv?" + v.Encode()
	return aq, d, ""
}

func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	c, cancel := ctx(r)
	defer cancel()
	sites, ok := h.sites(c, w, sess)
	if !ok {
		return
	}
	aq, d, msg := auditQuery(r)
	d.Sites, d.Message = sites, msg
	status := http.StatusOK
	switch {
	case d.Site == "" && len(sites) > 0:
		http.Redirect(w, r, "/audit?site="+url.QueryEscape(sites[0].ID), http.StatusSeeOther)
		return
	case msg != "":
		status = http.StatusBadRequest
	case !knownSite(sites, d.Site):
		h.fail(w, sess, http.StatusNotFound, "There is no site "+d.Site+".", nil)
		return
	default:
		if d.Rows, d.More, ok = h.auditRows(c, w, sess, aq); !ok {
			return
		}
	}
	h.render(w, status, "audit", page{Title: "Audit log", Admin: sess.Admin, CSRF: sess.CSRF, Data: d})
}

func knownSite(sites []centre.Site, id string) bool {
	for _, s := range sites {
		if s.ID == id {
			return true
		}
	}
	return false
}

func (h *Handler) auditRows(c context.Context, w http.ResponseWriter, sess centre.Session, aq centre.AuditQuery) ([]centre.AuditRow, bool, bool) {
	aq.Limit = MaxAuditRows + 1
	rows, err := h.svc.AuditLog(c, aq)
	if err != nil {
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not read the audit log.", err)
		return nil, false, false
	}
	if len(rows) > MaxAuditRows {
		return rows[:MaxAuditRows], true, true
	}
	return rows, false, true
}

// auditCSV exports the entries the audit page's filters select, all of
// them, as CSV whose cells a spreadsheet does not run (csvsafe).
func (h *Handler) auditCSV(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	c, cancel := ctx(r)
	defer cancel()
	aq, d, msg := auditQuery(r)
	if msg != "" {
		h.fail(w, sess, http.StatusBadRequest, msg, nil)
		return
	}
	sites, ok := h.sites(c, w, sess)
	if !ok {
		return
	}
	if !knownSite(sites, d.Site) {
		h.fail(w, sess, http.StatusNotFound, "There is no site "+d.Site+".", nil)
		return
	}
	rows, err := h.svc.AuditLog(c, aq)
	if err != nil {
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not read the audit log.", err)
		return
	}
	h.log.Info("console: audit log exported", "admin", sess.Admin, "site", d.Site, "entries", len(rows))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit-`+d.Site+`.csv"`)
	if err := centre.WriteAuditCSV(w, rows); err != nil {
		h.log.Error("console: audit CSV", "err", err)
	}
}

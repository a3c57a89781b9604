package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer/centre"
)

// IncidentWindow is how far back the fleet page counts incidents and
// drills per kiosk; the incidents page lists them all.
const IncidentWindow = 90 * 24 * time.Hour

// SkewWarning is the clock skew the fleet page marks: the kiosk's own
// warning to staff starts there too.
const SkewWarning = 5 * time.Minute

// Kiosk states on the fleet page.
const (
	StateOnline  = "online"
	StateOffline = "offline"
	StateNever   = "never seen"
	StateRevoked = "revoked"
)

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"stamp":    stamp,
		"ago":      Ago,
		"duration": duration,
		"skew":     skew,
		"span":     span,
		"pathEsc":  url.PathEscape,
		"abs": func(d time.Duration) time.Duration {
			if d < 0 {
				return -d
			}
			return d
		},
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := make(map[string]*template.Template)
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		pages[base] = template.Must(template.New(base).Funcs(funcs).ParseFS(files, "templates/layout.html", name))
	}
	return pages
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// Ago says how long before now t was, to the second under an hour. A t
// later than now (a clock set back since, here or at the kiosk) says so
// instead of showing a negative age.
func Ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d <= -time.Second:
		return duration(-d) + " ahead of this machine's clock"
	case d < time.Second:
		return "just now"
	}
	return duration(d) + " ago"
}

// duration rounds to what a person reads: seconds under a minute,
// minutes under a day.
func duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
}

// span is a whole number of days, hours or minutes in words.
func span(d time.Duration) string {
	unit := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d%(24*time.Hour) == 0:
		return unit(int(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return unit(int(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return unit(int(d/time.Minute), "minute")
	}
	return d.String()
}

// skew is the kiosk's clock against the centre's: "+2s" is ahead.
func skew(d time.Duration) string {
	d = d.Round(time.Second)
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}

// fleetSite is a site and its kiosks.
type fleetSite struct {
	centre.Site
	Kiosks []fleetKiosk
}

// fleetKiosk is a kiosk's row on the fleet page.
type fleetKiosk struct {
	centre.KioskInfo
	State        string
	SkewWarn     bool
	LastIncident *centre.IncidentRecord // the newest that was not a drill, in the window
	Incidents    int
	Drills       int
	LastDrill    *centre.IncidentRecord
}

type fleetData struct {
	Sites        []fleetSite
	Message      string
	OfflineAfter time.Duration
	Window       time.Duration
	Refresh      bool // the page reloads itself
}

// notices are the fleet page's messages after an action, by code, so a
// link cannot make the page say anything else.
var notices = map[string]string{
	"revoked": "Kiosk %s is revoked: its token no longer works and its next sync is refused. What it sent stays.",
}

func (h *Handler) fleet(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	c, cancel := ctx(r)
	defer cancel()
	now := h.now()
	sites, ok := h.sites(c, w, sess)
	if !ok {
		return
	}
	kiosks, ok := h.kiosks(c, w, sess)
	if !ok {
		return
	}
	d := fleetData{OfflineAfter: h.offlineAfter, Window: IncidentWindow, Refresh: h.refresh > 0}
	if format, ok := notices[r.URL.Query().Get("done")]; ok {
		for _, k := range kiosks {
			if k.ID == r.URL.Query().Get("kiosk") && k.Revoked {
				d.Message = fmt.Sprintf(format, k.ID)
			}
		}
	}
	for _, s := range sites {
		fs := fleetSite{Site: s}
		incidents, err := h.svc.Incidents(c, s.ID, now.Add(-IncidentWindow))
		if err != nil {
			h.fail(w, sess, http.StatusInternalServerError, "The centre could not read the incidents of site "+s.ID+".", err)
			return
		}
		for _, k := range kiosks {
			if k.Site != s.ID {
				continue
			}
			fk := fleetKiosk{KioskInfo: k, State: h.state(now, k), SkewWarn: k.Skew > SkewWarning || k.Skew < -SkewWarning}
			for i, in := range incidents { // newest first
				if in.Kiosk != k.ID {
					continue
				}
				if in.Summary.Drill {
					fk.Drills++
					if fk.LastDrill == nil {
						fk.LastDrill = &incidents[i]
					}
					continue
				}
				fk.Incidents++
				if fk.LastIncident == nil {
					fk.LastIncident = &incidents[i]
				}
			}
			fs.Kiosks = append(fs.Kiosks, fk)
		}
		d.Sites = append(d.Sites, fs)
	}
	h.render(w, http.StatusOK, "fleet", page{Title: "Fleet", Admin: sess.Admin, CSRF: sess.CSRF, Refresh: h.refresh, Data: d})
}

// state is online when the kiosk was heard from within offlineAfter.
func (h *Handler) state(now time.Time, k centre.KioskInfo) string {
	switch {
	case k.Revoked:
		return StateRevoked
	case k.LastSeen.IsZero():
		return StateNever
	case now.Sub(k.LastSeen) <= h.offlineAfter:
		return StateOnline
	}
	return StateOffline
}

type incidentRow struct {
	Site string
	centre.IncidentRecord
}

type incidentsData struct {
	Sites     []centre.Site
	Site      string // the filter; "" for every site
	Incidents []incidentRow
}

func (h *Handler) incidents(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	c, cancel := ctx(r)
	defer cancel()
	sites, ok := h.sites(c, w, sess)
	if !ok {
		return
	}
	d := incidentsData{Sites: sites, Site: r.URL.Query().Get("site")}
	for _, s := range sites {
		if d.Site != "" && s.ID != d.Site {
			continue
		}
		recs, err := h.svc.Incidents(c, s.ID, time.Time{})
		if err != nil {
			h.fail(w, sess, http.StatusInternalServerError, "The centre could not read the incidents of site "+s.ID+".", err)
			return
		}
		for _, rec := range recs {
			d.Incidents = append(d.Incidents, incidentRow{Site: s.ID, IncidentRecord: rec})
		}
	}
	h.render(w, http.StatusOK, "incidents", page{Title: "Incidents", Admin: sess.Admin, CSRF: sess.CSRF, Data: d})
}

type reportData struct {
	Site     centre.Site
	Incident centre.IncidentRecord
	Severity queue.Severity
}

func (h *Handler) report(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	c, cancel := ctx(r)
	defer cancel()
	site, kiosk := r.PathValue("site"), r.PathValue("kiosk")
	epoch, err1 := strconv.ParseInt(r.PathValue("epoch"), 10, 64)
	id, err2 := strconv.ParseInt(r.PathValue("id"), 10, 64)
	name, ok, err := h.svc.SiteName(c, site)
	switch {
	case err != nil:
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not read its sites.", err)
		return
	case !ok || err1 != nil || err2 != nil:
		h.fail(w, sess, http.StatusNotFound, "There is no such incident.", nil)
		return
	}
	recs, err := h.svc.Incidents(c, site, time.Time{})
	if err != nil {
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not read the incidents of site "+site+".", err)
		return
	}
	for _, rec := range recs {
		if rec.Kiosk == kiosk && rec.Epoch == epoch && rec.Summary.ID == id {
			h.render(w, http.StatusOK, "report", page{Title: "Incident report", Admin: sess.Admin, CSRF: sess.CSRF,
				Data: reportData{Site: centre.Site{ID: site, Name: name}, Incident: rec, Severity: rec.Summary.Peak}})
			return
		}
	}
	h.fail(w, sess, http.StatusNotFound, "There is no such incident.", nil)
}

// enrollData is the enrolment page: the form, and once a code is made,
// the code, shown this once, with how the kiosk uses it.
type enrollData struct {
	Sites   []centre.Site
	Site    string
	Kiosk   string
	Name    string
	Message string // why the last try failed
	Code    string // the one-time enrolment code; "" until made
	Expires string // when the code stops working
	Again   bool   // the kiosk is enrolled already: the code gives it a new token and its old one stops working
	Confirm bool   // ask to tick "Replace it" before a code is made for an enrolled kiosk
	// NoSupervisor: the site has no enabled supervisor account, so the
	// kiosk asks for its first at set-up.
	NoSupervisor bool
}

func (h *Handler) enrollForm(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	c, cancel := ctx(r)
	defer cancel()
	sites, ok := h.sites(c, w, sess)
	if !ok {
		return
	}
	h.render(w, http.StatusOK, "enroll", page{Title: "Enrol a kiosk", Admin: sess.Admin, CSRF: sess.CSRF,
		Data: enrollData{Sites: sites, Site: r.URL.Query().Get("site")}})
}

// enroll makes a one-time enrolment code for a kiosk and shows it, once:
// IT enters it on the kiosk's set-up screen (or runs kiosk enroll). The
// token stays between the kiosk and the centre.
func (h *Handler) enroll(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	c, cancel := ctx(r)
	defer cancel()
	sites, ok := h.sites(c, w, sess)
	if !ok {
		return
	}
	d := enrollData{Sites: sites, Site: r.PostFormValue("site"), Kiosk: strings.TrimSpace(r.PostFormValue("kiosk")),
		Name: strings.TrimSpace(r.PostFormValue("name"))}
	show := func(status int) {
		h.render(w, status, "enroll", page{Title: "Enrol a kiosk", Admin: sess.Admin, CSRF: sess.CSRF, Data: d})
	}
	switch {
	case !queue.ValidID(d.Kiosk):
		d.Message = "A kiosk id is lower-case letters, digits and dashes, like lobby-1: the kiosk_id in the kiosk's configuration."
		show(http.StatusBadRequest)
		return
	case len(d.Name) > queue.MaxNameLength:
		d.Message = fmt.Sprintf("A name has at most %d characters.", queue.MaxNameLength)
		show(http.StatusBadRequest)
		return
	}
	kiosks, ok := h.kiosks(c, w, sess)
	if !ok {
		return
	}
	for _, k := range kiosks {
		if k.ID == d.Kiosk {
			d.Again = !k.Revoked && k.Site == d.Site
			if d.Name == "" {
				d.Name = k.Name
			}
		}
	}
	if d.Again && r.PostFormValue("replace") != "yes" {
		// Enrolling it again cuts the machine that uses the id off.
		d.Message = "Kiosk " + d.Kiosk + " is enrolled already: a new enrolment cuts that machine off (its token stops working). " +
			"Tick \"Replace it\" to put a new or restored machine in its place, or revoke it to retire it."
		d.Confirm = true
		show(http.StatusConflict)
		return
	}
	// The code and its audit entry are one transaction: both or neither.
	code, expires, err := h.svc.NewEnrolmentCode(c, d.Site, d.Kiosk, d.Name, centre.DefaultCodeValidity, h.actor(sess))
	switch {
	case errors.Is(err, centre.ErrEnrolRefused):
		// The refusals (no such site, enrolled at another site) are
		// written for IT; the cause is in the message.
		d.Message = strings.TrimPrefix(err.Error(), "enrolment code for "+d.Kiosk+": ")
		h.log.Warn("console: enrolment code refused", "admin", sess.Admin, "kiosk", d.Kiosk, "err", err)
		show(http.StatusBadRequest)
		return
	case err != nil:
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not make the code; nothing was made. Try again.", err)
		return
	}
	h.log.Info("console: enrolment code made", "admin", sess.Admin, "site", d.Site, "kiosk", d.Kiosk)
	d.Code, d.Expires = code, expires.UTC().Format("2006-01-02 15:04 UTC")
	supervised, err := h.svc.HasSupervisor(c, d.Site)
	if err != nil {
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not read the site's staff accounts.", err)
		return
	}
	d.NoSupervisor = !supervised
	show(http.StatusOK)
}

func (h *Handler) revokeForm(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	c, cancel := ctx(r)
	defer cancel()
	kiosks, ok := h.kiosks(c, w, sess)
	if !ok {
		return
	}
	for _, k := range kiosks {
		if k.ID == r.PathValue("kiosk") && !k.Revoked {
			h.render(w, http.StatusOK, "revoke", page{Title: "Revoke " + k.ID, Admin: sess.Admin, CSRF: sess.CSRF, Data: k})
			return
		}
	}
	h.fail(w, sess, http.StatusNotFound, "There is no enrolled kiosk "+r.PathValue("kiosk")+", or it is revoked already.", nil)
}

func (h *Handler) revoke(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	c, cancel := ctx(r)
	defer cancel()
	kiosk := r.PathValue("kiosk")
	// Revoked and audited at the kiosk's site in one transaction.
	err := h.svc.Revoke(c, kiosk, h.actor(sess))
	switch {
	case errors.Is(err, centre.ErrNotFound):
		h.fail(w, sess, http.StatusNotFound, "There is no enrolled kiosk "+kiosk+", or it is revoked already.", nil)
		return
	case err != nil:
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not revoke the kiosk; nothing changed. Try again.", err)
		return
	}
	h.log.Info("console: kiosk revoked", "admin", sess.Admin, "kiosk", kiosk)
	http.Redirect(w, r, "/?done=revoked&kiosk="+url.QueryEscape(kiosk), http.StatusSeeOther)
}

// sites are the centre's sites, or false once the page says they could
// not be read.
func (h *Handler) sites(c context.Context, w http.ResponseWriter, sess centre.Session) ([]centre.Site, bool) {
	sites, err := h.svc.Sites(c)
	if err != nil {
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not read its sites.", err)
		return nil, false
	}
	return sites, true
}

// kiosks are the enrolled kiosks, or false once the page says they could
// not be read.
func (h *Handler) kiosks(c context.Context, w http.ResponseWriter, sess centre.Session) ([]centre.KioskInfo, bool) {
	kiosks, err := h.svc.Kiosks(c)
	if err != nil {
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not read its kiosks.", err)
		return nil, false
	}
	return kiosks, true
}

// Package console is the centre's fleet console: web pages for IT, served
// on the admin listener (never the kiosks' API listener), that show every
// site and kiosk, the incidents kiosks reported, enrol and revoke kiosks,
// edit a site's managed configuration, manage its staff accounts and read
// and export its audit log. Pages are server-rendered html/template,
// embedded with the stylesheet; there is no JavaScript.
//
// It works through centre.Service alone: accounts, sessions and lockout
// live there, in the store. It must not import a database driver nor
// anything of the kiosk.
//
// The session cookie is Secure; HttpOnly; SameSite=Strict. Browsers send
// a Secure cookie over https, and over plain http only to loopback
// (127.0.0.1, localhost): run the admin listener on loopback, or behind
// TLS.
package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"lobbyline/syncer/centre"
)

//go:embed templates/*.html static/*
var files embed.FS

// Cookie names. The login cookie carries the sign-in form's CSRF token
// before there is a session (double submit).
const (
	SessionCookie = "lobbyline_console"
	LoginCookie   = "lobbyline_console_login"
)

// DefaultOfflineAfter is how long a kiosk may go unheard before the
// console calls it offline. A kiosk syncs every 25–35 s, and the centre
// writes down that it heard a pull at most once a minute, so an online
// kiosk is at most about 95 s old here.
const DefaultOfflineAfter = 2 * time.Minute

// Options tune New; zero values are fine.
type Options struct {
	Now    func() time.Time // the clock "last seen" is measured against
	Logger *slog.Logger
	// OfflineAfter is DefaultOfflineAfter if zero.
	OfflineAfter time.Duration
	// Refresh is how often the fleet page reloads itself; zero means 15 s,
	// negative never.
	Refresh time.Duration
}

// Handler serves the console.
type Handler struct {
	svc          *centre.Service
	now          func() time.Time
	log          *slog.Logger
	offlineAfter time.Duration
	refresh      int // seconds; 0 means no reload
	mux          *http.ServeMux
	pages        map[string]*template.Template
}

// New returns the console over svc.
func New(svc *centre.Service, opts Options) *Handler {
	h := &Handler{svc: svc, now: opts.Now, log: opts.Logger, offlineAfter: opts.OfflineAfter, mux: http.NewServeMux()}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.offlineAfter <= 0 {
		h.offlineAfter = DefaultOfflineAfter
	}
	switch {
	case opts.Refresh == 0:
		h.refresh = 15
	case opts.Refresh > 0:
		h.refresh = max(1, int(opts.Refresh/time.Second))
	}
	h.pages = parsePages()
	static, _ := fs.Sub(files, "static")
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	h.mux.HandleFunc("GET /login", h.loginForm)
	h.mux.HandleFunc("POST /login", h.login)
	h.mux.HandleFunc("POST /logout", h.signedIn(h.logout))
	h.mux.HandleFunc("GET /{$}", h.signedIn(h.fleet))
	h.mux.HandleFunc("GET /incidents", h.signedIn(h.incidents))
	h.mux.HandleFunc("GET /sites/{site}/incidents/{kiosk}/{epoch}/{id}", h.signedIn(h.report))
	h.mux.HandleFunc("GET /enroll", h.signedIn(h.enrollForm))
	h.mux.HandleFunc("POST /enroll", h.signedIn(h.enroll))
	h.mux.HandleFunc("GET /kiosks/{kiosk}/revoke", h.signedIn(h.revokeForm))
	h.mux.HandleFunc("POST /kiosks/{kiosk}/revoke", h.signedIn(h.revoke))
	h.mux.HandleFunc("GET /sites/{site}/config", h.signedIn(h.siteConfigForm))
	h.mux.HandleFunc("POST /sites/{site}/config", h.signedIn(h.saveSiteConfig))
	h.mux.HandleFunc("GET /sites/{site}/staff", h.signedIn(h.staffPage))
	h.mux.HandleFunc("POST /sites/{site}/staff", h.signedIn(h.addStaff))
	h.mux.HandleFunc("POST /sites/{site}/staff/{id}/disable", h.signedIn(h.setDisabled(true)))
	h.mux.HandleFunc("POST /sites/{site}/staff/{id}/enable", h.signedIn(h.setDisabled(false)))
	h.mux.HandleFunc("GET /sites/{site}/staff/{id}/pin", h.signedIn(h.pinForm))
	h.mux.HandleFunc("POST /sites/{site}/staff/{id}/pin", h.signedIn(h.setPIN))
	h.mux.HandleFunc("GET /audit", h.signedIn(h.auditPage))
	h.mux.HandleFunc("GET /audit.csv", h.signedIn(h.auditCSV))
	return h
}

// ServeHTTP serves a page with headers that keep it out of frames and
// caches and allow no script at all.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	if r.Method == http.MethodPost {
		limit := int64(64 << 10)
		if strings.HasSuffix(r.URL.Path, "/config") { // a site's configuration, as TOML
			limit = maxConfigForm
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	h.mux.ServeHTTP(w, r)
}

// page is what every template gets.
type page struct {
	Title   string
	Admin   string // "" on the sign-in page
	CSRF    string
	Refresh int // seconds, 0 for none
	Now     time.Time
	Data    any
}

func (h *Handler) render(w http.ResponseWriter, status int, name string, p page) {
	t, ok := h.pages[name]
	if !ok {
		panic("console: no template " + name)
	}
	p.Now = h.now()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := t.ExecuteTemplate(w, "layout", p); err != nil {
		h.log.Error("console: render", "page", name, "err", err)
	}
}

// fail shows an error page; the cause goes to the log when it is ours.
func (h *Handler) fail(w http.ResponseWriter, sess centre.Session, status int, msg string, cause error) {
	if cause != nil {
		h.log.Error("console", "err", cause)
	}
	h.render(w, status, "error", page{Title: http.StatusText(status), Admin: sess.Admin, CSRF: sess.CSRF, Data: msg})
}

func (h *Handler) setCookie(w http.ResponseWriter, name, value string, expires time.Time) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}
	if expires.IsZero() {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	http.SetCookie(w, c)
}

func cookie(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// signedIn lets a request through with a live session: else GETs go to
// the sign-in page and POSTs are refused. Every POST must carry the
// session's CSRF token.
func (h *Handler) signedIn(next func(http.ResponseWriter, *http.Request, centre.Session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := h.svc.SessionFor(r.Context(), cookie(r, SessionCookie))
		switch {
		case errors.Is(err, centre.ErrNoSession) && r.Method == http.MethodGet:
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		case errors.Is(err, centre.ErrNoSession):
			h.fail(w, centre.Session{}, http.StatusUnauthorized, "You are not signed in, or your session expired. Sign in again.", nil)
			return
		case err != nil:
			h.fail(w, centre.Session{}, http.StatusInternalServerError, "The centre could not read its store.", err)
			return
		}
		if r.Method == http.MethodPost && !sess.CheckCSRF(r.PostFormValue("csrf")) {
			h.log.Warn("console: form without its CSRF token", "admin", sess.Admin, "path", r.URL.Path)
			h.fail(w, sess, http.StatusForbidden, "This form did not come from this console session, or it is from an earlier one. Reload the page and try again.", nil)
			return
		}
		next(w, r, sess)
	}
}

type loginData struct {
	Name    string
	Message string
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, err := h.svc.SessionFor(r.Context(), cookie(r, SessionCookie)); err == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	h.showLogin(w, http.StatusOK, loginData{})
}

// showLogin renders the sign-in form with a fresh token for its cookie.
func (h *Handler) showLogin(w http.ResponseWriter, status int, d loginData) {
	token := rand.Text()
	h.setCookie(w, LoginCookie, token, h.now().Add(time.Hour))
	h.render(w, status, "login", page{Title: "Sign in", CSRF: token, Data: d})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	name, password := r.PostFormValue("name"), r.PostFormValue("password")
	want := cookie(r, LoginCookie)
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(r.PostFormValue("csrf"))) != 1 {
		h.showLogin(w, http.StatusForbidden, loginData{Name: name, Message: "The sign-in form had expired. Try again."})
		return
	}
	sess, err := h.svc.Login(r.Context(), name, password)
	var locked *centre.LockedError
	switch {
	case errors.As(err, &locked):
		h.showLogin(w, http.StatusTooManyRequests, loginData{Name: name, Message: fmt.Sprintf(
			"This account is locked after %d wrong passwords, until %s UTC. Another admin can set a new password with: central admin add %s",
			centre.LoginLimit, locked.Until.UTC().Format("15:04"), name)})
		return
	case errors.Is(err, centre.ErrBadLogin):
		h.showLogin(w, http.StatusUnauthorized, loginData{Name: name, Message: "Wrong name or password."})
		return
	case err != nil:
		h.fail(w, centre.Session{}, http.StatusInternalServerError, "The centre could not sign you in.", err)
		return
	}
	h.setCookie(w, LoginCookie, "", time.Time{})
	h.setCookie(w, SessionCookie, sess.Token, sess.Expires)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	if err := h.svc.Logout(r.Context(), sess.Token); err != nil {
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not end the session.", err)
		return
	}
	h.setCookie(w, SessionCookie, "", time.Time{})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// ctx bounds a page's reads of the store.
func ctx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 10*time.Second)
}

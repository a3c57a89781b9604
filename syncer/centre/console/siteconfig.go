package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"lobbyline/queue/siteconfig"
	"lobbyline/syncer/centre"
)

// maxConfigForm is the most bytes a configuration form may post: the
// TOML, as `central config set` reads at most, and the form's fields.
const maxConfigForm = 1<<20 + 4<<10

type configData struct {
	Site, SiteName string
	Current        siteconfig.Record // Version 0: none set yet
	Base           int64             // the version the text was made from
	Text           string
	Message        string // why the text was refused
	Saved          bool
}

// siteConfigForm shows the site's configuration as TOML, to edit.
func (h *Handler) siteConfigForm(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	c, cancel := ctx(r)
	defer cancel()
	d, ok := h.configData(c, w, r, sess)
	if !ok {
		return
	}
	if d.Current.Version > 0 {
		text, err := d.Current.TOML()
		if err != nil {
			h.fail(w, sess, http.StatusInternalServerError, "The centre could not show this configuration.", err)
			return
		}
		d.Text = text
	}
	d.Base, d.Saved = d.Current.Version, r.URL.Query().Get("saved") != ""
	h.render(w, http.StatusOK, "config", page{Title: "Configuration of " + d.SiteName, Admin: sess.Admin, CSRF: sess.CSRF, Data: d})
}

// errEditedMeanwhile: someone saved a version since the form was made.
var errEditedMeanwhile = errors.New("edited meanwhile")

// saveSiteConfig checks the posted TOML with the rules every kiosk
// applies and stores it as the next version; a refused one is shown
// again, with the reason beside it, and nothing is stored. A form made
// from an older version than the current is refused too, so nobody
// overwrites a version they have not seen.
func (h *Handler) saveSiteConfig(w http.ResponseWriter, r *http.Request, sess centre.Session) {
	c, cancel := ctx(r)
	defer cancel()
	d, ok := h.configData(c, w, r, sess)
	if !ok {
		return
	}
	d.Text = strings.ReplaceAll(r.PostFormValue("toml"), "\r\n", "\n")
	d.Base, _ = strconv.ParseInt(r.PostFormValue("base"), 10, 64)
	refuse := func(msg string) {
		d.Message = msg
		h.render(w, http.StatusBadRequest, "config", page{Title: "Configuration of " + d.SiteName, Admin: sess.Admin, CSRF: sess.CSRF, Data: d})
	}
	doc, err := siteconfig.Parse(d.Text)
	if err != nil {
		refuse("Nothing stored: " + err.Error())
		return
	}
	rec, err := h.svc.SetSiteConfig(c, d.Site, sess.Admin, func(cur siteconfig.Record, _ bool) (siteconfig.Document, error) {
		if cur.Version != d.Base {
			d.Current = cur
			return siteconfig.Document{}, errEditedMeanwhile
		}
		return doc, nil
	})
	switch {
	case errors.Is(err, errEditedMeanwhile):
		refuse("Nothing stored: version " + strconv.FormatInt(d.Current.Version, 10) + " was saved by " + d.Current.SetBy +
			" since this page was opened. Open the page again to edit that version.")
		return
	case errors.Is(err, centre.ErrSiteConfig):
		_, reason, _ := strings.Cut(err.Error(), centre.ErrSiteConfig.Error()+": ")
		refuse("Nothing stored: " + reason)
		return
	case err != nil:
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not store the configuration.", err)
		return
	}
	h.log.Info("console: site configuration set", "admin", sess.Admin, "site", d.Site, "version", rec.Version)
	http.Redirect(w, r, "/sites/"+d.Site+"/config?saved="+strconv.FormatInt(rec.Version, 10), http.StatusSeeOther)
}

// configData is the site and its current configuration, or false once
// the page says why not.
func (h *Handler) configData(c context.Context, w http.ResponseWriter, r *http.Request, sess centre.Session) (configData, bool) {
	d := configData{Site: r.PathValue("site")}
	sites, ok := h.sites(c, w, sess)
	if !ok {
		return d, false
	}
	for _, s := range sites {
		if s.ID == d.Site {
			d.SiteName = s.Name
		}
	}
	if d.SiteName == "" {
		h.fail(w, sess, http.StatusNotFound, "There is no site "+d.Site+".", nil)
		return d, false
	}
	cur, _, err := h.svc.SiteConfig(c, d.Site)
	if err != nil {
		h.fail(w, sess, http.StatusInternalServerError, "The centre could not read the site's configuration.", err)
		return d, false
	}
	d.Current = cur
	return d, true
}

package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"

	"lobbyline/queue"
	"lobbyline/queue/siteconfig"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/wire"
)

// maxSiteConfig is the most bytes of TOML `config set` reads.
const maxSiteConfig = 1 << 20

type configSetCmd struct {
	site, file string
	by         string
}

func (c *configSetCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.site, "site", "", "the `SITE` whose configuration this is (required)")
	fs.StringVar(&c.by, "by", "", "who sets it, `NAME`, kept with the version (default: the user running central)")
}

func (c *configSetCmd) args(args []string) error {
	if err := wantArgs(args, "FILE.toml"); err != nil {
		return err
	}
	c.file = args[0]
	return checkSite(c.site)
}

// run checks the whole file before it opens the store: a bad file stores
// nothing and the site's kiosks keep the version they run.
func (c *configSetCmd) run(ctx context.Context, m *Main) error {
	b, err := os.ReadFile(c.file)
	if err != nil {
		return fmt.Errorf("config set: %w", err)
	}
	if len(b) > maxSiteConfig {
		return fmt.Errorf("config set: nothing stored; %s is over %d KiB", c.file, maxSiteConfig>>10)
	}
	doc, err := siteconfig.Parse(string(b))
	if err != nil {
		return fmt.Errorf("config set: nothing stored; %s: %w", c.file, err)
	}
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := siteExists(ctx, st, c.site); err != nil {
		return err
	}
	rec, err := st.SetSiteConfig(ctx, c.site, cmp.Or(c.by, currentUser()), func(siteconfig.Record, bool) (siteconfig.Document, error) {
		return doc, nil
	})
	if err != nil {
		return fmt.Errorf("config set: nothing stored: %w", err)
	}
	fmt.Fprintf(m.Stdout, "site %s: configuration version %d stored (%d services, %d desks); kiosks apply it at their next sync\n",
		c.site, rec.Version, len(doc.Services), len(doc.Desks))
	return nil
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

type configShowCmd struct {
	site       string
	json, toml bool
}

func (c *configShowCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.site, "site", "", "the `SITE` whose configuration to show (required)")
	fs.BoolVar(&c.json, "json", false, "print JSON")
	fs.BoolVar(&c.toml, "toml", false, "print the document as TOML, to edit and give to config set")
}

func (c *configShowCmd) args(args []string) error {
	if err := wantArgs(args); err != nil {
		return err
	}
	return checkSite(c.site)
}

func (c *configShowCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := siteExists(ctx, st, c.site); err != nil {
		return err
	}
	rec, ok, err := st.SiteConfig(ctx, c.site)
	if err != nil {
		return err
	}
	if !ok {
		if c.json {
			return errors.New("config show: no configuration set; kiosks use the services and desks of their own files")
		}
		fmt.Fprintf(m.Stdout, "site %s: no configuration set; its kiosks use the services and desks of their own files.\nSet one with: central config set --site %s FILE.toml\n", c.site, c.site)
		return nil
	}
	switch {
	case c.json:
		return printJSON(m.Stdout, rec)
	case c.toml:
		text, err := rec.TOML()
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "# site %s: configuration version %d, set %s by %s\n%s", c.site, rec.Version,
			rec.SetAt.Local().Format("2006-01-02 15:04:05"), rec.SetBy, text)
		return nil
	}
	fmt.Fprintf(m.Stdout, "site %s: configuration version %d, set %s by %s\n\n", c.site, rec.Version,
		rec.SetAt.Local().Format("2006-01-02 15:04:05"), rec.SetBy)
	tw := tabwriter.NewWriter(m.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tPREFIX\tNAME\tTIME PER VISITOR")
	for _, s := range rec.QueueServices() {
		tpv := "-"
		if s.TimePerVisitor != 0 {
			tpv = s.TimePerVisitor.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.ID, s.Prefix, s.Name, tpv)
	}
	fmt.Fprintln(tw, "\nDESK\tNAME\tSERVICES")
	for _, d := range rec.Desks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", d.ID, d.Name, strings.Join(d.Services, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if rec.Settings.Empty() {
		fmt.Fprintln(m.Stdout, "\nLanguages, timeouts, [outage], jobs.retention_days and [checkout]: each kiosk's own file.")
		return nil
	}
	text, err := siteconfig.Document{Settings: rec.Settings}.TOML()
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "\nSet here (the keys left out are each kiosk's own file's):\n%s", text)
	return nil
}

// errUnchanged: an import that would make a version like the current.
var errUnchanged = errors.New("unchanged")

// importServices makes the file's services those of the site's
// configuration, as its next version: a site's services have one source
// at the centre, the versioned document its kiosks apply with its desks.
// A service the file names is added or takes the file's prefix and name
// (keeping its names in other languages and its time per visitor); one it
// does not name stays, or with --replace goes. The new version is checked
// like any other (a desk naming a service gone refuses it), and a file
// that changes nothing makes no version.
func (c *importCmd) importServices(ctx context.Context, m *Main, st *centre.Service, items []item) error {
	fromFile := make(map[string]queue.Service, len(items))
	raw := make(map[string]json.RawMessage, len(items))
	for _, it := range items {
		s := it.data.(queue.Service)
		fromFile[it.key] = s
		raw[it.key], _ = json.Marshal(s)
	}
	if err := checkServices(raw); err != nil {
		return fmt.Errorf("import services: nothing imported: %w", err)
	}
	var added, updated, unchanged, deleted int
	rec, err := st.SetSiteConfig(ctx, c.site, currentUser(), func(cur siteconfig.Record, ok bool) (siteconfig.Document, error) {
		if !ok {
			return siteconfig.Document{}, fmt.Errorf("site %s has no configuration yet, and one needs its desks as well as its services: "+
				"set one with `central config set --site %s FILE.toml`; import services then updates its services", c.site, c.site)
		}
		added, updated, unchanged, deleted = 0, 0, 0, 0
		doc := cur.Document
		doc.Services = nil
		had := map[string]bool{}
		for _, s := range cur.Services {
			had[s.ID] = true
			f, inFile := fromFile[s.ID]
			switch {
			case !inFile && c.replace:
				deleted++
				continue
			case !inFile:
			case f.Prefix == s.Prefix && f.Name == s.Name:
				unchanged++
			default:
				s.Prefix, s.Name = f.Prefix, f.Name
				updated++
			}
			doc.Services = append(doc.Services, s)
		}
		for _, it := range items {
			if !had[it.key] {
				f := fromFile[it.key]
				doc.Services = append(doc.Services, siteconfig.Service{ID: f.ID, Prefix: f.Prefix, Name: f.Name})
				added++
			}
		}
		if added+updated+deleted == 0 {
			return doc, errUnchanged
		}
		return doc, nil
	})
	switch {
	case errors.Is(err, errUnchanged):
		cur, _, err := st.SiteConfig(ctx, c.site)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "services at site %s: 0 added, 0 updated, 0 deleted, %d unchanged; configuration version %d kept\n", c.site, unchanged, cur.Version)
		return nil
	case err != nil:
		return fmt.Errorf("import services: nothing imported: %w", err)
	}
	fmt.Fprintf(m.Stdout, "services at site %s: %d added, %d updated, %d deleted, %d unchanged; configuration version %d stored; kiosks apply it at their next sync\n",
		c.site, added, updated, deleted, unchanged, rec.Version)
	return nil
}

// configuredServices are the services of the site's configuration as
// records of kind services, for list.
func configuredServices(ctx context.Context, st *centre.Service, site string) ([]wire.Record, error) {
	rec, _, err := st.SiteConfig(ctx, site)
	if err != nil {
		return nil, err
	}
	out := make([]wire.Record, 0, len(rec.Services))
	for _, s := range rec.Services {
		data, err := json.Marshal(queue.Service{ID: s.ID, Prefix: s.Prefix, Name: s.Name})
		if err != nil {
			return nil, err
		}
		out = append(out, wire.Record{Entity: queue.EntityService, Key: s.ID, Data: data})
	}
	return out, nil
}

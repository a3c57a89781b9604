package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"

	"lobbyline/queue/siteconfig"
	"lobbyline/syncer/centre"
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
	cur, _, err := currentSiteConfig(ctx, st, c.site)
	if err != nil {
		return err
	}
	by := c.by
	if by == "" {
		by = currentUser()
	}
	// Two people setting one site's configuration at the same moment may
	// both write the next version; the later write wins at the centre.
	rec := siteconfig.Record{Version: cur.Version + 1, SetAt: m.now().UTC(), SetBy: by, Document: doc}
	if _, err := st.Write(ctx, c.site, []centre.RecordWrite{{Entity: siteconfig.Entity, Key: siteconfig.Key, Data: rec}}); err != nil {
		return fmt.Errorf("config set: nothing stored: %w", err)
	}
	fmt.Fprintf(m.Stdout, "site %s: configuration version %d stored (%d services, %d desks); kiosks apply it at their next sync\n",
		c.site, rec.Version, len(doc.Services), len(doc.Desks))
	return nil
}

// currentSiteConfig is the site's stored configuration; ok is false if
// none was ever set.
func currentSiteConfig(ctx context.Context, st *centre.Service, site string) (siteconfig.Record, bool, error) {
	data, ok, err := st.Record(ctx, site, siteconfig.Entity, siteconfig.Key)
	if err != nil || !ok {
		return siteconfig.Record{}, false, err
	}
	rec, err := siteconfig.DecodeRecord(data)
	if err != nil {
		return siteconfig.Record{}, false, fmt.Errorf("stored %w", err)
	}
	return rec, true, nil
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

type configShowCmd struct {
	site string
	json bool
}

func (c *configShowCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.site, "site", "", "the `SITE` whose configuration to show (required)")
	fs.BoolVar(&c.json, "json", false, "print JSON")
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
	rec, ok, err := currentSiteConfig(ctx, st, c.site)
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
	if c.json {
		return printJSON(m.Stdout, rec)
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
	return tw.Flush()
}

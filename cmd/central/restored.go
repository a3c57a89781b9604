package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"
)

// restoredCmd lists the visits a site's kiosks put back when they
// recovered a damaged database, and where each one's state came from
// (issue 15 §3): the centre keeps the origins kiosks send, and IT reads
// them here.
type restoredCmd struct {
	site string
	json bool
}

func (c *restoredCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.site, "site", "", "the `SITE` whose restored visits to list (required)")
	fs.BoolVar(&c.json, "json", false, "print JSON")
}

func (c *restoredCmd) args(args []string) error {
	if err := wantArgs(args); err != nil {
		return err
	}
	return checkSite(c.site)
}

func (c *restoredCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := siteExists(ctx, st, c.site); err != nil {
		return err
	}
	origins, err := st.VisitOrigins(ctx, c.site)
	if err != nil {
		return err
	}
	if c.json {
		type origin struct {
			Kiosk    string    `json:"kiosk"`
			Visit    string    `json:"visit"`
			Origin   string    `json:"origin"`
			Restored time.Time `json:"restored"`
		}
		out := []origin{}
		for _, o := range origins {
			out = append(out, origin{o.Kiosk, o.Key, o.Origin, o.Restored.UTC()})
		}
		return printJSON(m.Stdout, out)
	}
	if len(origins) == 0 {
		fmt.Fprintf(m.Stdout, "No kiosk of %s has restored visits after a recovery.\n", c.site)
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIOSK\tVISIT\tORIGIN\tTOLD THE CENTRE")
	for _, o := range origins {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Kiosk, o.Key, o.Origin, o.Restored.Local().Format("2006-01-02 15:04:05"))
	}
	return tw.Flush()
}

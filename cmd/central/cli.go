package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/skip2/go-qrcode"

	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/console"
	"lobbyline/syncer/wire"
)

// wantArgs checks the number of arguments against their names.
func wantArgs(args []string, names ...string) error {
	if len(args) != len(names) && len(names) == 0 {
		return fmt.Errorf("takes no arguments; got %q", args)
	}
	if len(args) != len(names) {
		return fmt.Errorf("takes %d argument(s), %s; got %d", len(names), strings.Join(names, " "), len(args))
	}
	return nil
}

func checkSite(site string) error {
	if site == "" {
		return errors.New("--site SITE is required")
	}
	if !queue.ValidID(site) {
		return fmt.Errorf("--site %q must be lower-case letters, digits and dashes", site)
	}
	return nil
}

// siteExists refuses an unknown site up front, so a typo is not taken
// for a site with nothing in it.
func siteExists(ctx context.Context, st *centre.Service, site string) error {
	_, ok, err := st.SiteName(ctx, site)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("site %q does not exist; add it with: central site add %s NAME", site, site)
	}
	return nil
}

type siteAddCmd struct{ id, name string }

func (*siteAddCmd) flags(*flag.FlagSet) {}

func (c *siteAddCmd) args(args []string) error {
	if len(args) < 2 {
		return errors.New("takes a site ID and NAME, like: central site add north \"North Hospital\"")
	}
	c.id, c.name = args[0], strings.TrimSpace(strings.Join(args[1:], " "))
	if !queue.ValidID(c.id) {
		return fmt.Errorf("site id %q must be lower-case letters, digits and dashes, like north", c.id)
	}
	return required("site name", c.name, queue.MaxNameLength)
}

func (c *siteAddCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := st.AddSite(ctx, c.id, c.name); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "site %s: %s\n", c.id, c.name)
	return nil
}

type enrollCmd struct {
	site, kiosk, name string
	nameSet           bool
	centre            string        // the address kiosks use, for the QR code
	valid             time.Duration // how long the code works
	token             bool          // print a token instead of a code
	replace           bool          // the kiosk id is enrolled and in use: replace it
	json              bool
}

func (c *enrollCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.site, "site", "", "the kiosk's `SITE` (required)")
	fs.Func("name", "the kiosk's `NAME`, for the kiosks list (default: keep the current one)", func(s string) error {
		c.name, c.nameSet = strings.TrimSpace(s), true
		return nil
	})
	fs.StringVar(&c.centre, "centre", "", "this centre's address as kiosks reach it, `URL`, put in the QR code with the code")
	fs.DurationVar(&c.valid, "valid", centre.DefaultCodeValidity, "how long the code works, `DURATION`")
	fs.BoolVar(&c.token, "token", false, "enrol now and print the kiosk's token instead of a code (for provisioning that writes the kiosk's enrolment file itself)")
	fs.BoolVar(&c.json, "json", false, "print JSON")
	fs.BoolVar(&c.replace, "replace", false, "the kiosk id is enrolled already: enrol a new machine in its place (the old one's token stops working)")
}

func (c *enrollCmd) args(args []string) error {
	if err := wantArgs(args, "KIOSK"); err != nil {
		return err
	}
	c.kiosk = args[0]
	if err := checkSite(c.site); err != nil {
		return err
	}
	if !queue.ValidID(c.kiosk) {
		return fmt.Errorf("kiosk id %q must be lower-case letters, digits and dashes, like the kiosk's kiosk_id", c.kiosk)
	}
	if c.valid <= 0 || c.valid > 30*24*time.Hour {
		return fmt.Errorf("--valid %s: want a duration from 1s to 720h", c.valid)
	}
	if c.centre != "" {
		if u, err := url.Parse(c.centre); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--centre %q: want http(s)://host[:port]", c.centre)
		}
	}
	return checkText("--name", c.name, queue.MaxNameLength)
}

func (c *enrollCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := siteExists(ctx, st, c.site); err != nil {
		return err
	}
	known, err := st.Kiosks(ctx)
	if err != nil {
		return err
	}
	var again *centre.KioskInfo
	for i, k := range known {
		if k.ID == c.kiosk {
			again = &known[i]
		}
	}
	if again != nil && again.Site == c.site && !again.Revoked && !c.replace {
		seen := "never seen"
		if !again.LastSeen.IsZero() {
			seen = "last seen " + console.Ago(m.now(), again.LastSeen)
		}
		return fmt.Errorf("kiosk %s is enrolled already (%s): enrolling it again cuts that machine off, its token stops working. "+
			"To put a new or restored machine in its place, add --replace; to retire it, central revoke %s", c.kiosk, seen, c.kiosk)
	}
	if again != nil && !c.nameSet {
		c.name = again.Name // Enroll replaces the name; keep it unless told
	}
	if !c.token {
		if err := c.printCode(ctx, m, st); err != nil {
			return err
		}
		return c.warnNoSupervisor(ctx, m, st)
	}
	// The enrolment and its audit entry are one transaction: the token is
	// printed only once both are stored.
	token, err := st.Enroll(ctx, c.site, c.kiosk, c.name, m.actor())
	if err != nil {
		return err
	}
	w := m.Stdout
	if c.json {
		if err := printJSON(w, map[string]string{"site": c.site, "kiosk": c.kiosk, "name": c.name, "token": token}); err != nil {
			return err
		}
		return c.warnNoSupervisor(ctx, m, st)
	}
	fmt.Fprintf(w, "Enrolled kiosk %s at site %s. Its token, shown this once (the centre keeps only a hash):\n\n", c.kiosk, c.site)
	fmt.Fprintf(w, "    %s\n\n", token)
	fmt.Fprintf(w, "Write it to the kiosk's enrolment file (readable by the kiosk's user only), never to its config\nor command line: see README, \"Install in a lobby\".\n")
	if again != nil {
		fmt.Fprintf(w, "Kiosk %s was enrolled before: its old token no longer works.\n", c.kiosk)
	}
	return c.warnNoSupervisor(ctx, m, st)
}

// warnNoSupervisor says so when the site has no enabled supervisor
// account: the kiosk will ask for one at set-up. With --json it goes to
// standard error, so the JSON stays whole.
func (c *enrollCmd) warnNoSupervisor(ctx context.Context, m *Main, st *centre.Service) error {
	ok, err := st.HasSupervisor(ctx, c.site)
	if err != nil || ok {
		return err
	}
	w := m.Stdout
	if c.json {
		w = m.Stderr
	}
	fmt.Fprintf(w, "\nWarning: site %s has no enabled supervisor account, so a kiosk enrolled now asks for its first supervisor at set-up.\n"+
		"To have one ready, add it first: central staff add --site %s --name NAME --role supervisor\n", c.site, c.site)
	return nil
}

// printCode makes a one-time enrolment code, audited in the same
// transaction, and shows it with its QR.
func (c *enrollCmd) printCode(ctx context.Context, m *Main, st *centre.Service) error {
	code, expires, err := st.NewEnrolmentCode(ctx, c.site, c.kiosk, c.name, c.valid, m.actor())
	if err != nil {
		return err
	}
	w := m.Stdout
	if c.json {
		return printJSON(w, map[string]string{"site": c.site, "kiosk": c.kiosk, "name": c.name, "code": code,
			"expires": expires.UTC().Format(time.RFC3339), "centre": c.centre})
	}
	scan := code
	if c.centre != "" {
		scan = wire.EnrolLink(c.centre, code)
	}
	qr, err := qrcode.New(scan, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("QR code: %w", err)
	}
	fmt.Fprintf(w, "Enrolment code for kiosk %s at site %s, for one use until %s:\n\n    %s\n\n",
		c.kiosk, c.site, expires.UTC().Format("2006-01-02 15:04 UTC"), code)
	fmt.Fprint(w, qr.ToSmallString(false))
	centreURL := c.centre
	if centreURL == "" {
		centreURL = "URL"
	}
	fmt.Fprintf(w, "\nOn the kiosk's set-up screen, enter this centre's address and the code (or scan the QR code),\n"+
		"or on the kiosk machine run:\n    lobbyline-kiosk enroll --centre %s --code %s\n", centreURL, code)
	if c.centre != "" {
		if err := syncer.CheckCentreURL(c.centre, false); errors.Is(err, syncer.ErrPlainHTTP) {
			fmt.Fprintf(w, "\nWarning: kiosks will refuse this address: %v.\n", err)
		}
	}
	return nil
}

// printJSON writes v as indented JSON, for scripts.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

type revokeCmd struct{ kiosk string }

func (*revokeCmd) flags(*flag.FlagSet) {}

func (c *revokeCmd) args(args []string) error {
	if err := wantArgs(args, "KIOSK"); err != nil {
		return err
	}
	c.kiosk = args[0]
	return nil
}

func (c *revokeCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	// Revoked and audited at the kiosk's site in one transaction.
	if err := st.Revoke(ctx, c.kiosk, m.actor()); err != nil {
		if errors.Is(err, centre.ErrNotFound) {
			return fmt.Errorf("no enrolled kiosk %q, or it is revoked already (see: central kiosks)", c.kiosk)
		}
		return err
	}
	fmt.Fprintf(m.Stdout, "Revoked kiosk %s: its token no longer works; what it sent stays. Enroll it again for a new token.\n", c.kiosk)
	return nil
}

type sitesCmd struct{ json bool }

func (c *sitesCmd) flags(fs *flag.FlagSet) { fs.BoolVar(&c.json, "json", false, "print JSON") }

func (*sitesCmd) args(args []string) error { return wantArgs(args) }

func (c *sitesCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	sites, err := st.Sites(ctx)
	if err != nil {
		return err
	}
	if c.json {
		type site struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		out := []site{}
		for _, s := range sites {
			out = append(out, site{s.ID, s.Name})
		}
		return printJSON(m.Stdout, out)
	}
	if len(sites) == 0 {
		fmt.Fprintln(m.Stdout, "No sites. Add one with: central site add ID NAME")
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tNAME")
	for _, s := range sites {
		fmt.Fprintf(tw, "%s\t%s\n", s.ID, s.Name)
	}
	return tw.Flush()
}

type kiosksCmd struct{ json bool }

func (c *kiosksCmd) flags(fs *flag.FlagSet) { fs.BoolVar(&c.json, "json", false, "print JSON") }

func (*kiosksCmd) args(args []string) error { return wantArgs(args) }

// kioskJSON is a kiosk as `central kiosks --json` prints it.
type kioskJSON struct {
	Site     string     `json:"site"`
	Kiosk    string     `json:"kiosk"`
	Name     string     `json:"name"`
	Revoked  bool       `json:"revoked"`
	LastSeen *time.Time `json:"last_seen"` // null: never
	Backlog  int64      `json:"backlog"`
	SkewMS   int64      `json:"skew_ms"`
	LastSeq  int64      `json:"last_seq"`
}

func (c *kiosksCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	ks, err := st.Kiosks(ctx)
	if err != nil {
		return err
	}
	if c.json {
		out := make([]kioskJSON, 0, len(ks))
		for _, k := range ks {
			j := kioskJSON{Site: k.Site, Kiosk: k.ID, Name: k.Name, Revoked: k.Revoked, Backlog: k.Backlog, SkewMS: k.Skew.Milliseconds(), LastSeq: k.LastSeq}
			if !k.LastSeen.IsZero() {
				seen := k.LastSeen.UTC()
				j.LastSeen = &seen
			}
			out = append(out, j)
		}
		return printJSON(m.Stdout, out)
	}
	if len(ks) == 0 {
		fmt.Fprintln(m.Stdout, "No kiosks enrolled. Enroll one with: central enroll --site SITE KIOSK")
		return nil
	}
	now := m.now()
	tw := tabwriter.NewWriter(m.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tKIOSK\tNAME\tREVOKED\tLAST SEEN\tBACKLOG\tSKEW\tLAST SEQ")
	for _, k := range ks {
		revoked, seen := "no", "never"
		if k.Revoked {
			revoked = "yes"
		}
		if !k.LastSeen.IsZero() {
			seen = fmt.Sprintf("%s (%s)", k.LastSeen.Local().Format("2006-01-02 15:04:05"), console.Ago(now, k.LastSeen))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\n", k.Site, k.ID, k.Name, revoked, seen, k.Backlog, formatSkew(k.Skew), k.LastSeq)
	}
	return tw.Flush()
}

// formatSkew shows how far a kiosk's clock is ahead (+) or behind (-).
func formatSkew(d time.Duration) string {
	s := d.Round(time.Millisecond).String()
	if d > 0 {
		s = "+" + s
	}
	return s
}

type importCmd struct {
	site    string
	replace bool
	kind    kind
	file    string
}

func (c *importCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.site, "site", "", "the `SITE` whose records these are (required)")
	fs.BoolVar(&c.replace, "replace", false, "also delete the site's records of this kind that the file does not hold")
}

func (c *importCmd) args(args []string) error {
	if err := wantArgs(args, "KIND", "FILE.csv"); err != nil {
		return err
	}
	var err error
	if c.kind, err = findKind(args[0]); err != nil {
		return err
	}
	c.file = args[1]
	return checkSite(c.site)
}

// run checks the whole file before it opens the store, and writes every
// change in one transaction: a file with one bad row changes nothing.
func (c *importCmd) run(ctx context.Context, m *Main) error {
	f, err := os.Open(c.file)
	if err != nil {
		return fmt.Errorf("import %s: %w", c.kind.name, err)
	}
	items, err := readCSV(c.kind, f)
	_ = f.Close() // read only: nothing to lose
	if err != nil {
		return fmt.Errorf("import %s: nothing imported; %s:\n%w", c.kind.name, c.file, err)
	}
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := siteExists(ctx, st, c.site); err != nil {
		return err
	}
	if c.kind.name == "services" {
		return c.importServices(ctx, m, st, items)
	}
	stored, err := st.Records(ctx, c.site, c.kind.entity)
	if err != nil {
		return err
	}
	current := make(map[string]json.RawMessage, len(stored))
	for _, r := range stored {
		current[r.Key] = r.Data
	}
	after := make(map[string]json.RawMessage, len(items))
	var writes []centre.RecordWrite
	var added, updated, unchanged, deleted int
	for _, it := range items {
		data, old := it.data, current[it.key]
		if c.kind.merge != nil {
			if data, err = c.kind.merge(old, data); err != nil {
				return err
			}
		}
		raw, err := json.Marshal(data)
		if err != nil {
			return fmt.Errorf("line %d: %w", it.line, err)
		}
		after[it.key] = raw
		switch {
		case old == nil:
			added++
		case sameJSON(old, raw):
			unchanged++
			continue
		default:
			updated++
		}
		writes = append(writes, centre.RecordWrite{Entity: c.kind.entity, Key: it.key, Data: json.RawMessage(raw)})
	}
	for _, r := range stored {
		if _, ok := after[r.Key]; ok {
			continue
		}
		if !c.replace {
			after[r.Key] = r.Data
			continue
		}
		deleted++
		writes = append(writes, centre.RecordWrite{Entity: c.kind.entity, Key: r.Key, Delete: true})
	}
	if c.kind.check != nil {
		if err := c.kind.check(after); err != nil {
			return fmt.Errorf("import %s: nothing imported: %w", c.kind.name, err)
		}
	}
	if len(writes) > 0 {
		if _, err := st.Write(ctx, c.site, writes); err != nil {
			return fmt.Errorf("import %s: nothing imported: %w", c.kind.name, err)
		}
	}
	fmt.Fprintf(m.Stdout, "%s at site %s: %d added, %d updated, %d deleted, %d unchanged\n",
		c.kind.name, c.site, added, updated, deleted, unchanged)
	return nil
}

func sameJSON(a, b []byte) bool {
	var ca, cb bytes.Buffer
	return json.Compact(&ca, a) == nil && json.Compact(&cb, b) == nil && bytes.Equal(ca.Bytes(), cb.Bytes())
}

type listCmd struct {
	site string
	kind kind
}

func (c *listCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.site, "site", "", "the `SITE` whose records to list (required)")
}

func (c *listCmd) args(args []string) error {
	if err := wantArgs(args, "KIND"); err != nil {
		return err
	}
	var err error
	if c.kind, err = findKind(args[0]); err != nil {
		return err
	}
	return checkSite(c.site)
}

// run prints the records in the columns import reads, exactly as stored:
// unlike incidents --csv it does not lead formula-like text with an
// apostrophe (csvsafe.Cell), because import would take the apostrophe
// back as part of the value.
func (c *listCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := siteExists(ctx, st, c.site); err != nil {
		return err
	}
	recs, err := st.Records(ctx, c.site, c.kind.entity)
	if c.kind.name == "services" {
		recs, err = configuredServices(ctx, st, c.site)
	}
	if err != nil {
		return err
	}
	w := csv.NewWriter(m.Stdout)
	if err := w.Write(slices.Concat(c.kind.columns, c.kind.optional)); err != nil {
		return err
	}
	for _, r := range recs {
		fields, err := c.kind.format(r.Key, r.Data)
		if err != nil {
			return fmt.Errorf("%s %s: %w", c.kind.name, r.Key, err)
		}
		if err := w.Write(fields); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

type cancelPreRegCmd struct{ site, code string }

func (c *cancelPreRegCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.site, "site", "", "the pre-registration's `SITE` (required)")
}

func (c *cancelPreRegCmd) args(args []string) error {
	if err := wantArgs(args, "CODE"); err != nil {
		return err
	}
	if c.code = queue.NormalizeInvite(args[0]); c.code == "" {
		return errors.New("the invite CODE is empty")
	}
	return checkSite(c.site)
}

func (c *cancelPreRegCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := siteExists(ctx, st, c.site); err != nil {
		return err
	}
	raw, ok, err := st.Record(ctx, c.site, queue.EntityPreReg, c.code)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no pre-registration %s at site %s (see: central list prereg --site %s)", c.code, c.site, c.site)
	}
	var p queue.PreRegistration
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("stored pre-registration %s: %w", c.code, err)
	}
	if p.Cancelled {
		fmt.Fprintf(m.Stdout, "Pre-registration %s (%s) was cancelled already.\n", p.Code, p.Name)
		return nil
	}
	p.Cancelled = true
	if _, err := st.Write(ctx, c.site, []centre.RecordWrite{{Entity: queue.EntityPreReg, Key: c.code, Data: p}}); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Cancelled pre-registration %s (%s). If they come anyway, staff get an alert.\n", p.Code, p.Name)
	return nil
}

type compactCmd struct {
	site      string
	olderThan time.Duration
}

func (c *compactCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.site, "site", "", "the `SITE` to compact (required)")
	fs.DurationVar(&c.olderThan, "older-than", 720*time.Hour, "purge deletion markers older than this `AGE`")
}

func (c *compactCmd) args(args []string) error {
	if err := wantArgs(args); err != nil {
		return err
	}
	if c.olderThan <= 0 {
		return fmt.Errorf("--older-than %s must be positive, like 720h", c.olderThan)
	}
	return checkSite(c.site)
}

func (c *compactCmd) run(ctx context.Context, m *Main) error {
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	if err := siteExists(ctx, st, c.site); err != nil {
		return err
	}
	n, err := st.Compact(ctx, c.site, m.now().Add(-c.olderThan))
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Site %s: purged %d deletion marker(s) older than %s. Kiosks that have not pulled since get a full snapshot.\n",
		c.site, n, c.olderThan)
	return nil
}

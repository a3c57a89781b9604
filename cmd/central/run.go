package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lobbyline/queue/pinhash"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centredb"
	"lobbyline/syncer/centre/sqlstore"
)

// Main is the program: flags, config and wiring, so tests can run it
// against a temporary directory.
type Main struct {
	Config     Config // after --config, --store and --listen
	ConfigPath string
	Store      string   // the DSN in use: Config.Store, else the default SQLite file
	Command    string   // "serve" when none is given
	Args       []string // the command's arguments after its flags

	Stdin          io.Reader // admin add reads the password here
	Stdout, Stderr io.Writer
	Logger         *slog.Logger
	Now            func() time.Time // the store's clock; nil means time.Now
	// PasswordCost is bcrypt's cost for console passwords; zero means
	// centre.PasswordCost. Tests lower it: the race detector makes cost 12
	// take seconds.
	PasswordCost int
	// PINParams are argon2id's costs for staff PINs; zero means
	// pinhash.Default. Tests lower them.
	PINParams pinhash.Params

	cmd        command
	storeFlag  string
	listenFlag string
	// adminListenFlag is --admin-listen.
	adminListenFlag string
	store           *centre.Service
	db              *sqlstore.Store // the store's database, closed by Close
	listening       chan struct{}   // closed once serve has bound its address
	addr            net.Addr
	adminAddr       net.Addr // the console's, if it has one
}

// NewMain returns a Main with the default config and the process's
// standard streams; logs go to standard error.
func NewMain() *Main {
	return &Main{
		Config: DefaultConfig(),
		Stdin:  os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, nil)),
		listening: make(chan struct{}),
	}
}

// A command is one of central's subcommands. ParseFlags registers its
// flags and hands it its arguments to check, before any store is opened,
// so bad input changes nothing; Run runs it.
type command interface {
	flags(fs *flag.FlagSet)
	args(args []string) error
	run(ctx context.Context, m *Main) error
}

type commandInfo struct {
	name    string // "site add" is two words
	usage   string // arguments and flags after the name
	summary string
	new     func() command
}

var commands = []commandInfo{
	{"serve", "", "run the HTTP API kiosks sync with (the default)", func() command { return &serveCmd{} }},
	{"site add", "ID NAME", "add a site, or rename one", func() command { return &siteAddCmd{} }},
	{"sites", "[--json]", "list the sites", func() command { return &sitesCmd{} }},
	{"enroll", "--site SITE KIOSK [--name NAME] [--centre URL] [--valid 24h] [--token] [--json]", "make a one-time enrolment code for a kiosk (or, with --token, enrol it and print its token)", func() command { return &enrollCmd{} }},
	{"revoke", "KIOSK", "stop a kiosk's token from working; its data stays", func() command { return &revokeCmd{} }},
	{"admin add", "NAME", "add a fleet console account, or set its password (read from stdin)", func() command { return &adminAddCmd{} }},
	{"staff add", "--site SITE --name NAME --role reception|supervisor [--badge]", "add a staff account; its PIN (then, with --badge, its badge's code) is typed twice at the terminal or read from stdin, never taken from the command line", func() command { return &staffAddCmd{} }},
	{"staff list", "--site SITE [--json]", "list a site's staff accounts: name, role, badge, disabled, last change (never a hash)", func() command { return &staffListCmd{} }},
	{"staff disable", "--site SITE --id ID", "stop a staff account from signing in; it is kept, so what it did keeps its name", func() command { return &staffDisableCmd{disable: true} }},
	{"staff enable", "--site SITE --id ID", "let a disabled staff account sign in again", func() command { return &staffDisableCmd{} }},
	{"staff set-pin", "--site SITE --id ID", "give a staff account a new PIN, typed or read from stdin", func() command { return &staffSetPINCmd{} }},
	{"staff set-badge", "--site SITE --id ID [--remove]", "give a staff account a badge (its code typed, scanned or read from stdin), or take it away", func() command { return &staffSetBadgeCmd{} }},
	{"audit", "--site SITE [--since DATE] [--until DATE] [--json|--csv]", "export a site's audit log of staff actions (kept a year)", func() command { return &auditCmd{} }},
	{"kiosks", "", "list kiosks: site, last seen, backlog, clock skew", func() command { return &kiosksCmd{} }},
	{"restored", "--site SITE [--json]", "list the visits a site's kiosks restored after a damaged database, and where each one's state came from (snapshot, damaged-file, outbox, centre)", func() command { return &restoredCmd{} }},
	{"incidents", "--site SITE [--since YYYY-MM-DD] [--csv]", "list the outages and drills a site's kiosks reported", func() command { return &incidentsCmd{} }},
	{"import", "KIND --site SITE [--replace] FILE.csv", "import a site's " + kindNames() + " from CSV", func() command { return &importCmd{} }},
	{"list", "KIND --site SITE", "print a site's records of one kind as CSV that import reads back", func() command { return &listCmd{} }},
	{"config set", "--site SITE [--by NAME] FILE.toml", "check a site's services and desks ([[services]] and [[desks]] as in the kiosk's file) and store them as its next configuration version, which its kiosks apply", func() command { return &configSetCmd{} }},
	{"config show", "--site SITE [--json]", "print a site's current configuration version", func() command { return &configShowCmd{} }},
	{"cancel-prereg", "--site SITE CODE", "cancel a pre-registration; the record stays so a late arrival is flagged", func() command { return &cancelPreRegCmd{} }},
	{"check-config", "", "validate the config and say what it holds", func() command { return &checkConfigCmd{} }},
	{"version", "", "print the version (also --version)", func() command { return &versionCmd{} }},
	{"compact", "--site SITE [--older-than 720h]", "purge deletion markers older than the given age", func() command { return &compactCmd{} }},
	{"prune", "[--older-than 2160h]", "clear old mutation payloads; names and payload hashes stay", func() command { return &pruneCmd{} }},
	{"erase", "--site SITE --name NAME", "forget one person on request: their visits, alerts, check-ins and payloads at the centre, and each kiosk's own copy when it next syncs", func() command { return &eraseCmd{} }},
	{"purge", "[--site SITE]", "erase visitors' personal data past each site's retention (jobs.retention_days, 30 by default) now; serve does it daily at purge_at", func() command { return &purgeCmd{} }},
}

func usage() string {
	var b strings.Builder
	b.WriteString(`Usage:
  central [--config FILE] [--store DSN] [--listen ADDR] [--admin-listen ADDR] [serve]
  central [--config FILE] [--store DSN] COMMAND [flags] [arguments]

Commands (--config and --store may also follow the command):
`)
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name+" "+c.usage))
	}
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, strings.TrimSpace(c.name+" "+c.usage), c.summary)
	}
	b.WriteString("\nGlobal flags:\n")
	return b.String()
}

// globalFlags registers the flags every command takes. The current values
// are the defaults, so flags given before the command survive a second
// FlagSet.
func (m *Main) globalFlags(fs *flag.FlagSet, listen bool) {
	fs.StringVar(&m.ConfigPath, "config", m.ConfigPath, "config `FILE` (default: built-in defaults, see cmd/central/default.toml)")
	fs.StringVar(&m.storeFlag, "store", m.storeFlag, "store `DSN`: a SQLite file or a postgres:// URL (default: store from the config, else central.db in the user data directory)")
	if listen {
		fs.StringVar(&m.listenFlag, "listen", m.listenFlag, "`ADDR` (host:port) for the HTTP API (default: listen from the config, 127.0.0.1:8470)")
		fs.StringVar(&m.adminListenFlag, "admin-listen", m.adminListenFlag, "`ADDR` (host:port) for the fleet console (default: admin_listen from the config; none if unset)")
	}
}

// ParseFlags reads the global flags, the command and its flags, loads the
// config and checks the command's arguments.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("central", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	m.globalFlags(fs, true)
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		m.Command, m.cmd = "version", &versionCmd{}
		return nil
	}
	info, rest, err := findCommand(fs.Args())
	if err != nil {
		return err
	}
	m.Command = info.name
	cfs := flag.NewFlagSet(info.name, flag.ContinueOnError)
	cfs.SetOutput(m.Stderr)
	cfs.Usage = func() {
		fmt.Fprintf(cfs.Output(), "Usage: central %s\n%s.\n\nFlags:\n", strings.TrimSpace(info.name+" "+info.usage),
			strings.ToUpper(info.summary[:1])+info.summary[1:])
		cfs.PrintDefaults()
	}
	m.globalFlags(cfs, info.name == "serve")
	cmd := info.new()
	cmd.flags(cfs)
	if m.Args, err = parseInterspersed(cfs, rest); err != nil {
		return err
	}
	if err := m.loadConfig(); err != nil {
		return err
	}
	if err := cmd.args(m.Args); err != nil {
		return fmt.Errorf("%s: %w", info.name, err)
	}
	m.cmd = cmd
	return nil
}

func findCommand(args []string) (commandInfo, []string, error) {
	if len(args) == 0 {
		return commands[0], nil, nil
	}
	var subs []string // "config set …", "config show …": what args[0] needs
	for _, c := range commands {
		first, second, two := strings.Cut(c.name, " ")
		switch {
		case !two && args[0] == c.name:
			return c, args[1:], nil
		case two && args[0] == first && len(args) > 1 && args[1] == second:
			return c, args[2:], nil
		case two && args[0] == first:
			subs = append(subs, "central "+c.name+" "+c.usage)
		}
	}
	if len(subs) > 0 {
		return commandInfo{}, nil, fmt.Errorf("%s needs a subcommand: %s", args[0], strings.Join(subs, " or "))
	}
	return commandInfo{}, nil, fmt.Errorf("unknown command %q (try central --help)", args[0])
}

// parseInterspersed parses flags wherever they appear among the arguments,
// so "enroll --site north lobby-1 --name Lobby" works; arguments after
// "--" are never flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// loadConfig reads --config, applies --store and --listen over it, and
// settles which store to use.
func (m *Main) loadConfig() error {
	if m.ConfigPath != "" {
		c, err := LoadConfig(m.ConfigPath)
		if err != nil {
			return err
		}
		m.Config = c
	}
	if m.storeFlag != "" {
		m.Config.Store = m.storeFlag
	}
	if m.listenFlag != "" {
		m.Config.Listen = m.listenFlag
	}
	if m.adminListenFlag != "" {
		m.Config.AdminListen = m.adminListenFlag
	}
	if err := m.Config.Validate(); err != nil {
		return err
	}
	m.Store = m.Config.Store
	if m.Store == "" {
		dir, err := dataDir()
		if err != nil {
			return err
		}
		m.Store = filepath.Join(dir, "central.db")
	}
	return nil
}

// dataDir is $XDG_DATA_HOME/lobbyline-central, or
// ~/.local/share/lobbyline-central.
func dataDir() (string, error) {
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find data directory: %w (set --store)", err)
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "lobbyline-central"), nil
}

// Run runs the command ParseFlags chose.
func (m *Main) Run(ctx context.Context) error {
	if m.cmd == nil {
		return errors.New("run: ParseFlags has not succeeded")
	}
	return m.cmd.run(ctx, m)
}

// openStore opens the store once; commands call it after checking their
// input, so bad input never creates a database.
func (m *Main) openStore(ctx context.Context) (*centre.Service, error) {
	if m.store != nil {
		return m.store, nil
	}
	if !centredb.IsPostgres(m.Store) {
		dir := filepath.Dir(strings.TrimPrefix(m.Store, "sqlite:"))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	// As many database connections as requests it serves at once.
	db, err := centredb.Open(ctx, m.Store, centredb.Options{Now: m.Now, MaxConns: m.Config.MaxInFlight})
	if err != nil {
		return nil, err
	}
	m.db, m.store = db, centre.New(db, centre.Options{Now: m.Now, Logger: m.Logger, PasswordCost: m.PasswordCost, PINParams: m.PINParams})
	return m.store, nil
}

// Close releases the store.
func (m *Main) Close() error {
	if m.store == nil {
		return nil
	}
	err := m.db.Close()
	m.store, m.db = nil, nil
	return err
}

func (m *Main) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

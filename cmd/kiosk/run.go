package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"lobbyline/assets"
	"lobbyline/queue"
	"lobbyline/queue/jobs"
	"lobbyline/queue/sqldb"
)

// Main is the program: flags, config and wiring, so tests can run it
// against a temporary directory.
type Main struct {
	Config     Config
	ConfigPath string
	DBPath     string
	Fullscreen bool
	// Demo lets the lobby open with the sample PIN and the embedded
	// centre, for trying Lobbyline out (./dev.sh run).
	Demo    bool
	Command string   // "" runs the UI
	Args    []string // the command's own arguments

	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Logger         *slog.Logger

	store *queue.Store
	jobs  *jobs.Jobs // nil until the UI starts them
	// newApp makes the Fyne app (nil: the real one) and runWindow runs
	// its window until it closes (nil: ShowAndRun); tests set both.
	newApp    func() fyne.App
	runWindow func(fyne.Window)
	// recoverAfterUI: the store said its database is damaged while the
	// kiosk ran, and the kiosk recovers it by itself once the window
	// has closed (selfrecover.go).
	recoverAfterUI bool
	// selfRecoverUnguarded: the record of automatic recoveries could not
	// be written, so the kiosk does not recover by itself (no loop).
	selfRecoverUnguarded bool
	kick                 kick
	// openedReadOnly is the disk fault for which the store was opened to
	// read only, FaultNone when it opened the ordinary way.
	openedReadOnly sqldb.Fault
	site           siteView       // the site's settings in use
	closers        []func() error // run in reverse order by Close, before the store closes
}

// NewMain returns a Main with the embedded default config and the process's
// standard streams.
func NewMain() *Main {
	return &Main{
		Config: DefaultConfig(),
		Stdin:  os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
	}
}

const usage = `Usage:
  kiosk [--config FILE] [--db FILE] [--fullscreen]   open the kiosk
  kiosk --demo                                       try it out: Demo supervisor, PIN 246810; an embedded centre
  kiosk [--config FILE] [--db FILE] COMMAND [flags]  work on the same database

Commands:
  checkin       check in a visitor
  queue         list desks and who is waiting
  open-desk     open a desk (or change who is at it)
  close-desk    close a desk
  call-next     call the next visitor to a desk
  export        write a day's visits as CSV
  wait-eval     replay a visit log through the wait estimator
  hash-pin      print the pin_hash for a staff PIN read from stdin
  check-config  validate the config, say whether the lobby may open and where the database is
  enroll        enrol with the centre: a one-time code from central enroll for this kiosk's token
  sync          sync with the centre once and print the connectivity state
  incidents     list this kiosk's outages and drills
  report        write an incident's report (Markdown, CSV, HTML) in the staff language (--lang to choose)
  drill         start or stop an outage drill
  roster        who is in the building (--csv for a file, --html to print)
  checkout      check a visitor out by ticket number or QR reference
  close-day     end the day now: check everyone out, expire open tickets
  purge         erase personal data older than jobs.retention_days now
  prune         remove what the centre has and is older than jobs.prune_days now
  staff         staff accounts: list, add, set-pin, set-badge, disable, enable (PINs read from stdin)
  audit         print the staff actions recorded here (--csv, --json)
  backup        write a consistent copy of the database to FILE (while the kiosk runs)
  restore       put a backup in place of the database (the kiosk stopped); keeps the old as .before-restore
  snapshot      take a checked snapshot now if the database changed (the kiosk takes one hourly)
  recover       rebuild a damaged database (the kiosk stopped) from the newest snapshot, what is still readable and the outbox
  version       print the version (also --version)

Global flags:
`

// ParseFlags reads the global flags, loads the config and picks the command.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("kiosk", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.StringVar(&m.ConfigPath, "config", "", "config `FILE` (default: the embedded sample)")
	fs.StringVar(&m.DBPath, "db", "", "database `FILE` (default: config database, else the user data directory)")
	fs.BoolVar(&m.Fullscreen, "fullscreen", false, "fill the screen, for lobby use")
	fs.BoolVar(&m.Demo, "demo", false, "try Lobbyline out: open the lobby with the demo's staff accounts (PIN 246810) and an embedded centre")
	central := fs.String("central", "", "sync with the centre at `URL` (or \"embedded\", \"off\"), overriding the config's central")
	token := fs.String("central-token", "", "no longer accepted: a token on the command line is visible to every user (use the enroll command)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		m.Command, m.Args = "version", nil
		return nil
	}
	if m.ConfigPath != "" {
		c, err := LoadConfig(m.ConfigPath)
		if err != nil {
			return err
		}
		m.Config = c
	}
	if *token != "" {
		return errors.New("--central-token is no longer accepted: `ps` shows a command line to every user. " +
			"Enrol the kiosk once with `lobbyline-kiosk enroll --centre URL --code CODE` (a code from `central enroll`); its token is then kept in a file only this user reads")
	}
	if *central != "" {
		m.Config.Central = *central
		if err := m.Config.Validate(); err != nil {
			return fmt.Errorf("--central: %w", err)
		}
	}
	if rest := fs.Args(); len(rest) > 0 {
		m.Command, m.Args = rest[0], rest[1:]
	}
	if m.DBPath == "" {
		m.DBPath = m.Config.Database
	}
	if m.DBPath == "" {
		dir, err := dataDir()
		if err != nil {
			return err
		}
		m.DBPath = filepath.Join(dir, m.Config.KioskID+".db")
	}
	return nil
}

// dataDir is $XDG_DATA_HOME/lobbyline, or ~/.local/share/lobbyline.
func dataDir() (string, error) {
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find data directory: %w (set --db)", err)
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "lobbyline"), nil
}

// Run runs the command, or the UI when there is none.
func (m *Main) Run(ctx context.Context) error {
	for {
		// The kiosk opens its database again after recovering it by
		// itself (selfrecover.go): at most twice, as the record of
		// automatic recoveries allows one.
		if err := m.run(ctx); !errors.Is(err, errReopen) {
			return err
		}
	}
}

// errReopen: the kiosk recovered its database by itself before its
// window opened, and opens it again.
var errReopen = errors.New("open the recovered database")

func (m *Main) run(ctx context.Context) error {
	if cmd, ok := offlineCommands[m.Command]; ok {
		return cmd(ctx, m, m.Args)
	}
	cmd, ok := storeCommands[m.Command]
	if !ok {
		return fmt.Errorf("unknown command %q (try kiosk --help)", m.Command)
	}
	if err := m.openForCommand(ctx); err != nil {
		if f := queue.FaultOf(err); m.Command == "" && (f == sqldb.FaultFull || f == sqldb.FaultReadOnly || f == sqldb.FaultIO || errors.Is(err, sqldb.ErrNoSafeRead)) {
			// The disk: the lobby's screen says so, and sends visitors
			// to reception.
			return runProblemUI(ctx, m, m.diskWords(err).Error())
		}
		if m.Command == "" {
			// The database itself (damaged, or not one): recovered by
			// the kiosk itself if the config allows (then opened
			// again), else the reception screen, from which staff can
			// start recovery.
			var held *queue.AutoRecovery
			if isDamageErr(err) {
				var tried bool
				if tried, held = m.selfRecover(ctx, err); tried {
					return errReopen
				}
			}
			return m.runWithoutStore(ctx, err, held)
		}
		return m.storageWords(err)
	}
	if m.Command != "" {
		// What a command changes is audited as the operating-system
		// user, from the command line.
		ctx = queue.WithActor(ctx, queue.CommandLineActor(queue.AuditCLI))
	}
	return m.storageWords(cmd(ctx, m, m.Args))
}

// storageWords says a storage error plainly for the command line: a
// damaged database (damaged), or the disk under it (diskWords).
func (m *Main) storageWords(err error) error {
	if f := sqldb.FaultOf(err); errors.Is(err, queue.ErrDamaged) || f == sqldb.FaultDamaged || f == sqldb.FaultNotADB {
		return m.damaged(err)
	}
	return m.diskWords(err)
}

// damaged words an error that says the database is damaged, or is not a
// database at all, plainly for the command line: what it means and what
// to do. Other errors pass as they are.
func (m *Main) damaged(err error) error {
	if err == nil {
		return nil
	}
	f := sqldb.FaultOf(err)
	if !errors.Is(err, queue.ErrDamaged) && f != sqldb.FaultDamaged && f != sqldb.FaultNotADB {
		return err
	}
	return fmt.Errorf("the kiosk database %s is damaged: nothing was read from it or written to it, and the lobby sends visitors to reception.\n"+
		"To recover it, stop the kiosk (systemctl stop lobbyline-kiosk) and run: lobbyline-kiosk recover\n(%w)", m.DBPath, err)
}

func (m *Main) openStore(ctx context.Context, readOnly bool) error {
	if err := os.MkdirAll(filepath.Dir(m.DBPath), 0o700); err != nil && !readOnly {
		return fmt.Errorf("create data directory: %w", err)
	}
	opts := m.Config.storeOptions()
	opts.Logger = m.Logger
	opts.AfterWrite = m.kick.run
	opts.ReadOnly = readOnly
	if !readOnly {
		opts.Reserve = m.reserve()
	}
	s, err := queue.Open(ctx, m.DBPath, opts)
	if err != nil {
		return err
	}
	m.store = s
	m.siteSettings() // the store offers the site's languages, the centre's if it set them
	return nil
}

// Close stops the syncer and any embedded centre, then closes the store.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	if m.store != nil {
		errs = append(errs, m.store.Close())
		m.store = nil
	}
	return errors.Join(errs...)
}

// app makes the kiosk's Fyne app.
func (m *Main) app() fyne.App {
	if m.newApp != nil {
		return m.newApp()
	}
	a := app.NewWithID("org.lobbyline.kiosk")
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	return a
}

// show runs a's window w until it closes. A window system that cannot be
// reached (no display, the session's X server not up yet) makes Fyne
// panic before the app starts; that becomes an error that says so, for
// the journal, instead of a stack trace. A panic once the app runs is a
// bug, and stays a panic.
func (m *Main) show(a fyne.App, w fyne.Window) (err error) {
	if m.runWindow != nil {
		m.runWindow(w)
		return nil
	}
	var started atomic.Bool
	a.Lifecycle().SetOnStarted(func() { started.Store(true) })
	defer func() {
		if r := recover(); r != nil {
			if started.Load() {
				panic(r)
			}
			err = fmt.Errorf("the kiosk cannot open its window: %v (DISPLAY=%q, WAYLAND_DISPLAY=%q): is its graphical session running?",
				r, os.Getenv("DISPLAY"), os.Getenv("WAYLAND_DISPLAY"))
		}
	}()
	w.ShowAndRun()
	return nil
}

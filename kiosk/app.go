// Package kiosk is Lobbyline's touchscreen UI, built with Fyne: the
// welcome screen with the lobby board, the check-in form, the ticket, the
// staff PIN pad and the staff screen, the on-screen keyboard, their theme
// and translations.
//
// It holds no business rules: every decision is the queue.Store's, and
// this package only shows its answers. The screens see the store, the
// syncer and the outage monitor through the small interfaces in
// interfaces.go, never their concrete types. Nothing else in the project
// may import it except cmd/kiosk.
package kiosk

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"

	"lobbyline/queue"
	"lobbyline/queue/diskwatch"
	"lobbyline/syncer"
	"lobbyline/syncer/outage"
)

// Config is what the UI needs from the kiosk's configuration.
type Config struct {
	KioskName        string
	KioskNames       map[string]string // KioskName in other languages, by code
	Site             string            // the site's id, for printed lists
	Languages        []string          // language codes; the first is the default
	IdleTimeout      time.Duration
	StaffIdleTimeout time.Duration
	Privacy          Privacy
	Keyboard         KeyboardMode // the on-screen keyboard; "" means auto
	PINHash          string
	// PhoneProof: a check-out by typed ticket number asks for the last
	// four digits of the visit's phone, and the check-in form asks for a
	// phone ([checkout] phone_proof; queue.AskedFields).
	PhoneProof bool
	// Centre: the kiosk has a centre, which sends pre-registrations, so
	// the form asks for an invite code (queue.AskedFields).
	Centre   bool
	Now      func() time.Time // nil means time.Now
	Sync     SyncSource       // nil when sync is off
	Outage   OutageSource     // nil when sync is off
	Disk     DiskSource       // the disk monitor; nil: none
	Incident IncidentConfig
	// SiteSettings, if set, is the site's settings in use and their
	// version (the centre's managed configuration over the kiosk file's).
	// The UI reads it on each refresh and takes a new version on the
	// welcome screen, never in the middle of a check-in or a staff
	// action; until then the Config's own fields are used. It is called
	// off the UI goroutine and must be cheap.
	SiteSettings func() (version int64, s SiteSettings)
	// Setup, when set, is shown instead of the lobby until the kiosk is
	// enrolled (setup.go).
	Setup *Setup
	// SelfRecovery is the kiosk recovering a damaged database by itself
	// ([jobs] self_recover; selfrecovery.go); nil while that is off.
	SelfRecovery *SelfRecovery
}

// IncidentConfig is what staff work with during an incident.
type IncidentConfig struct {
	Templates      []queue.MessageTemplate                                               // lobby messages to pick from
	Runbook        []string                                                              // the checklist shown when an incident starts
	Contacts       map[queue.Severity][]string                                           // whom to call, by severity
	DrillBanner    bool                                                                  // the drill form's default for "visitors see the banner"
	FeedbackWindow time.Duration                                                         // after an incident, check-out asks for feedback this long (default 2 h)
	WriteReport    func(ctx context.Context, incident int64) (paths []string, err error) // nil: no report files
	ExportDir      string                                                                // where roster exports are written
	Location       *time.Location                                                        // for times shown to staff; nil means time.Local
}

// SiteSettings are the parts of Config that a site's managed
// configuration sets, which the UI takes without a restart.
type SiteSettings struct {
	Languages        []string
	IdleTimeout      time.Duration
	StaffIdleTimeout time.Duration
	Templates        []queue.MessageTemplate
	Runbook          []string
	Contacts         map[queue.Severity][]string
	DrillBanner      bool
	FeedbackWindow   time.Duration // negative: never ask
	PhoneProof       bool
}

// Defaults for a Config field left zero.
const (
	defaultIdleTimeout      = 60 * time.Second
	defaultStaffIdleTimeout = 3 * time.Minute
	// refreshInterval is how often the board is read again: another process
	// (the CLI) may change the queue, and estimates age with the clock.
	refreshInterval = 2 * time.Second
)

// screen names what the window shows.
type screen int

const (
	screenWelcome screen = iota
	screenCheckIn
	screenTicket
	screenPIN
	screenStaff
	screenWalkIn
	screenIncident // staff: the outage, messages, runbook, drills, reports
	screenRoster   // staff: who is in the building
	screenCheckOut // a visitor checking out
	screenSetup    // IT: the lobby may not open yet
)

// visitor reports whether s is a screen a visitor may leave half-done.
func (s screen) visitor() bool {
	return s == screenCheckIn || s == screenTicket || s == screenPIN || s == screenCheckOut
}

// staff reports whether s is only reachable with the staff PIN.
func (s screen) staff() bool {
	return s == screenStaff || s == screenWalkIn || s == screenIncident || s == screenRoster
}

// UI is the kiosk window and the controller behind it. Its methods run on
// the UI goroutine: widget callbacks call exactly one of them, and the
// bridge posts the background refresh to them.
type UI struct {
	app   fyne.App
	win   fyne.Window
	cfg   Config
	log   *slog.Logger
	ctx   context.Context // for store calls; cancelled by Close
	stop  context.CancelFunc
	theme *kioskTheme
	br    *bridge
	keys  *keyboard // the on-screen keyboard

	// The store, as each part of the UI sees it.
	lobby       Lobby
	staffQueue  StaffQueue
	incidentLog IncidentLog
	syncRecords SyncRecords

	lang         string
	screen       screen
	lastActivity time.Time

	// The latest board read. Reads are numbered so a slow background read
	// never replaces a newer one made after a tap.
	board    queue.Board
	boardSeq atomic.Int64
	shownSeq int64
	// boardRows is how many tickets a page of the board's lines shows:
	// as many as fit (boardView.pageRows).
	boardRows int
	// rosterUp says the roster screen is up, so the refresh tick reads
	// the roster on its own goroutine.
	rosterUp  atomic.Bool
	staffDesk string              // desk ID chosen on the staff screen
	account   *queue.StaffAccount // signed in; nil outside staff mode
	staffName string              // the account's name
	signIn    *signInScreen
	first     *firstSupervisor
	// scan takes what a scanner types where no field has the focus (a
	// badge at sign-in), each line at its Enter; nil where nothing does.
	scan    func(line string)
	scanned string

	// Sync, as the syncer last reported it, and what staff should see.
	syncStatus   syncer.Status
	openAlerts   int
	syncDialog   dialog.Dialog
	alertsDialog dialog.Dialog
	diskDialog   dialog.Dialog
	// recoveredDialog is the self-recovery notice while it is open.
	recoveredDialog dialog.Dialog
	diskStatus      diskwatch.Status // as the disk monitor last saw it
	unsubscribe     func()

	// unsaved: a check-in cannot be saved here now (the store's local
	// problem), so the lobby sends visitors to reception.
	unsaved      bool
	unsubProblem func()

	// The outage as the monitor last reported it.
	outage      outage.Outage
	unsubOutage func()

	welcome  *welcomeScreen
	form     *checkInScreen
	ticket   *ticketScreen
	pin      *pinScreen
	staff    *staffScreen
	incident *incidentScreen
	roster   *rosterScreen
	checkout *checkOutScreen
	still    *stillThere // "Still there?" while it is asked
	setup    *setupScreen

	// damaged: the store said its database is damaged; noStore: there is
	// no store at all. Either way the lobby is the reception screen
	// (reception.go).
	damaged   bool
	noStore   *NoStore
	reception *receptionScreen
	// selfRecovering: the kiosk closes to recover its damaged database
	// by itself (SelfRecovery.Damaged said so).
	selfRecovering bool

	// background runs work off the UI goroutine and shows what it
	// returns on it: the bridge's run, or in tests a runner the test
	// drives from its own goroutine (Fyne's test driver runs fyne.Do on
	// the caller's goroutine, not the UI's).
	background func(work func(context.Context) func())

	// monitor is cfg.Outage for the refresh, which runs on the bridge's
	// goroutine: set once sync is attached.
	monitor atomic.Pointer[monitorRef]

	// siteSettings is cfg.SiteSettings, for the refresh; settingsVersion
	// the version of the site's settings the screens use.
	siteSettings    func() (int64, SiteSettings)
	settingsVersion int64
}

type monitorRef struct{ OutageSource }

// New builds the kiosk window on app a and starts refreshing the board.
func New(a fyne.App, store Store, cfg Config, log *slog.Logger) *UI {
	u := newUI(a, store, cfg, log)
	u.br.every(refreshInterval, u.tick)
	u.attach(cfg.Sync, cfg.Outage)
	a.Lifecycle().SetOnStopped(u.br.stop)
	return u
}

// attach follows the syncer and the outage monitor (either may be nil):
// from the start, or once the set-up screen has enrolled the kiosk.
func (u *UI) attach(sy SyncSource, mon OutageSource) {
	if sy != nil {
		u.cfg.Sync = sy
		u.syncStatus = sy.Status()
		u.unsubscribe = sy.Subscribe(func(st syncer.Status) { u.br.post(func() { u.showSync(st) }) })
	}
	if mon != nil {
		u.cfg.Outage = mon
		u.monitor.Store(&monitorRef{mon})
		u.outage = mon.Outage()
		u.unsubOutage = mon.Subscribe(func(o outage.Outage) { u.br.post(func() { u.showOutage(o) }) })
	}
}

// newUI is New without the background refresh, for tests, which call
// tick and idleCheck themselves.
func newUI(a fyne.App, store Store, cfg Config, log *slog.Logger) *UI {
	u := newUIShell(a, cfg, log)
	u.lobby, u.staffQueue, u.incidentLog, u.syncRecords = store, store, store, store
	if u.siteSettings != nil {
		v, s := u.siteSettings()
		u.useSettings(v, s)
		u.switchLanguage(u.cfg.Languages[0])
	}
	if cfg.Sync != nil {
		u.syncStatus = cfg.Sync.Status()
	}
	if cfg.Outage != nil {
		u.outage = cfg.Outage.Outage()
		u.monitor.Store(&monitorRef{cfg.Outage})
	}
	_, u.unsaved = store.LocalProblem()
	if cfg.Disk != nil {
		u.diskStatus = cfg.Disk.Status()
	}
	u.unsubProblem = store.SubscribeLocalProblem(func(_ queue.LocalProblem, raised bool) {
		u.br.post(func() { u.showLocalProblem(raised) })
	})
	u.reload()
	u.refreshAlerts()
	if cfg.Setup != nil {
		u.showSetup()
	} else {
		u.showWelcome()
	}
	return u
}

// newUIShell is the window, theme, keyboard and language, with no store
// and no screen yet.
func newUIShell(a fyne.App, cfg Config, log *slog.Logger) *UI {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = defaultIdleTimeout
	}
	if cfg.StaffIdleTimeout <= 0 {
		cfg.StaffIdleTimeout = defaultStaffIdleTimeout
	}
	if len(cfg.Languages) == 0 {
		cfg.Languages = []string{"en"}
	}
	if cfg.Privacy == "" {
		cfg.Privacy = PrivacyInitial
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, stop := context.WithCancel(context.Background())
	u := &UI{
		app: a, cfg: cfg, log: log, ctx: ctx, stop: stop,
		theme: newKioskTheme(), br: newBridge(), siteSettings: cfg.SiteSettings,
	}
	u.background = u.br.run
	a.Settings().SetTheme(u.theme)
	u.keys = newKeyboard(u, cfg.Keyboard)
	u.switchLanguage(u.cfg.Languages[0])
	u.win = a.NewWindow(lang.X("app.title", "Lobbyline check-in"))
	u.win.Resize(fyne.NewSize(1280, 800))
	u.win.Canvas().SetOnTypedRune(u.typedRune)
	u.win.Canvas().SetOnTypedKey(u.typedKey)
	return u
}

// Window is the kiosk's main window, with its content set.
func (u *UI) Window() fyne.Window { return u.win }

// Close stops the background refresh and waits for it.
func (u *UI) Close() {
	if u.unsubscribe != nil {
		u.unsubscribe()
	}
	if u.unsubOutage != nil {
		u.unsubOutage()
	}
	if u.unsubProblem != nil {
		u.unsubProblem()
	}
	u.br.close()
	u.stop()
}

// showLocalProblem follows the store's local problem: while a check-in
// cannot be saved the welcome screen offers none and sends visitors to
// reception; once it can, the offer is back, with no restart.
func (u *UI) showLocalProblem(raised bool) {
	if u.unsaved == raised {
		return
	}
	u.unsaved = raised
	if u.screen == screenWelcome && u.welcome != nil {
		u.welcome.showUnsaved(raised)
		u.welcome.banner.update(u.outage, u.cfg.Now()) // its sentences follow
	}
	if u.cfg.Disk != nil { // the staff header need not wait for the monitor's next look
		u.diskStatus.Problem, u.diskStatus.HasProblem = u.lobby.LocalProblem()
		if u.staff != nil {
			u.staff.updateDisk(u.diskStatus)
		}
	}
}

// touch records that someone is using the kiosk, restarting the idle timer.
func (u *UI) touch() { u.lastActivity = u.cfg.Now() }

// idleCheck sends an unattended visitor screen back to welcome, discarding
// what was typed, and locks an unattended staff screen. The refresh tick
// calls it; tests call it with a chosen time.
func (u *UI) idleCheck(now time.Time) {
	idle := now.Sub(u.lastActivity)
	switch {
	case u.screen.visitor() && idle >= u.cfg.IdleTimeout:
		if left := u.cfg.IdleTimeout + stillThereFor - idle; left > 0 && u.halfFilled() {
			u.askStillThere(left)
			return
		}
		u.dismissStillThere()
		u.log.Info("idle: back to welcome", "screen", u.screen)
		u.setLarger(false)
		u.showWelcome()
	case u.screen.staff() && idle >= u.cfg.StaffIdleTimeout:
		u.log.Info("idle: staff mode locked")
		u.signOut("idle")
		u.lockStaff()
	case u.screen == screenWelcome && idle >= u.cfg.IdleTimeout && (u.lang != u.cfg.Languages[0] || u.theme.larger):
		// The next visitor starts in the default language and text.
		u.switchLanguage(u.cfg.Languages[0])
		u.setLarger(false)
		u.showWelcome()
	}
}

// setLarger gives the current visitor larger text and high contrast, or
// takes them back; the idle timeout takes them back for the next visitor.
func (u *UI) setLarger(on bool) {
	if u.theme.larger == on {
		return
	}
	u.theme = &kioskTheme{Theme: u.theme.Theme, larger: on}
	// The welcome screen is rebuilt for larger text (it drops the kiosk's
	// name and some air) before the text grows, and after it shrinks: a
	// window that needed more than the screen even for a moment would
	// stay that large.
	if on && u.screen == screenWelcome {
		u.showWelcome()
	}
	u.app.Settings().SetTheme(u.theme)
	if !on && u.screen == screenWelcome {
		u.showWelcome()
	}
}

// tick runs on the bridge's goroutine: it reads the board there, where a
// busy database cannot freeze the screen, and returns what to do on the UI
// goroutine.
func (u *UI) tick(ctx context.Context) func() {
	seq := u.boardSeq.Add(1)
	b, err := u.lobby.Board(ctx)
	alerts, alertErr := u.syncRecords.Alerts(ctx, true)
	now := u.cfg.Now()
	var outage *outage.Outage
	if mon := u.monitor.Load(); mon != nil {
		o := mon.Outage()
		outage = &o
	}
	settingsVersion, settings := int64(-1), SiteSettings{}
	if u.siteSettings != nil {
		settingsVersion, settings = u.siteSettings()
	}
	var disk *diskwatch.Status
	if u.cfg.Disk != nil {
		st := u.cfg.Disk.Status()
		disk = &st
	}
	rosterRead := u.rosterUp.Load()
	var roster, left []queue.Visit
	var rosterErr error
	if rosterRead {
		roster, rosterErr = u.staffQueue.Roster(ctx)
		if rosterErr == nil {
			left, rosterErr = u.staffQueue.LeftToday(ctx)
		}
	}
	return func() {
		u.showBoard(seq, b, err)
		if rosterRead && u.screen == screenRoster && u.roster != nil {
			u.roster.showRead(roster, left, rosterErr) // check-outs at the kiosk or the CLI show up
		}
		if outage != nil {
			u.showOutage(*outage) // "updated N min ago" moves on with no news too
		}
		if disk != nil {
			u.diskStatus = *disk
			if u.staff != nil {
				u.staff.updateDisk(*disk)
			}
		}
		if alertErr == nil && len(alerts) != u.openAlerts {
			u.openAlerts = len(alerts)
			if u.staff != nil {
				u.staff.updateAlerts(u.openAlerts)
			}
		}
		if u.screen == screenPIN && u.pin != nil {
			u.pin.showLock(now) // the lock counts down, and its message goes when it ends
		}
		u.idleCheck(now)
		if settingsVersion >= 0 {
			u.offerSettings(settingsVersion, settings)
		}
	}
}

// offerSettings takes a new version of the site's settings if the welcome
// screen is up: no visitor is half-way through a form and no staff
// member through an action. Elsewhere the next refresh on the welcome
// screen takes it.
func (u *UI) offerSettings(version int64, s SiteSettings) {
	if version == u.settingsVersion || u.screen != screenWelcome || u.still != nil {
		return
	}
	relabel := !slices.Equal(u.cfg.Languages, s.Languages)
	u.useSettings(version, s)
	u.log.Info("the screens use the site's settings", "version", version)
	if relabel {
		if !slices.Contains(u.cfg.Languages, u.lang) || u.lang != u.cfg.Languages[0] {
			u.switchLanguage(u.cfg.Languages[0])
		}
		u.showWelcome() // the language buttons
	}
}

// useSettings puts the site's settings in the Config the screens read.
func (u *UI) useSettings(version int64, s SiteSettings) {
	u.settingsVersion = version
	if len(s.Languages) > 0 {
		u.cfg.Languages = s.Languages
	}
	if s.IdleTimeout > 0 {
		u.cfg.IdleTimeout = s.IdleTimeout
	}
	if s.StaffIdleTimeout > 0 {
		u.cfg.StaffIdleTimeout = s.StaffIdleTimeout
	}
	in := &u.cfg.Incident
	in.Templates, in.Runbook, in.Contacts = s.Templates, s.Runbook, s.Contacts
	in.DrillBanner, in.FeedbackWindow = s.DrillBanner, s.FeedbackWindow
	u.cfg.PhoneProof = s.PhoneProof
}

// reload reads the board on the UI goroutine, right after a change made
// here, so the screen never shows the queue as it was before a tap.
func (u *UI) reload() {
	seq := u.boardSeq.Add(1)
	b, err := u.lobby.Board(u.ctx)
	u.showBoard(seq, b, err)
}

func (u *UI) showBoard(seq int64, b queue.Board, err error) {
	if isDamage(err) {
		// A damaged database has no queue to show, not even the last.
		u.enterDamaged()
		return
	}
	if err != nil {
		// Keep showing the last board; the visitor can still check in.
		u.log.Warn("read board", "err", err)
		return
	}
	if seq < u.shownSeq {
		return
	}
	u.shownSeq, u.board = seq, b
	switch {
	case u.screen == screenWelcome && u.welcome != nil:
		u.welcome.board.update(b)
	case u.screen == screenStaff && u.staff != nil:
		u.staff.update(b)
	case u.screen == screenTicket && u.ticket != nil:
		u.ticket.update(u, b)
	}
}

// setScreen puts content in the window and remembers which screen it is.
func (u *UI) setScreen(s screen, content fyne.CanvasObject) {
	u.screen = s
	if u.pin != nil && content != u.pin.content {
		u.pin = nil // u.pin is the pad on the screen, or nil: checkOnPad's answer goes by it
	}
	u.scan, u.scanned = nil, "" // a screen that takes a scan says so after this
	u.rosterUp.Store(s == screenRoster)
	u.touch()
	u.win.SetContent(u.keys.hold(content))
}

func (u *UI) showWelcome() {
	u.signOut("")
	if u.noLobby() {
		u.form, u.ticket, u.pin, u.staff, u.welcome = nil, nil, nil, nil, nil
		u.signIn, u.first = nil, nil
		u.incident, u.roster, u.checkout = nil, nil, nil
		u.showReception()
		return
	}
	u.form, u.ticket, u.pin, u.staff = nil, nil, nil, nil
	u.signIn, u.first = nil, nil
	u.incident, u.roster, u.checkout = nil, nil, nil
	u.welcome = newWelcomeScreen(u)
	u.welcome.board.update(u.board)
	u.setScreen(screenWelcome, u.welcome.content)
}

// startCheckIn opens an empty check-in form for a visitor.
func (u *UI) startCheckIn() {
	if u.unsaved {
		return // the welcome screen no longer offers it
	}
	u.form = newCheckInScreen(u, queue.SourceKiosk)
	u.setScreen(screenCheckIn, u.form.content)
	u.win.Canvas().Focus(u.form.name)
}

// chooseLanguage is the welcome screen's language switch.
func (u *UI) chooseLanguage(code string) {
	u.touch()
	if code == u.lang {
		return
	}
	u.switchLanguage(code)
	u.showWelcome()
}

func (u *UI) switchLanguage(code string) {
	if err := setLanguage(code); err != nil {
		u.log.Error("switch language", "lang", code, "err", err)
		return
	}
	u.lang = code
	if u.win != nil {
		u.win.SetTitle(lang.X("app.title", "Lobbyline check-in"))
	}
}

// serviceName is a service's name in the current language.
func (u *UI) serviceName(id string) string {
	if svc, ok := u.lobby.Service(id); ok {
		return svc.DisplayName(u.lang)
	}
	return id
}

func (u *UI) deskName(id string) string {
	for _, d := range u.staffQueue.Desks() {
		if d.ID == id {
			return d.Name
		}
	}
	return id
}

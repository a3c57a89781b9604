package kiosk

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
)

// This file is the lobby while check-in cannot be saved here because
// the database is damaged (issue 15 §3), or cannot be opened at all: no
// queue — an empty or frozen one would be a lie — and no check-in;
// visitors go to reception, and the staff note says what is wrong and
// what happens next. With no database there is no staff account to sign
// in with: recovery from the screen asks the config's set-up PIN, and
// without one the note tells IT the command to run.

// NoStore is the kiosk without its database: why it could not open, and
// what recovery the screen offers.
type NoStore struct {
	// Recover rebuilds the database (what `lobbyline-kiosk recover`
	// does) and returns the file where it wrote what it could and could
	// not recover. It runs off the UI goroutine. The screen offers it
	// only with a set-up PIN in the config (Config.PINHash).
	Recover func(ctx context.Context) (report string, err error)
	// Restart opens the kiosk again, on the recovered database.
	Restart func()
}

// Wrong set-up PINs at the recovery: after recoveryTries, the next try
// waits recoveryLock.
const (
	recoveryTries = 5
	recoveryLock  = 5 * time.Minute
)

// receptionScreen is the lobby sending visitors to reception.
type receptionScreen struct {
	pin      *keyEntry
	recover  *widget.Button
	open     *widget.Button
	message  *widget.Label
	content  fyne.CanvasObject
	wrong    int
	lockedTo time.Time
	// working says what is under way off the UI goroutine (the set-up
	// PIN's check, then the recovery), nil while nothing is: a screen
	// rebuilt meanwhile, in another language, keeps the button held and
	// the message.
	working func() string
	// report is the report of the recovery that worked on this screen,
	// "" until one has: a screen rebuilt in another language still
	// offers to open the kiosk.
	report string
}

func checkingText() string   { return lang.X("pin.checking", "Checking the PIN…") }
func recoveringText() string { return lang.X("reception.working", "Recovering the database…") }

// NewWithoutStore is the kiosk window when the database cannot be opened:
// instead of an exit the session would restart into a blank screen, the
// lobby sends visitors to reception and staff can start recovery.
func NewWithoutStore(a fyne.App, cfg Config, ns NoStore, log *slog.Logger) *UI {
	u := newUIShell(a, cfg, log)
	u.noStore = &ns
	u.showWelcome()
	return u
}

// enterDamaged takes the lobby to reception for good (until the kiosk
// opens a recovered database): the store said its database is damaged.
func (u *UI) enterDamaged() {
	if u.damaged {
		return
	}
	u.damaged = true
	u.log.Error("the database is damaged: the lobby sends visitors to reception")
	if sr := u.cfg.SelfRecovery; sr != nil && sr.Damaged != nil {
		u.selfRecovering, sr.Held = sr.Damaged()
	}
	u.dismissStillThere()
	if u.screen != screenSetup {
		u.showWelcome()
	}
}

// noLobby says the lobby cannot check anyone in here: the welcome screen
// is the reception screen.
func (u *UI) noLobby() bool { return u.damaged || u.noStore != nil }

// showReception puts up the reception screen in the current language.
func (u *UI) showReception() {
	s := &receptionScreen{message: newFieldMessage()}
	if old := u.reception; old != nil {
		s.wrong, s.lockedTo, s.working, s.report = old.wrong, old.lockedTo, old.working, old.report
	}
	u.reception = s
	staff := []fyne.CanvasObject{}
	note := func(key, fallback string) {
		staff = append(staff, newWrapped(lang.X(key, fallback), theme.SizeNameText, widget.MediumImportance))
	}
	held := u.selfRecoveryHeld()
	if held != "" {
		staff = append(staff, newWrapped(held, theme.SizeNameText, widget.WarningImportance))
	}
	switch {
	case u.noStore == nil && u.selfRecovering:
		note("reception.staff.selfrecovering", "For staff: this kiosk's database is damaged. The kiosk is recovering it by itself and opens again when it is done.")
	case u.noStore == nil:
		note("reception.staff.damaged", "For staff: this kiosk's database is damaged. The kiosk shows no queue and saves nothing until it is recovered. IT: stop the kiosk (systemctl stop lobbyline-kiosk) and run lobbyline-kiosk recover.")
	case u.noStore.Recover != nil && u.cfg.PINHash != "":
		if held == "" { // else that says it, and the screen has room for the PIN
			note("reception.staff.noopen", "For staff: this kiosk's database cannot be opened, and nothing is saved here until it is recovered. The cause is in the kiosk's log.")
		}
		note("reception.staff.recover", "To rebuild it from the newest snapshot and everything still readable, enter the set-up PIN.")
		s.pin = u.newEntry(padDigits)
		s.pin.Password = true
		s.pin.OnSubmitted = func(string) { u.startRecovery() }
		s.pin.OnChanged = func(string) { u.touch(); setMessage(s.message, "") }
		s.recover = widget.NewButtonWithIcon(lang.X("reception.recover", "Recover the database"), theme.ViewRefreshIcon(), u.startRecovery)
		s.recover.Importance = widget.HighImportance
		s.pin.sendsWith(s.recover)
		s.open = widget.NewButtonWithIcon(lang.X("reception.open", "Open the kiosk"), theme.HomeIcon(), u.noStore.Restart)
		s.open.Importance = widget.HighImportance
		s.open.Hide()
		staff = append(staff, sized(0, 72, container.NewBorder(nil, nil, nil, sized(360, 0, container.NewStack(s.recover, s.open)), s.pin)))
		switch {
		case s.report != "":
			s.showRecovered()
		case s.working != nil:
			s.setWorking(s.working)
		}
	default:
		note("reception.staff.noopen", "For staff: this kiosk's database cannot be opened, and nothing is saved here until it is recovered. The cause is in the kiosk's log.")
		note("reception.staff.it", "IT: run lobbyline-kiosk recover on this machine, then restart the kiosk (systemctl restart lobbyline-kiosk).")
	}
	staff = append(staff, messageSlot(s.message, fieldMessageLines))

	var switcher fyne.CanvasObject = layout.NewSpacer()
	if len(u.cfg.Languages) > 1 {
		row := container.NewGridWithColumns(min(len(u.cfg.Languages), 3))
		for _, code := range u.cfg.Languages {
			b := widget.NewButton(languageName(code), func() { u.chooseLanguage(code) })
			if code == u.lang {
				b.Importance = widget.HighImportance
			}
			row.Add(sized(150, 0, b))
		}
		switcher = row
	}
	visitors := container.NewVBox(
		newText(lang.X("reception.title", "Please check in at reception"), sizeNameTitle, true, widget.DangerImportance),
		newWrapped(lang.X("reception.cannot", "This kiosk cannot check you in right now."),
			theme.SizeNameSubHeadingText, widget.MediumImportance),
	)
	body := container.NewBorder(nil, container.NewVBox(switcher, gap(16), sized(0, 0, card(staff...))), nil, nil,
		container.NewCenter(sized(900, 0, visitors)))
	s.content = container.NewPadded(container.NewPadded(body))
	u.setScreen(screenWelcome, s.content)
}

// setWorking holds the PIN and the button while what says is under way;
// nil gives them back.
func (s *receptionScreen) setWorking(says func() string) {
	s.working = says
	if says == nil {
		s.recover.Enable()
		s.pin.Enable()
		setMessage(s.message, "")
		return
	}
	s.recover.Disable()
	s.pin.Disable()
	setMessage(s.message, says())
}

// startRecovery checks the set-up PIN, then runs the recovery, both off
// the UI goroutine: bcrypt takes a moment, and the screen must not
// freeze meanwhile.
func (u *UI) startRecovery() {
	s := u.reception
	if s == nil || s.pin == nil || s.working != nil || s.recover.Disabled() || !s.recover.Visible() {
		return
	}
	now := u.cfg.Now()
	pin := strings.TrimSpace(s.pin.Text)
	s.pin.SetText("") // kept no longer than this tap
	if now.Before(s.lockedTo) {
		setMessage(s.message, lang.X("reception.pin.locked", "Too many wrong PINs. Try again in a few minutes."))
		return
	}
	s.setWorking(checkingText)
	hash := u.cfg.PINHash
	u.background(func(context.Context) func() {
		ok := queue.SetupPINMatches(hash, pin)
		return func() { u.setupPINChecked(ok, now) }
	})
}

// setupPINChecked counts a wrong set-up PIN typed at now, or starts the
// recovery. The count is on the reception screen up now, which may have
// been rebuilt in another language meanwhile: it carries the count on.
func (u *UI) setupPINChecked(ok bool, now time.Time) {
	s := u.reception
	if s == nil || s.pin == nil {
		return
	}
	s.setWorking(nil)
	if !ok {
		if s.wrong++; s.wrong >= recoveryTries {
			s.wrong, s.lockedTo = 0, now.Add(recoveryLock)
		}
		u.log.Warn("recovery: wrong set-up PIN")
		setMessage(s.message, lang.X("reception.pin.wrong", "That is not the set-up PIN."))
		return
	}
	s.wrong = 0
	s.setWorking(recoveringText)
	rec := u.noStore.Recover
	u.background(func(ctx context.Context) func() {
		report, err := rec(ctx)
		return func() { u.recovered(report, err) }
	})
}

// recovered shows the recovery's outcome.
func (u *UI) recovered(report string, err error) {
	s := u.reception
	if s == nil || s.recover == nil {
		return
	}
	s.working = nil
	if err != nil {
		u.log.Error("recovery failed", "err", err)
		s.recover.Enable()
		s.pin.Enable()
		setMessage(s.message, lang.X("reception.failed", "The recovery failed; the cause is in the kiosk's log. IT: run lobbyline-kiosk recover on this machine."))
		return
	}
	u.log.Info("recovered: what could not be recovered is listed in the report", "report", report)
	s.report = report
	s.showRecovered()
}

// showRecovered offers to open the kiosk on the recovered database.
func (s *receptionScreen) showRecovered() {
	s.recover.Hide()
	s.pin.Hide()
	s.open.Show()
	setMessage(s.message, lang.X("reception.recovered", "The database is recovered. What could not be recovered is listed in {{.Path}}.", map[string]any{"Path": s.report}))
}

// isDamage says whether err is the store's word that its database is
// damaged.
func isDamage(err error) bool { return errors.Is(err, queue.ErrDamaged) }

package kiosk

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
)

// Staff sign in by name (issue 13 §4): they tap their name, or scan their
// badge, then type their own PIN. What they do is then done, and
// recorded, as that account (staffCtx). The first supervisor of a kiosk
// is made right after enrolment, or with the set-up PIN of a kiosk that
// had one shared PIN before accounts.

// signInScreen lists the accounts to tap, with a field the badge scanner
// types into.
type signInScreen struct {
	names   []*widget.Button
	first   *widget.Button // makes the first supervisor with the set-up PIN; nil if not offered
	back    *widget.Button
	message *widget.Label
	content fyne.CanvasObject
}

// showPIN opens staff sign-in: the names to tap, or, on a kiosk with no
// account yet, the way to make the first.
func (u *UI) showPIN() {
	u.touch()
	accounts, err := u.staffQueue.StaffAccounts(u.ctx, false)
	if err != nil {
		u.log.Error("staff accounts", "err", err)
	}
	hasSupervisor, err := u.staffQueue.HasSupervisor(u.ctx)
	if err != nil {
		u.log.Error("staff accounts", "err", err)
	}
	setupPIN := !hasSupervisor && u.cfg.PINHash != ""
	if len(accounts) == 0 && setupPIN {
		u.askSetupPIN()
		return
	}
	s := &signInScreen{message: newFieldMessage()}
	names := container.NewGridWithColumns(2)
	for _, a := range accounts {
		b := widget.NewButtonWithIcon(a.Name, theme.AccountIcon(), func() { u.chooseAccount(a) })
		s.names = append(s.names, b)
		names.Add(sized(0, 64, b))
	}
	s.back = widget.NewButtonWithIcon(lang.X("pin.back", "Back"), theme.NavigateBackIcon(), u.showWelcome)
	s.back.Importance = widget.LowImportance

	prompt := lang.X("signin.prompt", "Tap your name, then type your PIN.")
	if len(accounts) == 0 {
		prompt = lang.X("signin.none", "There is no staff account on this kiosk yet. IT makes the first with: lobbyline-kiosk staff add --role supervisor")
	}
	box := container.NewVBox(
		newText(lang.X("pin.title", "Staff sign-in"), theme.SizeNameHeadingText, true, widget.MediumImportance),
		newWrapped(prompt, theme.SizeNameText, widget.LowImportance),
		gap(4),
	)
	// Many accounts scroll; a few take only the room they need.
	list := fyne.CanvasObject(names)
	if len(accounts) > 8 {
		list = sized(0, 5*68, container.NewVScroll(names))
	}
	box.Add(list)
	if len(accounts) > 0 {
		box.Add(newWrapped(lang.X("signin.badge", "Or scan your badge"), theme.SizeNameText, widget.LowImportance))
	}
	if setupPIN {
		s.first = widget.NewButtonWithIcon(lang.X("signin.first", "Make the first supervisor (set-up PIN)"), theme.ContentAddIcon(), u.askSetupPIN)
		box.Add(s.first)
	}
	box.Add(messageSlot(s.message, 2))
	box.Add(s.back)
	s.content = container.NewCenter(sized(620, 0, card(box)))
	u.signIn = s
	u.setScreen(screenPIN, s.content)
	// The badge scanner types the code and Enter. No field takes it, so
	// the on-screen keyboard stays shut and the code is never shown.
	u.win.Canvas().Unfocus()
	u.scan = u.scanBadge
}

// typedRune and typedKey take what is typed where no field has the focus:
// a scanner's code, line by line, for the screen that takes scans.
func (u *UI) typedRune(r rune) {
	if u.scan != nil && len(u.scanned) < queue.MaxBadgeLength+1 {
		u.scanned += string(r)
	}
}

func (u *UI) typedKey(k *fyne.KeyEvent) {
	if u.scan == nil || (k.Name != fyne.KeyReturn && k.Name != fyne.KeyEnter) {
		return
	}
	line := u.scanned
	u.scanned = ""
	u.scan(line)
}

// chooseAccount asks account a's PIN.
func (u *UI) chooseAccount(a queue.StaffAccount) {
	u.touch()
	u.showPINPad(lang.X("pin.title", "Staff sign-in"),
		lang.X("pin.prompt.account", "{{.Name}}: enter your PIN.", map[string]any{"Name": a.Name}),
		func(pin string) { u.signInAs(a, pin) }, u.showPIN)
}

// scanBadge signs in the account whose badge the scanner read, after its
// PIN: a badge stands for the name, never for the PIN.
func (u *UI) scanBadge(code string) {
	u.touch()
	s := u.signIn
	if s == nil || strings.TrimSpace(code) == "" {
		return
	}
	a, err := u.staffQueue.AccountByBadge(u.ctx, code)
	if err != nil {
		setMessage(s.message, u.errorText(err))
		return
	}
	u.chooseAccount(a)
}

// signInAs checks a's PIN off the UI goroutine; the store counts wrong
// ones per account.
func (u *UI) signInAs(a queue.StaffAccount, pin string) {
	q, ctx := u.staffQueue, u.ctx
	u.checkOnPad(func() (show, gone func()) {
		signed, err := q.SignIn(ctx, a.ID, pin)
		if err != nil {
			return func() { u.pinRefused(err) }, nil
		}
		return func() { u.signedIn(signed) }, func() { u.signInDropped(signed) }
	})
}

// signInDropped ends a sign-in the store counted (the PIN was right, and
// audited as sign_in) whose pad was gone before the answer came: staff
// mode does not open behind whoever is at the kiosk now, and the audit
// says the sign-in ended there, so none is left open.
func (u *UI) signInDropped(a queue.StaffAccount) {
	ctx := queue.WithActor(u.ctx, queue.AccountActor(a))
	if err := u.staffQueue.Audit(ctx, "sign_out", "", "pin pad gone before the answer"); err != nil {
		u.log.Error("audit sign-out", "err", err)
	}
	u.log.Info("staff sign-in dropped: the PIN pad was gone before its answer", "account", a.ID)
}

// signedIn starts staff mode as account a.
func (u *UI) signedIn(a queue.StaffAccount) {
	u.account = &a
	u.staffName = a.Name
	u.log.Info("staff signed in", "account", a.ID, "role", a.Role)
	u.showStaff()
}

// staffCtx is the context of the signed-in account's actions: the store
// names them and audits them by it.
func (u *UI) staffCtx() context.Context {
	if u.account == nil {
		return u.ctx
	}
	return queue.WithActor(u.ctx, queue.AccountActor(*u.account))
}

// supervisor reports whether the signed-in account is a supervisor's.
func (u *UI) supervisor() bool { return u.account != nil && u.account.Role == queue.RoleSupervisor }

// signOut ends staff mode, recording why.
func (u *UI) signOut(why string) {
	if u.account == nil {
		return
	}
	if err := u.staffQueue.Audit(u.staffCtx(), "sign_out", "", why); err != nil {
		u.log.Error("audit sign-out", "err", err)
	}
	u.log.Info("staff signed out", "account", u.account.ID, "why", why)
	u.account, u.staffName = nil, ""
}

// askSetupPIN asks the set-up PIN, which makes the first supervisor of a
// kiosk that had only a shared PIN.
func (u *UI) askSetupPIN() {
	u.touch()
	u.showPINPad(lang.X("first.title", "The first supervisor"),
		lang.X("first.setup_pin", "This kiosk has no supervisor account yet. Enter its set-up PIN (the staff PIN it had before accounts) to make one."),
		func(pin string) {
			q, ctx, hash := u.staffQueue, u.ctx, u.cfg.PINHash
			u.checkOnPad(func() (show, gone func()) {
				if err := q.CheckSetupPIN(ctx, hash, pin); err != nil {
					return func() { u.pinRefused(err) }, nil
				}
				// Gone meanwhile: nothing opens. Like a Back from the
				// form it leads to, that is audited no further.
				return func() { u.showFirstSupervisor("set-up PIN", true) }, nil
			})
		}, u.showWelcome)
}

// firstSupervisor is the form that makes the first supervisor: a name,
// then a PIN on the pad, twice.
type firstSupervisor struct {
	by       string // what allowed it: the set-up PIN, or the enrolment code
	canLeave bool   // a Back to the lobby: not right after enrolment
	name     *keyEntry
	next     *widget.Button
	message  *widget.Label
	content  fyne.CanvasObject
}

// showFirstSupervisor asks the first supervisor's name and PIN, made on
// the authority of by, and signs the new account in. Right after
// enrolment there is no way back: a new kiosk is never left without a
// supervisor.
func (u *UI) showFirstSupervisor(by string, canLeave bool) {
	s := &firstSupervisor{by: by, canLeave: canLeave, message: newFieldMessage()}
	s.name = u.newEntry(padName)
	s.name.SetPlaceHolder(lang.X("first.name.placeholder", "Your full name"))
	s.name.OnChanged = func(string) { u.touch(); setMessage(s.message, "") }
	s.next = widget.NewButtonWithIcon(lang.X("first.next", "Next: choose a PIN"), theme.NavigateNextIcon(), u.firstSupervisorName)
	s.next.Importance = widget.HighImportance
	s.name.OnSubmitted = func(string) { u.firstSupervisorName() }
	s.name.sendsWith(s.next)
	box := container.NewVBox(
		newText(lang.X("first.title", "The first supervisor"), theme.SizeNameHeadingText, true, widget.MediumImportance),
		newWrapped(lang.X("first.intro", "A supervisor signs in with their own name and PIN, runs drills and quits the kiosk. Who is it?"),
			theme.SizeNameText, widget.LowImportance),
		s.name,
		messageSlot(s.message, 2),
		container.NewHBox(sized(320, 64, s.next)),
	)
	if canLeave {
		back := widget.NewButtonWithIcon(lang.X("pin.back", "Back"), theme.NavigateBackIcon(), u.showWelcome)
		back.Importance = widget.LowImportance
		box.Add(back)
	}
	s.content = container.NewCenter(sized(620, 0, card(box)))
	u.first = s
	u.setScreen(screenSetup, s.content)
	u.win.Canvas().Focus(s.name)
}

// firstSupervisorName checks the name and goes on to the PIN.
func (u *UI) firstSupervisorName() {
	u.touch()
	s := u.first
	if s == nil {
		return
	}
	name := strings.TrimSpace(s.name.Text)
	if err := queue.CheckStaffName(name); err != nil {
		setMessage(s.message, u.errorText(err))
		return
	}
	u.showPINPad(lang.X("first.title", "The first supervisor"),
		lang.X("first.pin", "{{.Name}}: choose a PIN of 6 to 12 digits. Keep it to yourself.", map[string]any{"Name": name}),
		func(pin string) {
			if err := queue.CheckStaffPIN(pin); err != nil {
				setMessage(u.pin.message, u.errorText(err))
				return
			}
			u.showPINPad(lang.X("first.title", "The first supervisor"),
				lang.X("first.again", "Type the same PIN again."),
				func(again string) { u.makeFirstSupervisor(name, pin, again) },
				func() { u.showFirstSupervisor(s.by, s.canLeave) })
		}, func() { u.showFirstSupervisor(s.by, s.canLeave) })
}

// makeFirstSupervisor makes the account and signs it in.
func (u *UI) makeFirstSupervisor(name, pin, again string) {
	s := u.first
	if s == nil {
		return
	}
	if again != pin {
		setMessage(u.pin.message, lang.X("first.mismatch", "The two PINs differ. Type the same PIN again."))
		return
	}
	// Hashing the PIN and then signing in with it are two argon2id runs:
	// both off the UI goroutine.
	q, ctx, now, by := u.staffQueue, u.ctx, u.cfg.Now(), s.by
	u.checkOnPad(func() (show, gone func()) {
		a, err := queue.NewStaffAccount(name, queue.RoleSupervisor, pin, "", now, by)
		if err == nil {
			by := queue.Actor{Name: by, Source: queue.AuditTouch}
			err = q.SaveStaffAccount(queue.WithActor(ctx, by), a)
		}
		if err != nil {
			return func() { setMessage(u.pin.message, u.errorText(err)) }, nil
		}
		// The account is made: the form that makes it is done with,
		// whatever becomes of the sign-in.
		signed, err := q.SignIn(ctx, a.ID, pin)
		if err != nil {
			return func() { u.first = nil; u.pinRefused(err) }, nil
		}
		return func() { u.first = nil; u.signedIn(signed) }, func() { u.signInDropped(signed) }
	})
}

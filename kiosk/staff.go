package kiosk

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
)

// staffScreen is where reception runs the queue: open a desk, call the
// next visitor, mark them served or no-show, and act on any waiting visit
// (cancel, move to the front, transfer) picked from the live queue or
// found by name, ticket number or scanned QR code. What Find finds takes
// the place of the queue, where there is room for every match, until staff
// go back to the queue.
type staffScreen struct {
	u *UI

	desk      *widget.Select
	deskNames []string // options of desk, in the order of deskIDs
	deskIDs   []string
	signedIn  *widget.Label // who is signed in: every action here is theirs
	openDesk  *widget.Button
	closeDesk *widget.Button

	serving  *widget.Label
	callNext *widget.Button
	recall   *widget.Button
	served   *widget.Button
	noShow   *widget.Button

	waiting  []queue.Waiting // rows of queue, all services in config order
	closed   map[string]bool // services with no desk open: no wait to promise
	queue    *widget.List
	title    *widget.Label // "Waiting", or what was found
	count    *widget.Label
	selected *queue.Visit // the visit the buttons below act on
	pick     *widget.Label
	cancel   *widget.Button
	front    *widget.Button
	services []queue.Service // options of transferTo, in order
	transfer *widget.Select

	findEntry *keyEntry
	find      *widget.Button
	found     []queue.Visit
	query     string       // what found was found for; "" while the queue shows
	results   *widget.List // in the queue's place while query is set
	toQueue   *widget.Button
	queueHead *fyne.Container // the title, count and toQueue, laid out again when they change

	walkIn *widget.Button
	lock   *widget.Button
	sync   *widget.Button // connectivity at a glance; details on a tap
	alerts *widget.Button
	disk   *widget.Button // shown while the disk is full, read-only or nearly full; the disk panel on a tap
	// recovered is shown after the kiosk recovered its database by
	// itself, until a supervisor acknowledges it; the notice on a tap.
	recovered *widget.Button
	outage    *widget.Button // the incident panel, labelled with the severity
	onSite    *widget.Button // the roster
	status    *widget.Label
	content   fyne.CanvasObject

	// syncing is set while the lists are refreshed from code, so their
	// selection callbacks do not take it for a tap.
	syncing bool
}

func newStaffScreen(u *UI) *staffScreen {
	s := &staffScreen{u: u, status: newWrapped("", theme.SizeNameText, widget.MediumImportance), services: u.staffQueue.Services()}
	s.status.Truncation = fyne.TextTruncateEllipsis // past its two lines (a long search)

	for _, d := range u.staffQueue.Desks() {
		s.deskIDs = append(s.deskIDs, d.ID)
		s.deskNames = append(s.deskNames, d.Name)
	}
	// None chosen yet, or the one chosen is gone with a new site
	// configuration from the centre: the first desk.
	if len(s.deskIDs) > 0 && indexOf(s.deskIDs, u.staffDesk) < 0 {
		u.staffDesk = s.deskIDs[0]
	}
	s.desk = widget.NewSelect(s.deskNames, func(name string) {
		for i, n := range s.deskNames {
			if n == name {
				u.chooseDesk(s.deskIDs[i])
			}
		}
	})
	s.desk.SetSelectedIndex(indexOf(s.deskIDs, u.staffDesk))
	s.signedIn = newWrapped(u.signedInText(), theme.SizeNameText, widget.MediumImportance)
	s.openDesk = widget.NewButton(lang.X("staff.desk.open", "Open desk"), func() { u.deskAction(queue.ActOpenDesk) })
	s.closeDesk = widget.NewButton(lang.X("staff.desk.close", "Close desk"), func() { u.deskAction(queue.ActCloseDesk) })

	s.serving = newWrapped("", theme.SizeNameText, widget.MediumImportance)
	s.serving.TextStyle.Bold = true
	s.callNext = widget.NewButtonWithIcon(lang.X("staff.call_next", "Call next"), theme.MediaSkipNextIcon(), func() { u.deskAction(queue.ActCallNext) })
	s.callNext.Importance = widget.HighImportance
	s.recall = widget.NewButtonWithIcon(lang.X("staff.recall", "Recall"), theme.MediaReplayIcon(), func() { u.deskAction(queue.ActRecall) })
	s.served = widget.NewButtonWithIcon(lang.X("staff.served", "Served"), theme.ConfirmIcon(), func() { u.deskAction(queue.ActServe) })
	s.noShow = widget.NewButtonWithIcon(lang.X("staff.no_show", "No-show"), theme.CancelIcon(), func() { u.deskAction(queue.ActNoShow) })

	s.title = newText(lang.X("staff.waiting", "Waiting"), theme.SizeNameText, true, widget.HighImportance)
	s.count = newText("", theme.SizeNameText, false, widget.LowImportance)
	s.queue = widget.NewList(
		func() int { return len(s.waiting) },
		newVisitRow,
		func(i widget.ListItemID, o fyne.CanvasObject) {
			w := s.waiting[i]
			wait := waitText(w.Estimate)
			if s.closed[w.Visit.Service] {
				wait = lang.X("board.wait.closed", "when a desk opens")
			}
			detail := lang.X("staff.row.waiting", "{{.Service}} · waited {{.Waited}} · {{.Wait}}",
				map[string]any{"Service": u.serviceName(w.Visit.Service), "Waited": minutesText(u.cfg.Now().Sub(w.Visit.CheckedInAt)), "Wait": wait})
			if r := recoveredText(w.Visit.Origin); r != "" {
				detail += " · " + r
			}
			setVisitRow(o, u.visitLine(w.Visit), detail)
		})
	s.queue.OnSelected = func(i widget.ListItemID) {
		if !s.syncing && i < len(s.waiting) {
			u.selectVisit(s.waiting[i].Visit)
		}
	}

	s.pick = newWrapped("", theme.SizeNameText, widget.MediumImportance)
	s.pick.TextStyle.Bold = true
	s.cancel = widget.NewButtonWithIcon(lang.X("staff.cancel", "Cancel visit"), theme.DeleteIcon(), func() { u.visitAction(queue.ActCancel, "") })
	s.cancel.Importance = widget.DangerImportance
	s.front = widget.NewButtonWithIcon(lang.X("staff.front", "Move to front"), theme.MoveUpIcon(), func() { u.visitAction(queue.ActPrioritize, "") })
	var names []string
	for _, svc := range s.services {
		names = append(names, svc.DisplayName(u.lang))
	}
	s.transfer = widget.NewSelect(names, func(name string) {
		for _, svc := range s.services {
			if svc.DisplayName(u.lang) == name {
				u.visitAction(queue.ActTransfer, svc.ID)
			}
		}
	})
	s.transfer.PlaceHolder = lang.X("staff.transfer", "Transfer to…")

	s.findEntry = u.newEntry(padText)
	s.findEntry.SetPlaceHolder(lang.X("staff.find.placeholder", "Name, ticket or scan a QR code"))
	s.findEntry.OnChanged = func(string) { u.touch() }
	s.findEntry.OnSubmitted = func(q string) { u.findVisits(q) }
	s.find = widget.NewButtonWithIcon(lang.X("staff.find", "Find"), theme.SearchIcon(), func() { u.findVisits(s.findEntry.Text) })
	s.results = widget.NewList(
		func() int { return len(s.found) },
		newVisitRow,
		func(i widget.ListItemID, o fyne.CanvasObject) {
			v := s.found[i]
			setVisitRow(o, u.visitLine(v), fmt.Sprintf("%s · %s · %s", u.serviceName(v.Service), statusText(v.Status), v.CheckedInAt.Local().Format("15:04")))
		})
	s.results.OnSelected = func(i widget.ListItemID) {
		if !s.syncing && i < len(s.found) {
			u.selectVisit(s.found[i])
		}
	}
	s.results.Hide()
	s.toQueue = widget.NewButtonWithIcon(lang.X("staff.find.back", "Back to the queue"), theme.NavigateBackIcon(), u.closeFind)
	s.toQueue.Hide()

	s.walkIn = widget.NewButtonWithIcon(lang.X("staff.walkin", "Add walk-in"), theme.ContentAddIcon(), u.showWalkIn)
	s.lock = widget.NewButtonWithIcon(lang.X("staff.lock", "Lock"), theme.LogoutIcon(), u.lockStaff)

	s.sync = u.newSyncBadge()
	s.alerts = widget.NewButtonWithIcon("", theme.WarningIcon(), u.showAlerts)
	s.disk = widget.NewButtonWithIcon("", theme.StorageIcon(), u.showDisk)
	s.disk.Hide()
	s.recovered = widget.NewButtonWithIcon(lang.X("recovered.title", "Database recovered"), theme.WarningIcon(), u.showRecovered)
	s.recovered.Importance = widget.WarningImportance
	s.outage = widget.NewButtonWithIcon(lang.X("staff.incident", "Incident"), theme.ErrorIcon(), u.showIncident)
	s.onSite = widget.NewButtonWithIcon(lang.X("staff.onsite", "On site"), theme.AccountIcon(), u.showRoster)
	// Two rows: the title and the actions (their names are long in
	// French: on a portrait screen the row needs all its width), then
	// what the kiosk reports (sync and alerts have long texts, in Spanish
	// especially) beside the last result.
	header := container.NewVBox(
		container.New(&lineHeadLayout{},
			newText(lang.X("staff.title", "Staff"), theme.SizeNameHeadingText, true, widget.MediumImportance),
			container.NewHBox(s.outage, s.onSite, s.walkIn, s.lock, u.newQuitButton())),
		// The last result has two lines' room whatever it says, so a long
		// one does not push the desk's buttons down under a finger.
		container.NewBorder(nil, nil, container.NewHBox(s.sync, s.alerts, s.disk, s.recovered), nil, messageSlot(s.status, 2)))

	deskCard := card(
		newText(lang.X("staff.desk", "Desk"), theme.SizeNameText, true, widget.HighImportance),
		container.NewGridWithColumns(2, s.desk, s.signedIn),
		container.NewGridWithColumns(2, s.openDesk, s.closeDesk),
		widget.NewSeparator(),
		// The desk's state keeps room for two lines, open or serving, so
		// the buttons under it stay where the finger expects them.
		reserveLines(s.serving, deskStateLines),
		container.NewGridWithColumns(2, s.callNext, s.recall),
		container.NewGridWithColumns(2, s.served, s.noShow),
	)
	findCard := card(container.NewBorder(nil, nil, nil, s.find, s.findEntry))
	left := container.NewVBox(deskCard, findCard)

	s.queueHead = container.NewBorder(nil, nil, container.NewHBox(s.title, s.count), s.toQueue)
	actions := container.NewVBox(widget.NewSeparator(), s.pick,
		container.NewGridWithColumns(2, s.front, s.cancel), s.transfer)
	queueCard := card(container.NewBorder(s.queueHead, actions, nil, nil, container.NewStack(s.queue, s.results)))

	// Side by side; on a portrait screen the desk above the queue, which
	// gets the rest of the height.
	s.content = container.NewPadded(container.NewBorder(header, nil, nil, nil, orient(left, queueCard)))
	s.update(u.board)
	s.updateSync(u.syncStatus, u.cfg.Now())
	s.updateAlerts(u.openAlerts)
	s.updateOutage(u.outage)
	if u.cfg.Disk != nil {
		s.updateDisk(u.diskStatus)
	}
	s.updateRecovered()
	return s
}

// newVisitRow is a row of the staff lists: the ticket and name, and a
// line of details. It is dense; with its two lines it is still about 73 px
// high to tap.
func newVisitRow() fyne.CanvasObject {
	return denseVBox(
		denseLabel(newText("", theme.SizeNameText, true, widget.MediumImportance)),
		denseLabel(newText("", theme.SizeNameCaptionText, false, widget.LowImportance)),
	)
}

func setVisitRow(o fyne.CanvasObject, title, detail string) {
	lines := o.(*fyne.Container).Objects
	setText(lines[0].(*fyne.Container).Objects[0].(*widget.Label), title)
	setText(lines[1].(*fyne.Container).Objects[0].(*widget.Label), detail)
}

// visitLine is a visit as staff see it: ticket and full name.
func (u *UI) visitLine(v queue.Visit) string {
	s := v.Ticket + "  " + v.Name
	if v.Priority {
		s += "  ★"
	}
	return s
}

// update shows board b: the chosen desk, the queue, the selection.
func (s *staffScreen) update(b queue.Board) {
	s.syncing = true
	defer func() { s.syncing = false }()

	desk := s.deskState(b)
	switch {
	case desk == nil:
		s.serving.SetText("")
	case !desk.Open:
		s.serving.SetText(lang.X("staff.desk.is_closed", "{{.Desk}} is closed.", map[string]any{"Desk": desk.Desk.Name}))
	case desk.Serving == nil && waitingFor(b, desk.Desk) > 0:
		s.serving.SetText(lang.X("staff.desk.free", "{{.Desk}} is open ({{.Staff}}) and free: call the next visitor.",
			map[string]any{"Desk": desk.Desk.Name, "Staff": desk.Staff}))
	case desk.Serving == nil:
		s.serving.SetText(lang.X("staff.desk.free.none", "{{.Desk}} is open ({{.Staff}}) and free. Nobody is waiting for it.",
			map[string]any{"Desk": desk.Desk.Name, "Staff": desk.Staff}))
	default:
		s.serving.SetText(lang.X("staff.desk.serving", "{{.Desk}} is serving {{.Ticket}} · {{.Name}}",
			map[string]any{"Desk": desk.Desk.Name, "Ticket": desk.Serving.Ticket, "Name": desk.Serving.Name}))
	}

	// A desk's actions are live only when they can do something: calling
	// needs the desk open, the rest someone called to it.
	open := desk != nil && desk.Open
	enable(s.callNext, open)
	enable(s.closeDesk, open)
	for _, w := range []fyne.Disableable{s.recall, s.served, s.noShow} {
		enable(w, open && desk.Serving != nil)
	}

	s.waiting = s.waiting[:0]
	s.closed = make(map[string]bool, len(b.Lines))
	for _, l := range b.Lines {
		s.waiting = append(s.waiting, l.Waiting...)
		s.closed[l.Service.ID] = l.OpenDesks == 0
	}
	// In the order the desks will call them (the place each visitor
	// reads), so reception sees who comes next; those of a service no
	// open desk serves come last.
	slices.SortStableFunc(s.waiting, func(a, b queue.Waiting) int {
		if ca, cb := s.closed[a.Visit.Service], s.closed[b.Visit.Service]; ca != cb {
			if ca {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Position, b.Position)
	})
	if s.query == "" {
		s.count.SetText(lang.X("staff.waiting.count", "({{.N}})", map[string]any{"N": len(s.waiting)}))
	}
	s.queue.UnselectAll()
	if s.selected != nil {
		s.selected = s.stillSelected(b)
	}
	if s.selected != nil {
		for i, w := range s.waiting {
			if w.Visit.ID == s.selected.ID {
				s.queue.Select(i)
			}
		}
	}
	s.queue.Refresh()
	s.showSelected()
}

func (s *staffScreen) deskState(b queue.Board) *queue.DeskState {
	for i := range b.Desks {
		if b.Desks[i].Desk.ID == s.u.staffDesk {
			return &b.Desks[i]
		}
	}
	return nil
}

// stillSelected is the selected visit as board b has it: in line, or
// called to a desk; among what Find found while that shows, as last read.
// Anywhere else it has left the list it was picked from (served, a
// no-show, cancelled) and nothing is selected.
func (s *staffScreen) stillSelected(b queue.Board) *queue.Visit {
	id := s.selected.ID
	for _, w := range s.waiting {
		if w.Visit.ID == id {
			v := w.Visit
			return &v
		}
	}
	for _, d := range b.Desks {
		if d.Serving != nil && d.Serving.ID == id {
			v := *d.Serving
			return &v
		}
	}
	if s.query != "" {
		for _, v := range s.found {
			if v.ID == id {
				return &v
			}
		}
	}
	return nil
}

// waitingFor counts the visits waiting in the lines desk calls from.
func waitingFor(b queue.Board, desk queue.Desk) int {
	n := 0
	for _, l := range b.Lines {
		if slices.Contains(desk.Services, l.Service.ID) {
			n += len(l.Waiting)
		}
	}
	return n
}

// visitActions are the states of a visit in which the store
// (queue.Store.Apply) takes each action on it; a button for an action
// the selected visit's state rules out is disabled. A test holds the
// two alike.
var visitActions = map[queue.Action][]queue.Status{
	queue.ActCancel:     {queue.StatusWaiting, queue.StatusCalled},
	queue.ActPrioritize: {queue.StatusWaiting},
	queue.ActTransfer:   {queue.StatusWaiting, queue.StatusCalled},
}

// canApply says whether action a can be taken on visit v now.
func canApply(a queue.Action, v *queue.Visit) bool {
	return v != nil && slices.Contains(visitActions[a], v.Status)
}

func (s *staffScreen) showSelected() {
	on := s.selected != nil
	enable(s.cancel, canApply(queue.ActCancel, s.selected))
	enable(s.front, canApply(queue.ActPrioritize, s.selected))
	enable(s.transfer, canApply(queue.ActTransfer, s.selected))
	if !on {
		s.pick.SetText(lang.X("staff.pick", "Tap a visit in the list, or find one, to act on it."))
		return
	}
	v := s.selected
	s.pick.SetText(lang.X("staff.selected", "{{.Ticket}} · {{.Name}} · {{.Status}}",
		map[string]any{"Ticket": v.Ticket, "Name": v.Name, "Status": statusText(v.Status)}))
}

// setStatus shows the outcome of the last action.
func (s *staffScreen) setStatus(msg string, failed bool) { setResult(s.status, msg, failed) }

func (u *UI) showStaff() {
	u.form, u.pin, u.welcome, u.staff = nil, nil, nil, nil
	u.refreshAlerts()
	s := newStaffScreen(u)
	u.staff = s
	u.setScreen(screenStaff, s.content)
}

func (u *UI) showWalkIn() {
	u.form = newCheckInScreen(u, queue.SourceStaff)
	u.setScreen(screenWalkIn, u.form.content)
	u.win.Canvas().Focus(u.form.name)
}

// formQuestion holds the check-in form's questions and why one is asked.
type formQuestion struct{ name, host, phoneWhy, service string }

// formQuestions are the questions of a form from source: asked of the
// visitor on their own form, about the visitor on the walk-in form that
// staff fill in.
func formQuestions(source string) formQuestion {
	if source == queue.SourceStaff {
		return formQuestion{
			name:     lang.X("walkin.name", "Visitor's name"),
			host:     lang.X("walkin.host", "Whom are they visiting?"),
			phoneWhy: lang.X("walkin.phone.why", "If they check out by typing their ticket number, the kiosk asks for this number's last four digits."),
			service:  lang.X("walkin.service", "Why are they here?"),
		}
	}
	return formQuestion{
		name:     lang.X("form.name", "Your name"),
		host:     lang.X("form.host", "Whom are you visiting?"),
		phoneWhy: lang.X("form.phone.why", "If you check out by typing your ticket number, we ask for its last four digits."),
		service:  lang.X("form.service", "Why are you here?"),
	}
}

// walkInErrors are the form's problems in staff's words, for the walk-in
// form: the store words them to the visitor who types them ("Please enter
// your name").
var walkInErrors = map[string][2]string{
	"error.name.empty":     {"walkin.error.name.empty", "Please enter the visitor's name."},
	"error.service.empty":  {"walkin.error.service.empty", "Please choose why they are here."},
	"error.name.hidden":    {"walkin.error.name.hidden", "The visitor's name holds an invisible formatting character (such as a direction mark). Please type it again."},
	"error.host.hidden":    {"walkin.error.host.hidden", "The name of whom they visit holds an invisible formatting character (such as a direction mark). Please type it again."},
	"error.invite.unknown": {"walkin.error.invite.unknown", "We cannot find this invite code. Please check it, or leave it empty and check them in with their name."},
}

// formErrorText is a form problem (key, or err's) as the form's user
// reads it: the visitor, or staff on the walk-in form.
func (u *UI) formErrorText(source string, err error) string {
	var e *queue.Error
	if source == queue.SourceStaff && errors.As(err, &e) {
		if w, ok := walkInErrors[e.Key]; ok {
			return lang.X(w[0], w[1])
		}
	}
	return u.errorText(err)
}

// signedInText says who is signed in, and as what.
func (u *UI) signedInText() string {
	if u.account == nil {
		return ""
	}
	role := lang.X("role.reception", "reception")
	if u.account.Role == queue.RoleSupervisor {
		role = lang.X("role.supervisor", "supervisor")
	}
	return lang.X("staff.signed_in", "{{.Name}} ({{.Role}})", map[string]any{"Name": u.account.Name, "Role": role})
}

// lockStaff leaves staff mode.
func (u *UI) lockStaff() {
	u.signOut("lock")
	u.showWelcome()
}

func (u *UI) chooseDesk(id string) {
	u.touch()
	u.staffDesk = id
	if u.staff == nil {
		return
	}
	u.staff.update(u.board)
}

// deskAction runs an action on the chosen desk or the visit at it.
func (u *UI) deskAction(a queue.Action) {
	s := u.staff
	if s == nil {
		return
	}
	cmd := queue.Command{Action: a, Desk: u.staffDesk, Staff: u.staffName}
	if a == queue.ActServe || a == queue.ActNoShow {
		d := s.deskState(u.board)
		if d == nil || d.Serving == nil {
			u.touch()
			s.setStatus(lang.X("staff.desk.nobody", "Nobody is at {{.Desk}} right now.", map[string]any{"Desk": u.deskName(u.staffDesk)}), true)
			return
		}
		cmd.Visit = d.Serving.ID
	}
	u.staffAction(cmd)
}

// visitAction runs an action on the selected visit; service is the
// destination of a transfer.
func (u *UI) visitAction(a queue.Action, service string) {
	s := u.staff
	if s == nil {
		return
	}
	if s.selected == nil {
		u.touch()
		s.setStatus(lang.X("staff.pick", "Tap a visit in the list, or find one, to act on it."), true)
		return
	}
	u.staffAction(queue.Command{Action: a, Visit: s.selected.ID, Service: service, Staff: u.staffName})
}

// staffAction is every staff change to the queue: the store checks it and
// either applies it or says why not, and the screen shows which.
func (u *UI) staffAction(cmd queue.Command) {
	u.touch()
	s := u.staff
	if s == nil {
		return
	}
	v, err := u.staffQueue.Apply(u.staffCtx(), cmd)
	if err != nil {
		u.log.Info("staff action refused", "action", cmd.Action, "err", err)
		s.syncing = true
		s.transfer.ClearSelected()
		s.syncing = false
		s.setStatus(u.errorText(err), true)
		return
	}
	u.log.Info("staff action", "action", cmd.Action, "visit", v.Ticket, "desk", cmd.Desk)
	// What a visit's action acted on stays selected; a desk's action
	// (call, recall, served, no-show) leaves the selection as it was.
	if _, onVisit := visitActions[cmd.Action]; onVisit && v.ID != 0 {
		s.selected = &v
	}
	s.transfer.ClearSelected()
	u.refreshFound()
	u.reload()
	if u.staff != s { // the screen was rebuilt meanwhile; nothing to report on
		return
	}
	s.setStatus(u.actionText(cmd, v), false)
}

func (u *UI) actionText(cmd queue.Command, v queue.Visit) string {
	args := map[string]any{"Ticket": v.Ticket, "Desk": u.deskName(cmd.Desk), "Service": u.serviceName(cmd.Service)}
	switch cmd.Action {
	case queue.ActCallNext:
		return lang.X("staff.done.call", "Calling {{.Ticket}} to {{.Desk}}.", args)
	case queue.ActRecall:
		return lang.X("staff.done.recall", "Calling {{.Ticket}} again.", args)
	case queue.ActServe:
		return lang.X("staff.done.serve", "{{.Ticket}} served.", args)
	case queue.ActNoShow:
		return lang.X("staff.done.no_show", "{{.Ticket}} marked as a no-show.", args)
	case queue.ActCancel:
		return lang.X("staff.done.cancel", "{{.Ticket}} cancelled.", args)
	case queue.ActPrioritize:
		return lang.X("staff.done.prioritize", "{{.Ticket}} moved to the front.", args)
	case queue.ActTransfer:
		return lang.X("staff.done.transfer", "{{.Ticket}} moved to {{.Service}}.", args)
	case queue.ActOpenDesk:
		return lang.X("staff.done.open", "{{.Desk}} is open.", args)
	case queue.ActCloseDesk:
		return lang.X("staff.done.close", "{{.Desk}} is closed.", args)
	}
	return ""
}

// selectVisit makes v the visit the per-visit buttons act on.
func (u *UI) selectVisit(v queue.Visit) {
	u.touch()
	if u.staff == nil {
		return
	}
	u.staff.selected = &v
	u.staff.showSelected()
}

// findVisits looks visits up by name, ticket number or scanned reference.
func (u *UI) findVisits(q string) {
	u.touch()
	s := u.staff
	if s == nil {
		return
	}
	found, err := u.staffQueue.Find(u.ctx, q)
	if err != nil {
		s.setStatus(u.errorText(err), true)
		return
	}
	if len(found) == 0 {
		s.setStatus(lang.X("staff.find.none", "Nothing found for “{{.Query}}”.", map[string]any{"Query": q}), true)
		return
	}
	s.showFound(strings.TrimSpace(q), found)
	s.setStatus(lang.X("staff.find.count", "Found {{.N}}.", map[string]any{"N": len(found)}), false)
	if len(found) == 1 {
		s.syncing = true
		s.results.Select(0)
		s.syncing = false
		u.selectVisit(found[0])
	}
}

// showFound lists every match in the queue's place, none picked, with the
// way back to the queue.
func (s *staffScreen) showFound(q string, found []queue.Visit) {
	s.query, s.found = q, found
	s.syncing = true
	s.results.UnselectAll()
	s.syncing = false
	setText(s.title, lang.X("staff.find.title", "Found for “{{.Query}}”", map[string]any{"Query": q}))
	setText(s.count, lang.X("staff.waiting.count", "({{.N}})", map[string]any{"N": len(found)}))
	s.queue.Hide()
	s.results.Show()
	s.toQueue.Show()
	s.relayoutHead()
	s.results.Refresh()
}

// refreshFound reads the matches again after a change, so their states
// are true; a visit that no longer matches stays listed until the next Find.
func (u *UI) refreshFound() {
	s := u.staff
	if s == nil || s.query == "" {
		return
	}
	for i, v := range s.found {
		if fresh, err := u.staffQueue.Visit(u.ctx, v.ID); err == nil {
			s.found[i] = fresh
		}
	}
	s.results.Refresh()
}

// closeFind shows the queue again in place of what was found.
func (u *UI) closeFind() {
	u.touch()
	s := u.staff
	if s == nil {
		return
	}
	s.query, s.found = "", nil
	s.syncing = true
	s.results.UnselectAll()
	s.syncing = false
	s.results.Hide()
	s.toQueue.Hide()
	s.queue.Show()
	setText(s.title, lang.X("staff.waiting", "Waiting"))
	s.update(u.board)
	s.relayoutHead()
}

func (s *staffScreen) relayoutHead() {
	for _, o := range s.queueHead.Objects {
		if c, ok := o.(*fyne.Container); ok {
			c.Refresh()
		}
	}
	s.queueHead.Refresh()
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// enable enables w, or disables it.
func enable(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}

// recoveredText marks a visit a recovery of the database put back: one
// from an older copy (the snapshot) may have missed what happened to it
// since, so staff check it with the visitor.
func recoveredText(o queue.Origin) string {
	switch o {
	case queue.OriginNone:
		return ""
	case queue.OriginSnapshot:
		return lang.X("staff.row.recovered.old", "recovered from an older copy: check it")
	}
	return lang.X("staff.row.recovered", "recovered")
}

// deskStateLines is how many lines the desk's state keeps free: open and
// free, or serving a visitor, in the longest language at the width of the
// desk's card (a test holds this for the desk and staff names it uses).
const deskStateLines = 2

// reserveLines sets label l in room for lines lines of its text, so that
// what is under it stays put while its text changes between one line and
// that many. A longer text still gets its room.
func reserveLines(l *widget.Label, lines int) fyne.CanvasObject {
	probe := widget.NewLabel(strings.Repeat("Ag\n", lines-1) + "Ag")
	probe.SizeName, probe.TextStyle = l.SizeName, l.TextStyle
	return container.New(atLeastHigh(probe.MinSize().Height), l)
}

// fixedLines sets label l in room for exactly lines lines of its text,
// ending in an ellipsis past them: unlike reserveLines, the room does not
// follow what a wrapped label measures before it knows its width (a
// first layout, a window that changes size), so nothing under it moves.
func fixedLines(l *widget.Label, lines int) fyne.CanvasObject {
	probe := widget.NewLabel(strings.Repeat("Ag\n", lines-1) + "Ag")
	probe.SizeName, probe.TextStyle = l.SizeName, l.TextStyle
	l.Truncation = fyne.TextTruncateEllipsis
	return container.New(fixedHeight(probe.MinSize().Height), l)
}

// atLeastHigh lays its objects over each other, as high as the highest
// needs but never less than itself.
type atLeastHigh float32

func (h atLeastHigh) MinSize(objects []fyne.CanvasObject) fyne.Size {
	m := fyne.NewSize(0, float32(h))
	for _, o := range objects {
		if o.Visible() {
			m = m.Max(o.MinSize())
		}
	}
	return m
}

func (h atLeastHigh) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

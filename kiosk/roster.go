package kiosk

import (
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue"
	"lobbyline/queue/diskwatch"
	"lobbyline/queue/report"
)

// rosterScreen lists, for staff, everyone checked in at this kiosk who has
// not checked out: the list reception counts people by in an evacuation.
// It reads the kiosk's own database, so it works with the network down.
// A row is a person, not a ticket: tickets taken in one visit under one
// name and phone (queue.People) are counted once and listed together.
// Staff check people out from it, all their tickets at once, and save it
// as CSV or as a page to print. Beside it, today's check-outs with how
// each was proved, the self-declared ones marked: a line under the list
// counts them, and Checked out today lists them in its place.
type rosterScreen struct {
	u *UI

	visits     []queue.Visit  // every ticket on site, in check-in order
	left       []queue.Visit  // today's check-outs, in the order they left
	showLeft   bool           // the list shows left, not the people on site
	leftPicked *queue.Visit   // the check-out tapped in that list
	leftList   *widget.List   // today's check-outs
	leftLine   *widget.Label  // "5 checked out today, 2 of them self-declared"
	leftButton *widget.Button // Checked out today / On site
	// checkOutSlot holds Check out, hidden with it on today's check-outs.
	checkOutSlot fyne.CanvasObject
	leftFloors   [len(rosterWeights)]float32
	onSite       fyne.CanvasObject // the table of people on site
	leftTable    fyne.CanvasObject // the table of today's check-outs
	title        *widget.Label
	people       []queue.Person // rows of list: visits by person, in order of arrival
	readAt       time.Time      // when visits was read
	readFailed   bool           // the last read failed, and status says so
	count        *widget.Label  // "N people on site"
	list         *widget.List
	selected     *queue.Person // the person Check out acts on
	pick         *widget.Label
	checkOut     *widget.Button

	exportCSV *widget.Button
	print     *widget.Button
	noExport  *widget.Label   // instead of the two buttons when no export folder is configured
	language  *reportLanguage // what Print writes in; nil with one language or no export

	back    *widget.Button
	status  *widget.Label
	content fyne.CanvasObject
	floors  [len(rosterWeights)]float32 // the columns' least widths (rosterColumns)

	// syncing is set while the list is refreshed from code, so its
	// selection callback does not take it for a tap.
	syncing bool
}

// rosterWeights are the shares of the width of the roster's columns:
// tickets, name, host, services, statuses, checked in.
var rosterWeights = [...]float32{1.5, 3.0, 2.1, 2.5, 1.4, 1.3}

// leftWeights are those of today's check-outs: ticket, name, host,
// service, checked out, proof.
var leftWeights = [len(rosterWeights)]float32{1.2, 3.0, 2.0, 2.2, 1.2, 2.6}

func newRosterScreen(u *UI) *rosterScreen {
	s := &rosterScreen{u: u, floors: columnFloors(u.lobby.Services(), u.lang), leftFloors: leftColumnFloors(u.lobby.Services(), u.lang)}
	s.count = newText("", theme.SizeNameHeadingText, true, widget.HighImportance)
	// Always shown, with a hint until there is news: a label that appears
	// later in the border's top is drawn over the table instead of moving it.
	s.status = newWrapped("", theme.SizeNameText, widget.LowImportance)
	s.showHint()

	s.list = widget.NewList(
		func() int { return len(s.people) },
		func() fyne.CanvasObject { return newRosterRow(false, rosterWeights, &s.floors) },
		func(i widget.ListItemID, o fyne.CanvasObject) { s.setRow(o, s.people[i]) })
	s.list.OnSelected = func(i widget.ListItemID) {
		if !s.syncing && i < len(s.people) {
			u.pickOnSite(s.people[i])
		}
	}
	s.leftList = widget.NewList(
		func() int { return len(s.left) },
		func() fyne.CanvasObject { return newRosterRow(false, leftWeights, &s.leftFloors) },
		func(i widget.ListItemID, o fyne.CanvasObject) { s.setLeftRow(o, s.left[i]) })
	s.leftList.OnSelected = func(i widget.ListItemID) {
		if i < len(s.left) {
			u.pickLeft(s.left[i])
		}
	}
	s.leftLine = newText("", theme.SizeNameText, true, widget.MediumImportance)
	s.leftButton = widget.NewButton(lang.X("roster.left.show", "Checked out today"), u.toggleLeft)
	s.pick = newWrapped("", theme.SizeNameText, widget.MediumImportance)
	s.pick.TextStyle.Bold = true
	s.checkOut = widget.NewButtonWithIcon(lang.X("roster.checkout", "Check out"), theme.LogoutIcon(), u.checkOutOnSite)
	s.checkOut.Importance = widget.HighImportance

	s.back = widget.NewButtonWithIcon(lang.X("roster.back", "Back"), theme.NavigateBackIcon(), u.showStaff)
	s.exportCSV = widget.NewButtonWithIcon(lang.X("roster.export", "Export CSV"), theme.DocumentSaveIcon(), func() { u.exportRoster(report.RosterCSV) })
	s.print = widget.NewButtonWithIcon(lang.X("roster.print", "Save list to print"), theme.DocumentPrintIcon(), func() { u.exportRoster(report.RosterHTML) })
	s.noExport = newWrapped(lang.X("roster.export.off", "Export and print are not set up on this kiosk."), theme.SizeNameCaptionText, widget.LowImportance)
	if u.cfg.Incident.ExportDir == "" {
		s.exportCSV.Hide()
		s.print.Hide()
	} else {
		s.noExport.Hide()
	}

	s.title = newText(lang.X("roster.title", "On site"), theme.SizeNameHeadingText, true, widget.MediumImportance)
	// The title, long as "Checked out today" in some languages, and the
	// count have the first row; the export buttons the second, beside
	// the report language, so that both rows fit a 1080 px screen.
	header := container.NewBorder(nil, nil,
		container.NewHBox(sized(160, 0, s.back), s.title), nil,
		container.NewCenter(s.count))
	s.onSite = container.NewBorder(
		container.NewVBox(newRosterRow(true, rosterWeights, &s.floors), widget.NewSeparator()), nil, nil, nil,
		s.list)
	s.leftTable = container.NewBorder(
		container.NewVBox(newLeftHeader(&s.leftFloors), widget.NewSeparator()), nil, nil, nil,
		s.leftList)
	s.leftTable.Hide()
	table := card(container.NewStack(s.onSite, s.leftTable))
	// Check out is for the people on site only: on today's check-outs
	// its place is empty, and the row keeps its height.
	s.checkOutSlot = sized(280, 72, s.checkOut)
	footer := container.NewBorder(nil, nil, nil, s.checkOutSlot, sized(0, 72, s.pick))
	top := container.NewVBox(header)
	// What Print writes follows the report language: it can be chosen
	// where the list is printed.
	exports := container.NewHBox(s.exportCSV, s.print)
	if r := u.newReportLanguage(s.setStatus); r != nil && u.cfg.Incident.ExportDir != "" {
		s.language = r
		top.Add(container.New(&wrapRow{}, r.box, exports))
	} else {
		top.Add(container.NewBorder(nil, nil, nil, exports, s.noExport))
	}
	// The hint, and the outcome of an action in its place, in room kept
	// for the longest of them: the list and the button under it do not
	// move when one replaces the other.
	top.Add(reserveLines(s.status, rosterStatusLines))
	// Always there, so the table does not move when a check-out comes.
	// As wide as its longer label, so that it stays put when it switches.
	wide := max(widget.NewButton(lang.X("roster.left.show", "Checked out today"), nil).MinSize().Width,
		widget.NewButton(lang.X("roster.left.back", "Who is on site"), nil).MinSize().Width)
	top.Add(container.NewBorder(nil, nil, nil, sized(wide, 56, s.leftButton), s.leftLine))
	s.content = container.NewPadded(container.NewBorder(
		top,
		container.NewPadded(footer), nil, nil,
		table))
	return s
}

// rosterStatusLines is how many lines the roster keeps for its hint or
// the outcome of an action: the longest hint, in the longest language, on
// a 1080 px screen (a test holds this).
const rosterStatusLines = 2

// rosterTitles are the column titles, in the current language.
func rosterTitles() []string {
	return []string{
		lang.X("roster.col.ticket", "Tickets"), lang.X("roster.col.name", "Name"),
		lang.X("roster.col.host", "Visiting"), lang.X("roster.col.service", "Service"),
		lang.X("roster.col.status", "Status"), lang.X("roster.col.in", "Checked in"),
	}
}

// columnFloors are the least widths of the roster's columns: a title, a
// status, a service, a check-in date and a ticket with more ("R-042 +2")
// are never cut; a name, a host or a list of several services may be (the
// row, tapped, shows them whole).
func columnFloors(services []queue.Service, code string) [len(rosterWeights)]float32 {
	var f [len(rosterWeights)]float32
	width := func(s string, size fyne.ThemeSizeName, bold bool) float32 {
		// A pixel to spare: a text exactly as wide as its room is cut.
		return fyne.MeasureText(s, theme.Size(size), fyne.TextStyle{Bold: bold}).Width + 2*theme.InnerPadding() + 1
	}
	for i, title := range rosterTitles() {
		f[i] = width(title, theme.SizeNameCaptionText, true)
	}
	more := lang.X("roster.tickets.more", "{{.Ticket}} +{{.More}}", map[string]any{"Ticket": "R-042", "More": 2})
	f[0] = max(f[0], width(more, theme.SizeNameText, true))
	for _, st := range []queue.Status{queue.StatusWaiting, queue.StatusCalled, queue.StatusServed, queue.StatusNoShow, queue.StatusCancelled} {
		f[4] = max(f[4], width(statusText(st), theme.SizeNameText, false))
	}
	f[5] = max(f[5], width("2026-12-31", theme.SizeNameText, false))
	for _, svc := range services {
		f[3] = max(f[3], width(svc.DisplayName(code), theme.SizeNameText, false))
	}
	return f
}

// leftTitles are the titles of today's check-outs' columns.
func leftTitles() []string {
	return []string{
		lang.X("roster.col.ticket", "Tickets"), lang.X("roster.col.name", "Name"),
		lang.X("roster.col.host", "Visiting"), lang.X("roster.col.service", "Service"),
		lang.X("roster.col.out", "Checked out"), lang.X("roster.col.proof", "Proof"),
	}
}

// proofText is how a check-out was proved, as staff read it.
func proofText(p queue.Proof) string {
	switch p {
	case queue.ProofQR:
		return lang.X("roster.proof.qr", "QR code")
	case queue.ProofPhone:
		return lang.X("roster.proof.phone", "Phone digits")
	case queue.ProofSelf:
		return lang.X("roster.proof.self", "Self-declared, no proof")
	case queue.ProofStaff:
		return lang.X("roster.proof.staff", "By staff")
	case queue.ProofClose:
		return lang.X("roster.proof.close", "Day closed")
	}
	return lang.X("roster.proof.unknown", "Not recorded")
}

// leftColumnFloors are the least widths of the columns of today's
// check-outs: titles, times (today's: a clock time), services and proofs
// are never cut; a name or a host may be (the row, tapped, shows the
// name whole).
func leftColumnFloors(services []queue.Service, code string) [len(rosterWeights)]float32 {
	var f [len(rosterWeights)]float32
	width := func(s string, size fyne.ThemeSizeName, bold bool) float32 {
		return fyne.MeasureText(s, theme.Size(size), fyne.TextStyle{Bold: bold}).Width + 2*theme.InnerPadding() + 1
	}
	for i, title := range leftTitles() {
		f[i] = width(title, theme.SizeNameCaptionText, true)
	}
	f[0] = max(f[0], width("R-042", theme.SizeNameText, true))
	for _, svc := range services {
		f[3] = max(f[3], width(svc.DisplayName(code), theme.SizeNameText, false))
	}
	f[4] = max(f[4], width("23:59", theme.SizeNameText, false))
	for _, p := range []queue.Proof{queue.ProofQR, queue.ProofPhone, queue.ProofSelf, queue.ProofStaff, queue.ProofClose, ""} {
		f[5] = max(f[5], width(proofText(p), theme.SizeNameText, p == queue.ProofSelf))
	}
	return f
}

// newLeftHeader is the header of today's check-outs.
func newLeftHeader(floors *[len(rosterWeights)]float32) fyne.CanvasObject {
	row := container.New(rosterColumns{weights: leftWeights, floors: floors})
	for _, title := range leftTitles() {
		row.Add(newText(title, theme.SizeNameCaptionText, true, widget.LowImportance))
	}
	return row
}

// setLeftRow shows check-out v; a self-declared one stands out.
func (s *rosterScreen) setLeftRow(o fyne.CanvasObject, v queue.Visit) {
	host := v.Host
	if host == "" {
		host = "—"
	}
	cells := []string{v.Ticket, v.Name, host, s.u.serviceName(v.Service), s.u.rosterTime(v.LeftAt), proofText(v.LeftProof)}
	self := v.LeftProof == queue.ProofSelf
	for i, c := range o.(*fyne.Container).Objects {
		l := c.(*widget.Label)
		if i == len(cells)-1 {
			want := widget.MediumImportance
			if self {
				want = widget.DangerImportance
			}
			if l.Importance != want || l.TextStyle.Bold != self {
				l.Importance, l.TextStyle.Bold = want, self
				l.Refresh()
			}
		}
		setText(l, cells[i])
	}
}

// newRosterRow is a row of the roster, or its header: one label per
// column, laid out with floors (nil: none) so that the columns line up.
// A name or host longer than its column is cut short with an ellipsis
// rather than pushing the columns apart. A row is about 58 px high, as
// easy to tap as a button.
func newRosterRow(header bool, weights [len(rosterWeights)]float32, floors *[len(rosterWeights)]float32) fyne.CanvasObject {
	row := container.New(rosterColumns{weights: weights, floors: floors})
	if header {
		for _, title := range rosterTitles() {
			row.Add(newText(title, theme.SizeNameCaptionText, true, widget.LowImportance))
		}
		return row
	}
	for i := range rosterWeights {
		l := newText("", theme.SizeNameText, i == 0, widget.MediumImportance) // the ticket in bold
		l.Truncation = fyne.TextTruncateEllipsis
		row.Add(l)
	}
	return row
}

// setRow shows person p: each column lists what each of their tickets
// says, in the order they took them, the same things once.
func (s *rosterScreen) setRow(o fyne.CanvasObject, p queue.Person) {
	var hosts, services, statuses []string
	for _, v := range p.Visits {
		hosts = appendNew(hosts, v.Host)
		services = appendNew(services, s.u.serviceName(v.Service))
		statuses = appendNew(statuses, statusText(v.Status))
	}
	host := strings.Join(hosts, ", ")
	if host == "" {
		host = "—"
	}
	// The first ticket and how many more fit the column; a tap on the row
	// lists them all below.
	tickets := p.Visits[0].Ticket
	if n := len(p.Visits); n > 1 {
		tickets = lang.X("roster.tickets.more", "{{.Ticket}} +{{.More}}", map[string]any{"Ticket": tickets, "More": n - 1})
	}
	cells := []string{tickets, p.Name(), host, strings.Join(services, ", "),
		strings.Join(statuses, ", "), s.u.rosterTime(p.Visits[0].CheckedInAt)}
	for i, c := range o.(*fyne.Container).Objects {
		setText(c.(*widget.Label), cells[i])
	}
}

// appendNew appends s to list unless it is empty or listed already.
func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// rosterTime is a check-in time as staff read it on the roster: the clock
// time today, the date on another day, where it stands out as someone who
// may have left without checking out.
func (u *UI) rosterTime(t time.Time) string {
	t = t.In(u.location())
	y, m, d := t.Date()
	if ny, nm, nd := u.cfg.Now().In(u.location()).Date(); y == ny && m == nm && d == nd {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02")
}

// reload reads the roster again, keeping the selected visit selected
// while it is still on site. The refresh tick calls it.
func (s *rosterScreen) reload() {
	visits, err := s.u.staffQueue.Roster(s.u.ctx)
	var left []queue.Visit
	if err == nil {
		left, err = s.u.staffQueue.LeftToday(s.u.ctx)
	}
	s.showRead(visits, left, err)
}

// showRead shows a roster read here or by the refresh tick on the
// bridge's goroutine; on a failed read it keeps the last list and says
// how old it is.
func (s *rosterScreen) showRead(visits, left []queue.Visit, err error) {
	if err != nil {
		s.u.log.Warn("read roster", "err", err)
		s.readFailed = true
		if s.readAt.IsZero() {
			s.setStatus(lang.X("roster.read.failed", "Could not read the list. Please try again, or tell IT."), true)
			return
		}
		s.setStatus(lang.X("roster.read.stale", "Could not read the list just now. It shows who was on site at {{.Time}}.",
			map[string]any{"Time": s.readAt.In(s.u.location()).Format("15:04:05")}), true)
		return
	}
	s.readAt = s.u.cfg.Now()
	if s.readFailed {
		s.readFailed = false
		s.showHint()
	}
	s.show(visits)
	s.showLeftRead(left)
}

// showLeftRead shows today's check-outs: the count and the self-declared
// among them on the line under the list, and the rows if they are shown.
func (s *rosterScreen) showLeftRead(left []queue.Visit) {
	changed := !slices.Equal(s.left, left)
	s.left = left
	self := 0
	for _, v := range left {
		if v.LeftProof == queue.ProofSelf {
			self++
		}
	}
	s.leftLine.Importance = widget.MediumImportance
	switch {
	case len(left) == 0:
		setText(s.leftLine, lang.X("roster.left.none", "Nobody has checked out today."))
	case self == 0:
		setText(s.leftLine, lang.X("roster.left.count", "Checked out today: {{.N}}, all with proof.", map[string]any{"N": len(left)}))
	default:
		s.leftLine.Importance = widget.DangerImportance
		setText(s.leftLine, lang.X("roster.left.count.self", "Checked out today: {{.N}}, of them {{.Self}} self-declared, without proof.",
			map[string]any{"N": len(left), "Self": self}))
	}
	s.leftLine.Refresh()
	if changed {
		s.leftList.Refresh()
	}
}

func (s *rosterScreen) show(visits []queue.Visit) {
	s.syncing = true
	defer func() { s.syncing = false }()

	changed := !slices.Equal(s.visits, visits)
	s.visits = visits
	s.people = queue.People(visits)
	setText(s.count, peopleText(len(s.people), len(visits)))
	row := -1
	if s.selected != nil {
		// The person picked is still the one with that first ticket,
		// whether or not they took another since.
		first := s.selected.Visits[0].ID
		row = slices.IndexFunc(s.people, func(p queue.Person) bool { return slices.Contains(p.IDs(), first) })
	}
	if row < 0 {
		s.selected = nil
		s.list.UnselectAll()
	} else {
		p := s.people[row]
		s.selected = &p
		s.list.Select(row) // does nothing, and does not scroll, if row is already selected
	}
	if changed {
		s.list.Refresh()
	}
	s.showSelected()
}

func (s *rosterScreen) showSelected() {
	setVisible(s.checkOutSlot, !s.showLeft)
	if s.showLeft {
		s.checkOut.Disable()
		if v := s.leftPicked; v != nil {
			setText(s.pick, lang.X("roster.left.selected", "{{.Ticket}} · {{.Name}} · checked out at {{.Time}} · {{.Proof}}",
				map[string]any{"Ticket": v.Ticket, "Name": v.Name, "Time": s.u.rosterTime(v.LeftAt), "Proof": proofText(v.LeftProof)}))
			return
		}
		setText(s.pick, lang.X("roster.left.hint", "A self-declared check-out was a ticket number typed without proof: that person may still be in the building."))
		return
	}
	if s.selected == nil {
		s.checkOut.Disable()
		setText(s.pick, lang.X("roster.pick", "Tap a person in the list to check them out."))
		return
	}
	s.checkOut.Enable()
	p := s.selected
	var statuses []string
	for _, v := range p.Visits {
		statuses = append(statuses, statusText(v.Status))
	}
	setText(s.pick, lang.X("roster.selected", "{{.Ticket}} · {{.Name}} · {{.Status}}",
		map[string]any{"Ticket": strings.Join(p.Tickets(), ", "), "Name": p.Name(), "Status": strings.Join(statuses, ", ")}))
}

// peopleText counts the people on site, and their tickets when some hold
// more than one.
func peopleText(people, tickets int) string {
	switch {
	case people == 0:
		return lang.X("roster.count.none", "Nobody is on site.")
	case people == 1 && tickets > 1:
		return lang.X("roster.count.one.tickets", "1 person on site ({{.Tickets}} tickets)", map[string]any{"Tickets": tickets})
	case people == 1:
		return lang.X("roster.count.one", "1 person on site")
	case tickets > people:
		return lang.X("roster.count.tickets", "{{.N}} people on site ({{.Tickets}} tickets)", map[string]any{"N": people, "Tickets": tickets})
	}
	return lang.X("roster.count", "{{.N}} people on site", map[string]any{"N": people})
}

// showHint says what the list counts, while there is no news to show.
func (s *rosterScreen) showHint() {
	s.status.Importance = widget.LowImportance
	if s.showLeft {
		s.status.SetText(lang.X("roster.left.intro", "Everyone who checked out here today, in the order they left, with how each proved it."))
		return
	}
	s.status.SetText(lang.X("roster.hint", "Everyone who checked in here and has not checked out, in the order they arrived: one row per person, with all their tickets."))
}

// setStatus shows the outcome of the last action.
func (s *rosterScreen) setStatus(msg string, failed bool) { setResult(s.status, msg, failed) }

// showRoster opens the on-site roster for staff.
func (u *UI) showRoster() {
	u.roster = newRosterScreen(u)
	u.roster.reload()
	u.setScreen(screenRoster, u.roster.content)
}

// pickOnSite makes p the person Check out acts on.
func (u *UI) pickOnSite(p queue.Person) {
	u.touch()
	if u.roster == nil {
		return
	}
	u.roster.selected = &p
	u.roster.showSelected()
}

// toggleLeft switches the list between the people on site and today's
// check-outs.
func (u *UI) toggleLeft() {
	u.touch()
	s := u.roster
	if s == nil {
		return
	}
	s.showLeft, s.leftPicked = !s.showLeft, nil
	setVisible(s.onSite, !s.showLeft)
	setVisible(s.leftTable, s.showLeft)
	if !s.readFailed {
		s.showHint() // what the list shows, in place of the last action's outcome
	}
	if s.showLeft {
		s.title.SetText(lang.X("roster.left.title", "Checked out today"))
		s.leftButton.SetText(lang.X("roster.left.back", "Who is on site"))
		s.leftList.UnselectAll()
		s.leftList.Refresh()
	} else {
		s.title.SetText(lang.X("roster.title", "On site"))
		s.leftButton.SetText(lang.X("roster.left.show", "Checked out today"))
	}
	s.showSelected()
}

// pickLeft shows check-out v whole below the list: a name the column cut,
// and how it was proved.
func (u *UI) pickLeft(v queue.Visit) {
	u.touch()
	if u.roster == nil {
		return
	}
	u.roster.leftPicked = &v
	u.roster.showSelected()
}

// checkOutOnSite records that the selected person left, with every ticket
// they hold, as the staff member at the desk.
func (u *UI) checkOutOnSite() {
	u.touch()
	s := u.roster
	if s == nil {
		return
	}
	if s.selected == nil {
		s.setStatus(lang.X("roster.pick", "Tap a person in the list to check them out."), true)
		return
	}
	by := u.staffName
	if by == "" {
		by = lang.X("roster.by", "staff")
	}
	p := *s.selected
	tickets := strings.Join(p.Tickets(), ", ")
	if _, err := u.staffQueue.CheckOutVisits(u.staffCtx(), p.IDs(), by); err != nil {
		u.log.Info("roster check-out refused", "visits", tickets, "err", err)
		s.setStatus(u.errorText(err), true)
		s.reload()
		return
	}
	u.log.Info("checked out by staff", "visits", tickets)
	s.selected = nil
	s.reload()
	u.reload() // a visitor still in line has left it
	s.setStatus(lang.X("roster.done", "{{.Ticket}} · {{.Name}} checked out.", map[string]any{"Ticket": tickets, "Name": p.Name()}), false)
}

// exportRoster saves the roster as it is now into the export folder.
func (u *UI) exportRoster(f report.RosterFormat) {
	u.touch()
	s := u.roster
	dir := u.cfg.Incident.ExportDir
	if s == nil || dir == "" {
		return
	}
	s.reload()
	if s.readAt.IsZero() { // never read: there is no list to save
		return
	}
	// The printed list is in the staff language, like the reports, not
	// in the language the screen happens to show.
	code := u.reportLanguage()
	services := make(map[string]string)
	for _, svc := range u.staffQueue.Services() {
		services[svc.ID] = svc.DisplayName(code)
	}
	path, err := report.ExportRoster(dir, f, s.visits, report.RosterOptions{
		Kiosk: u.cfg.KioskName, Site: u.cfg.Site, Made: s.readAt, Location: u.location(), Services: services, Lang: code,
		Left: s.left,
	})
	if err != nil {
		u.log.Error("export roster", "format", f, "dir", dir, "err", err)
		s.setStatus(lang.X("roster.export.failed", "Could not save the list in {{.Dir}}. Please tell IT.", map[string]any{"Dir": dir}), true)
		return
	}
	u.log.Info("roster exported", "path", path, "people", len(s.people), "tickets", len(s.visits))
	// The folder is bounded: the oldest go once it holds more.
	if gone, err := diskwatch.Trim(dir, diskwatch.KeepExports); err != nil {
		u.log.Warn("bound the exports folder", "dir", dir, "err", err)
	} else if len(gone) > 0 {
		u.log.Info("deleted the oldest exports", "files", gone)
	}
	if f == report.RosterHTML {
		s.setStatus(lang.X("roster.saved.html", "Saved the list to print: {{.Path}}", map[string]any{"Path": path}), false)
		return
	}
	s.setStatus(lang.X("roster.saved.csv", "Saved the list as CSV: {{.Path}}", map[string]any{"Path": path}), false)
}

// rosterColumns lays out the cells of a roster row, the header's and every
// visit's alike, at fixed shares of the width so that the columns line up.
// floors are the least widths of the columns, shared by every row: what
// the column titles and the statuses need in the current language, so
// that only a long name or host is ever cut.
type rosterColumns struct {
	weights [len(rosterWeights)]float32
	floors  *[len(rosterWeights)]float32
}

func (c rosterColumns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for i, o := range objs {
		m := o.MinSize()
		if c.floors != nil {
			m.Width = max(m.Width, c.floors[i%len(c.floors)])
		}
		w += m.Width
		h = max(h, m.Height)
	}
	return fyne.NewSize(w+padding*float32(len(objs)-1), h)
}

func (c rosterColumns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	floors := make([]float32, len(rosterWeights))
	if c.floors != nil {
		copy(floors, c.floors[:])
	}
	widths := shareWidths(size.Width-padding*float32(len(objs)-1), c.weights[:], floors)
	var x float32
	for i, o := range objs {
		w := widths[i%len(widths)]
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + padding
	}
}

var _ fyne.Layout = rosterColumns{}

// wrapRow lays out two objects on one row, the first at the left and the
// second at the right, each at its least width; where the row is too
// narrow for both (a portrait screen in a language with long words), the
// second goes on a row of its own under the first, still at the right.
// Like orientLayout it decides again at every Layout, and its minimum
// height is that of the arrangement it last chose; its minimum width is
// always that of the wider object, as it can always wrap.
type wrapRow struct {
	wrapped bool // the arrangement of the last Layout
}

func (l *wrapRow) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) != 2 {
		return
	}
	a, b := objs[0].MinSize(), objs[1].MinSize()
	pad := theme.Padding()
	l.wrapped = a.Width+pad+b.Width > size.Width
	if !l.wrapped {
		h := max(a.Height, b.Height)
		objs[0].Move(fyne.NewPos(0, (h-a.Height)/2))
		objs[0].Resize(a)
		objs[1].Move(fyne.NewPos(size.Width-b.Width, (h-b.Height)/2))
		objs[1].Resize(b)
		return
	}
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(a)
	objs[1].Move(fyne.NewPos(size.Width-b.Width, a.Height+pad))
	objs[1].Resize(b)
}

func (l *wrapRow) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) != 2 {
		return fyne.Size{}
	}
	a, b := objs[0].MinSize(), objs[1].MinSize()
	if l.wrapped {
		return fyne.NewSize(max(a.Width, b.Width), a.Height+theme.Padding()+b.Height)
	}
	return fyne.NewSize(max(a.Width, b.Width), max(a.Height, b.Height))
}

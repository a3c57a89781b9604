package kiosk

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lobbyline/queue/diskwatch"
	"lobbyline/queue/sqldb"
)

// DiskSource is what staff see of the disk monitor, and what a
// supervisor does with it: the disk as the monitor last saw it, the
// kiosk's own files that may go, and deleting them.
type DiskSource interface {
	Status() diskwatch.Status
	Check(ctx context.Context) error
	OwnFiles() ([]diskwatch.OwnFile, error)
	RemoveOwn(paths []string) ([]diskwatch.OwnFile, int64, error)
}

// lowFit: with room for fewer check-ins than this (about a week of a
// busy lobby), staff mode says the disk is nearly full.
const lowFit = 2000

// diskBadge is the staff header's line for the disk, and how loudly to
// show it; "" while there is nothing to say.
func diskBadge(st diskwatch.Status) (string, widget.Importance) {
	switch {
	case st.HasProblem && st.Problem.Fault == sqldb.FaultReadOnly:
		return lang.X("disk.badge.read_only", "Disk read-only"), widget.DangerImportance
	case st.HasProblem && st.Problem.Fault == sqldb.FaultFull:
		return lang.X("disk.badge.full", "Disk full"), widget.DangerImportance
	case st.Known && (st.Fit < lowFit || st.Reserve > 0 && !st.ReserveHeld):
		return lang.X("disk.badge.low", "Disk nearly full"), widget.WarningImportance
	}
	return "", widget.MediumImportance
}

// updateDisk shows the disk on the staff header: hidden while all is well.
func (s *staffScreen) updateDisk(st diskwatch.Status) {
	text, imp := diskBadge(st)
	if text == "" {
		s.disk.Hide()
		return
	}
	s.disk.SetText(text)
	s.disk.Importance = imp
	s.disk.Show()
	s.disk.Refresh()
}

// sizeText is a size for staff: "312 KB", "4.2 MB", with the language's
// decimal mark.
func (u *UI) sizeText(n uint64) string {
	var s string
	switch {
	case n >= 1<<30:
		s = fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		s = fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	default:
		s = fmt.Sprintf("%d KB", (n+1023)>>10)
	}
	if u.lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// diskLines are the panel's sentences on the disk's state: what is
// wrong, what is free, how many check-ins still fit.
func (u *UI) diskLines(st diskwatch.Status) []string {
	args := map[string]any{"Free": u.sizeText(st.Free), "Dir": st.Dir, "Need": u.sizeText(diskwatch.ResumeFree)}
	var out []string
	switch {
	case st.HasProblem && st.Problem.Fault == sqldb.FaultReadOnly:
		out = append(out,
			lang.X("disk.read_only", "The disk is read-only: this kiosk cannot save check-ins, and the lobby sends visitors to reception."),
			lang.X("disk.read_only.it", "IT must check the disk and make it writable again; check-in comes back by itself."))
	case st.HasProblem && st.Problem.Fault == sqldb.FaultFull:
		out = append(out,
			lang.X("disk.full", "The disk is full: this kiosk cannot save check-ins, and the lobby sends visitors to reception."),
			lang.X("disk.full.resume", "Check-in comes back by itself once {{.Need}} are free.", args))
	case st.Reserve > 0 && !st.ReserveHeld:
		out = append(out, lang.X("disk.reserve_used", "The disk filled up: the kiosk is using the space it kept back."))
	case st.Fit < lowFit:
		out = append(out, lang.X("disk.low", "The disk is nearly full."))
	default:
		out = append(out, lang.X("disk.ok", "The disk has room."))
	}
	if st.Known {
		out = append(out, lang.X("disk.free", "Free: {{.Free}} ({{.Dir}}).", args))
		if !st.HasProblem {
			out = append(out, lang.XN("disk.fit", "About {{.Count}} more check-ins fit.", int(min(st.Fit, 1<<30)), map[string]any{"Count": st.Fit}))
		}
	}
	return out
}

// kindText is a kind of the kiosk's own files as staff read it.
func kindText(kind string) string {
	switch kind {
	case diskwatch.KindReport:
		return lang.X("disk.kind.report", "Report")
	case diskwatch.KindExport:
		return lang.X("disk.kind.export", "Export")
	case diskwatch.KindSnapshot:
		return lang.X("disk.kind.snapshot", "Snapshot")
	}
	return kind
}

// showDisk opens the disk panel: the disk's state, and the kiosk's own
// files a supervisor may delete, with a box to tick for each.
func (u *UI) showDisk() {
	u.touch()
	if u.cfg.Disk == nil {
		return
	}
	st := u.cfg.Disk.Status()
	st.Problem, st.HasProblem = u.lobby.LocalProblem() // now, not at the monitor's last look
	rows := []fyne.CanvasObject{}
	for _, l := range u.diskLines(st) {
		rows = append(rows, newWrapped(l, theme.SizeNameText, widget.MediumImportance))
	}
	rows = append(rows, widget.NewSeparator())
	files, err := u.cfg.Disk.OwnFiles()
	chosen := map[string]bool{}
	var del *widget.Button
	switch {
	case err != nil:
		u.log.Error("list the kiosk's own files", "err", err)
		rows = append(rows, newWrapped(lang.X("disk.files.failed", "Could not list the kiosk's own files. Please tell IT."), theme.SizeNameText, widget.DangerImportance))
	case len(files) == 0:
		rows = append(rows, newWrapped(lang.X("disk.files.none", "The kiosk has no old reports, exports or snapshots to delete."), theme.SizeNameText, widget.MediumImportance))
	default:
		rows = append(rows, newWrapped(lang.X("disk.files", "The kiosk's own files, oldest first: old reports, exports and snapshots. The database is never among them."), theme.SizeNameText, widget.MediumImportance))
		if !u.supervisor() {
			rows = append(rows, newWrapped(lang.X("disk.files.supervisor", "A supervisor may delete them."), theme.SizeNameText, widget.WarningImportance))
		}
		for _, f := range files {
			path := f.Path
			line := fmt.Sprintf("%s · %s · %s · %s", kindText(f.Kind), filepath.Base(f.Path), u.sizeText(uint64(max(f.Size, 0))), f.Modified.In(u.location()).Format("2006-01-02 15:04")) // #nosec G115 -- not negative
			if !u.supervisor() {
				rows = append(rows, newWrapped(line, theme.SizeNameText, widget.MediumImportance))
				continue
			}
			box := widget.NewCheck(line, func(on bool) {
				u.touch()
				chosen[path] = on
				n := 0
				for _, c := range chosen {
					if c {
						n++
					}
				}
				enable(del, n > 0)
			})
			rows = append(rows, box)
		}
	}
	content := container.NewVBox(rows...)
	var d dialog.Dialog
	if u.supervisor() && len(files) > 0 {
		del = widget.NewButtonWithIcon(lang.X("disk.delete", "Delete the files ticked"), theme.DeleteIcon(), func() {
			var paths []string
			for _, f := range files {
				if chosen[f.Path] {
					paths = append(paths, f.Path)
				}
			}
			u.confirmDeleteOwn(d, files, paths)
		})
		del.Importance = widget.DangerImportance
		del.Disable()
		content = container.NewBorder(nil, del, nil, nil, container.NewVScroll(content))
	} else {
		content = container.NewStack(container.NewVScroll(content))
	}
	d = dialog.NewCustom(lang.X("disk.title", "The kiosk's disk"), lang.X("dialog.close", "Close"), content, u.win)
	d.Resize(fyne.NewSize(min(900, u.win.Canvas().Size().Width-40), min(640, u.win.Canvas().Size().Height-40)))
	u.diskDialog = d
	d.Show()
}

// confirmDeleteOwn asks before deleting paths (of files), then deletes
// them, audits it as the signed-in supervisor, and looks at the disk again.
func (u *UI) confirmDeleteOwn(panel dialog.Dialog, files []diskwatch.OwnFile, paths []string) {
	u.touch()
	if !u.supervisor() || len(paths) == 0 {
		return
	}
	var size int64
	for _, f := range files {
		for _, p := range paths {
			if f.Path == p {
				size += f.Size
			}
		}
	}
	msg := lang.XN("disk.delete.confirm", "Delete {{.Count}} files ({{.Size}})? They cannot be brought back.", len(paths),
		map[string]any{"Count": len(paths), "Size": u.sizeText(uint64(max(size, 0)))}) // #nosec G115 -- not negative
	c := dialog.NewConfirm(lang.X("disk.delete.title", "Delete files"), msg, func(ok bool) {
		if ok {
			panel.Hide()
			u.deleteOwn(paths)
		}
	}, u.win)
	c.SetConfirmText(lang.X("disk.delete.yes", "Delete"))
	c.SetDismissText(lang.X("disk.delete.no", "Keep them"))
	c.Show()
}

// deleteOwn deletes the kiosk's own files at paths and audits it: after
// the deletion, which is what makes room for the audit's write.
func (u *UI) deleteOwn(paths []string) {
	removed, freed, err := u.cfg.Disk.RemoveOwn(paths)
	names := make([]string, 0, len(removed))
	for _, f := range removed {
		names = append(names, filepath.Base(f.Path))
	}
	if len(removed) > 0 {
		detail := fmt.Sprintf("%d files, %d bytes: %s", len(removed), freed, strings.Join(names, ", "))
		if aerr := u.staffQueue.Audit(u.staffCtx(), "delete_files", "", detail); aerr != nil {
			u.log.Error("audit the files deleted", "files", names, "err", aerr)
		}
		u.log.Info("a supervisor deleted the kiosk's own files", "files", names, "bytes", freed)
	}
	if cerr := u.cfg.Disk.Check(u.ctx); cerr != nil {
		u.log.Warn("disk monitor", "err", cerr)
	}
	u.diskStatus = u.cfg.Disk.Status()
	if u.staff != nil {
		u.staff.updateDisk(u.diskStatus)
		if err != nil {
			u.log.Error("delete the kiosk's own files", "err", err)
			u.staff.setStatus(lang.X("disk.delete.failed", "Could not delete every file. Please tell IT."), true)
		} else {
			u.staff.setStatus(lang.XN("disk.deleted", "Deleted {{.Count}} files: {{.Size}} freed.", len(removed),
				map[string]any{"Count": len(removed), "Size": u.sizeText(uint64(max(freed, 0)))}), false) // #nosec G115 -- not negative
		}
	}
	u.showDisk()
}

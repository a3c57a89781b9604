package kiosk

import (
	"runtime"
	"testing"

	"lobbyline/queue"
)

// BenchmarkWelcomeRebuild rebuilds and paints the welcome screen, board
// included, as the kiosk does after every visitor, and reports how much the
// live heap grew per rebuild (heap-B/rebuild, after a GC). The test driver
// paints with Fyne's software painter, which looks fonts up the way the GL
// painter does, so a font cache that grows with every rebuild shows here.
//
// Fyne keeps the renderers of widgets no longer shown for a minute
// (FYNE_CACHE) and frees them at its next clean, at most every 10 s. Run
// with FYNE_CACHE=1ms to count only what a long-running kiosk never frees.
func BenchmarkWelcomeRebuild(b *testing.B) {
	u := newLobby(b)
	before := liveHeap()
	for b.Loop() {
		u.showWelcome()
		u.win.Canvas().Capture()
	}
	b.ReportMetric(float64(liveHeap()-before)/float64(b.N), "heap-B/rebuild")
}

// BenchmarkBoardRefresh is the board's refresh every two seconds: read the
// queue, show it on the welcome screen, paint.
func BenchmarkBoardRefresh(b *testing.B) {
	u := newLobby(b)
	before := liveHeap()
	for b.Loop() {
		u.reload()
		u.win.Canvas().Capture()
	}
	b.ReportMetric(float64(liveHeap()-before)/float64(b.N), "heap-B/refresh")
}

// newLobby is a kiosk showing a busy board: both desks serving, four
// visitors waiting in two lines, one of them with a name in Han script.
// The welcome screen has been painted once, so fonts loaded for the first
// screen do not count as growth.
func newLobby(b *testing.B) *UI {
	f := newFixture(b)
	for _, v := range []struct{ name, service string }{
		{"Ana López", "registration"}, {"Zoë Müller", "visit"},
		{"Maria Silva", "visit"}, {"李雷", "registration"}, {"Nguyễn Văn An", "registration"}, {"Seán O'Brien", "registration"},
	} {
		f.checkIn(b, v.name, v.service)
	}
	for _, desk := range []string{"desk-1", "desk-2"} {
		for _, a := range []queue.Action{queue.ActOpenDesk, queue.ActCallNext} {
			if _, err := f.store.Apply(f.ctx, queue.Command{Action: a, Desk: desk, Staff: "Carmen"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	f.ui.reload()
	f.ui.showWelcome()
	f.ui.win.Canvas().Capture()
	return f.ui
}

// liveHeap is the heap in use after a full collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

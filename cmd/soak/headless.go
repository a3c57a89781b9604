package main

import (
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// headlessApp is Fyne's test app with one change: what is handed to
// fyne.Do runs on one goroutine of its own, as the real drivers run it
// on the main one (Fyne ≥ 2.6), rather than on the caller's, as the test
// driver does for tests that run on one goroutine. The kiosk's refresh,
// the syncer's and the monitor's news all post to it, from their own
// goroutines.
type headlessApp struct {
	fyne.App
	drv *serialDriver
}

func (a *headlessApp) Driver() fyne.Driver { return a.drv }

type serialDriver struct {
	fyne.Driver
	calls chan func()
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

func newHeadlessApp() *headlessApp {
	inner := test.NewApp()
	d := &serialDriver{Driver: inner.Driver(), calls: make(chan func()), done: make(chan struct{})}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for {
			select {
			case f := <-d.calls:
				f()
			case <-d.done:
				return
			}
		}
	}()
	a := &headlessApp{App: inner, drv: d}
	fyne.SetCurrentApp(a)
	return a
}

// DoFromGoroutine runs f on the UI goroutine; after stop, not at all.
func (d *serialDriver) DoFromGoroutine(f func(), wait bool) {
	if !wait {
		select {
		case d.calls <- f:
		case <-d.done:
		}
		return
	}
	ran := make(chan struct{})
	select {
	case d.calls <- func() { f(); close(ran) }:
		<-ran
	case <-d.done:
	}
}

// stop ends the UI goroutine and waits for it.
func (d *serialDriver) stop() {
	d.once.Do(func() { close(d.done) })
	d.wg.Wait()
}

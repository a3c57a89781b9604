package kiosk

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"
)

// bridge is the one way work done on other goroutines reaches the UI: it
// runs periodic jobs on their own goroutine and posts what they return to
// the UI goroutine with fyne.Do. Nothing else in this package starts a
// goroutine or calls fyne.Do, so every widget is touched on one goroutine.
type bridge struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newBridge() *bridge {
	ctx, cancel := context.WithCancel(context.Background())
	return &bridge{ctx: ctx, cancel: cancel}
}

// post runs fn on the UI goroutine without waiting for it. After stop, fn
// is dropped: once the app has quit, Fyne would run it on the caller's
// goroutine instead.
func (b *bridge) post(fn func()) {
	if b.ctx.Err() != nil {
		return
	}
	fyne.Do(func() {
		if b.ctx.Err() == nil {
			fn()
		}
	})
}

// every calls work on a goroutine of its own every d, until stop, and
// posts the function work returns (if any) to the UI goroutine. work must
// not touch widgets; it reads, the returned function shows.
func (b *bridge) every(d time.Duration, work func(context.Context) func()) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-b.ctx.Done():
				return
			case <-t.C:
				if show := work(b.ctx); show != nil {
					b.post(show)
				}
			}
		}
	}()
}

// run calls work once on a goroutine of its own and posts the function
// it returns (if any) to the UI goroutine. work must not touch widgets.
func (b *bridge) run(work func(context.Context) func()) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		if show := work(b.ctx); show != nil {
			b.post(show)
		}
	}()
}

// stop ends the periodic jobs and drops further posts without waiting;
// safe on the UI goroutine.
func (b *bridge) stop() { b.cancel() }

// close stops and waits for the jobs' goroutines to return.
func (b *bridge) close() {
	b.cancel()
	b.wg.Wait()
}

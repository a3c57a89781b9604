package kiosk

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

func TestBridgeStopsPostingWhenClosed(t *testing.T) {
	test.NewTempApp(t)
	b := newBridge()
	ran := make(chan struct{}, 1)
	var after atomic.Int32
	var closed atomic.Bool
	b.every(time.Millisecond, func(context.Context) func() {
		return func() {
			if closed.Load() {
				after.Add(1)
			}
			select {
			case ran <- struct{}{}:
			default:
			}
		}
	})
	<-ran // the job ran and its result was posted
	b.close()
	closed.Store(true)
	b.post(func() { after.Add(1) })
	if n := after.Load(); n != 0 {
		t.Errorf("%d posts ran after close", n)
	}
}

func TestNewOpensTheWindow(t *testing.T) {
	a := test.NewTempApp(t)
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	u := New(a, mustOpenStore(t, clk), Config{Now: clk.Now}, nil)
	defer u.Close()
	w := u.Window()
	defer w.Close()
	if w.Content() == nil || u.screen != screenWelcome {
		t.Fatal("window has no welcome screen")
	}
	if got := w.Canvas().Size(); got.Width < 1280 || got.Height < 800 {
		t.Errorf("window size %v, want 1280×800", got)
	}
	if _, ok := fyne.CurrentApp().Settings().Theme().(*kioskTheme); !ok {
		t.Error("kiosk theme not applied")
	}
}

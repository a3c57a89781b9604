package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"lobbyline/kiosk"
	"lobbyline/queue"
	"lobbyline/queue/jobs"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/sqlite"
	"lobbyline/syncer/outage"
)

// lobby is a kiosk wired as cmd/kiosk wires it with an embedded centre:
// the store, the centre on loopback, the syncer, the outage monitor, the
// scheduled jobs and the UI.
type lobby struct {
	dir     string
	log     *slog.Logger
	logFile *os.File
	store   *queue.Store
	central *centre.Service
	addr    string
	srvMu   sync.Mutex
	srv     *http.Server // nil while the centre is down
	sync    *syncer.Syncer
	mon     *outage.Monitor
	unwatch func()
	jobs    *jobs.Jobs
	app     fyne.App
	ui      *kiosk.UI
	closers []func() error
}

var (
	services = []queue.Service{
		{ID: "registration", Prefix: "R", Name: "Registration", DefaultWait: 4 * time.Minute},
		{ID: "pharmacy", Prefix: "P", Name: "Pharmacy pick-up", DefaultWait: 2 * time.Minute},
	}
	desks = []queue.Desk{
		{ID: "desk-1", Name: "Desk 1", Services: []string{"registration", "pharmacy"}},
		{ID: "desk-2", Name: "Desk 2", Services: []string{"registration", "pharmacy"}},
	}
)

// openLobby starts everything but the window's event loop. headless
// builds the UI on Fyne's test app.
func openLobby(ctx context.Context, dir string, headless bool) (l *lobby, err error) {
	l = &lobby{dir: dir, addr: "127.0.0.1:0"}
	defer func() {
		if err != nil {
			_ = l.close() // the open error is the one to report
			l = nil
		}
	}()
	l.logFile, err = os.OpenFile(filepath.Join(dir, "soak.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600) // #nosec G304 -- the run's own output directory
	if err != nil {
		return nil, err
	}
	l.closers = append(l.closers, l.logFile.Close)
	l.log = slog.New(slog.NewTextHandler(l.logFile, &slog.HandlerOptions{Level: slog.LevelWarn}))

	l.store, err = queue.Open(ctx, filepath.Join(dir, "kiosk.db"), queue.Options{
		KioskID: "soak-1", Services: services, Desks: desks, Languages: []string{"en", "es"}, Location: time.Local,
	})
	if err != nil {
		return nil, err
	}
	l.closers = append(l.closers, l.store.Close)

	db, err := sqlite.Open(ctx, filepath.Join(dir, "central.db"), sqlite.Options{})
	if err != nil {
		return nil, err
	}
	l.closers = append(l.closers, db.Close)
	l.central = centre.New(db, centre.Options{Logger: l.log})
	if err := l.central.AddSite(ctx, "north", "North"); err != nil {
		return nil, err
	}
	token, err := l.central.Enroll(ctx, "north", "soak-1", "Soak lobby", centre.CommandLineActor())
	if err != nil {
		return nil, err
	}
	if err := l.up(); err != nil {
		return nil, err
	}
	l.closers = append(l.closers, l.down)

	hc := &http.Client{Timeout: 10 * time.Second}
	client, err := syncer.NewClient("http://"+l.addr, "north", token, hc)
	if err != nil {
		return nil, err
	}
	l.closers = append(l.closers, func() error { hc.CloseIdleConnections(); return nil })
	l.sync = syncer.New(l.store, client, syncer.Config{Logger: l.log})
	if err := l.sync.Start(ctx); err != nil {
		return nil, err
	}
	l.closers = append(l.closers, l.sync.Stop)
	l.mon = outage.NewMonitor(l.store, l.sync, client, outage.Config{DataDir: dir, Logger: l.log})
	if err := l.mon.Resume(ctx); err != nil {
		return nil, err
	}
	l.unwatch = l.mon.Watch(ctx)
	l.closers = append(l.closers, func() error { l.unwatch(); return nil })
	l.jobs, err = jobs.Start(ctx, l.store, l.mon, jobs.Config{ReportDir: filepath.Join(dir, "reports"), Logger: l.log})
	if err != nil {
		return nil, err
	}
	l.closers = append(l.closers, l.jobs.Stop)

	if headless {
		h := newHeadlessApp()
		l.app = h
		l.closers = append(l.closers, func() error { h.drv.stop(); return nil })
	} else {
		l.app = app.NewWithID("org.lobbyline.soak")
	}
	l.ui = kiosk.New(l.app, l.store, kiosk.Config{
		KioskName: "Soak lobby", Languages: []string{"en", "es"}, IdleTimeout: time.Minute,
		StaffIdleTimeout: 5 * time.Minute, Centre: true, Sync: l.sync, Outage: l.mon,
	}, l.log)
	// Closed on the UI goroutine, where everything it shows runs.
	l.closers = append(l.closers, func() error { fyne.DoAndWait(l.ui.Close); return nil })
	return l, nil
}

// up starts the centre's HTTP server, on the address it had before.
func (l *lobby) up() error {
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		return fmt.Errorf("centre: %w", err)
	}
	l.addr = ln.Addr().String()
	srv := &http.Server{Handler: centre.NewServer(l.central, centre.ServerOptions{Logger: l.log}), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			l.log.Error("centre", "err", err)
		}
	}()
	l.srvMu.Lock()
	l.srv = srv
	l.srvMu.Unlock()
	return nil
}

// down stops the centre's server: the kiosk sees an outage.
func (l *lobby) down() error {
	l.srvMu.Lock()
	srv := l.srv
	l.srv = nil
	l.srvMu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}

// close stops everything in the reverse order of opening.
func (l *lobby) close() error {
	var errs []error
	for i := len(l.closers) - 1; i >= 0; i-- {
		errs = append(errs, l.closers[i]())
	}
	l.closers = nil
	return errors.Join(errs...)
}

var names = []string{"Ana García", "Bo Li", "Chloé Martin", "Dario Rossi", "Eva Lind", "Fatima Zahra", "Giulia Bianchi", "Hugo Weber", "Inês Sousa", "Jonas Berg"}

// driver is the lobby's people: a visitor checks in every tick; the two
// desks call the next one now and then, which serves whoever was at the
// desk, and staff check the served visitor out.
type driver struct {
	l      *lobby
	rng    *rand.Rand
	staff  context.Context
	atDesk map[string]int64 // the visit called to each desk
	visits int
}

func newDriver(ctx context.Context, l *lobby, seed uint64) (*driver, error) {
	// #nosec G404 -- a seeded, repeatable lobby, not a secret
	d := &driver{l: l, rng: rand.New(rand.NewPCG(seed, 1)), atDesk: map[string]int64{},
		staff: queue.WithActor(ctx, queue.Actor{Name: "Soak", Role: queue.RoleSupervisor, Source: queue.AuditCLI})}
	for _, dk := range desks {
		if _, err := l.store.Apply(d.staff, queue.Command{Action: queue.ActOpenDesk, Desk: dk.ID, Staff: "Soak"}); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// step is one tick of the lobby.
func (d *driver) step() error {
	svc := services[d.rng.IntN(len(services))].ID
	if _, err := d.l.store.CheckIn(d.staff, queue.CheckInForm{Name: names[d.rng.IntN(len(names))], Service: svc}, queue.SourceKiosk); err != nil {
		return fmt.Errorf("check in: %w", err)
	}
	d.visits++
	// A little slower than arrivals on average, so a line forms and
	// drains: each desk calls on about 45 % of ticks.
	for _, dk := range desks {
		if d.rng.Float64() >= 0.45 {
			continue
		}
		v, err := d.l.store.Apply(d.staff, queue.Command{Action: queue.ActCallNext, Desk: dk.ID, Staff: "Soak"})
		if err != nil && queue.ErrorCode(err) == queue.EInternal {
			return fmt.Errorf("call next: %w", err)
		}
		if prev, ok := d.atDesk[dk.ID]; ok && prev != v.ID {
			if _, err := d.l.store.CheckOutVisit(d.staff, prev, "Soak", queue.ProofStaff); err != nil && queue.ErrorCode(err) == queue.EInternal {
				return fmt.Errorf("check out: %w", err)
			}
			delete(d.atDesk, dk.ID)
		}
		if err == nil {
			d.atDesk[dk.ID] = v.ID
		}
	}
	return nil
}

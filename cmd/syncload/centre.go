package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centredb"
	"lobbyline/syncer/centre/sqlstore"
)

// Timeouts of the centre's HTTP server: cmd/central's.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 2 * time.Minute
	writeTimeout      = 2 * time.Minute
	idleTimeout       = 2 * time.Minute
)

// loadCentre is the central service under load: the real store and handler,
// behind a listener this program closes and reopens on the same port. An
// outage is therefore connections refused, as when the centre's process
// is down, and every open connection is cut, as when it crashed: kiosks
// fail fast and their retry policy alone decides when they come back.
type loadCentre struct {
	store    *centre.Service
	db       *sqlstore.Store
	handler  http.Handler
	arrivals *arrivals
	log      *slog.Logger

	mu   sync.Mutex
	addr string // 127.0.0.1:port, kept across outages
	srv  *http.Server
}

func openCentre(ctx context.Context, cfg Config, log *slog.Logger) (*loadCentre, error) {
	db, err := centredb.Open(ctx, cfg.Store, centredb.Options{MaxConns: cfg.MaxInFlight})
	if err != nil {
		return nil, err
	}
	if cfg.PoolIdle > 0 {
		db.DB().SetMaxIdleConns(cfg.PoolIdle)
	}
	store := centre.New(db, centre.Options{Logger: log})
	c := &loadCentre{store: store, db: db, arrivals: &arrivals{}, log: log, addr: "127.0.0.1:0"}
	api := centre.NewServer(store, centre.ServerOptions{MaxInFlight: cfg.MaxInFlight, Logger: log})
	c.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		api.ServeHTTP(sw, r)
		c.arrivals.note(at, r.URL.Path, sw.status)
	})
	if err := c.up(); err != nil {
		db.Close()
		return nil, err
	}
	return c, nil
}

// up serves on the centre's port, the first time on one the system picks.
func (c *loadCentre) up() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv != nil {
		return nil
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("centre: %w", err)
	}
	c.addr = ln.Addr().String()
	srv := &http.Server{
		Handler:           c.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(c.log.Handler(), slog.LevelWarn),
	}
	c.srv = srv
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			c.log.Error("centre", "err", err)
		}
	}()
	return nil
}

// down closes the listener and every connection at once.
func (c *loadCentre) down() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv == nil {
		return nil
	}
	err := c.srv.Close()
	c.srv = nil
	return err
}

func (c *loadCentre) url() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return "http://" + c.addr
}

func (c *loadCentre) close() error {
	return errors.Join(c.down(), c.db.Close())
}

// printPool prints the database pool's counters: connections opened and
// dropped again show as closed for exceeding max idle.
func (c *loadCentre) printPool(w io.Writer, cfg Config) {
	st := c.db.DB().Stats()
	idle := fmt.Sprintf("max open and idle %d, as MaxInFlight", cfg.MaxInFlight)
	if cfg.PoolIdle > 0 {
		idle = fmt.Sprintf("max idle set to %d by --pool-idle", cfg.PoolIdle)
	}
	fmt.Fprintf(w, "  db pool   %s: %d connections closed for exceeding it; %d open at the end; waited for one %d times\n",
		idle, st.MaxIdleClosed, st.OpenConnections, st.WaitCount)
}

// enrolment is a kiosk the centre knows, with its token.
type enrolment struct {
	Kiosk, Site, Token string
}

// enroll creates ceil(n/perSite) sites and n kiosks, named after a prefix
// new to this run so that runs can share a database.
func (c *loadCentre) enroll(ctx context.Context, n, perSite int) (prefix string, sites int, out []enrolment, err error) {
	prefix = fmt.Sprintf("sl%04x", rand.N(1<<16))
	sites = (n + perSite - 1) / perSite
	for s := range sites {
		id := fmt.Sprintf("%s-s%03d", prefix, s+1)
		if err := c.store.AddSite(ctx, id, "Load site "+id); err != nil {
			return "", 0, nil, err
		}
	}
	out = make([]enrolment, n)
	err = parallel(ctx, n, 8, func(i int) error {
		e := enrolment{Kiosk: fmt.Sprintf("%s-k%04d", prefix, i+1), Site: fmt.Sprintf("%s-s%03d", prefix, i/perSite+1)}
		var err error
		e.Token, err = c.store.Enroll(ctx, e.Site, e.Kiosk, "")
		out[i] = e
		return err
	})
	return prefix, sites, out, err
}

// parallel runs fn(0)…fn(n-1) on workers goroutines and returns the first
// error.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for i := range n {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

// arrivals records when API requests reach the centre's handler.
type arrivals struct {
	mu   sync.Mutex
	on   bool
	list []arrival
}

type arrival struct {
	at     time.Time
	push   bool
	status int
}

// statusWriter keeps the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// begin starts recording afresh.
func (a *arrivals) begin() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.on, a.list = true, nil
}

func (a *arrivals) note(at time.Time, path string, status int) {
	if !strings.HasPrefix(path, "/v1/") {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.on {
		a.list = append(a.list, arrival{at: at, push: strings.HasSuffix(path, "/push"), status: status})
	}
}

// stop ends recording and returns what was recorded.
func (a *arrivals) stop() []arrival {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.on = false
	return a.list
}

// counts is what arrived in a window.
type counts struct {
	Buckets    []int       // requests per bucket
	Push, Pull int         // by route
	Status     map[int]int // by the status the centre answered
}

// window counts the arrivals in [from, to) in buckets of width.
func window(list []arrival, from, to time.Time, width time.Duration) counts {
	c := counts{Buckets: make([]int, int((to.Sub(from)+width-1)/width)), Status: make(map[int]int)}
	for _, a := range list {
		if a.at.Before(from) || !a.at.Before(to) {
			continue
		}
		c.Buckets[int(a.at.Sub(from)/width)]++
		c.Status[a.status]++
		if a.push {
			c.Push++
		} else {
			c.Pull++
		}
	}
	return c
}

// statuses lists the counts by status, in order.
func (c counts) statuses() string {
	codes := slices.Sorted(maps.Keys(c.Status))
	var b strings.Builder
	for i, code := range codes {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d: %d", code, c.Status[code])
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

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
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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

// loadCentre is the central service under load: one or more instances
// of the real store and handler on one database, behind a listener this
// program closes and reopens on the same port. With several instances
// that listener is a round-robin reverse proxy on loopback, each instance
// an HTTP server of its own. An outage is connections refused at that
// listener, as when the centre is down, and every open connection is
// cut, as when it crashed: kiosks fail fast and their retry policy alone
// decides when they come back.
type loadCentre struct {
	instances []*instance
	handler   http.Handler // what the public listener serves
	arrivals  *arrivals
	log       *slog.Logger
	// child, if set, is a process of this program serving the centre
	// (--centre-process): the instances above are then empty, and admin
	// is this process's own connection to the store, for enrolling and
	// checking.
	child *childCentre
	admin *instance

	mu   sync.Mutex
	addr string // 127.0.0.1:port, kept across outages
	srv  *http.Server
}

// instance is one centre process's worth: its own database pool, service
// (and so its own /healthz cache) and handler.
type instance struct {
	db    *sqlstore.Store
	store *centre.Service
	srv   *http.Server // behind the proxy; nil when it is the only one
}

func openCentre(ctx context.Context, cfg Config, log *slog.Logger) (*loadCentre, error) {
	if cfg.CentreProcess {
		return startChild(ctx, cfg, log)
	}
	c := &loadCentre{arrivals: &arrivals{}, log: log, addr: "127.0.0.1:0"}
	var backends []*url.URL
	for range max(cfg.Instances, 1) {
		db, err := centredb.Open(ctx, cfg.Store, centredb.Options{MaxConns: cfg.MaxInFlight})
		if err != nil {
			_ = c.close() // the open error is the one to report
			return nil, err
		}
		if cfg.PoolIdle > 0 {
			db.DB().SetMaxIdleConns(cfg.PoolIdle)
		}
		in := &instance{db: db, store: centre.New(db, centre.Options{Logger: log})}
		c.instances = append(c.instances, in)
		api := centre.NewServer(in.store, centre.ServerOptions{MaxInFlight: cfg.MaxInFlight, Logger: log})
		counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			at := time.Now()
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			api.ServeHTTP(sw, r)
			c.arrivals.note(at, r.URL.Path, sw.status)
		})
		if cfg.Instances <= 1 {
			c.handler = counted
			break
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			_ = c.close() // the listen error is the one to report
			return nil, fmt.Errorf("centre instance: %w", err)
		}
		in.srv = newHTTPServer(counted, log)
		go in.srv.Serve(ln)
		backends = append(backends, &url.URL{Scheme: "http", Host: ln.Addr().String()})
	}
	if len(backends) > 0 {
		c.handler = roundRobin(backends, len(backends)*cfg.MaxInFlight)
	}
	c.admin = c.instances[0]
	if err := c.up(); err != nil {
		_ = c.close() // the listen error is the one to report
		return nil, err
	}
	return c, nil
}

// roundRobin is a reverse proxy that sends each request to the next
// backend in turn, as a load balancer without affinity does: one kiosk's
// consecutive requests reach different instances. It keeps up to idle
// connections to the backends open.
func roundRobin(backends []*url.URL, idle int) http.Handler {
	var next atomic.Uint64
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = idle, idle
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(backends[next.Add(1)%uint64(len(backends))])
		},
		Transport: tr,
	}
}

// newHTTPServer is an http.Server with cmd/central's timeouts.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// store is a service on the centre's store, for enrolling and checking.
func (c *loadCentre) store() *centre.Service { return c.admin.store }

// db is a connection to the centre's database.
func (c *loadCentre) db() *sqlstore.Store { return c.admin.db }

// begin starts recording arrivals afresh.
func (c *loadCentre) begin() error {
	if c.child != nil {
		_, err := c.child.ask("begin")
		return err
	}
	c.arrivals.begin()
	return nil
}

// stop ends recording and returns what arrived.
func (c *loadCentre) stop() ([]arrival, error) {
	if c.child != nil {
		return c.child.stop()
	}
	return c.arrivals.stop(), nil
}

// up serves on the centre's port, the first time on one the system picks.
func (c *loadCentre) up() error {
	if c.child != nil {
		_, err := c.child.ask("up")
		return err
	}
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
	srv := newHTTPServer(c.handler, c.log)
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
	if c.child != nil {
		_, err := c.child.ask("down")
		return err
	}
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
	if c.child != nil {
		return errors.Join(c.child.close(), c.admin.db.Close())
	}
	errs := []error{c.down()}
	for _, in := range c.instances {
		if in.srv != nil {
			errs = append(errs, in.srv.Close())
		}
		errs = append(errs, in.db.Close())
	}
	return errors.Join(errs...)
}

// printPool prints the database pool's counters: connections opened and
// dropped again show as closed for exceeding max idle.
func (c *loadCentre) printPool(w io.Writer, cfg Config) {
	if c.child != nil {
		_, _ = io.WriteString(w, c.child.pool) // a report to the terminal, as fmt.Fprintf elsewhere
		return
	}
	idle := fmt.Sprintf("max open and idle %d, as MaxInFlight", cfg.MaxInFlight)
	if cfg.PoolIdle > 0 {
		idle = fmt.Sprintf("max idle set to %d by --pool-idle", cfg.PoolIdle)
	}
	for i, in := range c.instances {
		st := in.db.DB().Stats()
		name := "db pool  "
		if len(c.instances) > 1 {
			name = fmt.Sprintf("db pool %d", i+1)
		}
		fmt.Fprintf(w, "  %s %s: %d connections closed for exceeding it; %d open at the end; waited for one %d times\n",
			name, idle, st.MaxIdleClosed, st.OpenConnections, st.WaitCount)
	}
}

// enrolment is a kiosk the centre knows, with its token.
type enrolment struct {
	Kiosk, Site, Token string
}

// enroll creates ceil(n/perSite) sites and n kiosks, named after a prefix
// new to this run so that runs can share a database.
func (c *loadCentre) enroll(ctx context.Context, n, perSite int) (prefix string, sites int, out []enrolment, err error) {
	prefix = fmt.Sprintf("sl%04x", rand.N(1<<16)) // #nosec G404 -- load generation: random timing and names, not secrets
	sites = (n + perSite - 1) / perSite
	for s := range sites {
		id := fmt.Sprintf("%s-s%03d", prefix, s+1)
		if err := c.store().AddSite(ctx, id, "Load site "+id); err != nil {
			return "", 0, nil, err
		}
	}
	out = make([]enrolment, n)
	by := centre.CommandLineActor() // each enrolment is audited, as IT's would be
	err = parallel(ctx, n, 8, func(i int) error {
		e := enrolment{Kiosk: fmt.Sprintf("%s-k%04d", prefix, i+1), Site: fmt.Sprintf("%s-s%03d", prefix, i/perSite+1)}
		var err error
		e.Token, err = c.store().Enroll(ctx, e.Site, e.Kiosk, "", by)
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
	route  route
	status int
}

// route is what an arrival asked for.
type route int8

const (
	routePull route = iota
	routePush
	routeProbe // GET /healthz
)

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
	rt := routePull
	switch {
	case path == "/healthz":
		rt = routeProbe
	case !strings.HasPrefix(path, "/v1/"):
		return
	case strings.HasSuffix(path, "/push"):
		rt = routePush
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.on {
		a.list = append(a.list, arrival{at: at, route: rt, status: status})
	}
}

// stop ends recording and returns what was recorded.
func (a *arrivals) stop() []arrival {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.on = false
	return a.list
}

// counts is what arrived in a window: API requests, and probes apart.
type counts struct {
	Buckets      []int       // API requests per bucket
	Push, Pull   int         // by route
	Status       map[int]int // by the status the centre answered an API request
	Probes       int         // GET /healthz
	ProbeBuckets []int       // probes per bucket
}

// window counts the arrivals in [from, to) in buckets of width.
func window(list []arrival, from, to time.Time, width time.Duration) counts {
	n := int((to.Sub(from) + width - 1) / width)
	c := counts{Buckets: make([]int, n), ProbeBuckets: make([]int, n), Status: make(map[int]int)}
	for _, a := range list {
		if a.at.Before(from) || !a.at.Before(to) {
			continue
		}
		b := int(a.at.Sub(from) / width)
		switch a.route {
		case routeProbe:
			c.Probes++
			c.ProbeBuckets[b]++
			continue
		case routePush:
			c.Push++
		default:
			c.Pull++
		}
		c.Buckets[b]++
		c.Status[a.status]++
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

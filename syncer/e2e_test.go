package syncer_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"lobbyline/queue"
	"lobbyline/syncer"
	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
)

var longE2E = flag.Duration("e2e.chaos", 0, "how long TestEndToEndUnderFaults injects faults (default 6s; try 5m)")

// instance is one central service process: a store on the shared
// PostgreSQL database and an HTTP server on a fixed loopback address, so
// it can crash and come back where the load balancer expects it.
type instance struct {
	dsn   string
	addr  string
	mu    sync.Mutex
	store centretest.Centre
	srv   *http.Server
}

func (in *instance) start(t *testing.T) {
	t.Helper()
	in.mu.Lock()
	defer in.mu.Unlock()
	store := centretest.Open(t, in.dsn, nil)
	ln, err := net.Listen("tcp", in.addr)
	if err != nil {
		store.Close()
		t.Fatalf("start central: %v", err)
	}
	in.addr = ln.Addr().String()
	in.store = store
	in.srv = &http.Server{Handler: centre.NewServer(store.Service, centre.ServerOptions{MaxInFlight: 8})}
	go in.srv.Serve(ln)
}

func (in *instance) address() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.addr
}

// crash drops every connection mid-flight and closes the store, as a
// killed process would.
func (in *instance) crash() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.srv == nil {
		return
	}
	in.srv.Close()
	in.store.Close()
	in.srv, in.store = nil, centretest.Centre{}
}

// skewedClock is the real clock read through an offset that can change.
type skewedClock struct {
	clockwork.Clock
	offset atomic.Int64
}

func (c *skewedClock) Now() time.Time { return c.Clock.Now().Add(time.Duration(c.offset.Load())) }

// TestEndToEndUnderFaults runs kiosks with real syncers against two
// central instances on one PostgreSQL database, through a round-robin
// balancer behind toxiproxy, while faults come and go: latency, connection
// resets, stalled connections, responses cut off after the centre
// committed, and instance crashes. Kiosk clocks are a day ahead, a day
// behind, and one jumps back an hour midway. When the faults stop, every
// mutation must be at the centre exactly once and every outbox empty and
// cursor at the head within 60 s.
func TestEndToEndUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end fault test skipped in -short mode")
	}
	chaos := 6 * time.Second
	if *longE2E > 0 {
		chaos = *longE2E
	}
	ctx := context.Background()
	dsn := centretest.DSN(t, "postgres")
	admin := centretest.Open(t, dsn, nil)
	if err := admin.AddSite(ctx, "north", "North"); err != nil {
		t.Fatal(err)
	}
	instances := []*instance{{dsn: dsn, addr: "127.0.0.1:0"}, {dsn: dsn, addr: "127.0.0.1:0"}}
	for _, in := range instances {
		in.start(t)
		defer in.crash()
	}

	// A round-robin balancer; a crashed instance answers 502 through it.
	var turn atomic.Uint64
	lb := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			in := instances[turn.Add(1)%uint64(len(instances))]
			r.SetURL(&url.URL{Scheme: "http", Host: in.address()})
		},
		ErrorLog: nil,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	lbLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lbSrv := &http.Server{Handler: lb}
	go lbSrv.Serve(lbLn)
	defer lbSrv.Close()

	tp := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	proxy := toxiproxy.NewProxy(tp, "centre", "127.0.0.1:0", lbLn.Addr().String())
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	defer proxy.Stop()

	// Three kiosks: a day ahead, a day behind, and one that will jump back.
	offsets := []time.Duration{24 * time.Hour, -24 * time.Hour, 0}
	type kioskRig struct {
		id    string
		store *queue.Store
		sync  *syncer.Syncer
		clock *skewedClock
	}
	var kiosks []*kioskRig
	for i, off := range offsets {
		id := fmt.Sprintf("k%d", i+1)
		token, err := admin.Enroll(ctx, "north", id, id, centretest.IT)
		if err != nil {
			t.Fatal(err)
		}
		// The store's clock stamps events and may jump; the syncer's keeps
		// the same offset. (A real jump moves the wall clock, not the
		// monotonic one the scheduler waits on; an offset clock moves both.)
		clock := &skewedClock{Clock: clockwork.NewRealClock()}
		clock.offset.Store(int64(off))
		syncClock := &skewedClock{Clock: clockwork.NewRealClock()}
		syncClock.offset.Store(int64(off))
		store, err := queue.Open(ctx, filepath.Join(t.TempDir(), id+".db"), queue.Options{
			KioskID:  id,
			Services: []queue.Service{{ID: "registration", Prefix: "R", Name: "Registration"}},
			Desks:    []queue.Desk{{ID: "desk-1", Name: "Desk 1", Services: []string{"registration"}}},
			Now:      clock.Now,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		client, err := syncer.NewClient("http://"+proxy.Listen, "north", token, &http.Client{Timeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		sy := syncer.New(store, client, syncer.Config{
			MinInterval: 50 * time.Millisecond, MaxInterval: 150 * time.Millisecond,
			AttemptTimeout: 2 * time.Second, FirstRetry: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond,
			Batch: 7, // small batches: more requests in flight when faults hit
			Clock: syncClock,
		})
		if err := sy.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer sy.Stop()
		kiosks = append(kiosks, &kioskRig{id: id, store: store, sync: sy, clock: clock})
	}

	// Visitors and staff keep working at every kiosk while faults come
	// and go.
	stop := make(chan struct{})
	var work sync.WaitGroup
	for _, k := range kiosks {
		work.Add(1)
		go func() {
			defer work.Done()
			if _, err := k.store.Apply(ctx, queue.Command{Action: queue.ActOpenDesk, Desk: "desk-1", Staff: "Ana"}); err != nil {
				t.Error(err)
				return
			}
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				case <-time.After(time.Duration(5+rand.IntN(20)) * time.Millisecond):
				}
				if _, err := k.store.CheckIn(ctx, queue.CheckInForm{Name: fmt.Sprintf("Visitor %d", n), Service: "registration"}, queue.SourceKiosk); err != nil {
					t.Error(err)
					return
				}
				if n%3 == 2 {
					if _, err := k.store.Apply(ctx, queue.Command{Action: queue.ActCallNext, Desk: "desk-1"}); err != nil {
						t.Error(err)
						return
					}
				}
				k.sync.Kick()
			}
		}()
	}

	faults := []struct {
		name  string
		toxic string
	}{
		{"latency", `{"name":"f","type":"latency","stream":"downstream","attributes":{"latency":300,"jitter":200}}`},
		{"reset", `{"name":"f","type":"reset_peer","stream":"downstream","attributes":{"timeout":20}}`},
		{"stall", `{"name":"f","type":"timeout","stream":"upstream","attributes":{"timeout":0}}`},
		{"cut response", `{"name":"f","type":"limit_data","stream":"downstream","attributes":{"bytes":60}}`},
		{"crash", ""},
		{"none", ""},
	}
	seen := map[string]int{}
	end := time.Now().Add(chaos)
	var order []int
	for i := 0; time.Now().Before(end); i++ {
		if len(order) == 0 { // every fault once per round, in a random order
			order = rand.Perm(len(faults))
		}
		f := faults[order[0]]
		order = order[1:]
		seen[f.name]++
		switch {
		case f.name == "crash":
			in := instances[rand.IntN(len(instances))]
			in.crash()
			time.Sleep(300 * time.Millisecond)
			in.start(t)
		case f.toxic != "":
			if _, err := proxy.Toxics.AddToxicJson(strings.NewReader(f.toxic)); err != nil {
				t.Fatalf("%s: %v", f.name, err)
			}
			time.Sleep(time.Duration(200+rand.IntN(400)) * time.Millisecond)
			proxy.Toxics.ResetToxics(ctx)
		default:
			time.Sleep(200 * time.Millisecond)
		}
		if i == 5 {
			kiosks[2].clock.offset.Store(int64(-time.Hour)) // the clock jumps back an hour
		}
	}
	close(stop)
	work.Wait()
	proxy.Toxics.ResetToxics(ctx)
	t.Logf("faults injected: %v", seen)

	// Healed: every outbox drains and every cursor reaches the head.
	healed := time.Now()
	deadline := healed.Add(60 * time.Second)
	for {
		done := true
		var head int64
		if err := admin.DB().QueryRowContext(ctx, "SELECT version FROM sites WHERE id = 'north'").Scan(&head); err != nil {
			t.Fatal(err)
		}
		for _, k := range kiosks {
			b, err := k.store.Backlog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			cursor, err := k.store.PullCursor(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if b.Pending > 0 || b.Rejected > 0 || cursor != head {
				done = false
			}
			k.sync.Kick()
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			for _, k := range kiosks {
				b, _ := k.store.Backlog(ctx)
				cursor, _ := k.store.PullCursor(ctx)
				t.Errorf("kiosk %s: %+v, cursor %d of %d, status %+v", k.id, b, cursor, head, k.sync.Status())
			}
			t.Fatal("not drained within 60 s of healing")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("drained %s after healing", time.Since(healed).Round(time.Millisecond))

	// Exactly once: the centre holds each kiosk mutation once, applied,
	// and nothing else; its visits are the kiosks' visits.
	total := 0
	for _, k := range kiosks {
		kioskID, epoch := k.store.Identity()
		b, err := k.store.Backlog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		local := b.Done
		var central, applied, minSeq, maxSeq int
		err = admin.DB().QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE status = 'applied'), min(seq), max(seq)
			FROM mutations WHERE kiosk_id = $1 AND epoch = $2`, kioskID, epoch).Scan(&central, &applied, &minSeq, &maxSeq)
		if err != nil {
			t.Fatal(err)
		}
		if central != local || applied != local || minSeq != 1 || maxSeq != local {
			t.Errorf("kiosk %s: %d mutations locally; centre holds %d (%d applied), seq %d..%d", kioskID, local, central, applied, minSeq, maxSeq)
		}
		// HLCs follow sequence order, through the jump back.
		rows, err := admin.DB().QueryContext(ctx, "SELECT hlc FROM mutations WHERE kiosk_id = $1 ORDER BY seq", kioskID)
		if err != nil {
			t.Fatal(err)
		}
		prev := ""
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				t.Fatal(err)
			}
			if h <= prev {
				t.Errorf("kiosk %s: hlc %s after %s", kioskID, h, prev)
			}
			prev = h
		}
		rows.Close()
		total += local
		visits, err := k.store.Remote(ctx, queue.EntityVisit)
		if err != nil {
			t.Fatal(err)
		}
		if len(visits) == 0 {
			t.Errorf("kiosk %s pulled no site visits", kioskID)
		}
	}
	if total < 30 {
		t.Fatalf("only %d mutations: the workload did not run", total)
	}
	t.Logf("%d mutations from %d kiosks, each applied once", total, len(kiosks))

	// Skew: a day ahead and a day behind are shown to staff.
	for i, k := range kiosks[:2] {
		if st := k.sync.Status(); !st.ClockSkewed() {
			t.Errorf("kiosk %d, %s off: skew %s not flagged", i+1, offsets[i], st.Skew)
		}
	}
}

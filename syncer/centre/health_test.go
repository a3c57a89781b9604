package centre_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centretest"
)

// countingStore is a real store that counts the pings it answers.
type countingStore struct {
	centre.Store
	pings atomic.Int64
}

func (s *countingStore) Ping(ctx context.Context) error {
	s.pings.Add(1)
	return s.Store.Ping(ctx)
}

// However many kiosks probe /healthz at once, the store is asked at most
// once a second per instance; a probe after that asks again, and a store
// that stopped answering is reported within that second.
func TestHealthAsksTheStoreOnceASecond(t *testing.T) {
	clk := newStoreClock()
	c := centretest.Open(t, filepath.Join(t.TempDir(), "central.db"), clk.Now)
	store := &countingStore{Store: c.Store}
	srv := httptest.NewServer(centre.NewServer(centre.New(store, centre.Options{Now: clk.Now}), centre.ServerOptions{Now: clk.Now}))
	t.Cleanup(srv.Close)
	probe := func() int {
		res, err := srv.Client().Get(srv.URL + "/healthz")
		if err != nil {
			t.Error(err)
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}

	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			if got := probe(); got != http.StatusOK {
				t.Errorf("probe: %d", got)
			}
		})
	}
	wg.Wait()
	if n := store.pings.Load(); n != 1 {
		t.Errorf("200 probes in one moment pinged the store %d times, want 1", n)
	}

	clk.Advance(time.Second)
	if probe() != http.StatusOK || store.pings.Load() != 2 {
		t.Errorf("a probe a second later: %d pings, want 2", store.pings.Load())
	}
	if err := c.Store.Close(); err != nil {
		t.Fatal(err)
	}
	if got := probe(); got != http.StatusOK {
		t.Errorf("within the second, the last answer stands: %d", got)
	}
	clk.Advance(time.Second)
	if got := probe(); got != http.StatusServiceUnavailable {
		t.Errorf("a closed store, a second later: %d, want 503", got)
	}
}

// BenchmarkHealthz is kiosks probing one instance's /healthz over
// loopback, in parallel, on a real clock: the requests a second it
// serves, and the store pings they cost.
func BenchmarkHealthz(b *testing.B) {
	c := centretest.Open(b, filepath.Join(b.TempDir(), "central.db"), nil)
	store := &countingStore{Store: c.Store}
	srv := httptest.NewServer(centre.NewServer(centre.New(store, centre.Options{}), centre.ServerOptions{MaxInFlight: 256}))
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	start := time.Now()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := client.Get(srv.URL + "/healthz")
			if err != nil {
				b.Error(err)
				return
			}
			res.Body.Close()
		}
	})
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N)/secs, "probes/s")
	b.ReportMetric(float64(store.pings.Load())/secs, "pings/s")
}

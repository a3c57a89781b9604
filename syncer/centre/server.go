package centre

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"lobbyline/syncer/wire"
)

// Server is the centre's HTTP API:
//
//	POST /v1/sites/{site}/push   a batch of mutations (PushRequest → PushResponse),
//	                             and the page of changes after it if asked (protocol 3)
//	GET  /v1/sites/{site}/pull   ?cursor=N&limit=M[&snapshot=1] (→ PullResponse)
//	POST /v1/enrol               a one-time enrolment code (EnrolRequest → EnrolResponse)
//	GET  /healthz                200 when the store answers (asked at most once a second)
//	GET  /metrics                Prometheus
//
// Every /v1 request but enrol carries "Authorization: Bearer <kiosk
// token>". An unknown or revoked token gets 401; a kiosk asking for
// another site 403. Enrol takes no token: an unknown code gets 403, a used
// or expired one 410. A kiosk's "User-Agent: lobbyline-kiosk/VERSION"
// (wire.SetAgent) is recorded as the software it runs; any other
// User-Agent says nothing.
//
// Every response carries the protocol version (wire.Header) and, from
// version 2, the mutation kinds this centre applies (wire.AcceptsHeader).
// A request without the header is served as protocol 1, as kiosks before
// it expect; one older than MinProtocol gets 426 and says the kiosk needs
// an update.
type Server struct {
	store   *Service
	minimum int
	accepts string // the Lobbyline-Accepts value, the same on every answer
	log     *slog.Logger
	mux     *http.ServeMux
	slots   chan struct{} // requests being served; full means 429
	metrics *serverMetrics
	healthy *healthCheck // the store's health for /healthz
}

// ServerOptions tune NewServer.
type ServerOptions struct {
	// MaxInFlight caps /v1 requests served at once; more get 429 with
	// Retry-After. Zero means 64.
	MaxInFlight int
	Logger      *slog.Logger
	// Registry receives the metrics; nil means a private registry, which
	// /metrics still serves.
	Registry *prometheus.Registry
	// MinProtocol is the oldest kiosk protocol served; zero means
	// wire.MinVersion.
	MinProtocol int
	// HealthEvery is how often /healthz asks the store at most; zero
	// means a second. Now is the clock it measures that by; nil means
	// time.Now.
	HealthEvery time.Duration
	Now         func() time.Time
}

// NewServer builds the handler over store.
func NewServer(store *Service, opts ServerOptions) *Server {
	if opts.MinProtocol <= 0 {
		opts.MinProtocol = wire.MinVersion
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 64
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.HealthEvery <= 0 {
		opts.HealthEvery = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{store: store, minimum: opts.MinProtocol, accepts: strings.Join(store.Accepts(), " "), log: opts.Logger, mux: http.NewServeMux(),
		slots: make(chan struct{}, opts.MaxInFlight), metrics: newServerMetrics(opts.Registry, store)}
	s.mux.Handle("POST /v1/sites/{site}/push", s.api("push", s.push))
	s.mux.Handle("GET /v1/sites/{site}/pull", s.api("pull", s.pull))
	s.mux.Handle("POST /v1/enrol", s.guard("enrol", s.enrol))
	s.healthy = &healthCheck{ping: store.Store().Ping, every: opts.HealthEvery, now: opts.Now}
	s.mux.HandleFunc("GET /healthz", s.health)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{}))
	return s
}

// ServeHTTP serves the API, declaring the protocol on every answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	wire.SetVersion(w.Header())
	if v, err := wire.VersionOf(r.Header); err == nil && v >= 2 {
		w.Header().Set(wire.AcceptsHeader, s.accepts)
	}
	s.mux.ServeHTTP(w, r)
}

// apiError is an error with the HTTP status it maps to.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// api wraps a /v1 handler for enrolled kiosks: guard, then
// authentication and site scope.
func (s *Server) api(route string, h func(*http.Request, Kiosk) (any, error)) http.Handler {
	return s.guard(route, func(r *http.Request) (any, error) { return s.serve(r, h) })
}

// guard wraps a /v1 handler: the protocol check, load shedding, errors as
// JSON, and metrics.
func (s *Server) guard(route string, h func(*http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		status := http.StatusOK
		defer func() {
			s.metrics.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
			s.metrics.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
		}()
		switch v, err := wire.VersionOf(r.Header); {
		case err != nil:
			status = http.StatusBadRequest
			writeJSON(w, status, wire.ErrorBody{Error: err.Error()})
			return
		case v < s.minimum:
			status = wire.StatusUpgradeRequired
			writeJSON(w, status, wire.ErrorBody{Error: fmt.Sprintf(
				"this kiosk needs an update: it speaks sync protocol %d, and this centre needs %d or newer", v, s.minimum)})
			return
		}
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
		default:
			w.Header().Set("Retry-After", "2")
			status = http.StatusTooManyRequests
			writeJSON(w, status, wire.ErrorBody{Error: "the centre is busy; retry after 2 s"})
			return
		}
		body, err := h(r)
		if err != nil {
			cause := err
			status, err = s.classify(err)
			switch {
			case errors.Is(cause, context.Canceled):
				s.log.Info("api: client went away", "route", route)
			case status >= 500:
				s.log.Error("api", "route", route, "err", cause)
			}
			writeJSON(w, status, wire.ErrorBody{Error: err.Error()})
			return
		}
		writeJSON(w, status, body)
	})
}

func (s *Server) serve(r *http.Request, h func(*http.Request, Kiosk) (any, error)) (any, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, &apiError{http.StatusUnauthorized, "missing bearer token"}
	}
	k, err := s.store.Authenticate(r.Context(), token)
	if err != nil {
		return nil, err
	}
	k.Software = wire.AgentVersion(r.Header)
	k.Config = wire.ConfigVersion(r.Header)
	if site := r.PathValue("site"); site != k.Site {
		return nil, &apiError{http.StatusForbidden, fmt.Sprintf("kiosk %s is not enrolled at site %s", k.ID, site)}
	}
	return h(r, k)
}

func (s *Server) classify(err error) (int, error) {
	var api *apiError
	var tooBig *http.MaxBytesError
	var code *CodeError
	switch {
	case errors.As(err, &api):
		return api.status, err
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d bytes", tooBig.Limit)
	case errors.Is(err, wire.ErrMalformed):
		return http.StatusBadRequest, err
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized, errors.New("this kiosk is not enrolled (unknown or revoked token)")
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden, err
	case errors.As(err, &code):
		switch code.Reason {
		case ErrCodeUnknown:
			return http.StatusForbidden, errors.New(code.Advice())
		case ErrCodeOther:
			return http.StatusConflict, errors.New(code.Advice())
		}
		return http.StatusGone, errors.New(code.Advice())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, errors.New("request abandoned")
	}
	return http.StatusInternalServerError, errors.New("internal error")
}

func (s *Server) push(r *http.Request, k Kiosk) (any, error) {
	req, err := wire.DecodePushRequest(http.MaxBytesReader(nil, r.Body, wire.MaxBody))
	if err != nil {
		return nil, err
	}
	resp, err := s.store.Push(r.Context(), k, req)
	if err != nil {
		return nil, err
	}
	for _, res := range resp.Results {
		result := res.Status
		if strings.HasPrefix(res.Reason, wire.ReasonNameTaken) {
			result = "name_taken"
		}
		s.metrics.mutations.WithLabelValues(result).Inc()
	}
	if p := req.Pull; p != nil {
		// The batch is committed whatever happens here: a page that
		// cannot be read is left out, and the kiosk pulls as before.
		page, err := s.store.PullFrom(r.Context(), k, PullQuery{Cursor: p.Cursor, Limit: p.Limit, Continuing: p.Continuing})
		if err != nil {
			s.log.Warn("api: the page a push asked for", "kiosk", k.ID, "err", err)
		} else {
			resp.Pull = &page
		}
	}
	return resp, nil
}

// enrol redeems a one-time enrolment code: the code is the credential,
// so the request carries no token.
func (s *Server) enrol(r *http.Request) (any, error) {
	req, err := wire.DecodeEnrolRequest(http.MaxBytesReader(nil, r.Body, wire.MaxEnrolBody))
	if err != nil {
		return nil, err
	}
	resp, err := s.store.RedeemFor(r.Context(), req)
	if err != nil {
		return nil, err
	}
	s.log.Info("kiosk enrolled by code", "site", resp.Site, "kiosk", resp.Kiosk)
	return resp, nil
}

func (s *Server) pull(r *http.Request, k Kiosk) (any, error) {
	cursor, err := queryInt(r, "cursor", 0)
	if err != nil {
		return nil, err
	}
	limit, err := queryInt(r, "limit", wire.MaxPullPage)
	if err != nil {
		return nil, err
	}
	continuing := r.URL.Query().Get("snapshot") == "1"
	resp, err := s.store.PullFrom(r.Context(), k, PullQuery{Cursor: cursor, Limit: int(limit), Continuing: continuing})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func queryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: %s=%q is not a non-negative integer", wire.ErrMalformed, name, v)
	}
	return n, nil
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.healthy.check(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, wire.ErrorBody{Error: "store unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serverMetrics are the centre's Prometheus series. Per-kiosk backlog
// and last-seen are read from the store at scrape time, so every instance
// behind a load balancer reports the same, whole picture.
type serverMetrics struct {
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	mutations *prometheus.CounterVec
}

func newServerMetrics(reg *prometheus.Registry, store *Service) *serverMetrics {
	m := &serverMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lobbyline_central_requests_total", Help: "API requests by route and HTTP status.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "lobbyline_central_request_seconds", Help: "API request latency by route (push, pull).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		// name_taken: refused as a different change under a name the
		// centre holds, the sign of a kiosk database put back from a copy
		// (the kiosk then sends it again in a new epoch).
		mutations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lobbyline_central_mutations_total", Help: "Pushed mutations by the centre's answer: applied, duplicate, rejected, name_taken.",
		}, []string{"result"}),
	}
	reg.MustRegister(m.requests, m.latency, m.mutations, kioskCollector{store})
	return m
}

var (
	backlogDesc = prometheus.NewDesc("lobbyline_central_kiosk_backlog",
		"Mutations a kiosk still held after its last push.", []string{"site", "kiosk"}, nil)
	lastSeenDesc = prometheus.NewDesc("lobbyline_central_kiosk_last_seen_timestamp_seconds",
		"When the centre last heard from a kiosk.", []string{"site", "kiosk"}, nil)
	skewDesc = prometheus.NewDesc("lobbyline_central_kiosk_clock_skew_seconds",
		"Kiosk clock minus the centre's at its last push.", []string{"site", "kiosk"}, nil)
)

// kioskCollector reports every enrolled, unrevoked kiosk from the store.
type kioskCollector struct{ store *Service }

func (kioskCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- backlogDesc
	ch <- lastSeenDesc
	ch <- skewDesc
}

func (c kioskCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kiosks, err := c.store.Kiosks(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(backlogDesc, err)
		return
	}
	for _, k := range kiosks {
		if k.Revoked {
			continue
		}
		ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(k.Backlog), k.Site, k.ID)
		if !k.LastSeen.IsZero() {
			ch <- prometheus.MustNewConstMetric(lastSeenDesc, prometheus.GaugeValue, float64(k.LastSeen.Unix()), k.Site, k.ID)
		}
		ch <- prometheus.MustNewConstMetric(skewDesc, prometheus.GaugeValue, k.Skew.Seconds(), k.Site, k.ID)
	}
}

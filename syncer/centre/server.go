package centre

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
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
//	GET  /v1/sites/{site}/visits ?after=N&limit=M (→ VisitsPage, protocol 5): the
//	                             calling kiosk's own visits, for its recovery
//	POST /v1/enrol               a one-time enrolment code (EnrolRequest → EnrolResponse)
//	GET  /healthz                200 {"status":"ok"} when the store answers, else 503
//	                             {"status":"down"} (the store asked at most once a second)
//	GET  /metrics                Prometheus, only with ServerOptions.MetricsToken
//
// Every /v1 request but enrol carries "Authorization: Bearer <kiosk
// token>". An unknown or revoked token gets 401; a kiosk asking for
// another site 403. Both are answered before the request takes one of
// the MaxInFlight slots, so callers without a kiosk's token cannot keep
// kiosks out; the store lookups that check tokens are bounded on their
// own. Enrol takes no token: an unknown code gets 403, a used or expired
// one 410; it has slots of its own (MaxEnrolInFlight), so redeeming
// codes cannot starve kiosks either. A kiosk's "User-Agent:
// lobbyline-kiosk/VERSION" (wire.SetAgent) is recorded as the software
// it runs; any other User-Agent says nothing. A body over a route's limit
// gets 413 and the connection is closed rather than the rest read.
//
// Every /v1 response carries the protocol version (wire.Header) and, from
// version 2, the mutation kinds this centre applies (wire.AcceptsHeader).
// A request without the header is served as protocol 1, as kiosks before
// it expect; one older than MinProtocol gets 426 and says the kiosk needs
// an update. /healthz tells a caller up or down and nothing else: it
// carries those headers only to a request that declares a protocol, as
// kiosks of the release before it do, which take what the centre says of
// itself from every answer.
type Server struct {
	store   *Service
	minimum int
	speaks  int    // the protocol declared and spoken: wire.Version but in tests
	accepts string // the Lobbyline-Accepts value, the same on every answer
	log     *slog.Logger
	mux     *http.ServeMux
	slots   chan struct{} // kiosks' requests being served; full means 429
	enrols  chan struct{} // enrolments being served; full means 429
	lookups chan struct{} // token lookups in the store under way; full means 429
	metrics *serverMetrics
	healthy *healthCheck      // the store's health for /healthz
	scrape  [sha256.Size]byte // SHA-256 of the metrics token; unused without one
}

// ServerOptions tune NewServer.
type ServerOptions struct {
	// MaxInFlight caps kiosks' /v1 requests served at once; more get 429
	// with Retry-After. It also caps the store lookups of tokens under
	// way. Zero means 64.
	MaxInFlight int
	// MaxEnrolInFlight caps enrolments (POST /v1/enrol) served at once,
	// apart from MaxInFlight. Zero means 4.
	MaxEnrolInFlight int
	Logger           *slog.Logger
	// Registry receives the metrics; nil means a private registry.
	Registry *prometheus.Registry
	// MetricsToken, if set, serves the Registry at /metrics to requests
	// with "Authorization: Bearer <MetricsToken>" (a Prometheus scraper's
	// credentials); without it /metrics is not served, as it lists every
	// kiosk.
	MetricsToken string
	// MinProtocol is the oldest kiosk protocol served; zero means
	// wire.MinVersion.
	MinProtocol int
	// Protocol is the protocol this server declares and speaks, for tests
	// of a kiosk against a centre of an earlier protocol; zero (or above
	// wire.Version) means wire.Version. A centre playing protocol 3 takes
	// a batch that skips numbers as protocol 3 did.
	Protocol int
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
	if opts.Protocol <= 0 || opts.Protocol > wire.Version {
		opts.Protocol = wire.Version
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 64
	}
	if opts.MaxEnrolInFlight <= 0 {
		opts.MaxEnrolInFlight = 4
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
	s := &Server{store: store, minimum: opts.MinProtocol, speaks: opts.Protocol, accepts: strings.Join(store.Accepts(), " "), log: opts.Logger, mux: http.NewServeMux(),
		slots: make(chan struct{}, opts.MaxInFlight), enrols: make(chan struct{}, opts.MaxEnrolInFlight),
		lookups: make(chan struct{}, opts.MaxInFlight), metrics: newServerMetrics(opts.Registry, store)}
	s.mux.Handle("POST /v1/sites/{site}/push", s.guard(route{name: "push", limit: wire.MaxBody, slots: s.slots, kiosk: true}, s.push))
	s.mux.Handle("GET /v1/sites/{site}/pull", s.guard(route{name: "pull", slots: s.slots, kiosk: true}, s.pull))
	if s.speaks >= wire.CentreCopy {
		s.mux.Handle("GET /v1/sites/{site}/visits", s.guard(route{name: "visits", slots: s.slots, kiosk: true}, s.visits))
	}
	s.mux.Handle("POST /v1/enrol", s.guard(route{name: "enrol", limit: wire.MaxEnrolBody, slots: s.enrols}, s.enrol))
	s.healthy = &healthCheck{ping: store.Store().Ping, every: opts.HealthEvery, now: opts.Now}
	s.mux.HandleFunc("GET /healthz", s.health)
	if opts.MetricsToken != "" {
		s.scrape = sha256.Sum256([]byte(opts.MetricsToken))
		s.mux.Handle("GET /metrics", s.scraper(promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{})))
	}
	return s
}

// ServeHTTP serves the API, declaring the protocol on every /v1 answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/healthz" {
		s.declare(w.Header(), r.Header)
	}
	s.mux.ServeHTTP(w, r)
}

// declare sets the protocol version on an answer and, to a request of
// version 2 or later, the kinds this centre applies.
func (s *Server) declare(answer, request http.Header) {
	answer.Set(wire.Header, strconv.Itoa(s.speaks))
	if v, err := wire.VersionOf(request); err == nil && v >= 2 {
		answer.Set(wire.AcceptsHeader, s.accepts)
	}
}

// scraper lets through requests that carry the metrics token. The
// token's hash is compared in constant time, so the time taken says
// nothing of how much of a guess was right.
func (s *Server) scraper(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(sum[:], s.scrape[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="lobbyline-metrics"`)
			writeJSON(w, http.StatusUnauthorized, wire.ErrorBody{Error: "metrics need the scrape token (metrics_token)"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// apiError is an error with the HTTP status it maps to.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// route is what guard needs to know of a /v1 route.
type route struct {
	name  string
	limit int64         // the most its request body may hold
	slots chan struct{} // taken while it is served; full means 429
	kiosk bool          // it needs a kiosk's token, for the site in its path
}

// errBusy and errChecking are answers of 429: no slot free, or no token
// lookup.
var (
	errBusy     = &apiError{http.StatusTooManyRequests, "the centre is busy; retry after 2 s"}
	errChecking = &apiError{http.StatusTooManyRequests, "the centre is busy checking credentials; retry after 2 s"}
)

// guard wraps a /v1 handler: the protocol check, the body's limit, the
// kiosk's token and site scope, load shedding, errors as JSON, and
// metrics. The credential is checked before a slot is taken.
func (s *Server) guard(rt route, h func(*http.Request, Kiosk) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		status := http.StatusOK
		defer func() {
			s.metrics.requests.WithLabelValues(rt.name, strconv.Itoa(status)).Inc()
			s.metrics.latency.WithLabelValues(rt.name).Observe(time.Since(start).Seconds())
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
		body, err := s.serve(w, r, rt, h)
		if err != nil {
			cause := err
			status, err = s.classify(err)
			switch {
			case errors.Is(cause, context.Canceled):
				s.log.Info("api: client went away", "route", rt.name)
			case status >= 500:
				s.log.Error("api", "route", rt.name, "err", cause)
			case status == http.StatusTooManyRequests:
				w.Header().Set("Retry-After", "2")
			case status == http.StatusRequestEntityTooLarge:
				// The rest of the body is not read: the connection ends
				// with this answer.
				w.Header().Set("Connection", "close")
			}
			writeJSON(w, status, wire.ErrorBody{Error: err.Error()})
			return
		}
		writeJSON(w, status, body)
	})
}

// serve limits the body, authenticates a kiosk's request, takes a slot
// and runs h.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt route, h func(*http.Request, Kiosk) (any, error)) (any, error) {
	if r.ContentLength > rt.limit {
		return nil, &http.MaxBytesError{Limit: rt.limit}
	}
	// With w, a body that trips the limit also tells the server to close
	// the connection after the answer rather than read on.
	r.Body = http.MaxBytesReader(w, r.Body, rt.limit)
	var k Kiosk
	if rt.kiosk {
		var err error
		if k, err = s.authenticate(r); err != nil {
			return nil, err
		}
	}
	select {
	case rt.slots <- struct{}{}:
		defer func() { <-rt.slots }()
	default:
		return nil, errBusy
	}
	return h(r, k)
}

// maxToken bounds the bearer token the store is asked about; a kiosk's is
// 47 characters.
const maxToken = 256

// authenticate finds the kiosk the request's token belongs to and checks
// it asks for its own site. Lookups in the store are bounded like the
// slots, apart from them: a flood of made-up tokens costs the store at
// most that many reads at once, and takes no kiosk's slot.
func (s *Server) authenticate(r *http.Request) (Kiosk, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return Kiosk{}, &apiError{http.StatusUnauthorized, "missing bearer token"}
	}
	if token == "" || len(token) > maxToken {
		return Kiosk{}, ErrUnauthorized
	}
	k, err := s.lookUp(r.Context(), token)
	if err != nil {
		return Kiosk{}, err
	}
	k.Software = wire.AgentVersion(r.Header)
	k.Config = wire.ConfigVersion(r.Header)
	k.Protocol, _ = wire.VersionOf(r.Header) // checked by guard
	k.Protocol = min(k.Protocol, s.speaks)
	if site := r.PathValue("site"); site != k.Site {
		return Kiosk{}, &apiError{http.StatusForbidden, fmt.Sprintf("kiosk %s is not enrolled at site %s", k.ID, site)}
	}
	return k, nil
}

// lookUp asks the store whose token this is, if a lookup is free.
func (s *Server) lookUp(ctx context.Context, token string) (Kiosk, error) {
	select {
	case s.lookups <- struct{}{}:
		defer func() { <-s.lookups }()
	default:
		return Kiosk{}, errChecking
	}
	return s.store.Authenticate(ctx, token)
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
	req, err := wire.DecodePushRequest(r.Body) // limited by guard
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
func (s *Server) enrol(r *http.Request, _ Kiosk) (any, error) {
	req, err := wire.DecodeEnrolRequest(r.Body) // limited by guard
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

// visits answers a kiosk's request for its own visits: the token names
// the kiosk, and guard has checked it asks at its own site.
func (s *Server) visits(r *http.Request, k Kiosk) (any, error) {
	after, err := queryInt(r, "after", 0)
	if err != nil {
		return nil, err
	}
	limit, err := queryInt(r, "limit", wire.MaxVisitsPage)
	if err != nil {
		return nil, err
	}
	return s.store.KioskVisits(r.Context(), k, after, int(min(limit, wire.MaxVisitsPage)))
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

// health answers up or down, to anyone. Kiosks of the release before
// this one declare a protocol here and update what they know of the
// centre from the answer, so they get the headers every /v1 answer
// carries; a caller that declares none learns nothing else.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if _, declared := r.Header[wire.Header]; declared {
		s.declare(w.Header(), r.Header)
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.healthy.check(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "down"})
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
	reg.MustRegister(m.requests, m.latency, m.mutations, kioskCollector{store}, store.checks)
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

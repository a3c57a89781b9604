package syncer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"lobbyline/queue"
	"lobbyline/syncer/wire"
)

// Client talks to the centre for one kiosk, in this build's protocol,
// and remembers what the centre last said of its own.
type Client struct {
	root  string // e.g. https://central.example
	base  string // e.g. https://central.example/v1/sites/north
	site  string
	token string
	http  *http.Client
	// software is the version the User-Agent declares.
	software string
	// config, if set, is the site configuration version the kiosk runs,
	// declared on every request (wire.ConfigHeader).
	config func() int64
	// minCentre is the oldest centre protocol this kiosk talks to.
	minCentre int

	mu     sync.Mutex
	centre Centre
}

// Centre is what a centre says of itself on every answer.
type Centre struct {
	Protocol int             // 0 until the centre has answered
	Accepts  map[string]bool // the mutation kinds it applies
}

// protocol1Kinds are the kinds a centre that announces nothing (protocol
// 1, release 17e7641) applies. The list is frozen: a kind added later is
// sent only to a centre that announces it. (Centres older than protocol
// 1's last release lacked check_out and incident; they answer "unknown
// kind", which holds the change too.)
var protocol1Kinds = map[string]bool{
	queue.KindCheckIn: true, queue.KindCall: true, queue.KindRecall: true, queue.KindServe: true,
	queue.KindNoShow: true, queue.KindCancel: true, queue.KindPrioritize: true, queue.KindTransfer: true,
	queue.KindDeskOpen: true, queue.KindDeskClose: true, queue.KindCheckOut: true, queue.KindIncident: true,
}

// ErrCentreOutdated says the centre speaks a protocol older than this
// kiosk talks to: the centre needs an update.
var ErrCentreOutdated = errors.New("syncer: the centre needs an update")

// NewClient returns a client for the centre at baseURL (scheme and host,
// optionally a path prefix) acting for a kiosk of site with token. A nil
// hc means a client with no overall timeout: callers pass contexts.
func NewClient(baseURL, site, token string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("central url %q: want http(s)://host[:port]", baseURL)
	}
	if !queue.ValidID(site) {
		return nil, fmt.Errorf("site %q: want lower-case letters, digits and dashes", site)
	}
	if hc == nil {
		hc = &http.Client{}
	}
	root := strings.TrimSuffix(u.String(), "/")
	return &Client{root: root, base: root + "/v1/sites/" + site, site: site, token: token, http: hc, minCentre: wire.MinVersion,
		software: wire.BuildVersion()}, nil
}

// SetSoftware sets the version the kiosk declares to the centre (its
// User-Agent, lobbyline-kiosk/VERSION); the default is wire.BuildVersion.
func (c *Client) SetSoftware(version string) { c.software = version }

// RequireCentre sets the oldest centre protocol this client talks to;
// tests use it to play a kiosk newer than its centre.
func (c *Client) RequireCentre(protocol int) { c.minCentre = protocol }

// Centre is what the centre said of itself in its last answer.
func (c *Client) Centre() Centre {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.centre
}

// Accepts reports whether the centre applies mutations of kind, as far as
// this kiosk knows: before the first answer it assumes protocol 1's.
func (c *Client) Accepts(kind string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.centre.Accepts == nil {
		return protocol1Kinds[kind]
	}
	return c.centre.Accepts[kind]
}

// refuse notes that the centre refused a kind as unknown, whatever it
// announced: until an answer says otherwise, changes of that kind wait.
func (c *Client) refuse(kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	accepts := c.centre.Accepts
	if accepts == nil {
		accepts = protocol1Kinds
	}
	c.centre.Accepts = make(map[string]bool, len(accepts))
	for k, ok := range accepts {
		c.centre.Accepts[k] = ok && k != kind
	}
}

// heard notes what an answer's headers say of the centre, and refuses a
// centre too old to talk to.
func (c *Client) heard(h http.Header) error {
	v, err := wire.VersionOf(h)
	if err != nil {
		return err
	}
	accepts := wire.Accepts(h) // nil when not announced: protocol 1's kinds
	c.mu.Lock()
	c.centre = Centre{Protocol: v, Accepts: accepts}
	c.mu.Unlock()
	if v < c.minCentre {
		return fmt.Errorf("%w: it speaks sync protocol %d, and this kiosk needs %d or newer", ErrCentreOutdated, v, c.minCentre)
	}
	return nil
}

// HTTPError is an answer from the centre other than 200.
type HTTPError struct {
	Status     int
	Message    string
	RetryAfter time.Duration // from Retry-After on 429 and 503
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("centre answered %d: %s", e.Status, e.Message)
}

// Unauthorized reports whether the centre no longer knows this kiosk.
func (e *HTTPError) Unauthorized() bool { return e.Status == http.StatusUnauthorized }

// KioskOutdated reports whether the centre refused this kiosk's protocol
// as too old: the kiosk needs an update.
func (e *HTTPError) KioskOutdated() bool { return e.Status == wire.StatusUpgradeRequired }

// AboutContent reports whether the centre refused what the request
// carried (400 malformed, 413 too large), rather than who sent it or
// where (403, 404): only then can one mutation be at fault.
func (e *HTTPError) AboutContent() bool {
	return e.Status == http.StatusBadRequest || e.Status == http.StatusRequestEntityTooLarge
}

// Push sends one batch.
func (c *Client) Push(ctx context.Context, req wire.PushRequest) (wire.PushResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return wire.PushResponse{}, fmt.Errorf("encode push: %w", err)
	}
	var resp wire.PushResponse
	err = c.do(ctx, http.MethodPost, c.base+"/push", body, func(r io.Reader) error {
		var err error
		resp, err = wire.DecodePushResponse(r)
		return err
	})
	if err != nil {
		return wire.PushResponse{}, err
	}
	if len(resp.Results) != len(req.Mutations) {
		return wire.PushResponse{}, fmt.Errorf("push: %d answers for %d mutations", len(resp.Results), len(req.Mutations))
	}
	return resp, nil
}

// Pull fetches one page of changes after cursor; continuing says the
// kiosk is part-way through a snapshot.
func (c *Client) Pull(ctx context.Context, cursor int64, limit int, continuing bool) (wire.PullResponse, error) {
	u := c.base + "/pull?cursor=" + strconv.FormatInt(cursor, 10) + "&limit=" + strconv.Itoa(limit)
	if continuing {
		u += "&snapshot=1"
	}
	var resp wire.PullResponse
	err := c.do(ctx, http.MethodGet, u, nil, func(r io.Reader) error {
		var err error
		resp, err = wire.DecodePullResponse(r)
		return err
	})
	return resp, err
}

// Enrol redeems a one-time enrolment code (from `central enroll`) for
// the token of kiosk, at the client's site; the client needs no token to
// do it. A refused code is an *HTTPError whose message says what to do:
// 403 for a code the centre does not know, 410 for one used or expired,
// 409 for one made for another kiosk (it stays unused).
func (c *Client) Enrol(ctx context.Context, code, kiosk string) (wire.EnrolResponse, error) {
	body, err := json.Marshal(wire.EnrolRequest{Code: code, Kiosk: kiosk, Site: c.site})
	if err != nil {
		return wire.EnrolResponse{}, fmt.Errorf("encode enrolment: %w", err)
	}
	var resp wire.EnrolResponse
	err = c.do(ctx, http.MethodPost, c.root+"/v1/enrol", body, func(r io.Reader) error {
		var err error
		resp, err = wire.DecodeEnrolResponse(r)
		return err
	})
	return resp, err
}

// Healthy asks the centre's /healthz whether it and its store answer.
// It carries no token, so it says nothing about this kiosk's enrolment,
// and it declares no protocol: the centre then answers up or down and
// nothing else, and what the client knows of the centre comes from its
// /v1 answers only. (Kiosks before this one declared the protocol here,
// and centres still answer them with its headers.)
func (c *Client) Healthy(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.root+"/healthz", nil)
	if err != nil {
		return err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
	if res.StatusCode != http.StatusOK {
		return &HTTPError{Status: res.StatusCode, Message: "health check"}
	}
	return nil
}

func (c *Client) do(ctx context.Context, method, u string, body []byte, decode func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	wire.SetVersion(req.Header)
	wire.SetAgent(req.Header, c.software)
	if c.config != nil {
		wire.SetConfigVersion(req.Header, c.config())
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != wire.StatusUpgradeRequired {
		if err := c.heard(res.Header); err != nil {
			return err
		}
	}
	if res.StatusCode != http.StatusOK {
		e := &HTTPError{Status: res.StatusCode}
		var eb wire.ErrorBody
		if json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&eb) == nil {
			e.Message = eb.Error
		}
		if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && secs > 0 {
			e.RetryAfter = time.Duration(secs) * time.Second
		}
		return e
	}
	if err := decode(io.LimitReader(res.Body, wire.MaxBody)); err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	return nil
}

// asHTTPError finds an *HTTPError in err's chain.
func asHTTPError(err error) (*HTTPError, bool) {
	var e *HTTPError
	ok := errors.As(err, &e)
	return e, ok
}

// CentreTooOldError says the centre speaks a protocol before
// wire.CentreCopy, so it cannot give this kiosk its copy of the kiosk's
// visits.
type CentreTooOldError struct{ Protocol int }

func (e *CentreTooOldError) Error() string {
	return fmt.Sprintf("the centre is too old to give its copy (protocol %d)", e.Protocol)
}

// Visits reads the centre's copy of this kiosk's own visits, every page
// (protocol 5, wire.CentreCopy), for the recovery of a damaged database.
// A centre of an earlier protocol gives a *CentreTooOldError.
func (c *Client) Visits(ctx context.Context) ([]queue.SiteVisit, error) {
	var out []queue.SiteVisit
	after := int64(0)
	for {
		var page wire.VisitsPage
		u := c.base + "/visits?after=" + strconv.FormatInt(after, 10) + "&limit=" + strconv.Itoa(wire.MaxVisitsPage)
		err := c.do(ctx, http.MethodGet, u, nil, func(r io.Reader) error {
			var err error
			page, err = wire.DecodeVisitsPage(r)
			return err
		})
		if p := c.Centre().Protocol; p != 0 && p < wire.CentreCopy {
			return nil, &CentreTooOldError{Protocol: p}
		}
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Records {
			var sv queue.SiteVisit
			if err := json.Unmarshal(rec.Data, &sv); err != nil {
				return nil, fmt.Errorf("visit %s: %w", rec.Key, err)
			}
			if sv.Visit.Epoch == 0 {
				// Records before visits carried their epoch are named by it.
				parts := strings.Split(rec.Key, "/")
				if len(parts) == 3 {
					sv.Visit.Epoch, _ = strconv.ParseInt(parts[1], 10, 64)
				}
			}
			out = append(out, sv)
		}
		if !page.More || page.Cursor <= after {
			return out, nil
		}
		after = page.Cursor
	}
}

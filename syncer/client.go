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
	"time"
)

// Client talks to the centre for one kiosk.
type Client struct {
	root  string // e.g. https://central.example
	base  string // e.g. https://central.example/v1/sites/north
	token string
	http  *http.Client
}

// NewClient returns a client for the centre at baseURL (scheme and host,
// optionally a path prefix) acting for a kiosk of site with token. A nil
// hc means a client with no overall timeout: callers pass contexts.
func NewClient(baseURL, site, token string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("central url %q: want http(s)://host[:port]", baseURL)
	}
	if !idPattern.MatchString(site) {
		return nil, fmt.Errorf("site %q: want lower-case letters, digits and dashes", site)
	}
	if hc == nil {
		hc = &http.Client{}
	}
	root := strings.TrimSuffix(u.String(), "/")
	return &Client{root: root, base: root + "/v1/sites/" + site, token: token, http: hc}, nil
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

// Permanent reports whether retrying the same request cannot help: a 4xx
// other than 401 (handled as unenrolment), 408 and 429.
func (e *HTTPError) Permanent() bool {
	switch e.Status {
	case http.StatusUnauthorized, http.StatusRequestTimeout, http.StatusTooManyRequests:
		return false
	}
	return e.Status >= 400 && e.Status < 500
}

// AboutContent reports whether the centre refused what the request
// carried (400 malformed, 413 too large), rather than who sent it or
// where (403, 404): only then can one mutation be at fault.
func (e *HTTPError) AboutContent() bool {
	return e.Status == http.StatusBadRequest || e.Status == http.StatusRequestEntityTooLarge
}

// Push sends one batch.
func (c *Client) Push(ctx context.Context, req PushRequest) (PushResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return PushResponse{}, fmt.Errorf("encode push: %w", err)
	}
	var resp PushResponse
	err = c.do(ctx, http.MethodPost, c.base+"/push", body, func(r io.Reader) error {
		var err error
		resp, err = DecodePushResponse(r)
		return err
	})
	if err != nil {
		return PushResponse{}, err
	}
	if len(resp.Results) != len(req.Mutations) {
		return PushResponse{}, fmt.Errorf("push: %d answers for %d mutations", len(resp.Results), len(req.Mutations))
	}
	return resp, nil
}

// Pull fetches one page of changes after cursor; continuing says the
// kiosk is part-way through a snapshot.
func (c *Client) Pull(ctx context.Context, cursor int64, limit int, continuing bool) (PullResponse, error) {
	u := c.base + "/pull?cursor=" + strconv.FormatInt(cursor, 10) + "&limit=" + strconv.Itoa(limit)
	if continuing {
		u += "&snapshot=1"
	}
	var resp PullResponse
	err := c.do(ctx, http.MethodGet, u, nil, func(r io.Reader) error {
		var err error
		resp, err = DecodePullResponse(r)
		return err
	})
	return resp, err
}

// Healthy asks the centre's /healthz whether it and its store answer.
// It carries no token, so it says nothing about this kiosk's enrolment.
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
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		e := &HTTPError{Status: res.StatusCode}
		var eb ErrorBody
		if json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&eb) == nil {
			e.Message = eb.Error
		}
		if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && secs > 0 {
			e.RetryAfter = time.Duration(secs) * time.Second
		}
		return e
	}
	if err := decode(io.LimitReader(res.Body, MaxBody)); err != nil {
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

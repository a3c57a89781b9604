package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"lobbyline/queue/jobs"
	"lobbyline/queue/tomlstrict"
	"lobbyline/syncer/centre/centredb"
)

// Config is the centre's one TOML file. Every key is optional; default.toml
// beside this file documents them with their defaults.
type Config struct {
	Listen      string `toml:"listen"`
	Store       string `toml:"store"` // SQLite path or postgres:// URL; "" means the user data directory
	TLSCert     string `toml:"tls_cert"`
	TLSKey      string `toml:"tls_key"`
	MaxInFlight int    `toml:"max_in_flight"`
	// AdminListen is where the fleet console is served, apart from the
	// kiosks' API; "" serves none.
	AdminListen string `toml:"admin_listen"`
	// MetricsToken, if set, serves /metrics on the API to a scraper that
	// sends it as a bearer token; unset, there is no /metrics. It is read
	// from this file only, never a flag, which `ps` would show.
	MetricsToken string `toml:"metrics_token"`
	// PurgeAt is when serve erases personal data past each site's
	// retention every day (HH:MM, the centre's local time); "off" never.
	PurgeAt string `toml:"purge_at"`
}

// DefaultConfig listens on loopback only, so a centre started by hand is
// not reachable from the network until someone says so.
func DefaultConfig() Config {
	return Config{Listen: "127.0.0.1:8470", MaxInFlight: 64, PurgeAt: "03:15"}
}

// LoadConfig reads and validates a config file.
func LoadConfig(path string) (Config, error) { return tomlstrict.LoadFile(path, ParseConfig) }

// ParseConfig decodes TOML over the defaults and validates the result.
// Unknown keys are errors so a typo does not silently fall back to a
// default.
func ParseConfig(text string) (Config, error) {
	c := DefaultConfig()
	if _, err := tomlstrict.Decode(text, &c); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// Validate returns the first problem, naming its key. It checks that the
// TLS files exist, so a typo is caught before the centre is restarted.
func (c Config) Validate() error {
	if err := validListen(c.Listen); err != nil {
		return err
	}
	if c.MaxInFlight < 1 || c.MaxInFlight > 10000 {
		return fmt.Errorf("max_in_flight must be between 1 and 10000, not %d", c.MaxInFlight)
	}
	if err := validStore(c.Store); err != nil {
		return err
	}
	if err := c.validAdminListen(); err != nil {
		return err
	}
	if err := validMetricsToken(c.MetricsToken); err != nil {
		return err
	}
	if _, err := jobs.ParseClockTime(c.PurgeAt); err != nil && c.PurgeAt != "off" {
		return fmt.Errorf("purge_at: %w, or \"off\"", err)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("tls_cert and tls_key go together: set both or neither")
	}
	for _, f := range []struct{ key, path string }{{"tls_cert", c.TLSCert}, {"tls_key", c.TLSKey}} {
		if f.path == "" {
			continue
		}
		st, err := os.Stat(f.path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("%s %q: no such file", f.key, f.path)
		case err != nil:
			return fmt.Errorf("%s: %w", f.key, err)
		case st.IsDir():
			return fmt.Errorf("%s %q is a directory, not a PEM file", f.key, f.path)
		}
	}
	return nil
}

func validListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err == nil && strings.TrimSpace(host) == host {
		if n, perr := strconv.ParseUint(port, 10, 16); perr == nil && strconv.FormatUint(n, 10) == port {
			return nil
		}
	}
	return fmt.Errorf("listen %q must be host:port, like 127.0.0.1:8470 or :8470", addr)
}

// validAdminListen refuses a console reachable over the network without
// TLS: its session cookie is Secure, which browsers send over plain http
// to loopback only, and its passwords must not cross a network in clear.
func (c Config) validAdminListen() error {
	if c.AdminListen == "" {
		return nil
	}
	if err := validListen(c.AdminListen); err != nil {
		return fmt.Errorf("admin_%w", err)
	}
	host, port, _ := net.SplitHostPort(c.AdminListen)
	if c.AdminListen == c.Listen && port != "0" { // port 0: each gets a port of its own
		return fmt.Errorf("admin_listen %q must differ from listen: the console is kept apart from the kiosks' API", c.AdminListen)
	}
	ip := net.ParseIP(host)
	loopback := host == "localhost" || (ip != nil && ip.IsLoopback())
	if !loopback && c.TLSCert == "" {
		return fmt.Errorf("admin_listen %q is not a loopback address: set tls_cert and tls_key, or listen on 127.0.0.1 behind a TLS proxy", c.AdminListen)
	}
	return nil
}

// minMetricsToken is the shortest scrape token accepted: long enough
// that guessing is hopeless (`openssl rand -base64 32` makes 44).
const minMetricsToken = 32

func validMetricsToken(t string) error {
	if t == "" {
		return nil
	}
	for _, r := range t {
		if r <= ' ' || r > '~' {
			return errors.New("metrics_token must be printable ASCII without spaces, like the output of: openssl rand -base64 32")
		}
	}
	if len(t) < minMetricsToken {
		return fmt.Errorf("metrics_token must be at least %d characters; make one with: openssl rand -base64 32", minMetricsToken)
	}
	return nil
}

// validStore accepts a postgres:// URL or a file path. Errors never repeat
// the DSN: it may hold a password.
func validStore(dsn string) error {
	switch {
	case dsn == "":
		return nil
	case strings.TrimSpace(dsn) != dsn:
		return errors.New("store has space around it")
	case centredb.IsPostgres(dsn):
		if _, err := url.Parse(dsn); err != nil {
			return errors.New("store is not a valid postgres:// URL")
		}
	case strings.Contains(dsn, "://"):
		return errors.New("store must be a SQLite file path or a postgres:// URL")
	}
	return nil
}

// checkConfigCmd validates the config without opening the store, so IT can
// check a file before restarting the service.
type checkConfigCmd struct{}

func (*checkConfigCmd) flags(*flag.FlagSet)      {}
func (*checkConfigCmd) args(args []string) error { return wantArgs(args) }

// run says what the config holds. Loading it (in ParseFlags) has already
// validated it; the TLS pair is loaded too, so a key that does not match
// its certificate is caught here rather than at the next start.
func (*checkConfigCmd) run(_ context.Context, m *Main) error {
	c := m.Config
	scheme := "HTTP"
	if c.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			return fmt.Errorf("tls_cert and tls_key: %w", err)
		}
		scheme = "HTTPS"
	}
	store := "SQLite file " + m.Store
	if centredb.IsPostgres(m.Store) {
		store = "PostgreSQL"
		if u, err := url.Parse(m.Store); err == nil {
			store += " " + u.Redacted() // never the password
		}
	}
	metrics := "off (set metrics_token to serve /metrics to a scraper)"
	if c.MetricsToken != "" {
		metrics = "/metrics on the API, to requests with metrics_token as their bearer token"
	}
	fmt.Fprintf(m.Stdout, "config ok: %s on %s, at most %d requests at once\nstore: %s\nmetrics: %s\n", scheme, c.Listen, c.MaxInFlight, store, metrics)
	return nil
}

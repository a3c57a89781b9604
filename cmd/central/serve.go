package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"lobbyline/syncer/centre"
	"lobbyline/syncer/centre/centredb"
	"lobbyline/syncer/centre/console"
)

// Timeouts of the HTTP server. A push body is at most wire.MaxBody (8
// MiB), which a slow kiosk link still sends well within ReadTimeout.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 2 * time.Minute
	writeTimeout      = 2 * time.Minute
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 20 * time.Second
)

type serveCmd struct{}

func (*serveCmd) flags(*flag.FlagSet) {}

func (*serveCmd) args(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("takes no arguments, got %q", args)
	}
	return nil
}

// run serves the API, and the fleet console if admin_listen is set, until
// ctx ends, then lets requests under way finish for up to shutdownTimeout.
func (*serveCmd) run(ctx context.Context, m *Main) error {
	var tlsConfig *tls.Config
	if m.Config.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(m.Config.TLSCert, m.Config.TLSKey)
		if err != nil {
			return fmt.Errorf("tls_cert and tls_key: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	store, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	// Kiosks get the watch-list sealed; entries written before this
	// release, or by an earlier one's instance, are sealed now.
	if n, err := store.SealWatchLists(ctx); err != nil {
		return err
	} else if n > 0 {
		m.Logger.Info("sealed watch-list entries for kiosks", "entries", n)
	}
	stopPurge, err := startPurge(ctx, m, store)
	if err != nil {
		return err
	}
	defer stopPurge()
	stopGaps, err := startGapCheck(ctx, m, store)
	if err != nil {
		return err
	}
	defer stopGaps()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(m.db.DB(), "central"))
	srv := newHTTPServer(m, tlsConfig, centre.NewServer(store, centre.ServerOptions{
		MaxInFlight: m.Config.MaxInFlight, Registry: reg, Logger: m.Logger, MetricsToken: m.Config.MetricsToken,
	}))
	servers := []*http.Server{srv}
	ln, err := net.Listen("tcp", m.Config.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	listeners := []net.Listener{ln}
	if m.Config.AdminListen != "" {
		aln, err := net.Listen("tcp", m.Config.AdminListen)
		if err != nil {
			_ = ln.Close() // the admin listener error is the one to report
			return fmt.Errorf("admin_listen: %w", err)
		}
		m.adminAddr = aln.Addr()
		servers = append(servers, newHTTPServer(m, tlsConfig, console.New(store, console.Options{Now: m.Now, Logger: m.Logger})))
		listeners = append(listeners, aln)
	}
	m.addr = ln.Addr()
	close(m.listening)

	done := make(chan error, len(servers))
	for i, srv := range servers {
		go func() {
			if tlsConfig != nil {
				done <- srv.ServeTLS(listeners[i], "", "")
			} else {
				done <- srv.Serve(listeners[i])
			}
		}()
	}
	m.Logger.Info("centre listening", "addr", m.addr.String(), "tls", tlsConfig != nil,
		"store", redact(m.Store), "max_in_flight", m.Config.MaxInFlight, "metrics", m.Config.MetricsToken != "")
	if m.adminAddr != nil {
		m.Logger.Info("fleet console listening", "addr", m.adminAddr.String(), "tls", tlsConfig != nil)
	}
	var served error
	select {
	case served = <-done:
	case <-ctx.Done():
	}
	m.Logger.Info("centre shutting down", "grace", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); err != nil {
			_ = srv.Close() // forced after a failed graceful shutdown, which is reported
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
	}
	for range servers {
		err := served
		if err == nil {
			err = <-done
		}
		served = nil
		if !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serve: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	m.Logger.Info("centre stopped")
	return nil
}

func newHTTPServer(m *Main, tlsConfig *tls.Config, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
}

// AdminAddr is the address the fleet console listens on; nil until
// Listening is closed, or if there is none.
func (m *Main) AdminAddr() net.Addr {
	select {
	case <-m.listening:
		return m.adminAddr
	default:
		return nil
	}
}

// Listening is closed once serve has bound its address; see Addr.
func (m *Main) Listening() <-chan struct{} { return m.listening }

// Addr is the address serve listens on, with the port the system chose
// for ":0"; nil until Listening is closed.
func (m *Main) Addr() net.Addr {
	select {
	case <-m.listening:
		return m.addr
	default:
		return nil
	}
}

// redact hides a PostgreSQL password for the log.
func redact(dsn string) string {
	if !centredb.IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

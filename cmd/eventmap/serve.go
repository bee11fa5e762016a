package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"eventmap/api"
	"eventmap/config"
	"eventmap/store"
)

func serve(ctx context.Context, e env, args []string) error {
	cfg, _, err := config.Load("serve", args, e.lookupEnv, e.stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, e.stderr)
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	// Behind a PgBouncer the statement_timeout startup parameter is lost
	// (docs/scaling.md): say so rather than run without the limit unseen.
	if got, err := db.StatementTimeout(ctx); err == nil && got != cfg.StatementTimeout {
		log.Warn("the database's statement_timeout is not EVENTMAP_STATEMENT_TIMEOUT; a connection pooler dropped the startup parameter? set it on the role or database (ALTER DATABASE ... SET statement_timeout)",
			"statement_timeout", got.String(), "configured", cfg.StatementTimeout.String())
	}

	// Replicas starting together serialise on an advisory lock inside Up.
	n, err := migrateUp(ctx, cfg, log)
	if err != nil {
		return err
	}
	log.Info("migrations applied", "count", n)

	var opts []api.Option
	readers := []*store.DB{db} // the primary, then the read replica if any
	if cfg.DatabaseReadURL != "" {
		read, err := store.Open(ctx, store.Options{
			URL:              cfg.DatabaseReadURL,
			StatementTimeout: cfg.StatementTimeout,
			MaxOpenConns:     cfg.DBMaxConns,
		})
		if err != nil {
			return fmt.Errorf("serve: DATABASE_READ_URL: %w", err)
		}
		defer read.Close()
		standby, err := read.InRecovery(ctx)
		if err != nil {
			return fmt.Errorf("serve: DATABASE_READ_URL: %w", err)
		}
		// A primary given as the read URL works, but it is likely a
		// mistake (the read load was meant to go elsewhere): say so.
		if standby {
			log.Info("anonymous reads go to the read replica", "in_recovery", standby)
		} else {
			log.Warn("DATABASE_READ_URL is not a standby (pg_is_in_recovery is false); anonymous reads go there anyway", "in_recovery", standby)
		}
		opts = append(opts, api.ReadFrom(read))
		readers = append(readers, read)
	}
	srv, err := api.New(db, cfg, log, opts...)
	if err != nil {
		return err
	}
	// Both listeners are bound before anything slow (the extents below),
	// so that the addresses asked for are taken at once.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	var mln net.Listener
	if cfg.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("serve: metrics listener (EVENTMAP_METRICS_ADDR): %w", err)
		}
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       60 * time.Second,
		// Long enough for a large page to stream to a slow client; the
		// request timeout bounds the database side.
		WriteTimeout:   cfg.RequestTimeout + 30*time.Second,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
	}
	// Before the first request, not beside it: a map opened as the server
	// comes up would otherwise compute them a second time, in its first
	// load (460 ms at 1 M in make bench). Bounded, so a slow database
	// delays serving by seconds at most (connections wait in the backlog).
	warmCtx, cancelWarm := context.WithTimeout(ctx, 15*time.Second)
	warmExtents(warmCtx, log, readers)
	cancelWarm()
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	// Metrics on an address of their own (loopback by default), so they
	// are not served to the public with the API.
	var ms *http.Server
	if mln != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", srv.MetricsHandler())
		ms = &http.Server{Handler: mux, ReadHeaderTimeout: cfg.ReadHeaderTimeout, WriteTimeout: time.Minute}
		go func() { errc <- ms.Serve(mln) }()
		log.Info("metrics listening", "addr", mln.Addr().String(), "url", "http://"+displayHost(mln.Addr())+"/metrics")
	}
	log.Info("eventmap listening", "addr", ln.Addr().String(), "map", "http://"+displayHost(ln.Addr())+"/map/")
	fmt.Fprintf(e.stdout, "eventmap is running: open http://%s/map/ (API: http://%s/collections/events/items)\n", displayHost(ln.Addr()), displayHost(ln.Addr()))

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	if ms != nil {
		_ = ms.Shutdown(shutdownCtx)
	}
	// Background imports are kept in memory only: they roll back.
	srv.Close()
	log.Info("stopped")
	return nil
}

// displayHost turns a listen address into one a browser can open.
func displayHost(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// warmExtents computes the collections' extents once at start, so that
// the first map or GIS client does not wait for them (at 1 M events they
// read every event stored as an area; store.EventExtents keeps them until
// the next write): on the primary for anonymous readers and token holders,
// on a read replica (dbs[1]) for the anonymous readers it serves.
func warmExtents(ctx context.Context, log *slog.Logger, dbs []*store.DB) {
	for i, db := range dbs {
		restricted := []bool{false, true}
		if i > 0 {
			restricted = restricted[:1] // token holders read the primary
		}
		for _, restricted := range restricted {
			if _, _, err := db.EventExtents(ctx, store.EventFilter{IncludeRestricted: restricted}); err != nil {
				log.Warn("could not compute the collections' extents ahead of the first request", "err", err)
				return
			}
		}
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
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

	// Replicas starting together serialise on an advisory lock inside Up.
	n, err := migrateUp(ctx, cfg, db, log)
	if err != nil {
		return err
	}
	log.Info("migrations applied", "count", n)

	var opts []api.Option
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
	}
	srv, err := api.New(db, cfg, log, opts...)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
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
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
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

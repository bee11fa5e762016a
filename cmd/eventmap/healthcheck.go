package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"eventmap/config"
)

// healthcheck lets a distroless container (no curl) check itself.
func healthcheck(ctx context.Context, e env, args []string) error {
	cfg, _, err := config.Load("healthcheck", args, e.lookupEnv, e.stderr)
	if err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}

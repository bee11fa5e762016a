package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"eventmap/config"
)

const aggregatesUsage = `usage:
  eventmap aggregates rebuild

The map's clusters, histogram, crowded tiles and counts read aggregates that
the database keeps in step with every write. rebuild recounts them from the
events, in one transaction (readers keep the old counts until it commits):
after writes that bypassed the triggers (session_replication_role = replica,
a restore with triggers disabled), or to tighten the boxes of clusters that
lost events. It takes minutes on a million events.`

// aggregates manages the map aggregates. It migrates first, so the
// aggregate tables exist.
func aggregates(ctx context.Context, e env, args []string) error {
	cfg, rest, err := config.Load("aggregates", args, e.lookupEnv, e.stderr)
	if err != nil {
		return err
	}
	if len(rest) != 1 || rest[0] != "rebuild" {
		fmt.Fprintln(e.stderr, aggregatesUsage)
		return errors.New("aggregates: expected rebuild")
	}
	db, err := openMigrated(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	if err := db.RebuildAggregates(ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "rebuilt the map aggregates in %.1f s\n", time.Since(start).Seconds())
	return nil
}

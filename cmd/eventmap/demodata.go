package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"eventmap/config"
	"eventmap/demo"
)

const demoDataUsage = `usage: eventmap demo-data [--synthetic N [--seed S] [--timings]]

Without flags, loads the sample events (running it again changes
nothing). With --synthetic N, imports N generated events clustered around
Syrian and Iraqi towns, for load tests and benchmarks; the same N and
seed give the same events, ids included, and loading them again changes
nothing.`

func demoData(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("eventmap demo-data", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprintln(e.stderr, demoDataUsage) }
	n := fs.Int("synthetic", 0, "load this many synthetic events instead of the sample")
	seed := fs.Uint64("seed", 1, "seed of the synthetic events")
	timings := fs.Bool("timings", false, "print each step of the synthetic import and its time to stderr")
	cfgArgs, own := splitArgs(args, fs)
	cfg, _, err := config.Load("demo-data", cfgArgs, e.lookupEnv, e.stderr)
	if err != nil {
		return err
	}
	if err := fs.Parse(own); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo-data: unexpected argument %q", fs.Arg(0))
	}
	if *n < 0 {
		return fmt.Errorf("demo-data: --synthetic must be 0 or more, got %d", *n)
	}
	db, err := openMigrated(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer db.Close()
	if *n > 0 {
		started := time.Now()
		res, err := demo.LoadSynthetic(ctx, db, *n, *seed, stepPrinter(e.stderr, *timings))
		if err != nil {
			return err
		}
		secs := time.Since(started).Seconds()
		fmt.Fprintf(e.stdout, "synthetic data (seed %d): %d event(s) created, %d updated, %d already present, in %.1f s (%.0f events/s)\n",
			*seed, res.Created, res.Updated, res.Unchanged, secs, float64(res.Rows)/secs)
		return nil
	}
	res, err := demo.Load(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "sample data: %d event(s) created, %d already present\n", res.Created, res.Skipped)
	return nil
}

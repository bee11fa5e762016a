// Command eventmap-bench runs the benchmark behind `make bench` and writes
// its results table under bench/results/. See README, "Speed".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"eventmap/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "eventmap-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	o := bench.Options{Log: os.Stderr}
	fs := flag.NewFlagSet("eventmap-bench", flag.ContinueOnError)
	fs.StringVar(&o.AdminURL, "database-url", os.Getenv("EVENTMAP_BENCH_DATABASE_URL"), "URL of a database on the server to create the bench databases on [$EVENTMAP_BENCH_DATABASE_URL]")
	fs.StringVar(&o.Bin, "bin", "bin/eventmap", "the eventmap binary")
	fs.StringVar(&o.Pgbench, "pgbench", "/usr/lib/postgresql/15/bin/pgbench", "pgbench binary")
	fs.StringVar(&o.Node, "node", "node", "node, to run the map in Chromium (e2e/map_bench.mjs); empty skips it")
	fs.StringVar(&o.Ogrinfo, "ogrinfo", "ogrinfo", "GDAL's ogrinfo; empty skips it")
	fs.IntVar(&o.Events, "events", 1_000_000, "events in the large database")
	fs.IntVar(&o.MidEvents, "mid-events", 100_000, "events in the middle database of the cost curve (0: none)")
	fs.IntVar(&o.SmallEvents, "small-events", 10_000, "events in the small database")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the synthetic events")
	fs.IntVar(&o.Limit, "limit", 1000, "features per items page in the city-box phases (count, gzip, paging)")
	itemLimits := fs.String("item-limits", "100,1000", "page sizes of the densest-box items comparison, comma-separated")
	fs.DurationVar(&o.Duration, "duration", 15*time.Second, "length of each side of each load phase")
	fs.IntVar(&o.Clients, "clients", 4, "concurrent clients in closed-loop phases")
	fs.IntVar(&o.Pages, "pages", 500, "the deep page compared with the first")
	fs.IntVar(&o.MapRequests, "map-requests", 30, "requests per map measurement (zoom, filter, endpoint)")
	fs.DurationVar(&o.MapBudget, "map-budget", 10*time.Second, "a map measurement stops after this long (and at least 5 requests)")
	fs.DurationVar(&o.OgrTimeout, "ogr-timeout", 60*time.Second, "how long ogrinfo may take")
	fs.BoolVar(&o.Reload, "reload", false, "load the databases again even when earlier ones match")
	fs.BoolVar(&o.Cluster, "cluster", false, "CLUSTER events by geohash after loading")
	fs.BoolVar(&o.NoParallel, "no-parallel", false, "set max_parallel_workers_per_gather = 0 on the bench databases")
	fs.BoolVar(&o.NoJIT, "no-jit", false, "set jit = off on the bench databases")
	exports := fs.String("exports", "geojson,ndjson,csv", "export formats to time, comma-separated")
	fs.IntVar(&o.ImportSize, "import-events", 100_000, "events of the bench database whose NDJSON export is imported into a served database and re-imported (0: no import phase)")
	fs.StringVar(&o.OutDir, "out", "bench/results", "directory of the results file")
	fs.StringVar(&o.WorkDir, "work", ".artifacts/bench", "logs and scratch files")
	fs.StringVar(&o.ArtifactDir, "artifacts", ".artifacts", "directory of the map's screenshots")
	fs.StringVar(&o.Commit, "commit", "dev", "short commit the results file is named after")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.AdminURL == "" {
		return fmt.Errorf("no database: set -database-url or EVENTMAP_BENCH_DATABASE_URL (scripts/bench.sh does)")
	}
	for _, v := range strings.Split(*itemLimits, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			return fmt.Errorf("-item-limits: %q is not a page size", v)
		}
		o.ItemLimits = append(o.ItemLimits, n)
	}
	if o.Node != "" {
		if _, err := os.Stat("e2e/map_bench.mjs"); err != nil {
			return fmt.Errorf("-node: run from the repository's root (e2e/map_bench.mjs), or -node '' to skip the browser: %w", err)
		}
	}
	if *exports != "" {
		o.Exports = strings.Split(*exports, ",")
	}
	file, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	out, _ := os.ReadFile(file)
	fmt.Printf("%s\nwritten to %s\n", out, file)
	return nil
}

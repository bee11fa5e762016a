package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"eventmap/geo"
	"eventmap/store"
)

// Options are the knobs of one run; cmd/eventmap-bench fills them from
// flags and docs/performance.md lists them.
type Options struct {
	AdminURL    string // a database URL whose server the bench databases are created on
	Bin         string // the eventmap binary to serve and export with
	Pgbench     string
	Node        string // runs e2e/map_bench.mjs; "" skips the browser
	Ogrinfo     string // GDAL's ogrinfo; "" skips it
	Events      int    // events in the large database (1 M)
	MidEvents   int    // events in the middle one (100 k; 0: none)
	SmallEvents int    // events in the small one, for latency against table size (10 k)
	Seed        uint64
	Limit       int           // features per items page of the city-box phases (1000)
	ItemLimits  []int         // page sizes of the densest-box items comparison (100, 1000)
	Duration    time.Duration // of each load phase
	Clients     int           // concurrent clients of closed-loop phases
	Pages       int           // the deep page compared with the first (500)
	MapRequests int           // requests per map measurement (a zoom, a filter, an endpoint)
	MapBudget   time.Duration // time after which a map measurement stops early (after 5 requests)
	OgrTimeout  time.Duration // how long ogrinfo may take
	Reload      bool          // load the databases even when earlier ones match
	Cluster     bool          // CLUSTER events by geohash after loading
	NoParallel  bool          // max_parallel_workers_per_gather = 0 on the bench databases
	NoJIT       bool          // jit = off on the bench databases
	Exports     []string      // export formats to time
	ImportSize  int           // events of the database whose NDJSON export is imported (100 k; 0: no import phase)
	OutDir      string        // where the results file goes
	WorkDir     string        // logs and scratch files
	ArtifactDir string        // the browser's screenshots
	Commit      string        // short commit the results file is named after
	Log         io.Writer
}

func (o *Options) logf(format string, args ...any) {
	fmt.Fprintf(o.Log, "bench: "+format+"\n", args...)
}

// sizes are the table sizes of the cost curve, smallest first.
func (o *Options) sizes() []int {
	var out []int
	for _, n := range []int{o.SmallEvents, o.MidEvents, o.Events} {
		if n > 0 && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// sizeRun is what was measured on one database: the cost curve has one
// per size.
type sizeRun struct {
	db       loaded
	scene    scene
	items    []itemsRun
	maps     []mapSample
	browser  *browserRun
	ogr      *ogrRun
	explains []explained
}

// Run measures everything in one go and writes the results file; it
// returns its path.
func Run(ctx context.Context, o Options) (string, error) {
	r := &report{opts: o, started: time.Now(), loadStart: loadAverage()}
	if err := os.MkdirAll(o.WorkDir, 0o755); err != nil {
		return "", err
	}
	var dbs []loaded
	for _, n := range o.sizes() {
		l, err := prepareDB(ctx, &o, n)
		if err != nil {
			return "", err
		}
		dbs = append(dbs, l)
	}
	big, small := dbs[len(dbs)-1], dbs[0]
	r.big, r.small = big, small

	// 1. The cost curve: items in the densest box, the map's clusters,
	// histogram and crowded tiles, the map in Chromium and ogrinfo, at
	// every size.
	var srv, counting *server
	for _, db := range dbs {
		sc, err := findScene(ctx, db.url)
		if err != nil {
			return "", fmt.Errorf("%s: %w", db.name, err)
		}
		o.logf("%s: %d public events; densest 0.2° box %s (near %s) holds %d", db.name, sc.public, sc.dense.param(), sc.town, sc.denseEvents)
		label := strings.ReplaceAll(count(db.events), " ", "") // 10k: for file names
		def, err := startServer(ctx, &o, db.url, "default-"+label, "EVENTMAP_TILE_URL=")
		if err != nil {
			return "", err
		}
		defer def.stop()
		off, err := startServer(ctx, &o, db.url, "count-off-"+label, "EVENTMAP_COUNT_LIMIT=0", "EVENTMAP_TILE_URL=")
		if err != nil {
			return "", err
		}
		defer off.stop()
		run := &sizeRun{db: db, scene: sc}
		for _, limit := range o.ItemLimits {
			o.logf("%s items: densest box, limit %d: eventmap (default, default with a moving box, count off), column-only and baseline SQL (pgbench), %d clients, %s each, alternating", label, limit, o.Clients, o.Duration)
			it, err := measureItems(ctx, &o, db.url, sc, def, off, limit)
			if err != nil {
				return "", fmt.Errorf("%s items, limit %d: %w", label, limit, err)
			}
			for _, side := range itemSides {
				o.logf("  %s: %.1f req/s, %.1f MB/s", side, it.sides[side].rps(), it.bytesPerSecond(side)/1e6)
			}
			run.items = append(run.items, it)
		}
		o.logf("%s map: clusters and histogram at zooms %d-%d, crowded tiles", label, minZoom, maxViewZoom)
		run.maps = measureMap(ctx, &o, def.base, sc, o.Seed)
		if o.Node != "" {
			o.logf("%s map in Chromium", label)
			b := runBrowser(ctx, &o, def.base, label, sc)
			run.browser = &b
			if b.err != nil {
				o.logf("  %v", b.err)
			}
		}
		if o.Ogrinfo != "" {
			o.logf("%s ogrinfo -so", label)
			g := runOgrinfo(ctx, &o, def.base)
			run.ogr = &g
			o.logf("  %.1f s, Feature Count %d (%d public events), %v", g.seconds, g.count, sc.public, g.err)
		}
		for _, limit := range o.ItemLimits {
			bb, _ := geo.ParseBBox(sc.dense.param())
			plan, err := explainItems(ctx, db.url, store.EventFilter{BBox: &bb}, limit)
			if err != nil {
				return "", err
			}
			run.explains = append(run.explains, explained{fmt.Sprintf("eventmap's items page, limit %d (ExplainItems: the page statement; the count is not shown)", limit), plan})
			plan, err = explainSQL(ctx, db.url, store.ColumnItemsSQL(), sc.dense[0], sc.dense[1], sc.dense[2], sc.dense[3], limit)
			if err != nil {
				return "", err
			}
			run.explains = append(run.explains, explained{fmt.Sprintf("column-only statement, limit %d", limit), plan})
		}
		for _, ep := range []string{"clusters", "histogram"} {
			if w := run.worst(ep); w != nil {
				e, err := explainSummary(ctx, db.url, w)
				if err != nil {
					return "", fmt.Errorf("explain %s: %w", ep, err)
				}
				run.explains = append(run.explains, e)
			}
		}
		// How the default items page counts the densest box: from the
		// aggregates (store.countFromAggregates).
		{
			bb, _ := geo.ParseBBox(sc.dense.param())
			sdb, err := store.Open(ctx, store.Options{URL: db.url})
			if err != nil {
				return "", err
			}
			plan, err := sdb.ExplainSummary(ctx, "count", store.EventFilter{BBox: &bb}, 0, "")
			sdb.Close()
			if err != nil {
				return "", fmt.Errorf("explain count: %w", err)
			}
			run.explains = append(run.explains, explained{"numberMatched of the densest box, from the aggregates (ExplainSummary \"count\"), as the default items page counts it", plan})
		}
		r.sizes = append(r.sizes, run)
		if db.name == big.name {
			srv, counting = off, def
		} else {
			def.stop()
			off.stop()
		}
	}
	bigScene := r.sizes[len(r.sizes)-1].scene

	// The phases below report what fails in the results file and go on:
	// a run that lost its figures to one timeout would tell nothing.
	problem := func(what string, err error) {
		o.logf("%s: %v", what, err)
		r.problems = append(r.problems, what+": "+oneLine("", err))
	}

	// 2. Latency under a constant load: half the slower side's rate, the
	// first page size, eventmap (vegeta) against the column-only
	// statement (pgbench -R).
	{
		it := r.sizes[len(r.sizes)-1].items[0]
		r.rateLimit = it.limit
		r.rate = 0.5 * min(it.sides["eventmap"].rps(), it.sides["columns"].rps())
		u := fmt.Sprintf("%s/collections/events/items?bbox=%s&limit=%d", counting.base, bigScene.dense.param(), it.limit)
		o.logf("items: constant rate %.1f/s, eventmap (vegeta) and pgbench -R, alternating", r.rate)
		var err error
		if r.rate < 1 {
			problem("items at constant rate", fmt.Errorf("skipped: the slower side ran %.1f/s", 2*r.rate))
		} else if r.apiRate, r.sqlRate, err = alternate(o.Duration, func(d time.Duration) (*loadStats, error) {
			return constantRate(r.rate, d, func() string { return u })
		}, func(d time.Duration) (*loadStats, error) {
			return pgbench(ctx, &o, big.url, it.scripts["columns"], o.Clients, d, r.rate)
		}); err != nil {
			problem("items at constant rate", err)
		}
	}
	city := newBoxes(0.1, 0, o.Seed)
	itemsURL := func(base string, b *boxes, limit int) func() string {
		return func() string {
			return fmt.Sprintf("%s/collections/events/items?bbox=%s&limit=%d", base, b.next().param(), limit)
		}
	}
	apiLoop := func(d time.Duration) (*loadStats, error) {
		return closedLoop(ctx, o.Clients, d, false, itemsURL(srv.base, city, o.Limit))
	}
	fixed := func(u string) func() string { return func() string { return u } }

	// 3. The same result size at the smallest and the largest table:
	// boxes wider on the small table hold about as many events as city
	// boxes on the large one. 100 per page, in the busier towns, so both
	// pages are full.
	if small.name != big.name {
		if smallSrv, err := startServer(ctx, &o, small.url, "small", "EVENTMAP_COUNT_LIMIT=0"); err != nil {
			problem("size", err)
		} else {
			const sizeLimit = 100
			scale := sideScale(o)
			bigBoxes := newBoxes(0.1, 0.03, o.Seed+2)
			smallBoxes := newBoxes(0.1*scale, 0.03, o.Seed+2)
			o.logf("size: latency of %d-feature pages at %d and %d rows", sizeLimit, o.SmallEvents, o.Events)
			if r.sizeBig, err = sequential(ctx, 200, itemsURL(srv.base, bigBoxes, sizeLimit)); err != nil {
				problem("size", err)
			} else if r.sizeSmall, err = sequential(ctx, 200, itemsURL(smallSrv.base, smallBoxes, sizeLimit)); err != nil {
				problem("size", err)
			}
			smallSrv.stop()
		}
	}

	// 4. Page 1 against page Pages of the whole table, reached by next links.
	o.logf("paging: walking %d next links", o.Pages-1)
	first := fmt.Sprintf("%s/collections/events/items?limit=%d", srv.base, o.Limit)
	if deep, err := walk(ctx, first, o.Pages-1); err != nil {
		problem("paging", err)
	} else {
		r.deepURL = deep
		if r.page1, err = sequential(ctx, 60, fixed(first)); err != nil {
			problem("paging", err)
		} else if r.pageN, err = sequential(ctx, 60, fixed(deep)); err != nil {
			problem("paging", err)
		}
	}

	// 5. numberMatched: random city boxes, counted (default) or not; and
	// a country-sized box.
	o.logf("count: with and without numberMatched, alternating")
	warm(ctx, itemsURL(srv.base, city, o.Limit), 10)
	var err error
	if r.countOn, r.countOff, err = alternate(o.Duration, func(d time.Duration) (*loadStats, error) {
		return closedLoop(ctx, o.Clients, d, false, itemsURL(counting.base, city, o.Limit))
	}, apiLoop); err != nil {
		problem("count", err)
	}
	syriaURL := func(base string) func() string {
		return fixed(base + "/collections/events/items?bbox=35.5,32.3,42.4,37.3&limit=100")
	}
	if r.wideOn, err = sequential(ctx, 40, syriaURL(counting.base)); err != nil {
		problem("count, Syria-wide", err)
	} else if r.wideOff, err = sequential(ctx, 40, syriaURL(srv.base)); err != nil {
		problem("count, Syria-wide", err)
	}

	// 6. gzip: the same load asking for gzip; and every level on one page.
	o.logf("gzip: closed loops with and without Accept-Encoding: gzip, alternating")
	if r.gzipOn, r.gzipOff, err = alternate(o.Duration, func(d time.Duration) (*loadStats, error) {
		return closedLoop(ctx, o.Clients, d, true, itemsURL(srv.base, city, o.Limit))
	}, apiLoop); err != nil {
		problem("gzip", err)
	}
	if r.levels, err = gzipLevels(ctx, itemsURL(srv.base, city, o.Limit)()); err != nil {
		problem("gzip levels", err)
	}

	// 7. Export of the whole large table, as its own process.
	srv.stop()
	counting.stop()
	for _, f := range o.Exports {
		o.logf("export: %s", f)
		copySeconds, copyErr := copyBaseline(ctx, big.url)
		if copyErr != nil {
			problem("export baseline (COPY)", copyErr)
		}
		e, err := export(ctx, &o, big.url, f)
		if err != nil {
			problem("export "+f, err)
			continue
		}
		e.copySeconds, e.load = copySeconds, loadAverage()
		r.exports = append(r.exports, e)
	}

	// 8. Import of an NDJSON export into a served database, new and again
	// with 1 % changed, each against COPY of the same file, with a reader
	// paging the densest box meanwhile.
	if o.ImportSize > 0 && ctx.Err() == nil {
		r.imports = measureImports(ctx, &o, dbs, problem)
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	return r.write()
}

// alternateRounds is how many slices each side of a comparison gets. The
// machine's other load changes over minutes; run side by side in short
// turns, both sides meet the same load.
const alternateRounds = 5

// alternate runs a and b in turns of d/alternateRounds, for d each, and
// adds up what each measured.
func alternate(d time.Duration, a, b func(time.Duration) (*loadStats, error)) (*loadStats, *loadStats, error) {
	st, err := alternateAll(d, a, b)
	if err != nil {
		return nil, nil, err
	}
	return st[0], st[1], nil
}

// alternateAll runs every side in turns of d/alternateRounds, for d each,
// and adds up what each measured. A turn whose requests failed (a 503
// after the statement timeout) is kept with its failures counted, and the
// first failure noted: it is a finding, not a reason to lose the run. A
// side that cannot run at all (pgbench missing) stops it.
func alternateAll(d time.Duration, sides ...func(time.Duration) (*loadStats, error)) ([]*loadStats, error) {
	slice := max(d/alternateRounds, time.Second).Round(time.Second)
	sums := make([]*loadStats, len(sides))
	for i := range sums {
		sums[i] = &loadStats{}
	}
	for range alternateRounds {
		for i, run := range sides {
			st, err := run(slice)
			if st == nil {
				return nil, err
			}
			sum := sums[i]
			if err != nil && sum.failure == "" {
				sum.failure = err.Error()
			}
			sum.requests += st.requests
			sum.errors += st.errors
			sum.bytes += st.bytes
			sum.seconds += st.seconds
			sum.lat = append(sum.lat, st.lat...)
		}
	}
	return sums, nil
}

// warm sends a few requests so that connections, caches and the
// server's pool are set up before anything is measured.
func warm(ctx context.Context, next func() string, n int) {
	c := newClient(1)
	for range n {
		req, _ := http.NewRequestWithContext(ctx, "GET", next(), nil)
		if resp, err := c.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
}

// sequential sends n requests one after the other and keeps their
// latencies: the cost of one request on an otherwise idle server.
func sequential(ctx context.Context, n int, next func() string) (*loadStats, error) {
	warm(ctx, next, 3)
	return closedLoopN(ctx, n, next)
}

func closedLoopN(ctx context.Context, n int, next func() string) (*loadStats, error) {
	c := newClient(1)
	st := &loadStats{}
	started := time.Now()
	for range n {
		req, _ := http.NewRequestWithContext(ctx, "GET", next(), nil)
		t0 := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			st.fail(fmt.Errorf("GET %s: %v", req.URL, err))
			continue
		}
		b, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			// Failures are findings: kept with their latency, counted.
			st.lat = append(st.lat, time.Since(t0))
			st.fail(fmt.Errorf("GET %s: status %d, %v", req.URL, resp.StatusCode, err))
			continue
		}
		st.lat = append(st.lat, time.Since(t0))
		st.requests++
		st.bytes += b
	}
	st.seconds = time.Since(started).Seconds()
	return st, nil
}

// walk follows n next links from first and returns the last URL.
func walk(ctx context.Context, first string, n int) (string, error) {
	c := newClient(1)
	u := first
	for i := range n {
		req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
		resp, err := c.Do(req)
		if err != nil {
			return "", err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("page %d: status %d, %v", i+1, resp.StatusCode, err)
		}
		next := nextLink(body)
		if next == "" {
			return "", fmt.Errorf("page %d has no next link: the table holds fewer events than %d pages", i+1, n+1)
		}
		u = next
	}
	return u, nil
}

// nextLink finds the next link at the end of a page without decoding the
// thousand Features before it.
func nextLink(page []byte) string {
	i := bytes.LastIndex(page, []byte(`"rel":"next"`))
	if i < 0 {
		return ""
	}
	j := bytes.LastIndex(page[:i], []byte(`"href":"`))
	if j < 0 {
		return ""
	}
	rest := page[j+len(`"href":"`):]
	k := bytes.IndexByte(rest, '"')
	return strings.ReplaceAll(string(rest[:k]), `\u0026`, "&")
}

// gzipLevel is what one compression level does to one items page.
type gzipLevel struct {
	level       int
	ratio       float64 // compressed / plain
	mbPerSecond float64 // plain bytes compressed per second, one core
}

// gzipLevels compresses one page at each level the way Echo's gzip
// middleware does (compress/gzip), to choose the level by its cost.
func gzipLevels(ctx context.Context, u string) ([]gzipLevel, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := newClient(1).Do(req)
	if err != nil {
		return nil, err
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var out []gzipLevel
	for _, level := range []int{1, 2, 3, 4, 5, 6, 9} {
		var buf bytes.Buffer
		n := 0
		started := time.Now()
		for time.Since(started) < 300*time.Millisecond {
			buf.Reset()
			w, _ := gzip.NewWriterLevel(&buf, level)
			w.Write(page)
			w.Close()
			n++
		}
		secs := time.Since(started).Seconds()
		out = append(out, gzipLevel{level: level, ratio: float64(buf.Len()) / float64(len(page)), mbPerSecond: float64(n*len(page)) / secs / 1e6})
	}
	return out, nil
}

// explained is one EXPLAIN (ANALYZE, BUFFERS) for the results file.
type explained struct {
	what, plan string
}

// explainItems is the plan of the first page of f as the server runs it.
func explainItems(ctx context.Context, url string, f store.EventFilter, limit int) (string, error) {
	db, err := store.Open(ctx, store.Options{URL: url})
	if err != nil {
		return "", err
	}
	defer db.Close()
	return db.ExplainItems(ctx, f, store.Page{Limit: limit})
}

// explainSQL is the plan of one of the baseline statements, with the
// settings pgbench runs it with.
func explainSQL(ctx context.Context, url, stmt string, args ...any) (string, error) {
	db, err := sql.Open("postgres", url)
	if err != nil {
		return "", err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off`); err != nil {
		return "", err
	}
	rows, err := tx.QueryContext(ctx, `EXPLAIN (ANALYZE, BUFFERS) `+stmt, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		b.WriteString(line + "\n")
	}
	return b.String(), rows.Err()
}

// exportRun is one timed `eventmap export`, with the COPY of the same
// Features timed just before it (copySeconds 0: psql missing or failed).
type exportRun struct {
	format      string
	seconds     float64
	rssMB       float64
	bytes       int64
	copySeconds float64
	load        string // load average when the export ended
}

// copyBaseline times PostgreSQL writing the rows an export reads, the
// stored Features of the public events in export order, with nothing
// between the table and /dev/null: `psql \copy (SELECT ...) TO
// '/dev/null'`. lib/pq cannot run COPY TO STDOUT, so psql does.
func copyBaseline(ctx context.Context, url string) (float64, error) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, psql, url, "-X", "-q", "-c",
		`\copy (SELECT feature FROM events WHERE deleted_at IS NULL AND visibility = 'public' ORDER BY occurred_at DESC, id DESC) TO '/dev/null'`)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	started := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("psql copy: %v\n%s", err, stderr.String())
	}
	return time.Since(started).Seconds(), nil
}

func export(ctx context.Context, o *Options, url, format string) (exportRun, error) {
	out := filepath.Join(o.WorkDir, "export."+format)
	defer os.Remove(out)
	defer os.Remove(out + ".citation.json")
	cmd := exec.CommandContext(ctx, o.Bin, "export", "--format", format, "--output", out)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "EVENTMAP_LOG_LEVEL=warn")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	started := time.Now()
	if err := cmd.Run(); err != nil {
		return exportRun{}, fmt.Errorf("export %s: %v\n%s", format, err, stderr.String())
	}
	e := exportRun{format: format, seconds: time.Since(started).Seconds()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		e.rssMB = float64(ru.Maxrss) / 1024 // kilobytes on Linux
	}
	if fi, err := os.Stat(out); err == nil {
		e.bytes = fi.Size()
	}
	return e, nil
}

// machine describes where the run happened.
func machine() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s, %d CPUs, %s/%s, %s", host, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

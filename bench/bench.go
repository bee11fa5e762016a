package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"eventmap/geo"
	"eventmap/store"
)

// Options are the knobs of one run; cmd/eventmap-bench fills them from
// flags and README lists them.
type Options struct {
	AdminURL    string // a database URL whose server the bench databases are created on
	Bin         string // the eventmap binary to serve and export with
	Pgbench     string
	Events      int // events in the large database (1 M)
	SmallEvents int // events in the small one, for latency against table size (10 k)
	Seed        uint64
	Limit       int           // features per items page (1000)
	Duration    time.Duration // of each load phase
	Clients     int           // concurrent clients of closed-loop phases
	Pages       int           // the deep page compared with the first (500)
	Reload      bool          // load the databases even when earlier ones match
	Cluster     bool          // CLUSTER events by geohash after loading
	NoParallel  bool          // max_parallel_workers_per_gather = 0 on the bench databases
	NoJIT       bool          // jit = off on the bench databases
	Exports     []string      // export formats to time
	OutDir      string        // where the results file goes
	WorkDir     string        // logs and scratch files
	Commit      string        // short commit the results file is named after
	Log         io.Writer
}

func (o *Options) logf(format string, args ...any) {
	fmt.Fprintf(o.Log, "bench: "+format+"\n", args...)
}

// Run measures everything in one go and writes the results file; it
// returns its path.
func Run(ctx context.Context, o Options) (string, error) {
	r := &report{opts: o, started: time.Now()}
	if err := os.MkdirAll(o.WorkDir, 0o755); err != nil {
		return "", err
	}
	big, err := prepareDB(ctx, &o, o.Events)
	if err != nil {
		return "", err
	}
	small, err := prepareDB(ctx, &o, o.SmallEvents)
	if err != nil {
		return "", err
	}
	r.big, r.small = big, small

	srv, err := startServer(ctx, &o, big.url, "count-off", "EVENTMAP_COUNT_LIMIT=0")
	if err != nil {
		return "", err
	}
	defer srv.stop()
	counting, err := startServer(ctx, &o, big.url, "count-default")
	if err != nil {
		return "", err
	}
	defer counting.stop()
	smallSrv, err := startServer(ctx, &o, small.url, "small", "EVENTMAP_COUNT_LIMIT=0")
	if err != nil {
		return "", err
	}
	defer smallSrv.stop()

	// 1. Items page in a city-sized box against the same FeatureCollection
	// made by one statement through pgbench.
	city := newBoxes(0.1, 0, o.Seed)
	itemsURL := func(base string, b *boxes, limit int) func() string {
		return func() string {
			return fmt.Sprintf("%s/collections/events/items?bbox=%s&limit=%d", base, b.next().param(), limit)
		}
	}
	script := city.pgbenchScript(o.Limit)
	r.pgbenchScript = script
	warm(ctx, itemsURL(srv.base, city, o.Limit), 20)
	o.logf("items: eventmap and pgbench closed loops, alternating, %d clients, %s each", o.Clients, o.Duration)
	apiLoop := func(d time.Duration) (*loadStats, error) {
		return closedLoop(ctx, o.Clients, d, false, itemsURL(srv.base, city, o.Limit))
	}
	sqlLoop := func(d time.Duration) (*loadStats, error) {
		return pgbench(ctx, &o, big.url, script, o.Clients, d, 0)
	}
	if r.apiClosed, r.sqlClosed, err = alternate(o.Duration, apiLoop, sqlLoop); err != nil {
		return "", fmt.Errorf("items closed loop: %w", err)
	}
	r.rate = 0.5 * min(r.apiClosed.rps(), r.sqlClosed.rps())
	o.logf("items: constant rate %.1f/s, eventmap (vegeta) and pgbench -R, alternating", r.rate)
	if r.apiRate, r.sqlRate, err = alternate(o.Duration, func(d time.Duration) (*loadStats, error) {
		return constantRate(r.rate, d, itemsURL(srv.base, city, o.Limit))
	}, func(d time.Duration) (*loadStats, error) {
		return pgbench(ctx, &o, big.url, script, o.Clients, d, r.rate)
	}); err != nil {
		return "", fmt.Errorf("items at constant rate: %w", err)
	}

	// 2. The same result size at 10 k and 1 M rows: boxes 10 times wider
	// on the small table hold about as many events as city boxes on the
	// large one. 100 per page, in the busier towns, so both pages are
	// full.
	const sizeLimit = 100
	scale := 1.0
	for n := o.SmallEvents; n < o.Events; n *= 10 {
		scale *= 3.1623 // sqrt(10): area grows with the table
	}
	bigBoxes := newBoxes(0.1, 0.03, o.Seed+2)
	smallBoxes := newBoxes(0.1*scale, 0.03, o.Seed+2)
	o.logf("size: latency of %d-feature pages at %d and %d rows", sizeLimit, o.SmallEvents, o.Events)
	if r.sizeBig, err = sequential(ctx, 200, itemsURL(srv.base, bigBoxes, sizeLimit)); err != nil {
		return "", err
	}
	if r.sizeSmall, err = sequential(ctx, 200, itemsURL(smallSrv.base, smallBoxes, sizeLimit)); err != nil {
		return "", err
	}

	// 3. Page 1 against page Pages of the whole table, reached by next links.
	o.logf("paging: walking %d next links", o.Pages-1)
	first := fmt.Sprintf("%s/collections/events/items?limit=%d", srv.base, o.Limit)
	deep, err := walk(ctx, first, o.Pages-1)
	if err != nil {
		return "", err
	}
	r.deepURL = deep
	fixed := func(u string) func() string { return func() string { return u } }
	if r.page1, err = sequential(ctx, 60, fixed(first)); err != nil {
		return "", err
	}
	if r.pageN, err = sequential(ctx, 60, fixed(deep)); err != nil {
		return "", err
	}

	// 4. numberMatched: the same city boxes, counted (default) or not;
	// and a country-sized box, where counting stops at the limit.
	o.logf("count: with and without numberMatched, alternating")
	if r.countOn, r.countOff, err = alternate(o.Duration, func(d time.Duration) (*loadStats, error) {
		return closedLoop(ctx, o.Clients, d, false, itemsURL(counting.base, city, o.Limit))
	}, apiLoop); err != nil {
		return "", err
	}
	syria := func(base string) func() string {
		return fixed(base + "/collections/events/items?bbox=35.5,32.3,42.4,37.3&limit=100")
	}
	if r.wideOn, err = sequential(ctx, 40, syria(counting.base)); err != nil {
		return "", err
	}
	if r.wideOff, err = sequential(ctx, 40, syria(srv.base)); err != nil {
		return "", err
	}

	// 6. gzip: the same load asking for gzip; and every level on one page.
	o.logf("gzip: closed loops with and without Accept-Encoding: gzip, alternating")
	if r.gzipOn, r.gzipOff, err = alternate(o.Duration, func(d time.Duration) (*loadStats, error) {
		return closedLoop(ctx, o.Clients, d, true, itemsURL(srv.base, city, o.Limit))
	}, apiLoop); err != nil {
		return "", err
	}
	if r.levels, err = gzipLevels(ctx, itemsURL(srv.base, city, o.Limit)()); err != nil {
		return "", err
	}

	// The plan of the items query, as the server runs it.
	if r.explain, err = explain(ctx, big.url, city, o.Limit); err != nil {
		return "", err
	}

	// 5. Export of the whole large table, as its own process.
	srv.stop()
	counting.stop()
	smallSrv.stop()
	for _, f := range o.Exports {
		o.logf("export: %s", f)
		e, err := export(ctx, &o, big.url, f)
		if err != nil {
			return "", err
		}
		r.exports = append(r.exports, e)
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
	slice := max(d/alternateRounds, time.Second).Round(time.Second)
	var sa, sb loadStats
	for range alternateRounds {
		for _, side := range []struct {
			run func(time.Duration) (*loadStats, error)
			sum *loadStats
		}{{a, &sa}, {b, &sb}} {
			st, err := side.run(slice)
			if err != nil {
				return nil, nil, err
			}
			side.sum.requests += st.requests
			side.sum.errors += st.errors
			side.sum.bytes += st.bytes
			side.sum.seconds += st.seconds
			side.sum.lat = append(side.sum.lat, st.lat...)
		}
	}
	return &sa, &sb, nil
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
			return nil, err
		}
		b, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: status %d, %v", req.URL, resp.StatusCode, err)
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

func explain(ctx context.Context, url string, b *boxes, limit int) (string, error) {
	db, err := store.Open(ctx, store.Options{URL: url})
	if err != nil {
		return "", err
	}
	defer db.Close()
	x := b.next()
	bb, err := geo.ParseBBox(fmt.Sprintf("%g,%g,%g,%g", x[0], x[1], x[2], x[3]))
	if err != nil {
		return "", err
	}
	plan, err := db.ExplainItems(ctx, store.EventFilter{BBox: &bb}, store.Page{Limit: limit})
	return "bbox=" + x.param() + ", limit=" + fmt.Sprint(limit) + "\n" + plan, err
}

// exportRun is one timed `eventmap export`.
type exportRun struct {
	format  string
	seconds float64
	rssMB   float64
	bytes   int64
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

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// report gathers one run's figures and writes them as markdown.
type report struct {
	opts       Options
	started    time.Time
	big, small loaded

	pgbenchScript        string
	apiClosed, sqlClosed *loadStats
	rate                 float64
	apiRate, sqlRate     *loadStats
	sizeBig, sizeSmall   *loadStats
	deepURL              string
	page1, pageN         *loadStats
	countOn, countOff    *loadStats
	wideOn, wideOff      *loadStats
	gzipOn, gzipOff      *loadStats
	levels               []gzipLevel
	explain              string
	exports              []exportRun
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func goal(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

func (r *report) write() (string, error) {
	o := r.opts
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# eventmap bench, %s, commit %s", r.started.UTC().Format("2006-01-02 15:04 UTC"), o.Commit)
	p("")
	p("Machine: %s. Load phases of %s, %d concurrent clients; pages of %d features. Large table: %d synthetic events (seed %d); small: %d.%s",
		machine(), o.Duration, o.Clients, o.Limit, o.Events, o.Seed, o.SmallEvents, map[bool]string{true: " Events CLUSTERed by geohash.", false: ""}[o.Cluster]+map[bool]string{true: " Parallel query off (max_parallel_workers_per_gather = 0).", false: " Parallel query at the server's default."}[o.NoParallel]+map[bool]string{true: " JIT off (jit = off).", false: " JIT at the server's default."}[o.NoJIT])
	p("Every ratio compares two figures measured in this run, on this machine: the two sides of each load comparison (rows 1, 4, 6) run in %d alternating turns, so both meet the same load from other processes.", alternateRounds)
	p("")
	p("| # | measure | eventmap | baseline | ratio | goal |")
	p("|---|---|---|---|---|---|")
	r1 := r.apiClosed.rps() / r.sqlClosed.rps()
	p("| 1 | items page, city bbox, closed loop | %.1f req/s | pgbench, one SQL statement: %.1f tx/s | **%.2f×** | ≥ 0.9×: %s |", r.apiClosed.rps(), r.sqlClosed.rps(), r1, goal(r1 >= 0.9))
	p("| 1 | same, constant %.0f/s: p50 / p99 | %s / %s | pgbench -R: %s / %s | p50 %.2f× | |", r.rate,
		ms(r.apiRate.pct(0.5)), ms(r.apiRate.pct(0.99)), ms(r.sqlRate.pct(0.5)), ms(r.sqlRate.pct(0.99)),
		float64(r.apiRate.pct(0.5))/float64(r.sqlRate.pct(0.5)))
	r2 := float64(r.sizeBig.pct(0.5)) / float64(r.sizeSmall.pct(0.5))
	p("| 2 | 100-feature bbox page, p50 (p99) | %s rows: %s (%s) | %s rows: %s (%s) | **%.2f×** | ≤ 1.5×: %s |",
		count(o.Events), ms(r.sizeBig.pct(0.5)), ms(r.sizeBig.pct(0.99)), count(o.SmallEvents), ms(r.sizeSmall.pct(0.5)), ms(r.sizeSmall.pct(0.99)), r2, goal(r2 <= 1.5))
	r3 := float64(r.pageN.pct(0.5)) / float64(r.page1.pct(0.5))
	p("| 3 | page %d vs page 1 via next links, p50 | %s | %s | **%.2f×** | ≤ 1.2×: %s |", o.Pages, ms(r.pageN.pct(0.5)), ms(r.page1.pct(0.5)), r3, goal(r3 <= 1.2))
	r4 := r.countOn.rps() / r.countOff.rps()
	p("| 4 | numberMatched on (default) vs off, city bbox | %.1f req/s | %.1f req/s | **%.2f×** | |", r.countOn.rps(), r.countOff.rps(), r4)
	p("| 4 | same, Syria-wide bbox (count stops at the limit), p50 | %s | %s | %.2f× | |", ms(r.wideOn.pct(0.5)), ms(r.wideOff.pct(0.5)), float64(r.wideOn.pct(0.5))/float64(r.wideOff.pct(0.5)))
	for _, e := range r.exports {
		rate := float64(o.Events) / e.seconds
		p("| 5 | export %s of %s events | %.0f features/s, peak RSS %.0f MB | %.1f s, %.0f MB written | | ≥ 100 k/s: %s; < 100 MB: %s |",
			e.format, count(o.Events), rate, e.rssMB, e.seconds, float64(e.bytes)/1e6, goal(rate >= 100_000), goal(e.rssMB < 100))
	}
	r6 := r.gzipOn.rps() / r.gzipOff.rps()
	p("| 6 | gzip on vs off: throughput | %.1f req/s, %.0f KB/page | %.1f req/s, %.0f KB/page | **%.2f×** (bytes %.2f×) | |",
		r.gzipOn.rps(), r.gzipOn.bytesPer()/1e3, r.gzipOff.rps(), r.gzipOff.bytesPer()/1e3, r6, r.gzipOn.bytesPer()/r.gzipOff.bytesPer())
	p("")
	p("Import (`eventmap demo-data --synthetic`, bulk path: COPY, set-based upsert, revisions): %s; %s.", importLine(r.big), importLine(r.small))
	p("")
	p("### gzip levels on one %d-feature page (compress/gzip, as Echo's middleware)", o.Limit)
	p("")
	p("| level | size / plain | MB/s on one core |")
	p("|---|---|---|")
	for _, l := range r.levels {
		p("| %d | %.3f | %.0f |", l.level, l.ratio, l.mbPerSecond)
	}
	p("")
	p("### What was measured")
	p("")
	p("- 1: `GET /collections/events/items?bbox=<city box>&limit=%d` on `eventmap serve` with `EVENTMAP_COUNT_LIMIT=0` (pgbench's statement does not count either; row 4 prices the count). The box is 0.2° a side around one of the synthetic towns picked at random, moved by up to 0.03°, drawn anew for every request, by both eventmap's client and pgbench (`\\set ... random`, extended protocol, so values are bound like lib/pq's). No gzip. The constant-rate phase offers half the lower of the two closed-loop rates, with vegeta against eventmap and `pgbench -R` against PostgreSQL; latencies from vegeta's results and pgbench's per-transaction log.", o.Limit)
	p("- 2: %d sequential requests of 100 features each, in boxes around the busier towns: 0.2° a side at %s rows, %.1f° at %s rows, so both hold about the same number of events.", 200, count(o.Events), 0.2*sideScale(o), count(o.SmallEvents))
	p("- 3: `items?limit=%d` (whole table, newest first), followed through %d `next` links; then the first page and the last one requested 60 times each, one at a time.", o.Limit, o.Pages-1)
	p("- 4: numberMatched is counted in the page's snapshot up to `EVENTMAP_COUNT_LIMIT` (default 100 000) matches and left out above it; with `EVENTMAP_COUNT_LIMIT=0` it is never counted (the cheap mode: one statement per page, numberMatched absent, `next` links still exact).")
	p("- 5: `eventmap export --format F --output FILE`, whole large table, timed as a process; peak RSS from the kernel's rusage.")
	p("- 6: the same closed loop as 1 with `Accept-Encoding: gzip`; KB/page are bytes on the wire.")
	p("")
	p("### EXPLAIN (ANALYZE, BUFFERS) of the items query (%s rows)", count(o.Events))
	p("")
	p("```")
	b.WriteString(r.explain)
	p("```")
	p("")
	p("### pgbench script (row 1)")
	p("")
	p("```")
	b.WriteString(r.pgbenchScript)
	p("```")
	p("")
	p("Run took %s.", time.Since(r.started).Round(time.Second))
	name := filepath.Join(o.OutDir, r.started.UTC().Format("2006-01-02")+"-"+o.Commit+".md")
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return "", err
	}
	return name, os.WriteFile(name, []byte(b.String()), 0o644)
}

func sideScale(o Options) float64 {
	s := 1.0
	for n := o.SmallEvents; n < o.Events; n *= 10 {
		s *= 3.1623
	}
	return s
}

func importLine(l loaded) string {
	if l.importRate == 0 {
		return fmt.Sprintf("%s events reused from an earlier run (`-reload` to time the load)", count(l.events))
	}
	return fmt.Sprintf("%s events in %.1f s = **%.0f events/s** (goal ≥ 50 000/s)", count(l.events), l.importSecs, l.importRate)
}

func count(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%d M", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%d k", n/1000)
	}
	return fmt.Sprint(n)
}

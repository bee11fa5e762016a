package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// report gathers one run's figures and writes them as markdown.
type report struct {
	opts       Options
	started    time.Time
	loadStart  string
	big, small loaded
	sizes      []*sizeRun

	rateLimit          int
	rate               float64
	apiRate, sqlRate   *loadStats
	sizeBig, sizeSmall *loadStats
	deepURL            string
	page1, pageN       *loadStats
	countOn, countOff  *loadStats
	wideOn, wideOff    *loadStats
	gzipOn, gzipOff    *loadStats
	levels             []gzipLevel
	exports            []exportRun
	imports            *importPhase
	problems           []string // phases that could not measure, and why
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func msf(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

func goal(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// Goals of issue 13 and DESIGN.md §7.
const (
	goalItems100    = 0.8
	goalItems1000   = 0.6
	goalSummaryP95  = 100 * time.Millisecond
	goalTileP95     = 200 * time.Millisecond
	goalFirstPaint  = 2000 // ms
	goalPanRequests = 3
	goalRequestMs   = 300
	goalOgrSeconds  = 2.0
)

func itemsGoal(limit int) float64 {
	if limit <= 100 {
		return goalItems100
	}
	return goalItems1000
}

// worst is the map sample of endpoint with the highest p95.
func (s *sizeRun) worst(endpoint string) *mapSample {
	var w *mapSample
	for i := range s.maps {
		m := &s.maps[i]
		if m.endpoint == endpoint && (w == nil || m.st.loadStats().pct(0.95) > w.st.loadStats().pct(0.95)) {
			w = m
		}
	}
	return w
}

// worstOf is the map sample of endpoint and filter with the highest p95.
func (s *sizeRun) worstOf(endpoint, filter string) *mapSample {
	var w *mapSample
	for i := range s.maps {
		m := &s.maps[i]
		if m.endpoint == endpoint && m.filter == filter && (w == nil || p95(m) > p95(w)) {
			w = m
		}
	}
	return w
}

// failuresOf counts the failed requests of endpoint and filter at every zoom.
func (s *sizeRun) failuresOf(endpoint, filter string) int {
	n := 0
	for i := range s.maps {
		if m := &s.maps[i]; m.endpoint == endpoint && m.filter == filter {
			n += m.st.failures()
		}
	}
	return n
}

func (s *sizeRun) find(endpoint, filter string, zoom int) *mapSample {
	for i := range s.maps {
		m := &s.maps[i]
		if m.endpoint == endpoint && m.filter == filter && (zoom < 0 || m.zoom == zoom) {
			return m
		}
	}
	return nil
}

func (s *sizeRun) item(limit int) *itemsRun {
	for i := range s.items {
		if s.items[i].limit == limit {
			return &s.items[i]
		}
	}
	return nil
}

func p95(m *mapSample) time.Duration { return m.st.loadStats().pct(0.95) }
func p50(m *mapSample) time.Duration { return m.st.loadStats().pct(0.5) }

// cell is "p50 / p95" of a map sample, with its failures.
func cell(m *mapSample) string {
	if m == nil {
		return "—"
	}
	s := msf(p50(m)) + " / " + msf(p95(m))
	if p95(m) > goalSummaryP95 && m.endpoint != "tile" && m.endpoint != "collection" {
		s = "**" + s + "**"
	}
	if n := m.st.failures(); n > 0 {
		s += fmt.Sprintf(" (%d of %d failed: %s)", n, len(m.st.lat), statuses(m.st.failed))
	}
	return s
}

func statuses(f map[int]int) string {
	var parts []string
	for code, n := range f {
		parts = append(parts, fmt.Sprintf("%d×%d", n, code))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func (r *report) write() (string, error) {
	o := r.opts
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	large := r.sizes[len(r.sizes)-1]
	var sizeNames []string
	for _, s := range r.sizes {
		sizeNames = append(sizeNames, count(s.db.events))
	}
	p("# eventmap bench, %s, commit %s", r.started.UTC().Format("2006-01-02 15:04 UTC"), o.Commit)
	p("")
	p("Machine: %s. Tables of %s synthetic events (seed %d), each in a database of its own. Load phases of %s per side, %d concurrent clients.%s",
		machine(), strings.Join(sizeNames, ", "), o.Seed, o.Duration, o.Clients,
		map[bool]string{true: " Events CLUSTERed by geohash.", false: ""}[o.Cluster]+map[bool]string{true: " Parallel query off on the bench databases.", false: ""}[o.NoParallel]+map[bool]string{true: " JIT off on the bench databases.", false: ""}[o.NoJIT])
	p("Load average (1, 5, 15 min) from other work on the machine: %s at the start, %s at the end.", r.loadStart, loadAverage())
	p("eventmap runs with default settings (only `EVENTMAP_RATE_LIMIT=0`, since the load comes from one address, no base-map tiles, and the metrics listener on a free port); the \"count off\" side adds `EVENTMAP_COUNT_LIMIT=0`. The SQL sides run through pgbench with `PGOPTIONS='%s'`, what eventmap sets for every page. Every ratio compares two figures of this run; the sides of each load comparison run in %d alternating turns, so they meet the same load from other processes.", pgOptions, alternateRounds)
	p("")

	// The targets, at the largest size.
	p("## Targets at %s events", count(large.db.events))
	p("")
	p("| target | measured | goal | |")
	p("|---|---|---|---|")
	for _, it := range large.items {
		ev, col := it.sides["eventmap"], it.sides["columns"]
		ratio := ev.rps() / col.rps()
		p("| items, densest box (%s events), limit %d, default settings vs column-only SQL | **%.2f×** (%.1f vs %.1f req/s; bytes/s %.2f×)%s | ≥ %.1f× | %s |",
			num(large.scene.denseEvents), it.limit, ratio, ev.rps(), col.rps(), it.bytesPerSecond("eventmap")/it.bytesPerSecond("columns"), ev.failed(), itemsGoal(it.limit), goal(ratio >= itemsGoal(it.limit) && ev.errors == 0))
		mv := it.sides["eventmap-moving"]
		ratio = mv.rps() / col.rps()
		p("| the same, the box moved ≤ 1 %% each request (counted every time) | **%.2f×** (%.1f vs %.1f req/s)%s | ≥ %.1f× | %s |",
			ratio, mv.rps(), col.rps(), mv.failed(), itemsGoal(it.limit), goal(ratio >= itemsGoal(it.limit) && mv.errors == 0))
	}
	for _, ep := range []string{"clusters", "histogram"} {
		for _, f := range mapFilters {
			if w := large.worstOf(ep, f.name); w != nil {
				failed := ""
				if n := w.st.failures(); n > 0 {
					failed = fmt.Sprintf("; %d of %d failed: %s", n, len(w.st.lat), statuses(w.st.failed))
				}
				p("| %s p95, %s, slowest of zooms %d-%d | %s (z%d; p50 %s%s) | ≤ %s | %s |", ep, f.name, minZoom, maxViewZoom,
					ms(p95(w)), w.zoom, ms(p50(w)), failed, ms(goalSummaryP95), goal(p95(w) <= goalSummaryP95 && large.failuresOf(ep, f.name) == 0))
			}
		}
	}
	if w := large.worst("tile"); w != nil {
		p("| crowded tile p95, slowest of zooms %d-%d | %s (tile %s; p50 %s) | ≤ %s | %s |", crowdedZooms[0], crowdedZooms[len(crowdedZooms)-1],
			ms(p95(w)), w.where, ms(p50(w)), ms(goalTileP95), goal(p95(w) <= goalTileP95 && w.st.failures() == 0))
	}
	if br := large.browser; br != nil {
		if br.Failure != "" || br.err != nil {
			p("| map in Chromium | failed: %s | | **not met** |", oneLine(br.Failure, br.err))
		}
		if br.FirstPaintMs > 0 {
			p("| map in Chromium: first paint of events | %d ms | ≤ %d ms | %s |", br.FirstPaintMs, goalFirstPaint, goal(br.FirstPaintMs <= goalFirstPaint))
		}
		if len(br.RequestsPerPan) > 0 {
			p("| map in Chromium: API requests per pan, most | %d (%v) | ≤ %d | %s |", br.MaxPerPan, br.RequestsPerPan, goalPanRequests, goal(br.MaxPerPan <= goalPanRequests))
		}
		slow := ""
		if len(br.Slowest) > 0 {
			slow = fmt.Sprintf(" (`%s`)", br.Slowest[0].URL)
		}
		p("| map in Chromium: slowest of its %d requests (%d to the API: slowest %.0f ms) | %.0f ms%s | ≤ %d ms | %s |", br.Requests, br.APIRequests, br.MaxAPIMs, br.MaxRequestMs, slow, goalRequestMs, goal(br.MaxRequestMs <= goalRequestMs))
	}
	if g := large.ogr; g != nil {
		exact := g.count == large.scene.public
		p("| `ogrinfo -ro -al -so OAPIF:…/collections/events` | %.2f s, Feature Count %s (%s public events)%s | < %.0f s, exact | %s |",
			g.seconds, num(g.count), num(large.scene.public), errText(g.err), goalOgrSeconds, goal(g.err == nil && g.seconds < goalOgrSeconds && exact))
	}
	p("")

	// The cost curve.
	if len(r.sizes) > 1 {
		p("## Cost curve")
		p("")
		head := "| figure |"
		sep := "|---|"
		for _, n := range sizeNames {
			head += " " + n + " |"
			sep += "---|"
		}
		p("%s %s / %s |", head, sizeNames[len(sizeNames)-1], sizeNames[0])
		p("%s---|", sep)
		row := func(name string, f func(s *sizeRun) (string, float64)) {
			line := "| " + name + " |"
			var first, last float64
			for i, s := range r.sizes {
				text, v := f(s)
				line += " " + text + " |"
				if i == 0 {
					first = v
				}
				last = v
			}
			ratio := "—"
			if first > 0 && last > 0 {
				ratio = fmt.Sprintf("%.2f×", last/first)
			}
			p("%s %s |", line, ratio)
		}
		row("events in the densest 0.2° box", func(s *sizeRun) (string, float64) {
			return num(s.scene.denseEvents), float64(s.scene.denseEvents)
		})
		for _, limit := range o.ItemLimits {
			for _, side := range []string{"eventmap", "columns"} {
				row(fmt.Sprintf("items limit %d, %s, req/s", limit, sideName(side)), func(s *sizeRun) (string, float64) {
					it := s.item(limit)
					if it == nil {
						return "—", 0
					}
					return fmt.Sprintf("%.1f", it.sides[side].rps()), it.sides[side].rps()
				})
			}
			row(fmt.Sprintf("items limit %d, eventmap / column-only", limit), func(s *sizeRun) (string, float64) {
				it := s.item(limit)
				if it == nil {
					return "—", 0
				}
				v := it.sides["eventmap"].rps() / it.sides["columns"].rps()
				return fmt.Sprintf("%.2f×", v), v
			})
		}
		for _, ep := range []string{"clusters", "histogram", "tile", "collection"} {
			row(ep+" p95, slowest", func(s *sizeRun) (string, float64) {
				w := s.worst(ep)
				if w == nil {
					return "—", 0
				}
				where := fmt.Sprintf(" (z%d)", w.zoom)
				if ep == "collection" {
					where = ""
				}
				return ms(p95(w)) + where, float64(p95(w))
			})
		}
		row("Chromium first paint", func(s *sizeRun) (string, float64) {
			if s.browser == nil || s.browser.FirstPaintMs == 0 {
				return "—", 0
			}
			return fmt.Sprintf("%d ms", s.browser.FirstPaintMs), float64(s.browser.FirstPaintMs)
		})
		row("Chromium slowest request (API)", func(s *sizeRun) (string, float64) {
			if s.browser == nil {
				return "—", 0
			}
			return fmt.Sprintf("%.0f ms (%.0f ms)", s.browser.MaxRequestMs, s.browser.MaxAPIMs), s.browser.MaxRequestMs
		})
		row("ogrinfo -so", func(s *sizeRun) (string, float64) {
			if s.ogr == nil {
				return "—", 0
			}
			return fmt.Sprintf("%.2f s", s.ogr.seconds), s.ogr.seconds
		})
		p("")
	}

	// Items in detail.
	p("## Items in the densest box")
	p("")
	p("`GET /collections/events/items?bbox=<box>&limit=N`, the same box every request, against the same page as one SQL statement through pgbench (bound parameters, extended protocol). req/s with %d clients in closed loops; bytes are the answer's (HTTP body, or the statement's one text value).", o.Clients)
	p("")
	p("| events | densest box (events in it) | limit | side | req/s | KB/answer | MB/s | req/s vs column-only | bytes/s vs column-only |")
	p("|---|---|---|---|---|---|---|---|---|")
	for _, s := range r.sizes {
		for _, it := range s.items {
			col := it.sides["columns"]
			for _, side := range itemSides {
				st := it.sides[side]
				p("| %s | %s (%s, near %s) | %d | %s | %.1f%s | %.1f | %.2f | %.2f× | %.2f× |", count(s.db.events), s.scene.dense.param(), num(s.scene.denseEvents), s.scene.town, it.limit, sideName(side),
					st.rps(), st.failed(), it.bytesPerPage(side)/1e3, it.bytesPerSecond(side)/1e6, st.rps()/col.rps(), it.bytesPerSecond(side)/it.bytesPerSecond("columns"))
			}
		}
	}
	if r.apiRate != nil && r.sqlRate != nil {
		p("")
		p("At a constant %.0f requests/s (half the slower side's closed-loop rate), limit %d, %s events: eventmap (vegeta) p50 / p99 %s / %s%s; column-only statement (`pgbench -R`) %s / %s; p50 %.2f×.",
			r.rate, r.rateLimit, count(large.db.events), ms(r.apiRate.pct(0.5)), ms(r.apiRate.pct(0.99)), r.apiRate.failed(), ms(r.sqlRate.pct(0.5)), ms(r.sqlRate.pct(0.99)),
			float64(r.apiRate.pct(0.5))/float64(r.sqlRate.pct(0.5)))
	}
	p("")

	// The map in detail, per size.
	p("## Map: clusters, histogram, crowded tiles")
	p("")
	p("One request at a time on an otherwise idle server, up to %d per line (fewer when they took over %s), p50 / p95 in ms; bold: p95 over %s. The view is that of a %d×%d-pixel map: centred on Syria while it holds Syria whole, else on the densest box; each request moves it by up to 5 %% of its size. Filters: %s.",
		o.MapRequests, o.MapBudget, ms(goalSummaryP95), viewWidth, viewHeight, filterList())
	for _, s := range r.sizes {
		p("")
		p("### %s events", count(s.db.events))
		p("")
		head := "| zoom | view | events in view |"
		sep := "|---|---|---|"
		for _, ep := range []string{"clusters", "histogram"} {
			for _, f := range mapFilters {
				head += " " + ep + ": " + f.name + " |"
				sep += "---|"
			}
		}
		p("%s", head)
		p("%s", sep)
		for z := minZoom; z <= maxViewZoom; z++ {
			first := s.find("clusters", mapFilters[0].name, z)
			if first == nil {
				continue
			}
			line := fmt.Sprintf("| %d | %s | %s |", z, first.where, num(first.matched))
			for _, ep := range []string{"clusters", "histogram"} {
				for _, f := range mapFilters {
					line += " " + cell(s.find(ep, f.name, z)) + " |"
				}
			}
			p("%s", line)
		}
		p("")
		p("| crowded tile | events on it | p50 / p95 ms | KB | goal p95 ≤ %s |", ms(goalTileP95))
		p("|---|---|---|---|---|")
		for _, m := range s.maps {
			if m.endpoint != "tile" {
				continue
			}
			kb := 0.0
			if len(m.st.lat) > 0 {
				kb = float64(m.st.bytes) / float64(len(m.st.lat)) / 1e3
			}
			p("| z%d: `…/tiles/WebMercatorQuad/%s` | ~%s | %s | %.0f | %s |", m.zoom, m.where, num(m.matched), cell(&m), kb, goal(p95(&m) <= goalTileP95 && m.st.failures() == 0))
		}
		if c := s.find("collection", "no filter", -1); c != nil {
			p("")
			p("`GET /collections/events` (the map's time slider and GIS clients read its extent): p50 / p95 %s ms.", cell(c))
		}
	}
	p("")

	// Chromium.
	p("## The map in Chromium")
	p("")
	p("`e2e/map_bench.mjs`: headless Chromium, a 1400×900 window, `/map/` from a cold start (Syria at zoom 7), six drags, then the densest town at zoom 12; every request's time from Resource Timing. Screenshots in `%s/`.", o.ArtifactDir)
	p("")
	p("| events | first paint | events in view | drawn as | requests per pan | ms per pan | slowest requests | town at z12 | problems |")
	p("|---|---|---|---|---|---|---|---|---|")
	for _, s := range r.sizes {
		br := s.browser
		if br == nil {
			continue
		}
		var slow []string
		for _, q := range br.Slowest[:min(3, len(br.Slowest))] {
			slow = append(slow, fmt.Sprintf("%.0f ms `%s`", q.Ms, q.URL))
		}
		probs := strings.Join(br.Problems, "; ")
		if br.Failure != "" || br.err != nil {
			probs = "FAILED: " + oneLine(br.Failure, br.err) + "; " + probs
		}
		p("| %s | %d ms | %s | %s, %d clusters | %v | %v | %s | %s events (%s, %d markers) | %s |", count(s.db.events), br.FirstPaintMs, num(br.InView), br.Mode, br.Clusters,
			br.RequestsPerPan, br.MsPerPan, strings.Join(slow, "<br>"), num(br.Town.Count), br.Town.Mode, br.Town.Drawn, probs)
	}
	p("")

	// ogrinfo.
	p("## GDAL")
	p("")
	p("| events | `ogrinfo -ro -al -so OAPIF:…/collections/events` | Feature Count | public events |")
	p("|---|---|---|---|")
	for _, s := range r.sizes {
		if g := s.ogr; g != nil {
			p("| %s | %.2f s%s | %s | %s |", count(s.db.events), g.seconds, errText(g.err), num(g.count), num(s.scene.public))
		}
	}
	p("")

	// The rows kept from the first bench.
	p("## Table size, deep pages, counting, export, gzip (%s events)", count(o.Events))
	p("")
	p("| # | measure | eventmap | baseline | ratio | goal |")
	p("|---|---|---|---|---|---|")
	if r.sizeBig != nil && r.sizeSmall != nil {
		r2 := float64(r.sizeBig.pct(0.5)) / float64(r.sizeSmall.pct(0.5))
		p("| 2 | 100-feature bbox page, p50 (p99) | %s rows: %s (%s)%s | %s rows: %s (%s)%s | **%.2f×** | ≤ 1.5×: %s |",
			count(o.Events), ms(r.sizeBig.pct(0.5)), ms(r.sizeBig.pct(0.99)), r.sizeBig.failed(), count(r.small.events), ms(r.sizeSmall.pct(0.5)), ms(r.sizeSmall.pct(0.99)), r.sizeSmall.failed(), r2, goal(r2 <= 1.5 && r.sizeBig.errors == 0))
	}
	if r.page1 != nil && r.pageN != nil {
		r3 := float64(r.pageN.pct(0.5)) / float64(r.page1.pct(0.5))
		p("| 3 | page %d vs page 1 via next links, p50 | %s%s | %s%s | **%.2f×** | ≤ 1.2×: %s |", o.Pages, ms(r.pageN.pct(0.5)), r.pageN.failed(), ms(r.page1.pct(0.5)), r.page1.failed(), r3, goal(r3 <= 1.2 && r.pageN.errors == 0))
	}
	if r.countOn != nil {
		r4 := r.countOn.rps() / r.countOff.rps()
		p("| 4 | numberMatched on (default) vs off, random city boxes, limit %d | %.1f req/s%s | %.1f req/s%s | **%.2f×** | |", o.Limit, r.countOn.rps(), r.countOn.failed(), r.countOff.rps(), r.countOff.failed(), r4)
	}
	if r.wideOn != nil && r.wideOff != nil {
		p("| 4 | same, Syria-wide bbox, limit 100, p50 | %s%s | %s%s | %.2f× | |", ms(r.wideOn.pct(0.5)), r.wideOn.failed(), ms(r.wideOff.pct(0.5)), r.wideOff.failed(), float64(r.wideOn.pct(0.5))/float64(r.wideOff.pct(0.5)))
	}
	for _, e := range r.exports {
		rate := float64(o.Events) / e.seconds
		baseline, ratio := "COPY: not run", ""
		if e.copySeconds > 0 {
			baseline = fmt.Sprintf("COPY of the same Features: %.1f s (%.0f features/s)", e.copySeconds, float64(o.Events)/e.copySeconds)
			ratio = fmt.Sprintf("**%.2f×** COPY's time", e.seconds/e.copySeconds)
		}
		p("| 5 | export %s of %s events (load %s) | %.0f features/s, peak RSS %.0f MB, %.1f s, %.0f MB written | %s | %s | ≥ 100 k/s: %s; < 100 MB: %s |",
			e.format, count(o.Events), e.load, rate, e.rssMB, e.seconds, float64(e.bytes)/1e6, baseline, ratio, goal(rate >= 100_000), goal(e.rssMB < 100))
	}
	if r.gzipOn != nil {
		r6 := r.gzipOn.rps() / r.gzipOff.rps()
		p("| 6 | gzip on vs off: throughput, random city boxes, limit %d, count off | %.1f req/s, %.0f KB/page%s | %.1f req/s, %.0f KB/page%s | **%.2f×** (bytes %.2f×) | |",
			o.Limit, r.gzipOn.rps(), r.gzipOn.bytesPer()/1e3, r.gzipOn.failed(), r.gzipOff.rps(), r.gzipOff.bytesPer()/1e3, r.gzipOff.failed(), r6, r.gzipOn.bytesPer()/r.gzipOff.bytesPer())
	}
	p("")
	if ip := r.imports; ip != nil && len(ip.runs) > 0 {
		r.writeImports(p)
	}
	if len(r.problems) > 0 {
		p("Phases that could not measure:")
		p("")
		for _, pr := range r.problems {
			p("- %s", pr)
		}
		p("")
	}
	var imports []string
	for _, s := range r.sizes {
		imports = append(imports, importLine(s.db))
	}
	p("Import (`eventmap demo-data --synthetic`, bulk path): %s.", strings.Join(imports, "; "))
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
	p("- Items: the densest 0.2° box is found from the data (public events counted per 0.01° cell at `ST_PointOnSurface`, the 20×20-cell window with the most); its events are those `ST_Intersects` selects. Sides: eventmap with default settings (numberMatched counted up to `EVENTMAP_COUNT_LIMIT`, default 100 000); eventmap with `EVENTMAP_COUNT_LIMIT=0`; `store.ColumnItemsSQL` (the table's columns, `ST_AsGeoJSON` of each row, `json_agg`); `store.BaselineItemsSQL` (eventmap's Feature built per row, actors and sources by correlated subqueries). Scripts below.")
	p("- Map: %s; `clusters?bbox=<view>&zoom=Z&<filters>`, `histogram?bbox=<view>&interval=month&<filters>` (the map sends the view's bbox to both), `tiles/WebMercatorQuad/Z/Y/X` for the tile over the densest box with the most events (counted per 0.01° cell) at each zoom %d-%d.", filterList(), crowdedZooms[0], crowdedZooms[len(crowdedZooms)-1])
	p("- 2: 200 sequential requests of 100 features each, in boxes around the busier towns: 0.2° a side at %s rows, %.1f° at %s rows, so both hold about the same number of events.", count(o.Events), 0.2*sideScale(o), count(r.small.events))
	p("- 3: `items?limit=%d` (whole table, newest first), followed through %d `next` links; then the first page and the last one requested 60 times each, one at a time.", o.Limit, o.Pages-1)
	p("- 4: random 0.2° boxes around the synthetic towns (moved by up to 0.03°, new each request), default settings against `EVENTMAP_COUNT_LIMIT=0`; then the Syria-wide box one request at a time.")
	p("- 5: `eventmap export --format F --output FILE`, whole large table, timed as a process; peak RSS from the kernel's rusage. Baseline: `psql \\copy (SELECT feature FROM events WHERE <public> ORDER BY occurred_at DESC, id DESC) TO '/dev/null'` just before, the same rows with nothing between PostgreSQL and the disk; the ratio is the export's time over COPY's.")
	p("- 6: the closed loop of 4 (count off) with `Accept-Encoding: gzip`; KB/page are bytes on the wire.")
	if ip := r.imports; ip != nil && len(ip.runs) > 0 {
		p("- Import: `eventmap export --format ndjson` of the %s-event database (its public events, as served) is imported with `eventmap import --report - --timings FILE` into `%s`, created empty and migrated, while `eventmap serve` serves it (a live import: the API keeps serving), timed as a process; then a copy of the file with `properties.fatalities` raised by one on every %dth line is imported the same way, and the report must say created = Features, then updated = changed lines, created = 0. Baseline: `psql \\copy import_copy_baseline (doc) FROM FILE WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')` of the same file into a one-column table without indexes just before each import (bytes JSON never holds raw, so every line arrives whole); the ratio is the import's time over COPY's. Reader: one client in a closed loop on `items?bbox=<densest box of the source>&limit=%d` during the import, then for as long again on the imported data; each file is one transaction, so during the first import it reads an empty table and the ratio shows only what the import's work costs it.",
			count(ip.source.events), importDB, changeEvery, readerLimit)
	}
	p("")
	p("### EXPLAIN (ANALYZE, BUFFERS), %s events, densest box", count(large.db.events))
	for _, e := range large.explains {
		p("")
		p("%s:", e.what)
		p("")
		p("```")
		b.WriteString(e.plan)
		p("```")
	}
	p("")
	if len(large.items) > 0 {
		p("### pgbench scripts (%s events, limit %d)", count(large.db.events), large.items[0].limit)
		for _, side := range []string{"columns", "baseline"} {
			p("")
			p("%s:", sideName(side))
			p("")
			p("```")
			b.WriteString(large.items[0].scripts[side])
			p("```")
		}
	}
	p("")
	p("Run took %s.", time.Since(r.started).Round(time.Second))
	name := filepath.Join(o.OutDir, r.started.UTC().Format("2006-01-02")+"-"+o.Commit+".md")
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return "", err
	}
	return name, os.WriteFile(name, []byte(b.String()), 0o644)
}

func sideName(side string) string {
	return map[string]string{
		"eventmap":         "eventmap, default settings",
		"eventmap-moving":  "eventmap, default settings, box moved ≤ 1 % each request",
		"eventmap-nocount": "eventmap, count off",
		"columns":          "column-only SQL",
		"baseline":         "BaselineItemsSQL",
	}[side]
}

func filterList() string {
	var parts []string
	for _, f := range mapFilters[1:] {
		parts = append(parts, fmt.Sprintf("%s = `%s`", f.name, f.params.Encode()))
	}
	return strings.Join(parts, "; ")
}

func oneLine(failure string, err error) string {
	s := failure
	if s == "" && err != nil {
		s = err.Error()
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return ", " + oneLine("", err)
}

// num writes n with thin spaces between thousands: 78 103.
func num(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ' ')
		}
		out = append(out, s[i])
	}
	return string(out)
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

// loadAverage is the machine's load average, from /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

// writeImports writes the import phase's table, beside the export rows.
func (r *report) writeImports(p func(string, ...any)) {
	ip := r.imports
	p("## Import into a served database (%s events, NDJSON)", count(ip.source.events))
	p("")
	p("The NDJSON export of %s (%s Features, %.1f MB) imported into a new database served meanwhile, then again with every %dth Feature changed; each against `psql \\copy` of the same file into an unindexed one-column table. Reads: one client in a closed loop on `items?bbox=%s&limit=%d` (the densest box, near %s: %s public events once imported), during the import and then as long again after it; ms.",
		ip.source.name, num(int64(ip.features)), float64(ip.fileBytes)/1e6, changeEvery, ip.dense.param(), readerLimit, ip.town, num(ip.denseEvents))
	p("")
	p("| import | Features | seconds | Features/s | COPY seconds | import / COPY | report | reads during: p50 / p99 / max (requests, non-200) | reads after | p50, p99 during / after | load at the end |")
	p("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, run := range ip.runs {
		what := "new, into the empty database"
		if run.what == "re-import" {
			what = fmt.Sprintf("re-import, %s changed (%.0f %%)", num(int64(run.changed)), 100*float64(run.changed)/float64(ip.features))
		}
		copySecs, ratio := "not run", "—"
		if run.copySeconds > 0 {
			copySecs = fmt.Sprintf("%.2f", run.copySeconds)
			ratio = fmt.Sprintf("**%.1f×**", run.seconds/run.copySeconds)
		}
		rep := run.rep
		reads := func(st *loadStats) string {
			if st == nil || len(st.lat) == 0 {
				return "none"
			}
			return fmt.Sprintf("%s / %s / %s (%s, %d)", msf(st.pct(0.5)), msf(st.pct(0.99)), msf(st.pct(1)), num(st.requests+st.errors), st.errors)
		}
		cost := "—"
		if d, a := run.during, run.after; d != nil && a != nil && len(d.lat) > 0 && len(a.lat) > 0 {
			cost = fmt.Sprintf("%.2f×, %.2f×", float64(d.pct(0.5))/float64(a.pct(0.5)), float64(d.pct(0.99))/float64(a.pct(0.99)))
		}
		p("| %s | %s | %.2f | %s | %s | %s | created %s, updated %s, unchanged %s, rejected %s | %s | %s | %s | %s |",
			what, num(int64(ip.features)), run.seconds, num(int64(float64(ip.features)/run.seconds)), copySecs, ratio,
			num(int64(rep.Created)), num(int64(rep.Updated)), num(int64(rep.Unchanged)), num(int64(rep.Rejected)),
			reads(run.during), reads(run.after), cost, run.load)
	}
	p("")
	for _, run := range ip.runs {
		if len(run.steps) == 0 {
			continue
		}
		var parts []string
		for _, s := range run.steps {
			parts = append(parts, fmt.Sprintf("%s %.2f", s.name, s.seconds))
		}
		what := "the new import"
		if run.what == "re-import" {
			what = "the re-import"
		}
		p("Steps of %s (`--timings`, s): %s.", what, strings.Join(parts, ", "))
		p("")
	}
}

package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"eventmap/internal/testdb"
)

// scrapeMetrics reads a running server's /metrics (EVENTMAP_METRICS_ADDR)
// with the Prometheus text parser.
func scrapeMetrics(t *testing.T, s *server) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(s.MetricsURL)
	if err != nil {
		t.Fatalf("scrape %s: %v", s.MetricsURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scrape %s: %d", s.MetricsURL, resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape %s: %v", s.MetricsURL, err)
	}
	return fams
}

// metricSum adds up the series of name whose labels include labels
// ("k=v"): counters and gauges by value, histograms by count.
func metricSum(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	var sum float64
	f := fams[name]
	if f == nil {
		return -1
	}
series:
	for _, m := range f.Metric {
		for _, kv := range labels {
			k, v, _ := strings.Cut(kv, "=")
			if !slices.ContainsFunc(m.Label, func(l *dto.LabelPair) bool { return l.GetName() == k && l.GetValue() == v }) {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

// timedGet is one GET and how long it took; status 0 when it failed.
func timedGet(client *http.Client, url string) (int, http.Header, time.Duration) {
	start := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		return 0, nil, time.Since(start)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header, time.Since(start)
}

// Expensive requests in a flood are shed at once, and cheap ones go on:
// 60 000 events, 24 clients asking without pause for clusters of the
// whole of Syria (each reads every event) and text searches, against a
// server with a pool of 8 and room for 2 expensive requests. Meanwhile
// an event is read by id and /readyz asked every 50 ms: every read is
// answered, 95 % of them within a second, none waits anywhere near the
// statement timeout (a starved read waited for it: 10 s), and readiness
// never drops. The flood's surplus is 503 with Retry-After, and the
// metrics say so. A summary the server refuses as too big to read event
// by event within its budget is a 400 naming q: on a loaded machine some
// are.
func TestExpensiveFloodKeepsCheapReadsAndReadiness(t *testing.T) {
	t.Parallel()
	dbURL := testdb.New(t)
	eventmap(t, dbURL, "demo-data")
	const n = 60_000
	generateEvents(t, dbURL, n)
	// The flood reads only counts of the generated events, never their
	// documents: a stand-in document each spares the minutes that serve
	// would spend building the real ones before it is ready. (The event
	// read by id is the sample's, with its real document.)
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE events SET feature = json_build_object('type', 'Feature', 'id', id,
		'geometry', ST_AsGeoJSON(geom)::json, 'properties', json_build_object('title', title))::text WHERE feature IS NULL`); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, dbURL, "EVENTMAP_RATE_LIMIT=0", "EVENTMAP_DB_MAX_CONNS=8", "EVENTMAP_EXPENSIVE_REQUESTS=2",
		"EVENTMAP_STATEMENT_TIMEOUT=30s")
	s.waitReady(t)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 60 * time.Second}
	// Requests that read events: text search, and clusters and a
	// histogram under a filter the map aggregates cannot answer (q).
	expensive := []string{
		"/collections/events/clusters?bbox=35.5,32.3,42.4,37.4&zoom=7&q=Damascus",
		"/collections/events/items?q=Damascus&limit=10",
		"/collections/events/histogram?bbox=35.5,32.3,42.4,37.4&interval=week&q=Damascus",
	}
	// How long one expensive request takes alone, for the log.
	_, _, alone := timedGet(client, s.URL+expensive[0])

	const floodFor = 10 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), floodFor)
	defer cancel()
	var served, shed, refused, other atomic.Int64
	var badRetry atomic.Value
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil && n < 10_000; n++ {
				status, h, _ := timedGet(client, s.URL+expensive[(i+n)%len(expensive)])
				switch {
				case status == 200:
					served.Add(1)
				case status == 400 && h.Get("Content-Type") == "application/problem+json":
					refused.Add(1)
				case status == 503:
					shed.Add(1)
					if h.Get("Retry-After") == "" || h.Get("Content-Type") != "application/problem+json" {
						badRetry.Store(fmt.Sprint(h))
					}
					time.Sleep(20 * time.Millisecond) // a client that backs off a little
				default:
					other.Add(1)
				}
			}
		}()
	}
	const item = "/collections/events/items/6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01"
	var itemTimes, readyTimes []time.Duration
	var failures []string
	for ctx.Err() == nil {
		status, _, d := timedGet(client, s.URL+item)
		itemTimes = append(itemTimes, d)
		if status != 200 {
			failures = append(failures, fmt.Sprintf("item: %d after %v", status, d))
		}
		status, _, d = timedGet(client, s.URL+"/readyz")
		readyTimes = append(readyTimes, d)
		if status != 200 {
			failures = append(failures, fmt.Sprintf("readyz: %d after %v", status, d))
		}
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	slices.Sort(itemTimes)
	slices.Sort(readyTimes)
	pct := func(d []time.Duration, p float64) time.Duration {
		return d[int(float64(len(d)-1)*p)].Round(time.Millisecond)
	}
	t.Logf("one clusters request alone: %v; flood of %v: %d expensive served, %d shed (503), %d refused as too big within the budget (400), %d other; item by id p50 %v p95 %v max %v over %d reads; readyz p50 %v max %v",
		alone.Round(time.Millisecond), floodFor, served.Load(), shed.Load(), refused.Load(), other.Load(),
		pct(itemTimes, .5), pct(itemTimes, .95), pct(itemTimes, 1), len(itemTimes), pct(readyTimes, .5), pct(readyTimes, 1))
	for _, f := range failures {
		t.Error(f)
	}
	if p95 := pct(itemTimes, .95); p95 > time.Second {
		t.Errorf("event reads took %v at p95 during the flood, want under 1 s", p95)
	}
	if max := itemTimes[len(itemTimes)-1]; max > 3*time.Second {
		t.Errorf("an event read took %v during the flood, want under 3 s (a starved read waits for the statement timeout)", max)
	}
	if shed.Load() == 0 || served.Load() == 0 || other.Load() != 0 {
		t.Errorf("the flood: %d served, %d shed, %d other; want some of each of the first two and nothing else", served.Load(), shed.Load(), other.Load())
	}
	if v := badRetry.Load(); v != nil {
		t.Errorf("a shed request without Retry-After or problem+json: %v", v)
	}
	m := scrapeMetrics(t, s)
	if got := metricSum(m, "eventmap_shed_requests_total"); got != float64(shed.Load()) {
		t.Errorf("eventmap_shed_requests_total = %v, want the %d shed", got, shed.Load())
	}
	if got := metricSum(m, "eventmap_http_unavailable_total", "reason=overload"); got != float64(shed.Load()) {
		t.Errorf("eventmap_http_unavailable_total{reason=overload} = %v, want %d", got, shed.Load())
	}
	if got := metricSum(m, "eventmap_http_unavailable_total", "reason=database"); got > 0 {
		t.Errorf("eventmap_http_unavailable_total{reason=database} = %v during a flood with the database up", got)
	}
	var body strings.Builder
	for _, name := range []string{"eventmap_shed_requests_total", "eventmap_expensive_requests_limit", "eventmap_db_connections_max", "eventmap_db_wait_total"} {
		if f := m[name]; f != nil {
			for _, mm := range f.Metric {
				b, _ := json.Marshal(mm)
				fmt.Fprintf(&body, "%s %s\n", name, b)
			}
		}
	}
	t.Logf("metrics after the flood:\n%s", body.String())
}

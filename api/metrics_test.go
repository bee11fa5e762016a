package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"eventmap/api"
	"eventmap/auth"
	"eventmap/config"
	"eventmap/demo"
	"eventmap/internal/testdb"
)

// scrape reads srv's /metrics with the Prometheus text parser.
func scrape(t *testing.T, srv *api.Server) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	return fams
}

// value is the value of the series of fams[name] whose labels include
// labels ("k=v" pairs): a counter's or gauge's value, or a histogram's
// count. -1 when there is no such series.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
series:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for _, kv := range labels {
			k, v, _ := strings.Cut(kv, "=")
			if have[k] != v {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			return m.Untyped.GetValue()
		}
	}
	return -1
}

// send makes one request; headers come in name, value pairs.
func send(t *testing.T, method, rawURL, token string, body io.Reader, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// After real requests, /metrics (scraped with the Prometheus parser)
// counts them by route template, method and status, times them, counts
// the features served, the revisions written (not the replayed answer of
// an Idempotency-Key), an import's rows, a shed request, a timeout and a
// rate-limited request, and shows the connection pool; the request log
// carries the route template and the request id of the problem body.
func TestMetricsCountRealRequests(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t)
	ctx := context.Background()
	if _, err := demo.Load(ctx, db); err != nil {
		t.Fatal(err)
	}
	tok, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateToken(ctx, tok, auth.Editor, "metrics", nil); err != nil {
		t.Fatal(err)
	}
	editor := tok.Plain
	logs := &syncBuffer{}
	ts, srv := startLoggedServer(t, db, logs, func(c *config.Config) { c.ExpensiveRequests = 1 })
	before := scrape(t, srv)
	if v := value(before, "eventmap_http_requests_total"); v != -1 {
		t.Errorf("a fresh server has counted requests: %v", v)
	}

	for range 3 {
		getItems(t, ts.URL+"/collections/events/items")
	}
	if r := get(t, ts.URL+"/collections/events/items/00000000-0000-0000-0000-000000000000"); r.status != 404 {
		t.Fatalf("unknown event: %d", r.status)
	}
	missing := get(t, ts.URL+"/no/such/page?x=1")
	feature := `{"type":"Feature","geometry":{"type":"Point","coordinates":[36.6,33.6]},"properties":{"type":"raid",` +
		`"title":"Metrics test","occurred_at":"2025-10-19T00:00:00Z","time_precision":"day","geo_precision":"town","country":"SYR"}}`
	for _, key := range []string{"", "k1", "k1"} {
		headers := []string{"Content-Type", "application/geo+json"}
		if key != "" {
			headers = append(headers, "Idempotency-Key", key)
		}
		r := send(t, "POST", ts.URL+"/collections/events/items", editor, strings.NewReader(feature), headers...)
		if r.status != 201 {
			t.Fatalf("POST (key %q): %d %s", key, r.status, r.body)
		}
	}
	file := `{"type":"FeatureCollection","features":[` + feature + `,` + strings.Replace(feature, "Metrics test", "Metrics test 2", 1) + `]}`
	if r := send(t, "POST", ts.URL+"/collections/events/import?filename=m.geojson", editor, strings.NewReader(file),
		"Content-Type", "application/geo+json"); r.status != 200 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}

	// One expensive request held open (an import whose body is still
	// coming) takes the only slot: a text search is shed at once.
	pr, pw := io.Pipe()
	held := make(chan response, 1)
	go func() {
		held <- send(t, "POST", ts.URL+"/collections/events/import?filename=slow.geojson", editor, pr, "Content-Type", "application/geo+json")
	}()
	if _, err := io.WriteString(pw, `{"type":"FeatureCollection","features":[`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for value(scrape(t, srv), "eventmap_expensive_requests_in_flight") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the held import never took its slot")
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	shed := get(t, ts.URL+"/collections/events/items?q=Dumayr")
	var p struct{ Type, Detail string }
	_ = json.Unmarshal(shed.body, &p)
	if shed.status != 503 || shed.header.Get("Retry-After") == "" || p.Type != "/problems/unavailable" ||
		!strings.Contains(p.Detail, "EVENTMAP_EXPENSIVE_REQUESTS") || time.Since(start) > time.Second {
		t.Errorf("a text search while the slot is taken: %d (Retry-After %q) after %v: %s", shed.status, shed.header.Get("Retry-After"), time.Since(start), shed.body)
	}
	if r := get(t, ts.URL+"/collections/events/items?limit=1"); r.status != 200 {
		t.Errorf("a cheap page while the slot is taken: %d", r.status)
	}
	io.WriteString(pw, feature+`]}`)
	pw.Close()
	if r := <-held; r.status != 200 {
		t.Fatalf("the held import: %d %s", r.status, r.body)
	}

	m := scrape(t, srv)
	items := []string{"route=/collections/:collectionId/items", "method=GET"}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"eventmap_http_requests_total", append(items, "code=200"), 4},
		{"eventmap_http_requests_total", append(items, "code=503"), 1},
		{"eventmap_http_request_duration_seconds", items, 5},
		{"eventmap_http_response_size_bytes", items, 5},
		{"eventmap_http_requests_total", []string{"route=/collections/:collectionId/items/:id", "code=404"}, 1},
		{"eventmap_http_requests_total", []string{"route=unmatched", "code=404"}, 1},
		{"eventmap_http_requests_total", []string{"route=/collections/events/items", "method=POST", "code=201"}, 3},
		{"eventmap_http_requests_total", []string{"route=/collections/events/import", "method=POST", "code=200"}, 2},
		{"eventmap_http_requests_in_flight", nil, 0},
		{"eventmap_export_features_total", []string{"format=geojson"}, 3*7 + 1},
		// Two POSTs (the third replays the second) and three imported events.
		{"eventmap_revisions_written_total", nil, 2 + 3},
		{"eventmap_import_rows_total", []string{"outcome=read"}, 3},
		{"eventmap_import_rows_total", []string{"outcome=created"}, 3},
		{"eventmap_imports_total", []string{"result=committed"}, 2},
		{"eventmap_shed_requests_total", []string{"kind=text"}, 1},
		{"eventmap_http_unavailable_total", []string{"reason=overload"}, 1},
		{"eventmap_expensive_requests_in_flight", nil, 0},
		{"eventmap_expensive_requests_limit", nil, 1},
		{"eventmap_db_connections_max", []string{"pool=primary"}, 10},
	} {
		if got := value(m, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, name := range []string{"eventmap_db_connections_open", "eventmap_db_wait_total", "eventmap_db_numbermatched_counts_total", "go_goroutines", "process_resident_memory_bytes"} {
		if value(m, name) < 0 {
			t.Errorf("no %s", name)
		}
	}
	// Three identical pages are counted once (the count is kept for the
	// version of the data), and the page after the writes once more.
	if got := value(m, "eventmap_db_numbermatched_counts_total", "pool=primary"); got != 2 {
		t.Errorf("numberMatched counts: %v, want 2: the three identical pages once, the page after the writes once", got)
	}
	if _, ok := m["eventmap_db_replica_lag_seconds"]; ok {
		t.Error("replica lag is reported without a read replica")
	}
	var miss struct {
		RequestID string `json:"request_id"`
	}
	_ = json.Unmarshal(missing.body, &miss)
	if line := fmt.Sprintf("request_id=%s method=GET route=unmatched uri=\"/no/such/page?x=1\" status=404", miss.RequestID); miss.RequestID == "" || !strings.Contains(logs.String(), line) {
		t.Errorf("the request log lacks %q:\n%s", line, logs.String())
	}

	// A request that times out and one over the rate limit.
	_, limited := startLoggedServer(t, db, io.Discard, func(c *config.Config) {
		c.RequestTimeout, c.RateLimit, c.RateBurst = time.Nanosecond, 0.001, 1
	})
	lts := httptest.NewServer(limited)
	defer lts.Close()
	if r := get(t, lts.URL+"/collections/events/items"); r.status != 503 {
		t.Errorf("items with a 1 ns request timeout: %d %s", r.status, r.body)
	}
	if r := get(t, lts.URL+"/collections/events/items"); r.status != 429 {
		t.Errorf("a second request at 0.001/s: %d", r.status)
	}
	m = scrape(t, limited)
	for _, c := range []struct {
		name   string
		labels []string
	}{
		{"eventmap_query_timeouts_total", []string{"route=/collections/:collectionId/items"}},
		{"eventmap_http_unavailable_total", []string{"reason=timeout"}},
		{"eventmap_http_rate_limited_total", nil},
	} {
		if got := value(m, c.name, c.labels...); got != 1 {
			t.Errorf("%s%v = %v, want 1", c.name, c.labels, got)
		}
	}
}

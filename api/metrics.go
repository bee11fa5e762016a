package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"eventmap"
	"eventmap/exchange"
	"eventmap/store"
)

// Prometheus metrics, kept in a registry of each Server (no package
// globals: tests run several servers in one process). They are served by
// MetricsHandler, which `eventmap serve` puts on EVENTMAP_METRICS_ADDR,
// apart from the API. docs/operations.md lists them with example queries.
//
// Requests are labelled by route template (/collections/events/items/:id),
// never by raw path, so a crawler cannot blow up the series count; paths
// that match no route share the label "unmatched".
type metrics struct {
	reg *prometheus.Registry

	requests    *prometheus.CounterVec   // route, method, code
	duration    *prometheus.HistogramVec // route, method
	size        *prometheus.HistogramVec // route, method
	inFlight    prometheus.Gauge
	unavailable *prometheus.CounterVec // reason
	timeouts    *prometheus.CounterVec // route
	rateLimited prometheus.Counter
	shed        *prometheus.CounterVec // kind
	expensive   prometheus.Gauge
	importRows  *prometheus.CounterVec // outcome
	imports     *prometheus.CounterVec // result
	exported    *prometheus.CounterVec // format
	revisions   prometheus.Counter
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventmap_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "eventmap_http_request_duration_seconds",
			Help:    "Time from a request's arrival to the end of its answer, by route template and method.",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
		size: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "eventmap_http_response_size_bytes",
			Help:    "Size of answers' bodies before compression, by route template and method.",
			Buckets: prometheus.ExponentialBuckets(256, 4, 9), // 256 B to 16 MiB
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "eventmap_http_requests_in_flight",
			Help: "Requests being answered now.",
		}),
		unavailable: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventmap_http_unavailable_total",
			Help: "503 answers, by reason: overload (load shedding), database (unreachable), timeout (statement_timeout or request timeout).",
		}, []string{"reason"}),
		timeouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventmap_query_timeouts_total",
			Help: "Requests whose query ran past statement_timeout or the request timeout, by route template.",
		}, []string{"route"}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventmap_http_rate_limited_total",
			Help: "Requests refused with 429 by the per-client rate limit.",
		}),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventmap_shed_requests_total",
			Help: "Expensive requests answered 503 at once because EVENTMAP_EXPENSIVE_REQUESTS were already running, by kind.",
		}, []string{"kind"}),
		expensive: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "eventmap_expensive_requests_in_flight",
			Help: "Expensive requests running now (at most eventmap_expensive_requests_limit).",
		}),
		importRows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventmap_import_rows_total",
			Help: "Rows of imported files: read (as the import goes), then created, updated, unchanged, skipped_deleted or rejected once it is committed.",
		}, []string{"outcome"}),
		imports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventmap_imports_total",
			Help: "Imports through the API, by result: committed, dry_run, refused (rejected rows or a broken file) or failed.",
		}, []string{"result"}),
		exported: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventmap_export_features_total",
			Help: "Features written in items answers and whole-collection downloads, by format (geojson, csv, ndjson).",
		}, []string{"format"}),
		revisions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventmap_revisions_written_total",
			Help: "Revisions appended by accepted writes and imports (replayed idempotent answers are not counted).",
		}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.size, m.inFlight, m.unavailable, m.timeouts, m.rateLimited,
		m.shed, m.expensive, m.importRows, m.imports, m.exported, m.revisions,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "eventmap_expensive_requests_limit",
			Help: "EVENTMAP_EXPENSIVE_REQUESTS: expensive requests one process runs at once.",
		}, func() float64 { return float64(s.cfg.ExpensiveRequests) }),
		&dbCollector{s: s},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// MetricsHandler serves the Prometheus text format of this server's
// metrics. Errors in collecting (the replica lag query) are left out of
// the answer, not turned into a failed scrape.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// routeLabel is the route template of the request, or "unmatched".
func (s *Server) routeLabel(c echo.Context) string {
	if p := c.Path(); s.routePaths[p] {
		return p
	}
	return "unmatched"
}

// observe records one answered request: called by the request logger,
// after the error handler has written any problem.
func (m *metrics) observe(route, method string, status int, latency time.Duration, size int64, replayed bool) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(latency.Seconds())
	m.size.WithLabelValues(route, method).Observe(float64(size))
	if status >= 200 && status < 300 && !replayed && writeRoutes[method+" "+route] {
		m.revisions.Inc()
	}
}

// writeRoutes append one revision each when they succeed.
var writeRoutes = map[string]bool{
	http.MethodPost + " /collections/events/items":       true,
	http.MethodPut + " /collections/events/items/:id":    true,
	http.MethodPatch + " /collections/events/items/:id":  true,
	http.MethodDelete + " /collections/events/items/:id": true,
}

// problem records what a problem answer says about the service's health:
// 503s by reason, timeouts, rate-limited requests.
func (m *metrics) problem(c echo.Context, route string, status int, err error) {
	switch {
	case status == http.StatusTooManyRequests:
		m.rateLimited.Inc()
	case eventmap.ErrorCode(err) == eventmap.ETIMEOUT:
		m.unavailable.WithLabelValues("timeout").Inc()
		m.timeouts.WithLabelValues(route).Inc()
	case status == http.StatusServiceUnavailable && isShed(err):
		m.unavailable.WithLabelValues("overload").Inc()
	case status == http.StatusServiceUnavailable:
		m.unavailable.WithLabelValues("database").Inc()
	}
}

// imported records an import's report: rows and the outcome.
func (m *metrics) imported(rep *exchange.Report, err error) {
	switch {
	case rep != nil && rep.Committed:
		m.imports.WithLabelValues("committed").Inc()
		for outcome, n := range map[string]int{"created": rep.Created, "updated": rep.Updated, "unchanged": rep.Unchanged,
			"skipped_deleted": rep.SkippedDeleted, "rejected": rep.Rejected} {
			m.importRows.WithLabelValues(outcome).Add(float64(n))
		}
		m.revisions.Add(float64(rep.Created + rep.Updated))
	case err == nil:
		m.imports.WithLabelValues("dry_run").Inc()
	case eventmap.ErrorCode(err) == eventmap.EUNPROCESSABLE || eventmap.ErrorCode(err) == eventmap.EINVALID:
		m.imports.WithLabelValues("refused").Inc()
	default:
		m.imports.WithLabelValues("failed").Inc()
	}
}

// dbCollector reads the connection pools' statistics when scraped, and
// the read replica's replay lag.
type dbCollector struct{ s *Server }

var (
	dbMaxDesc     = prometheus.NewDesc("eventmap_db_connections_max", "EVENTMAP_DB_MAX_CONNS: the pool's size.", []string{"pool"}, nil)
	dbOpenDesc    = prometheus.NewDesc("eventmap_db_connections_open", "Connections open now, in use or idle.", []string{"pool"}, nil)
	dbInUseDesc   = prometheus.NewDesc("eventmap_db_connections_in_use", "Connections serving a query or transaction now.", []string{"pool"}, nil)
	dbIdleDesc    = prometheus.NewDesc("eventmap_db_connections_idle", "Open connections waiting for work.", []string{"pool"}, nil)
	dbWaitDesc    = prometheus.NewDesc("eventmap_db_wait_total", "Times a request waited for a free connection (the pool was saturated).", []string{"pool"}, nil)
	dbWaitSecDesc = prometheus.NewDesc("eventmap_db_wait_seconds_total", "Time spent waiting for a free connection.", []string{"pool"}, nil)
	dbCountsDesc  = prometheus.NewDesc("eventmap_db_numbermatched_counts_total", "numberMatched counts run by items pages.", []string{"pool"}, nil)
	replicaLag    = prometheus.NewDesc("eventmap_db_replica_lag_seconds", "How far the read replica (DATABASE_READ_URL) is behind the primary: the age of the last transaction it replayed, 0 when it has replayed all it received.", nil, nil)
)

func (d *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, desc := range []*prometheus.Desc{dbMaxDesc, dbOpenDesc, dbInUseDesc, dbIdleDesc, dbWaitDesc, dbWaitSecDesc, dbCountsDesc, replicaLag} {
		ch <- desc
	}
}

func (d *dbCollector) Collect(ch chan<- prometheus.Metric) {
	pools := []struct {
		name string
		db   *store.DB
	}{{"primary", d.s.db}}
	if d.s.read != nil {
		pools = append(pools, struct {
			name string
			db   *store.DB
		}{"read", d.s.read})
	}
	for _, p := range pools {
		st := p.db.PoolStats()
		ch <- prometheus.MustNewConstMetric(dbMaxDesc, prometheus.GaugeValue, float64(st.MaxOpenConnections), p.name)
		ch <- prometheus.MustNewConstMetric(dbOpenDesc, prometheus.GaugeValue, float64(st.OpenConnections), p.name)
		ch <- prometheus.MustNewConstMetric(dbInUseDesc, prometheus.GaugeValue, float64(st.InUse), p.name)
		ch <- prometheus.MustNewConstMetric(dbIdleDesc, prometheus.GaugeValue, float64(st.Idle), p.name)
		ch <- prometheus.MustNewConstMetric(dbWaitDesc, prometheus.CounterValue, float64(st.WaitCount), p.name)
		ch <- prometheus.MustNewConstMetric(dbWaitSecDesc, prometheus.CounterValue, st.WaitDuration.Seconds(), p.name)
		ch <- prometheus.MustNewConstMetric(dbCountsDesc, prometheus.CounterValue, float64(p.db.CountQueries()), p.name)
	}
	if d.s.read != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		lag, err := d.s.read.ReplayLag(ctx)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(replicaLag, err)
			return
		}
		ch <- prometheus.MustNewConstMetric(replicaLag, prometheus.GaugeValue, lag.Seconds())
	}
}

// Package api is the HTTP face of eventmap: OGC API - Features reads as
// GeoJSON, the map, health checks. Handlers parse and check input, call
// store, and write responses; they never build SQL.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"eventmap/auth"
	"eventmap/config"
	"eventmap/store"
)

// Server holds what the handlers need. Build it with New.
type Server struct {
	db       *store.DB // the primary: every write, and every read by a token holder
	migrator *store.Migrator
	// read is a streaming replica for anonymous reads (nil: none, and
	// the primary serves them); readMigrator checks it has replayed the
	// migrations this binary expects.
	read         *store.DB
	readMigrator *store.Migrator
	cfg          config.Config
	log          *slog.Logger
	echo         *echo.Echo
	metrics      *metrics
	// routePaths are the route templates of routes.go: metric labels.
	routePaths map[string]bool
	// slots holds one token per expensive request running (shed.go).
	slots chan struct{}
	// jobs are the imports running in the background (importjobs.go).
	jobs *importJobs
}

// Option adjusts a Server built by New.
type Option func(*Server) error

// ReadFrom sends anonymous reads to read, a hot standby of db (see
// reader). /readyz then checks it too.
func ReadFrom(read *store.DB) Option {
	return func(s *Server) error {
		m, err := read.NewMigrator(nil)
		if err != nil {
			return err
		}
		s.read, s.readMigrator = read, m
		return nil
	}
}

// New wires the routes and middleware around db.
func New(db *store.DB, cfg config.Config, logger *slog.Logger, opts ...Option) (*Server, error) {
	m, err := db.NewMigrator(nil)
	if err != nil {
		return nil, err
	}
	s := &Server{db: db, migrator: m, cfg: cfg, log: logger, echo: echo.New(), slots: make(chan struct{}, max(1, cfg.ExpensiveRequests)), jobs: newImportJobs()}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.metrics = newMetrics(s)
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	// The client address (rate limits, logs) is the TCP peer unless the
	// operator says a proxy of theirs sets X-Forwarded-For.
	e.IPExtractor = echo.ExtractIPDirect()
	if cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	e.Use(
		s.countInFlight,
		// Outside the recover middleware, so that it logs and counts every
		// request, a panic's 500 included.
		middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
			LogStatus: true, LogURI: true, LogMethod: true, LogLatency: true, LogRequestID: true,
			LogRemoteIP: true, LogResponseSize: true, LogUserAgent: true,
			HandleError:   true,
			LogValuesFunc: s.logRequest,
		}),
		// The stack of the panicking goroutine only (DisableStackAll), to
		// the log through logPanic; the client gets a 500 problem.
		middleware.RecoverWithConfig(middleware.RecoverConfig{StackSize: 16 << 10, DisableStackAll: true, LogErrorFunc: s.logPanic}),
		middleware.RequestID(),
		hostGuard,
		// Outside gzip, to see whether it compressed (cache.go).
		representationHeaders,
		// Level 1, chosen by `make bench` (bench/results/): on an items page
		// of 1000 Features it compresses about 1.8 times faster than level
		// 5 and the page is a third larger (still a ninth of the plain
		// one); the server is short of CPU long before the network is.
		middleware.GzipWithConfig(middleware.GzipConfig{Level: 1, MinLength: 1024}),
		corsMiddleware(cfg),
		securityHeaders(cfg),
		rateLimit(cfg),
		// Imports are whole files, capped by their own limit (import.go).
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: formatInt(cfg.MaxBodyBytes) + "B", Skipper: isImport}),
		s.authenticate,
		s.writeOriginGuard,
		s.shedExpensive,
	)
	s.routes()
	s.routePaths = map[string]bool{}
	for _, r := range e.Routes() {
		s.routePaths[r.Path] = true
	}
	return s, nil
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// logRequest logs one answered request and records its metrics. The log
// line carries the route template beside the URI, and the request id that
// a problem body shows.
func (s *Server) logRequest(c echo.Context, v middleware.RequestLoggerValues) error {
	route := s.routeLabel(c)
	s.metrics.observe(route, v.Method, v.Status, v.Latency, v.ResponseSize, c.Response().Header().Get("Idempotent-Replayed") == "true")
	level := slog.LevelInfo
	if v.Status >= 500 {
		level = slog.LevelWarn
	}
	s.log.LogAttrs(c.Request().Context(), level, "request",
		slog.String("request_id", v.RequestID),
		slog.String("method", v.Method),
		slog.String("route", route),
		slog.String("uri", v.URI),
		slog.Int("status", v.Status),
		slog.Duration("latency", v.Latency),
		slog.Int64("bytes", v.ResponseSize),
		slog.String("remote_ip", v.RemoteIP),
		slog.String("user_agent", v.UserAgent),
	)
	return nil
}

// countInFlight keeps the in-flight gauge, with a defer: a stream cut
// short (http.ErrAbortHandler) unwinds past the request logger.
func (s *Server) countInFlight(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()
		return next(c)
	}
}

func (s *Server) logPanic(c echo.Context, err error, stack []byte) error {
	s.log.Error("panic in handler", "request_id", requestID(c), "err", err, "stack", string(stack))
	return err
}

// reader is the database a read request is served from. Anonymous reads
// go to the read replica when there is one: they are most of the traffic
// and may lag the primary by the replication delay. Token holders read
// the primary, so an editor always sees their own writes at once
// (read-your-writes), and so does every write and everything it reads.
func (s *Server) reader(c echo.Context) *store.DB {
	if s.read != nil && caller(c).Role == auth.Anonymous {
		return s.read
	}
	return s.db
}

// listReader is reader for a list of events, except that a sync read
// (updated_since) goes to the primary: a mirror remembers when it synced
// and asks for what changed since, so an answer from a replica that is
// seconds behind would make it skip those seconds' changes for good. The
// deletions feed reads the primary for the same reason.
func (s *Server) listReader(c echo.Context, f store.EventFilter) *store.DB {
	if !f.UpdatedSince.IsZero() {
		return s.db
	}
	return s.reader(c)
}

// readContext bounds a read request, streaming included.
func (s *Server) readContext(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), s.cfg.RequestTimeout)
}

func requestID(c echo.Context) string { return c.Response().Header().Get(echo.HeaderXRequestID) }

// nowUTC is the timeStamp of responses, to the second as OGC examples show.
func nowUTC() string { return time.Now().UTC().Format(time.RFC3339) }

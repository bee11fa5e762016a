package api

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"eventmap"
	"eventmap/store"
)

// Load shedding. A request whose cost grows with the data (an import, a
// download, a CSV page, a CQL2 filter, text search, an as_of list, a cluster or
// histogram that scans) holds a database connection for up to the
// statement timeout. Without a bound, a burst of them takes every
// connection of the pool, and cheap reads (an event by id, an items page
// from stored documents, a tile) queue behind them until they time out.
// So each process runs at most EVENTMAP_EXPENSIVE_REQUESTS of them at
// once, which leaves the rest of the pool (EVENTMAP_DB_MAX_CONNS minus
// that) to everything else; one more is answered at once with a 503
// problem and Retry-After rather than queued: the client, or the load
// balancer, can try again or elsewhere, and nothing waits on the pool.

// errShed marks the 503 of a shed request (metrics tell it from a
// database outage).
var errShed = errors.New("api: expensive request limit reached")

func isShed(err error) bool { return errors.Is(err, errShed) }

// expensiveKinds name each kind of expensive request in metrics and in
// the problem's detail.
var expensiveKinds = map[string]string{
	"import":   "an import",
	"download": "a whole-collection download",
	"export":   "a CSV page",
	"cql2":     "a CQL2 filter",
	"text":     "a text search (q)",
	"as_of":    "an as_of read of many events",
	"scan":     "a cluster or histogram summary that reads every event it counts",
}

// expensiveKind classifies a routed request: one of expensiveKinds, or
// "" for a cheap one. It reads only the route and the query string; a
// request it misjudges because its parameters are wrong is refused by
// its handler anyway.
func (s *Server) expensiveKind(c echo.Context) string {
	route, method := c.Path(), c.Request().Method
	if method == http.MethodPost && route == importPath {
		return "import"
	}
	if method != http.MethodGet && method != http.MethodHead {
		return ""
	}
	q := c.QueryParams()
	switch route {
	case downloadPath:
		// Reads the whole selection, for as long as the client takes.
		return "download"
	case "/collections/:collectionId/items":
		if f, err := negotiate(c, formatJSON, formatHTML, formatCSV); err == nil && f == formatCSV {
			return "export"
		}
		return filterKind(q)
	case "/collections/:collectionId/tiles/:tileMatrixSetId/:tileMatrix/:tileRow/:tileCol":
		return filterKind(q)
	case "/collections/events/clusters", "/collections/events/histogram":
		if k := filterKind(q); k != "" {
			return k
		}
		var f store.EventFilter
		if err := parseFilterParams(q, &f); err != nil {
			return ""
		}
		summary, interval := "histogram", "month"
		if route == "/collections/events/clusters" {
			summary = "clusters"
		} else if q.Has("interval") {
			interval = q.Get("interval")
		}
		zoom, _ := strconv.Atoi(q.Get("zoom")) // checked by the handler
		if store.SummaryScans(summary, f, zoom, interval) {
			return "scan"
		}
	}
	return ""
}

// filterKind is the expensive kind of a selection's parameters, if any.
func filterKind(q url.Values) string {
	switch {
	case q.Has("filter"):
		return "cql2"
	case q.Get("q") != "":
		return "text"
	case q.Has("as_of"):
		return "as_of"
	}
	return ""
}

// shedExpensive runs an expensive request in one of the process's slots,
// or refuses it at once when all are taken.
func (s *Server) shedExpensive(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		kind := s.expensiveKind(c)
		if kind == "" {
			return next(c)
		}
		select {
		case s.slots <- struct{}{}:
		default:
			s.metrics.shed.WithLabelValues(kind).Inc()
			return &eventmap.Error{Code: eventmap.EUNAVAILABLE, Err: errShed,
				Detail: "this server is already running " + strconv.Itoa(cap(s.slots)) + " expensive requests, its limit " +
					"(EVENTMAP_EXPENSIVE_REQUESTS); this one, " + expensiveKinds[kind] + ", was not started: retry after the time in Retry-After"}
		}
		s.metrics.expensive.Inc()
		defer func() {
			<-s.slots
			s.metrics.expensive.Dec()
		}()
		return next(c)
	}
}

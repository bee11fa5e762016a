package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"eventmap"
	"eventmap/exchange"
	"eventmap/transfer"
)

// downloadPath is the whole-collection download: every public event (or
// the selection the items parameters make) in one streamed file, for the
// map's Download button and for researchers, without a token and without
// paging. It is `eventmap export` over HTTP: the same rows from one
// snapshot (transfer.Export), in constant memory, gzipped by the gzip
// middleware when the client accepts it. Restricted events never appear,
// whoever asks: token holders page the items or run the export command.
// It runs as an expensive request (shed.go).
const downloadPath = "/collections/events/download"

// downloadTypes are the media types of the download's formats.
var downloadTypes = map[exchange.Format]string{
	exchange.GeoJSON: geoJSON,
	exchange.CSV:     "text/csv; charset=utf-8",
	exchange.NDJSON:  "application/geo+json-seq",
}

// downloadExtensions name the file.
var downloadExtensions = map[exchange.Format]string{
	exchange.GeoJSON: ".geojson", exchange.CSV: ".csv", exchange.NDJSON: ".ndjson",
}

// downloadHandler streams the file. f picks the format (geojson by
// default); the selection parameters are the items ones.
func (s *Server) downloadHandler(c echo.Context) error {
	q := c.QueryParams()
	format := exchange.GeoJSON
	if v := q.Get("f"); v != "" {
		var err error
		if format, err = exchange.ParseFormat(v); err != nil {
			// The CLI's flag is --format; here the parameter is f.
			return eventmap.Invalid("f", "must be one of csv, geojson, ndjson, got "+strconv.Quote(v))
		}
	}
	sel := q
	if q.Has("f") {
		sel = cloneValues(q)
		sel.Del("f")
	}
	filter, err := ParseFilter(sel, false)
	if err != nil {
		return err
	}
	resp := c.Response()
	// The whole table takes longer than one request may (RequestTimeout):
	// each statement is still bounded by the database's statement
	// timeout, and the write deadline moves on with every chunk written,
	// so a client that stops reading is dropped as it would be otherwise.
	ctx, cancel := context.WithCancel(c.Request().Context())
	defer cancel()
	rc := http.NewResponseController(resp)
	extend := func() { _ = rc.SetWriteDeadline(time.Now().Add(s.cfg.RequestTimeout + 30*time.Second)) }
	extend()
	var written int64
	cite, err := transfer.Export(ctx, s.reader(c), filter, resp, transfer.ExportOptions{
		Format: format, Query: sel.Encode(), Source: s.absURL(c, downloadPath, nil),
		Start: func(cite exchange.Citation) {
			h := resp.Header()
			h.Set(echo.HeaderContentType, downloadTypes[format])
			h.Set("Content-Disposition", `attachment; filename="events`+downloadExtensions[format]+`"`)
			h.Set("Eventmap-Dataset-Version", strconv.FormatInt(cite.DatasetVersion, 10))
			h.Set("Eventmap-Exported-At", cite.ExportedAt.Format(time.RFC3339))
			h.Set(echo.HeaderCacheControl, "no-store")
			resp.WriteHeader(http.StatusOK)
		},
		Progress: func(int64) (func(int64), func()) {
			return func(n int64) {
				written += n
				extend()
			}, func() {}
		},
	})
	s.metrics.exported.WithLabelValues(string(format)).Add(float64(written))
	if err != nil {
		if resp.Committed {
			// Too late for a problem: the status is sent. The body ends
			// short (no closing bracket in GeoJSON), and the log says why.
			s.log.Error("download failed after it started", "err", err, "request_id", requestID(c), "events", cite.Events)
			return nil
		}
		return err
	}
	return nil
}

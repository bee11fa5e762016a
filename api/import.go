package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"eventmap"
	"eventmap/auth"
	"eventmap/exchange"
	"eventmap/transfer"
)

const importPath = "/collections/events/import"

// importContentTypes maps request media types to file formats.
var importContentTypes = map[string]exchange.Format{
	"text/csv":                 exchange.CSV,
	geoJSON:                    exchange.GeoJSON,
	echo.MIMEApplicationJSON:   exchange.GeoJSON,
	"application/geo+json-seq": exchange.NDJSON,
	"application/x-ndjson":     exchange.NDJSON,
	"application/ndjson":       exchange.NDJSON,
}

// importHandler serves POST /collections/events/import: a whole file in
// the body (ACLED CSV, GeoJSON, NDJSON), streamed into the database, and
// the import report back. Rejected rows without skip_invalid=true are a
// 422 naming each line, field and rule; nothing is written then.
func (s *Server) importHandler(c echo.Context) error {
	who, err := require(c, auth.Editor, "importing events")
	if err != nil {
		return err
	}
	q := c.QueryParams()
	if err := checkParams(q, "dry_run", "skip_invalid", "filename"); err != nil {
		return err
	}
	flag := func(name string) (bool, error) {
		if !q.Has(name) {
			return false, nil
		}
		v, err := strconv.ParseBool(q.Get(name))
		if err != nil {
			return false, eventmap.Invalid(name, "must be true or false, got "+strconv.Quote(q.Get(name)))
		}
		return v, nil
	}
	req := transfer.ImportRequest{Name: "upload", Editor: who.Label + " (token " + who.ID + ")"}
	if req.DryRun, err = flag("dry_run"); err != nil {
		return err
	}
	if req.SkipInvalid, err = flag("skip_invalid"); err != nil {
		return err
	}
	if q.Has("filename") {
		if req.Name, err = parseText(q, "filename", 200); err != nil {
			return err
		}
	}
	ct := c.Request().Header.Get(echo.HeaderContentType)
	mt, _, _ := mime.ParseMediaType(ct)
	format, ok := importContentTypes[mt]
	if !ok {
		return &eventmap.Error{Code: eventmap.EMEDIATYPE,
			Detail: "Content-Type must be text/csv (ACLED columns), application/geo+json (a FeatureCollection) or application/geo+json-seq / application/x-ndjson (one Feature per line), got " + strconv.Quote(ct),
			Errors: []eventmap.FieldError{{Field: "Content-Type", Rule: "must be text/csv, application/geo+json, application/geo+json-seq or application/x-ndjson"}}}
	}
	req.Format = format
	req.OnRow = s.metrics.importRows.WithLabelValues("read").Inc
	body := &limitedBody{r: http.MaxBytesReader(c.Response(), c.Request().Body, s.cfg.MaxImportBytes)}
	if prefersAsync(c.Request().Header) {
		return s.startImportJob(c, who, body, req)
	}
	rep, err := transfer.ImportFile(c.Request().Context(), s.db, body, req)
	s.metrics.imported(rep, err)
	if body.tooLarge {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSONCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return rep.WriteJSON(c.Response())
}

// prefersAsync tells whether the request asks for an answer before the
// work is done (RFC 7240 "Prefer: respond-async", in any of its Prefer
// headers, among other preferences).
func prefersAsync(h http.Header) bool {
	for _, v := range h.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(p, ";")
			name, _, _ = strings.Cut(name, "=")
			if strings.EqualFold(strings.TrimSpace(name), "respond-async") {
				return true
			}
		}
	}
	return false
}

// limitedBody notes that the import size limit was hit, whatever error
// the file reader then makes of the failed read.
type limitedBody struct {
	r        io.Reader
	tooLarge bool
}

func (l *limitedBody) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		l.tooLarge = true
	}
	return n, err
}

// isImport tells the global body limit to leave imports to their own.
func isImport(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && strings.TrimSuffix(c.Request().URL.Path, "/") == importPath
}

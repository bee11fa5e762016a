package api

import (
	"bufio"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"eventmap"
	"eventmap/auth"
	"eventmap/exchange"
	"eventmap/store"
)

const importPath = "/collections/events/import"

// ImportRequest is one file to import.
type ImportRequest struct {
	// Name is the file's name: the reason of every revision the import
	// writes, and a hint to the format.
	Name string
	// Format is the file's format; empty: guessed from Name, else from
	// the first bytes.
	Format      exchange.Format
	Editor      string
	DryRun      bool
	SkipInvalid bool
}

// ImportFile reads one file and imports its events: the one import path
// behind `eventmap import` and POST /collections/events/import. The
// report is filled whatever happens; the error is the file's refusal
// (a broken file, or rejected rows without SkipInvalid) or a failure.
func ImportFile(ctx context.Context, db *store.DB, r io.Reader, req ImportRequest) (*exchange.Report, error) {
	started := time.Now()
	br := bufio.NewReaderSize(r, 64<<10)
	if req.Format == "" {
		req.Format = exchange.Detect(req.Name, br)
	}
	rep := &exchange.Report{File: req.Name, Format: req.Format, DryRun: req.DryRun, SkipInvalid: req.SkipInvalid, Unit: "line"}
	rd, err := exchange.NewReader(br, req.Format)
	if err != nil {
		rep.Error = err.Error()
		return rep, err
	}
	rep.Unit = rd.Unit()
	next := func() (store.ImportRow, error) {
		row, err := rd.Next()
		for i, fe := range row.Errors {
			row.Errors[i].Field = exchange.FieldName(req.Format, fe.Field)
		}
		return store.ImportRow{Line: row.Line, Event: row.Event, Errors: row.Errors}, err
	}
	res, err := db.Import(ctx, next, store.ImportOptions{
		Editor: req.Editor, Reason: "import of " + req.Name, DryRun: req.DryRun, SkipInvalid: req.SkipInvalid,
	})
	rep.Rows, rep.Created, rep.Updated, rep.Unchanged = res.Rows, res.Created, res.Updated, res.Unchanged
	rep.SkippedDeleted, rep.Rejected, rep.Committed, rep.ErrorsOmitted = res.SkippedDeleted, res.Rejected, res.Committed, res.ErrorsOmitted
	for _, e := range res.Errors {
		rep.Errors = append(rep.Errors, exchange.RowError{Line: e.Line, Field: exchange.FieldName(req.Format, e.Field), Rule: e.Rule})
	}
	rep.Seconds = time.Since(started).Seconds()
	if err != nil {
		var e *eventmap.Error
		if errors.As(err, &e) && e.Code == eventmap.EUNPROCESSABLE {
			// Rows were named with their file's field names above; the
			// refusal names them the same way.
			e.Errors = e.Errors[:0]
			for _, re := range rep.Errors {
				if len(e.Errors) == 100 {
					break
				}
				e.Errors = append(e.Errors, eventmap.FieldError{Field: rep.Unit + " " + strconv.Itoa(re.Line) + ": " + re.Field, Rule: re.Rule})
			}
		}
		if e != nil {
			rep.Error = e.Detail
		} else {
			rep.Error = err.Error()
		}
	}
	return rep, err
}

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
	req := ImportRequest{Name: "upload", Editor: who.Label + " (token " + who.ID + ")"}
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
	body := &limitedBody{r: http.MaxBytesReader(c.Response(), c.Request().Body, s.cfg.MaxImportBytes)}
	rep, err := ImportFile(c.Request().Context(), s.db, body, req)
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

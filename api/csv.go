package api

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"eventmap/exchange"
)

// itemsCSV serves f=csv for /collections/events/items: the same page, in
// the same order, as the GeoJSON, with paging in a Link header. Rows have
// ACLED's columns first, then ours (exchange.Columns): the same rows as
// `eventmap export --format csv`, and a file `eventmap import` reads back.
func (s *Server) itemsCSV(c echo.Context) error {
	r, err := s.parseItemsQuery(c)
	if err != nil {
		return err
	}
	r.page.Version = s.pageValidator(c, r, formatCSV)
	ctx, cancel := s.readContext(c)
	defer cancel()
	// The page is buffered, not streamed to the socket: whether a next page
	// exists is known only at the end of the stream, and the Link header
	// must go first. A page is at most max-limit rows; whole-table export
	// is the export command's job.
	var body bytes.Buffer
	w := exchange.NewCSVWriter(&body)
	res, err := s.listReader(c, r.filter).ListEvents(ctx, r.filter, r.page, w.Write)
	if errors.Is(err, errNotModified) {
		return notModified(c)
	}
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	s.metrics.exported.WithLabelValues("csv").Add(float64(res.Returned))
	h := c.Response().Header()
	path := c.Request().URL.Path
	h.Add("Link", linkHeader(s.formatURL(c, path, r.query, formatCSV), "self", "text/csv"))
	for _, l := range s.pageLinks(c, setF(r.query, formatCSV), res, "text/csv") {
		h.Add("Link", linkHeader(l.Href, l.Rel, l.Type))
	}
	h.Add("Link", linkHeader(s.formatURL(c, path, r.query, formatJSON), "alternate", geoJSON))
	h.Set("Content-Disposition", `attachment; filename="`+r.coll.ID+`.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", body.Bytes())
}

// linkHeader formats one RFC 8288 link-value.
func linkHeader(href, rel, typ string) string {
	return "<" + href + `>; rel="` + rel + `"; type="` + typ + `"`
}

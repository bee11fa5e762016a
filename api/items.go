package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"eventmap/store"
)

const geoJSON = "application/geo+json"

// link is an OGC API / RFC 8288 link object.
type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
	// Templated marks an href with {variables} to fill in (OGC API - Tiles).
	Templated bool `json:"templated,omitempty"`
}

// itemsHandler serves GET /collections/events/items: a GeoJSON
// FeatureCollection filtered by bbox, datetime and attributes, in the
// sortby order (newest first by default), in pages linked by "next" and
// "prev". Features are streamed from PostgreSQL as they arrive.
func (s *Server) itemsHandler(c echo.Context) error {
	switch f, err := negotiate(c, formatJSON, formatHTML, formatCSV); {
	case err != nil:
		return err
	case f == formatCSV:
		return s.itemsCSV(c)
	case f == formatHTML:
		return s.itemsHTML(c)
	}
	iq, err := s.parseItemsQuery(c)
	if err != nil {
		return err
	}
	q := iq.query

	ctx, cancel := s.readContext(c)
	defer cancel()
	resp := c.Response()
	// Features are a few hundred bytes each: written one by one, each
	// 4 KB of them would be a chunk and a system call of its own.
	w := bufio.NewWriterSize(resp, 64<<10)
	started := false
	start := func() {
		started = true
		resp.Header().Set(echo.HeaderContentType, geoJSON)
		resp.Header().Set("Content-Crs", "<"+iq.page.CRS.URI+">")
		resp.WriteHeader(http.StatusOK)
		_, _ = w.WriteString(`{"type":"FeatureCollection","features":[`)
	}
	res, err := s.listReader(c, iq.filter).ListEvents(ctx, iq.filter, iq.page, func(feature []byte) error {
		if !started {
			start()
		} else {
			_ = w.WriteByte(',')
		}
		_, err := w.Write(feature)
		return err
	})
	if err != nil {
		if !started {
			return err
		}
		// The status line is gone; cut the connection so the client sees a
		// broken response instead of a short one that parses.
		s.log.Error("items stream failed", "request_id", requestID(c), "err", err)
		panic(http.ErrAbortHandler)
	}
	if !started {
		start()
	}
	s.metrics.exported.WithLabelValues("geojson").Add(float64(res.Returned))
	self := s.absURL(c, c.Request().URL.Path, q)
	links := []link{
		{Href: self, Rel: "self", Type: geoJSON, Title: "this page"},
		{Href: s.formatURL(c, c.Request().URL.Path, q, formatHTML), Rel: "alternate", Type: "text/html", Title: "this page as HTML"},
		{Href: s.formatURL(c, c.Request().URL.Path, q, formatCSV), Rel: "alternate", Type: "text/csv", Title: "this page as CSV"},
		{Href: s.absURL(c, "/collections/events", nil), Rel: "collection", Type: "application/json", Title: "the events collection"},
	}
	// prev and next keep every parameter but the cursor.
	for _, l := range []struct {
		cur        *store.Cursor
		rel, title string
	}{{res.Prev, "prev", "previous page"}, {res.Next, "next", "next page"}} {
		if l.cur != nil {
			v := cloneValues(q)
			v.Set("cursor", l.cur.Encode())
			links = append(links, link{Href: s.absURL(c, c.Request().URL.Path, v), Rel: l.rel, Type: geoJSON, Title: l.title})
		}
	}
	tail, _ := json.Marshal(links)
	var b bytes.Buffer
	b.WriteString(`],"numberReturned":`)
	b.WriteString(formatInt(int64(res.Returned)))
	// Without an exact count numberMatched is left out rather than
	// estimated: GDAL and QGIS trust it and would stop early or wait for
	// features that never come.
	if res.Matched != nil {
		b.WriteString(`,"numberMatched":`)
		b.WriteString(formatInt(*res.Matched))
	}
	b.WriteString(`,"timeStamp":"` + nowUTC() + `","links":`)
	b.Write(tail)
	b.WriteString("}\n")
	_, _ = w.Write(b.Bytes())
	// A client that went away is not an error of ours to report.
	_ = w.Flush()
	return nil
}

// itemHandler serves GET /collections/events/items/{id}: one Feature with a
// strong ETag from its version, or a 404 problem. With as_of it is the
// Feature as it was served at that time, from the revision history.
func (s *Server) itemHandler(c echo.Context) error {
	switch f, err := negotiate(c, formatJSON, formatHTML); {
	case err != nil:
		return err
	case f == formatHTML:
		return s.itemHTML(c)
	}
	q := c.QueryParams()
	if err := checkParams(q, "f", "crs", "as_of"); err != nil {
		return err
	}
	crs, err := parseCRS(q)
	if err != nil {
		return err
	}
	ctx, cancel := s.readContext(c)
	defer cancel()
	id := c.Param("id")
	f := store.EventFilter{IncludeRestricted: seesRestricted(c)}
	if q.Has("as_of") {
		if f.AsOf, err = parseAsOf(q.Get("as_of")); err != nil {
			return err
		}
	}
	feature, version, err := s.reader(c).GetEventIn(ctx, id, f, crs)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(version))
	c.Response().Header().Set("Content-Crs", "<"+crs.URI+">")
	return c.Blob(http.StatusOK, geoJSON, s.withItemLinks(c, id, feature))
}

// withItemLinks adds the links member to a Feature that PostGIS built,
// before its closing brace, rather than decoding and re-encoding it.
func (s *Server) withItemLinks(c echo.Context, id string, feature []byte) []byte {
	links, _ := json.Marshal([]link{
		{Href: s.absURL(c, "/collections/events/items/"+id, nil), Rel: "self", Type: geoJSON, Title: "this event"},
		{Href: s.absURL(c, "/collections/events", nil), Rel: "collection", Type: "application/json", Title: "the events collection"},
		{Href: s.absURL(c, "/collections/events/items/"+id+"/revisions", nil), Rel: "version-history", Type: "application/json", Title: "every change to this event"},
	})
	feature = bytes.TrimRight(feature, " \n")
	body := make([]byte, 0, len(feature)+len(links)+16)
	body = append(body, feature[:len(feature)-1]...)
	body = append(body, `,"links":`...)
	body = append(body, links...)
	body = append(body, "}\n"...)
	return body
}

// absURL builds an absolute link. Behind a proxy EVENTMAP_PUBLIC_URL gives
// the external base; otherwise the request's own scheme and host are used.
func (s *Server) absURL(c echo.Context, path string, q url.Values) string {
	base := s.cfg.PublicURL
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	u := base + path
	if len(q) > 0 {
		u += "?" + queryUnescaper.Replace(q.Encode())
	}
	return u
}

// queryUnescaper keeps links readable (bbox=36.5,33.5,... rather than
// %2C): RFC 3986 allows these characters unescaped in a query.
var queryUnescaper = strings.NewReplacer("%2C", ",", "%3A", ":", "%2F", "/")

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

package api

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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

// itemsHandler serves GET /collections/{collectionId}/items: a GeoJSON
// FeatureCollection filtered by bbox, datetime and attributes, in the
// sortby order (newest first by default), in pages linked by "next" and
// "prev". Features are streamed from PostgreSQL as they arrive. Its ETag
// comes from the dataset version the page is read at, checked before any
// event is read, so an unchanged page answers 304 for the cost of that
// check.
func (s *Server) itemsHandler(c echo.Context) error {
	coll, err := collectionOf(c)
	if err != nil {
		return err
	}
	if coll.regions {
		return s.regionItemsHandler(c, coll)
	}
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
	iq.page.Version = s.pageValidator(c, iq, formatJSON)

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
	if errors.Is(err, errNotModified) {
		return notModified(c)
	}
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
		{Href: s.absURL(c, iq.coll.path(), nil), Rel: "collection", Type: "application/json", Title: "the " + iq.coll.ID + " collection"},
	}
	links = append(links, s.pageLinks(c, q, res, geoJSON)...)
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

// pageLinks are the prev and next links of a page: every parameter kept
// but the cursor, which changes, and offset, which the cursor replaces.
func (s *Server) pageLinks(c echo.Context, q url.Values, res store.ListResult, typ string) []link {
	var links []link
	for _, l := range []struct {
		cur        *store.Cursor
		rel, title string
	}{{res.Prev, "prev", "previous page"}, {res.Next, "next", "next page"}} {
		if l.cur != nil {
			v := cloneValues(q)
			v.Del("offset")
			v.Set("cursor", l.cur.Encode())
			links = append(links, link{Href: s.absURL(c, c.Request().URL.Path, v), Rel: l.rel, Type: typ, Title: l.title})
		}
	}
	return links
}

// pageValidator makes a page's ETag from the dataset version it is read
// at (in its own snapshot), the
// collection, the format, the caller's visibility and the normalised
// query, and ends the read with errNotModified when the client holds it.
func (s *Server) pageValidator(c echo.Context, iq itemsQuery, format string) func(string) error {
	return func(version string) error {
		tag := versionTag(version, iq.coll.path()+"/items", format, visibilityPart(c), normalQuery(iq.query), s.absURL(c, "", nil))
		if validate(c, tag) {
			return errNotModified
		}
		return nil
	}
}

// itemHandler serves GET /collections/{collectionId}/items/{id}: one
// Feature, or a 404 problem. With as_of it is the Feature as it was served
// at that time, from the revision history.
func (s *Server) itemHandler(c echo.Context) error {
	coll, err := collectionOf(c)
	if err != nil {
		return err
	}
	if coll.regions {
		return s.regionItemHandler(c, coll)
	}
	switch f, err := negotiate(c, formatJSON, formatHTML); {
	case err != nil:
		return err
	case f == formatHTML:
		return s.itemHTML(c, coll)
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
	f := store.EventFilter{IncludeRestricted: seesRestricted(c), Shape: coll.shape}
	if q.Has("as_of") {
		if f.AsOf, err = parseAsOf(q.Get("as_of")); err != nil {
			return err
		}
	}
	feature, version, err := s.reader(c).GetEventIn(ctx, id, f, crs)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Crs", "<"+crs.URI+">")
	if validate(c, itemTag(version, coll, formatJSON, q)) {
		return notModified(c)
	}
	return c.Blob(http.StatusOK, geoJSON, s.itemWithLinks(c, coll, id, feature))
}

// itemTag is a single event's ETag: its version (the one read, with
// as_of), as written in the events collection in CRS84 as GeoJSON; any
// other representation (a collection shape, CRS or format) adds a hash
// of what differs, so each has its own. The plain version is what
// If-Match takes.
func itemTag(version int64, coll collection, format string, q url.Values) string {
	n := cloneValues(q)
	// as_of picks a version, which the tag already names.
	n.Del("f")
	n.Del("as_of")
	if crs, err := parseCRS(q); err == nil && crs.URI == crs84 {
		n.Del("crs")
	}
	if coll.ID == "events" && format == formatJSON && len(n) == 0 {
		return etag(version)
	}
	sum := sha256.Sum256([]byte(buildTag + "\x00" + coll.ID + "\x00" + format + "\x00" + n.Encode()))
	return `"` + formatInt(version) + "-" + hex.EncodeToString(sum[:6]) + `"`
}

// withItemLinks adds the links member to an event of the events
// collection that PostGIS built, before its closing brace, rather than
// decoding and re-encoding it. self keeps the request's parameters (crs,
// as_of), and alternate is the event's web page (current, in WGS 84).
func (s *Server) withItemLinks(c echo.Context, id string, feature []byte) []byte {
	return s.itemWithLinks(c, collections[0], id, feature)
}

// itemWithLinks is withItemLinks for an item of coll.
func (s *Server) itemWithLinks(c echo.Context, coll collection, id string, feature []byte) []byte {
	q := c.QueryParams()
	path := coll.path() + "/items/" + id
	links, _ := json.Marshal([]link{
		{Href: s.absURL(c, path, q), Rel: "self", Type: geoJSON, Title: "this event"},
		{Href: s.formatURL(c, path, nil, formatHTML), Rel: "alternate", Type: "text/html", Title: "this event as a web page"},
		{Href: s.absURL(c, coll.path(), nil), Rel: "collection", Type: "application/json", Title: "the " + coll.ID + " collection"},
		{Href: s.absURL(c, "/collections/events/items/"+id+"/revisions", nil), Rel: "version-history", Type: "application/json", Title: "every change to this event"},
	})
	return appendLinks(feature, links)
}

// appendLinks puts a links member before a Feature's closing brace.
func appendLinks(feature, links []byte) []byte {
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

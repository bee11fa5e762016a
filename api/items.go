package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"eventmap"
	"eventmap/geo"
	"eventmap/store"
)

const geoJSON = "application/geo+json"

// link is an OGC API / RFC 8288 link object.
type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// itemsHandler serves GET /collections/events/items: a GeoJSON
// FeatureCollection filtered by bbox and datetime, newest first, in pages
// linked by "next". Features are streamed from PostgreSQL as they arrive.
func (s *Server) itemsHandler(c echo.Context) error {
	switch f, err := negotiate(c, formatJSON, formatHTML, formatCSV); {
	case err != nil:
		return err
	case f == formatCSV:
		return s.itemsCSV(c)
	case f == formatHTML:
		return s.itemsHTML(c)
	}
	q := c.QueryParams()
	if err := checkParams(q, "bbox", "datetime", "limit", "cursor", "f"); err != nil {
		return err
	}
	if f := q.Get("f"); q.Has("f") && f != "json" && f != "geojson" {
		return eventmap.Invalid("f", "must be json (GeoJSON), got "+f)
	}
	filter := store.EventFilter{IncludeRestricted: seesRestricted(c)}
	if q.Has("bbox") {
		b, err := geo.ParseBBox(q.Get("bbox"))
		if err != nil {
			return eventmap.Invalid("bbox", err.Error())
		}
		filter.BBox = &b
	}
	if q.Has("datetime") {
		iv, err := geo.ParseDatetime(q.Get("datetime"))
		if err != nil {
			return eventmap.Invalid("datetime", err.Error())
		}
		filter.Interval = iv
	}
	limit, err := parseLimit(q, s.cfg.DefaultLimit, s.cfg.MaxLimit)
	if err != nil {
		return err
	}
	page := store.Page{Limit: limit}
	if q.Has("cursor") {
		cur, err := store.DecodeCursor(q.Get("cursor"))
		if err != nil {
			return eventmap.Invalid("cursor", err.Error())
		}
		page.After = &cur
	}

	ctx, cancel := s.readContext(c)
	defer cancel()
	w := c.Response()
	started := false
	start := func() {
		started = true
		w.Header().Set(echo.HeaderContentType, geoJSON)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"type":"FeatureCollection","features":[`))
	}
	res, err := s.db.ListEvents(ctx, filter, page, func(feature []byte) error {
		if !started {
			start()
		} else {
			_, _ = w.Write([]byte{','})
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
	self := s.absURL(c, c.Request().URL.Path, q)
	links := []link{
		{Href: self, Rel: "self", Type: geoJSON, Title: "this page"},
		{Href: s.absURL(c, "/collections/events", nil), Rel: "collection", Type: "application/json", Title: "the events collection"},
	}
	if res.Next != nil {
		next := cloneValues(q)
		next.Set("cursor", res.Next.Encode())
		links = append(links, link{Href: s.absURL(c, c.Request().URL.Path, next), Rel: "next", Type: geoJSON, Title: "next page"})
	}
	tail, _ := json.Marshal(links)
	var b bytes.Buffer
	b.WriteString(`],"numberReturned":`)
	b.WriteString(formatInt(int64(res.Returned)))
	b.WriteString(`,"timeStamp":"` + nowUTC() + `","links":`)
	b.Write(tail)
	b.WriteString("}\n")
	_, _ = w.Write(b.Bytes())
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
	if err := checkParams(q, "f", "as_of"); err != nil {
		return err
	}
	ctx, cancel := s.readContext(c)
	defer cancel()
	id := c.Param("id")
	var feature []byte
	var version int64
	var err error
	if q.Has("as_of") {
		at, perr := parseAsOf(q.Get("as_of"))
		if perr != nil {
			return perr
		}
		feature, version, err = s.db.GetEventAsOf(ctx, id, at, seesRestricted(c))
	} else {
		feature, version, err = s.db.GetEvent(ctx, id, seesRestricted(c))
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(version))
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

// parseAsOf reads the as_of parameter: an RFC 3339 date-time.
func parseAsOf(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(v))
	if err != nil {
		return time.Time{}, eventmap.Invalid("as_of", "must be an RFC 3339 date-time with a time zone, such as 2025-10-20T00:00:00Z, got "+strconv.Quote(v))
	}
	return t, nil
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

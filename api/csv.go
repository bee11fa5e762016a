package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/planar"

	"eventmap"
	"eventmap/exchange"
	"eventmap/geo"
)

// eventView is one streamed Feature decoded for the HTML pages.
type eventView struct {
	ID         string          `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties struct {
		Type               string                 `json:"type"`
		Title              string                 `json:"title"`
		Summary            string                 `json:"summary"`
		OccurredAt         time.Time              `json:"occurred_at"`
		TimePrecision      string                 `json:"time_precision"`
		Place              string                 `json:"place"`
		Admin1             string                 `json:"admin1"`
		Country            string                 `json:"country"`
		GeoPrecision       string                 `json:"geo_precision"`
		Fatalities         *int                   `json:"fatalities"`
		CivilianFatalities *int                   `json:"civilian_fatalities"`
		Status             string                 `json:"status"`
		Visibility         string                 `json:"visibility"`
		Tags               []string               `json:"tags"`
		Actors             []eventmap.EventActor  `json:"actors"`
		Sources            []eventmap.EventSource `json:"sources"`
		Version            int64                  `json:"version"`
		UpdatedAt          time.Time              `json:"updated_at"`
	} `json:"properties"`
	geom orb.Geometry
}

func decodeEvent(feature []byte) (eventView, error) {
	var ev eventView
	if err := json.Unmarshal(feature, &ev); err != nil {
		return ev, fmt.Errorf("decode feature: %w", err)
	}
	g, err := geo.ParseGeometry(ev.Geometry, geo.DefaultLimits)
	if err != nil {
		return ev, fmt.Errorf("decode geometry of %s: %w", ev.ID, err)
	}
	ev.geom = g
	return ev, nil
}

// position is the point itself, or the centroid of a line or area, so that
// every row can be placed by tools that only read longitude/latitude.
func (ev eventView) position() orb.Point {
	if p, ok := ev.geom.(orb.Point); ok {
		return p
	}
	p, _ := planar.CentroidArea(ev.geom)
	return p
}

// IsPoint, WKT, Longitude and Latitude are exported for the HTML templates.
func (ev eventView) IsPoint() bool     { _, ok := ev.geom.(orb.Point); return ok }
func (ev eventView) WKT() string       { return wkt.MarshalString(ev.geom) }
func (ev eventView) Longitude() string { return coord(ev.position()[0]) }
func (ev eventView) Latitude() string  { return coord(ev.position()[1]) }

// coord keeps the 6 decimals (about 0.1 m) the GeoJSON output has.
func coord(x float64) string {
	return strconv.FormatFloat(math.Round(x*1e6)/1e6, 'f', -1, 64)
}

// itemsCSV serves f=csv for /collections/events/items: the same page, in
// the same order, as the GeoJSON, with paging in a Link header. Rows have
// ACLED's columns first, then ours (exchange.Columns): the same rows as
// `eventmap export --format csv`, and a file `eventmap import` reads back.
func (s *Server) itemsCSV(c echo.Context) error {
	r, err := s.parseItemsQuery(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.readContext(c)
	defer cancel()
	// The page is buffered, not streamed to the socket: whether a next page
	// exists is known only at the end of the stream, and the Link header
	// must go first. A page is at most max-limit rows; whole-table export
	// is the export command's job.
	var body bytes.Buffer
	w := exchange.NewCSVWriter(&body)
	res, err := s.listReader(c, r.filter).ListEvents(ctx, r.filter, r.page, w.Write)
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	h := c.Response().Header()
	path := c.Request().URL.Path
	h.Add("Link", linkHeader(s.formatURL(c, path, r.query, formatCSV), "self", "text/csv"))
	if res.Next != nil {
		next := cloneValues(r.query)
		next.Set("cursor", res.Next.Encode())
		h.Add("Link", linkHeader(s.formatURL(c, path, next, formatCSV), "next", "text/csv"))
	}
	h.Add("Link", linkHeader(s.formatURL(c, path, r.query, formatJSON), "alternate", geoJSON))
	h.Set("Content-Disposition", `attachment; filename="events.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", body.Bytes())
}

// linkHeader formats one RFC 8288 link-value.
func linkHeader(href, rel, typ string) string {
	return "<" + href + `>; rel="` + rel + `"; type="` + typ + `"`
}

// optInt writes unknown as an empty cell, never 0: unknown is not none.
func optInt(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

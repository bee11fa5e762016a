package api

import (
	"encoding/json"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"eventmap"
	"eventmap/geo"
	"eventmap/store"
)

// maxZoom is the deepest zoom clusters are computed for; Leaflet maps
// rarely go past 18, and beyond 22 a 64-pixel cell is under a metre.
const maxZoom = 22

// maxClusterPixels bounds the box clusters are asked for, measured in
// screen pixels at the requested zoom: 8192 pixels a side is a 128×128
// grid, so one request costs at most 16 384 cells however small the zoom
// or large the screen. A map asks for its visible box, far below this.
const maxClusterPixels = 8192

// summaryMaxAge lets a browser reuse a clusters or histogram answer
// while a user pans back and forth; after a minute it revalidates with
// If-None-Match. Answers that include restricted events are private.
const summaryMaxAge = "max-age=60"

var clustersParams = append(slices.Clone(filterParams), "zoom")
var histogramParams = append(slices.Clone(filterParams), "interval")

type clusterFeature struct {
	Type       string            `json:"type"`
	ID         string            `json:"id,omitempty"`
	BBox       [4]float64        `json:"bbox"`
	Geometry   clusterPoint      `json:"geometry"`
	Properties clusterProperties `json:"properties"`
}

type clusterPoint struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

type clusterProperties struct {
	Count        int64  `json:"count"`
	ID           string `json:"id,omitempty"`
	Type         string `json:"type,omitempty"`
	GeoPrecision string `json:"geo_precision,omitempty"`
}

type clusterCollection struct {
	Type           string           `json:"type"`
	Zoom           int              `json:"zoom"`
	CellPixels     int              `json:"cellPixels"`
	NumberMatched  int64            `json:"numberMatched"`
	NumberReturned int              `json:"numberReturned"`
	Features       []clusterFeature `json:"features"`
	Links          []link           `json:"links"`
}

// clustersHandler serves GET /collections/events/clusters: the events that
// the items filters select, counted per grid cell of about a cluster
// bubble at the given zoom. It is how the map shows a view that holds more
// events than a page: the answer's size depends on the screen, not on the
// number of events.
func (s *Server) clustersHandler(c echo.Context) error {
	q := c.QueryParams()
	if err := checkParams(q, clustersParams...); err != nil {
		return err
	}
	f, err := s.parseEventFilter(c, q)
	if err != nil {
		return err
	}
	zoom, err := parseZoom(q)
	if err != nil {
		return err
	}
	if f.BBox == nil {
		return eventmap.Invalid("bbox", "is required: clusters are computed for a view")
	}
	if w, h := pixelSize(*f.BBox, zoom); w > maxClusterPixels || h > maxClusterPixels {
		return eventmap.Invalid("bbox", "covers "+strconv.Itoa(w)+"×"+strconv.Itoa(h)+" pixels at zoom "+
			strconv.Itoa(zoom)+"; at most "+strconv.Itoa(maxClusterPixels)+" a side: use a smaller box or a lower zoom")
	}
	ctx, cancel := s.readContext(c)
	defer cancel()
	cells, matched, err := s.reader(c).ClusterEvents(ctx, f, zoom)
	if err != nil {
		return err
	}
	out := clusterCollection{
		Type: "FeatureCollection", Zoom: zoom, CellPixels: store.ClusterCellPixels,
		NumberMatched: matched, NumberReturned: len(cells),
		Features: make([]clusterFeature, len(cells)),
	}
	for i, cell := range cells {
		out.Features[i] = clusterFeature{
			Type:       "Feature",
			ID:         cell.ID,
			BBox:       [4]float64{round6(cell.West), round6(cell.South), round6(cell.East), round6(cell.North)},
			Geometry:   clusterPoint{Type: "Point", Coordinates: [2]float64{round6(cell.Lon), round6(cell.Lat)}},
			Properties: clusterProperties{Count: cell.Count, ID: cell.ID, Type: cell.Type, GeoPrecision: cell.GeoPrecision},
		}
	}
	items := cloneValues(q)
	items.Del("zoom")
	out.Links = []link{
		{Href: s.absURL(c, c.Request().URL.Path, q), Rel: "self", Type: geoJSON, Title: "these clusters"},
		{Href: s.absURL(c, "/collections/events/items", items), Rel: "items", Type: geoJSON, Title: "the events counted here"},
	}
	return s.summaryResponse(c, geoJSON, out)
}

type histogramBucket struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Count int64     `json:"count"`
}

type histogram struct {
	Interval      string            `json:"interval"`
	NumberMatched int64             `json:"numberMatched"`
	Buckets       []histogramBucket `json:"buckets"`
}

// histogramHandler serves GET /collections/events/histogram: how many of
// the events that the items filters select happened in each day, week,
// month or year (UTC). The map draws it above its time slider.
func (s *Server) histogramHandler(c echo.Context) error {
	q := c.QueryParams()
	if err := checkParams(q, histogramParams...); err != nil {
		return err
	}
	f, err := s.parseEventFilter(c, q)
	if err != nil {
		return err
	}
	interval := "month"
	if q.Has("interval") {
		interval = q.Get("interval")
		if !slices.Contains(store.HistogramIntervals, interval) {
			return eventmap.Invalid("interval", "must be one of "+strings.Join(store.HistogramIntervals, ", ")+", got "+strconv.Quote(interval))
		}
	}
	ctx, cancel := s.readContext(c)
	defer cancel()
	buckets, err := s.reader(c).EventHistogram(ctx, f, interval)
	if err != nil {
		return err
	}
	out := histogram{Interval: interval, Buckets: make([]histogramBucket, len(buckets))}
	for i, b := range buckets {
		out.NumberMatched += b.Count
		out.Buckets[i] = histogramBucket{Start: b.Start, End: periodEnd(b.Start, interval), Count: b.Count}
	}
	return s.summaryResponse(c, "application/json", out)
}

// periodEnd is the first instant after the period that starts at start.
func periodEnd(start time.Time, interval string) time.Time {
	switch interval {
	case "day":
		return start.AddDate(0, 0, 1)
	case "week":
		return start.AddDate(0, 0, 7)
	case "year":
		return start.AddDate(1, 0, 0)
	default:
		return start.AddDate(0, 1, 0)
	}
}

// summaryResponse writes v as JSON with a strong ETag over the bytes, and
// answers 304 when the client already holds them. The ETag is a hash, not
// a version: a summary has no single row whose version it could carry.
func (s *Server) summaryResponse(c echo.Context, contentType string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return eventmap.Errorf(eventmap.EINTERNAL, "encode response: %v", err)
	}
	body = append(body, '\n')
	setCacheControl(c)
	return cacheableBlob(c, contentType, body)
}

// parseZoom reads the zoom parameter: a required integer 0..maxZoom.
func parseZoom(q url.Values) (int, error) {
	v := q.Get("zoom")
	rule := "must be an integer from 0 to " + strconv.Itoa(maxZoom)
	if v == "" {
		return 0, eventmap.Invalid("zoom", "is required: "+rule)
	}
	z, err := strconv.Atoi(v)
	if err != nil || z < 0 || z > maxZoom {
		return 0, eventmap.Invalid("zoom", rule+", got "+strconv.Quote(v))
	}
	return z, nil
}

// pixelSize is how many screen pixels the box spans at zoom on a Web
// Mercator map of 256-pixel tiles, rounded up. Latitudes are clamped to
// the projection's limit, as the map itself does.
func pixelSize(b geo.BBox, zoom int) (w, h int) {
	world := 256 * math.Exp2(float64(zoom))
	y := func(lat float64) float64 {
		phi := max(-85.0511, min(85.0511, lat)) * math.Pi / 180
		return (1 - math.Log(math.Tan(phi)+1/math.Cos(phi))/math.Pi) / 2 * world
	}
	var width float64
	for _, bd := range b.Bounds() {
		width += (bd.Max[0] - bd.Min[0]) / 360 * world
	}
	bd := b.Bounds()[0]
	return int(math.Ceil(width)), int(math.Ceil(y(bd.Min[1]) - y(bd.Max[1])))
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

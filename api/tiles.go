package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"eventmap"
	"eventmap/store"
)

// Vector tiles (OGC API - Tiles, Mapbox Vector Tile encoding) of the
// events, for maps and desktop GIS that draw more events than a GeoJSON
// page holds. One tile matrix set, the registered WebMercatorQuad that
// every web map and QGIS use; its tile paths are tileMatrix/tileRow/
// tileCol, that is z/y/x.
const (
	mvtType          = "application/vnd.mapbox-vector-tile"
	tileMatrixSetID  = "WebMercatorQuad"
	tileMatrixSetURI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
	webMercatorCRS   = "http://www.opengis.net/def/crs/EPSG/0/3857"
	// maxTileZoom is the deepest tile matrix served, as for clusters.
	maxTileZoom = maxZoom
)

var tileRelScheme = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"

// tilesPath is where a collection's tilesets are.
func tilesPath(coll collection) string { return coll.path() + "/tiles" }

// tileFilter reads the items filters of a tile request for coll: they mean
// what they mean for its items (in events-points, spatial filters test
// the points).
func (s *Server) tileFilter(c echo.Context, coll collection, q url.Values) (store.EventFilter, error) {
	f := store.EventFilter{IncludeRestricted: seesRestricted(c), Shape: coll.shape}
	err := parseFilterParams(q, &f)
	return f, err
}

// tilesetQuery reads the filters of a tileset request: they select the
// events of every tile of it, so the tile URL template carries them.
func (s *Server) tilesetQuery(c echo.Context, coll collection, allowed ...string) (url.Values, error) {
	q := c.QueryParams()
	if err := checkParams(q, append(allowed, filterParams...)...); err != nil {
		return nil, err
	}
	// Checked here so a bad filter is a 400 now, not on every tile.
	if _, err := s.tileFilter(c, coll, q); err != nil {
		return nil, err
	}
	filters := cloneValues(q)
	for _, k := range allowed {
		filters.Del(k)
	}
	return filters, nil
}

// withQuery appends the filters to a URL whose path holds {template}
// variables, which absURL would escape.
func withQuery(u string, q url.Values) string {
	if len(q) == 0 {
		return u
	}
	return u + "?" + queryUnescaper.Replace(q.Encode())
}

// tilesetSummary is what the tilesets list and the tileset share.
func (s *Server) tilesetSummary(c echo.Context, coll collection, filters url.Values) map[string]any {
	return map[string]any{
		"title":            coll.Title,
		"dataType":         "vector",
		"crs":              webMercatorCRS,
		"tileMatrixSetURI": tileMatrixSetURI,
		"links": []link{
			{Href: withQuery(s.absURL(c, tilesPath(coll)+"/"+tileMatrixSetID, nil), filters), Rel: "self", Type: "application/json", Title: "the " + coll.ID + " tileset in WebMercatorQuad"},
			{Href: tileMatrixSetURI, Rel: tileRelScheme, Type: "application/json", Title: "the WebMercatorQuad tile matrix set definition"},
		},
	}
}

// tilesetsHandler serves GET /collections/{collectionId}/tiles: the
// tilesets of an events collection, one per tile matrix set (one:
// WebMercatorQuad).
func (s *Server) tilesetsHandler(c echo.Context) error {
	coll, err := eventCollectionOf(c, "tiles")
	if err != nil {
		return err
	}
	filters, err := s.tilesetQuery(c, coll, "f")
	if err != nil {
		return err
	}
	if _, err := negotiate(c, formatJSON); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{
		"tilesets": []any{s.tilesetSummary(c, coll, filters)},
		"links": []link{
			{Href: withQuery(s.absURL(c, tilesPath(coll), nil), filters), Rel: "self", Type: "application/json", Title: "the " + coll.ID + " tilesets"},
			{Href: s.absURL(c, coll.path(), nil), Rel: "collection", Type: "application/json", Title: "the " + coll.ID + " collection"},
		},
	})
}

// tileLayerFields are the properties of each feature of a tile, as
// TileJSON names their types; store.EventTile writes them.
var tileLayerFields = map[string]string{
	"id": "String", "type": "String", "status": "String", "geo_precision": "String", "title": "String",
	"occurred_at": "String", "fatalities": "Number", "count": "Number",
}

// tilesetHandler serves GET /collections/events/tiles/WebMercatorQuad:
// the tileset metadata (OGC 2D Tile Matrix Set and Tileset Metadata 2.0)
// with the templated tile link, or with f=tilejson the same as TileJSON
// 3.0 for MapLibre and Mapbox GL. Filters given here are carried into
// the tile URLs, so one URL describes e.g. the raids of 2025 as tiles.
func (s *Server) tilesetHandler(c echo.Context) error {
	coll, err := eventCollectionOf(c, "tiles")
	if err != nil {
		return err
	}
	if err := checkTileMatrixSet(c.Param("tileMatrixSetId")); err != nil {
		return err
	}
	filters, err := s.tilesetQuery(c, coll, "f")
	if err != nil {
		return err
	}
	f, err := negotiate(c, formatJSON, "tilejson")
	if err != nil {
		return err
	}
	base := s.absURL(c, tilesPath(coll)+"/"+tileMatrixSetID, nil)
	if f == "tilejson" {
		return c.JSON(http.StatusOK, map[string]any{
			"tilejson":    "3.0.0",
			"name":        "eventmap " + coll.ID,
			"description": "Conflict events; crowded tiles carry clusters with a count",
			"tiles":       []string{withQuery(base+"/{z}/{y}/{x}", filters)},
			"minzoom":     0,
			"maxzoom":     maxTileZoom,
			"bounds":      []float64{-180, -85.051129, 180, 85.051129},
			"vector_layers": []any{map[string]any{
				"id": store.TileLayer, "fields": tileLayerFields, "minzoom": 0, "maxzoom": maxTileZoom,
				"description": "one point or area per event; above " + strconv.Itoa(store.TileFeatureCap) + " events a tile holds clusters (count > 1)",
			}},
		})
	}
	limits := make([]map[string]any, 0, maxTileZoom+1)
	for z := 0; z <= maxTileZoom; z++ {
		last := 1<<z - 1
		limits = append(limits, map[string]any{"tileMatrix": strconv.Itoa(z), "minTileRow": 0, "maxTileRow": last, "minTileCol": 0, "maxTileCol": last})
	}
	props := map[string]any{}
	for name, typ := range tileLayerFields {
		t := "string"
		if typ == "Number" {
			t = "integer"
		}
		props[name] = map[string]any{"type": t}
	}
	ts := s.tilesetSummary(c, coll, filters)
	ts["description"] = "Every event the filters select as a point or area on Web Mercator tiles. " +
		"A tile that would hold more than " + strconv.Itoa(store.TileFeatureCap) + " events holds one cluster per " +
		strconv.Itoa(store.TileCellPixels) + "-pixel cell instead, with count; restricted events only for token holders."
	ts["tileMatrixSetLimits"] = limits
	ts["layers"] = []any{map[string]any{
		"id": store.TileLayer, "title": coll.Title, "dataType": "vector",
		"minTileMatrix": "0", "maxTileMatrix": strconv.Itoa(maxTileZoom),
		"propertiesSchema": map[string]any{"type": "object", "properties": props},
	}}
	ts["links"] = append(ts["links"].([]link),
		link{Href: withQuery(base+"/{tileMatrix}/{tileRow}/{tileCol}", filters), Rel: "item", Type: mvtType, Title: "a tile (templated: tileMatrix is z, tileRow y, tileCol x)", Templated: true},
		link{Href: withQuery(base, setF(filters, "tilejson")), Rel: "alternate", Type: "application/json", Title: "this tileset as TileJSON 3.0"},
		link{Href: s.absURL(c, coll.path(), nil), Rel: "collection", Type: "application/json", Title: "the " + coll.ID + " collection"},
	)
	return c.JSON(http.StatusOK, ts)
}

func setF(q url.Values, f string) url.Values {
	out := cloneValues(q)
	out.Set("f", f)
	return out
}

// tileHandler serves GET /collections/events/tiles/WebMercatorQuad/{z}/{y}/{x}:
// one Mapbox Vector Tile of the events the items filters select, with a
// strong ETag and Cache-Control like clusters. A tile with no event is a
// 204 (OGC API - Tiles allows it, and map clients skip it).
func (s *Server) tileHandler(c echo.Context) error {
	coll, err := eventCollectionOf(c, "tiles")
	if err != nil {
		return err
	}
	if err := checkTileMatrixSet(c.Param("tileMatrixSetId")); err != nil {
		return err
	}
	z, err := tileIndex(c.Param("tileMatrix"), "tileMatrix", maxTileZoom)
	if err != nil {
		return err
	}
	row, err := tileIndex(c.Param("tileRow"), "tileRow", 1<<z-1)
	if err != nil {
		return err
	}
	col, err := tileIndex(c.Param("tileCol"), "tileCol", 1<<z-1)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	if err := checkParams(q, append([]string{"f"}, filterParams...)...); err != nil {
		return err
	}
	// f=mvt changes nothing but the URL: GDAL's MVT driver takes a URL
	// that ends in a number for a directory of tiles, not a tile.
	if q.Has("f") && q.Get("f") != "mvt" {
		return eventmap.Invalid("f", "must be mvt, got "+strconv.Quote(q.Get("f")))
	}
	f, err := s.tileFilter(c, coll, q)
	if err != nil {
		return err
	}
	ctx, cancel := s.readContext(c)
	defer cancel()
	tile, err := s.reader(c).EventTile(ctx, f, z, col, row)
	if err != nil {
		return err
	}
	setCacheControl(c)
	if len(tile.MVT) == 0 {
		return c.NoContent(http.StatusNoContent)
	}
	return cacheableBlob(c, mvtType, tile.MVT)
}

// checkTileMatrixSet answers 404 for any tile matrix set but ours.
func checkTileMatrixSet(id string) error {
	if id == tileMatrixSetID {
		return nil
	}
	e := eventmap.Errorf(eventmap.ENOTFOUND, "no tile matrix set %q: the events are tiled in %s only", id, tileMatrixSetID)
	e.Errors = []eventmap.FieldError{{Field: "tileMatrixSetId", Rule: "must be " + tileMatrixSetID}}
	return e
}

// tileIndex reads a tile path segment: not a number is a 400, a number
// outside the tile matrix set a 404, as OGC API - Tiles asks.
func tileIndex(v, field string, max int) (int, error) {
	rule := "must be an integer from 0 to " + strconv.Itoa(max)
	n, err := strconv.Atoi(v)
	if err != nil || !isAllDigits(v) {
		return 0, eventmap.Invalid(field, rule+", got "+strconv.Quote(v))
	}
	if n < 0 || n > max {
		e := eventmap.Errorf(eventmap.ENOTFOUND, "%s %d is outside the tile matrix set (%s)", field, n, rule)
		e.Errors = []eventmap.FieldError{{Field: field, Rule: rule}}
		return 0, e
	}
	return n, nil
}

// setCacheControl lets browsers and shared caches reuse an answer for a
// minute; answers that may include restricted events are private.
func setCacheControl(c echo.Context) {
	if seesRestricted(c) {
		c.Response().Header().Set("Cache-Control", "private, "+summaryMaxAge)
	} else {
		c.Response().Header().Set("Cache-Control", "public, "+summaryMaxAge)
	}
}

// cacheableBlob writes body with a strong ETag (a hash of the bytes) and
// answers 304 when the client already holds them.
func cacheableBlob(c echo.Context, contentType string, body []byte) error {
	sum := sha256.Sum256(body)
	tag := `"` + hex.EncodeToString(sum[:12]) + `"`
	c.Response().Header().Set("ETag", tag)
	if held, ok := heldTag(c.Request().Header.Get("If-None-Match"), tag); ok {
		c.Response().Header().Set("ETag", held)
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, contentType, body)
}

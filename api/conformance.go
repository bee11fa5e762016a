package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// conformanceClasses is the one list of what this server claims; /conformance
// serves it and the HTML page shows it. Claim only what the tests prove.
// Not claimed: sortby and schemas (their OGC classes, Part 5, are still a
// draft; the schemas are served anyway). Basic CQL2 includes
// property-to-property comparisons; QGIS sends its filters to the server
// only when basic-cql2, filter, features-filter and cql2-text are all
// here (api/qgis_test.go replays what it sends).
var conformanceClasses = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	// OGC API - Tiles: vector tiles of the event collections (tiles.go).
	// Not claimed: dataset tilesets (each collection has its own),
	// collections selection, and the tile matrix set resources (the
	// tileset links to the registered WebMercatorQuad instead).
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/datetime",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
}

// conformanceHandler serves GET /conformance.
func (s *Server) conformanceHandler(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	f, err := negotiate(c, formatJSON, formatHTML)
	if err != nil {
		return err
	}
	if f == formatHTML {
		return s.renderHTML(c, "conformance", "Conformance", map[string]any{"ConformsTo": conformanceClasses},
			link{Href: s.formatURL(c, "/conformance", nil, formatJSON), Rel: "alternate", Type: "application/json", Title: "this document as JSON"})
	}
	return c.JSON(http.StatusOK, map[string]any{
		"conformsTo": conformanceClasses,
		"links": []link{
			{Href: s.absURL(c, "/conformance", nil), Rel: "self", Type: "application/json", Title: "this document"},
			{Href: s.formatURL(c, "/conformance", nil, formatHTML), Rel: "alternate", Type: "text/html", Title: "this document as HTML"},
		},
	})
}

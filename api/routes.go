package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// routes is the whole HTTP surface in one table.
func (s *Server) routes() {
	get := func(path string, h echo.HandlerFunc) {
		// HEAD is answered wherever GET is: link checkers and caches use it.
		s.echo.Match([]string{http.MethodGet, http.MethodHead}, path, h)
	}
	get("/", s.landingHandler)
	get("/conformance", s.conformanceHandler)
	get("/api", s.apiHandler)
	get("/api.html", s.apiHTMLHandler)
	get("/healthz", s.healthzHandler)
	get("/readyz", s.readyzHandler)
	get("/problems/:code", s.problemTypeHandler)

	get("/collections", s.collectionsHandler)
	get("/collections/events", s.collectionHandler)
	get("/collections/events/schema", s.schemaHandler)
	get("/collections/events/queryables", s.queryablesHandler)
	get("/collections/events/items", s.itemsHandler)
	get("/collections/events/items/:id", s.itemHandler)
	get("/collections/events/items/:id/revisions", s.revisionsHandler)
	get("/collections/events/deletions", s.deletionsHandler)
	get("/collections/events/clusters", s.clustersHandler)
	get("/collections/events/histogram", s.histogramHandler)
	// Vector tiles (OGC API - Tiles); see tiles.go.
	get("/collections/events/tiles", s.tilesetsHandler)
	get("/collections/events/tiles/:tileMatrixSetId", s.tilesetHandler)
	get("/collections/events/tiles/:tileMatrixSetId/:tileMatrix/:tileRow/:tileCol", s.tileHandler)
	get("/collections/regions/items", s.regionsHandler)

	// Writes (OGC API - Features Part 4), for token holders; see write.go.
	s.echo.POST("/collections/events/items", s.createHandler)
	s.echo.PUT("/collections/events/items/:id", s.replaceHandler)
	s.echo.PATCH("/collections/events/items/:id", s.patchHandler)
	s.echo.DELETE("/collections/events/items/:id", s.deleteHandler)
	// Bulk import of a whole file (role editor); see import.go.
	s.echo.POST(importPath, s.importHandler)

	get("/map", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/map/") })
	get("/map/config.json", s.mapConfigHandler)
	get("/map/*", s.mapFilesHandler())
}

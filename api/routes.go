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

	// Every collection (collections.go: events, events-points, events-areas,
	// regions) by its id; an unknown id is a 404 problem.
	get("/collections", s.collectionsHandler)
	get("/collections/:collectionId", s.collectionHandler)
	get("/collections/:collectionId/schema", s.schemaHandler)
	get("/collections/:collectionId/queryables", s.queryablesHandler)
	get("/collections/:collectionId/items", s.itemsHandler)
	get("/collections/:collectionId/items/:id", s.itemHandler)
	// Vector tiles (OGC API - Tiles) of the event collections; see tiles.go.
	get("/collections/:collectionId/tiles", s.tilesetsHandler)
	get("/collections/:collectionId/tiles/:tileMatrixSetId", s.tilesetHandler)
	get("/collections/:collectionId/tiles/:tileMatrixSetId/:tileMatrix/:tileRow/:tileCol", s.tileHandler)
	// What only the events collection has.
	get("/collections/events/items/:id/revisions", s.revisionsHandler)
	get("/collections/events/deletions", s.deletionsHandler)
	get("/collections/events/clusters", s.clustersHandler)
	get("/collections/events/histogram", s.histogramHandler)
	// The whole collection in one streamed file, public events only; see
	// download.go.
	get(downloadPath, s.downloadHandler)

	// Writes (OGC API - Features Part 4), for token holders; see write.go.
	// The other collections are read-only: their items answer 405.
	s.echo.POST("/collections/events/items", s.createHandler)
	s.echo.PUT("/collections/events/items/:id", s.replaceHandler)
	s.echo.PATCH("/collections/events/items/:id", s.patchHandler)
	s.echo.DELETE("/collections/events/items/:id", s.deleteHandler)
	// Bulk import of a whole file (role editor); see import.go.
	s.echo.POST(importPath, s.importHandler)
	// Imports answered early ("Prefer: respond-async"); see importjobs.go.
	get(jobsPath+"/:id", s.importJobHandler)
	s.echo.DELETE(jobsPath+"/:id", s.cancelImportJobHandler)

	get("/map", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/map/") })
	get("/map/config.json", s.mapConfigHandler)
	get("/map/*", s.mapFilesHandler())
}

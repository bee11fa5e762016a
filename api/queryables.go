package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"eventmap/store"
)

// queryablesHandler serves GET /collections/{collectionId}/queryables (OGC
// API - Features Part 3): the JSON Schema of the properties a CQL2 filter
// may name. It is made from the same allow-list the filter is checked
// against (store.QueryablesFor the collection's shape, or the regions'),
// so the document cannot promise what the filter refuses.
func (s *Server) queryablesHandler(c echo.Context) error {
	coll, err := collectionOf(c)
	if err != nil {
		return err
	}
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	if _, err := negotiate(c, formatJSON); err != nil {
		return err
	}
	qs := store.QueryablesFor(coll.shape)
	if coll.regions {
		qs = store.RegionQueryables
	}
	doc := qs.JSONSchema(s.absURL(c, coll.path()+"/queryables", nil), "Queryable properties of "+coll.Title)
	c.Response().Header().Set(echo.HeaderContentType, "application/schema+json")
	return c.JSON(http.StatusOK, doc)
}

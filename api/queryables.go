package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"eventmap/store"
)

// queryablesHandler serves GET /collections/events/queryables (OGC API -
// Features Part 3): the JSON Schema of the properties a CQL2 filter may
// name. It is made from store.Queryables, the same allow-list the filter
// is checked against, so the document cannot promise what the filter
// refuses.
func (s *Server) queryablesHandler(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	if _, err := negotiate(c, formatJSON); err != nil {
		return err
	}
	doc := store.Queryables.JSONSchema(s.absURL(c, "/collections/events/queryables", nil), "Queryable properties of events")
	c.Response().Header().Set(echo.HeaderContentType, "application/schema+json")
	return c.JSON(http.StatusOK, doc)
}

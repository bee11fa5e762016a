package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// landingHandler serves "/": people with a browser go to the map; programs
// get a JSON document of links.
func (s *Server) landingHandler(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	if accept := c.Request().Header.Get(echo.HeaderAccept); strings.Contains(accept, "text/html") && c.QueryParam("f") == "" {
		return c.Redirect(http.StatusSeeOther, "/map/")
	}
	return c.JSON(http.StatusOK, map[string]any{
		"title":       "eventmap",
		"description": "Conflict events with their facts, sources and history, as GeoJSON.",
		"links": []link{
			{Href: s.absURL(c, "/", nil), Rel: "self", Type: "application/json", Title: "this document"},
			{Href: s.absURL(c, "/collections", nil), Rel: "data", Type: "application/json", Title: "feature collections"},
			{Href: s.absURL(c, "/collections/events/items", nil), Rel: "items", Type: geoJSON, Title: "events as GeoJSON"},
			{Href: s.absURL(c, "/map/", nil), Rel: "alternate", Type: "text/html", Title: "the event map"},
		},
	})
}

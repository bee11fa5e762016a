package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// landingHandler serves "/": a browser that asks for HTML without an f is
// sent to the map, since that is what a person typing the address wants;
// ?f=html gives the HTML landing page and programs get the OGC landing
// document of links.
func (s *Server) landingHandler(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	f, err := negotiate(c, formatJSON, formatHTML)
	if err != nil {
		return err
	}
	if f == formatHTML && !c.QueryParams().Has("f") {
		return c.Redirect(http.StatusSeeOther, "/map/")
	}
	const description = "Conflict events with their facts, sources and history, as GeoJSON."
	if f == formatHTML {
		return s.renderHTML(c, "landing", "eventmap", map[string]any{"Description": description},
			link{Href: s.formatURL(c, "/", nil, formatJSON), Rel: "alternate", Type: "application/json", Title: "JSON"})
	}
	return c.JSON(http.StatusOK, map[string]any{
		"title":       "eventmap",
		"description": description,
		"links": []link{
			{Href: s.absURL(c, "/", nil), Rel: "self", Type: "application/json", Title: "this document"},
			{Href: s.formatURL(c, "/", nil, formatHTML), Rel: "alternate", Type: "text/html", Title: "this document as HTML"},
			{Href: s.absURL(c, "/api", nil), Rel: "service-desc", Type: openAPIType, Title: "the API definition (OpenAPI 3.0)"},
			{Href: s.absURL(c, "/api.html", nil), Rel: "service-doc", Type: "text/html", Title: "the API documentation"},
			{Href: s.absURL(c, "/conformance", nil), Rel: "conformance", Type: "application/json", Title: "OGC API conformance classes implemented"},
			{Href: s.absURL(c, "/collections", nil), Rel: "data", Type: "application/json", Title: "feature collections"},
			{Href: s.absURL(c, "/collections/events/items", nil), Rel: "items", Type: geoJSON, Title: "events as GeoJSON"},
			{Href: s.absURL(c, "/map/", nil), Rel: "related", Type: "text/html", Title: "the event map"},
		},
	})
}

package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"eventmap/geo"
	"eventmap/store"
)

const crs84 = geo.URICRS84

// collectionsHandler serves GET /collections: the one feature collection.
func (s *Server) collectionsHandler(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	f, err := negotiate(c, formatJSON, formatHTML)
	if err != nil {
		return err
	}
	coll, err := s.eventsCollection(c)
	if err != nil {
		return err
	}
	if f == formatHTML {
		return s.renderHTML(c, "collections", "Collections", map[string]any{"Collections": []any{coll}},
			link{Href: s.formatURL(c, "/collections", nil, formatJSON), Rel: "alternate", Type: "application/json", Title: "JSON"})
	}
	return c.JSON(http.StatusOK, map[string]any{
		"collections": []any{coll},
		"links": []link{
			{Href: s.absURL(c, "/collections", nil), Rel: "self", Type: "application/json", Title: "collections"},
			{Href: s.formatURL(c, "/collections", nil, formatHTML), Rel: "alternate", Type: "text/html", Title: "collections as HTML"},
		},
	})
}

// collectionHandler serves GET /collections/events.
func (s *Server) collectionHandler(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	f, err := negotiate(c, formatJSON, formatHTML)
	if err != nil {
		return err
	}
	coll, err := s.eventsCollection(c)
	if err != nil {
		return err
	}
	if f == formatHTML {
		return s.renderHTML(c, "collection", coll["title"].(string), coll,
			link{Href: s.formatURL(c, "/collections/events", nil, formatJSON), Rel: "alternate", Type: "application/json", Title: "JSON"})
	}
	return c.JSON(http.StatusOK, coll)
}

func (s *Server) eventsCollection(c echo.Context) (map[string]any, error) {
	ctx, cancel := s.readContext(c)
	defer cancel()
	ext, err := s.reader(c).EventExtent(ctx, store.EventFilter{IncludeRestricted: seesRestricted(c)})
	if err != nil {
		return nil, err
	}
	extent := map[string]any{}
	if ext.BBox != nil {
		extent["spatial"] = map[string]any{"bbox": [][4]float64{*ext.BBox}, "crs": crs84}
	}
	if ext.Start != nil {
		extent["temporal"] = map[string]any{
			"interval": [][2]string{{ext.Start.Format(time.RFC3339), ext.End.Format(time.RFC3339)}},
			"trs":      "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
		}
	}
	items := "/collections/events/items"
	return map[string]any{
		"id":          "events",
		"title":       "Conflict events",
		"description": "Raids, strikes, clashes and other incidents with their facts, actors, sources and precision.",
		"itemType":    "feature",
		"extent":      extent,
		// Part 2: the CRSs crs and bbox-crs accept; data is stored in CRS84.
		"crs":        geo.CRSURIs(),
		"storageCrs": crs84,
		"links": []link{
			{Href: s.absURL(c, "/collections/events", nil), Rel: "self", Type: "application/json", Title: "this collection"},
			{Href: s.formatURL(c, "/collections/events", nil, formatHTML), Rel: "alternate", Type: "text/html", Title: "this collection as HTML"},
			{Href: s.absURL(c, items, nil), Rel: "items", Type: geoJSON, Title: "the events as GeoJSON"},
			{Href: s.formatURL(c, items, nil, formatHTML), Rel: "items", Type: "text/html", Title: "the events as a web page"},
			{Href: s.formatURL(c, items, nil, formatCSV), Rel: "items", Type: "text/csv", Title: "the events as CSV"},
			{Href: s.absURL(c, "/collections/events/schema", nil), Rel: "describedby", Type: "application/schema+json", Title: "JSON Schema of the event properties"},
			{Href: s.absURL(c, "/collections/events/queryables", nil), Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: "application/schema+json", Title: "properties a CQL2 filter may name"},
			{Href: s.absURL(c, tilesPath, nil), Rel: "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", Type: "application/json", Title: "the events as vector tiles"},
		},
	}, nil
}

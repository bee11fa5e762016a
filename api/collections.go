package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"eventmap"
	"eventmap/geo"
	"eventmap/store"
)

const crs84 = geo.URICRS84

// collection is one feature collection of /collections. The event
// collections show the same events through a store.Shape; regions is the
// named regions.
type collection struct {
	ID, Title, Description string
	shape                  store.Shape
	regions                bool
	// geometry is the JSON Schema format of every feature's geometry (the
	// draft of OGC API - Features Part 5), which clients type layers by.
	geometry string
}

// collections are what /collections lists, in that order. A GIS client
// that draws one geometry kind per layer (QGIS, ArcGIS) types the layer
// from the first features it reads, so the mixed events collection shows
// either its points or its areas there; events-points and events-areas
// hold one kind each (docs/gis-clients.md).
var collections = []collection{
	{ID: "events", Title: "Conflict events",
		Description: "Raids, strikes, clashes and other incidents with their facts, actors, sources and precision. " +
			"Each geometry as recorded: a point, or an area for an imprecise place. " +
			"For a GIS layer of one geometry kind (QGIS) use events-points or events-areas.",
		shape: store.AsStored, geometry: "geometry-any"},
	{ID: "events-points", Title: "Conflict events as points",
		Description: "Every event as one point, for map layers of points: an event recorded as an area is shown by a point inside it, " +
			"and its geo_precision is then never exact. The same events, filters and properties as events.",
		shape: store.AsPoint, geometry: "geometry-point"},
	{ID: "events-areas", Title: "Conflict events recorded as areas",
		Description: "Only the events recorded as areas (imprecise places such as \"across southern Syria\"), each as a MultiPolygon. " +
			"The same filters and properties as events.",
		shape: store.AreasOnly, geometry: "geometry-multipolygon"},
	{ID: "regions", Title: "Regions",
		Description: "Named regions such as the Badiya desert; a region's id is the value of the events' region filter.",
		regions:     true, geometry: "geometry-multipolygon"},
}

// CollectionIDs lists the collection ids, for tests that map the routes
// onto the API document.
func CollectionIDs() []string {
	ids := make([]string, len(collections))
	for i, c := range collections {
		ids[i] = c.ID
	}
	return ids
}

// collectionOf is the collection a /collections/{collectionId}/... request
// names, or a 404 problem.
func collectionOf(c echo.Context) (collection, error) {
	id := c.Param("collectionId")
	for _, coll := range collections {
		if coll.ID == id {
			return coll, nil
		}
	}
	e := eventmap.Errorf(eventmap.ENOTFOUND, "no collection %q: the collections are %s", id, orList(CollectionIDs()))
	e.Errors = []eventmap.FieldError{{Field: "collectionId", Rule: "must be one of " + orList(CollectionIDs())}}
	return collection{}, e
}

// eventCollectionOf is collectionOf for resources only event collections
// have (tiles).
func eventCollectionOf(c echo.Context, what string) (collection, error) {
	coll, err := collectionOf(c)
	if err == nil && coll.regions {
		e := eventmap.Errorf(eventmap.ENOTFOUND, "the regions collection has no %s", what)
		e.Errors = []eventmap.FieldError{{Field: "collectionId", Rule: "must be an events collection for " + what}}
		return coll, e
	}
	return coll, err
}

func (coll collection) path() string { return "/collections/" + coll.ID }

// collectionsHandler serves GET /collections: every collection with its
// extent. Its ETag comes from the dataset version, so an unchanged
// dataset answers 304 without computing the extents.
func (s *Server) collectionsHandler(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	f, err := negotiate(c, formatJSON, formatHTML)
	if err != nil {
		return err
	}
	ctx, cancel := s.readContext(c)
	defer cancel()
	db := s.reader(c)
	snap, err := db.DatasetVersion(ctx, seesRestricted(c))
	if err != nil {
		return err
	}
	if validate(c, versionTag(snap, "/collections", f, visibilityPart(c), s.absURL(c, "", nil))) {
		return notModified(c)
	}
	docs, err := s.collectionDocs(c, collections...)
	if err != nil {
		return err
	}
	if f == formatHTML {
		return s.renderHTML(c, "collections", "Collections", map[string]any{"Collections": docs},
			link{Href: s.formatURL(c, "/collections", nil, formatJSON), Rel: "alternate", Type: "application/json", Title: "JSON"})
	}
	return c.JSON(http.StatusOK, map[string]any{
		"collections": docs,
		"links": []link{
			{Href: s.absURL(c, "/collections", nil), Rel: "self", Type: "application/json", Title: "collections"},
			{Href: s.formatURL(c, "/collections", nil, formatHTML), Rel: "alternate", Type: "text/html", Title: "collections as HTML"},
		},
	})
}

// collectionHandler serves GET /collections/{collectionId}.
func (s *Server) collectionHandler(c echo.Context) error {
	coll, err := collectionOf(c)
	if err != nil {
		return err
	}
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	f, err := negotiate(c, formatJSON, formatHTML)
	if err != nil {
		return err
	}
	ctx, cancel := s.readContext(c)
	defer cancel()
	snap, err := s.reader(c).DatasetVersion(ctx, seesRestricted(c))
	if err != nil {
		return err
	}
	if validate(c, versionTag(snap, coll.path(), f, visibilityPart(c), s.absURL(c, "", nil))) {
		return notModified(c)
	}
	docs, err := s.collectionDocs(c, coll)
	if err != nil {
		return err
	}
	doc := docs[0]
	if f == formatHTML {
		return s.renderHTML(c, "collection", coll.Title, doc,
			link{Href: s.formatURL(c, coll.path(), nil, formatJSON), Rel: "alternate", Type: "application/json", Title: "JSON"})
	}
	return c.JSON(http.StatusOK, doc)
}

// collectionDocs are the collection documents of colls, with the extents
// read once for all of them.
func (s *Server) collectionDocs(c echo.Context, colls ...collection) ([]map[string]any, error) {
	ctx, cancel := s.readContext(c)
	defer cancel()
	db := s.reader(c)
	var events, areas store.Extent
	var regions *[4]float64
	var err error
	for _, coll := range colls {
		if coll.regions {
			if regions, err = db.RegionExtent(ctx); err != nil {
				return nil, err
			}
		} else if events.BBox == nil && events.Start == nil {
			if events, areas, err = db.EventExtents(ctx, store.EventFilter{IncludeRestricted: seesRestricted(c)}); err != nil {
				return nil, err
			}
		}
	}
	docs := make([]map[string]any, len(colls))
	for i, coll := range colls {
		ext := events
		switch {
		case coll.regions:
			ext = store.Extent{BBox: regions}
		case coll.shape == store.AreasOnly:
			ext = areas
		}
		docs[i] = s.collectionDoc(c, coll, ext)
	}
	return docs, nil
}

func (s *Server) collectionDoc(c echo.Context, coll collection, ext store.Extent) map[string]any {
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
	path := coll.path()
	items := path + "/items"
	links := []link{
		{Href: s.absURL(c, path, nil), Rel: "self", Type: "application/json", Title: "this collection"},
		{Href: s.formatURL(c, path, nil, formatHTML), Rel: "alternate", Type: "text/html", Title: "this collection as HTML"},
		{Href: s.absURL(c, items, nil), Rel: "items", Type: geoJSON, Title: coll.Title + " as GeoJSON"},
	}
	if !coll.regions {
		links = append(links,
			link{Href: s.formatURL(c, items, nil, formatHTML), Rel: "items", Type: "text/html", Title: coll.Title + " as a web page"},
			link{Href: s.formatURL(c, items, nil, formatCSV), Rel: "items", Type: "text/csv", Title: coll.Title + " as CSV"})
	}
	links = append(links,
		link{Href: s.absURL(c, path+"/schema", nil), Rel: "describedby", Type: "application/schema+json", Title: "JSON Schema of the features"},
		link{Href: s.absURL(c, path+"/schema", nil), Rel: "http://www.opengis.net/def/rel/ogc/1.0/schema", Type: "application/schema+json", Title: "JSON Schema of the features"},
		link{Href: s.absURL(c, path+"/queryables", nil), Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: "application/schema+json", Title: "properties a CQL2 filter may name"})
	if !coll.regions {
		links = append(links, link{Href: s.absURL(c, path+"/tiles", nil), Rel: "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", Type: "application/json", Title: coll.Title + " as vector tiles"})
	}
	return map[string]any{
		"id":          coll.ID,
		"title":       coll.Title,
		"description": coll.Description,
		"itemType":    "feature",
		"extent":      extent,
		// Part 2: the CRSs crs and bbox-crs accept; data is stored in CRS84.
		"crs":        geo.CRSURIs(),
		"storageCrs": crs84,
		"links":      links,
	}
}

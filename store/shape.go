package store

import (
	"eventmap"
	"eventmap/cql2"
	"eventmap/geo"
)

// Shape is how a collection presents each event's geometry. GIS clients
// such as QGIS type a layer by one geometry kind, taken from the first
// features they read: a mixed collection shows either its points or its
// areas, never both. The events-points and events-areas collections hold
// one kind each, with the same filters, paging, visibility and CRSs as the
// mixed one.
type Shape int

const (
	// AsStored presents the geometry as written: a point, an area, a
	// line, or a collection of them (the events collection).
	AsStored Shape = iota
	// AsPoint presents every event as one point: a point as stored, any
	// other geometry by ST_PointOnSurface, a point inside it (events-points).
	// Such a point is not where the event happened, so its geo_precision
	// is never "exact" (see servedPointSQL).
	AsPoint
	// AreasOnly selects the events stored as areas (polygonal geometries)
	// and presents each as a MultiPolygon, the polygonal part of what was
	// stored (events-areas): one type, whatever the number of parts.
	AreasOnly
)

// areaCondition selects events stored as areas: ST_Dimension is 2 for
// polygons, multipolygons and collections holding one.
const areaCondition = "ST_Dimension(e.geom) = 2"

// pointOfEvent is the point events-points shows for event e; it lies
// within e.geom, which keeps the GiST index on geom usable to find it.
const pointOfEvent = "ST_PointOnSurface(e.geom)"

// geometryIn is the expression that writes e's geometry as f's shape
// presents it, in crs: one of geometrySQL's expressions for the stored
// shape, and the same forms around the point or the areas otherwise.
func (f EventFilter) geometryIn(crs geo.CRS) (string, error) {
	if f.Shape == AsStored {
		return geometrySQL(crs)
	}
	g := pointOfEvent
	if f.Shape == AreasOnly {
		g = "ST_Multi(ST_CollectionExtract(e.geom, 3))"
	}
	switch crs {
	case geo.CRS{}, geo.CRS84:
		return `ST_AsGeoJSON(ST_ForcePolygonCCW(` + g + `), 6)::json`, nil
	case geo.EPSG4326:
		return `ST_AsGeoJSON(ST_FlipCoordinates(ST_ForcePolygonCCW(` + g + `)), 6)::json`, nil
	case geo.EPSG3857:
		return `ST_AsGeoJSON(ST_ForcePolygonCCW(ST_Transform(` + g + `, 3857)), 2, 0)::json`, nil
	}
	return "", eventmap.Errorf(eventmap.EINTERNAL, "no geometry expression for CRS %q", crs.URI)
}

// tileGeometry is the geometry a vector tile of the shape's collection
// draws for event e.
func (s Shape) tileGeometry() string {
	switch s {
	case AsPoint:
		return pointOfEvent
	case AreasOnly:
		return "ST_CollectionExtract(e.geom, 3)"
	}
	return "e.geom"
}

// servedPointSQL is servedFeatureSQL for events-points: the stored
// document with the point spliced in as its geometry. An event stored as
// anything but a point is shown by a point somewhere inside its area or
// along its line, so an "exact" geo_precision becomes "region" (ACLED 3:
// a point standing for a larger area); town and region stay. The
// properties are text here: json_build_object writes the member as
// `"geo_precision" : "exact"` (a space before the colon), which no string
// value can hold unescaped and which jsonb (extra) writes without the
// first space, so the replacement can only hit that member.
func servedPointSQL(geom string) string {
	stored := `COALESCE(e.feature, (` + featureSQLIn(geometryCRS84) + `)::text)`
	props := `substr(` + stored + `, strpos(` + stored + `, '"properties" : ') + 15)`
	return `('{"type" : "Feature", "id" : "' || e.id || '", "geometry" : ' || (` + geom + `)::text || ', "properties" : ' ||
		CASE WHEN ST_GeometryType(e.geom) = 'ST_Point' THEN ` + props + `
		     ELSE replace(` + props + `, '"geo_precision" : "exact"', '"geo_precision" : "region"') END)`
}

// pastPointSQL is servedPointSQL for a past state (as_of): the snapshot
// with the point as geometry, and the same rule for geo_precision.
func pastPointSQL(geom string) string {
	doc := "jsonb_set(e.snapshot, '{geometry}', (" + geom + ")::jsonb)"
	return `CASE WHEN ST_GeometryType(e.geom) <> 'ST_Point' AND e.snapshot#>>'{properties,geo_precision}' = 'exact'
		THEN jsonb_set(` + doc + `, '{properties,geo_precision}', '"region"') ELSE ` + doc + ` END`
}

// geometryQueryable is the geometry a filter names (S_INTERSECTS, bbox,
// region) as f's shape presents it: in events-points the point, found
// through the stored geometry it lies in.
func (s Shape) geometryQueryable() queryable {
	switch s {
	case AsPoint:
		return queryable{Queryable: cql2.Queryable{Name: "geometry", Type: cql2.Geometry, Format: "geometry-point",
			Description: "Where it happened (WGS 84): the event's point, or a point inside its area"}, column: pointOfEvent, within: "e.geom"}
	case AreasOnly:
		return queryable{Queryable: cql2.Queryable{Name: "geometry", Type: cql2.Geometry, Format: "geometry-multipolygon",
			Description: "The area the event happened somewhere in (WGS 84)"}, column: "e.geom"}
	}
	return geometryQueryableStored
}

// queryables is the allow-list a filter of this shape is checked and
// compiled against: the events' queryables with the shape's geometry.
func (s Shape) queryables() queryableSet {
	out := make(queryableSet, len(queryables))
	copy(out, queryables)
	for i := range out {
		if out[i].Type == cql2.Geometry {
			out[i] = s.geometryQueryable()
		}
	}
	return out
}

// QueryablesFor is Queryables for a collection of the given shape, for
// cql2.Parse and the collection's queryables document.
func QueryablesFor(s Shape) cql2.Queryables { return s.queryables().public() }

// ParseFilterFor is ParseFilter for a collection of the given shape.
func ParseFilterFor(s Shape, lang, src string) (cql2.Expr, error) {
	return cql2.Parse(lang, src, QueryablesFor(s), cql2.DefaultLimits)
}

// intersects is the condition that e's geometry, as the shape presents
// it, intersects g (an SQL expression in SRID 4326). For a point inside
// the stored geometry the stored geometry must intersect g too, and that
// test goes first so the GiST index on geom bounds the scan.
func (qb queryable) intersects(g string) string {
	if qb.within != "" {
		return "(ST_Intersects(" + qb.within + ", " + g + ") AND ST_Intersects(" + qb.column + ", " + g + "))"
	}
	return "ST_Intersects(" + qb.column + ", " + g + ")"
}

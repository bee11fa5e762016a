package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"eventmap"
	"eventmap/cql2"
	"eventmap/geo"
)

// PutRegion inserts or replaces a named region. Polygons are stored as
// MultiPolygons so every region has one geometry type.
func (tx *Tx) PutRegion(ctx context.Context, r eventmap.Region) error {
	g := r.Geometry
	if p, ok := g.(orb.Polygon); ok {
		g = orb.MultiPolygon{p}
	}
	_, err := tx.tx.ExecContext(ctx, `
		INSERT INTO regions (id, name, description, geom, approximate)
		VALUES ($1, $2, $3, ST_GeomFromWKB($4, 4326), $5)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description,
			geom = EXCLUDED.geom, approximate = EXCLUDED.approximate`,
		r.ID, r.Name, r.Description, wkb.Value(g), r.Approximate)
	if err != nil {
		return wrapErr(err, "put region")
	}
	return nil
}

// The regions collection: reference shapes, not events, so they have no
// visibility of their own and everyone may read them. A region's Feature
// has its id (the value of the events' region filter), name, description
// and whether the outline is approximate.

// RegionFilter selects regions; the zero value selects all of them.
type RegionFilter struct {
	BBox *geo.BBox
	// Where is a CQL2 filter parsed against RegionQueryables.
	Where cql2.Expr
}

// RegionPage asks for at most Limit regions after skipping Offset, in id
// order, with geometries in CRS. Regions are a handful of rows, so they
// page by offset.
type RegionPage struct {
	Limit, Offset int
	CRS           geo.CRS
}

// RegionList is one page of regions.
type RegionList struct {
	// Features are GeoJSON Feature texts made by PostGIS, in id order.
	Features []json.RawMessage
	// Matched is how many regions the filter selects; More says some come
	// after this page.
	Matched int64
	More    bool
}

// regionQueryables is the allow-list of region filter properties.
var regionQueryables = queryableSet{
	{Queryable: cql2.Queryable{Name: "id", Type: cql2.String, Description: "The region's id, the value of the events' region filter"}, column: "r.id"},
	{Queryable: cql2.Queryable{Name: "name", Type: cql2.String, Description: "Name"}, column: "r.name"},
	{Queryable: cql2.Queryable{Name: "description", Type: cql2.String, Description: "What the outline shows"}, column: "r.description"},
	{Queryable: cql2.Queryable{Name: "approximate", Type: cql2.Boolean, Description: "True when the outline is hand-drawn, not surveyed"}, column: "r.approximate"},
	{Queryable: cql2.Queryable{Name: "geometry", Type: cql2.Geometry, Format: "geometry-multipolygon", Description: "The outline (WGS 84)"}, column: "r.geom"},
}

// RegionQueryables is what a regions filter may name, for cql2.Parse and
// the collection's queryables document.
var RegionQueryables = regionQueryables.public()

// ParseRegionFilter reads filter and filter-lang against RegionQueryables.
func ParseRegionFilter(lang, src string) (cql2.Expr, error) {
	return cql2.Parse(lang, src, RegionQueryables, cql2.DefaultLimits)
}

// regionFeatureSQL is one regions row r as a GeoJSON Feature, its outline
// written in crs as events' geometries are (6 decimals, counter-clockwise
// rings, no crs member).
func regionFeatureSQL(crs geo.CRS) (string, error) {
	var geom string
	switch crs {
	case geo.CRS{}, geo.CRS84:
		geom = `ST_AsGeoJSON(ST_ForcePolygonCCW(r.geom), 6)::json`
	case geo.EPSG4326:
		geom = `ST_AsGeoJSON(ST_FlipCoordinates(ST_ForcePolygonCCW(r.geom)), 6)::json`
	case geo.EPSG3857:
		geom = `ST_AsGeoJSON(ST_ForcePolygonCCW(ST_Transform(r.geom, 3857)), 2, 0)::json`
	default:
		return "", eventmap.Errorf(eventmap.EINTERNAL, "no geometry expression for CRS %q", crs.URI)
	}
	return `json_build_object(
		'type', 'Feature',
		'id', r.id,
		'geometry', ` + geom + `,
		'properties', json_build_object('name', r.name, 'description', r.description, 'approximate', r.approximate)
	)::text`, nil
}

// ListRegions returns one page of the regions f selects, in id order.
func (db *DB) ListRegions(ctx context.Context, f RegionFilter, p RegionPage) (RegionList, error) {
	feature, err := regionFeatureSQL(p.CRS)
	if err != nil {
		return RegionList{}, err
	}
	var q query
	f.apply(&q)
	rows, err := db.db.QueryContext(ctx, `
		SELECT `+feature+`, count(*) OVER ()
		FROM regions r
		WHERE `+q.whereSQL()+`
		ORDER BY r.id
		LIMIT `+q.arg(p.Limit)+` OFFSET `+q.arg(p.Offset), q.args...)
	if err != nil {
		return RegionList{}, wrapErr(err, "list regions")
	}
	defer rows.Close()
	var out RegionList
	for rows.Next() {
		var text string
		if err := rows.Scan(&text, &out.Matched); err != nil {
			return RegionList{}, wrapErr(err, "scan region")
		}
		out.Features = append(out.Features, json.RawMessage(text))
	}
	if err := rows.Err(); err != nil {
		return RegionList{}, wrapErr(err, "list regions")
	}
	if len(out.Features) == 0 && p.Offset > 0 {
		// Past the end the window function has no row to count on.
		var cq query
		f.apply(&cq)
		if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM regions r WHERE `+cq.whereSQL(), cq.args...).Scan(&out.Matched); err != nil {
			return RegionList{}, wrapErr(err, "count regions")
		}
	}
	out.More = int64(p.Offset+len(out.Features)) < out.Matched
	return out, nil
}

// GetRegion returns one region as a GeoJSON Feature, or ENOTFOUND.
func (db *DB) GetRegion(ctx context.Context, id string, crs geo.CRS) ([]byte, error) {
	feature, err := regionFeatureSQL(crs)
	if err != nil {
		return nil, err
	}
	var text []byte
	err = db.db.QueryRowContext(ctx, `SELECT `+feature+` FROM regions r WHERE r.id = $1`, id).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, eventmap.Errorf(eventmap.ENOTFOUND, "no region with id %q", id)
	}
	if err != nil {
		return nil, wrapErr(err, "get region")
	}
	return text, nil
}

// RegionExtent is the box around every region, nil when there is none.
func (db *DB) RegionExtent(ctx context.Context) (*[4]float64, error) {
	var minx, miny, maxx, maxy sql.NullFloat64
	err := db.db.QueryRowContext(ctx, `
		SELECT ST_XMin(x.b), ST_YMin(x.b), ST_XMax(x.b), ST_YMax(x.b)
		FROM (SELECT ST_Extent(r.geom) AS b FROM regions r) x`).Scan(&minx, &miny, &maxx, &maxy)
	if err != nil {
		return nil, wrapErr(err, "compute region extent")
	}
	if !minx.Valid {
		return nil, nil
	}
	return &[4]float64{minx.Float64, miny.Float64, maxx.Float64, maxy.Float64}, nil
}

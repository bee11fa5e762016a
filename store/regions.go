package store

import (
	"context"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"eventmap"
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

// ListRegions returns every region as a GeoJSON FeatureCollection built by
// PostGIS, ordered by id: id, name, description and whether the outline is
// approximate. Regions are reference shapes, not events, so they have no
// visibility of their own and everyone may read them.
func (db *DB) ListRegions(ctx context.Context) ([]byte, error) {
	var fc []byte
	err := db.db.QueryRowContext(ctx, `
		SELECT json_build_object(
			'type', 'FeatureCollection',
			'features', COALESCE(json_agg(json_build_object(
				'type', 'Feature',
				'id', r.id,
				'geometry', ST_AsGeoJSON(ST_ForcePolygonCCW(r.geom), 6)::json,
				'properties', json_build_object(
					'name', r.name, 'description', r.description, 'approximate', r.approximate)
			) ORDER BY r.id), '[]'::json)
		)::text
		FROM regions r`).Scan(&fc)
	if err != nil {
		return nil, wrapErr(err, "list regions")
	}
	return fc, nil
}

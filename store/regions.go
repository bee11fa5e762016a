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

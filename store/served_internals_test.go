package store

import (
	"context"

	"eventmap/geo"
)

// StaleServedFeatures counts the undeleted events whose stored Feature
// differs from the one built from their rows now, and those that have
// none: both must be 0 after every committed write.
func (db *DB) StaleServedFeatures(ctx context.Context) (stale, missing int, err error) {
	err = db.db.QueryRowContext(ctx, `
		SELECT count(*) FILTER (WHERE e.feature IS DISTINCT FROM (`+featureSQLIn(geometryCRS84)+`)::text),
		       count(*) FILTER (WHERE e.feature IS NULL)
		FROM events e WHERE e.deleted_at IS NULL`).Scan(&stale, &missing)
	return stale, missing, err
}

// ServedAndBuiltFeature returns event id's Feature in crs as reads serve
// it (from the stored document) and as built from its rows.
func (db *DB) ServedAndBuiltFeature(ctx context.Context, id string, crs geo.CRS) (served, built string, err error) {
	geom, err := geometrySQL(crs)
	if err != nil {
		return "", "", err
	}
	err = db.db.QueryRowContext(ctx, `
		SELECT `+servedFeatureSQL(geom)+`, (`+featureSQLIn(geom)+`)::text FROM events e WHERE e.id = $1`, id).Scan(&served, &built)
	return served, built, err
}

// ForgetShapeForTest makes the next RefreshServedFeatures rebuild every
// document, as a release that adds a property does.
func (db *DB) ForgetShapeForTest(ctx context.Context) error {
	_, err := db.db.ExecContext(ctx, `UPDATE served_feature_shape SET hash = 'old'; UPDATE events SET feature = '{}'`)
	return err
}

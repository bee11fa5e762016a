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

// StaleCSVLines counts the undeleted events whose stored CSV line differs
// from the one the installed function builds now, and the points that
// have none: both must be 0 after every committed write. It builds them
// again in a transaction it rolls back.
func (db *DB) StaleCSVLines(ctx context.Context) (stale, missing int, err error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `
		WITH stored AS MATERIALIZED (SELECT id, csv_line FROM events WHERE deleted_at IS NULL),
		built AS (UPDATE events e SET csv_line = NULL FROM stored s WHERE e.id = s.id RETURNING e.id, e.csv_line, e.geom)
		SELECT count(*) FILTER (WHERE s.csv_line IS DISTINCT FROM b.csv_line),
		       count(*) FILTER (WHERE s.csv_line IS NULL AND GeometryType(b.geom) = 'POINT')
		FROM stored s JOIN built b ON b.id = s.id`).Scan(&stale, &missing)
	return stale, missing, err
}

// ForgetCSVLinesForTest makes every stored line wrong and the next
// RefreshServedFeatures build them again, as a release that changes the
// CSV columns does.
func (db *DB) ForgetCSVLinesForTest(ctx context.Context) error {
	_, err := db.db.ExecContext(ctx, `UPDATE served_feature_shape SET csv_hash = 'old'; UPDATE events SET csv_line = 'stale' WHERE csv_line IS NOT NULL`)
	return err
}

// ForgetShapeForTest makes the next RefreshServedFeatures rebuild every
// document, as a release that adds a property does.
func (db *DB) ForgetShapeForTest(ctx context.Context) error {
	_, err := db.db.ExecContext(ctx, `UPDATE served_feature_shape SET hash = 'old'; UPDATE events SET feature = '{}'`)
	return err
}

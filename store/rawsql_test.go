package store

import "context"

// Test-only access to the pool, for checks that need raw SQL
// (pg_sleep, SHOW) which no store method runs.

func (db *DB) ExecRaw(ctx context.Context, q string) error {
	_, err := db.db.ExecContext(ctx, q)
	return wrapErr(err, "exec")
}

func (db *DB) QueryString(ctx context.Context, q string) (string, error) {
	var s string
	err := db.db.QueryRowContext(ctx, q).Scan(&s)
	return s, err
}

// CompareGeometry returns, as WKT, the geometry our parser made (sent as
// WKB) and the one PostGIS reads from the same GeoJSON, in 2D since the
// store keeps longitude and latitude only.
func (db *DB) CompareGeometry(ctx context.Context, ours any, geojson string) (string, string, error) {
	var a, b string
	err := db.db.QueryRowContext(ctx, `
		SELECT ST_AsText(ST_GeomFromWKB($1, 4326)), ST_AsText(ST_Force2D(ST_GeomFromGeoJSON($2)))`, ours, geojson).Scan(&a, &b)
	return a, b, err
}

// QueryRowForTest runs one query and scans its row, for tests that check
// what a store method wrote.
func (db *DB) QueryRowForTest(ctx context.Context, q string, dest ...any) error {
	return db.db.QueryRowContext(ctx, q).Scan(dest...)
}

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

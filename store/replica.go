package store

import "context"

// InRecovery reports whether the database is a hot standby replaying a
// primary's WAL: what a DATABASE_READ_URL should point at. Writes there
// fail, and reads see the primary's commits after the replication delay.
func (db *DB) InRecovery(ctx context.Context) (bool, error) {
	var standby bool
	if err := db.db.QueryRowContext(ctx, `SELECT pg_is_in_recovery()`).Scan(&standby); err != nil {
		return false, wrapErr(err, "ask whether the database is a standby")
	}
	return standby, nil
}

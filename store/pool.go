package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// PoolStats is the main connection pool's state, for metrics: open and
// busy connections, and how often and how long requests waited for one.
func (db *DB) PoolStats() sql.DBStats { return db.db.Stats() }

// ReplayLag is how far a hot standby is behind its primary: the age of
// the last transaction it replayed, or 0 when it has replayed all the WAL
// it received (an idle primary sends nothing, and the age of its last
// transaction is not lag) and on a primary. It runs on the probe pool, so
// a scrape never waits behind requests.
func (db *DB) ReplayLag(ctx context.Context) (time.Duration, error) {
	var secs sql.NullFloat64
	err := db.probe.QueryRowContext(ctx, `
		SELECT CASE
			WHEN NOT pg_is_in_recovery() THEN 0
			WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
			ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
		END`).Scan(&secs)
	if err != nil {
		return 0, wrapErr(err, "read replay lag")
	}
	if !secs.Valid {
		return 0, errors.New("store: the standby has replayed no transaction yet")
	}
	return time.Duration(secs.Float64 * float64(time.Second)), nil
}

// StatementTimeout is the statement_timeout a connection of the pool
// gets. Open asks for one as a startup parameter; a PgBouncer drops that
// parameter (with ignore_startup_parameters) or refuses it, so behind one
// the timeout must be set on the role or database, and serve compares.
func (db *DB) StatementTimeout(ctx context.Context) (time.Duration, error) {
	var ms int64
	if err := db.db.QueryRowContext(ctx, `SELECT setting::bigint FROM pg_settings WHERE name = 'statement_timeout'`).Scan(&ms); err != nil {
		return 0, wrapErr(err, "read statement_timeout")
	}
	return time.Duration(ms) * time.Millisecond, nil
}

package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Tx is one database transaction. Writes that belong together (an event,
// its actors, sources and revision) go through one Tx so they land or fail
// as a whole.
type Tx struct {
	tx *sql.Tx
}

// InTx runs fn in a transaction, committing if it returns nil and rolling
// back otherwise.
func (db *DB) InTx(ctx context.Context, fn func(*Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return wrapErr(err, "begin transaction")
	}
	if err := fn(&Tx{tx: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return wrapErr(err, "commit")
	}
	return nil
}

// Lock takes a transaction-scoped advisory lock named by key, so concurrent
// callers doing the same job (two demo-data runs) take turns.
func (tx *Tx) Lock(ctx context.Context, key string) error {
	if _, err := tx.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, key); err != nil {
		return wrapErr(err, fmt.Sprintf("lock %q", key))
	}
	return nil
}

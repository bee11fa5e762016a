package store

import "context"

// Hooks for the tests of package store_test, which can open per-test
// databases (internal/testdb imports store, so tests inside the package
// cannot).

// CountFromAggregates runs countFromAggregates outside a transaction.
func (db *DB) CountFromAggregates(ctx context.Context, f EventFilter) (int64, bool, error) {
	return db.countFromAggregates(ctx, db.db, f)
}

// SetRawSummaryLimit lowers the number of events a summary reads one by
// one before it is refused, for this handle only.
func (db *DB) SetRawSummaryLimit(n int) { db.rawSummaryLimit = n }

// AggregateMaxZoom is the deepest level of the aggregates.
const AggregateMaxZoom = aggregateMaxZoom

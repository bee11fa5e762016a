package store_test

import (
	"bytes"
	"context"

	"eventmap/store"
)

// exportFeatures runs ExportEvents for Features one per line and hands
// them to emit one at a time (a served Feature holds no raw newline).
func exportFeatures(ctx context.Context, db *store.DB, f store.EventFilter, count bool, start func(store.ExportInfo) error, emit func([]byte) error) error {
	return db.ExportEvents(ctx, f, store.ExportOptions{Count: count, Sep: "\n"}, start, func(c store.ExportChunk) error {
		for line := range bytes.SplitSeq(c.Text, []byte("\n")) {
			if err := emit(line); err != nil {
				return err
			}
		}
		return nil
	})
}

package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	"eventmap/demo"
	"eventmap/internal/testdb"
	"eventmap/store"
)

// An export crosses its FETCH batches without losing or repeating an
// event, whatever the batch size: a last batch that is partial, full (the
// next FETCH is empty) or the only one, and a batch above 1000: the FETCH
// once asked for 1000 rows whatever the batch, so a larger batch ended
// every export after its first 1000 events.
//
// Not parallel: it changes the package's batch size, which the parallel
// tests only read once it is put back.
func TestExportBatches(t *testing.T) {
	ctx := context.Background()
	url := testdb.New(t)
	db, err := store.Open(ctx, store.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	const n = 1100
	if res, err := db.Import(ctx, demo.Synthetic(n, 5), store.ImportOptions{Editor: "t", Reason: "t", Exclusive: true}); err != nil || res.Created != n {
		t.Fatalf("load: %v %+v", err, res)
	}
	var want []string
	rows, err := raw.Query(`SELECT id FROM events ORDER BY occurred_at DESC, id DESC`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	if err := rows.Close(); err != nil || len(want) != n {
		t.Fatalf("%d events (%v)", len(want), err)
	}
	// 7: a partial last batch; 100 and n: full ones, then an empty FETCH.
	for _, batch := range []int{7, 100, n, 1024, 5000} {
		t.Run(strconv.Itoa(batch), func(t *testing.T) {
			defer store.SetExportBatchForTest(batch)()
			var got []string
			err := exportFeatures(ctx, db, store.EventFilter{IncludeRestricted: true}, false, func(store.ExportInfo) error { return nil }, func(feature []byte) error {
				var f struct{ ID string }
				if err := json.Unmarshal(feature, &f); err != nil {
					t.Fatalf("feature %d is not JSON: %v", len(got)+1, err)
				}
				got = append(got, f.ID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("exported %d events, want %d once each, newest first", len(got), len(want))
			}
		})
	}
}

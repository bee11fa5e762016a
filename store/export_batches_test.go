package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
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

// A CSV export's chunks carry the stored lines and, between them, the
// Features of the rows without a line (areas), each at its place: the
// same rows in the same order whatever the batch and chunk sizes, every
// hole's Feature whole (they are copied out of the driver's buffers, and
// the copies move as they grow).
//
// Not parallel: it changes the package's batch and chunk sizes.
func TestExportCSVChunks(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t)
	const n = 1100
	if res, err := db.Import(ctx, demo.Synthetic(n, 9), store.ImportOptions{Editor: "t", Reason: "t"}); err != nil || res.Created != n {
		t.Fatalf("load: %v %+v", err, res)
	}
	// rows is the export as one line per row: the stored line, or
	// "feature <id>" for a hole.
	rows := func() []string {
		var out []string
		err := db.ExportEvents(ctx, store.EventFilter{IncludeRestricted: true}, store.ExportOptions{CSV: true}, func(store.ExportInfo) error { return nil }, func(c store.ExportChunk) error {
			lines := func(b []byte) {
				for l := range strings.SplitSeq(strings.TrimSuffix(string(b), "\n"), "\n") {
					if l != "" {
						out = append(out, l)
					}
				}
			}
			at := 0
			for _, h := range c.Holes {
				lines(c.Text[at:h.Offset])
				at = h.Offset
				var f struct {
					ID       string
					Geometry struct{ Type string }
				}
				if err := json.Unmarshal(h.Feature, &f); err != nil || f.ID == "" {
					t.Fatalf("hole %d: not a whole Feature (%v): %.80q", len(out), err, h.Feature)
				}
				if f.Geometry.Type == "Point" {
					t.Errorf("point %s has no stored line", f.ID)
				}
				out = append(out, "feature "+f.ID)
			}
			lines(c.Text[at:])
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := rows()
	holes := 0
	for _, r := range want {
		if strings.HasPrefix(r, "feature ") {
			holes++
		}
	}
	if len(want) != n || holes == 0 || holes > n/10 {
		t.Fatalf("%d rows with %d written from Features; want %d rows, a few of them areas", len(want), holes, n)
	}
	for _, size := range []struct{ batch, bytes int }{{7, 1 << 20}, {100, 512}, {5000, 3000}} {
		t.Run(fmt.Sprintf("batch %d, chunks of %d bytes", size.batch, size.bytes), func(t *testing.T) {
			defer store.SetExportBatchForTest(size.batch)()
			defer store.SetExportChunkBytesForTest(size.bytes)()
			if got := rows(); !slices.Equal(got, want) {
				t.Errorf("%d rows differ from the %d of one chunk per batch", len(got), len(want))
			}
		})
	}
}

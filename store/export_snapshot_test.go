package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"testing"

	"eventmap/demo"
	"eventmap/internal/testdb"
	"eventmap/store"
)

// An export of many cursor batches comes out whole, once each, newest
// first, from the snapshot it started with: an event written after it
// began is not in it.
func TestExportIsOneSnapshot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.New(t)
	db, err := store.Open(ctx, store.Options{URL: url, MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	const n = 9500 // nine whole batches and a part
	if res, err := db.Import(ctx, demo.Synthetic(n, 11), store.ImportOptions{Editor: "t", Reason: "t", Exclusive: true}); err != nil || res.Created != n {
		t.Fatalf("load: %v %+v", err, res)
	}
	var want []string
	rows, err := raw.Query(`SELECT id FROM events WHERE deleted_at IS NULL AND visibility = 'public' ORDER BY occurred_at DESC, id DESC`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		want = append(want, id)
	}
	rows.Close()

	var got []string
	var info store.ExportInfo
	err = exportFeatures(ctx, db, store.EventFilter{}, true, func(i store.ExportInfo) error {
		info = i
		// Newest of all, so it would come first if the export saw it.
		_, err := raw.Exec(`INSERT INTO events (type, title, occurred_at, time_precision, geom, geo_precision, country)
			VALUES ('clash', 'written during the export', '2030-01-01', 'day', ST_SetSRID(ST_MakePoint(36, 33), 4326), 'exact', 'SYR')`)
		return err
	}, func(feature []byte) error {
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
	if info.Events != int64(len(want)) {
		t.Errorf("counted %d events, want %d", info.Events, len(want))
	}
	if !slices.Equal(got, want) {
		t.Errorf("exported %d events, want %d in order (first %v, want %v)", len(got), len(want), got[:min(3, len(got))], want[:3])
	}
}

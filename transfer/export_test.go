package transfer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"eventmap/demo"
	"eventmap/exchange"
	"eventmap/internal/testdb"
	"eventmap/store"
	"eventmap/transfer"
)

// An export counts its events beforehand only when asked (for a progress
// bar's total) or when the format needs the count before the first
// Feature (GeoJSON's citation); the citation it returns always holds the
// number written.
func TestExportCountsOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.Open(t)
	if _, err := demo.Load(ctx, db); err != nil {
		t.Fatal(err)
	}
	public := 7 // of the 8 sample events, one is restricted
	cases := []struct {
		format    exchange.Format
		count     bool
		wantTotal int64
	}{
		{exchange.CSV, false, -1},
		{exchange.NDJSON, false, -1},
		{exchange.CSV, true, int64(public)},
		{exchange.GeoJSON, false, int64(public)},
		{exchange.GeoJSON, true, int64(public)},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		total, steps, done := int64(-2), int64(0), 0
		cite, err := transfer.Export(ctx, db, store.EventFilter{}, &buf, transfer.ExportOptions{
			Format: c.format, Count: c.count, Query: "--country SYR", Source: "test",
			Progress: func(n int64) (func(int64), func()) {
				total = n
				return func(n int64) { steps += n }, func() { done++ }
			},
		})
		if err != nil {
			t.Fatalf("%s count=%v: %v", c.format, c.count, err)
		}
		if total != c.wantTotal || steps != int64(public) || done != 1 {
			t.Errorf("%s count=%v: progress started with %d, stepped %d, done %d times; want %d, %d, 1",
				c.format, c.count, total, steps, done, c.wantTotal, public)
		}
		if cite.Events != int64(public) || cite.DatasetVersion == 0 || cite.ExportedAt.IsZero() || cite.Query != "--country SYR" || cite.Source != "test" {
			t.Errorf("%s count=%v: citation %+v", c.format, c.count, cite)
		}
		if c.format == exchange.GeoJSON {
			var fc struct {
				Eventmap exchange.Citation `json:"eventmap"`
				Features []json.RawMessage `json:"features"`
			}
			if err := json.Unmarshal(buf.Bytes(), &fc); err != nil {
				t.Fatalf("GeoJSON export: %v", err)
			}
			if fc.Eventmap.Events != int64(public) || len(fc.Features) != public {
				t.Errorf("GeoJSON export cites %d events and holds %d, want %d", fc.Eventmap.Events, len(fc.Features), public)
			}
		}
	}
}

// A selection the database refuses (an unknown region) is an error before
// anything is written, and the progress never starts.
func TestExportRefusedSelection(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t)
	var buf bytes.Buffer
	started := false
	_, err := transfer.Export(context.Background(), db, store.EventFilter{Region: "atlantis"}, &buf, transfer.ExportOptions{
		Format: exchange.CSV,
		Progress: func(int64) (func(int64), func()) {
			started = true
			return func(int64) {}, func() {}
		},
	})
	if err == nil || !strings.Contains(err.Error(), "atlantis") || started || buf.Len() != 0 {
		t.Errorf("export of an unknown region: %v, progress started %v, %d bytes written", err, started, buf.Len())
	}
}

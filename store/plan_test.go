package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"eventmap/geo"
	"eventmap/internal/testdb"
	"eventmap/store"
)

// TestItemsQueryPlans checks, on 40 000 events clustered around ten towns
// with fresh statistics, that the items query reads through an index in
// each shape the API sends and never scans the whole events table. The
// trap: with ORDER BY occurred_at LIMIT n the planner may walk the time
// index and test every event against a small box, which reads the whole
// table to find a handful of rows.
func TestItemsQueryPlans(t *testing.T) {
	t.Parallel()
	url := testdb.New(t)
	raw, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ctx := context.Background()
	// Ten towns, 4 000 events each within ~5 km, over five years.
	if _, err := raw.ExecContext(ctx, `
		INSERT INTO events (type, title, occurred_at, time_precision, geom, geo_precision, country)
		SELECT 'clash', 'plan test ' || i,
			timestamptz '2021-01-01' + (i::bigint * 3943) % 157680000 * interval '1 second', 'day',
			ST_SetSRID(ST_MakePoint(36 + (i % 10) * 0.7 + ((i::bigint * 7919) % 1000) / 10000.0,
			                        33 + (i % 10) * 0.3 + ((i::bigint * 104729) % 1000) / 10000.0), 4326),
			'exact', 'SYR'
		FROM generate_series(1, 40000) i`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `VACUUM ANALYZE events`); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, store.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	box := func(s string) *geo.BBox {
		b, err := geo.ParseBBox(s)
		if err != nil {
			t.Fatal(err)
		}
		return &b
	}
	// A second page of the whole table, for the keyset shape.
	res, err := db.ListEvents(ctx, store.EventFilter{}, store.Page{Limit: 1000}, func([]byte) error { return nil })
	if err != nil || res.Next == nil {
		t.Fatalf("first page: %v, next %v", err, res.Next)
	}
	for _, c := range []struct {
		name  string
		f     store.EventFilter
		p     store.Page
		index string
	}{
		// A town: 4 000 matches, a page of 1 000.
		{"city box", store.EventFilter{BBox: box("36.69,33.29,36.82,33.42")}, store.Page{Limit: 1000}, "events_geom_idx"},
		// A few hundred metres: a handful of matches.
		{"small box", store.EventFilter{BBox: box("36.700,33.300,36.702,33.302")}, store.Page{Limit: 1000}, "events_geom_idx"},
		{"no box, first page", store.EventFilter{}, store.Page{Limit: 1000}, "events_occurred_at_idx"},
		{"no box, next page", store.EventFilter{}, store.Page{Limit: 1000, Cursor: res.Next}, "events_occurred_at_idx"},
	} {
		t.Run(c.name, func(t *testing.T) {
			plan, err := db.ExplainItems(ctx, c.f, c.p)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(plan, "Seq Scan on events") {
				t.Errorf("sequential scan of events:\n%s", plan)
			}
			if !strings.Contains(plan, c.index) {
				t.Errorf("plan does not use %s:\n%s", c.index, plan)
			}
		})
	}
}

// TestEverySortKeyHasAnIndex checks, on 40 000 events, that the first page
// in every sortby order, both directions, reads an index in that order
// instead of sorting the table: a property that is Sortable needs one
// (migrations/00006_sort_indexes.sql), or must leave the list.
func TestEverySortKeyHasAnIndex(t *testing.T) {
	t.Parallel()
	url := testdb.New(t)
	raw, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ctx := context.Background()
	if _, err := raw.ExecContext(ctx, `
		INSERT INTO events (type, title, occurred_at, time_precision, geom, geo_precision, country, status, fatalities, civilian_fatalities)
		SELECT (ARRAY['raid','clash','airstrike','arrest'])[1 + i % 4], 'sort test ' || (i * 7919) % 40000,
			timestamptz '2021-01-01' + (i::bigint * 3943) % 157680000 * interval '1 second', 'day',
			ST_SetSRID(ST_MakePoint(36 + (i % 100) * 0.01, 33 + (i % 97) * 0.01), 4326), 'exact',
			(ARRAY['SYR','IRQ','LBN'])[1 + i % 3], (ARRAY['reported','confirmed'])[1 + i % 2],
			CASE WHEN i % 3 = 0 THEN NULL ELSE i % 50 END, CASE WHEN i % 3 = 0 THEN NULL ELSE least(i % 7, i % 50) END
		FROM generate_series(1, 40000) i`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `VACUUM ANALYZE events`); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, store.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range store.SortKeys() {
		for _, sign := range []string{"+", "-"} {
			t.Run(sign+name, func(t *testing.T) {
				s, err := store.ParseSort(sign + name)
				if err != nil {
					t.Fatal(err)
				}
				plan, err := db.ExplainItems(ctx, store.EventFilter{}, store.Page{Limit: 100, Sort: s})
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(plan, "Seq Scan on events") || strings.Contains(plan, "Sort Key") {
					t.Errorf("the first page sorts the table instead of reading an index:\n%s", plan)
				}
			})
		}
	}
}

package store_test

import (
	"context"
	"database/sql"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"eventmap/geo"
	"eventmap/internal/testdb"
	"eventmap/store"
)

// TestSummaryPlansReadTheAggregates checks, on 40 000 events clustered
// around ten towns with fresh statistics, that clusters, histograms and
// counts the aggregates can answer never scan the events table: events
// are read only through the spatial index along the edges of a box (a
// few hundred at most here), through the occurred_at index for the cut
// ends of a time range (at most a month of events at each, about 700
// here) and by primary key for the cells of one event.
func TestSummaryPlansReadTheAggregates(t *testing.T) {
	t.Parallel()
	url := testdb.New(t)
	raw, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ctx := context.Background()
	if _, err := raw.ExecContext(ctx, `
		INSERT INTO events (type, title, occurred_at, time_precision, geom, geo_precision, country, status)
		SELECT (ARRAY['clash', 'raid', 'airstrike'])[1 + i % 3], 'plan test ' || i,
			timestamptz '2021-01-01' + (i::bigint * 3943) % 157680000 * interval '1 second', 'day',
			ST_SetSRID(ST_MakePoint(36 + (i % 10) * 0.7 + ((i::bigint * 7919) % 1000) / 10000.0,
			                        33 + (i % 10) * 0.3 + ((i::bigint * 104729) % 1000) / 10000.0), 4326),
			'exact', 'SYR', (ARRAY['reported', 'confirmed'])[1 + i % 2]
		FROM generate_series(1, 40000) i`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
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
	months := geo.Interval{Start: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC)}
	days := geo.Interval{Start: time.Date(2022, 1, 5, 0, 0, 0, 0, time.UTC), End: time.Date(2022, 2, 17, 0, 0, 0, 0, time.UTC)}
	// The map's time slider in weeks: months cut at both ends.
	cut := geo.Interval{Start: time.Date(2022, 1, 17, 0, 0, 0, 0, time.UTC), End: time.Date(2023, 6, 13, 9, 30, 0, 0, time.UTC)}
	country := box("35,32,43,37") // every town
	town := box("36.69,33.29,36.82,33.42")
	for _, c := range []struct {
		name     string
		summary  string
		f        store.EventFilter
		zoom     int
		interval string
	}{
		{"clusters of the country at zoom 6", "clusters", store.EventFilter{BBox: country}, 6, ""},
		{"clusters of a town at zoom 12", "clusters", store.EventFilter{BBox: town}, 12, ""},
		{"clusters of a town at zoom 13 (the level below)", "clusters", store.EventFilter{BBox: town}, 13, ""},
		{"clusters by type and status", "clusters", store.EventFilter{BBox: country, Types: []string{"raid"}, Statuses: []string{"reported"}}, 8, ""},
		{"clusters of some months", "clusters", store.EventFilter{BBox: town, Interval: months}, 10, ""},
		{"clusters of some months of a type", "clusters", store.EventFilter{BBox: country, Interval: months, Types: []string{"clash"}}, 4, ""},
		{"histogram of the country", "histogram", store.EventFilter{BBox: country}, 0, "month"},
		{"histogram of a town by year", "histogram", store.EventFilter{BBox: town, Statuses: []string{"confirmed"}}, 0, "year"},
		{"histogram per week", "histogram", store.EventFilter{}, 0, "week"},
		{"histogram per day of some days", "histogram", store.EventFilter{Interval: days, Types: []string{"raid"}}, 0, "day"},
		{"count of everything", "count", store.EventFilter{}, 0, ""},
		{"count of a town", "count", store.EventFilter{BBox: town}, 0, ""},
		{"count of a type in some months", "count", store.EventFilter{BBox: country, Types: []string{"raid"}, Interval: months}, 0, ""},
		{"count of some days", "count", store.EventFilter{Interval: days, IncludeRestricted: true}, 0, ""},
		{"clusters of a range cutting months", "clusters", store.EventFilter{BBox: country, Interval: cut}, 6, ""},
		{"clusters of a range cutting months, of a type and status", "clusters", store.EventFilter{BBox: town, Interval: cut, Types: []string{"raid", "clash"}, Statuses: []string{"confirmed"}}, 12, ""},
		{"histogram of a range cutting months", "histogram", store.EventFilter{BBox: country, Interval: cut, Types: []string{"raid"}}, 0, "month"},
		{"histogram per week of a range cutting days", "histogram", store.EventFilter{Interval: cut}, 0, "week"},
		{"count of a range cutting months", "count", store.EventFilter{BBox: town, Interval: cut}, 0, ""},
		{"count of a range cutting days", "count", store.EventFilter{Interval: cut, Types: []string{"raid"}}, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			plan, err := db.ExplainSummary(ctx, c.summary, c.f, c.zoom, c.interval)
			if err != nil {
				t.Fatal(err)
			}
			cutEnds := !c.f.Interval.Start.IsZero() && c.f.Interval.Start.Day() != 1
			checkSummaryPlan(t, plan, c.f.BBox != nil, cutEnds)
		})
	}
}

var planNode = regexp.MustCompile(`(?m)^\s*(?:->\s+)?(.*? on events\b.*?)\s+\(cost=.*?\(actual time=[^ ]+ rows=(\d+) loops=(\d+)\)`)

// checkSummaryPlan fails a plan that reads events any other way than by
// the spatial index (and only with a box), by the occurred_at index (and
// only for the cut ends of a time range) or by primary key, or that reads
// more than a few hundred of them (and a month of events at each cut end).
func checkSummaryPlan(t *testing.T, plan string, bbox, cutEnds bool) {
	t.Helper()
	if strings.Contains(plan, "Seq Scan on events") {
		t.Fatalf("sequential scan of events:\n%s", plan)
	}
	read := 0
	for _, m := range planNode.FindAllStringSubmatch(plan, -1) {
		node := m[1]
		rows, _ := strconv.Atoi(m[2])
		loops, _ := strconv.Atoi(m[3])
		switch {
		case strings.HasPrefix(node, "Index Scan using events_pkey"):
			if rows > 1 {
				t.Errorf("a primary key lookup returned %d rows: %s", rows, node)
			}
		case strings.HasPrefix(node, "Bitmap Heap Scan") && (bbox || cutEnds),
			strings.HasPrefix(node, "Index Scan using events_occurred_at_idx") && cutEnds:
			read += rows * loops
		default:
			t.Errorf("events read by %q:\n%s", node, plan)
		}
	}
	limit := 600
	if cutEnds {
		limit += 2 * 700
	}
	if read > limit {
		t.Errorf("the edges of the box read %d events; the aggregates should answer most:\n%s", read, plan)
	}
}

package e2e

import (
	"context"
	"database/sql"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"eventmap/internal/testdb"
)

// At the deepest zoom a server cluster of more than 2000 events (the most
// the map draws one by one) has no closer view to go to: opening it loads
// that cell's events through items and spiderfies them. Tested with 3000
// events at one place, in Chromium (map_deepzoom.mjs).
func TestMapDeepestZoomSpreadsACrowdedCell(t *testing.T) {
	t.Parallel()
	dbURL := testdb.New(t)
	eventmap(t, dbURL, "demo-data")
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// 3000 events at one spot in the desert east of Palmyra, none of the
	// sample events near it.
	if _, err := db.Exec(`
		INSERT INTO events (type, title, occurred_at, time_precision, geom, geo_precision, place, country, status, tags)
		SELECT (ARRAY['raid','clash','arrest'])[1 + i % 3], 'Generated event ' || i || ' at one spot',
			timestamptz '2025-07-01' + i * interval '1 hour', 'exact',
			ST_SetSRID(ST_MakePoint(38.9, 35.0), 4326), 'exact', 'One spot', 'SYR', 'reported', '{generated}'
		FROM generate_series(1, 3000) i`); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, dbURL, "EVENTMAP_TILE_URL=")
	s.waitReady(t)
	dir, err := filepath.Abs("../.artifacts")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "node", "map_deepzoom.mjs", s.URL, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("map_deepzoom.mjs: %v\n%s", err, out)
	}
	t.Logf("map_deepzoom.mjs: %s(screenshots in %s)", out, dir)
}

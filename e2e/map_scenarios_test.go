package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"eventmap/internal/testdb"
)

// The map's user scenarios in real headless Chromium, under the /map/
// Content-Security-Policy, against the real binary and the sample data:
// counts per view, the Dumayr popup, filters, time slider, permalink,
// downloads, region overlay, keyboard, phone width, and tiles that cannot
// be reached (see map_scenarios.mjs for each assertion).
func TestMapScenariosInChromium(t *testing.T) {
	t.Parallel()
	dbURL := testdb.New(t)
	if out := eventmap(t, dbURL, "demo-data"); !strings.Contains(out, "8 event(s) created") {
		t.Fatalf("demo-data: %s", out)
	}
	offline := startServe(t, dbURL, "EVENTMAP_TILE_URL=")
	// The default tile server, which the browser is not allowed to reach.
	tiled := startServe(t, dbURL)
	offline.waitReady(t)
	tiled.waitReady(t)

	dir, err := filepath.Abs("../.artifacts")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "node", "map_scenarios.mjs", offline.URL, dir, tiled.URL).CombinedOutput()
	if err != nil {
		t.Fatalf("map_scenarios.mjs: %v\n%s", err, out)
	}
	t.Logf("map_scenarios.mjs: %s(screenshots in %s)", out, dir)
}

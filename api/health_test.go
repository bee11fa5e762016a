package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"eventmap/config"
	"eventmap/internal/testdb"
	"eventmap/store"
)

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	if r := get(t, ts.URL+"/healthz"); r.status != http.StatusOK {
		t.Errorf("/healthz: %d %s", r.status, r.body)
	}
	if r := get(t, ts.URL+"/readyz"); r.status != http.StatusOK {
		t.Errorf("/readyz on a migrated database: %d %s", r.status, r.body)
	}
}

func TestNotReadyWhileMigrationsArePending(t *testing.T) {
	t.Parallel()
	db, err := store.Open(context.Background(), store.Options{URL: testdb.NewEmpty(t), StatementTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ts := startServer(t, db)
	if r := get(t, ts.URL+"/healthz"); r.status != http.StatusOK {
		t.Errorf("/healthz must not depend on the database: %d", r.status)
	}
	p := decodeProblem(t, get(t, ts.URL+"/readyz"), http.StatusServiceUnavailable)
	if !strings.Contains(p.Detail, "migrations") {
		t.Errorf("detail %q does not say migrations are pending", p.Detail)
	}
}

func TestMapIsServed(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, func(c *config.Config) { c.TileURL = "" })
	r := get(t, ts.URL+"/map/")
	if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "leaflet") {
		t.Fatalf("/map/: %d %q", r.status, r.header.Get("Content-Type"))
	}
	for _, f := range []string{"/map/vendor/leaflet/leaflet.js", "/map/vendor/leaflet/leaflet.css", "/map/data/countries.geojson", "/map/js/map.js"} {
		if r := get(t, ts.URL+f); r.status != http.StatusOK || len(r.body) == 0 {
			t.Errorf("%s: status %d, %d bytes", f, r.status, len(r.body))
		}
	}
	r = get(t, ts.URL+"/map/config.json")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"tile_url":""`) {
		t.Errorf("/map/config.json = %d %s", r.status, r.body)
	}
	for _, cdn := range []string{"unpkg.com", "cdn.jsdelivr", "cdnjs."} {
		if strings.Contains(string(get(t, ts.URL+"/map/").body), cdn) {
			t.Errorf("map page loads from CDN %s", cdn)
		}
	}
}

package e2e

import (
	"context"
	"database/sql"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"eventmap/internal/testdb"
)

// gdal runs a GDAL command-line tool and returns its output. GDAL missing
// is a failure, not a skip: scripts/test-deps.sh installs gdal-bin.
func gdal(t *testing.T, tool string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s not found: run scripts/test-deps.sh (installs gdal-bin)", tool)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	// No caching between runs, no surprises from the caller's GDAL settings.
	cmd.Env = append(cmd.Environ(), "GDAL_HTTP_TIMEOUT=60", "CPL_VSIL_CURL_NON_CACHED=/")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
}

var gpkgID = regexp.MustCompile(`(?m)^\s*id \(String\) = (\S+)$`)

// gpkgIDs lists the event ids GDAL copied, from the "id" field: GDAL keeps
// the GeoJSON string id there and numbers the GeoPackage fid itself.
func gpkgIDs(t *testing.T, file string) []string {
	t.Helper()
	out := gdal(t, "ogrinfo", "-ro", "-q", file, "-sql", "SELECT id FROM events ORDER BY id")
	var ids []string
	for _, m := range gpkgID.FindAllStringSubmatch(out, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func dbIDs(t *testing.T, dbURL, where string, args ...any) []string {
	t.Helper()
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id::text FROM events WHERE visibility = 'public' AND deleted_at IS NULL AND `+where+` ORDER BY id`, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// GDAL's OGC API - Features driver, the client behind ogr2ogr and QGIS's
// processing tools, reads the real server end to end.
func TestGDALReadsAndCopiesTheEvents(t *testing.T) {
	dbURL := testdb.New(t)
	eventmap(t, dbURL, "demo-data")
	s := startServe(t, dbURL)
	s.waitReady(t)
	src := "OAPIF:" + s.URL
	all := dbIDs(t, dbURL, "TRUE")
	if len(all) != 7 {
		t.Fatalf("%d public sample events in the database, want 7", len(all))
	}

	t.Run("ogrinfo lists the collection, its count and fields", func(t *testing.T) {
		out := gdal(t, "ogrinfo", "-ro", "-al", "-so", src)
		for _, want := range []string{
			"Layer name: events", "Feature Count: 7", "TITLE=Conflict events",
			"id: String", "type: String", "title: String", "occurred_at: DateTime", "fatalities: Integer",
			"civilian_fatalities: Integer", "geo_precision: String", "status: String", "tags: StringList",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("ogrinfo output lacks %q:\n%s", want, out)
			}
		}
	})

	dir := t.TempDir()
	copyTo := func(t *testing.T, name string, args ...string) []string {
		t.Helper()
		out := filepath.Join(dir, name+".gpkg")
		gdal(t, "ogr2ogr", append([]string{"-f", "GPKG", out, src, "events"}, args...)...)
		return gpkgIDs(t, out)
	}

	t.Run("ogr2ogr copies every public event", func(t *testing.T) {
		if got := copyTo(t, "all"); !slices.Equal(got, all) {
			t.Errorf("GeoPackage ids %v, want %v", got, all)
		}
	})

	t.Run("pages smaller than the data are followed", func(t *testing.T) {
		before := strings.Count(s.out.String(), "cursor=")
		if got := copyTo(t, "paged", "-oo", "PAGE_SIZE=3"); !slices.Equal(got, all) {
			t.Errorf("paged copy ids %v, want %v", got, all)
		}
		// 7 events at 3 per page: at least two requests followed a next link.
		if n := strings.Count(s.out.String(), "cursor=") - before; n < 2 {
			t.Errorf("%d requests with a cursor in the server log, want >= 2 (paging not exercised)", n)
		}
	})

	t.Run("-spat is sent as bbox and selects the Dumayr raid", func(t *testing.T) {
		want := dbIDs(t, dbURL, "ST_Intersects(geom, ST_MakeEnvelope(36.5, 33.5, 36.9, 33.8, 4326))")
		if got := copyTo(t, "spat", "-spat", "36.5", "33.5", "36.9", "33.8"); !slices.Equal(got, want) || len(want) != 1 {
			t.Errorf("-spat copy ids %v, want %v", got, want)
		}
		if !strings.Contains(s.out.String(), "bbox=36.5") {
			t.Errorf("GDAL did not pass the spatial filter to the server as bbox")
		}
	})

	t.Run("-where with an attribute filter", func(t *testing.T) {
		want := dbIDs(t, dbURL, "type = $1", "raid")
		if got := copyTo(t, "where", "-where", "type = 'raid'", "-oo", "PAGE_SIZE=2"); !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("-where type = 'raid' ids %v, want %v", got, want)
		}
		want = dbIDs(t, dbURL, "fatalities >= $1", 1)
		if got := copyTo(t, "where2", "-where", "fatalities >= 1"); !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("-where fatalities >= 1 ids %v, want %v", got, want)
		}
	})
}

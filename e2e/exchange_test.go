package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"eventmap/internal/testdb"
)

// The CLI imports the ACLED sample and exports CSV, GeoJSON and NDJSON
// files that GDAL reads: ogr2ogr sees every event, its point (CSV through
// the latitude/longitude columns, or the WKT of an area) and its fields.
func TestExportIsReadableByOGR(t *testing.T) {
	dbURL := testdb.New(t)
	eventmap(t, dbURL, "demo-data")
	out := eventmap(t, dbURL, "import", "../testdata/acled_sample.csv")
	if !strings.Contains(out, "created 6") {
		t.Fatalf("import said:\n%s", out)
	}
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "events.csv")
	gjFile := filepath.Join(dir, "events.geojson")
	eventmap(t, dbURL, "export", "--format", "csv", "--output", csvFile)
	eventmap(t, dbURL, "export", "--format", "geojson", "--output", gjFile)
	eventmap(t, dbURL, "export", "--format", "ndjson", "--output", filepath.Join(dir, "events.ndjson"), "--country", "IRQ")
	want := 13 // 7 public sample events + 6 ACLED rows

	cite, err := os.ReadFile(csvFile + ".citation.json")
	if err != nil {
		t.Fatalf("no citation beside the CSV: %v", err)
	}
	var c struct {
		DatasetVersion int64 `json:"dataset_version"`
		Events         int   `json:"events"`
	}
	if err := json.Unmarshal(cite, &c); err != nil || c.Events != want || c.DatasetVersion < int64(want) {
		t.Errorf("citation %s", cite)
	}
	nd, _ := os.ReadFile(filepath.Join(dir, "events.ndjson"))
	if n := strings.Count(string(nd), "\n"); n != 1 || !strings.Contains(string(nd), "IRQ2001") {
		t.Errorf("NDJSON export of country=IRQ has %d lines:\n%s", n, nd)
	}

	count := regexp.MustCompile(`Feature Count: (\d+)`)
	t.Run("GeoJSON", func(t *testing.T) {
		info := gdal(t, "ogrinfo", "-ro", "-al", "-so", gjFile)
		if m := count.FindStringSubmatch(info); m == nil || m[1] != "13" {
			t.Errorf("ogrinfo on the GeoJSON export:\n%s", info)
		}
		for _, field := range []string{"title: String", "fatalities: Integer", "external_id: String", "occurred_at: DateTime"} {
			if !strings.Contains(info, field) {
				t.Errorf("GeoJSON fields lack %q:\n%s", field, info)
			}
		}
		gpkg := filepath.Join(dir, "from-geojson.gpkg")
		gdal(t, "ogr2ogr", "-f", "GPKG", gpkg, gjFile)
		got := gdal(t, "ogrinfo", "-ro", "-q", gpkg, "-sql", "SELECT place FROM events WHERE external_id = 'SYR1003'")
		if !strings.Contains(got, "الميادين") {
			t.Errorf("GeoPackage copy of the GeoJSON export lacks SYR1003's place:\n%s", got)
		}
	})
	t.Run("CSV", func(t *testing.T) {
		src := "CSV:" + csvFile
		info := gdal(t, "ogrinfo", "-ro", "-al", "-so", "-oo", "X_POSSIBLE_NAMES=longitude", "-oo", "Y_POSSIBLE_NAMES=latitude",
			"-oo", "AUTODETECT_TYPE=YES", src)
		if m := count.FindStringSubmatch(info); m == nil || m[1] != "13" {
			t.Errorf("ogrinfo on the CSV export:\n%s", info)
		}
		if !strings.Contains(info, "Geometry: Point") || !strings.Contains(info, "event_id_cnty: String") {
			t.Errorf("GDAL does not place the CSV rows by latitude/longitude:\n%s", info)
		}
		// Arabic names and notes with line breaks survive GDAL's reader.
		row := gdal(t, "ogrinfo", "-ro", "-q", "-al", "-oo", "X_POSSIBLE_NAMES=longitude", "-oo", "Y_POSSIBLE_NAMES=latitude", src,
			"-where", "event_id_cnty = 'SYR1003'")
		if !strings.Contains(row, "الميادين") || !strings.Contains(row, "POINT (40.4522 35.0184)") {
			t.Errorf("SYR1003 as GDAL reads it:\n%s", row)
		}
		// The areas' outlines are in the wkt column.
		area := gdal(t, "ogrinfo", "-ro", "-q", "-al", "-oo", "GEOM_POSSIBLE_NAMES=wkt", "-oo", "KEEP_GEOM_COLUMNS=NO", src, "-where", "geo_precision = '3'")
		if !strings.Contains(area, "POLYGON ((") {
			t.Errorf("no polygon read from the wkt column:\n%s", area)
		}
	})
}

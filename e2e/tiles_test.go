package e2e

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"eventmap/internal/testdb"
)

// GDAL's MVT driver, which QGIS uses for vector tiles, reads a tile
// fetched over HTTP from the real server: the one layer "events", its
// fields, the Dumayr raid with its facts at its place (GDAL georeferences
// the tile from the z/x/y it is given, so a wrong row/column order or
// y-axis would put it elsewhere), the weapons caches as an area, and no
// restricted event.
func TestGDALReadsAVectorTile(t *testing.T) {
	t.Parallel()
	dbURL := testdb.New(t)
	eventmap(t, dbURL, "demo-data")
	s := startServe(t, dbURL)
	s.waitReady(t)

	// The tile holding Dumayr (36.6939°E, 33.6439°N) at zoom 8, and the
	// restricted Damascus event 40 km away.
	const z = 8
	lon, lat := 36.6939, 33.6439
	n := math.Exp2(z)
	x := int((lon + 180) / 360 * n)
	phi := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(phi)+1/math.Cos(phi))/math.Pi) / 2 * n)
	// f=mvt: GDAL takes a URL ending in a number for a directory of tiles.
	url := fmt.Sprintf("%s/collections/events/tiles/WebMercatorQuad/%d/%d/%d?f=mvt", s.URL, z, y, x)

	out := gdal(t, "ogrinfo", "-ro", "-al", "-oo", "X="+strconv.Itoa(x), "-oo", "Y="+strconv.Itoa(y), "-oo", "Z="+strconv.Itoa(z),
		"MVT:/vsicurl/"+url)
	for _, want := range []string{
		"Layer name: events", "Feature Count: 2",
		"id (String) = 6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e02", "geo_precision (String) = region", "POLYGON ((",
		"id (String) = 6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01", "type (String) = raid", "status (String) = corroborated",
		"geo_precision (String) = exact", "occurred_at (String) = 2025-10-19T00:00:00Z", "fatalities (Integer) = 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ogrinfo output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e08") {
		t.Errorf("the restricted Damascus event is in an anonymous tile:\n%s", out)
	}
	// GDAL reports the point in Web Mercator metres; back to degrees it
	// must be Dumayr's within a tile unit (z8: about 38 m).
	m := regexp.MustCompile(`POINT \((-?[\d.]+) (-?[\d.]+)\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no POINT in ogrinfo output:\n%s", out)
	}
	mx, _ := strconv.ParseFloat(m[1], 64)
	my, _ := strconv.ParseFloat(m[2], 64)
	const r = 6378137.0
	gotLon := mx / r * 180 / math.Pi
	gotLat := (2*math.Atan(math.Exp(my/r)) - math.Pi/2) * 180 / math.Pi
	if math.Abs(gotLon-lon) > 0.001 || math.Abs(gotLat-lat) > 0.001 {
		t.Errorf("GDAL places the raid at %.5f, %.5f; want %.5f, %.5f", gotLon, gotLat, lon, lat)
	}
}

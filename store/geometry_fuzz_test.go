package store_test

import (
	"context"
	"testing"

	"github.com/paulmach/orb/encoding/wkb"

	"eventmap/geo"
	"eventmap/internal/testdb"
)

// FuzzValidateGeometry holds our RFC 7946 parser to PostGIS: whatever the
// parser accepts, PostGIS must read as the same geometry (so a write that
// passed validation never fails inside the database with an error the
// client cannot act on), and the parser never panics. Seeds include the
// PostGIS regression cases for ST_GeomFromGeoJSON; the committed corpus is
// in testdata/fuzz/FuzzValidateGeometry.
func FuzzValidateGeometry(f *testing.F) {
	for _, s := range []string{
		`"crashme"`, `{}`, `{"type":"Point"}`, `{"type":"Point","coordinates":[]}`,
		`{"type":"Point","coordinates":[[]]}`, `{"type":"Point","coordinates":[1]}`,
		`{"type":"LineString","coordinates":[[]]}`, `{"type":"Polygon","coordinates":[[]]}`,
		`{"type":"Polygon","coordinates":[[[]]]}`, `{"type":"MultiPolygon","coordinates":[[[]]]}`,
		`{"type":"Point","coordinates":[36.6939,33.6439]}`,
		`{"type":"Point","coordinates":[36.6939,33.6439,700]}`,
		`{"type":"Polygon","coordinates":[[[35.5,32.3],[37.5,32.3],[37.5,33.4],[35.5,33.4],[35.5,32.3]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`,
		`{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3]]]}`,
		`{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]}`,
		`{"type":"Point","coordinates":[1e308,0]}`, `{"type":"Point","coordinates":[-180,-90]}`,
	} {
		f.Add(s)
	}
	db := testdb.Open(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, s string) {
		g, err := geo.ParseGeometry([]byte(s), geo.DefaultLimits)
		if err != nil {
			return
		}
		ours, theirs, err := db.CompareGeometry(ctx, wkb.Value(g), s)
		if err != nil {
			t.Fatalf("the parser accepted %q but PostGIS refuses it: %v", s, err)
		}
		if ours != theirs {
			t.Fatalf("%q: the parser read %s, PostGIS %s", s, ours, theirs)
		}
	})
}

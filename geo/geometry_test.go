package geo

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestParseGeometry(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    orb.Geometry
		wantErr string
	}{
		{name: "point", in: `{"type":"Point","coordinates":[36.6938,33.6437]}`, want: orb.Point{36.6938, 33.6437}},
		{name: "point with height", in: `{"type":"Point","coordinates":[36.6938,33.6437,700]}`, want: orb.Point{36.6938, 33.6437}},
		{name: "polygon", in: `{"type":"Polygon","coordinates":[[[35,32],[37,32],[37,33],[35,32]]]}`, want: orb.Polygon{{{35, 32}, {37, 32}, {37, 33}, {35, 32}}}},
		{name: "collection", in: `{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]}`, want: orb.Collection{orb.Point{1, 2}}},
		{name: "not JSON", in: `crashme`, wantErr: "not valid JSON"},
		{name: "string", in: `"crashme"`, wantErr: "expected a GeoJSON geometry object"},
		{name: "empty object", in: `{}`, wantErr: `"type" is missing`},
		{name: "point without coordinates", in: `{"type":"Point"}`, wantErr: `Point needs a "coordinates" array`},
		{name: "empty coordinates", in: `{"type":"Point","coordinates":[]}`, wantErr: "a position has 2 or 3 numbers"},
		{name: "one number", in: `{"type":"Point","coordinates":[1]}`, wantErr: "got 1"},
		{name: "four numbers", in: `{"type":"Point","coordinates":[1,2,3,4]}`, wantErr: "got 4"},
		{name: "nested empty", in: `{"type":"Point","coordinates":[[]]}`, wantErr: "coordinates: a position has 2 or 3 numbers (longitude, latitude[, height]), got 1"},
		{name: "string coordinate", in: `{"type":"Point","coordinates":["1",2]}`, wantErr: "is not a number"},
		{name: "huge number", in: `{"type":"Point","coordinates":[1e400,2]}`, wantErr: "not a finite number"},
		{name: "longitude range", in: `{"type":"Point","coordinates":[181,2]}`, wantErr: "longitude 181 is outside -180..180"},
		{name: "latitude range", in: `{"type":"Point","coordinates":[1,-91]}`, wantErr: "latitude -91 is outside -90..90"},
		{name: "crs member", in: `{"type":"Point","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"coordinates":[1,2]}`, wantErr: `"crs" is not allowed`},
		{name: "unknown type", in: `{"type":"Circle","coordinates":[1,2]}`, wantErr: `unknown geometry type "Circle"`},
		{name: "line of one point", in: `{"type":"LineString","coordinates":[[1,2]]}`, wantErr: "at least 2 members"},
		{name: "ring too short", in: `{"type":"Polygon","coordinates":[[[1,2],[3,4],[1,2]]]}`, wantErr: "at least 4 positions, got 3"},
		{name: "empty ring", in: `{"type":"Polygon","coordinates":[[]]}`, wantErr: "at least 4 positions, got 0"},
		{name: "open ring", in: `{"type":"Polygon","coordinates":[[[35,32],[37,32],[37,33],[35,33]]]}`, wantErr: "ring is not closed"},
		{name: "trailing data", in: `{"type":"Point","coordinates":[1,2]} {}`, wantErr: "data after the geometry"},
		{name: "deep collection", in: `{"type":"GeometryCollection","geometries":[{"type":"GeometryCollection","geometries":[{"type":"GeometryCollection","geometries":[{"type":"GeometryCollection","geometries":[]}]}]}]}`, wantErr: "nesting deeper than 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGeometry([]byte(tt.in), DefaultLimits)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseGeometry(%s) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseGeometry(%s): %v", tt.in, err)
			}
			if !orb.Equal(got, tt.want) {
				t.Errorf("ParseGeometry(%s) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseGeometryVertexLimit(t *testing.T) {
	in := `{"type":"MultiPoint","coordinates":[[1,1],[2,2],[3,3]]}`
	if _, err := ParseGeometry([]byte(in), Limits{MaxVertices: 3, MaxDepth: 1}); err != nil {
		t.Fatalf("3 vertices with a limit of 3: %v", err)
	}
	_, err := ParseGeometry([]byte(in), Limits{MaxVertices: 2, MaxDepth: 1})
	if err == nil || !strings.Contains(err.Error(), "more than 2 vertices") {
		t.Fatalf("3 vertices with a limit of 2: error = %v", err)
	}
}

func FuzzParseGeometry(f *testing.F) {
	for _, s := range []string{`"crashme"`, `{}`, `{"type":"Point"}`, `{"type":"Point","coordinates":[]}`, `{"type":"Point","coordinates":[[]]}`,
		`{"type":"Point","coordinates":[1]}`, `{"type":"Polygon","coordinates":[[]]}`, `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`,
		`{"type":"GeometryCollection","geometries":[{"type":"MultiLineString","coordinates":[[[0,0],[1,1]]]}]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseGeometry([]byte(s), Limits{MaxVertices: 1000, MaxDepth: 3})
		if err != nil {
			return
		}
		if g == nil {
			t.Fatalf("%q accepted as a nil geometry", s)
		}
		b := g.Bound()
		if len(orbPoints(g)) > 0 && (b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90) {
			t.Fatalf("%q accepted with out-of-range bound %v", s, b)
		}
	})
}

func orbPoints(g orb.Geometry) []orb.Point {
	var out []orb.Point
	switch g := g.(type) {
	case orb.Point:
		out = append(out, g)
	case orb.MultiPoint:
		out = append(out, g...)
	case orb.LineString:
		out = append(out, g...)
	case orb.MultiLineString:
		for _, l := range g {
			out = append(out, l...)
		}
	case orb.Polygon:
		for _, r := range g {
			out = append(out, r...)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				out = append(out, r...)
			}
		}
	case orb.Collection:
		for _, m := range g {
			out = append(out, orbPoints(m)...)
		}
	}
	return out
}

package geo

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestParseCRS(t *testing.T) {
	tests := []struct {
		in   string
		want CRS
	}{
		{"http://www.opengis.net/def/crs/OGC/1.3/CRS84", CRS84},
		{"[OGC:CRS84]", CRS84},
		{"http://www.opengis.net/def/crs/EPSG/0/4326", EPSG4326},
		{"[EPSG:4326]", EPSG4326},
		{"http://www.opengis.net/def/crs/EPSG/0/3857", EPSG3857},
		{"[EPSG:3857]", EPSG3857},
	}
	for _, tt := range tests {
		got, err := ParseCRS(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseCRS(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "EPSG:4326", "[EPSG:2056]", "http://www.opengis.net/def/crs/EPSG/0/2056", "https://www.opengis.net/def/crs/EPSG/0/4326", "[EPSG:4326"} {
		_, err := ParseCRS(bad)
		if err == nil || !strings.Contains(err.Error(), "unsupported CRS") || !strings.Contains(err.Error(), URICRS84) {
			t.Errorf("ParseCRS(%q) error = %v, want unsupported with the supported list", bad, err)
		}
	}
}

// mercator is the forward EPSG:3857 projection, written out independently
// of the inverse under test.
func mercator(lon, lat float64) (x, y float64) {
	return webMercatorRadius * lon * math.Pi / 180, webMercatorRadius * math.Log(math.Tan(math.Pi/4+lat*math.Pi/360))
}

func TestParseBBoxIn(t *testing.T) {
	dumayr := BBox{36.5, 33.5, 36.9, 33.8}
	x0, y0 := mercator(36.5, 33.5)
	x1, y1 := mercator(36.9, 33.8)
	tests := []struct {
		name string
		in   string
		crs  CRS
		want BBox
	}{
		{"CRS84 is lon/lat", "36.5,33.5,36.9,33.8", CRS84, dumayr},
		{"EPSG:4326 is lat/lon", "33.5,36.5,33.8,36.9", EPSG4326, dumayr},
		{"EPSG:4326 with heights", "33.5,36.5,0,33.8,36.9,10", EPSG4326, dumayr},
		{"EPSG:4326 across the antimeridian", "-20,170,20,-170", EPSG4326, BBox{170, -20, -170, 20}},
		{"EPSG:3857 metres", fmt.Sprintf("%v,%v,%v,%v", x0, y0, x1, y1), EPSG3857, dumayr},
		{"EPSG:3857 whole world", "-20037508.342789244,-20037508.342789244,20037508.342789244,20037508.342789244", EPSG3857, BBox{-180, -85.0511287798066, 180, 85.0511287798066}},
		{"EPSG:3857 edge rounded up by a client", "-20037508.35,0,20037508.35,1", EPSG3857, BBox{-180, 0, 180, 8.983152841195214e-06}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBBoxIn(tt.in, tt.crs)
			if err != nil {
				t.Fatal(err)
			}
			for i, pair := range [][2]float64{{got.West, tt.want.West}, {got.South, tt.want.South}, {got.East, tt.want.East}, {got.North, tt.want.North}} {
				if math.Abs(pair[0]-pair[1]) > 1e-9 {
					t.Errorf("value %d = %v, want %v (box %+v)", i, pair[0], pair[1], got)
				}
			}
		})
	}

	errs := []struct {
		name, in string
		crs      CRS
		want     string
	}{
		{"EPSG:4326 latitude first, so 36.5 first is fine but 100 is not", "100,36.5,33.8,36.9", EPSG4326, "latitude 100 is outside -90..90"},
		{"EPSG:4326 south above north", "34,36.5,33,36.9", EPSG4326, "south latitude 34 is greater than north latitude 33"},
		{"EPSG:3857 beyond the world", "-30000000,0,0,10", EPSG3857, "outside ±20037508.342789244 metres"},
		{"EPSG:3857 south above north", "0,10,10,0", EPSG3857, "south y 10 is greater than north y 0"},
		{"EPSG:3857 three numbers", "0,0,1", EPSG3857, "expected 4 or 6"},
		{"unknown CRS value", "0,0,1,1", CRS{URI: "x"}, "unsupported CRS"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBBoxIn(tt.in, tt.crs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func FuzzParseBBoxIn(f *testing.F) {
	for _, s := range []string{"33.5,36.5,33.8,36.9", "-20037508.35,-1e300,20037508.35,1e300", "1,2,3,4,5,6", "NaN,0,0,0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range SupportedCRS() {
			b, err := ParseBBoxIn(s, c)
			if err != nil {
				continue
			}
			// Whatever any CRS accepts ends up a valid CRS84 box.
			if _, err := ParseBBox(b.String()); err != nil {
				t.Fatalf("ParseBBoxIn(%q, %s) = %+v, not a CRS84 box: %v", s, c.URI, b, err)
			}
		}
	})
}

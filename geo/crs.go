package geo

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// CRS is a coordinate reference system the API can answer in (OGC API -
// Features Part 2). The list is short on purpose: each entry is a case the
// store knows how to write and tests check.
type CRS struct {
	// URI is the OGC name clients send in crs and bbox-crs and get back in
	// the Content-Crs header.
	URI string
	// SRID is the PostGIS spatial reference id of the coordinates.
	SRID int
	// LatLon is true when the CRS's axis order is latitude first, as
	// EPSG:4326 defines it. CRS84 is the same datum with longitude first.
	LatLon bool
}

// URICRS84 is WGS 84 longitude, latitude: the storage CRS and the default
// of every response, as RFC 7946 GeoJSON requires.
const URICRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

var (
	CRS84    = CRS{URI: URICRS84, SRID: 4326}
	EPSG4326 = CRS{URI: "http://www.opengis.net/def/crs/EPSG/0/4326", SRID: 4326, LatLon: true}
	EPSG3857 = CRS{URI: "http://www.opengis.net/def/crs/EPSG/0/3857", SRID: 3857}
)

// SupportedCRS lists every CRS the API accepts, the default first.
func SupportedCRS() []CRS { return []CRS{CRS84, EPSG4326, EPSG3857} }

// CRSURIs returns the URIs of SupportedCRS, for the collection's crs list.
func CRSURIs() []string {
	var out []string
	for _, c := range SupportedCRS() {
		out = append(out, c.URI)
	}
	return out
}

// ParseCRS reads a crs or bbox-crs value: one of the URIs of SupportedCRS,
// or its safe CURIE ("[EPSG:4326]", "[OGC:CRS84]"), which OGC API Part 2
// also allows.
func ParseCRS(s string) (CRS, error) {
	for _, c := range SupportedCRS() {
		if s == c.URI || s == c.curie() {
			return c, nil
		}
	}
	return CRS{}, fmt.Errorf("unsupported CRS %q (supported: %s)", s, strings.Join(CRSURIs(), ", "))
}

// curie is the safe CURIE form of c's URI: [EPSG:4326], [OGC:CRS84].
func (c CRS) curie() string {
	const prefix = "http://www.opengis.net/def/crs/"
	rest, ok := strings.CutPrefix(c.URI, prefix)
	if !ok {
		return ""
	}
	parts := strings.Split(rest, "/") // authority, version, code
	if len(parts) != 3 {
		return ""
	}
	return "[" + parts[0] + ":" + parts[2] + "]"
}

// webMercatorRadius is the sphere EPSG:3857 projects onto; its world is
// ±π·R metres wide.
const webMercatorRadius = 6378137.0

// webMercatorMaxX is the antimeridian in EPSG:3857 metres.
var webMercatorMaxX = math.Pi * webMercatorRadius

// ParseBBoxIn reads a bbox written in c (the bbox-crs parameter) and
// returns it in CRS84 degrees, so the query compares it with the stored
// geometry as it is and the spatial index is used: the box is converted,
// never the column. EPSG:4326 numbers come latitude first and are swapped;
// EPSG:3857 metres are unprojected with the spherical Mercator inverse,
// which is exact for that CRS. A west value greater than the east value
// crosses the antimeridian in every CRS.
func ParseBBoxIn(s string, c CRS) (BBox, error) {
	n, err := parseBBoxNumbers(s)
	if err != nil {
		return BBox{}, err
	}
	// Heights, when given, sit at index 2 and 5; the pairs around them are
	// the two corners.
	x0, y0, x1, y1 := 0, 1, 2, 3
	if len(n) == 6 {
		x1, y1 = 3, 4
	}
	switch c {
	case CRS84:
	case EPSG4326:
		n[x0], n[y0] = n[y0], n[x0]
		n[x1], n[y1] = n[y1], n[x1]
	case EPSG3857:
		for _, i := range []int{x0, x1} {
			// A centimetre of slack: clients round the world's edge.
			if math.Abs(n[i]) > webMercatorMaxX+0.01 {
				return BBox{}, fmt.Errorf("x %s is outside ±%s metres, the width of the EPSG:3857 world", formatNumber(n[i]), formatNumber(webMercatorMaxX))
			}
		}
		if n[y0] > n[y1] {
			return BBox{}, fmt.Errorf("south y %s is greater than north y %s", formatNumber(n[y0]), formatNumber(n[y1]))
		}
		for _, i := range []int{x0, x1} {
			// Clamped: at ±π·R rounding can land a hair beyond ±180.
			n[i] = max(-180, min(180, n[i]/webMercatorRadius*180/math.Pi))
		}
		for _, i := range []int{y0, y1} {
			n[i] = math.Atan(math.Sinh(n[i]/webMercatorRadius)) * 180 / math.Pi
		}
	default:
		return BBox{}, fmt.Errorf("unsupported CRS %q", c.URI)
	}
	return lonLatBox(n)
}

// formatNumber writes metres as people type them, not in e-notation.
func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Package geo parses and checks the spatial and temporal inputs of the API:
// bounding boxes, datetime intervals and GeoJSON geometries. It is pure: orb
// values and strings in, validated values or errors out, no database and no
// HTTP. Errors describe the rule broken, without the field name, which the
// caller knows and adds.
package geo

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// BBox is a WGS 84 longitude/latitude box (OGC CRS84 axis order). West may be
// greater than East: such a box crosses the antimeridian.
type BBox struct {
	West, South, East, North float64
}

// ParseBBox reads the OGC API "bbox" parameter: 4 numbers (minLon, minLat,
// maxLon, maxLat) or 6 (with minimum and maximum heights, which are checked
// but otherwise ignored because events carry no height).
func ParseBBox(s string) (BBox, error) {
	n, err := parseBBoxNumbers(s)
	if err != nil {
		return BBox{}, err
	}
	return lonLatBox(n)
}

// parseBBoxNumbers reads the 4 or 6 finite numbers of a bbox parameter,
// whatever CRS they are in, and checks the heights of a 6-number box.
func parseBBoxNumbers(s string) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return nil, fmt.Errorf("expected 4 or 6 comma-separated numbers, got %d", len(parts))
	}
	n := make([]float64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("value %d (%q) is not a finite number", i+1, p)
		}
		n[i] = v
	}
	if len(n) == 6 && n[2] > n[5] {
		return nil, fmt.Errorf("minimum height %v is above maximum height %v", n[2], n[5])
	}
	return n, nil
}

// lonLatBox checks 4 or 6 numbers in longitude, latitude order.
func lonLatBox(n []float64) (BBox, error) {
	var b BBox
	if len(n) == 4 {
		b = BBox{West: n[0], South: n[1], East: n[2], North: n[3]}
	} else {
		b = BBox{West: n[0], South: n[1], East: n[3], North: n[4]}
	}
	for _, lon := range []float64{b.West, b.East} {
		if lon < -180 || lon > 180 {
			return BBox{}, fmt.Errorf("longitude %v is outside -180..180", lon)
		}
	}
	for _, lat := range []float64{b.South, b.North} {
		if lat < -90 || lat > 90 {
			return BBox{}, fmt.Errorf("latitude %v is outside -90..90", lat)
		}
	}
	if b.South > b.North {
		return BBox{}, fmt.Errorf("south latitude %v is greater than north latitude %v", b.South, b.North)
	}
	return b, nil
}

// CrossesAntimeridian reports whether the box wraps from 180° to -180°.
func (b BBox) CrossesAntimeridian() bool { return b.West > b.East }

// Bounds returns the box as one or, when it crosses the antimeridian, two
// ordinary boxes. Querying the raw numbers instead would select the 340°-wide
// band the user did not ask for.
func (b BBox) Bounds() []orb.Bound {
	if !b.CrossesAntimeridian() {
		return []orb.Bound{{Min: orb.Point{b.West, b.South}, Max: orb.Point{b.East, b.North}}}
	}
	return []orb.Bound{
		{Min: orb.Point{b.West, b.South}, Max: orb.Point{180, b.North}},
		{Min: orb.Point{-180, b.South}, Max: orb.Point{b.East, b.North}},
	}
}

// String formats the box the way ParseBBox reads it.
func (b BBox) String() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return f(b.West) + "," + f(b.South) + "," + f(b.East) + "," + f(b.North)
}

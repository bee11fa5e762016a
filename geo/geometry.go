package geo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// Limits caps the work one geometry can cause.
type Limits struct {
	MaxVertices int // total positions in the geometry
	MaxDepth    int // GeometryCollection nesting; 1 = no nested collections
}

// DefaultLimits are generous for conflict events (a region outline) and small
// enough that one request cannot tie up the database.
var DefaultLimits = Limits{MaxVertices: 100_000, MaxDepth: 3}

// ParseGeometry decodes and checks one RFC 7946 geometry object. It works on
// the raw JSON, not on a decoded orb value, because the checks are about
// what decoders silently forgive: a position with one or four numbers, a
// "crs" member (metres read as degrees), an unclosed ring.
func ParseGeometry(raw []byte, lim Limits) (orb.Geometry, error) {
	// encoding/json would quietly turn bad bytes into U+FFFD; RFC 8259
	// says JSON is UTF-8, and PostGIS refuses anything else.
	if !utf8.Valid(raw) {
		return nil, fmt.Errorf("not valid JSON: the text is not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not valid JSON: data after the geometry object")
	}
	p := geomParser{lim: lim}
	return p.geometry(v, "", 1)
}

type geomParser struct {
	lim      Limits
	vertices int
}

func (p *geomParser) geometry(v any, path string, depth int) (orb.Geometry, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%sexpected a GeoJSON geometry object", at(path))
	}
	if _, ok := obj["crs"]; ok {
		return nil, fmt.Errorf("%s\"crs\" is not allowed: RFC 7946 coordinates are always WGS 84 longitude, latitude", at(path))
	}
	typ, _ := obj["type"].(string)
	if typ == "GeometryCollection" {
		if depth > p.lim.MaxDepth {
			return nil, fmt.Errorf("%sGeometryCollection nesting deeper than %d", at(path), p.lim.MaxDepth)
		}
		members, ok := obj["geometries"].([]any)
		if !ok {
			return nil, fmt.Errorf("%sGeometryCollection needs a \"geometries\" array", at(path))
		}
		gc := make(orb.Collection, 0, len(members))
		for i, m := range members {
			g, err := p.geometry(m, fmt.Sprintf("%sgeometries[%d]", prefix(path), i), depth+1)
			if err != nil {
				return nil, err
			}
			gc = append(gc, g)
		}
		return gc, nil
	}
	c, ok := obj["coordinates"]
	if !ok {
		if typ == "" {
			return nil, fmt.Errorf("%s\"type\" is missing or not a string", at(path))
		}
		return nil, fmt.Errorf("%s%s needs a \"coordinates\" array", at(path), typ)
	}
	cpath := prefix(path) + "coordinates"
	switch typ {
	case "Point":
		return p.position(c, cpath)
	case "MultiPoint":
		return decodeList(p, c, cpath, 0, func(v any, path string) (orb.Point, error) { return p.position(v, path) }, func(ps []orb.Point) orb.MultiPoint { return ps })
	case "LineString":
		return p.lineString(c, cpath)
	case "MultiLineString":
		return decodeList(p, c, cpath, 0, p.lineString, func(ls []orb.LineString) orb.MultiLineString { return ls })
	case "Polygon":
		return p.polygon(c, cpath)
	case "MultiPolygon":
		return decodeList(p, c, cpath, 0, p.polygon, func(ps []orb.Polygon) orb.MultiPolygon { return ps })
	case "":
		return nil, fmt.Errorf("%s\"type\" is missing or not a string", at(path))
	default:
		return nil, fmt.Errorf("%sunknown geometry type %q (allowed: Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon, GeometryCollection)", at(path), typ)
	}
}

// decodeList reads a JSON array whose members are decoded by one, checking
// it has at least min members.
func decodeList[T any, R orb.Geometry](p *geomParser, v any, path string, min int, one func(any, string) (T, error), wrap func([]T) R) (orb.Geometry, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%sexpected an array", at(path))
	}
	if len(arr) < min {
		return nil, fmt.Errorf("%sexpected at least %d members, got %d", at(path), min, len(arr))
	}
	out := make([]T, 0, len(arr))
	for i, m := range arr {
		x, err := one(m, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return wrap(out), nil
}

func (p *geomParser) position(v any, path string) (orb.Point, error) {
	arr, ok := v.([]any)
	if !ok {
		return orb.Point{}, fmt.Errorf("%sa position is an array of numbers", at(path))
	}
	if len(arr) != 2 && len(arr) != 3 {
		return orb.Point{}, fmt.Errorf("%sa position has 2 or 3 numbers (longitude, latitude[, height]), got %d", at(path), len(arr))
	}
	var n [3]float64
	for i, x := range arr {
		num, ok := x.(json.Number)
		if !ok {
			return orb.Point{}, fmt.Errorf("%s[%d] is not a number", path, i)
		}
		f, err := num.Float64()
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return orb.Point{}, fmt.Errorf("%s[%d] is not a finite number", path, i)
		}
		n[i] = f
	}
	if n[0] < -180 || n[0] > 180 {
		return orb.Point{}, fmt.Errorf("%slongitude %v is outside -180..180", at(path), n[0])
	}
	if n[1] < -90 || n[1] > 90 {
		return orb.Point{}, fmt.Errorf("%slatitude %v is outside -90..90", at(path), n[1])
	}
	p.vertices++
	if p.lim.MaxVertices > 0 && p.vertices > p.lim.MaxVertices {
		return orb.Point{}, fmt.Errorf("more than %d vertices", p.lim.MaxVertices)
	}
	return orb.Point{n[0], n[1]}, nil
}

func (p *geomParser) lineString(v any, path string) (orb.LineString, error) {
	g, err := decodeList(p, v, path, 2, func(v any, path string) (orb.Point, error) { return p.position(v, path) }, func(ps []orb.Point) orb.LineString { return ps })
	if err != nil {
		return nil, err
	}
	return g.(orb.LineString), nil
}

func (p *geomParser) ring(v any, path string) (orb.Ring, error) {
	if arr, ok := v.([]any); ok && len(arr) < 4 {
		return nil, fmt.Errorf("%sa linear ring needs at least 4 positions, got %d", at(path), len(arr))
	}
	g, err := decodeList(p, v, path, 4, func(v any, path string) (orb.Point, error) { return p.position(v, path) }, func(ps []orb.Point) orb.Ring { return ps })
	if err != nil {
		return nil, err
	}
	r := g.(orb.Ring)
	if !r.Closed() {
		return nil, fmt.Errorf("%sring is not closed: the first and last positions must be equal", at(path))
	}
	return r, nil
}

func (p *geomParser) polygon(v any, path string) (orb.Polygon, error) {
	g, err := decodeList(p, v, path, 1, p.ring, func(rs []orb.Ring) orb.Polygon { return rs })
	if err != nil {
		return nil, err
	}
	return g.(orb.Polygon), nil
}

func prefix(path string) string {
	if path == "" {
		return ""
	}
	return path + "."
}

func at(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

package cql2

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"eventmap"
	"eventmap/geo"
)

// Field is the name every filter error is reported under, matching the
// OGC query parameter.
const Field = "filter"

// Limits caps the work one filter can cause. A zero field takes the value
// from DefaultLimits.
type Limits struct {
	MaxLength int        // bytes of source text or JSON
	MaxDepth  int        // nesting of parentheses, NOT, AND/OR and operators
	MaxNodes  int        // expression nodes (predicates and boolean operators)
	MaxList   int        // values in one IN list
	Geometry  geo.Limits // vertices and collection nesting of one geometry literal
}

// DefaultLimits fit a filter in a URL (browsers and proxies cut near 8 KiB)
// while keeping the SQL it compiles to small.
var DefaultLimits = Limits{
	MaxLength: 8 << 10,
	MaxDepth:  20,
	MaxNodes:  500,
	MaxList:   1000,
	Geometry:  geo.Limits{MaxVertices: 10_000, MaxDepth: 2},
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxLength <= 0 {
		l.MaxLength = d.MaxLength
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = d.MaxNodes
	}
	if l.MaxList <= 0 {
		l.MaxList = d.MaxList
	}
	if l.Geometry.MaxVertices <= 0 {
		l.Geometry.MaxVertices = d.Geometry.MaxVertices
	}
	if l.Geometry.MaxDepth <= 0 {
		l.Geometry.MaxDepth = d.Geometry.MaxDepth
	}
	return l
}

// Languages are the filter-lang values Parse accepts; the first is the
// default when a request gives none.
var Languages = []string{"cql2-text", "cql2-json"}

// Parse reads a filter in the language named by the OGC filter-lang
// parameter ("" means cql2-text), so a handler needs one call.
func Parse(lang, src string, qs Queryables, lim Limits) (Expr, error) {
	switch lang {
	case "", "cql2-text":
		return ParseText(src, qs, lim)
	case "cql2-json":
		return ParseJSON([]byte(src), qs, lim)
	}
	return nil, eventmap.Invalid("filter-lang", fmt.Sprintf("%q is not supported; use one of %s", lang, strings.Join(Languages, ", ")))
}

// invalid is the one way both parsers report a broken rule. where is
// "byte N" (1-based) for text and a JSON path for JSON, so the client can
// find the spot.
func invalid(where, format string, args ...any) error {
	return eventmap.Invalid(Field, "at "+where+": "+fmt.Sprintf(format, args...))
}

// checker holds what both parsers share: the allow-list, the limits and
// the count of nodes built so far. All type rules live here, so the two
// encodings cannot drift apart.
type checker struct {
	qs    Queryables
	lim   Limits
	nodes int
}

func (c *checker) node(where string) error {
	c.nodes++
	if c.nodes > c.lim.MaxNodes {
		return invalid(where, "more than %d expression nodes", c.lim.MaxNodes)
	}
	return nil
}

func (c *checker) depth(where string, d int) error {
	if d > c.lim.MaxDepth {
		return invalid(where, "nested deeper than %d levels", c.lim.MaxDepth)
	}
	return nil
}

func (c *checker) property(name, where string) (Queryable, error) {
	q, ok := c.qs.Lookup(name)
	if !ok {
		return Queryable{}, invalid(where, "unknown property %q; queryable properties are %s", name, strings.Join(c.qs.Names(), ", "))
	}
	return q, nil
}

// operand is one side of a comparison before it is known which side is
// the property.
type operand struct {
	isProp bool
	prop   string
	lit    Literal
	where  string
}

// maxExactInt is the largest integer a float64 holds exactly; integer
// literals beyond it would compare wrongly, so they are refused.
const maxExactInt = 1 << 53

// value checks that lit may be compared with q.
func (c *checker) value(q Queryable, lit Literal, where string) error {
	switch q.Type {
	case String:
		if lit.Kind != KindString {
			return invalid(where, "%s is a string: compare it with a 'quoted' string, not %s", q.Name, kindName(lit.Kind))
		}
		if len(q.Enum) > 0 && !slices.Contains(q.Enum, lit.Str) {
			return invalid(where, "%q is not a value of %s; allowed: %s", lit.Str, q.Name, strings.Join(q.Enum, ", "))
		}
	case Integer:
		if lit.Kind != KindNumber {
			return invalid(where, "%s is an integer: compare it with a number, not %s", q.Name, kindName(lit.Kind))
		}
		if lit.Num != math.Trunc(lit.Num) || math.Abs(lit.Num) > maxExactInt {
			return invalid(where, "%s is an integer: %s is not a whole number within ±2^53", q.Name, formatNumber(lit.Num))
		}
	case Number:
		if lit.Kind != KindNumber {
			return invalid(where, "%s is a number: compare it with a number, not %s", q.Name, kindName(lit.Kind))
		}
	case Timestamp:
		if lit.Kind != KindTimestamp && lit.Kind != KindDate {
			return invalid(where, "%s is a timestamp: compare it with TIMESTAMP('2025-10-19T03:00:00Z') or DATE('2025-10-19'), not %s", q.Name, kindName(lit.Kind))
		}
	case Boolean:
		if lit.Kind != KindBool {
			return invalid(where, "%s is a boolean: compare it with TRUE or FALSE, not %s", q.Name, kindName(lit.Kind))
		}
	case Geometry:
		return invalid(where, "%s is a geometry: use S_INTERSECTS(%s, <geometry>)", q.Name, q.Name)
	default:
		return invalid(where, "%s has a type (%q) that cannot be filtered on", q.Name, q.Type)
	}
	return nil
}

func kindName(k Kind) string {
	switch k {
	case KindString:
		return "a string"
	case KindNumber:
		return "a number"
	case KindBool:
		return "a boolean"
	case KindTimestamp:
		return "a timestamp"
	case KindDate:
		return "a date"
	}
	return "a value"
}

func (c *checker) compare(op Op, a, b operand, where string) (Expr, error) {
	if err := c.node(where); err != nil {
		return nil, err
	}
	// Unknown names first: "fatalities = NaN" is about NaN not being a
	// property, not about comparing two properties.
	for _, o := range []operand{a, b} {
		if o.isProp {
			if _, err := c.property(o.prop, o.where); err != nil {
				return nil, err
			}
		}
	}
	switch {
	case a.isProp && b.isProp:
		return c.compareProperties(op, a, b, where)
	case !a.isProp && !b.isProp:
		return nil, invalid(where, "a comparison needs a property on one side")
	case !a.isProp:
		a, b, op = b, a, op.flip()
	}
	q, err := c.property(a.prop, a.where)
	if err != nil {
		return nil, err
	}
	if err := c.value(q, b.lit, b.where); err != nil {
		return nil, err
	}
	if q.Type == Boolean && op != Eq && op != Ne {
		return nil, invalid(where, "%s is a boolean: only = and <> apply", q.Name)
	}
	return Compare{Op: op, Prop: q.Name, Value: b.lit}, nil
}

// compareProperties checks a comparison of two properties: they must be
// of one type, numbers of either kind counting as one, and geometries are
// compared with S_INTERSECTS, not here.
func (c *checker) compareProperties(op Op, a, b operand, where string) (Expr, error) {
	qa, err := c.property(a.prop, a.where)
	if err != nil {
		return nil, err
	}
	qb, err := c.property(b.prop, b.where)
	if err != nil {
		return nil, err
	}
	ta, tb := comparableType(qa.Type), comparableType(qb.Type)
	switch {
	case ta == Geometry || tb == Geometry:
		return nil, invalid(where, "geometries are not compared with %s; use S_INTERSECTS(%s, <geometry>)", op, geometryOf(qa, qb).Name)
	case ta != tb:
		return nil, invalid(where, "cannot compare %s (%s) with %s (%s): the properties must be of one type", qa.Name, qa.Type, qb.Name, qb.Type)
	case ta == Boolean && op != Eq && op != Ne:
		return nil, invalid(where, "%s and %s are booleans: only = and <> apply", qa.Name, qb.Name)
	}
	return CompareProperties{Op: op, Left: qa.Name, Right: qb.Name}, nil
}

// comparableType folds integers into numbers: an integer property may be
// compared with a number property.
func comparableType(t Type) Type {
	if t == Integer {
		return Number
	}
	return t
}

// geometryOf returns whichever of two queryables is a geometry, for messages.
func geometryOf(a, b Queryable) Queryable {
	if a.Type == Geometry {
		return a
	}
	return b
}

// leftProperty checks the property on the left of LIKE, BETWEEN, IN and IS
// NULL, where a literal would make no sense.
func (c *checker) leftProperty(a operand, opName string) (Queryable, error) {
	if !a.isProp {
		return Queryable{}, invalid(a.where, "%s needs a property on its left", opName)
	}
	return c.property(a.prop, a.where)
}

func (c *checker) like(a, pattern operand, where string) (Expr, error) {
	if err := c.node(where); err != nil {
		return nil, err
	}
	q, err := c.leftProperty(a, "LIKE")
	if err != nil {
		return nil, err
	}
	if q.Type != String {
		return nil, invalid(a.where, "LIKE applies to string properties; %s is %s", q.Name, q.Type)
	}
	if pattern.isProp || pattern.lit.Kind != KindString {
		return nil, invalid(pattern.where, "a LIKE pattern is a 'quoted' string")
	}
	// PostgreSQL refuses a pattern that ends in its escape character; catch
	// it here so the client hears which rule it broke.
	p := pattern.lit.Str
	if n := len(p) - len(strings.TrimRight(p, `\`)); n%2 == 1 {
		return nil, invalid(pattern.where, `a LIKE pattern must not end with a lone backslash (write \\ for a literal backslash)`)
	}
	return Like{Prop: q.Name, Pattern: p}, nil
}

func (c *checker) between(a, lo, hi operand, where string) (Expr, error) {
	if err := c.node(where); err != nil {
		return nil, err
	}
	q, err := c.leftProperty(a, "BETWEEN")
	if err != nil {
		return nil, err
	}
	if q.Type != Integer && q.Type != Number && q.Type != Timestamp {
		return nil, invalid(a.where, "BETWEEN applies to numbers and timestamps; %s is %s", q.Name, q.Type)
	}
	for _, b := range []operand{lo, hi} {
		if b.isProp {
			return nil, invalid(b.where, "BETWEEN bounds must be literal values")
		}
		if err := c.value(q, b.lit, b.where); err != nil {
			return nil, err
		}
	}
	return Between{Prop: q.Name, Low: lo.lit, High: hi.lit}, nil
}

func (c *checker) in(a operand, list []operand, where string) (Expr, error) {
	if err := c.node(where); err != nil {
		return nil, err
	}
	q, err := c.leftProperty(a, "IN")
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, invalid(where, "IN needs at least one value")
	}
	vals := make([]Literal, len(list))
	for i, b := range list {
		if b.isProp {
			return nil, invalid(b.where, "IN lists hold literal values, not properties")
		}
		if err := c.value(q, b.lit, b.where); err != nil {
			return nil, err
		}
		vals[i] = b.lit
	}
	return In{Prop: q.Name, Values: vals}, nil
}

func (c *checker) isNull(a operand, where string) (Expr, error) {
	if err := c.node(where); err != nil {
		return nil, err
	}
	q, err := c.leftProperty(a, "IS NULL")
	if err != nil {
		return nil, err
	}
	return IsNull{Prop: q.Name}, nil
}

func (c *checker) geometryProperty(name, where string) (Queryable, error) {
	q, err := c.property(name, where)
	if err != nil {
		return q, err
	}
	if q.Type != Geometry {
		return q, invalid(where, "S_INTERSECTS applies to geometry properties; %s is %s", q.Name, q.Type)
	}
	return q, nil
}

func (c *checker) instantProperty(name, where string) (Queryable, error) {
	q, err := c.property(name, where)
	if err != nil {
		return q, err
	}
	if q.Type != Timestamp {
		return q, invalid(where, "T_INTERSECTS applies to timestamp properties; %s is %s", q.Name, q.Type)
	}
	return q, nil
}

// interval checks the ends of a T_INTERSECTS interval; nil is open.
func (c *checker) interval(start, end *Literal, where string) error {
	if start == nil || end == nil {
		return nil
	}
	// A DATE end covers its whole day, a TIMESTAMP end is the last instant.
	empty := start.Time.After(end.Time)
	if end.Kind == KindDate {
		empty = !start.Time.Before(end.DayEnd())
	}
	if empty {
		return invalid(where, "the interval starts (%s) after it ends (%s)", start.Time.Format(time.RFC3339Nano), end.Time.Format(time.RFC3339Nano))
	}
	return nil
}

// checkBBox applies the rules of the bbox query parameter to a BBOX
// literal: finite, in range, south not above north. West above east is
// allowed: the box crosses the antimeridian.
func checkBBox(n []float64, where string) (*geo.BBox, error) {
	if len(n) != 4 && len(n) != 6 {
		return nil, invalid(where, "a BBOX has 4 or 6 numbers, got %d", len(n))
	}
	b := geo.BBox{West: n[0], South: n[1], East: n[2], North: n[3]}
	if len(n) == 6 {
		if n[2] > n[5] {
			return nil, invalid(where, "BBOX minimum height %v is above maximum height %v", n[2], n[5])
		}
		b = geo.BBox{West: n[0], South: n[1], East: n[3], North: n[4]}
	}
	for _, lon := range []float64{b.West, b.East} {
		if lon < -180 || lon > 180 {
			return nil, invalid(where, "BBOX longitude %v is outside -180..180", lon)
		}
	}
	for _, lat := range []float64{b.South, b.North} {
		if lat < -90 || lat > 90 {
			return nil, invalid(where, "BBOX latitude %v is outside -90..90", lat)
		}
	}
	if b.South > b.North {
		return nil, invalid(where, "BBOX south latitude %v is greater than north latitude %v", b.South, b.North)
	}
	return &b, nil
}

// parseTimestamp reads an RFC 3339 date-time with a time zone.
func parseTimestamp(s, where string) (Literal, error) {
	// RFC 3339 allows lower-case "t" and "z"; Go's parser does not.
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		return Literal{}, invalid(where, "%q is not an RFC 3339 timestamp with a time zone (e.g. 2025-10-19T03:00:00Z)", s)
	}
	t = t.UTC()
	if t.Year() < 1 {
		return Literal{}, invalid(where, "%q is before the year 1", s)
	}
	return Literal{Kind: KindTimestamp, Time: t}, nil
}

// parseDate reads an RFC 3339 full-date.
func parseDate(s, where string) (Literal, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < 1 {
		return Literal{}, invalid(where, "%q is not a date (YYYY-MM-DD)", s)
	}
	return Literal{Kind: KindDate, Time: t}, nil
}

// parseInstant reads an interval end given as a bare string: "..", a date
// or a timestamp. It returns nil for "..".
func parseInstant(s, where string) (*Literal, error) {
	if s == ".." {
		return nil, nil
	}
	var l Literal
	var err error
	if len(s) == len(time.DateOnly) {
		l, err = parseDate(s, where)
	} else {
		l, err = parseTimestamp(s, where)
	}
	if err != nil {
		return nil, err
	}
	return &l, nil
}

func checkString(s, where string) error {
	// PostgreSQL text cannot hold NUL; refusing it here keeps it from
	// turning into a database error.
	if strings.IndexByte(s, 0) >= 0 {
		return invalid(where, "strings must not contain NUL characters")
	}
	return nil
}

func checkNumber(f float64, src, where string) (float64, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, invalid(where, "%s is not a finite number", src)
	}
	return f, nil
}

func parseNumber(src, where string) (float64, error) {
	f, err := strconv.ParseFloat(src, 64)
	if err != nil && !isRangeErr(err) {
		return 0, invalid(where, "%q is not a number", src)
	}
	return checkNumber(f, src, where)
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// checkPosition applies RFC 7946's ranges to one WKT position, as
// geo.ParseGeometry does for GeoJSON.
func checkPosition(x, y float64, where string) error {
	if x < -180 || x > 180 {
		return invalid(where, "longitude %v is outside -180..180", x)
	}
	if y < -90 || y > 90 {
		return invalid(where, "latitude %v is outside -90..90", y)
	}
	return nil
}

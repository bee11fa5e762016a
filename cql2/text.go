package cql2

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"eventmap/geo"
)

// reserved words cannot be bare property names; a property spelt like one
// must be double-quoted. Function-like keywords (TIMESTAMP, BBOX, …) are
// only keywords when a '(' follows, so they are not listed.
var reserved = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "LIKE": true, "BETWEEN": true, "IN": true,
	"IS": true, "NULL": true, "TRUE": true, "FALSE": true,
}

// ParseText parses a cql2-text filter. Keywords are case-insensitive;
// property names are bare identifiers or "double-quoted".
func ParseText(src string, qs Queryables, lim Limits) (Expr, error) {
	lim = lim.withDefaults()
	if len(src) > lim.MaxLength {
		return nil, invalid("byte "+strconv.Itoa(lim.MaxLength+1), "the filter is longer than %d bytes", lim.MaxLength)
	}
	if !utf8.ValidString(src) {
		return nil, invalid("byte "+strconv.Itoa(firstInvalidUTF8(src)+1), "the filter is not valid UTF-8")
	}
	if strings.TrimSpace(src) == "" {
		return nil, invalid("byte 1", "the filter is empty")
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &textParser{toks: toks, c: checker{qs: qs, lim: lim}}
	e, err := p.boolExpr(1)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, invalid(atTok(t), "unexpected %s after a complete expression", t.describe())
	}
	return e, nil
}

func firstInvalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return i
			}
		}
	}
	return 0
}

type textParser struct {
	toks []token
	i    int
	c    checker
}

func (p *textParser) peek() token { return p.toks[p.i] }
func (p *textParser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}
func (p *textParser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// isKeyword reports whether t is the bare word kw, in any case.
func isKeyword(t token, kw string) bool {
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

func (p *textParser) accept(kw string) bool {
	if isKeyword(p.peek(), kw) {
		p.i++
		return true
	}
	return false
}

func (p *textParser) expect(kind tokKind, what string) (token, error) {
	t := p.next()
	if t.kind != kind {
		return t, invalid(atTok(t), "expected %s, found %s", what, t.describe())
	}
	return t, nil
}

// boolExpr = term {OR term}
func (p *textParser) boolExpr(depth int) (Expr, error) {
	return p.chain(depth, "OR", p.boolTerm, func(args []Expr) Expr { return Or{Args: args} })
}

// boolTerm = factor {AND factor}
func (p *textParser) boolTerm(depth int) (Expr, error) {
	return p.chain(depth, "AND", p.boolFactor, func(args []Expr) Expr { return And{Args: args} })
}

// chain reads one or more operands joined by kw into one n-ary node, so
// "a AND b AND c" is And{a, b, c}, as cql2-json writes it.
func (p *textParser) chain(depth int, kw string, operand func(int) (Expr, error), build func([]Expr) Expr) (Expr, error) {
	start := p.peek()
	if err := p.c.depth(atTok(start), depth); err != nil {
		return nil, err
	}
	first, err := operand(depth)
	if err != nil {
		return nil, err
	}
	if !isKeyword(p.peek(), kw) {
		return first, nil
	}
	args := []Expr{first}
	for p.accept(kw) {
		e, err := operand(depth)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if err := p.c.node(atTok(start)); err != nil {
		return nil, err
	}
	return build(args), nil
}

// boolFactor = [NOT] primary
func (p *textParser) boolFactor(depth int) (Expr, error) {
	t := p.peek()
	if isKeyword(t, "NOT") {
		p.next()
		if err := p.c.depth(atTok(t), depth+1); err != nil {
			return nil, err
		}
		if err := p.c.node(atTok(t)); err != nil {
			return nil, err
		}
		e, err := p.boolFactor(depth + 1)
		if err != nil {
			return nil, err
		}
		return Not{Arg: e}, nil
	}
	return p.primary(depth)
}

func (p *textParser) primary(depth int) (Expr, error) {
	t := p.peek()
	switch {
	case t.kind == tLParen:
		p.next()
		e, err := p.boolExpr(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, "')' to close the '(' at byte "+strconv.Itoa(t.pos)); err != nil {
			return nil, err
		}
		return e, nil
	case (isKeyword(t, "TRUE") || isKeyword(t, "FALSE")) && p.peekAt(1).kind != tOp:
		p.next()
		if err := p.c.node(atTok(t)); err != nil {
			return nil, err
		}
		return Bool{Value: isKeyword(t, "TRUE")}, nil
	case t.kind == tIdent && p.peekAt(1).kind == tLParen:
		switch name := strings.ToUpper(t.text); name {
		case "S_INTERSECTS":
			return p.spatial()
		case "T_INTERSECTS":
			return p.temporal()
		case "TIMESTAMP", "DATE":
			// A time literal on the left of a comparison.
		default:
			return nil, unsupportedFunction(t)
		}
	case t.kind == tEOF:
		return nil, invalid(atTok(t), "expected a predicate, found the end of the filter")
	}
	return p.predicate()
}

// unsupportedFunction explains why a name( is refused: the operator
// families CQL2 defines get a specific message, anything else is a
// function call, which this server never evaluates.
func unsupportedFunction(t token) error {
	name := strings.ToUpper(t.text)
	switch {
	case strings.HasPrefix(name, "S_"):
		return invalid(atTok(t), "spatial operator %s is not supported; only S_INTERSECTS is", name)
	case strings.HasPrefix(name, "T_"):
		return invalid(atTok(t), "temporal operator %s is not supported; only T_INTERSECTS is", name)
	case strings.HasPrefix(name, "A_"):
		return invalid(atTok(t), "array operator %s is not supported", name)
	case name == "CASEI" || name == "ACCENTI":
		return invalid(atTok(t), "%s is not supported; string comparisons are case- and accent-sensitive", name)
	case name == "INTERVAL":
		return invalid(atTok(t), "INTERVAL is only allowed as the second argument of T_INTERSECTS")
	case isGeometryKeyword(name):
		return invalid(atTok(t), "a geometry literal is only allowed as an argument of S_INTERSECTS")
	}
	return invalid(atTok(t), "function calls are not supported (%s)", quoteForError(t.text))
}

// predicate = scalar (compOp scalar | [NOT] LIKE | [NOT] BETWEEN | [NOT] IN | IS [NOT] NULL)
func (p *textParser) predicate() (Expr, error) {
	start := p.peek()
	left, err := p.scalar()
	if err != nil {
		return nil, err
	}
	where := atTok(start)
	t := p.peek()
	if t.kind == tOp {
		p.next()
		right, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return p.c.compare(Op(t.text), left, right, atTok(t))
	}
	negate := false
	if isKeyword(t, "NOT") {
		p.next()
		negate = true
		t = p.peek()
		if !isKeyword(t, "LIKE") && !isKeyword(t, "BETWEEN") && !isKeyword(t, "IN") {
			return nil, invalid(atTok(t), "expected LIKE, BETWEEN or IN after NOT, found %s", t.describe())
		}
	}
	var e Expr
	switch {
	case isKeyword(t, "LIKE"):
		p.next()
		pat, err := p.scalar()
		if err != nil {
			return nil, err
		}
		e, err = p.c.like(left, pat, atTok(t))
		if err != nil {
			return nil, err
		}
	case isKeyword(t, "BETWEEN"):
		p.next()
		lo, err := p.scalar()
		if err != nil {
			return nil, err
		}
		if and := p.peek(); !p.accept("AND") {
			return nil, invalid(atTok(and), "expected AND between the BETWEEN bounds, found %s", and.describe())
		}
		hi, err := p.scalar()
		if err != nil {
			return nil, err
		}
		e, err = p.c.between(left, lo, hi, atTok(t))
		if err != nil {
			return nil, err
		}
	case isKeyword(t, "IN"):
		p.next()
		list, err := p.inList()
		if err != nil {
			return nil, err
		}
		e, err = p.c.in(left, list, atTok(t))
		if err != nil {
			return nil, err
		}
	case isKeyword(t, "IS"):
		p.next()
		not := p.accept("NOT")
		if n := p.peek(); !p.accept("NULL") {
			return nil, invalid(atTok(n), "expected NULL after IS, found %s", n.describe())
		}
		e, err = p.c.isNull(left, atTok(t))
		if err != nil {
			return nil, err
		}
		negate = not
	default:
		return nil, invalid(atTok(t), "expected a comparison operator (=, <>, <, <=, >, >=), LIKE, BETWEEN, IN or IS after %s, found %s", start.describe(), t.describe())
	}
	if negate {
		if err := p.c.node(where); err != nil {
			return nil, err
		}
		return Not{Arg: e}, nil
	}
	return e, nil
}

func (p *textParser) inList() ([]operand, error) {
	open, err := p.expect(tLParen, "'(' to start the IN list")
	if err != nil {
		return nil, err
	}
	var list []operand
	for {
		if len(list) == p.c.lim.MaxList {
			return nil, invalid(atTok(open), "an IN list holds at most %d values", p.c.lim.MaxList)
		}
		v, err := p.scalar()
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		t := p.next()
		if t.kind == tRParen {
			return list, nil
		}
		if t.kind != tComma {
			return nil, invalid(atTok(t), "expected ',' or ')' in the IN list, found %s", t.describe())
		}
	}
}

// scalar = property | string | number | TRUE | FALSE | TIMESTAMP(…) | DATE(…)
func (p *textParser) scalar() (operand, error) {
	t := p.next()
	where := atTok(t)
	switch t.kind {
	case tQIdent:
		return operand{isProp: true, prop: t.text, where: where}, nil
	case tString:
		if err := checkString(t.text, where); err != nil {
			return operand{}, err
		}
		return operand{lit: Literal{Kind: KindString, Str: t.text}, where: where}, nil
	case tNumber:
		f, err := parseNumber(t.text, where)
		if err != nil {
			return operand{}, err
		}
		return operand{lit: Literal{Kind: KindNumber, Num: f}, where: where}, nil
	case tIdent:
		up := strings.ToUpper(t.text)
		if p.peek().kind == tLParen {
			switch up {
			case "TIMESTAMP", "DATE":
				l, err := p.timeLiteral(t)
				return operand{lit: l, where: where}, err
			}
			return operand{}, unsupportedFunction(t)
		}
		switch up {
		case "TRUE", "FALSE":
			return operand{lit: Literal{Kind: KindBool, Bool: up == "TRUE"}, where: where}, nil
		case "NULL":
			return operand{}, invalid(where, "NULL is not a value; use IS NULL or IS NOT NULL")
		}
		if reserved[up] {
			return operand{}, invalid(where, "%s is a keyword; write \"%s\" in double quotes for a property of that name", t.text, t.text)
		}
		return operand{isProp: true, prop: t.text, where: where}, nil
	case tEOF:
		return operand{}, invalid(where, "expected a property or a value, found the end of the filter")
	}
	return operand{}, invalid(where, "expected a property or a value, found %s", t.describe())
}

// timeLiteral reads TIMESTAMP('…') or DATE('…'); kw is already consumed.
func (p *textParser) timeLiteral(kw token) (Literal, error) {
	p.next() // (
	s, err := p.expect(tString, "a 'quoted' "+strings.ToLower(kw.text))
	if err != nil {
		return Literal{}, err
	}
	if _, err := p.expect(tRParen, "')'"); err != nil {
		return Literal{}, err
	}
	if strings.EqualFold(kw.text, "DATE") {
		return parseDate(s.text, atTok(s))
	}
	return parseTimestamp(s.text, atTok(s))
}

// spatial = S_INTERSECTS '(' geomArg ',' geomArg ')'; one argument is the
// geometry property, the other a WKT or BBOX literal.
func (p *textParser) spatial() (Expr, error) {
	fn := p.next()
	p.next() // (
	if err := p.c.node(atTok(fn)); err != nil {
		return nil, err
	}
	var prop *token
	var e SIntersects
	for i := 0; i < 2; i++ {
		if i == 1 {
			if _, err := p.expect(tComma, "',' between the S_INTERSECTS arguments"); err != nil {
				return nil, err
			}
		}
		t := p.peek()
		if t.kind == tQIdent || (t.kind == tIdent && p.peekAt(1).kind != tLParen && !isGeometryKeyword(strings.ToUpper(t.text))) {
			if prop != nil {
				return nil, invalid(atTok(t), "S_INTERSECTS compares a property with a geometry literal, not two properties")
			}
			if t.kind == tIdent && reserved[strings.ToUpper(t.text)] {
				return nil, invalid(atTok(t), "expected a property or a geometry, found %s", t.describe())
			}
			p.next()
			prop = &t
			continue
		}
		if t.kind != tIdent {
			return nil, invalid(atTok(t), "expected a property or a geometry (POINT, LINESTRING, POLYGON, MULTI…, GEOMETRYCOLLECTION, BBOX), found %s", t.describe())
		}
		if e.Geom != nil || e.BBox != nil {
			return nil, invalid(atTok(t), "S_INTERSECTS compares a property with a geometry literal, not two literals")
		}
		if strings.EqualFold(t.text, "BBOX") {
			b, err := p.bbox()
			if err != nil {
				return nil, err
			}
			e.BBox = b
			continue
		}
		w := wktParser{p: p}
		g, err := w.geometry(1)
		if err != nil {
			return nil, err
		}
		e.Geom = g
	}
	if _, err := p.expect(tRParen, "')' to close S_INTERSECTS"); err != nil {
		return nil, err
	}
	if prop == nil {
		return nil, invalid(atTok(fn), "S_INTERSECTS needs a geometry property as one argument")
	}
	if e.Geom == nil && e.BBox == nil {
		return nil, invalid(atTok(fn), "S_INTERSECTS needs a geometry literal as one argument")
	}
	q, err := p.c.geometryProperty(prop.text, atTok(*prop))
	if err != nil {
		return nil, err
	}
	e.Prop = q.Name
	return e, nil
}

// bbox = BBOX '(' number ',' number ',' number ',' number [',' number ',' number] ')'
func (p *textParser) bbox() (*geo.BBox, error) {
	kw := p.next()
	if _, err := p.expect(tLParen, "'(' after BBOX"); err != nil {
		return nil, err
	}
	var n []float64
	for {
		t, err := p.expect(tNumber, "a number in BBOX")
		if err != nil {
			return nil, err
		}
		f, err := parseNumber(t.text, atTok(t))
		if err != nil {
			return nil, err
		}
		n = append(n, f)
		sep := p.next()
		if sep.kind == tRParen {
			break
		}
		if sep.kind != tComma || len(n) == 6 {
			return nil, invalid(atTok(sep), "expected ',' or ')' in BBOX, found %s", sep.describe())
		}
	}
	return checkBBox(n, atTok(kw))
}

// temporal = T_INTERSECTS '(' property ',' (INTERVAL(…) | TIMESTAMP(…) | DATE(…)) ')'
// in either order.
func (p *textParser) temporal() (Expr, error) {
	fn := p.next()
	p.next() // (
	if err := p.c.node(atTok(fn)); err != nil {
		return nil, err
	}
	var prop *token
	var start, end *Literal
	haveTime := false
	for i := 0; i < 2; i++ {
		if i == 1 {
			if _, err := p.expect(tComma, "',' between the T_INTERSECTS arguments"); err != nil {
				return nil, err
			}
		}
		t := p.peek()
		isCall := t.kind == tIdent && p.peekAt(1).kind == tLParen
		if !isCall && (t.kind == tQIdent || t.kind == tIdent) {
			if prop != nil {
				return nil, invalid(atTok(t), "T_INTERSECTS compares a property with a time literal, not two properties")
			}
			if t.kind == tIdent && reserved[strings.ToUpper(t.text)] {
				return nil, invalid(atTok(t), "expected a property or a time literal, found %s", t.describe())
			}
			p.next()
			prop = &t
			continue
		}
		if haveTime {
			return nil, invalid(atTok(t), "T_INTERSECTS compares a property with a time literal, not two literals")
		}
		switch {
		case isCall && strings.EqualFold(t.text, "INTERVAL"):
			s, e, err := p.interval()
			if err != nil {
				return nil, err
			}
			start, end = s, e
		case isCall && (strings.EqualFold(t.text, "TIMESTAMP") || strings.EqualFold(t.text, "DATE")):
			p.next()
			l, err := p.timeLiteral(t)
			if err != nil {
				return nil, err
			}
			// An instant is the interval from itself to itself.
			start, end = &l, &l
		default:
			return nil, invalid(atTok(t), "expected INTERVAL(…), TIMESTAMP(…) or DATE(…), found %s", t.describe())
		}
		haveTime = true
	}
	if _, err := p.expect(tRParen, "')' to close T_INTERSECTS"); err != nil {
		return nil, err
	}
	if prop == nil {
		return nil, invalid(atTok(fn), "T_INTERSECTS needs a timestamp property as one argument")
	}
	q, err := p.c.instantProperty(prop.text, atTok(*prop))
	if err != nil {
		return nil, err
	}
	if err := p.c.interval(start, end, atTok(fn)); err != nil {
		return nil, err
	}
	return TIntersects{Prop: q.Name, Start: start, End: end}, nil
}

// interval = INTERVAL '(' end ',' end ')' where end is '..', a date or
// timestamp string, TIMESTAMP(…) or DATE(…).
func (p *textParser) interval() (start, end *Literal, err error) {
	p.next() // INTERVAL
	p.next() // (
	var ends [2]*Literal
	for i := range ends {
		if i == 1 {
			if _, err := p.expect(tComma, "',' between the INTERVAL ends"); err != nil {
				return nil, nil, err
			}
		}
		t := p.next()
		switch {
		case t.kind == tString:
			l, err := parseInstant(t.text, atTok(t))
			if err != nil {
				return nil, nil, err
			}
			ends[i] = l
		case t.kind == tIdent && p.peek().kind == tLParen && (strings.EqualFold(t.text, "TIMESTAMP") || strings.EqualFold(t.text, "DATE")):
			l, err := p.timeLiteral(t)
			if err != nil {
				return nil, nil, err
			}
			ends[i] = &l
		default:
			return nil, nil, invalid(atTok(t), "an INTERVAL end is '..', a 'quoted' date or timestamp, TIMESTAMP(…) or DATE(…); found %s", t.describe())
		}
	}
	if _, err := p.expect(tRParen, "')' to close INTERVAL"); err != nil {
		return nil, nil, err
	}
	return ends[0], ends[1], nil
}

func isGeometryKeyword(up string) bool {
	switch up {
	case "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION", "BBOX":
		return true
	}
	return false
}

// wktParser reads a WKT geometry from the token stream, with the same
// checks geo.ParseGeometry applies to GeoJSON (ranges, ring closure,
// vertex and nesting limits), producing the same orb types.
type wktParser struct {
	p        *textParser
	vertices int
}

func (w *wktParser) geometry(depth int) (orb.Geometry, error) {
	t := w.p.next()
	up := strings.ToUpper(t.text)
	if t.kind != tIdent || !isGeometryKeyword(up) || up == "BBOX" {
		return nil, invalid(atTok(t), "expected a WKT geometry (POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON, GEOMETRYCOLLECTION), found %s", t.describe())
	}
	if n := w.p.peek(); isKeyword(n, "EMPTY") {
		return nil, invalid(atTok(n), "empty geometries are not supported")
	}
	if n := w.p.peek(); isKeyword(n, "Z") || isKeyword(n, "M") || isKeyword(n, "ZM") {
		return nil, invalid(atTok(n), "only 2D WKT is supported (no %s)", strings.ToUpper(n.text))
	}
	switch up {
	case "POINT":
		if _, err := w.open(); err != nil {
			return nil, err
		}
		pt, err := w.position()
		if err != nil {
			return nil, err
		}
		return pt, w.close()
	case "LINESTRING":
		return w.lineString()
	case "POLYGON":
		return w.polygon()
	case "MULTIPOINT":
		pts, err := list(w, func() (orb.Point, error) {
			// Both MULTIPOINT(1 2, 3 4) and MULTIPOINT((1 2), (3 4)) are WKT.
			if w.p.peek().kind == tLParen {
				w.p.next()
				pt, err := w.position()
				if err != nil {
					return pt, err
				}
				return pt, w.close()
			}
			return w.position()
		})
		return orb.MultiPoint(pts), err
	case "MULTILINESTRING":
		ls, err := list(w, w.lineString)
		return orb.MultiLineString(ls), err
	case "MULTIPOLYGON":
		ps, err := list(w, w.polygon)
		return orb.MultiPolygon(ps), err
	}
	// GEOMETRYCOLLECTION
	if depth > w.p.c.lim.Geometry.MaxDepth {
		return nil, invalid(atTok(t), "GEOMETRYCOLLECTION nesting deeper than %d", w.p.c.lim.Geometry.MaxDepth)
	}
	gs, err := list(w, func() (orb.Geometry, error) { return w.geometry(depth + 1) })
	return orb.Collection(gs), err
}

func (w *wktParser) open() (token, error) { return w.p.expect(tLParen, "'('") }

func (w *wktParser) close() error {
	_, err := w.p.expect(tRParen, "')'")
	return err
}

// list reads '(' item {',' item} ')'.
func list[T any](w *wktParser, item func() (T, error)) ([]T, error) {
	if _, err := w.open(); err != nil {
		return nil, err
	}
	var out []T
	for {
		x, err := item()
		if err != nil {
			return nil, err
		}
		out = append(out, x)
		t := w.p.next()
		if t.kind == tRParen {
			return out, nil
		}
		if t.kind != tComma {
			return nil, invalid(atTok(t), "expected ',' or ')', found %s", t.describe())
		}
	}
}

// position = x y [z]; a height is accepted and dropped, as for GeoJSON.
func (w *wktParser) position() (orb.Point, error) {
	var n [3]float64
	var first token
	k := 0
	for ; k < 3; k++ {
		t := w.p.peek()
		if t.kind != tNumber {
			break
		}
		w.p.next()
		if k == 0 {
			first = t
		}
		f, err := parseNumber(t.text, atTok(t))
		if err != nil {
			return orb.Point{}, err
		}
		n[k] = f
	}
	if k < 2 {
		t := w.p.peek()
		return orb.Point{}, invalid(atTok(t), "a WKT position is two numbers (longitude latitude), found %s", t.describe())
	}
	if err := checkPosition(n[0], n[1], atTok(first)); err != nil {
		return orb.Point{}, err
	}
	w.vertices++
	if w.vertices > w.p.c.lim.Geometry.MaxVertices {
		return orb.Point{}, invalid(atTok(first), "the geometry has more than %d vertices", w.p.c.lim.Geometry.MaxVertices)
	}
	return orb.Point{n[0], n[1]}, nil
}

func (w *wktParser) lineString() (orb.LineString, error) {
	start := w.p.peek()
	pts, err := list(w, w.position)
	if err != nil {
		return nil, err
	}
	if len(pts) < 2 {
		return nil, invalid(atTok(start), "a LINESTRING needs at least 2 positions, got %d", len(pts))
	}
	return orb.LineString(pts), nil
}

func (w *wktParser) polygon() (orb.Polygon, error) {
	rings, err := list(w, func() (orb.Ring, error) {
		start := w.p.peek()
		pts, err := list(w, w.position)
		if err != nil {
			return nil, err
		}
		r := orb.Ring(pts)
		if len(r) < 4 {
			return nil, invalid(atTok(start), "a polygon ring needs at least 4 positions, got %d", len(r))
		}
		if !r.Closed() {
			return nil, invalid(atTok(start), "the polygon ring is not closed: the first and last positions must be equal")
		}
		return r, nil
	})
	return orb.Polygon(rings), err
}

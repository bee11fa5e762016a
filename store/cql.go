package store

import (
	"strings"

	"github.com/paulmach/orb/encoding/wkb"

	"eventmap/cql2"
)

// queryable is one filterable property and the SQL that reads it. The SQL
// is a constant written here, never taken from the request: a filter only
// names a property, and this table decides which expression that means.
type queryable struct {
	cql2.Queryable
	// column is an SQL expression over the events row e, or over the rows
	// that via joins in.
	column string
	// via, for a property with several values per event (actors), is the
	// FROM … WHERE of a subquery linking those rows to e; a condition
	// holds when it holds for any of them.
	via string
	// within, for a geometry computed from the stored one (the point of
	// events-points), is an indexed geometry it lies in: spatial tests
	// check it first so the GiST index bounds the scan.
	within string
}

// queryableSet is an allow-list of filter properties: the events' (for
// each Shape) or the regions'.
type queryableSet []queryable

func (qs queryableSet) lookup(name string) (queryable, bool) {
	for _, q := range qs {
		if q.Name == name {
			return q, true
		}
	}
	return queryable{}, false
}

// public is the list handed to cql2 and published as queryables.
func (qs queryableSet) public() cql2.Queryables {
	out := make(cql2.Queryables, len(qs))
	for i, q := range qs {
		out[i] = q.Queryable
	}
	return out
}

const actorsVia = "event_actors cql_ea JOIN actors cql_a ON cql_a.id = cql_ea.actor_id WHERE cql_ea.event_id = e.id"

// queryables is the one allow-list of filter properties: the queryable
// rows of eventmap.Properties, and actor and geometry, which are not
// columns. visibility, deleted_at and the bookkeeping columns are
// deliberately absent: a filter must not be able to probe for what a
// caller may not see.
var queryables = append(propertyQueryables(),
	queryable{Queryable: cql2.Queryable{Name: "actor", Type: cql2.String, Description: "Name of an actor linked to the event; matches when any of its actors matches. IS NULL selects events with no actors"}, column: "cql_a.name", via: actorsVia},
	geometryQueryableStored,
)

var geometryQueryableStored = queryable{Queryable: cql2.Queryable{Name: "geometry", Type: cql2.Geometry,
	Description: "Where it happened (WGS 84); an area for imprecise locations"}, column: "e.geom"}

// Queryables is the allow-list handed to cql2.ParseText/ParseJSON and
// published as the events collection's queryables document.
var Queryables = queryableSet(queryables).public()

// ParseFilter reads the OGC filter and filter-lang parameters against the
// events' queryables, for EventFilter.Where.
func ParseFilter(lang, src string) (cql2.Expr, error) {
	return cql2.Parse(lang, src, Queryables, cql2.DefaultLimits)
}

var compareSQL = map[cql2.Op]string{
	cql2.Eq: "=", cql2.Ne: "<>", cql2.Lt: "<", cql2.Le: "<=", cql2.Gt: ">", cql2.Ge: ">=",
}

// compileCQL turns a parsed filter into one SQL condition on the row the
// allow-list qs describes (the events row e, or the regions row r). Every
// literal is bound through q.arg; the only text copied into the SQL is
// from this package. The parser has already checked names and types
// against the same list; anything it would have refused compiles to
// FALSE, so a hand-built Expr can narrow a result but never widen it.
func compileCQL(q *query, qs queryableSet, e cql2.Expr) string {
	onProperty := qs.onProperty
	switch e := e.(type) {
	case cql2.And:
		return joinCQL(q, qs, e.Args, " AND ")
	case cql2.Or:
		return joinCQL(q, qs, e.Args, " OR ")
	case cql2.Not:
		return "NOT (" + compileCQL(q, qs, e.Arg) + ")"
	case cql2.Bool:
		if e.Value {
			return "TRUE"
		}
		return "FALSE"
	case cql2.Compare:
		return onProperty(e.Prop, func(col string, t cql2.Type) string { return compareCQL(q, col, t, e.Op, e.Value) })
	case cql2.CompareProperties:
		return compareProperties(qs, e)
	case cql2.Like:
		return onProperty(e.Prop, func(col string, t cql2.Type) string {
			if t != cql2.String {
				return "FALSE"
			}
			// PostgreSQL's LIKE uses backslash as its escape, as CQL2 does.
			return col + " LIKE " + q.arg(e.Pattern) + "::text"
		})
	case cql2.Between:
		return onProperty(e.Prop, func(col string, t cql2.Type) string {
			return "(" + compareCQL(q, col, t, cql2.Ge, e.Low) + " AND " + compareCQL(q, col, t, cql2.Le, e.High) + ")"
		})
	case cql2.In:
		return onProperty(e.Prop, func(col string, t cql2.Type) string { return inCQL(q, col, t, e.Values) })
	case cql2.IsNull:
		qb, ok := qs.lookup(e.Prop)
		switch {
		case !ok:
			return "FALSE"
		case qb.via != "":
			return "NOT EXISTS (SELECT 1 FROM " + qb.via + ")"
		}
		return qb.column + " IS NULL"
	case cql2.SIntersects:
		qb, ok := qs.lookup(e.Prop)
		if !ok || qb.Type != cql2.Geometry || qb.via != "" {
			return "FALSE"
		}
		if e.BBox != nil {
			// As for the bbox parameter: one envelope per side of the
			// antimeridian, in the column's SRID so the GiST index is used.
			var ors []string
			for _, b := range e.BBox.Bounds() {
				ors = append(ors, qb.intersects("ST_MakeEnvelope("+
					q.arg(b.Min[0])+", "+q.arg(b.Min[1])+", "+q.arg(b.Max[0])+", "+q.arg(b.Max[1])+", 4326)"))
			}
			return "(" + strings.Join(ors, " OR ") + ")"
		}
		if e.Geom == nil {
			return "FALSE"
		}
		// ST_MakeValid because the parser checks ranges and ring closure
		// but not self-intersection, and GEOS may raise a topology error
		// on an invalid polygon. It is folded to a constant before the
		// scan, so the GiST index on geom is still used.
		return qb.intersects("ST_MakeValid(ST_GeomFromWKB(" + q.arg(wkb.Value(e.Geom)) + ", 4326))")
	case cql2.TIntersects:
		return onProperty(e.Prop, func(col string, t cql2.Type) string {
			if t != cql2.Timestamp {
				return "FALSE"
			}
			conds := []string{col + " IS NOT NULL"}
			if e.Start != nil {
				conds = append(conds, compareCQL(q, col, t, cql2.Ge, *e.Start))
			}
			if e.End != nil {
				conds = append(conds, compareCQL(q, col, t, cql2.Le, *e.End))
			}
			return "(" + strings.Join(conds, " AND ") + ")"
		})
	}
	return "FALSE"
}

func joinCQL(q *query, qs queryableSet, args []cql2.Expr, sep string) string {
	if len(args) == 0 {
		return "FALSE"
	}
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = compileCQL(q, qs, a)
	}
	return "(" + strings.Join(parts, sep) + ")"
}

// onProperty applies cond to the property's SQL. For a property with
// several values per event the condition moves into an EXISTS subquery.
func (qs queryableSet) onProperty(name string, cond func(col string, t cql2.Type) string) string {
	qb, ok := qs.lookup(name)
	if !ok {
		return "FALSE"
	}
	if qb.via == "" {
		return cond(qb.column, qb.Type)
	}
	return "EXISTS (SELECT 1 FROM " + qb.via + " AND " + cond(qb.column, qb.Type) + ")"
}

// compareProperties is Left op Right on one row. A NULL on either side
// (an unknown count) makes the comparison unknown, so the row is not
// selected, as with a literal. A multi-valued property (actor) moves the
// comparison into its EXISTS subquery, as onProperty does; both sides
// may use that one subquery, never two.
func compareProperties(qs queryableSet, e cql2.CompareProperties) string {
	l, lok := qs.lookup(e.Left)
	r, rok := qs.lookup(e.Right)
	op, opok := compareSQL[e.Op]
	if !lok || !rok || !opok || !comparable(l.Type, r.Type) || (l.via != "" && r.via != "" && l.via != r.via) {
		return "FALSE"
	}
	cond := l.column + " " + op + " " + r.column
	switch {
	case l.via != "":
		return "EXISTS (SELECT 1 FROM " + l.via + " AND " + cond + ")"
	case r.via != "":
		return "EXISTS (SELECT 1 FROM " + r.via + " AND " + cond + ")"
	}
	return cond
}

// comparable mirrors the parser's rule: one type, integers counting as
// numbers, never geometries.
func comparable(a, b cql2.Type) bool {
	num := func(t cql2.Type) bool { return t == cql2.Integer || t == cql2.Number }
	return a != cql2.Geometry && (a == b || (num(a) && num(b)))
}

// compareCQL is col op v. A DATE compared with a timestamp column stands
// for its whole UTC day, so "occurred_at = DATE('2025-10-19')" means "on
// the 19th" and "<= DATE(…)" includes that day.
func compareCQL(q *query, col string, t cql2.Type, op cql2.Op, v cql2.Literal) string {
	sqlOp, ok := compareSQL[op]
	if !ok {
		return "FALSE"
	}
	if t == cql2.Timestamp && v.Kind == cql2.KindDate {
		switch op {
		case cql2.Eq:
			return "(" + col + " >= " + bind(q, t, v) + " AND " + col + " < " + dayEnd(q, v) + ")"
		case cql2.Ne:
			return "(" + col + " < " + bind(q, t, v) + " OR " + col + " >= " + dayEnd(q, v) + ")"
		case cql2.Le:
			return col + " < " + dayEnd(q, v)
		case cql2.Gt:
			return col + " >= " + dayEnd(q, v)
		}
	}
	return col + " " + sqlOp + " " + bind(q, t, v)
}

func inCQL(q *query, col string, t cql2.Type, vals []cql2.Literal) string {
	if len(vals) == 0 {
		return "FALSE"
	}
	parts := make([]string, len(vals))
	if t == cql2.Timestamp {
		// A DATE is a whole day, which IN cannot say; one comparison per
		// value keeps the day semantics of compareCQL.
		for i, v := range vals {
			parts[i] = compareCQL(q, col, t, cql2.Eq, v)
		}
		return "(" + strings.Join(parts, " OR ") + ")"
	}
	for i, v := range vals {
		parts[i] = bind(q, t, v)
	}
	return col + " IN (" + strings.Join(parts, ", ") + ")"
}

// bind binds one literal with an explicit cast to the property's type, so
// PostgreSQL never has to guess (a guessed int4 would overflow on a big
// number and turn a valid filter into a database error).
func bind(q *query, t cql2.Type, v cql2.Literal) string {
	switch t {
	case cql2.String:
		return q.arg(v.Str) + "::text"
	case cql2.Integer:
		return q.arg(int64(v.Num)) + "::bigint"
	case cql2.Number:
		return q.arg(v.Num) + "::double precision"
	case cql2.Boolean:
		return q.arg(v.Bool) + "::boolean"
	case cql2.Timestamp:
		return q.arg(v.Time) + "::timestamptz"
	}
	return "NULL"
}

func dayEnd(q *query, v cql2.Literal) string { return q.arg(v.DayEnd()) + "::timestamptz" }

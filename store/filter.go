package store

import (
	"strconv"
	"strings"

	"eventmap/cql2"
	"eventmap/geo"
)

// EventFilter selects events. The zero value selects every public,
// undeleted event.
type EventFilter struct {
	BBox     *geo.BBox
	Interval geo.Interval
	// Where is a CQL2 filter parsed against Queryables (see ParseFilter).
	Where cql2.Expr
	// IncludeRestricted is true only for callers allowed to see restricted
	// events; for everyone else those events do not exist.
	IncludeRestricted bool
}

// query accumulates WHERE conditions and their arguments side by side, so a
// condition and the $n it refers to are always written together. It is the
// one place dynamic SQL is assembled: conditions are constant strings from
// this file, and every value goes through arg.
type query struct {
	where []string
	args  []any
}

// arg binds v and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) and(cond string) { q.where = append(q.where, cond) }

func (q *query) whereSQL() string {
	if len(q.where) == 0 {
		return "TRUE"
	}
	return strings.Join(q.where, " AND ")
}

// apply adds the filter's conditions on the events table aliased e.
func (f EventFilter) apply(q *query) {
	q.and("e.deleted_at IS NULL")
	if !f.IncludeRestricted {
		q.and("e.visibility = 'public'")
	}
	if f.BBox != nil {
		// One envelope per side of the antimeridian. The envelope is built
		// in the column's SRID so the GiST index on geom is used.
		var ors []string
		for _, b := range f.BBox.Bounds() {
			ors = append(ors, "ST_Intersects(e.geom, ST_MakeEnvelope("+
				q.arg(b.Min[0])+", "+q.arg(b.Min[1])+", "+q.arg(b.Max[0])+", "+q.arg(b.Max[1])+", 4326))")
		}
		q.and("(" + strings.Join(ors, " OR ") + ")")
	}
	if !f.Interval.Start.IsZero() {
		q.and("e.occurred_at >= " + q.arg(f.Interval.Start))
	}
	if !f.Interval.End.IsZero() {
		q.and("e.occurred_at < " + q.arg(f.Interval.End))
	}
	if f.Where != nil {
		q.and(compileCQL(q, f.Where))
	}
}

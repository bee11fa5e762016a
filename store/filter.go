package store

import (
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"eventmap/cql2"
	"eventmap/geo"
)

// EventFilter selects events. The zero value selects every public,
// undeleted event. Each list or string that is set narrows the selection;
// an empty one does not filter.
type EventFilter struct {
	BBox     *geo.BBox
	Interval geo.Interval
	// Types, Statuses and Countries match exactly; an event matches when
	// its value is any of the list.
	Types     []string
	Statuses  []string
	Countries []string
	// Actor selects events linked to an actor of this name, in any role,
	// ignoring case.
	Actor string
	// Text selects events where every word of it appears in the title,
	// summary or place, ignoring case.
	Text string
	// Region selects events whose geometry intersects the named region.
	// ListEvents reports an unknown region as invalid.
	Region string
	// Where is a CQL2 filter parsed against Queryables (see ParseFilter).
	Where cql2.Expr
	// UpdatedSince selects events written at or after this time (their
	// updated_at), so a mirror can fetch only what changed since its last
	// sync; deletions are in ListDeletions.
	UpdatedSince time.Time
	// IncludeRestricted is true only for callers allowed to see restricted
	// events; for everyone else those events do not exist.
	IncludeRestricted bool
	// AsOf, when set, reads the events as they were served at that time,
	// from their revision history (see asof.go).
	AsOf time.Time
	// Shape is the collection's view of the geometries (shape.go):
	// AreasOnly selects only areas, and with AsPoint the spatial filters
	// (bbox, region, S_INTERSECTS) test the point that is served.
	Shape Shape
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
	if f.Shape == AreasOnly {
		q.and(areaCondition)
	}
	geom := f.Shape.geometryQueryable()
	if f.BBox != nil {
		// One envelope per side of the antimeridian. The envelope is built
		// in the column's SRID so the GiST index on geom is used.
		var ors []string
		for _, b := range f.BBox.Bounds() {
			ors = append(ors, geom.intersects("ST_MakeEnvelope("+
				q.arg(b.Min[0])+", "+q.arg(b.Min[1])+", "+q.arg(b.Max[0])+", "+q.arg(b.Max[1])+", 4326)"))
		}
		q.and("(" + strings.Join(ors, " OR ") + ")")
	}
	if !f.Interval.Start.IsZero() {
		q.and("e.occurred_at >= " + q.arg(f.Interval.Start))
	}
	if !f.Interval.End.IsZero() {
		q.and("e.occurred_at < " + q.arg(f.Interval.End))
	}
	if !f.UpdatedSince.IsZero() {
		q.and("e.updated_at >= " + q.arg(f.UpdatedSince))
	}
	if len(f.Types) > 0 {
		q.and("e.type = ANY(" + q.arg(pq.Array(f.Types)) + ")")
	}
	if len(f.Statuses) > 0 {
		q.and("e.status = ANY(" + q.arg(pq.Array(f.Statuses)) + ")")
	}
	if len(f.Countries) > 0 {
		q.and("e.country = ANY(" + q.arg(pq.Array(f.Countries)) + ")")
	}
	if f.Actor != "" {
		q.and(`EXISTS (SELECT 1 FROM event_actors ea JOIN actors a ON a.id = ea.actor_id
			WHERE ea.event_id = e.id AND lower(a.name) = lower(` + q.arg(f.Actor) + `))`)
	}
	for _, word := range strings.Fields(f.Text) {
		// A word holds no space, so it is in title, summary or place
		// exactly when it is in the three joined by spaces: the form the
		// trigram index events_text_trgm_idx serves (words of three
		// letters and more).
		p := q.arg("%" + likeEscaper.Replace(word) + "%")
		q.and("(e.title || ' ' || e.summary || ' ' || e.place) ILIKE " + p)
	}
	if f.Region != "" {
		// A scalar subquery is computed once, before the scan, so the GiST
		// index on events.geom can use the region's geometry as a bound; a
		// correlated EXISTS would test every event instead.
		q.and(geom.intersects("(SELECT r.geom FROM regions r WHERE r.id = " + q.arg(f.Region) + ")"))
	}
	if f.Where != nil {
		q.and(compileCQL(q, f.Shape.queryables(), f.Where))
	}
}

// apply adds the filter's conditions on the regions table aliased r: the
// same envelope test as events' bbox, and a CQL2 filter compiled against
// the regions' allow-list.
func (f RegionFilter) apply(q *query) {
	if f.BBox != nil {
		var ors []string
		for _, b := range f.BBox.Bounds() {
			ors = append(ors, "ST_Intersects(r.geom, ST_MakeEnvelope("+
				q.arg(b.Min[0])+", "+q.arg(b.Min[1])+", "+q.arg(b.Max[0])+", "+q.arg(b.Max[1])+", 4326))")
		}
		q.and("(" + strings.Join(ors, " OR ") + ")")
	}
	if f.Where != nil {
		q.and(compileCQL(q, regionQueryables, f.Where))
	}
}

// likeEscaper makes user text match literally inside a LIKE pattern:
// "100%" must not match "1000", nor "_" any character. Backslash is
// PostgreSQL's default LIKE escape.
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

package store

import (
	"context"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/lib/pq"
	"github.com/paulmach/orb"

	"eventmap"
	"eventmap/geo"
)

// Map aggregates (migrations/00010_map_aggregates.sql): triggers on events
// keep, for every cell of the cluster grid at the even levels 0 to
// aggregateMaxZoom, how many undeleted events lie in it per visibility,
// type and status (event_cells; event_cell_totals without type and
// status), the same per calendar month (event_cell_months,
// event_cell_month_totals), and how many happened on each day, without
// place (event_days). Each row also keeps the sums of its events' coordinates, a
// box around them and the XOR of their ids, so means, boxes and "the one
// event of this cell" compose over rows.
//
// A box is answered exactly from them: the cells that lie wholly inside it
// come from the aggregates, from the coarsest level that has any down to
// level aggregateMaxZoom (each kept level adding the ring of cells the
// level above could not), and what is left, the events in the strips along the
// box's edges narrower than one cell of level aggregateMaxZoom and the
// areas that reach into the box from a cell outside it, is read from events
// through the spatial index (see edgeRows). Every event the box selects is counted once:
// in a whole cell, or by the edge read.
//
// What they answer: the whole collection, a bbox, type, status,
// visibility, and a datetime range that holds at least one whole UTC month
// (event_cell_months), or, without a bbox, one whole UTC day (event_days).
// A range that cuts a period at an end is split (see splitRange): its
// whole periods come from the aggregates, and the events of the cut
// periods at its ends, at most one period's worth at each, are read from
// events through the occurred_at index (see endRows). Anything else (q,
// actor, country, region, filter, as_of, updated_since, a range that holds
// no whole month with a bbox, or no whole day without) is read from events.

// aggregateMaxZoom is the deepest level of the aggregates, as the
// migration fills them: a cell of level 14 is about 600 m a side. Only
// every other level is kept (0, 2, ..., 14), which halves what a write
// updates; an odd zoom reads the level below it, four cells to each of
// its own.
const (
	aggregateMaxZoom  = 14
	aggregateLevelGap = 2
)

// aggregateLevel is the kept level that answers zoom z: z, or the level
// below it when z is not kept; ok is false past aggregateMaxZoom.
func aggregateLevel(z int) (level int, ok bool) {
	level = (z + aggregateLevelGap - 1) / aggregateLevelGap * aggregateLevelGap
	return level, level <= aggregateMaxZoom
}

// aggregateTable is the table that answers a filter.
type aggregateTable int

const (
	aggregateCells       aggregateTable = iota // event_cells: no time range
	aggregateCellTotals                        // event_cell_totals: no time range, every type and status
	aggregateMonths                            // event_cell_months: month-aligned range
	aggregateMonthTotals                       // event_cell_month_totals: month-aligned range, every type and status
	aggregateDays                              // event_days: day-aligned range, no bbox
)

// tableName is the table's name, a constant.
func (t aggregateTable) tableName() string {
	return [...]string{"event_cells", "event_cell_totals", "event_cell_months", "event_cell_month_totals", "event_days"}[t]
}

// monthly says whether the table's rows are per month.
func (t aggregateTable) monthly() bool { return t == aggregateMonths || t == aggregateMonthTotals }

// perKind says whether the table's rows are per type and status.
func (t aggregateTable) perKind() bool {
	return t == aggregateCells || t == aggregateMonths || t == aggregateDays
}

// withPeriods is the table that holds the same rows per month (tables
// per day hold periods already).
func (t aggregateTable) withPeriods() aggregateTable {
	switch t {
	case aggregateCells:
		return aggregateMonths
	case aggregateCellTotals:
		return aggregateMonthTotals
	}
	return t
}

// aggregateSource returns the table that answers f, or the parameter that
// keeps the aggregates from answering it. Tables that hold periods are
// preferred only when f has a time range, tables per type and status only
// when f filters on them; callers that need periods (the histogram) ask
// withPeriods, callers that need place (clusters) ask placed.
//
// A range on month starts reads the monthly tables; without a bbox, any
// other range with a whole UTC day in it reads event_days (a day cut at an
// end is read from events: fewer events than a month cut there); with a
// bbox, a range with a whole UTC month in it reads the monthly tables,
// the months cut at its ends from events.
func (f EventFilter) aggregateSource() (aggregateTable, string) {
	if blocker := f.aggregateBlocker(); blocker != "" {
		return 0, blocker
	}
	if f.BBox == nil && !f.aligned(aggregateMonths) {
		if _, ok := splitRange(f.Interval, aggregateDays); ok {
			return aggregateDays, ""
		}
	}
	return f.placed()
}

// placed is the table with place that answers f's time range: the monthly
// tables, whole months and the cut ends, or the all-time tables; or
// "datetime" when the range holds no whole month. f must have no blocker.
func (f EventFilter) placed() (aggregateTable, string) {
	if f.Interval.Start.IsZero() && f.Interval.End.IsZero() {
		return f.kinds(aggregateCells), ""
	}
	if _, ok := splitRange(f.Interval, aggregateMonths); ok {
		return f.kinds(aggregateMonths), ""
	}
	return 0, "datetime"
}

// kinds is t (event_cells or event_cell_months) when f filters on type or
// status, else the totals of the same.
func (f EventFilter) kinds(t aggregateTable) aggregateTable {
	if len(f.Types) > 0 || len(f.Statuses) > 0 {
		return t
	}
	return t + 1 // the totals of the same
}

// aggregateBlocker names the first parameter of f that the aggregates have
// no dimension for, or "" when they can answer f (given a suitable
// datetime range).
func (f EventFilter) aggregateBlocker() string {
	switch {
	case !f.AsOf.IsZero():
		return "as_of"
	case f.Text != "":
		return "q"
	case f.Actor != "":
		return "actor"
	case len(f.Countries) > 0:
		return "country"
	case f.Region != "":
		return "region"
	case f.Where != nil:
		return "filter"
	case !f.UpdatedSince.IsZero():
		return "updated_since"
	case f.Shape == AreasOnly:
		// The counts hold every event, points and areas alike, by its
		// point; events-points reads them as they are, events-areas cannot.
		return "collectionId"
	}
	return ""
}

// periodFloor is the start of t's period (UTC month or day) that holds v.
func periodFloor(v time.Time, t aggregateTable) time.Time {
	v = v.UTC()
	if t == aggregateDays {
		return time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, time.UTC)
	}
	return time.Date(v.Year(), v.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// periodCeil is the first start of t's period at or after v.
func periodCeil(v time.Time, t aggregateTable) time.Time {
	p := periodFloor(v, t)
	switch {
	case p.Equal(v):
		return p
	case t == aggregateDays:
		return p.AddDate(0, 0, 1)
	}
	return p.AddDate(0, 1, 0)
}

// rangeSplit is a time range cut at the periods of an aggregate table:
// whole is the part of whole periods, which the table answers; ends are
// the cut pieces at either end (none, one or two), read from events.
// Together they are the range, each instant in one of them.
type rangeSplit struct {
	whole geo.Interval
	ends  []geo.Interval
}

// splitRange splits iv at the periods of t (UTC months, or days for
// event_days). ok is false when iv holds no whole period: then the
// aggregates have nothing to add, and the range is at most two periods of
// events. Tables without periods answer only the open range, whole.
func splitRange(iv geo.Interval, t aggregateTable) (s rangeSplit, ok bool) {
	if !t.monthly() && t != aggregateDays {
		return rangeSplit{whole: iv}, iv.Start.IsZero() && iv.End.IsZero()
	}
	s.whole = iv
	if !iv.Start.IsZero() {
		s.whole.Start = periodCeil(iv.Start, t)
	}
	if !iv.End.IsZero() {
		s.whole.End = periodFloor(iv.End, t)
	}
	if !s.whole.Start.IsZero() && !s.whole.End.IsZero() && !s.whole.Start.Before(s.whole.End) {
		return rangeSplit{}, false
	}
	if !iv.Start.Equal(s.whole.Start) {
		s.ends = append(s.ends, geo.Interval{Start: iv.Start, End: s.whole.Start})
	}
	if !iv.End.Equal(s.whole.End) {
		s.ends = append(s.ends, geo.Interval{Start: s.whole.End, End: iv.End})
	}
	return s, true
}

// aligned says whether t answers f's range without reading ends from
// events.
func (f EventFilter) aligned(t aggregateTable) bool {
	s, ok := splitRange(f.Interval, t)
	return ok && len(s.ends) == 0
}

// aggregateDims is the condition on an aggregate row, aliased c, of the
// dimensions f filters on: visibility, type, status and the time range,
// which must fall on t's periods (see splitRange).
func (f EventFilter) aggregateDims(q *query, t aggregateTable) string {
	var conds []string
	if !f.IncludeRestricted {
		conds = append(conds, "NOT c.restricted")
	}
	if len(f.Types) > 0 {
		conds = append(conds, "c.type = ANY("+q.arg(pq.Array(f.Types))+")")
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, "c.status = ANY("+q.arg(pq.Array(f.Statuses))+")")
	}
	period := "c.month"
	if t == aggregateDays {
		period = "c.day"
	}
	if t.monthly() || t == aggregateDays {
		if !f.Interval.Start.IsZero() {
			conds = append(conds, period+" >= "+q.arg(f.Interval.Start.UTC().Format(time.DateOnly))+"::date")
		}
		if !f.Interval.End.IsZero() {
			conds = append(conds, period+" < "+q.arg(f.Interval.End.UTC().Format(time.DateOnly))+"::date")
		}
	}
	if len(conds) == 0 {
		return "TRUE"
	}
	return joinAnd(conds)
}

func joinAnd(conds []string) string {
	s := conds[0]
	for _, c := range conds[1:] {
		s += " AND " + c
	}
	return s
}

// cellRange is a rectangle of cells of one level, both ends included; it
// is empty when x0 > x1 or y0 > y1.
type cellRange struct{ x0, y0, x1, y1 int }

func (r cellRange) empty() bool { return r.x0 > r.x1 || r.y0 > r.y1 }

// up is the range of the cells of the level shift levels up (coarser)
// that lie wholly inside r.
func (r cellRange) up(shift int) cellRange {
	if r.empty() {
		return r
	}
	s := 1 << shift
	return cellRange{(r.x0 + s - 1) >> shift, (r.y0 + s - 1) >> shift, ((r.x1 + 1) >> shift) - 1, ((r.y1 + 1) >> shift) - 1}
}

// cellsPerSide is how many cells of level z span the world: 64-pixel cells
// of 256-pixel tiles.
func cellsPerSide(z int) int { return 4 << z }

// cellWest is the longitude of the west edge of cell column i of level z.
func cellWest(i, z int) float64 { return float64(i)/float64(cellsPerSide(z))*360 - 180 }

// cellNorth is the latitude of the north edge of cell row j of level z.
func cellNorth(j, z int) float64 {
	return math.Atan(math.Sinh(math.Pi*(1-2*float64(j)/float64(cellsPerSide(z))))) * 180 / math.Pi
}

// insideMargin keeps the cells answered from the aggregates a hair inside
// the box, so a point that PostgreSQL's floating point puts in such a cell
// is inside the box whatever the rounding (it is a billionth of a degree;
// the edge read takes what is left).
const insideMargin = 1e-9

// insideCells returns the cells of level z that lie wholly inside b, less
// insideMargin, leaving out the first and last rows, where Mercator clamps
// the latitudes beyond ±85.0511° and a cell may hold points outside b.
func insideCells(b orb.Bound, z int) cellRange {
	n := cellsPerSide(z)
	w, e := b.Min[0]+insideMargin, b.Max[0]-insideMargin
	s, nn := b.Min[1]+insideMargin, b.Max[1]-insideMargin
	// Estimates from the forward formulas, then corrected against the edge
	// functions, which are what "inside" means.
	x0 := int(math.Ceil((w + 180) / 360 * float64(n)))
	for x0 > 0 && cellWest(x0-1, z) >= w {
		x0--
	}
	for x0 < n && cellWest(x0, z) < w {
		x0++
	}
	x1 := int(math.Floor((e+180)/360*float64(n))) - 1
	for x1 < n-1 && cellWest(x1+2, z) <= e {
		x1++
	}
	for x1 >= 0 && cellWest(x1+1, z) > e {
		x1--
	}
	mercY := func(lat float64) float64 {
		phi := max(-85.0511, min(85.0511, lat)) * math.Pi / 180
		return (1 - math.Log(math.Tan(phi)+1/math.Cos(phi))/math.Pi) / 2 * float64(n)
	}
	y0 := int(math.Ceil(mercY(nn)))
	for y0 > 0 && cellNorth(y0-1, z) <= nn {
		y0--
	}
	for y0 < n && cellNorth(y0, z) > nn {
		y0++
	}
	y1 := int(math.Floor(mercY(s))) - 1
	for y1 < n-1 && cellNorth(y1+2, z) >= s {
		y1++
	}
	for y1 >= 0 && cellNorth(y1+1, z) < s {
		y1--
	}
	return cellRange{max(x0, 0), max(y0, 1), min(x1, n-1), min(y1, n-2)}
}

// boxCover is how one box (one side of the antimeridian) is answered:
// inside[z] are its whole cells at each level, nested (a cell of level z
// inside the box has its four children at z+1 inside too).
type boxCover struct {
	b      orb.Bound
	inside [aggregateMaxZoom + 1]cellRange
}

func coverOf(b orb.Bound) boxCover {
	c := boxCover{b: b}
	c.inside[aggregateMaxZoom] = insideCells(b, aggregateMaxZoom)
	for z := aggregateMaxZoom - 1; z >= 0; z-- {
		c.inside[z] = c.inside[aggregateMaxZoom].up(aggregateMaxZoom - z)
	}
	return c
}

// ring is the cells of level z inside the box that the kept level above
// it did not cover: inside[z] less the children of inside[z-gap], as at
// most four rectangles (z = from takes inside[z] whole).
func (c boxCover) ring(z, from int) []cellRange {
	r := c.inside[z]
	if r.empty() {
		return nil
	}
	up := z - aggregateLevelGap
	if z == from || c.inside[up].empty() {
		return []cellRange{r}
	}
	k := 1 << aggregateLevelGap
	p := c.inside[up]
	p = cellRange{k * p.x0, k * p.y0, k*p.x1 + k - 1, k*p.y1 + k - 1}
	out := []cellRange{
		{r.x0, r.y0, r.x1, p.y0 - 1}, // north
		{r.x0, p.y1 + 1, r.x1, r.y1}, // south
		{r.x0, p.y0, p.x0 - 1, p.y1}, // west
		{p.x1 + 1, p.y0, r.x1, p.y1}, // east
	}
	kept := out[:0]
	for _, s := range out {
		if !s.empty() {
			kept = append(kept, s)
		}
	}
	return kept
}

// coarsest is the coarsest kept level with a whole cell inside the box,
// or aggregateMaxZoom when even that has none (a box under a kilometre).
func (c boxCover) coarsest() int {
	for z := 0; z <= aggregateMaxZoom; z += aggregateLevelGap {
		if !c.inside[z].empty() {
			return z
		}
	}
	return aggregateMaxZoom
}

// edgeStrips are boxes that hold every point of the box outside its whole
// cells of level aggregateMaxZoom, overlapping them by edgeOverlap so that
// no rounding lets a point fall between the two reads (the edge read
// keeps only the points whose cell is not a whole one).
func (c boxCover) edgeStrips() []orb.Bound {
	r := c.inside[aggregateMaxZoom]
	if r.empty() {
		return []orb.Bound{c.b}
	}
	const edgeOverlap = 1e-7
	z := aggregateMaxZoom
	w, e := cellWest(r.x0, z)+edgeOverlap, cellWest(r.x1+1, z)-edgeOverlap
	n, s := cellNorth(r.y0, z)-edgeOverlap, cellNorth(r.y1+1, z)+edgeOverlap
	b := c.b
	return []orb.Bound{
		{Min: orb.Point{b.Min[0], b.Min[1]}, Max: orb.Point{w, b.Max[1]}}, // west
		{Min: orb.Point{e, b.Min[1]}, Max: orb.Point{b.Max[0], b.Max[1]}}, // east
		{Min: orb.Point{b.Min[0], b.Min[1]}, Max: orb.Point{b.Max[0], s}}, // south
		{Min: orb.Point{b.Min[0], n}, Max: orb.Point{b.Max[0], b.Max[1]}}, // north
	}
}

// aggregateGroup says what a read of the aggregates adds up by: nothing
// (a count), the cells of a zoom (clusters), or periods (a histogram).
type aggregateGroup struct {
	zoom   int    // clusters: cells of this zoom; -1 for none
	period string // histogram: date_trunc unit; "" for none
}

// aggregateRows is the statement that lists, for the events f selects,
// aggregate rows and edge events in one column layout:
//
//	gx, gy (cell of group.zoom, when set) or period (when set),
//	n, x_sum, y_sum, west, south, east, north, id_xor_hi, id_xor_lo
//
// whose sums over any group are the group's aggregates. f must be
// answerable from table t (see aggregateSource). The WHERE conditions of
// the edge and end reads come from f.apply, so they select exactly what
// every other read of f selects.
//
// A time range that cuts t's periods is split (see splitRange): the
// aggregates and the edges read its whole periods, and endRows the events
// of each cut end, so each event is counted in one of them.
func aggregateRows(q *query, f EventFilter, t aggregateTable, group aggregateGroup) string {
	split, _ := splitRange(f.Interval, t)
	whole := f
	whole.Interval = split.whole
	var unit string
	if group.period != "" {
		unit = q.arg(group.period)
	}
	pieces := []string{wholeRows(q, whole, t, group, unit)}
	for _, iv := range split.ends {
		end := f
		end.Interval = iv
		pieces = append(pieces, endRows(q, end, group, unit))
	}
	return joinUnion(pieces)
}

// wholeRows is aggregateRows for a time range on t's periods; unit is the
// bound date_trunc unit of group.period.
func wholeRows(q *query, f EventFilter, t aggregateTable, group aggregateGroup, unit string) string {
	table := t.tableName()
	// The dimension conditions are bound once, when a first read of the
	// aggregates needs them: a box too small for any whole cell has none,
	// and every argument bound must appear in the statement.
	var dims string
	dimsOnce := func() string {
		if dims == "" {
			dims = f.aggregateDims(q, t)
		}
		return dims
	}
	// The measure columns; event_days counts only.
	measures := "c.n, c.x_sum, c.y_sum, c.west, c.south, c.east, c.north, c.id_xor_hi, c.id_xor_lo"
	if t == aggregateDays {
		measures = "c.n, 0::bigint, 0::bigint, NULL::float8, NULL::float8, NULL::float8, NULL::float8, 0::bigint, 0::bigint"
	}
	var period string
	if group.period != "" {
		period = "date_trunc(" + unit + ", c.month::timestamp) AS period, "
		if t == aggregateDays {
			period = "date_trunc(" + unit + ", c.day::timestamp) AS period, "
		}
	}
	if f.BBox == nil {
		switch {
		case t == aggregateDays:
			return "SELECT " + period + measures + " FROM " + table + " c WHERE " + dimsOnce()
		case group.zoom >= 0:
			level, _ := aggregateLevel(group.zoom)
			shift := q.arg(level - group.zoom)
			return "SELECT c.cx >> " + shift + " AS gx, c.cy >> " + shift + " AS gy, " + measures + " FROM " + table +
				" c WHERE c.z = " + q.arg(level) + " AND " + dimsOnce()
		}
		// The cells of level 0 are the whole map.
		return "SELECT " + period + measures + " FROM " + table + " c WHERE c.z = 0 AND " + dimsOnce()
	}

	var covers []boxCover
	for _, b := range f.BBox.Bounds() {
		covers = append(covers, coverOf(b))
	}
	var pieces []string
	for _, c := range covers {
		from := c.coarsest()
		if group.zoom >= 0 {
			from, _ = aggregateLevel(group.zoom)
		}
		for z := from; z <= aggregateMaxZoom; z += aggregateLevelGap {
			ring := c.ring(z, from)
			if len(ring) == 0 {
				continue // every argument bound must appear in the statement
			}
			key := period
			if group.zoom >= 0 {
				shift := q.arg(z - group.zoom)
				key = "c.cx >> " + shift + " AS gx, c.cy >> " + shift + " AS gy, "
			}
			level := q.arg(z)
			for _, r := range ring {
				pieces = append(pieces, "SELECT "+key+measures+" FROM "+table+" c WHERE c.z = "+level+
					" AND c.cx BETWEEN "+q.arg(r.x0)+" AND "+q.arg(r.x1)+
					" AND c.cy BETWEEN "+q.arg(r.y0)+" AND "+q.arg(r.y1)+" AND "+dimsOnce())
			}
		}
	}
	return joinUnion(append(pieces, edgeRows(q, f, covers, group, unit)))
}

func joinUnion(pieces []string) string {
	s := pieces[0]
	for _, p := range pieces[1:] {
		s += "\nUNION ALL\n" + p
	}
	return s
}

// edgeRows reads, event by event, what the whole cells of covers leave
// out: the events that intersect the box but whose representative point
// is not in a whole cell of level aggregateMaxZoom. The strips along the
// box's edges find every one of them through the spatial index: a point
// in the box but not in a whole cell lies in a strip, and the bounding
// box of an area (or of a multi-part geometry) that reaches into the box
// from a point outside the whole cells holds a line from one to the
// other, which crosses a strip.
func edgeRows(q *query, f EventFilter, covers []boxCover, group aggregateGroup, unit string) string {
	// f's own conditions, numbered on from q's arguments.
	fq := query{args: q.args}
	f.apply(&fq)
	where := fq.whereSQL()
	q.args = fq.args

	var side string
	var notInside []string
	var strips []string
	for _, c := range covers {
		r := c.inside[aggregateMaxZoom]
		if !r.empty() {
			if side == "" {
				side = q.arg(float64(cellsPerSide(aggregateMaxZoom)))
			}
			notInside = append(notInside, "(floor(p.u * "+side+") BETWEEN "+q.arg(r.x0)+" AND "+q.arg(r.x1)+
				" AND floor(p.v * "+side+") BETWEEN "+q.arg(r.y0)+" AND "+q.arg(r.y1)+")")
		}
		for _, s := range c.edgeStrips() {
			strips = append(strips, "e.geom && ST_MakeEnvelope("+q.arg(s.Min[0])+", "+q.arg(s.Min[1])+", "+
				q.arg(s.Max[0])+", "+q.arg(s.Max[1])+", 4326)")
		}
	}
	outside := "TRUE"
	if len(notInside) > 0 {
		outside = "NOT (" + joinOr(notInside) + ")"
	}
	return eventRows(q, where, "("+joinOr(strips)+")", outside, group, unit)
}

// endRows reads, event by event, what f selects: the events of a cut end
// of a time range (see aggregateRows), at most one period of them, found
// through the occurred_at index (or the spatial one, for a small box).
func endRows(q *query, f EventFilter, group aggregateGroup, unit string) string {
	fq := query{args: q.args}
	f.apply(&fq)
	where := fq.whereSQL()
	q.args = fq.args
	return eventRows(q, where, "TRUE", "TRUE", group, unit)
}

// eventRows is the statement of edgeRows and endRows: the events that
// meet where and near (conditions on events e), and then outside (a
// condition on their point p), one row each in aggregateRows' column
// layout.
func eventRows(q *query, where, near, outside string, group aggregateGroup, unit string) string {
	var key string
	switch {
	case group.zoom >= 0:
		n := q.arg(float64(cellsPerSide(group.zoom)))
		key = "floor(p.u * " + n + ")::integer AS gx, floor(p.v * " + n + ")::integer AS gy, "
	case group.period != "":
		key = "date_trunc(" + unit + ", p.occurred_at AT TIME ZONE 'UTC') AS period, "
	}
	// OFFSET 0 keeps ST_PointOnSurface to once per event.
	return `SELECT ` + key + `1::bigint, event_map_fixed(p.x), event_map_fixed(p.y), p.x, p.y, p.x, p.y,
			event_id_hi(p.id), event_id_lo(p.id)
		FROM (SELECT e.id, e.occurred_at, ST_X(e.pt) AS x, ST_Y(e.pt) AS y,
				event_map_u(ST_X(e.pt)) AS u, event_map_v(ST_Y(e.pt)) AS v
			FROM (SELECT e.id, e.occurred_at, ST_PointOnSurface(e.geom) AS pt
				FROM events e WHERE ` + where + ` AND ` + near + ` OFFSET 0) e) p
		WHERE ` + outside
}

func joinOr(conds []string) string {
	s := conds[0]
	for _, c := range conds[1:] {
		s += " OR " + c
	}
	return s
}

// countFromAggregates returns the exact number of events f selects when
// the aggregates can answer f (see aggregateSource): the whole collection,
// type, status and visibility, a datetime range holding a whole UTC month,
// or without a bbox a whole UTC day (the cut ends counted from events); a
// bbox adds up its whole cells and counts the events along its edges
// through the spatial indexes. ok is
// false, and nothing is read, when they cannot; the caller counts events.
// The count is of the snapshot qr reads in, so a page and its count read
// in one transaction agree.
func (db *DB) countFromAggregates(ctx context.Context, qr queryer, f EventFilter) (n int64, ok bool, err error) {
	t, blocker := f.aggregateSource()
	if blocker != "" {
		return 0, false, nil
	}
	stmt, args := countSQL(f, t)
	err = qr.QueryRowContext(ctx, stmt, args...).Scan(&n)
	if err != nil {
		return 0, false, wrapErr(err, "count events from aggregates")
	}
	return n, true, nil
}

// countSQL is the statement of countFromAggregates.
func countSQL(f EventFilter, t aggregateTable) (string, []any) {
	var q query
	rows := aggregateRows(&q, f, t, aggregateGroup{zoom: -1})
	return `SELECT COALESCE(sum(s.n), 0)::bigint FROM (` + rows + `) s(n)`, q.args
}

// RebuildAggregates recounts the map aggregates from the events, in one
// transaction (see migrations/00010_map_aggregates.sql): after the
// triggers were bypassed, or to tighten the boxes of cells that lost
// events. Readers see the old counts until it commits; writers wait.
func (db *DB) RebuildAggregates(ctx context.Context) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return wrapErr(err, "begin rebuild")
	}
	defer tx.Rollback()
	for _, stmt := range []string{
		// It reads every event: minutes at a million, past any request's timeout.
		`SET LOCAL statement_timeout = 0`,
		`SET LOCAL jit = off`,
		`SELECT event_aggregates_rebuild()`,
		`ANALYZE event_cells`, `ANALYZE event_cell_months`, `ANALYZE event_days`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return wrapErr(err, "rebuild aggregates")
		}
	}
	return wrapErr(tx.Commit(), "commit rebuild")
}

// rawSummaryLimit is the most events a summary the aggregates cannot
// answer counts one by one. Reading an event costs about 7 µs (its row,
// its representative point), so 50 000 stay well inside rawSummaryBudget.
const rawSummaryLimit = 50_000

// rawSummaryBudget is the time a summary read event by event may take,
// sizing it up included, before it is refused (a 400 saying how to
// narrow it, not a 503 after the statement timeout).
const rawSummaryBudget = 900 * time.Millisecond

// rawSummary is the guard of a summary read event by event: it refuses
// up front one that would read more than rawSummaryLimit events, and one
// that outlives rawSummaryBudget, naming the parameter that kept the
// aggregates from answering it.
type rawSummary struct {
	blocker  string
	limit    int
	deadline time.Time
}

// beginRawSummary sizes up the raw read of f (with extra conditions) in qr,
// a transaction, and refuses it when it would read too many events;
// otherwise it sets the statement timeout of the read to what is left of
// rawSummaryBudget, and the caller passes the read's errors through
// refuse.
func (db *DB) beginRawSummary(ctx context.Context, qr queryer, f EventFilter, blocker string, extra func(q *query)) (*rawSummary, error) {
	g := &rawSummary{blocker: blocker, limit: rawSummaryLimit, deadline: time.Now().Add(rawSummaryBudget)}
	if db.rawSummaryLimit > 0 {
		g.limit = db.rawSummaryLimit
	}
	if err := g.setTimeout(ctx, qr); err != nil {
		return nil, err
	}
	var q query
	f.apply(&q)
	if extra != nil {
		extra(&q)
	}
	var n int
	err := qr.QueryRowContext(ctx, `
		SELECT count(*) FROM (SELECT 1 FROM `+f.from(&q)+` WHERE `+q.whereSQL()+` LIMIT `+q.arg(g.limit+1)+`) s`,
		q.args...).Scan(&n)
	if err != nil {
		return nil, g.refuse(err, "size up the events to count")
	}
	if n > g.limit {
		return nil, g.tooMany()
	}
	return g, g.setTimeout(ctx, qr)
}

// setTimeout gives the next statement what is left of the budget.
func (g *rawSummary) setTimeout(ctx context.Context, qr queryer) error {
	left := max(time.Until(g.deadline), 50*time.Millisecond)
	var set string
	err := qr.QueryRowContext(ctx, `SELECT set_config('statement_timeout', $1, true)`,
		strconv.FormatInt(left.Milliseconds(), 10)).Scan(&set)
	return wrapErr(err, "set summary timeout")
}

// refuse turns a statement timeout into the 400 of a summary too big to
// read event by event; other errors pass.
func (g *rawSummary) refuse(err error, action string) error {
	var pqErr *pq.Error
	if g.blocker != "" && errors.As(err, &pqErr) && pqErr.Code == "57014" {
		return g.tooMany()
	}
	return wrapErr(err, action)
}

func (g *rawSummary) tooMany() error {
	rule := "cannot be answered from the map's precomputed counts, and this request selects too many events " +
		"to count one by one (more than " + strconv.Itoa(g.limit) + ", or more than " +
		strconv.FormatInt(rawSummaryBudget.Milliseconds(), 10) + " ms of reading): narrow it with a smaller bbox " +
		"(zoom in), a shorter datetime, or type or status"
	switch g.blocker {
	case "datetime":
		rule += "; or give a datetime range that holds a whole UTC month (2025-01-20/2025-03-10 holds February), which the counts answer"
	case "interval":
		rule += "; or count by month or year, which the counts answer for a bbox"
	case "zoom":
		rule += "; or ask for a zoom of at most " + strconv.Itoa(aggregateMaxZoom)
	case "bbox":
		rule += "; or leave bbox out of the tile request, the tile is its box"
	}
	return eventmap.Invalid(g.blocker, rule)
}

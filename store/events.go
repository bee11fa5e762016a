package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"eventmap"
	"eventmap/geo"
)

// featureSQLIn builds one event, aliased e, as a GeoJSON Feature inside
// PostgreSQL, with the geometry written by geom, one of the expressions
// geometrySQL returns. Coordinates keep 6 decimals (about 0.1 m), polygons
// are forced counter-clockwise as RFC 7946 asks, and no "crs" member is
// written. The same expression produces list pages, single items and
// revision snapshots, so all three always agree; snapshots always use the
// CRS84 form, featureSQLIn(geometryCRS84), whatever CRS a reader asks for.
func featureSQLIn(geom string) string {
	return featureSQLWith(geom, actorsOfEvent, sourcesOfEvent)
}

// featureSQLWith is featureSQLIn with the geometry, actors and sources taken
// from the given expressions. Statements that build many Features at once
// (a bulk import's revisions) aggregate the links of all their events in
// one pass with actorsAgg and sourcesAgg and pass the results here; a
// subquery per event would probe the link tables once per row. The
// properties are those of eventmap.Properties, in its order.
func featureSQLWith(geom, actors, sources string) string {
	return `json_build_object(
	'type', 'Feature',
	'id', e.id,
	'geometry', ` + geom + `,
	'properties', json_build_object(
		` + featurePropsSQL(actors, sources) + `
	)
)`
}

// actorsAgg and sourcesAgg are the aggregates of one event's links, over
// event_actors ea JOIN actors a and event_sources es JOIN sources s.
const (
	actorsAgg  = `json_agg(json_build_object('name', a.name, 'role', ea.role) ORDER BY ea.position, a.name)`
	sourcesAgg = `json_agg(json_strip_nulls(json_build_object(
				'url', s.url, 'publisher', NULLIF(s.publisher, ''), 'title', NULLIF(s.title, ''),
				'published_at', s.published_at, 'excerpt', NULLIF(es.excerpt, ''))) ORDER BY es.position, s.url)`
)

// actorsOfEvent and sourcesOfEvent are the links of event e, one indexed
// probe each: the right shape for a page of a few thousand events.
const (
	actorsOfEvent = `COALESCE((
			SELECT ` + actorsAgg + `
			FROM event_actors ea JOIN actors a ON a.id = ea.actor_id
			WHERE ea.event_id = e.id), '[]'::json)`
	sourcesOfEvent = `COALESCE((
			SELECT ` + sourcesAgg + `
			FROM event_sources es JOIN sources s ON s.id = es.source_id
			WHERE es.event_id = e.id), '[]'::json)`
)

const geometryCRS84 = `ST_AsGeoJSON(ST_ForcePolygonCCW(e.geom), 6)::json`

// geometrySQL is the allow-list from output CRS to the expression that
// writes e.geom in it. The stored geometry is CRS84; PostGIS reprojects.
// Rings are made counter-clockwise before any axis swap, so they keep
// their orientation on the ground once a client reads the axes back.
func geometrySQL(c geo.CRS) (string, error) {
	switch c {
	case geo.CRS{}, geo.CRS84:
		return geometryCRS84, nil
	case geo.EPSG4326:
		return `ST_AsGeoJSON(ST_FlipCoordinates(ST_ForcePolygonCCW(e.geom)), 6)::json`, nil
	case geo.EPSG3857:
		// Centimetres: finer than the 6 decimals of a degree kept above.
		// Options 0: for an SRID other than 4326 PostGIS would otherwise add
		// a "crs" member, which RFC 7946 removed; Content-Crs says it.
		return `ST_AsGeoJSON(ST_ForcePolygonCCW(ST_Transform(e.geom, 3857)), 2, 0)::json`, nil
	}
	return "", eventmap.Errorf(eventmap.EINTERNAL, "no geometry expression for CRS %q", c.URI)
}

// Page asks for at most Limit events in an order, from a cursor, written
// in a CRS.
type Page struct {
	Limit int
	// Sort is the order; empty means DefaultSort.
	Sort Sort
	// Cursor is where the page starts (or, with Before, ends); it must
	// have been decoded for the same Sort.
	Cursor *Cursor
	// CRS of the geometries; the zero value is CRS84.
	CRS geo.CRS
	// CountLimit > 0 asks for the number of matching events when it is at
	// most CountLimit. Counting stops at CountLimit+1 rows, so it never
	// costs more than that however many events match.
	CountLimit int
	// Offset skips that many events, for clients that page by offset
	// (OWSLib, pygeoapi-style) instead of following next links; with
	// Cursor it is ignored. The page itself is read by keyset from the
	// row before it (offset.go), and its links are keyset cursors.
	Offset int
	// Version, when set, is called with the dataset version the page is
	// read at (DatasetVersion, in the page's snapshot) before any event is
	// read: equal versions, equal pages, so it makes a validator (an ETag)
	// of the page. An error it returns (such as "not modified") ends
	// ListEvents with it.
	Version func(version string) error
}

// ListResult describes the page that ListEvents streamed.
type ListResult struct {
	Returned int
	// Next and Prev are set when more events match after or before this
	// page.
	Next, Prev *Cursor
	// Matched is how many events the filter selects, regardless of the
	// cursor; nil when not asked for or above Page.CountLimit.
	Matched *int64
}

// queryer is what a *sql.DB and a *sql.Tx share.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ListEvents streams the matching events, in p's order, as GeoJSON Feature
// bytes made by PostGIS: each is handed to emit as it arrives from the
// database, so a page is never decoded or held whole in Go. The bytes are
// only valid during the call.
//
// When the page is counted, the page and the count are read in one
// read-only REPEATABLE READ transaction, so they see the same snapshot and
// agree even while events are being written.
func (db *DB) ListEvents(ctx context.Context, f EventFilter, p Page, emit func(feature []byte) error) (ListResult, error) {
	sort := p.Sort.orDefault()
	if p.Cursor != nil && p.Cursor.sort != sort.String() {
		return ListResult{}, eventmap.Invalid("cursor", "was issued for sortby="+p.Cursor.sort+", not "+sort.String())
	}
	geom, err := f.geometryIn(p.CRS)
	if err != nil {
		return ListResult{}, err
	}
	tx, err := db.beginPage(ctx, p.CountLimit > 0 || p.Version != nil)
	if err != nil {
		return ListResult{}, err
	}
	// Read-only: rolling back after the reads releases the snapshot the
	// same as a commit would.
	defer tx.Rollback()
	var qr queryer = tx
	if p.Version != nil {
		v, err := datasetVersion(ctx, qr, f.IncludeRestricted)
		if err != nil {
			return ListResult{}, err
		}
		if err := p.Version(v); err != nil {
			return ListResult{}, err
		}
	}
	if f.Region != "" {
		if err := checkRegion(ctx, qr, f.Region); err != nil {
			return ListResult{}, err
		}
	}
	if p.Offset > 0 && p.Cursor == nil {
		// nil past the last event: the page is empty.
		if p.Cursor, err = offsetCursor(ctx, qr, f, p.Offset, sort); err != nil {
			return ListResult{}, err
		}
	}

	var res ListResult
	if p.Offset == 0 || p.Cursor != nil {
		res, err = listPage(ctx, qr, f, p, sort, geom, emit)
	}
	if err != nil || p.CountLimit <= 0 {
		return res, err
	}
	cc, err := db.countMatched(ctx, qr, f, p)
	if err != nil || cc == nil {
		return res, err
	}
	res.Matched = &cc.N
	for _, c := range []*Cursor{res.Next, res.Prev} {
		if c != nil {
			c.count = cc
		}
	}
	return res, nil
}

// countMatched is numberMatched for a page: the count carried by its
// cursor when that counted the same filter in the same snapshot, else
// from the map aggregates when they can answer the filter, else counted
// now, stopping at p.CountLimit+1 rows (nil above the limit). It
// must run in the page's transaction, which sees that snapshot.
func (db *DB) countMatched(ctx context.Context, qr queryer, f EventFilter, p Page) (*carriedCount, error) {
	var q query
	f.apply(&q)
	cc := &carriedCount{Filter: filterHash(q)}
	// The dataset version, not the database snapshot: every transaction
	// of the cluster moves the snapshot, so counts were carried only on
	// an idle server.
	var err error
	if cc.Snapshot, err = datasetVersion(ctx, qr, true); err != nil {
		return nil, err
	}
	if c := p.Cursor; c != nil && c.count != nil && c.count.N >= 0 &&
		c.count.Filter == cc.Filter && c.count.Snapshot == cc.Snapshot {
		return c.count, nil
	}
	// Counted before in this version of the data: the same answer. -1
	// stands for "over the limit", which depends on the limit too.
	key := cc.Filter + "\x00" + cc.Snapshot + "\x00" + strconv.Itoa(p.CountLimit)
	if n, ok := db.matched.get(key); ok {
		if n < 0 {
			return nil, nil
		}
		cc.N = n
		return cc, nil
	}
	db.counts.Add(1)
	// Exact and cheap whatever the number, when the map aggregates can
	// answer the filter: no limit applies then.
	if n, ok, err := db.countFromAggregates(ctx, qr, f); err != nil || ok {
		if err == nil {
			db.matched.put(key, n)
		}
		cc.N = n
		return cc, err
	}
	err = qr.QueryRowContext(ctx, `
		SELECT count(*) FROM (SELECT 1 FROM `+f.from(&q)+` WHERE `+q.whereSQL()+` LIMIT `+q.arg(p.CountLimit+1)+`) c`,
		q.args...).Scan(&cc.N)
	if err != nil {
		return nil, wrapErr(err, "count events")
	}
	if cc.N > int64(p.CountLimit) {
		db.matched.put(key, -1)
		return nil, nil
	}
	db.matched.put(key, cc.N)
	return cc, nil
}

// filterHash names the filter of q's conditions: its SQL and the values
// of its arguments. Arguments are hashed by the values the driver sends,
// not as Go prints them: fmt prints a pointer inside a slice (pq.Array of
// types, statuses or countries) as its address, which made every page of
// such a filter count again.
func filterHash(q query) string {
	h := sha256.New()
	h.Write([]byte(q.whereSQL()))
	for _, a := range q.args {
		if v, ok := a.(driver.Valuer); ok {
			if dv, err := v.Value(); err == nil {
				a = dv
			}
		}
		fmt.Fprintf(h, "\x00%T:%v", a, a)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// beginPage starts the read-only transaction a page is read in, in one
// snapshot for the page and its count when counted (repeatable).
func (db *DB) beginPage(ctx context.Context, repeatable bool) (*sql.Tx, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if repeatable {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, wrapErr(err, "begin read")
	}
	// A page is a few thousand rows at most, yet a bbox page's estimated
	// cost passes the thresholds of parallel workers and of JIT
	// compilation, and both cost more than they save. Measured by make
	// bench on 1 M events (bench/results): a 100-feature bbox page took
	// 44.8 ms at p50 with parallel workers and 6.5 ms without; JIT spent
	// 346 ms of a 590 ms 1000-feature page compiling. The extra round
	// trips cost ~0.2 ms.
	if _, err := tx.ExecContext(ctx, `SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off`); err != nil {
		tx.Rollback()
		return nil, wrapErr(err, "begin read")
	}
	return tx, nil
}

// listPage runs the page query of ListEvents.
func listPage(ctx context.Context, qr queryer, f EventFilter, p Page, sort Sort, geom string, emit func([]byte) error) (ListResult, error) {
	backward := p.Cursor != nil && p.Cursor.Before
	stmt, args := pageSQL(f, p, sort, geom)
	rows, err := qr.QueryContext(ctx, stmt, args...)
	if err != nil {
		return ListResult{}, wrapErr(err, "list events")
	}
	defer rows.Close()

	var res ListResult
	var first, last *Cursor
	more := false
	for rows.Next() {
		var feature sql.RawBytes
		var id string
		var count int
		dest := []any{&feature}
		vals := make([]any, len(sort))
		for i, k := range sort {
			vals[i] = scanTarget(sortKeys[k.Name].kind)
			dest = append(dest, vals[i])
		}
		dest = append(dest, &id, &count)
		if err := rows.Scan(dest...); err != nil {
			return res, wrapErr(err, "scan event")
		}
		if !backward && res.Returned == p.Limit {
			more = true
			break
		}
		if backward && count > p.Limit && !more {
			more = true
			continue
		}
		if err := emit(feature); err != nil {
			return res, err
		}
		res.Returned++
		last = &Cursor{sort: sort.String(), values: scannedValues(vals), id: id}
		if first == nil {
			first = last
		}
	}
	if err := rows.Err(); err != nil {
		return res, wrapErr(err, "list events")
	}
	// An empty page (its rows deleted since the cursor was made) links
	// nowhere: there is no row to turn around at.
	if first != nil {
		if more || backward {
			res.Next = last
		}
		if (backward && more) || (!backward && p.Cursor != nil) {
			prev := *first
			prev.Before = true
			res.Prev = &prev
		}
	}
	return res, nil
}

// pageSQL is the statement of one page of ListEvents and its arguments.
// It selects the Feature text, the sort keys and id (for the cursors), and
// a row count that tells a backward page whether it holds an extra row.
func pageSQL(f EventFilter, p Page, sort Sort, geom string) (string, []any) {
	backward := p.Cursor != nil && p.Cursor.Before
	forward := orderTerms(sort, false)
	read := orderTerms(sort, backward)

	var q query
	f.apply(&q)
	if p.Cursor != nil {
		q.and(keysetSQL(&q, read, append(slices.Clone(p.Cursor.values), p.Cursor.id)))
	}
	keys := make([]string, len(sort))
	for i, k := range sort {
		keys[i] = sortKeys[k.Name].col
	}
	// One extra row tells whether another page exists without a count.
	limit := q.arg(p.Limit + 1)
	var stmt string
	if !backward {
		stmt = `
		SELECT ` + f.feature(geom) + `::text, ` + strings.Join(keys, ", ") + `, e.id, 0
		FROM ` + f.from(&q) + `
		WHERE ` + q.whereSQL() + `
		ORDER BY ` + orderBySQL(forward) + `
		LIMIT ` + limit
	} else {
		// Read backwards from the cursor, then put the page back in reading
		// order so it streams like any other. The extra row, if any, comes
		// first; the row count over the page says whether it is there.
		stmt = `
		SELECT ` + f.feature(geom) + `::text, ` + strings.Join(keys, ", ") + `, e.id, count(*) OVER ()
		FROM (SELECT e.* FROM ` + f.from(&q) + `
		      WHERE ` + q.whereSQL() + `
		      ORDER BY ` + orderBySQL(read) + `
		      LIMIT ` + limit + `) e
		ORDER BY ` + orderBySQL(forward)
	}
	return stmt, q.args
}

func scanTarget(k keyKind) any {
	switch k {
	case kindTime:
		return new(time.Time)
	case kindInt:
		return new(sql.NullInt64)
	default:
		return new(string)
	}
}

// scannedValues turns scan targets into cursor values.
func scannedValues(targets []any) []any {
	out := make([]any, len(targets))
	for i, t := range targets {
		switch t := t.(type) {
		case *time.Time:
			out[i] = t.UTC()
		case *sql.NullInt64:
			if t.Valid {
				out[i] = t.Int64
			}
		case *string:
			out[i] = *t
		}
	}
	return out
}

// checkRegion reports an unknown region as the caller's mistake. Without
// it the filter would silently match nothing and look like an answer.
func checkRegion(ctx context.Context, qr queryer, id string) error {
	var exists bool
	if err := qr.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM regions WHERE id = $1)`, id).Scan(&exists); err != nil {
		return wrapErr(err, "look up region")
	}
	if !exists {
		return eventmap.Invalid("region", fmt.Sprintf("no region named %q", id))
	}
	return nil
}

// GetEvent returns one event as GeoJSON Feature bytes and its version (for
// the ETag), or ENOTFOUND, which is also the answer for events the caller
// may not see.
func (db *DB) GetEvent(ctx context.Context, id string, includeRestricted bool) (feature []byte, version int64, err error) {
	return db.GetEventIn(ctx, id, EventFilter{IncludeRestricted: includeRestricted}, geo.CRS84)
}

// GetEventIn is GetEvent with the geometry in crs, and with f's visibility,
// AsOf (the event as it was served at that time) and Shape (an event that
// is not an area is not in events-areas). Other members of f are ignored.
func (db *DB) GetEventIn(ctx context.Context, id string, f EventFilter, crs geo.CRS) (feature []byte, version int64, err error) {
	geom, err := f.geometryIn(crs)
	if err != nil {
		return nil, 0, err
	}
	if !IsEventID(id) {
		return nil, 0, eventmap.Errorf(eventmap.ENOTFOUND, "no event with id %q", id)
	}
	f = EventFilter{IncludeRestricted: f.IncludeRestricted, AsOf: f.AsOf, Shape: f.Shape}
	var q query
	f.apply(&q)
	q.and("e.id = " + q.arg(id))
	err = db.db.QueryRowContext(ctx, `
		SELECT `+f.feature(geom)+`::text, e.version
		FROM `+f.from(&q)+`
		WHERE `+q.whereSQL(), q.args...).Scan(&feature, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, eventmap.Errorf(eventmap.ENOTFOUND, "no event with id %q", id)
	}
	if err != nil {
		return nil, 0, wrapErr(err, "get event")
	}
	return feature, version, nil
}

// Extent is the space and time the visible events cover.
type Extent struct {
	BBox       *[4]float64 // nil when there are no events
	Start, End *time.Time
}

// EventExtents returns the extent of the events f selects and that of
// those among them stored as areas: the extents of the events and
// events-areas collections (events-points lies within the first), which
// GIS clients zoom to and the map's time slider spans. For every visible
// event (the collections' own extents) it reads the map aggregates'
// coarsest cells (which hold points), the events that are not points
// (an index of their own, migrations/00011) and the ends of the time
// indexes, in one snapshot, and keeps the answer for that version of the
// data: at 1 M events a full scan took seconds on every GIS client's
// first request, and the areas alone take a few hundred milliseconds. A
// cell's box only grows between rebuilds (RebuildAggregates tightens it),
// so the extent contains the events, possibly with a margin.
func (db *DB) EventExtents(ctx context.Context, f EventFilter) (all, areas Extent, err error) {
	if whole := (EventFilter{IncludeRestricted: f.IncludeRestricted}); !reflect.DeepEqual(f, whole) {
		return filterExtents(ctx, db.db, f)
	}
	tx, err := db.beginPage(ctx, true)
	if err != nil {
		return Extent{}, Extent{}, err
	}
	defer tx.Rollback()
	version, err := datasetVersion(ctx, tx, f.IncludeRestricted)
	if err != nil {
		return Extent{}, Extent{}, err
	}
	if e, ok := db.extents.get(version); ok {
		return e[0], e[1], nil
	}
	var q query
	f.apply(&q)
	cells := `FROM event_cell_totals c WHERE c.z = 0 AND c.n > 0 AND (NOT c.restricted OR ` + q.arg(f.IncludeRestricted) + `)`
	// The whole world's box lets the partial GiST index of the events
	// that are not points find them all.
	world := `e.geom && ST_MakeEnvelope(-180, -90, 180, 90, 4326)`
	shapes := `SELECT ST_Extent(e.geom) AS b, ST_Extent(e.geom) FILTER (WHERE ` + areaCondition + `) AS ab
		FROM events e WHERE ` + q.whereSQL() + ` AND GeometryType(e.geom) <> 'POINT' AND ` + world
	box := `least((SELECT min(west) ` + cells + `), (SELECT ST_XMin(b) FROM shapes)),
		least((SELECT min(south) ` + cells + `), (SELECT ST_YMin(b) FROM shapes)),
		greatest((SELECT max(east) ` + cells + `), (SELECT ST_XMax(b) FROM shapes)),
		greatest((SELECT max(north) ` + cells + `), (SELECT ST_YMax(b) FROM shapes))`
	ends := `(SELECT min(e.occurred_at) FROM events e WHERE ` + q.whereSQL() + `),
		(SELECT max(e.occurred_at) FROM events e WHERE ` + q.whereSQL() + `)`
	areaEnds := `(SELECT min(e.occurred_at) FROM events e WHERE ` + q.whereSQL() + ` AND ` + areaCondition + `),
		(SELECT max(e.occurred_at) FROM events e WHERE ` + q.whereSQL() + ` AND ` + areaCondition + `)`
	all, areas, err = scanExtents(tx.QueryRowContext(ctx, `WITH shapes AS (`+shapes+`)
		SELECT `+box+`, `+ends+`,
			(SELECT ST_XMin(ab) FROM shapes), (SELECT ST_YMin(ab) FROM shapes),
			(SELECT ST_XMax(ab) FROM shapes), (SELECT ST_YMax(ab) FROM shapes), `+areaEnds,
		q.args...))
	if err != nil {
		return Extent{}, Extent{}, err
	}
	db.extents.put(version, [2]Extent{all, areas})
	return all, areas, nil
}

// filterExtents is EventExtents for any filter: one scan of what it selects.
func filterExtents(ctx context.Context, qr queryer, f EventFilter) (all, areas Extent, err error) {
	var q query
	f.apply(&q)
	return scanExtents(qr.QueryRowContext(ctx, `
		SELECT ST_XMin(x.b), ST_YMin(x.b), ST_XMax(x.b), ST_YMax(x.b), x.start, x.stop,
			ST_XMin(x.ab), ST_YMin(x.ab), ST_XMax(x.ab), ST_YMax(x.ab), x.astart, x.astop
		FROM (SELECT ST_Extent(e.geom) AS b, min(e.occurred_at) AS start, max(e.occurred_at) AS stop,
				ST_Extent(e.geom) FILTER (WHERE `+areaCondition+`) AS ab,
				min(e.occurred_at) FILTER (WHERE `+areaCondition+`) AS astart,
				max(e.occurred_at) FILTER (WHERE `+areaCondition+`) AS astop
		      FROM `+f.from(&q)+` WHERE `+q.whereSQL()+`) x`, q.args...))
}

// scanExtents reads the row both extent statements give: the events'
// box and time range, then the areas' (NULLs: no event).
func scanExtents(row *sql.Row) (all, areas Extent, err error) {
	var b [2][4]sql.NullFloat64
	var t [2][2]sql.NullTime
	if err := row.Scan(&b[0][0], &b[0][1], &b[0][2], &b[0][3], &t[0][0], &t[0][1], &b[1][0], &b[1][1], &b[1][2], &b[1][3], &t[1][0], &t[1][1]); err != nil {
		return Extent{}, Extent{}, wrapErr(err, "compute extents")
	}
	return extentOf(b[0], t[0]), extentOf(b[1], t[1]), nil
}

// extentOf is the Extent of a box and a time range read as nullable
// columns (NULL: no event).
func extentOf(b [4]sql.NullFloat64, t [2]sql.NullTime) Extent {
	var ext Extent
	if b[0].Valid {
		ext.BBox = &[4]float64{b[0].Float64, b[1].Float64, b[2].Float64, b[3].Float64}
	}
	if t[0].Valid {
		s, e := t[0].Time.UTC(), t[1].Time.UTC()
		ext.Start, ext.End = &s, &e
	}
	return ext
}

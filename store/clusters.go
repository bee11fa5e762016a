package store

import (
	"context"
	"database/sql"
)

// ClusterCellPixels is the side of one clustering cell in screen pixels
// (256-pixel Web Mercator tiles): about the size of a cluster bubble, so
// neighbouring bubbles do not overlap on the map.
const ClusterCellPixels = 64

// summaryRead runs an aggregate over many events in a read-only
// transaction with JIT compilation and parallel workers off. PostGIS
// functions carry high cost estimates, so over 100 000 rows the planner
// compiles the query with JIT, which took 2 s on our test machine for an
// aggregate that then runs in 0.25 s; without it the answer is the same,
// only sooner. Parallel workers cost more to start than the reads of the
// aggregates and of a box's edges take (and the planner overestimates the
// few areas among the events, so it would start them).
func (db *DB) summaryRead(ctx context.Context, fn func(qr queryer) error) error {
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return wrapErr(err, "begin read")
	}
	defer tx.Rollback() // read-only: nothing to commit
	if _, err := tx.ExecContext(ctx, `SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0`); err != nil {
		return wrapErr(err, "set jit")
	}
	return fn(tx)
}

// Cell is one grid cell of ClusterEvents that holds at least one event.
type Cell struct {
	// Lon, Lat is the mean position of the events in the cell, so a bubble
	// sits where its events are rather than at the cell's corner.
	Lon, Lat float64
	Count    int64
	// West, South, East, North bound the events' positions: zooming to it
	// shows every event of the cell.
	West, South, East, North float64
	// ID, Type and GeoPrecision are set for cells of one event, which the
	// map draws as that event rather than as a bubble of 1.
	ID, Type, GeoPrecision string
}

// ClusterEvents counts the events f selects per cell of a grid of
// ClusterCellPixels squares laid over the Web Mercator map at zoom. Each
// event counts once, at a point on its geometry (an area's point lies
// inside it). The cells come in a stable order (west to east, then north
// to south); matched is the sum of their counts.
//
// The counts come from the map aggregates when they can answer f (see
// aggregates.go) and zoom is at most aggregateMaxZoom; otherwise from the
// events one by one, which is refused with an EINVALID error naming the
// parameter responsible when more than rawSummaryLimit events would be
// read. A cell's box bounds its events; after events left it, it may be
// looser than theirs until the aggregates are rebuilt, but never larger
// than the cell.
//
// The grid is computed from longitude and latitude with the Mercator
// formulas rather than ST_Transform, so latitudes beyond the projection's
// ±85.05° limit are clamped to its edge instead of failing the query.
func (db *DB) ClusterEvents(ctx context.Context, f EventFilter, zoom int) (cells []Cell, matched int64, err error) {
	err = db.summaryRead(ctx, func(qr queryer) error {
		if f.Region != "" {
			if err := checkRegion(ctx, qr, f.Region); err != nil {
				return err
			}
		}
		t, blocker := clustersSource(f, zoom)
		var err error
		if blocker == "" {
			cells, err = clustersFromAggregates(ctx, qr, f, t, zoom)
		} else {
			cells, err = db.clustersFromEvents(ctx, qr, f, zoom, blocker)
		}
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	for _, c := range cells {
		matched += c.Count
	}
	return cells, matched, nil
}

// clustersSource is the aggregate table that answers clusters of f at
// zoom, or the parameter that keeps the aggregates from answering.
func clustersSource(f EventFilter, zoom int) (aggregateTable, string) {
	t, blocker := f.aggregateSource()
	if blocker == "" && t == aggregateDays {
		t, blocker = f.placed() // event_days has no place
	}
	if blocker == "" {
		if _, ok := aggregateLevel(zoom); !ok {
			blocker = "zoom"
		}
	}
	return t, blocker
}

// clustersFromAggregates sums the aggregate rows of each cell of zoom and
// names the event of each cell that holds one, by its id (the XOR of one
// id), read through the primary key.
func clustersFromAggregates(ctx context.Context, qr queryer, f EventFilter, t aggregateTable, zoom int) ([]Cell, error) {
	stmt, args := clustersSQL(f, t, zoom)
	r, err := qr.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, wrapErr(err, "cluster events from aggregates")
	}
	defer r.Close()
	var cells []Cell
	for r.Next() {
		var c Cell
		var id, typ, prec sql.NullString
		var x, y sql.NullFloat64
		if err := r.Scan(&c.Count, &c.Lon, &c.Lat, &c.West, &c.South, &c.East, &c.North, &id, &typ, &prec, &x, &y); err != nil {
			return nil, wrapErr(err, "scan cluster")
		}
		if id.Valid {
			// One event: its own point, not a mean of rounded sums.
			c.ID, c.Type, c.GeoPrecision = id.String, typ.String, prec.String
			c.Lon, c.Lat = x.Float64, y.Float64
			c.West, c.South, c.East, c.North = c.Lon, c.Lat, c.Lon, c.Lat
		}
		// The mean of sums rounded to 1e-8 degree can stray that far past
		// the box of identical points.
		c.Lon, c.Lat = max(c.West, min(c.East, c.Lon)), max(c.South, min(c.North, c.Lat))
		cells = append(cells, c)
	}
	return cells, wrapErr(r.Err(), "cluster events from aggregates")
}

// clustersFromEvents clusters the events one by one, for filters the
// aggregates cannot answer.
func (db *DB) clustersFromEvents(ctx context.Context, qr queryer, f EventFilter, zoom int, blocker string) ([]Cell, error) {
	guard, err := db.beginRawSummary(ctx, qr, f, blocker, nil)
	if err != nil {
		return nil, err
	}
	var q query
	f.apply(&q)
	perWorld := q.arg(float64(cellsPerSide(zoom)))
	// OFFSET 0 keeps the inner query from being merged into the outer
	// one, so ST_PointOnSurface runs once per event, not once per use.
	rows, err := qr.QueryContext(ctx, `
		SELECT count(*), avg(p.x), avg(p.y), min(p.x), min(p.y), max(p.x), max(p.y),
			CASE WHEN count(*) = 1 THEN min(p.id::text) END,
			CASE WHEN count(*) = 1 THEN min(p.type) END,
			CASE WHEN count(*) = 1 THEN min(p.geo_precision) END
		FROM (
			SELECT e.id, e.type, e.geo_precision, ST_X(e.g) AS x, ST_Y(e.g) AS y,
				floor(event_map_u(ST_X(e.g)) * `+perWorld+`) AS gx, floor(event_map_v(ST_Y(e.g)) * `+perWorld+`) AS gy
			FROM (SELECT e.id, e.type, e.geo_precision, ST_PointOnSurface(e.geom) AS g
			      FROM `+f.from(&q)+` WHERE `+q.whereSQL()+` OFFSET 0) e
		) p
		GROUP BY p.gx, p.gy
		ORDER BY p.gx, p.gy`, q.args...)
	if err != nil {
		return nil, guard.refuse(err, "cluster events")
	}
	defer rows.Close()
	var cells []Cell
	for rows.Next() {
		var c Cell
		var id, typ, prec sql.NullString
		if err := rows.Scan(&c.Count, &c.Lon, &c.Lat, &c.West, &c.South, &c.East, &c.North, &id, &typ, &prec); err != nil {
			return nil, guard.refuse(err, "scan cluster")
		}
		c.ID, c.Type, c.GeoPrecision = id.String, typ.String, prec.String
		cells = append(cells, c)
	}
	return cells, guard.refuse(rows.Err(), "cluster events")
}

// clustersSQL is the statement of clustersFromAggregates.
func clustersSQL(f EventFilter, t aggregateTable, zoom int) (string, []any) {
	var q query
	rows := aggregateRows(&q, f, t, aggregateGroup{zoom: zoom})
	visible := "TRUE"
	if !f.IncludeRestricted {
		visible = "e.visibility = 'public'"
	}
	return `
		SELECT g.n, (g.x_sum / (g.n * 100000000.0))::float8, (g.y_sum / (g.n * 100000000.0))::float8,
			g.west, g.south, g.east, g.north,
			e.id::text, e.type, e.geo_precision, ST_X(e.pt), ST_Y(e.pt)
		FROM (
			SELECT s.gx, s.gy, sum(s.n)::bigint AS n, sum(s.x_sum) AS x_sum, sum(s.y_sum) AS y_sum,
				min(s.west) AS west, min(s.south) AS south, max(s.east) AS east, max(s.north) AS north,
				bit_xor(s.hi) AS hi, bit_xor(s.lo) AS lo
			FROM (` + rows + `) s(gx, gy, n, x_sum, y_sum, west, south, east, north, hi, lo)
			GROUP BY s.gx, s.gy
		) g
		LEFT JOIN LATERAL (
			SELECT e.id, e.type, e.geo_precision, ST_PointOnSurface(e.geom) AS pt
			FROM events e
			WHERE g.n = 1 AND e.id = event_id_from(g.hi, g.lo) AND e.deleted_at IS NULL AND ` + visible + `
			OFFSET 0 -- a subquery of its own, so g.n = 1 gates the lookup
		) e ON true
		WHERE g.n > 0
		ORDER BY g.gx, g.gy`, q.args
}

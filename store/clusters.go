package store

import (
	"context"
	"database/sql"
	"math"
	"time"
)

// ClusterCellPixels is the side of one clustering cell in screen pixels
// (256-pixel Web Mercator tiles): about the size of a cluster bubble, so
// neighbouring bubbles do not overlap on the map.
const ClusterCellPixels = 64

// summaryRead runs an aggregate over many events in a read-only
// transaction with JIT compilation off. PostGIS functions carry high cost
// estimates, so over 100 000 rows the planner compiles the query with JIT,
// which took 2 s on our test machine for an aggregate that then runs in
// 0.25 s; without it the answer is the same, only sooner.
func (db *DB) summaryRead(ctx context.Context, fn func(qr queryer) error) error {
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return wrapErr(err, "begin read")
	}
	defer tx.Rollback() // read-only: nothing to commit
	if _, err := tx.ExecContext(ctx, `SET LOCAL jit = off`); err != nil {
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
		var q query
		f.apply(&q)
		perWorld := q.arg(math.Exp2(float64(zoom)) * 256 / ClusterCellPixels)
		// OFFSET 0 keeps the inner query from being merged into the outer
		// one, so ST_PointOnSurface runs once per event, not once per use.
		rows, err := qr.QueryContext(ctx, `
			SELECT count(*), avg(p.x), avg(p.y), min(p.x), min(p.y), max(p.x), max(p.y),
				CASE WHEN count(*) = 1 THEN min(p.id::text) END,
				CASE WHEN count(*) = 1 THEN min(p.type) END,
				CASE WHEN count(*) = 1 THEN min(p.geo_precision) END
			FROM (
				SELECT e.id, e.type, e.geo_precision, ST_X(e.g) AS x, ST_Y(e.g) AS y,
					radians(greatest(-85.0511, least(85.0511, ST_Y(e.g)))) AS phi
				FROM (SELECT e.id, e.type, e.geo_precision, ST_PointOnSurface(e.geom) AS g
				      FROM `+f.from(&q)+` WHERE `+q.whereSQL()+` OFFSET 0) e
			) p
			GROUP BY floor((p.x + 180) / 360 * `+perWorld+`),
				floor((1 - ln(tan(p.phi) + 1 / cos(p.phi)) / pi()) / 2 * `+perWorld+`)
			ORDER BY 4, 7 DESC`, q.args...)
		if err != nil {
			return wrapErr(err, "cluster events")
		}
		defer rows.Close()
		for rows.Next() {
			var c Cell
			var id, typ, prec sql.NullString
			if err := rows.Scan(&c.Count, &c.Lon, &c.Lat, &c.West, &c.South, &c.East, &c.North, &id, &typ, &prec); err != nil {
				return wrapErr(err, "scan cluster")
			}
			c.ID, c.Type, c.GeoPrecision = id.String, typ.String, prec.String
			matched += c.Count
			cells = append(cells, c)
		}
		return wrapErr(rows.Err(), "cluster events")
	})
	if err != nil {
		return nil, 0, err
	}
	return cells, matched, nil
}

// HistogramIntervals are the periods EventHistogram can count by, the
// names date_trunc knows them by.
var HistogramIntervals = []string{"day", "week", "month", "year"}

// Bucket is one period of EventHistogram that holds at least one event.
type Bucket struct {
	Start time.Time // in UTC; weeks start on Monday (ISO 8601)
	Count int64
}

// EventHistogram counts the events f selects per interval (one of
// HistogramIntervals) of their occurred_at, in UTC. Empty periods are
// left out; buckets come oldest first.
func (db *DB) EventHistogram(ctx context.Context, f EventFilter, interval string) ([]Bucket, error) {
	var out []Bucket
	err := db.summaryRead(ctx, func(qr queryer) error {
		if f.Region != "" {
			if err := checkRegion(ctx, qr, f.Region); err != nil {
				return err
			}
		}
		var q query
		f.apply(&q)
		// date_trunc takes its unit as a value, so even the interval is
		// bound as an argument; the api checks it against
		// HistogramIntervals first.
		unit := q.arg(interval)
		rows, err := qr.QueryContext(ctx, `
			SELECT date_trunc(`+unit+`, e.occurred_at AT TIME ZONE 'UTC') AS start, count(*)
			FROM `+f.from(&q)+`
			WHERE `+q.whereSQL()+`
			GROUP BY 1 ORDER BY 1`, q.args...)
		if err != nil {
			return wrapErr(err, "count events per "+interval)
		}
		defer rows.Close()
		for rows.Next() {
			var b Bucket
			if err := rows.Scan(&b.Start, &b.Count); err != nil {
				return wrapErr(err, "scan histogram")
			}
			b.Start = time.Date(b.Start.Year(), b.Start.Month(), b.Start.Day(), 0, 0, 0, 0, time.UTC)
			out = append(out, b)
		}
		return wrapErr(rows.Err(), "count events per "+interval)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

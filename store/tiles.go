package store

import (
	"context"
	"math"
	"strings"
)

// Vector tiles follow the Mapbox Vector Tile conventions: a tile is
// TileExtent units a side, and geometries reach TileBuffer units past its
// edges so that lines and areas drawn across a tile boundary join up.
const (
	TileExtent = 4096
	TileBuffer = 64
	// TileLayer is the name of the one layer of every tile.
	TileLayer = "events"
)

// TileFeatureCap is the most events a tile carries one by one. Past it the
// tile carries clusters instead (see TileCellPixels). 2000 points with
// their seven properties encode to about 150 KB, a third of the 500 KB
// that map libraries treat as the most a tile should weigh; an unbounded
// tile of a city at zoom 5 would hold every event of the country.
const TileFeatureCap = 2000

// TileCellPixels is the side, in pixels of a 256-pixel tile, of the grid
// cells a crowded tile is clustered by: at most 16×16 = 256 clusters a
// tile, each where its events are, with their count.
const TileCellPixels = 16

// Tile is one encoded vector tile and what it holds.
type Tile struct {
	MVT []byte
	// Features is the number of features in the tile: events, or clusters
	// when Clustered.
	Features int
	// Clustered says the tile held more than TileFeatureCap events and
	// carries one point per grid cell instead.
	Clustered bool
}

// EventTile encodes the events f selects that fall on tile (z, x, y) of
// the Web Mercator grid (x from the west, y from the north) as a Mapbox
// Vector Tile with one layer, TileLayer. Each event is a feature with its
// geometry clipped to the tile (plus TileBuffer) and the properties id,
// type, status, geo_precision, title, occurred_at (RFC 3339, UTC),
// fatalities (absent when unknown) and count (1).
//
// A tile that would hold more than TileFeatureCap events holds clusters:
// one point per TileCellPixels cell at the mean position of its events,
// with count, and for a cell of one event that event's properties. Each
// event is counted in the one tile its representative point (the point,
// or a point inside the area) falls on, so counts add up across tiles.
func (db *DB) EventTile(ctx context.Context, f EventFilter, z, x, y int) (Tile, error) {
	var out Tile
	err := db.summaryRead(ctx, func(qr queryer) error {
		if f.Region != "" {
			if err := checkRegion(ctx, qr, f.Region); err != nil {
				return err
			}
		}
		// A tile the aggregates show to be crowded is clustered from them
		// (a cell of 16 pixels on a tile of zoom z is a cell of 64 at
		// z+2), with no event read but the one of each single-event cell.
		t, blocker := f.aggregateSource()
		switch {
		case blocker != "":
		case t == aggregateDays || !f.aligned(t):
			// No place, or a range with cut ends, which
			// crowdedTileFromAggregates does not read.
			blocker = "datetime"
		case f.BBox != nil:
			blocker = "bbox" // the tile is the box
		default:
			if _, ok := aggregateLevel(z + 2); !ok {
				blocker = "tileMatrix"
			}
		}
		if blocker == "" {
			tile, crowded, err := crowdedTileFromAggregates(ctx, qr, f, t, z, x, y)
			if err != nil || crowded {
				out = tile
				return err
			}
		}

		var q query
		f.apply(&q)
		// The tile's box in the column's SRID, so the GiST index on geom
		// bounds the scan; the transformed envelope is exact because
		// Mercator maps meridians and parallels to straight lines.
		zz, xx, yy := q.arg(z), q.arg(x), q.arg(y)
		zxy := strings.Join([]string{zz, xx, yy}, ", ")
		margin := q.arg(float64(TileBuffer) / TileExtent)
		env := "ST_TileEnvelope(" + zxy + ")"
		bounds := "ST_Transform(ST_TileEnvelope(" + zxy + ", margin => " + margin + "), 4326)"
		q.and("e.geom && " + bounds)
		from := f.from(&q)

		// Counting stops past the cap, so a crowded tile costs little to
		// size up. The count has its own copy of the arguments: every
		// argument bound must appear in the statement that gets it.
		cq := q
		limit := cq.arg(TileFeatureCap + 1)
		var n int
		err := qr.QueryRowContext(ctx, `
			SELECT count(*) FROM (SELECT 1 FROM `+from+` WHERE `+cq.whereSQL()+` LIMIT `+limit+`) s`,
			cq.args...).Scan(&n)
		if err != nil {
			return wrapErr(err, "count tile events")
		}
		extent := q.arg(TileExtent)
		mvt := "ST_AsMVT(m, '" + TileLayer + "', " + extent + ", 'geom')"

		if n <= TileFeatureCap {
			// Clipping in longitude/latitude first keeps ST_Transform away
			// from the poles, which Web Mercator cannot reach. Events come
			// in a fixed order so that the same events always make the
			// same bytes (the ETag is their hash).
			buffer := q.arg(TileBuffer)
			geom := strings.Join([]string{"ST_AsMVTGeom(ST_Transform(ST_ClipByBox2D(", f.Shape.tileGeometry(), ", ", bounds, "), 3857), ",
				env, ", ", extent, ", ", buffer, ", true)"}, "")
			err = qr.QueryRowContext(ctx, `
				SELECT `+mvt+`, count(*)
				FROM (
					SELECT e.id::text AS id, e.type, e.status, e.geo_precision, e.title,
						to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS occurred_at,
						e.fatalities, 1 AS count, `+geom+` AS geom
					FROM `+from+`
					WHERE `+q.whereSQL()+`
					ORDER BY e.occurred_at DESC, e.id
				) m
				WHERE m.geom IS NOT NULL`, q.args...).Scan(&out.MVT, &out.Features)
			return wrapErr(err, "encode tile")
		}

		// Clusters, event by event: the aggregates cannot answer f. The
		// grid is computed from longitude and latitude with the Mercator
		// formulas, as ClusterEvents does, so no event's geometry is
		// transformed: at low zooms a tile covers millions. tx, ty is the
		// position on the tile in tile units, y down from its north edge;
		// only events whose point is on this tile count.
		// When the aggregates could answer f they found fewer than
		// TileFeatureCap points on the tile (areas from around it made the
		// count): a bounded read that needs no guard.
		guard := &rawSummary{}
		if blocker != "" {
			guard, err = db.beginRawSummary(ctx, qr, f, blocker, func(rq *query) {
				rq.and("e.geom && ST_Transform(ST_TileEnvelope(" + rq.arg(z) + ", " + rq.arg(x) + ", " + rq.arg(y) + "), 4326)")
			})
			if err != nil {
				return err
			}
		}
		out.Clustered = true
		scale := q.arg(math.Exp2(float64(z)))
		cell := q.arg(float64(TileCellPixels * TileExtent / 256))
		// The tile's side as a float of its own: PostgreSQL types a
		// parameter by its first use, and extent must stay an integer.
		units := q.arg(float64(TileExtent))
		tx := strings.Join([]string{"((e.lon + 180) / 360 * ", scale, " - ", xx, ") * ", units}, "")
		ty := strings.Join([]string{"((1 - ln(tan(e.phi) + 1 / cos(e.phi)) / pi()) / 2 * ", scale, " - ", yy, ") * ", units}, "")
		// OFFSET 0 keeps ST_PointOnSurface to once per event.
		points := `
			SELECT e.*, ` + tx + ` AS tx, ` + ty + ` AS ty
			FROM (
				SELECT e.id, e.type, e.status, e.geo_precision, e.title, e.occurred_at, e.fatalities,
					ST_X(e.g) AS lon, ST_Y(e.g) AS lat,
					radians(greatest(-85.0511, least(85.0511, ST_Y(e.g)))) AS phi
				FROM (SELECT e.*, ST_PointOnSurface(e.geom) AS g FROM ` + from + ` WHERE ` + q.whereSQL() + ` OFFSET 0) e
			) e`
		onTile := "p.tx >= 0 AND p.tx < " + units + " AND p.ty >= 0 AND p.ty < " + units
		cx, cy := "floor(p.tx / "+cell+")", "floor(p.ty / "+cell+")"
		center := strings.Join([]string{"ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(avg(p.lon), ",
			"greatest(-85.0511, least(85.0511, avg(p.lat)))), 4326), 3857), ", env, ", ", extent, ", 0, false)"}, "")
		err = qr.QueryRowContext(ctx, strings.Join([]string{`
			SELECT `, mvt, `, count(*)
			FROM (
				SELECT CASE WHEN count(*) = 1 THEN min(p.id::text) END AS id,
					CASE WHEN count(*) = 1 THEN min(p.type) END AS type,
					CASE WHEN count(*) = 1 THEN min(p.status) END AS status,
					CASE WHEN count(*) = 1 THEN min(p.geo_precision) END AS geo_precision,
					CASE WHEN count(*) = 1 THEN min(p.title) END AS title,
					CASE WHEN count(*) = 1 THEN min(to_char(p.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) END AS occurred_at,
					CASE WHEN count(*) = 1 THEN min(p.fatalities) END AS fatalities,
					count(*) AS count, `, center, ` AS geom
				FROM (`, points, `) p
				WHERE `, onTile, `
				GROUP BY `, cx, `, `, cy, `
				ORDER BY `, cy, `, `, cx, `
			) m`}, ""), q.args...).Scan(&out.MVT, &out.Features)
		return guard.refuse(err, "encode clustered tile")
	})
	if err != nil {
		return Tile{}, err
	}
	return out, nil
}

// crowdedTileFromAggregates clusters tile (z, x, y) from the aggregates
// when more than TileFeatureCap events have their point on it; crowded is
// false, and nothing encoded, when it holds fewer (EventTile then reads
// them one by one). The clusters are those the event-by-event path makes:
// per TileCellPixels cell, at the mean of its events' points, in the same
// order, with the properties of the event of single-event cells.
func crowdedTileFromAggregates(ctx context.Context, qr queryer, f EventFilter, t aggregateTable, z, x, y int) (out Tile, crowded bool, err error) {
	table := t.tableName()
	var q query
	dims := f.aggregateDims(&q, t)
	// The tile's cells are the 64-pixel cells of zoom z+2, read from the
	// kept level at or below it.
	level, _ := aggregateLevel(z + 2)
	shift := level - (z + 2)
	perTile := (256 / TileCellPixels) << shift
	cells := "c.z = " + q.arg(level) + " AND c.cx BETWEEN " + q.arg(perTile*x) + " AND " + q.arg(perTile*x+perTile-1) +
		" AND c.cy BETWEEN " + q.arg(perTile*y) + " AND " + q.arg(perTile*y+perTile-1) + " AND " + dims
	var n int64
	if err := qr.QueryRowContext(ctx, `SELECT COALESCE(sum(c.n), 0)::bigint FROM `+table+` c WHERE `+cells, q.args...).Scan(&n); err != nil {
		return Tile{}, false, wrapErr(err, "count tile events from aggregates")
	}
	if n <= TileFeatureCap {
		return Tile{}, false, nil
	}
	// Bound after the count, which has no use for them: every argument
	// bound must appear in the statement that gets it.
	bits := q.arg(shift)
	zxy := strings.Join([]string{q.arg(z), q.arg(x), q.arg(y)}, ", ")
	extent := q.arg(TileExtent)
	visible := "TRUE"
	if !f.IncludeRestricted {
		visible = "e.visibility = 'public'"
	}
	err = qr.QueryRowContext(ctx, `
		SELECT ST_AsMVT(m, '`+TileLayer+`', `+extent+`, 'geom'), count(*)
		FROM (
			SELECT e.id::text AS id, e.type, e.status, e.geo_precision, e.title,
				to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS occurred_at,
				e.fatalities, g.n AS count,
				ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(p.lon, greatest(-85.0511, least(85.0511, p.lat))), 4326), 3857),
					ST_TileEnvelope(`+zxy+`), `+extent+`, 0, false) AS geom
			FROM (
				SELECT c.cx >> `+bits+` AS cx, c.cy >> `+bits+` AS cy, sum(c.n)::bigint AS n,
					sum(c.x_sum) AS x_sum, sum(c.y_sum) AS y_sum, bit_xor(c.id_xor_hi) AS hi, bit_xor(c.id_xor_lo) AS lo
				FROM `+table+` c WHERE `+cells+`
				GROUP BY 1, 2
			) g
			LEFT JOIN LATERAL (
				SELECT e.* FROM events e
				WHERE g.n = 1 AND e.id = event_id_from(g.hi, g.lo) AND e.deleted_at IS NULL AND `+visible+`
				OFFSET 0 -- a subquery of its own, so g.n = 1 gates the lookup
			) e ON true
			CROSS JOIN LATERAL (
				SELECT CASE WHEN e.id IS NULL THEN (g.x_sum / (g.n * 100000000.0))::float8 ELSE ST_X(ST_PointOnSurface(e.geom)) END AS lon,
					CASE WHEN e.id IS NULL THEN (g.y_sum / (g.n * 100000000.0))::float8 ELSE ST_Y(ST_PointOnSurface(e.geom)) END AS lat
			) p
			WHERE g.n > 0
			ORDER BY g.cy, g.cx
		) m`, q.args...).Scan(&out.MVT, &out.Features)
	if err != nil {
		return Tile{}, false, wrapErr(err, "encode clustered tile from aggregates")
	}
	out.Clustered = true
	return out, true, nil
}

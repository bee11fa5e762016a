package store

import (
	"context"
	"strings"

	"eventmap"
)

// ExplainItems runs the statement of the first page ListEvents would read
// for f and p, with its settings, under EXPLAIN (ANALYZE, BUFFERS) and
// returns the plan, so
// tests and the benchmark can show which index a query really uses.
// ANALYZE executes the query: only for operators and tests, never with
// request input.
func (db *DB) ExplainItems(ctx context.Context, f EventFilter, p Page) (string, error) {
	geom, err := geometrySQL(p.CRS)
	if err != nil {
		return "", err
	}
	stmt, args := pageSQL(f, p, p.Sort.orDefault(), geom)
	tx, err := db.beginPage(ctx, false)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `EXPLAIN (ANALYZE, BUFFERS) `+stmt, args...)
	if err != nil {
		return "", wrapErr(err, "explain items")
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", wrapErr(err, "explain items")
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String(), wrapErr(rows.Err(), "explain items")
}

// ExplainSummary runs under EXPLAIN (ANALYZE, BUFFERS) the statement that
// answers a summary of f from the map aggregates, as ClusterEvents
// ("clusters", at zoom), EventHistogram ("histogram", per interval) and
// countFromAggregates ("count") run it, and returns the plan. It fails
// with EINVALID when the aggregates cannot answer f. For tests and
// operators, never with request input.
func (db *DB) ExplainSummary(ctx context.Context, summary string, f EventFilter, zoom int, interval string) (string, error) {
	var stmt string
	var args []any
	switch summary {
	case "clusters":
		t, blocker := clustersSource(f, zoom)
		if blocker != "" {
			return "", eventmap.Invalid(blocker, "is not answered from the aggregates")
		}
		stmt, args = clustersSQL(f, t, zoom)
	case "histogram":
		t, blocker := histogramSource(f, interval)
		if blocker != "" {
			return "", eventmap.Invalid(blocker, "is not answered from the aggregates")
		}
		stmt, args = histogramSQL(f, t, interval)
	case "count":
		t, blocker := f.aggregateSource()
		if blocker != "" {
			return "", eventmap.Invalid(blocker, "is not answered from the aggregates")
		}
		stmt, args = countSQL(f, t)
	default:
		return "", eventmap.Invalid("summary", "must be clusters, histogram or count")
	}
	var plan string
	err := db.summaryRead(ctx, func(qr queryer) error {
		rows, err := qr.QueryContext(ctx, `EXPLAIN (ANALYZE, BUFFERS) `+stmt, args...)
		if err != nil {
			return wrapErr(err, "explain "+summary)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				return wrapErr(err, "explain "+summary)
			}
			b.WriteString(line)
			b.WriteByte('\n')
		}
		plan = b.String()
		return wrapErr(rows.Err(), "explain "+summary)
	})
	return plan, err
}

// BaselineItemsSQL is the floor the benchmark compares an items page
// with: the same FeatureCollection (the Features of the first page of a
// bbox query, as ListEvents selects and writes them) made by one SQL
// statement inside PostgreSQL. $1-$4 are the bbox (west, south, east,
// north) and $5 the page size.
func BaselineItemsSQL() string {
	return `SELECT json_build_object('type', 'FeatureCollection',
		'features', COALESCE(json_agg(p.feature), '[]'::json), 'numberReturned', count(*))::text
	FROM (SELECT ` + featureSQLIn(geometryCRS84) + ` AS feature
	      FROM events e
	      WHERE e.deleted_at IS NULL AND e.visibility = 'public'
	        AND ST_Intersects(e.geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))
	      ORDER BY e.occurred_at DESC, e.id DESC
	      LIMIT $5) p`
}

// ColumnItemsSQL is the simplest statement that answers an items page:
// the events table's own columns (no actors or sources, no stored
// document) of the first page of a bbox query, in the default order, as a
// GeoJSON FeatureCollection that PostGIS writes from the rows
// (ST_AsGeoJSON of a record: the geometry column becomes the geometry,
// every other column a property, coordinates to 6 decimals as ours). The
// benchmark holds eventmap's items page against it (DESIGN.md §7). $1-$4
// are the bbox (west, south, east, north) and $5 the page size.
func ColumnItemsSQL() string {
	return `SELECT json_build_object('type', 'FeatureCollection',
		'features', COALESCE(json_agg(ST_AsGeoJSON(t.*, 'geom', 6)::json), '[]'::json))::text
	FROM (SELECT e.id, e.type, e.title, e.summary, e.occurred_at, e.time_precision, e.geo_precision,
	             e.place, e.admin1, e.country, e.fatalities, e.civilian_fatalities, e.status,
	             e.visibility, e.tags, e.properties, e.external_id, e.version, e.created_at,
	             e.updated_at, e.geom
	      FROM events e
	      WHERE e.deleted_at IS NULL AND e.visibility = 'public'
	        AND ST_Intersects(e.geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))
	      ORDER BY e.occurred_at DESC, e.id DESC
	      LIMIT $5) t`
}

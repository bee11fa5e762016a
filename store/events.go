package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"eventmap"
)

// featureSQL builds one event, aliased e, as a GeoJSON Feature inside
// PostgreSQL. Coordinates keep 6 decimals (about 0.1 m), polygons are
// forced counter-clockwise as RFC 7946 asks, and no "crs" member is
// written. The same expression produces list pages, single items and
// revision snapshots, so all three always agree.
const featureSQL = `json_build_object(
	'type', 'Feature',
	'id', e.id,
	'geometry', ST_AsGeoJSON(ST_ForcePolygonCCW(e.geom), 6)::json,
	'properties', json_build_object(
		'type', e.type,
		'title', e.title,
		'summary', e.summary,
		'occurred_at', e.occurred_at,
		'time_precision', e.time_precision,
		'place', e.place,
		'admin1', e.admin1,
		'country', e.country,
		'geo_precision', e.geo_precision,
		'fatalities', e.fatalities,
		'civilian_fatalities', e.civilian_fatalities,
		'status', e.status,
		'visibility', e.visibility,
		'tags', to_json(e.tags),
		'actors', COALESCE((
			SELECT json_agg(json_build_object('name', a.name, 'role', ea.role) ORDER BY ea.position, a.name)
			FROM event_actors ea JOIN actors a ON a.id = ea.actor_id
			WHERE ea.event_id = e.id), '[]'::json),
		'sources', COALESCE((
			SELECT json_agg(json_strip_nulls(json_build_object(
				'url', s.url, 'publisher', NULLIF(s.publisher, ''), 'title', NULLIF(s.title, ''),
				'published_at', s.published_at, 'excerpt', NULLIF(es.excerpt, ''))) ORDER BY es.position, s.url)
			FROM event_sources es JOIN sources s ON s.id = es.source_id
			WHERE es.event_id = e.id), '[]'::json),
		'version', e.version,
		'updated_at', e.updated_at
	)
)`

// Page asks for at most Limit events after a cursor.
type Page struct {
	Limit int
	After *Cursor
}

// ListResult describes the page that ListEvents streamed.
type ListResult struct {
	Returned int
	// Next is set when more events match after this page.
	Next *Cursor
}

// ListEvents streams the matching events, newest first, as GeoJSON Feature
// bytes made by PostGIS: each is handed to emit as it arrives from the
// database, so a page is never decoded or held whole in Go. The bytes are
// only valid during the call.
func (db *DB) ListEvents(ctx context.Context, f EventFilter, p Page, emit func(feature []byte) error) (ListResult, error) {
	var q query
	f.apply(&q)
	if p.After != nil {
		q.and("(e.occurred_at, e.id) < (" + q.arg(p.After.OccurredAt) + ", " + q.arg(p.After.ID) + ")")
	}
	// One extra row tells whether a next page exists without a count.
	limit := q.arg(p.Limit + 1)
	rows, err := db.db.QueryContext(ctx, `
		SELECT `+featureSQL+`::text, e.occurred_at, e.id
		FROM events e
		WHERE `+q.whereSQL()+`
		ORDER BY e.occurred_at DESC, e.id DESC
		LIMIT `+limit, q.args...)
	if err != nil {
		return ListResult{}, wrapErr(err, "list events")
	}
	defer rows.Close()

	var res ListResult
	var last Cursor
	for rows.Next() {
		var feature sql.RawBytes
		var at time.Time
		var id string
		if err := rows.Scan(&feature, &at, &id); err != nil {
			return res, wrapErr(err, "scan event")
		}
		if res.Returned == p.Limit {
			res.Next = &last
			break
		}
		if err := emit(feature); err != nil {
			return res, err
		}
		res.Returned++
		last = Cursor{OccurredAt: at, ID: id}
	}
	if err := rows.Err(); err != nil {
		return res, wrapErr(err, "list events")
	}
	return res, nil
}

// GetEvent returns one event as GeoJSON Feature bytes and its version (for
// the ETag), or ENOTFOUND, which is also the answer for events the caller
// may not see.
func (db *DB) GetEvent(ctx context.Context, id string, includeRestricted bool) (feature []byte, version int64, err error) {
	if !IsEventID(id) {
		return nil, 0, eventmap.Errorf(eventmap.ENOTFOUND, "no event with id %q", id)
	}
	q := query{}
	EventFilter{IncludeRestricted: includeRestricted}.apply(&q)
	q.and("e.id = " + q.arg(id))
	err = db.db.QueryRowContext(ctx, `
		SELECT `+featureSQL+`::text, e.version
		FROM events e
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

// EventExtent returns the extent of the events f selects, for the
// collection metadata that GIS clients zoom to.
func (db *DB) EventExtent(ctx context.Context, f EventFilter) (Extent, error) {
	var q query
	f.apply(&q)
	var minx, miny, maxx, maxy sql.NullFloat64
	var start, end sql.NullTime
	err := db.db.QueryRowContext(ctx, `
		SELECT ST_XMin(x.b), ST_YMin(x.b), ST_XMax(x.b), ST_YMax(x.b), x.start, x.stop
		FROM (SELECT ST_Extent(e.geom) AS b, min(e.occurred_at) AS start, max(e.occurred_at) AS stop
		      FROM events e WHERE `+q.whereSQL()+`) x`, q.args...).
		Scan(&minx, &miny, &maxx, &maxy, &start, &end)
	if err != nil {
		return Extent{}, wrapErr(err, "compute extent")
	}
	var ext Extent
	if minx.Valid {
		ext.BBox = &[4]float64{minx.Float64, miny.Float64, maxx.Float64, maxy.Float64}
	}
	if start.Valid {
		s, e := start.Time.UTC(), end.Time.UTC()
		ext.Start, ext.End = &s, &e
	}
	return ext, nil
}

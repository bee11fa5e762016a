package store

// "As of" reads: with EventFilter.AsOf set, queries read the events as
// they were served at that time instead of the events table. The relation
// is rebuilt from each event's last revision recorded by then and has the
// events table's column names, so every filter, sort key, cursor and count
// works on it unchanged. Two things come from the present: an event that
// is restricted now is restricted in the past too (restricting it later
// means its details were sensitive all along), and actor filters match the
// event's current actors.

var asOfHead = `(
	SELECT DISTINCT ON (r.event_id)
		r.event_id AS id, r.snapshot,
		ST_SetSRID(ST_GeomFromGeoJSON(r.snapshot->'geometry'), 4326) AS geom,
` + asOfColumns() + `		CASE WHEN cur.visibility = 'restricted' THEN 'restricted'
		     ELSE r.snapshot#>>'{properties,visibility}' END AS visibility,
		CASE WHEN r.action = 'delete' THEN r.recorded_at END AS deleted_at
	FROM event_revisions r JOIN events cur ON cur.id = r.event_id
	WHERE r.recorded_at <= `

const asOfTail = `
	ORDER BY r.event_id, r.version DESC) e`

// from is the FROM item queries read events from, aliased e.
func (f EventFilter) from(q *query) string {
	if f.AsOf.IsZero() {
		return "events e"
	}
	return asOfHead + q.arg(f.AsOf) + asOfTail
}

// feature is the Feature expression for one row of from, with the geometry
// written by geom (one of geometrySQL's expressions). A past read returns
// the stored snapshot with only its geometry re-expressed in the asked CRS.
func (f EventFilter) feature(geom string) string {
	switch {
	case f.AsOf.IsZero() && f.Shape == AsPoint:
		return servedPointSQL(geom)
	case f.AsOf.IsZero():
		return servedFeatureSQL(geom)
	case f.Shape == AsPoint:
		return pastPointSQL(geom)
	}
	return "jsonb_set(e.snapshot, '{geometry}', (" + geom + ")::jsonb)"
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"eventmap"
)

// nullTime passes a zero time as NULL, so SQL can fall back to now().
func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: !t.IsZero()} }

// EventVersion returns the current version of an event, and false if no
// such event exists (deleted events included: ids are never reused).
func (tx *Tx) EventVersion(ctx context.Context, id string) (int64, bool, error) {
	var v int64
	err := tx.tx.QueryRowContext(ctx, `SELECT version FROM events WHERE id = $1`, id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, wrapErr(err, "read event version")
	}
	return v, true, nil
}

// Written is an accepted write: the event's id and new version, and the
// Feature as it is now served (what the revision recorded).
type Written struct {
	ID      string
	Version int64
	Feature []byte
}

// insertEventSQL and updateEventSQL write every property column of
// writtenProperties, whose values follow the fixed arguments. The geometry
// is tested with ST_IsValid in the WHERE clause (see invalidGeometry).
func insertEventSQL() string {
	return `
		INSERT INTO events (id, geom, created_at, updated_at, ` + writtenColumns("") + `)
		SELECT COALESCE($1::uuid, gen_random_uuid()), v.g, COALESCE($3, now()), COALESCE($3, now()), ` + placeholders(4, len(writtenProperties)) + `
		FROM (SELECT ST_GeomFromWKB($2, 4326) AS g) v
		WHERE ST_IsValid(v.g)
		RETURNING id, version`
}

func updateEventSQL() string {
	sets := make([]string, len(writtenProperties))
	for i, p := range writtenProperties {
		sets[i] = p.Column + " = $" + strconv.Itoa(5+i)
	}
	return `
		UPDATE events SET geom = v.g, version = version + 1, updated_at = COALESCE($4, now()),
			` + strings.Join(sets, ", ") + `
		FROM (SELECT ST_GeomFromWKB($3, 4326) AS g) v
		WHERE id = $1 AND version = $2 AND deleted_at IS NULL AND ST_IsValid(v.g)
		RETURNING version`
}

// placeholders is "$from, $from+1, ...", n of them.
func placeholders(from, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(ps, ", ")
}

// CreateEvent inserts ev (with ev.ID when set, else a new id) with its
// actors and sources and appends its first revision.
func (tx *Tx) CreateEvent(ctx context.Context, ev *eventmap.Event, rev eventmap.Revision) (Written, error) {
	var id string
	var version int64
	var evID sql.NullString
	if ev.ID != "" {
		evID = sql.NullString{String: ev.ID, Valid: true}
	}
	// $1 id, $2 geometry, $3 time, then the properties in table order.
	args := append([]any{evID, wkb.Value(ev.Geometry), nullTime(rev.RecordedAt)}, writtenValues(ev)...)
	err := tx.tx.QueryRowContext(ctx, insertEventSQL(), args...).Scan(&id, &version)
	if errors.Is(err, sql.ErrNoRows) {
		if err := tx.invalidGeometry(ctx, ev.Geometry); err != nil {
			return Written{}, err
		}
		return Written{}, eventmap.Errorf(eventmap.EINTERNAL, "insert event: no row written for a valid geometry")
	}
	if err != nil {
		return Written{}, wrapErr(externalIDTaken(err, ev.ExternalID), "insert event")
	}
	if err := tx.setLinks(ctx, id, ev, false); err != nil {
		return Written{}, err
	}
	feature, err := tx.appendRevision(ctx, id, "create", rev)
	if err != nil {
		return Written{}, err
	}
	return Written{ID: id, Version: version, Feature: feature}, refillFeatures(ctx, tx.tx)
}

// UpdateEvent replaces every field of event ev.ID, provided its version is
// still ifVersion; the check and the write are one UPDATE, so two editors
// racing on the same version cannot both win. It returns the new version.
func (tx *Tx) UpdateEvent(ctx context.Context, ev *eventmap.Event, ifVersion int64, rev eventmap.Revision) (Written, error) {
	var version int64
	// $1 id, $2 expected version, $3 geometry, $4 time, then the
	// properties in table order.
	args := append([]any{ev.ID, ifVersion, wkb.Value(ev.Geometry), nullTime(rev.RecordedAt)}, writtenValues(ev)...)
	err := tx.tx.QueryRowContext(ctx, updateEventSQL(), args...).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		if err := tx.invalidGeometry(ctx, ev.Geometry); err != nil {
			return Written{}, err
		}
		return Written{}, tx.whyNotWritten(ctx, ev.ID, ifVersion)
	}
	if err != nil {
		return Written{}, wrapErr(externalIDTaken(err, ev.ExternalID), "update event")
	}
	if err := tx.setLinks(ctx, ev.ID, ev, true); err != nil {
		return Written{}, err
	}
	feature, err := tx.appendRevision(ctx, ev.ID, "update", rev)
	if err != nil {
		return Written{}, err
	}
	return Written{ID: ev.ID, Version: version, Feature: feature}, refillFeatures(ctx, tx.tx)
}

// DeleteEvent soft-deletes event id, provided its version is still
// ifVersion: it disappears from every read but keeps its history, and a
// final revision records who deleted it and why.
func (tx *Tx) DeleteEvent(ctx context.Context, id string, ifVersion int64, rev eventmap.Revision) (int64, error) {
	var version int64
	err := tx.tx.QueryRowContext(ctx, `
		UPDATE events SET deleted_at = COALESCE($3, now()), updated_at = COALESCE($3, now()), version = version + 1
		WHERE id = $1 AND version = $2 AND deleted_at IS NULL
		RETURNING version`, id, ifVersion, nullTime(rev.RecordedAt)).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, tx.whyNotWritten(ctx, id, ifVersion)
	}
	if err != nil {
		return 0, wrapErr(err, "delete event")
	}
	_, err = tx.appendRevision(ctx, id, "delete", rev)
	return version, err
}

// whyNotWritten explains a conditional write that matched no row: the event
// is gone, or someone else's write moved it past ifVersion.
func (tx *Tx) whyNotWritten(ctx context.Context, id string, ifVersion int64) error {
	var current int64
	var deleted bool
	err := tx.tx.QueryRowContext(ctx, `SELECT version, deleted_at IS NOT NULL FROM events WHERE id = $1`, id).Scan(&current, &deleted)
	if errors.Is(err, sql.ErrNoRows) || deleted {
		return eventmap.Errorf(eventmap.ENOTFOUND, "no event with id %q", id)
	}
	if err != nil {
		return wrapErr(err, "read event version")
	}
	return eventmap.StaleVersion(id, current, ifVersion)
}

// invalidGeometry explains a write that stored nothing because PostGIS
// finds its geometry invalid: the writes above test ST_IsValid in their
// WHERE clause (one round trip on the happy path), and this asks
// ST_IsValidReason only when that test failed, so the client hears why
// instead of meeting the table's CHECK, and nothing is silently repaired
// with ST_MakeValid. It returns nil for a valid geometry.
func (tx *Tx) invalidGeometry(ctx context.Context, g orb.Geometry) error {
	var valid bool
	var reason string
	err := tx.tx.QueryRowContext(ctx, `
		SELECT ST_IsValid(g), ST_IsValidReason(g) FROM ST_GeomFromWKB($1, 4326) AS g`, wkb.Value(g)).Scan(&valid, &reason)
	if err != nil {
		return wrapErr(err, "check geometry")
	}
	if !valid {
		return eventmap.Unprocessable("geometry", "is not valid in PostGIS: "+reason)
	}
	return nil
}

// LockedFeature returns the event as served now, for a merge patch, and
// locks its row until the transaction ends so the patch is applied to what
// was read. Restricted events are found only when includeRestricted is set.
func (tx *Tx) LockedFeature(ctx context.Context, id string, includeRestricted bool) (feature []byte, version int64, err error) {
	if !IsEventID(id) {
		return nil, 0, eventmap.Errorf(eventmap.ENOTFOUND, "no event with id %q", id)
	}
	var q query
	EventFilter{IncludeRestricted: includeRestricted}.apply(&q)
	q.and("e.id = " + q.arg(id))
	err = tx.tx.QueryRowContext(ctx, `
		SELECT `+servedFeatureSQL(geometryCRS84)+`, e.version FROM events e
		WHERE `+q.whereSQL()+` FOR UPDATE`, q.args...).Scan(&feature, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, eventmap.Errorf(eventmap.ENOTFOUND, "no event with id %q", id)
	}
	if err != nil {
		return nil, 0, wrapErr(err, "read event")
	}
	return feature, version, nil
}

// setLinks sets the event's actors and sources, replacing any it had.
// Actors are shared by name and sources by URL across events.
func (tx *Tx) setLinks(ctx context.Context, id string, ev *eventmap.Event, replace bool) error {
	if replace {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM event_actors WHERE event_id = $1`, id); err != nil {
			return wrapErr(err, "clear event actors")
		}
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM event_sources WHERE event_id = $1`, id); err != nil {
			return wrapErr(err, "clear event sources")
		}
	}
	for i, a := range ev.Actors {
		_, err := tx.tx.ExecContext(ctx, `
			WITH actor AS (
				INSERT INTO actors (name) VALUES ($2)
				ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
				RETURNING id)
			INSERT INTO event_actors (event_id, actor_id, role, position)
			SELECT $1, actor.id, $3, $4 FROM actor
			ON CONFLICT DO NOTHING`, id, a.Name, a.Role, i)
		if err != nil {
			return wrapErr(err, "link actor")
		}
	}
	for i, s := range ev.Sources {
		var published sql.NullTime
		if s.PublishedAt != nil {
			published = nullTime(*s.PublishedAt)
		}
		_, err := tx.tx.ExecContext(ctx, `
			WITH source AS (
				INSERT INTO sources (url, publisher, title, published_at) VALUES ($2, $3, $4, $5)
				ON CONFLICT (url) DO UPDATE SET
					publisher = COALESCE(NULLIF(EXCLUDED.publisher, ''), sources.publisher),
					title = COALESCE(NULLIF(EXCLUDED.title, ''), sources.title),
					published_at = COALESCE(EXCLUDED.published_at, sources.published_at)
				RETURNING id)
			INSERT INTO event_sources (event_id, source_id, excerpt, position)
			SELECT $1, source.id, $6, $7 FROM source
			ON CONFLICT DO NOTHING`, id, s.URL, s.Publisher, s.Title, published, s.Excerpt, i)
		if err != nil {
			return wrapErr(err, "link source")
		}
	}
	return nil
}

// appendRevision snapshots the event as served now, after the write,
// stores that Feature as the one reads serve (events.feature), and
// returns it as reads serve it (json keeps the key order that
// the jsonb snapshot would lose), so the write's response needs no second
// read.
func (tx *Tx) appendRevision(ctx context.Context, id, action string, rev eventmap.Revision) ([]byte, error) {
	var feature []byte
	err := tx.tx.QueryRowContext(ctx, `
		WITH f AS (SELECT e.id, e.version, `+featureSQLIn(geometryCRS84)+` AS feature FROM events e WHERE e.id = $1),
		served AS (UPDATE events e SET feature = f.feature::text FROM f WHERE e.id = f.id),
		ins AS (
			INSERT INTO event_revisions (event_id, version, snapshot, editor, reason, recorded_at, action)
			SELECT f.id, f.version, f.feature::jsonb, $2, $3, COALESCE($4, now()), $5 FROM f)
		SELECT feature::text FROM f`,
		id, rev.Editor, rev.Reason, nullTime(rev.RecordedAt), action).Scan(&feature)
	if err != nil {
		return nil, wrapErr(err, "append revision")
	}
	return feature, nil
}

// extraJSON is the properties column for ev.Extra: always an object.
func extraJSON(m map[string]string) []byte {
	if len(m) == 0 {
		return []byte("{}")
	}
	b, _ := json.Marshal(m)
	return b
}

// externalIDTaken turns the unique violation of events.external_id into
// the client's conflict: another event already carries that id.
func externalIDTaken(err error, externalID string) error {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Constraint == "events_external_id_key" {
		e := eventmap.Errorf(eventmap.ECONFLICT, "another event already has external_id %q", externalID)
		e.Errors = []eventmap.FieldError{{Field: "properties.external_id", Rule: "must be unique: another event has it"}}
		return e
	}
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

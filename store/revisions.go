package store

import (
	"context"
	"database/sql"
	"errors"

	"eventmap"
)

// eventVisible tells whether the caller may know event id exists at all:
// anyone for public events (deleted ones too: their history stays
// readable), token holders for restricted ones.
func (db *DB) eventVisible(ctx context.Context, id string, includeRestricted bool) error {
	var n int
	err := db.db.QueryRowContext(ctx, `
		SELECT 1 FROM events WHERE id = $1 AND ($2 OR visibility = 'public')`, id, includeRestricted).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return eventmap.Errorf(eventmap.ENOTFOUND, "no event with id %q", id)
	}
	return wrapErr(err, "find event")
}

// ListRevisions streams the history of an event, oldest first, as JSON
// objects {version, action, recorded_at, reason, editor, feature}. Callers
// who cannot see restricted events get neither restricted events nor the
// revisions of public ones that were restricted at the time, nor editor
// names (who monitors what can be sensitive).
func (db *DB) ListRevisions(ctx context.Context, id string, includeRestricted bool, emit func(revision []byte) error) error {
	if !IsEventID(id) {
		return eventmap.Errorf(eventmap.ENOTFOUND, "no event with id %q", id)
	}
	if err := db.eventVisible(ctx, id, includeRestricted); err != nil {
		return err
	}
	rows, err := db.db.QueryContext(ctx, `
		SELECT json_build_object(
			'version', r.version,
			'action', r.action,
			'recorded_at', r.recorded_at,
			'reason', r.reason,
			'editor', CASE WHEN $2 THEN r.editor END,
			'feature', r.snapshot)::text
		FROM event_revisions r
		WHERE r.event_id = $1 AND ($2 OR r.snapshot->'properties'->>'visibility' = 'public')
		ORDER BY r.version`, id, includeRestricted)
	if err != nil {
		return wrapErr(err, "list revisions")
	}
	defer rows.Close()
	for rows.Next() {
		var rev sql.RawBytes
		if err := rows.Scan(&rev); err != nil {
			return wrapErr(err, "scan revision")
		}
		if err := emit(rev); err != nil {
			return err
		}
	}
	return wrapErr(rows.Err(), "list revisions")
}

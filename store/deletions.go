package store

import (
	"context"
	"time"
)

// The deletions feed: what mirrors that copy events with
// items?updated_since= need to drop, since a soft-deleted event no longer
// appears among the items.

// Deletion is one soft-deleted event, for mirrors to drop.
type Deletion struct {
	ID         string    `json:"id"`
	ExternalID *string   `json:"external_id"`
	DeletedAt  time.Time `json:"deleted_at"`
}

// DeletionsAfter is the keyset position of a deletions page: the last
// deletion of the previous page.
type DeletionsAfter struct {
	DeletedAt time.Time
	ID        string
}

// ListDeletions returns up to limit events deleted at or after since,
// oldest deletion first, after the position after (zero: from since).
// Restricted events appear only for callers who may see them, so a
// deletion does not reveal that a hidden event existed. more says whether
// another page follows.
func (db *DB) ListDeletions(ctx context.Context, since time.Time, after DeletionsAfter, limit int, includeRestricted bool) (out []Deletion, more bool, err error) {
	var q query
	q.and("e.deleted_at IS NOT NULL")
	if !includeRestricted {
		q.and("e.visibility = 'public'")
	}
	if !since.IsZero() {
		q.and("e.deleted_at >= " + q.arg(since))
	}
	if after.ID != "" {
		q.and("(e.deleted_at, e.id) > (" + q.arg(after.DeletedAt) + ", " + q.arg(after.ID) + "::uuid)")
	}
	rows, err := db.db.QueryContext(ctx, `
		SELECT e.id, e.external_id, e.deleted_at FROM events e
		WHERE `+q.whereSQL()+`
		ORDER BY e.deleted_at, e.id
		LIMIT `+q.arg(limit+1), q.args...)
	if err != nil {
		return nil, false, wrapErr(err, "list deletions")
	}
	defer rows.Close()
	for rows.Next() {
		var d Deletion
		if err := rows.Scan(&d.ID, &d.ExternalID, &d.DeletedAt); err != nil {
			return nil, false, wrapErr(err, "scan deletion")
		}
		d.DeletedAt = d.DeletedAt.UTC()
		if len(out) == limit {
			more = true
			break
		}
		out = append(out, d)
	}
	return out, more, wrapErr(rows.Err(), "list deletions")
}

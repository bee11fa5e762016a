package store

import (
	"context"
)

// EventType is one row of the event_types lookup table: the code stored
// on events and the label people read.
type EventType struct {
	Code, Label, Description string
}

// EventTypes lists the event types, in code order. The HTML pages label
// types from here, so a type added to the table is named without a code
// change.
func (db *DB) EventTypes(ctx context.Context) ([]EventType, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT code, label, description FROM event_types ORDER BY code`)
	if err != nil {
		return nil, wrapErr(err, "list event types")
	}
	defer rows.Close()
	var out []EventType
	for rows.Next() {
		var t EventType
		if err := rows.Scan(&t.Code, &t.Label, &t.Description); err != nil {
			return nil, wrapErr(err, "scan event type")
		}
		out = append(out, t)
	}
	return out, wrapErr(rows.Err(), "list event types")
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// MaxOffset bounds the offset items accept. Reaching the row at an offset
// reads every row before it (their sort keys and ids, from an index, not
// their documents), so the cost grows with the offset; past this a client
// follows the next links, which cost the same on every page.
const MaxOffset = 10000

// offsetCursor is the keyset cursor of the event at position offset-1 in
// sort order among those f selects: the page at offset starts after it.
// It is nil when fewer events match. Only the sort keys and ids of the
// skipped rows are read.
func offsetCursor(ctx context.Context, qr queryer, f EventFilter, offset int, sort Sort) (*Cursor, error) {
	var q query
	f.apply(&q)
	keys := make([]string, len(sort))
	for i, k := range sort {
		keys[i] = sortKeys[k.Name].col
	}
	row := qr.QueryRowContext(ctx, `
		SELECT `+strings.Join(keys, ", ")+`, e.id
		FROM `+f.from(&q)+`
		WHERE `+q.whereSQL()+`
		ORDER BY `+orderBySQL(orderTerms(sort, false))+`
		OFFSET `+q.arg(offset-1)+` LIMIT 1`, q.args...)
	vals := make([]any, len(sort))
	dest := make([]any, 0, len(sort)+1)
	for i, k := range sort {
		vals[i] = scanTarget(sortKeys[k.Name].kind)
		dest = append(dest, vals[i])
	}
	var id string
	err := row.Scan(append(dest, &id)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapErr(err, "find the event at an offset")
	}
	return &Cursor{sort: sort.String(), values: scannedValues(vals), id: id}, nil
}

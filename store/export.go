package store

import (
	"context"
	"database/sql"
	"strconv"
	"time"
)

// ExportInfo describes the snapshot an export reads.
type ExportInfo struct {
	// DatasetVersion is the highest revision id: every accepted write
	// adds one, so equal versions mean equal data.
	DatasetVersion int64
	ExportedAt     time.Time
	// Events is how many events the export holds (counted only when asked).
	Events int64
}

// exportBatch is how many Features one FETCH brings: enough to keep the
// round trips negligible, few enough that memory stays flat. The FETCH
// asks for it and the loop ends on a batch short of it, so the two cannot
// disagree (a FETCH of fewer rows than the loop expects would end every
// export after its first batch). A variable only so tests can make it
// small.
var exportBatch = 1000

// ExportEvents streams every event f selects, newest first, as GeoJSON
// Feature bytes built by PostGIS. It reads one read-only snapshot through
// a server-side cursor, FETCHing a batch at a time, so memory stays flat
// however many events there are and no single statement runs long enough
// to meet statement_timeout. start is called once, before the first
// Feature, with the snapshot's version (and count, when count is set).
func (db *DB) ExportEvents(ctx context.Context, f EventFilter, count bool, start func(ExportInfo) error, emit func(feature []byte) error) error {
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return wrapErr(err, "begin export")
	}
	defer tx.Rollback()
	if f.Region != "" {
		if err := checkRegion(ctx, tx, f.Region); err != nil {
			return err
		}
	}
	var info ExportInfo
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0), now() FROM event_revisions`).Scan(&info.DatasetVersion, &info.ExportedAt); err != nil {
		return wrapErr(err, "read dataset version")
	}
	info.ExportedAt = info.ExportedAt.UTC()
	var q query
	f.apply(&q)
	if count {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+f.from(&q)+` WHERE `+q.whereSQL(), q.args...).Scan(&info.Events); err != nil {
			return wrapErr(err, "count export")
		}
	}
	// DECLARE takes no $n parameters through the extended protocol, so the
	// cursor is declared over a prepared statement's text with its
	// arguments bound by the driver in the same call.
	if _, err := tx.ExecContext(ctx, `DECLARE export_events NO SCROLL CURSOR FOR
		SELECT `+f.feature(geometryCRS84)+`::text FROM `+f.from(&q)+`
		WHERE `+q.whereSQL()+`
		ORDER BY e.occurred_at DESC, e.id DESC`, q.args...); err != nil {
		return wrapErr(err, "declare export cursor")
	}
	if err := start(info); err != nil {
		return err
	}
	batch := exportBatch
	for {
		rows, err := tx.QueryContext(ctx, fetchSQL(batch))
		if err != nil {
			return wrapErr(err, "fetch export")
		}
		n := 0
		for rows.Next() {
			var feature sql.RawBytes
			if err := rows.Scan(&feature); err != nil {
				rows.Close()
				return wrapErr(err, "scan export")
			}
			n++
			if err := emit(feature); err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return wrapErr(err, "fetch export")
		}
		rows.Close()
		if n < batch {
			return nil
		}
	}
}

// fetchSQL FETCHes n rows of the export cursor. FETCH takes its count as a
// literal, not as a $n parameter; an int formats as digits only.
func fetchSQL(n int) string { return `FETCH ` + strconv.Itoa(n) + ` FROM export_events` }

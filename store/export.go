package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
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

// ExportOptions says what an export's chunks hold.
type ExportOptions struct {
	// Count counts the selection before the first chunk (ExportInfo.Events).
	Count bool
	// CSV asks for the rows as CSV lines of exchange.Columns, built in SQL
	// (exportcsv.go); else the rows are the served Features, joined by Sep.
	CSV bool
	Sep string
	// Batch is how many rows a chunk holds at most; 0 for exportBatch.
	Batch int
}

// ExportChunk is one batch of rows, in export order.
type ExportChunk struct {
	Rows int
	// Text is the rows, in the form ExportOptions asked for. It is only
	// valid until the emit function returns.
	Text []byte
	// Holes are, for CSV, the rows SQL did not write (see exportcsv.go):
	// each is to be written from its Feature where it says, a byte
	// offset into Text. In order.
	Holes []ExportHole
}

// ExportHole is a CSV row left for Go to write from its Feature.
type ExportHole struct {
	Offset  int
	Feature []byte
}

// exportBatch is how many rows one statement of an export brings, joined
// into one text value: enough that Go writes large chunks and the round
// trips are negligible, few enough that memory stays flat (a chunk of
// Features is a few MB). A variable only so tests can make it small.
var exportBatch = 5000

// exportChunkBytes is about how large a chunk of joined Features grows
// before it is handed on: large writes, flat memory.
const exportChunkBytes = 1 << 20

// ExportEvents streams every event f selects, newest first, as chunks of
// rows that PostgreSQL joined (ExportChunk): the stored Features, or CSV
// lines. It reads one read-only REPEATABLE READ snapshot, a batch per
// statement in keyset order on (occurred_at, id), so memory stays flat
// however many events there are and no single statement runs long
// enough to meet statement_timeout. start is called once, before the
// first chunk, with the snapshot's version (and count, when asked).
//
// An "as of" selection is rebuilt from revisions by a subquery that a
// keyset batch would run again per batch; it is read through one cursor
// instead, a row at a time.
func (db *DB) ExportEvents(ctx context.Context, f EventFilter, o ExportOptions, start func(ExportInfo) error, emit func(ExportChunk) error) error {
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return wrapErr(err, "begin export")
	}
	defer tx.Rollback()
	// Each batch is a small plan; compiling it would cost more than
	// running it.
	// A batch (a few MB of Features or CSV lines) must not spill to disk.
	if _, err := tx.ExecContext(ctx, `SET LOCAL jit = off; SET LOCAL work_mem = '32MB'`); err != nil {
		return wrapErr(err, "begin export")
	}
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
	if o.Count {
		// From the map aggregates when they can answer f (in this
		// snapshot, so exact): counting the events was an eighth of a
		// whole export's time.
		n, ok, err := db.countFromAggregates(ctx, tx, f)
		if err != nil {
			return err
		}
		if !ok {
			var q query
			f.apply(&q)
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+f.from(&q)+` WHERE `+q.whereSQL(), q.args...).Scan(&n); err != nil {
				return wrapErr(err, "count export")
			}
		}
		info.Events = n
	}
	if !f.AsOf.IsZero() {
		return exportCursor(ctx, tx, f, o, info, start, emit)
	}
	var csv *csvSQL
	if o.CSV {
		if csv, err = db.csvSQL(ctx); err != nil {
			return err
		}
	}
	if err := start(info); err != nil {
		return err
	}
	size := exportBatch
	if o.Batch > 0 {
		size = o.Batch
	}
	var (
		// The last key, as PostgreSQL wrote it: parsed by it again.
		afterAt string
		afterID string
		holes   []ExportHole
		joined  []byte
	)
	for first := true; ; first = false {
		var q query
		f.apply(&q)
		if !first {
			q.and(`(e.occurred_at, e.id) < (` + q.arg(afterAt) + `::timestamptz, ` + q.arg(afterID) + `::uuid)`)
		}
		// The batch selects only the columns it writes: a SELECT * would
		// form every whole row, three times the cost of the Features.
		from, where, limit := f.from(&q), q.whereSQL(), q.arg(size)
		batch := func(cols string) string { return exportBatchSQL(cols, from, where, limit) }
		var (
			n      int
			lastAt string
			lastID string
			err    error
		)
		var stmt string
		if csv != nil {
			stmt = csv.batchSQL(&q, batch)
		} else {
			stmt = exportBatchSQL(`e.occurred_at, e.id, `+f.feature(geometryCRS84)+`::text`, from, where, limit)
		}
		rows, err := tx.QueryContext(ctx, stmt, q.args...)
		if err != nil {
			return wrapErr(err, "fetch export")
		}
		if csv != nil {
			n, lastAt, lastID, err = csvBatch(rows, &holes, emit)
		} else {
			n, lastAt, lastID, err = featureBatch(rows, o.Sep, &joined, emit)
		}
		rows.Close()
		if err != nil {
			return err
		}
		if n < size {
			return nil
		}
		afterAt, afterID = lastAt, lastID
	}
}

// featureBatch reads one batch of Features (rows of occurred_at, id and
// the Feature, in export order) and emits them joined by sep, in
// chunks of about exportChunkBytes. The rows come one per row: joining
// them in PostgreSQL (string_agg) cost eight times their reading, as
// much as all the rest of the export.
func featureBatch(rows *sql.Rows, sep string, buf *[]byte, emit func(ExportChunk) error) (n int, lastAt, lastID string, err error) {
	var (
		at, id, feature sql.RawBytes
		last            []byte
		inChunk         int
	)
	b := (*buf)[:0]
	for rows.Next() {
		if err := rows.Scan(&at, &id, &feature); err != nil {
			return 0, "", "", wrapErr(err, "scan export")
		}
		if inChunk > 0 {
			b = append(b, sep...)
		}
		b = append(b, feature...)
		n++
		inChunk++
		if len(b) >= exportChunkBytes {
			if err := emit(ExportChunk{Rows: inChunk, Text: b}); err != nil {
				return 0, "", "", err
			}
			b, inChunk = b[:0], 0
		}
		last = append(append(append(last[:0], at...), 0), id...)
	}
	if err := rows.Err(); err != nil {
		return 0, "", "", wrapErr(err, "fetch export")
	}
	*buf = b
	if inChunk > 0 {
		if err := emit(ExportChunk{Rows: inChunk, Text: b}); err != nil {
			return 0, "", "", err
		}
	}
	if n > 0 {
		at, id, _ := bytes.Cut(last, []byte{0})
		lastAt, lastID = string(at), string(id)
	}
	return n, lastAt, lastID, nil
}

// csvBatch reads one batch of CSV lines (csvSQL.batchSQL: one row of
// count, last key, lines and holes) and emits it.
func csvBatch(rows *sql.Rows, holes *[]ExportHole, emit func(ExportChunk) error) (n int, lastAt, lastID string, err error) {
	var (
		at       sql.NullString
		id       sql.NullString
		text     sql.RawBytes
		holeJSON sql.RawBytes
	)
	if rows.Next() {
		if err := rows.Scan(&n, &at, &id, &text, &holeJSON); err != nil {
			return 0, "", "", wrapErr(err, "scan export")
		}
	}
	if err := rows.Err(); err != nil {
		return 0, "", "", wrapErr(err, "fetch export")
	}
	if n == 0 {
		return 0, "", "", nil
	}
	hs := (*holes)[:0]
	if len(holeJSON) > 0 {
		var raw [][2]json.RawMessage
		if err := json.Unmarshal(holeJSON, &raw); err != nil {
			return 0, "", "", wrapErr(err, "scan export")
		}
		for _, h := range raw {
			off, err := strconv.Atoi(string(h[0]))
			if err != nil {
				return 0, "", "", wrapErr(err, "scan export")
			}
			hs = append(hs, ExportHole{Offset: off, Feature: h[1]})
		}
	}
	*holes = hs
	if err := emit(ExportChunk{Rows: n, Text: text, Holes: hs}); err != nil {
		return 0, "", "", err
	}
	return n, at.String, id.String, nil
}

// exportBatchSQL selects cols of one batch: the rows of from (events e)
// that where selects, in export order, at most limit (a placeholder).
func exportBatchSQL(cols, from, where, limit string) string {
	return `SELECT ` + cols + ` FROM ` + from + ` WHERE ` + where + `
		ORDER BY e.occurred_at DESC, e.id DESC LIMIT ` + limit
}

// exportCursor is ExportEvents for an "as of" selection: one cursor,
// FETCHed a batch at a time, each row a chunk of its own (a CSV row is a
// hole: Go writes it from the Feature).
func exportCursor(ctx context.Context, tx *sql.Tx, f EventFilter, o ExportOptions, info ExportInfo, start func(ExportInfo) error, emit func(ExportChunk) error) error {
	var q query
	f.apply(&q)
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
	if o.Batch > 0 {
		batch = o.Batch
	}
	hole := make([]ExportHole, 1)
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
			c := ExportChunk{Rows: 1, Text: feature}
			if o.CSV {
				hole[0] = ExportHole{Feature: feature}
				c.Text, c.Holes = nil, hole
			}
			if err := emit(c); err != nil {
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

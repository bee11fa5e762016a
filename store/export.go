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

// ExportOptions says what an export's chunks hold.
type ExportOptions struct {
	// Count counts the selection before the first chunk (ExportInfo.Events).
	Count bool
	// CSV asks for the rows as CSV lines of exchange.Columns, as kept with
	// each event (exportcsv.go); else the rows are the served Features,
	// joined by Sep.
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
	// Holes are, for CSV, the rows without a stored line (see
	// exportcsv.go): each is to be written from its Feature where it
	// says, a byte offset into Text. In order.
	Holes []ExportHole
}

// ExportHole is a CSV row left for Go to write from its Feature.
type ExportHole struct {
	Offset  int
	Feature []byte
}

// exportBatch is how many rows one FETCH of an export brings: enough
// that the round trips are negligible, few enough that memory stays flat
// (the driver holds one row at a time; a chunk is about exportChunkBytes).
// A variable only so tests can make it small.
var exportBatch = 5000

// exportChunkBytes is about how large a chunk of joined Features grows
// before it is handed on: large writes, flat memory. A variable only so
// tests can make it small.
var exportChunkBytes = 1 << 20

// ExportEvents streams every event f selects, newest first, as chunks of
// rows (ExportChunk): the stored Features, or the stored CSV lines. It
// reads one read-only REPEATABLE READ snapshot, a batch per statement in
// keyset order on (occurred_at, id), so memory stays flat however many
// events there are and no single statement runs long enough to meet
// statement_timeout. start is called once, before the first chunk, with
// the snapshot's version (and count, when asked).
//
// Not one cursor FETCHed a batch at a time: at 1 M events that took 21 s
// where the keyset batches took 12.5 (I did not find why).
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
	// Each row is its text (a Feature, or a stored CSV line) or, for a CSV
	// row without a line, the Feature Go writes it from. An "as of" row is
	// rebuilt from revisions: a CSV row of one is always written by Go.
	text, hole := f.feature(geometryCRS84)+`::text`, `NULL::text`
	sep := o.Sep
	if o.CSV {
		sep = ""
		text, hole = `e.csv_line`, `CASE WHEN e.csv_line IS NULL THEN `+servedFeatureSQL(geometryCRS84)+` END`
	}
	size := exportBatch
	if o.Batch > 0 {
		size = o.Batch
	}
	c := exportChunker{sep: sep, emit: emit}
	if !f.AsOf.IsZero() {
		return exportCursor(ctx, tx, f, o.CSV, size, &c, func() error { return start(info) })
	}
	if err := start(info); err != nil {
		return err
	}
	// The last key, as PostgreSQL wrote it: parsed by it again. As text:
	// the driver would parse a timestamptz into a time.Time for every row.
	var afterAt, afterID string
	for first := true; ; first = false {
		var q query
		f.apply(&q)
		if !first {
			q.and(`(e.occurred_at, e.id) < (` + q.arg(afterAt) + `::timestamptz, ` + q.arg(afterID) + `::uuid)`)
		}
		// The batch selects only the columns it writes: a SELECT * would
		// form every whole row, three times the cost of the Features.
		n, err := c.batch(tx.QueryContext(ctx, exportBatchSQL(text+`, `+hole+`, e.occurred_at::text, e.id`, f.from(&q), q.whereSQL(), q.arg(size)), q.args...))
		if err != nil {
			return err
		}
		if n < size {
			return nil
		}
		afterAt, afterID = c.lastAt, c.lastID
	}
}

// exportBatchSQL selects cols of one batch: the rows of from (events e)
// that where selects, in export order, at most limit (a placeholder).
func exportBatchSQL(cols, from, where, limit string) string {
	return `SELECT ` + cols + ` FROM ` + from + ` WHERE ` + where + `
		ORDER BY e.occurred_at DESC, e.id DESC LIMIT ` + limit
}

// exportCursor is ExportEvents for an "as of" selection, rebuilt from
// revisions by a subquery that a keyset batch would run again per batch:
// one cursor, FETCHed a batch at a time. A CSV row of a past event has
// no stored line: Go writes each from its Feature.
func exportCursor(ctx context.Context, tx *sql.Tx, f EventFilter, csv bool, size int, c *exportChunker, start func() error) error {
	var q query
	f.apply(&q)
	cols := f.feature(geometryCRS84) + `::text, NULL::text`
	if csv {
		cols = `NULL::text, ` + f.feature(geometryCRS84) + `::text`
	}
	// DECLARE takes no $n parameters through the extended protocol, so the
	// cursor is declared over a prepared statement's text with its
	// arguments bound by the driver in the same call.
	if _, err := tx.ExecContext(ctx, `DECLARE export_events NO SCROLL CURSOR FOR
		SELECT `+cols+` FROM `+f.from(&q)+`
		WHERE `+q.whereSQL()+`
		ORDER BY e.occurred_at DESC, e.id DESC`, q.args...); err != nil {
		return wrapErr(err, "declare export cursor")
	}
	if err := start(); err != nil {
		return err
	}
	for {
		n, err := c.batch(tx.QueryContext(ctx, fetchSQL(size)))
		if err != nil {
			return err
		}
		if n < size {
			return nil
		}
	}
}

// exportChunker joins the rows of export batches into chunks of about
// exportChunkBytes, reusing its buffers from one batch to the next.
type exportChunker struct {
	// sep joins the rows' texts; emit is handed each chunk.
	sep  string
	emit func(ExportChunk) error
	// The key of the last row read, for a keyset batch.
	lastAt, lastID string
	atBuf, idBuf   []byte

	text  []byte
	holes []ExportHole
	// hole holds the holes' Features: the driver's row buffers are reused
	// by the next row.
	hole []byte
}

// batch reads one batch, the result of a query (rows of text and hole
// Feature, in export order, and for a keyset batch occurred_at and id),
// emits its rows, the texts joined by sep, and closes it. The rows come one
// per row: joining them in PostgreSQL (string_agg) cost eight times
// their reading, as much as all the rest of the export.
func (c *exportChunker) batch(rows *sql.Rows, err error) (n int, _ error) {
	if err != nil {
		return 0, wrapErr(err, "fetch export")
	}
	defer rows.Close()
	var (
		text, feature, at, id sql.RawBytes
		inChunk               int
	)
	dest := []any{&text, &feature}
	if cols, _ := rows.Columns(); len(cols) == 4 {
		dest = append(dest, &at, &id)
	}
	b, holes, hole := c.text[:0], c.holes[:0], c.hole[:0]
	flush := func() error {
		if inChunk == 0 {
			return nil
		}
		// Each hole's Feature was copied to the end of hole, which later
		// appends may have moved: only its length was kept, and the
		// slices are made here.
		for i, at := 0, 0; i < len(holes); i++ {
			l := len(holes[i].Feature)
			holes[i].Feature = hole[at : at+l : at+l]
			at += l
		}
		err := c.emit(ExportChunk{Rows: inChunk, Text: b, Holes: holes})
		b, holes, hole, inChunk = b[:0], holes[:0], hole[:0], 0
		return err
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return 0, wrapErr(err, "scan export")
		}
		if text == nil {
			holes = append(holes, ExportHole{Offset: len(b), Feature: feature[:len(feature):len(feature)]})
			hole = append(hole, feature...)
		} else {
			if inChunk > 0 {
				b = append(b, c.sep...)
			}
			b = append(b, text...)
		}
		n++
		inChunk++
		if len(b)+len(hole) >= exportChunkBytes {
			if err := flush(); err != nil {
				return 0, err
			}
		}
		// The driver's bytes are its own again at the next Next.
		c.atBuf, c.idBuf = append(c.atBuf[:0], at...), append(c.idBuf[:0], id...)
	}
	if err := rows.Err(); err != nil {
		return 0, wrapErr(err, "fetch export")
	}
	if err := flush(); err != nil {
		return 0, err
	}
	c.text, c.holes, c.hole = b, holes, hole
	if n > 0 && at != nil {
		c.lastAt, c.lastID = string(c.atBuf), string(c.idBuf)
	}
	return n, nil
}

// fetchSQL FETCHes n rows of the export cursor. FETCH takes its count as a
// literal, not as a $n parameter; an int formats as digits only.
func fetchSQL(n int) string { return `FETCH ` + strconv.Itoa(n) + ` FROM export_events` }

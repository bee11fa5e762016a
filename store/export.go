package store

import (
	"context"
	"database/sql"
	"regexp"
	"sync"
	"time"

	"github.com/lib/pq"

	"eventmap"
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

// exportChunk is how many Features one chunk of an export holds: each is
// read by one statement and held whole until its turn to be written, so
// it bounds the export's memory (a few MB per chunk in flight) while being
// long enough that the statements' fixed costs do not count.
const exportChunk = 4000

// exportWorkers is how many connections build Features at once. Building
// them (GeoJSON, actors, sources) is the whole cost of an export, and one
// connection uses one core of the database server.
const exportWorkers = 2

// ExportEvents streams every event f selects, newest first, as GeoJSON
// Feature bytes built by PostGIS, all from one read-only snapshot, so the
// export is consistent however long it runs. The keys of every
// exportChunk-th event are read first; then exportWorkers connections,
// sharing the snapshot (pg_export_snapshot), each build the Features of
// one range of keys at a time, and the ranges are written in order. Memory
// stays flat however many events there are (at most exportWorkers+1
// chunks are held), and no single statement runs long enough to meet
// statement_timeout. start is called once, before the first Feature, with
// the snapshot's version and the number of events (always counted now: the
// bounds give it for free; count is kept for callers).
func (db *DB) ExportEvents(ctx context.Context, f EventFilter, count bool, start func(ExportInfo) error, emit func(feature []byte) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
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
	var snapshot string
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0), now(), pg_export_snapshot() FROM event_revisions`).Scan(&info.DatasetVersion, &info.ExportedAt, &snapshot); err != nil {
		return wrapErr(err, "read dataset version")
	}
	info.ExportedAt = info.ExportedAt.UTC()
	bounds, total, err := exportBounds(ctx, tx, f)
	if err != nil {
		return err
	}
	info.Events = total
	if err := start(info); err != nil {
		return err
	}
	if total == 0 {
		return nil
	}

	// Chunk i holds the events after bound i-1 down to bound i (newest
	// first); the last has no lower bound.
	type chunk struct {
		buf  []byte
		ends []int
		err  error
	}
	nChunks := len(bounds) + 1
	results := make([]chan chunk, nChunks)
	for i := range results {
		results[i] = make(chan chunk, 1)
	}
	// A worker may run at most exportWorkers chunks ahead of the writer.
	ahead := make(chan struct{}, exportWorkers+1)
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range nChunks {
			select {
			case ahead <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	// The export's own transaction holds one connection; a pool too small
	// for more reads every chunk through it.
	workers := min(exportWorkers, nChunks)
	if max := db.db.Stats().MaxOpenConnections; max > 0 {
		workers = min(workers, max-1)
	}
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := tx, error(nil)
			if workers > 0 {
				if w, err = db.exportWorker(ctx, snapshot); w != nil {
					defer w.Rollback()
				}
			}
			for i := range next {
				var c chunk
				if err != nil {
					c.err = err
				} else {
					c.buf, c.ends, c.err = exportRange(ctx, w, f, bounds, i)
				}
				results[i] <- c
			}
		}()
	}
	defer wg.Wait()
	defer cancel()
	for i := range nChunks {
		var c chunk
		select {
		case c = <-results[i]:
		case <-ctx.Done():
			return wrapErr(ctx.Err(), "export")
		}
		if c.err != nil {
			return c.err
		}
		from := 0
		for _, end := range c.ends {
			if err := emit(c.buf[from:end]); err != nil {
				return err
			}
			from = end
		}
		<-ahead
	}
	return nil
}

// exportKey is the position of one event in export order.
type exportKey struct {
	at time.Time
	id string
}

// exportBounds reads the key of every exportChunk-th event f selects, in
// export order, and how many there are, reading keys only.
func exportBounds(ctx context.Context, tx *sql.Tx, f EventFilter) ([]exportKey, int64, error) {
	var q query
	f.apply(&q)
	chunk := q.arg(exportChunk)
	rows, err := tx.QueryContext(ctx, `
		SELECT occurred_at, id, n FROM (
			SELECT e.occurred_at, e.id, row_number() OVER (ORDER BY e.occurred_at DESC, e.id DESC) AS rn,
				count(*) OVER () AS n
			FROM `+f.from(&q)+` WHERE `+q.whereSQL()+`) k
		WHERE rn % `+chunk+` = 0 OR rn = n
		ORDER BY rn`, q.args...)
	if err != nil {
		return nil, 0, wrapErr(err, "read export bounds")
	}
	defer rows.Close()
	var bounds []exportKey
	var n int64
	for rows.Next() {
		var k exportKey
		if err := rows.Scan(&k.at, &k.id, &n); err != nil {
			return nil, 0, wrapErr(err, "read export bounds")
		}
		bounds = append(bounds, k)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrapErr(err, "read export bounds")
	}
	// The last event closes the last chunk; it needs no bound after it.
	if len(bounds) > 0 {
		bounds = bounds[:len(bounds)-1]
	}
	return bounds, n, nil
}

var snapshotID = regexp.MustCompile(`^[0-9A-F]+-[0-9A-F]+(-[0-9A-F]+)?$`)

// exportWorker is a read-only transaction on its own connection that sees
// exactly the snapshot of the export's first transaction.
func (db *DB) exportWorker(ctx context.Context, snapshot string) (*sql.Tx, error) {
	if !snapshotID.MatchString(snapshot) {
		return nil, eventmap.Errorf(eventmap.EINTERNAL, "unexpected snapshot id %q", snapshot)
	}
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, wrapErr(err, "begin export worker")
	}
	// SET TRANSACTION SNAPSHOT takes no parameters; the id is PostgreSQL's
	// own, checked against its format above.
	if _, err := tx.ExecContext(ctx, `SET TRANSACTION SNAPSHOT `+pq.QuoteLiteral(snapshot)); err != nil {
		tx.Rollback()
		return nil, wrapErr(err, "share export snapshot")
	}
	return tx, nil
}

// exportRange builds the Features of chunk i into one buffer, with the
// end offset of each.
func exportRange(ctx context.Context, tx *sql.Tx, f EventFilter, bounds []exportKey, i int) ([]byte, []int, error) {
	var q query
	f.apply(&q)
	if i > 0 {
		q.and("(e.occurred_at, e.id) < (" + q.arg(bounds[i-1].at) + ", " + q.arg(bounds[i-1].id) + "::uuid)")
	}
	if i < len(bounds) {
		q.and("(e.occurred_at, e.id) >= (" + q.arg(bounds[i].at) + ", " + q.arg(bounds[i].id) + "::uuid)")
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT `+f.feature(geometryCRS84)+`::text FROM `+f.from(&q)+`
		WHERE `+q.whereSQL()+`
		ORDER BY e.occurred_at DESC, e.id DESC`, q.args...)
	if err != nil {
		return nil, nil, wrapErr(err, "export events")
	}
	defer rows.Close()
	buf := make([]byte, 0, exportChunk*1024)
	ends := make([]int, 0, exportChunk)
	for rows.Next() {
		var feature sql.RawBytes
		if err := rows.Scan(&feature); err != nil {
			return nil, nil, wrapErr(err, "scan export")
		}
		buf = append(buf, feature...)
		ends = append(ends, len(buf))
	}
	return buf, ends, wrapErr(rows.Err(), "export events")
}

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

package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"

	"eventmap/exchange"
)

// Served Features kept ready (migrations/00005_served_features.sql): each
// event's Feature, as featureSQLIn(geometryCRS84) builds it, is stored in
// events.feature by the transaction of every write and import, and reads
// stream the stored text. Building it per request cost more than the row
// itself: two correlated subqueries (actors, sources) and a JSON object of
// twenty members for every event of every page.

// servedFeatureSQL is the Feature of the events row e with its geometry
// written by geom (one of geometrySQL's expressions): in CRS84 the stored
// text itself; in another CRS the stored properties with only the
// geometry rendered again. A missing document (NULL, see the migration)
// is built on the fly, so it is slower, never wrong.
func servedFeatureSQL(geom string) string {
	stored := `COALESCE(e.feature, (` + featureSQLIn(geometryCRS84) + `)::text)`
	if geom == geometryCRS84 {
		return stored
	}
	// json_build_object writes `"properties" : ` once, as the document's
	// last member (the geometry before it is numbers only): what follows
	// it is the properties object and the Feature's closing brace.
	// TestServedFeatureInEveryCRS compares this with building it whole.
	return `('{"type" : "Feature", "id" : "' || e.id || '", "geometry" : ' || (` + geom + `)::text || ', "properties" : ' ||
		substr(` + stored + `, strpos(` + stored + `, '"properties" : ') + 15))`
}

// refillFeatures builds the documents a statement of this transaction
// marked missing: a source's publisher or title filled in by another
// event's write (the sources_changed trigger). It runs at the end of every
// write, so no transaction commits a missing document it caused.
func refillFeatures(ctx context.Context, ex interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}) error {
	_, err := ex.ExecContext(ctx, `
		UPDATE events e SET feature = (`+featureSQLIn(geometryCRS84)+`)::text
		WHERE e.feature IS NULL AND e.deleted_at IS NULL`)
	return wrapErr(err, "refill served features")
}

// featureShape identifies the SQL that builds the stored documents: a
// release that adds a property changes it, and the documents are rebuilt.
func featureShape() string { return hash(featureSQLIn(geometryCRS84)) }

// InstalledSQLShape names the SQL that migrating installs besides the
// migrations' own (the CSV lines' function, without the time zones,
// which are the server's): tests key their migrated template on it.
func InstalledSQLShape() string {
	lookups, _ := json.Marshal(exchange.Lookups())
	return hash(csvLineFunctionSQL(string(lookups), "{}"))
}

// hash names the SQL that built stored documents.
func hash(sql string) string {
	sum := sha256.Sum256([]byte(sql))
	return hex.EncodeToString(sum[:])
}

// refreshBatch is how many documents one transaction of
// RefreshServedFeatures rebuilds: short transactions, so a rebuild of a
// large table neither holds long locks nor meets statement_timeout.
const refreshBatch = 2000

// RefreshServedFeatures makes every stored document current: all of them
// when the shape changed since they were built (a new property), else
// only missing ones; and every CSV line (exportcsv.go) when the function
// that builds them changed. Migrating runs it; progress, when not nil, is told
// how many were rebuilt so far. Concurrent callers (replicas starting
// together) take turns under an advisory lock.
func (db *DB) RefreshServedFeatures(ctx context.Context, progress func(done int64)) (int64, error) {
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return 0, wrapErr(err, "connect for refresh")
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtextextended('eventmap served features', 0))`); err != nil {
		return 0, wrapErr(err, "lock served features")
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtextextended('eventmap served features', 0))`)

	var stored, storedLines sql.NullString
	err = conn.QueryRowContext(ctx, `SELECT (SELECT hash FROM served_feature_shape), (SELECT csv_hash FROM served_feature_shape)`).Scan(&stored, &storedLines)
	if err != nil {
		return 0, wrapErr(err, "read served feature shape")
	}
	shape := featureShape()
	// The CSV lines' function first: rebuilt documents get their lines.
	lookups, zones, err := csvLineInputs(ctx, conn)
	if err != nil {
		return 0, err
	}
	linesSQL := csvLineFunctionSQL(lookups, zones)
	lines := hash(linesSQL)
	if storedLines.String != lines {
		if _, err := conn.ExecContext(ctx, linesSQL); err != nil {
			return 0, wrapErr(err, "install CSV lines")
		}
	}
	var done int64
	// batch runs one statement in a transaction of its own, without the
	// pool's statement_timeout: a maintenance job as long as the table,
	// in short transactions.
	rebuildSQL := `
		WITH b AS (SELECT id FROM events WHERE id > $1 AND deleted_at IS NULL ORDER BY id LIMIT $2),
		u AS (UPDATE events e SET feature = (` + featureSQLIn(geometryCRS84) + `)::text, csv_line = NULL FROM b WHERE e.id = b.id RETURNING e.id)
		SELECT count(*), (SELECT id::text FROM b ORDER BY id DESC LIMIT 1) FROM u`
	missingSQL := `
		WITH u AS (UPDATE events e SET feature = (` + featureSQLIn(geometryCRS84) + `)::text
			WHERE e.id IN (SELECT id FROM events WHERE feature IS NULL AND deleted_at IS NULL LIMIT $1) RETURNING e.id)
		SELECT count(*), NULL::text FROM u`
	// Clearing a line makes the trigger build it again.
	linesRebuildSQL := `
		WITH b AS (SELECT id FROM events WHERE id > $1 AND deleted_at IS NULL ORDER BY id LIMIT $2),
		u AS (UPDATE events e SET csv_line = NULL FROM b WHERE e.id = b.id RETURNING e.id)
		SELECT count(*), (SELECT id::text FROM b ORDER BY id DESC LIMIT 1) FROM u`
	const (
		missing = iota
		features
		csvLines
	)
	batch := func(what int, args ...any) (n int64, last sql.NullString, err error) {
		stmt := missingSQL
		switch what {
		case features:
			stmt = rebuildSQL
		case csvLines:
			stmt = linesRebuildSQL
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return 0, last, err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return 0, last, err
		}
		if err := tx.QueryRowContext(ctx, stmt, args...).Scan(&n, &last); err != nil {
			return 0, last, err
		}
		return n, last, tx.Commit()
	}
	// all runs stmt over every event, in id order.
	all := func(what int) error {
		after := "00000000-0000-0000-0000-000000000000"
		for {
			n, last, err := batch(what, after, refreshBatch)
			if err != nil {
				return err
			}
			done += n
			if progress != nil && n > 0 {
				progress(done)
			}
			if !last.Valid {
				return nil
			}
			after = last.String
		}
	}
	if stored.String != shape {
		if err := all(features); err != nil {
			return done, wrapErr(err, "rebuild served features")
		}
	} else if storedLines.String != lines {
		if err := all(csvLines); err != nil {
			return done, wrapErr(err, "rebuild CSV lines")
		}
	}
	// Missing ones: events written by plain SQL, or a rebuild that raced
	// a write.
	for {
		n, _, err := batch(missing, refreshBatch)
		if err != nil {
			return done, wrapErr(err, "build missing served features")
		}
		done += n
		if n > 0 && progress != nil {
			progress(done)
		}
		if n < refreshBatch {
			break
		}
	}
	if stored.String != shape {
		if _, err := conn.ExecContext(ctx, `
			INSERT INTO served_feature_shape (hash) VALUES ($1)
			ON CONFLICT (only_row) DO UPDATE SET hash = EXCLUDED.hash`, shape); err != nil {
			return done, wrapErr(err, "record served feature shape")
		}
	}
	if storedLines.String != lines {
		if _, err := conn.ExecContext(ctx, `UPDATE served_feature_shape SET csv_hash = $1`, lines); err != nil {
			return done, wrapErr(err, "record CSV lines")
		}
	}
	return done, nil
}

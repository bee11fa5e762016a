package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/paulmach/orb/encoding/ewkb"

	"eventmap"
)

// Bulk import: rows are streamed with COPY into a temporary staging table,
// checked there for what only the database can check, matched to existing
// events by id or external id, and then written with a handful of
// set-based statements (events, actors, sources, revisions), all in one
// transaction. Nothing is written row by row, which is what makes it fast.

// ImportOptions says how to import.
type ImportOptions struct {
	// Editor and Reason go into every revision the import writes; Reason
	// is usually the file name.
	Editor, Reason string
	// DryRun does every check and counts every change, then rolls back.
	DryRun bool
	// SkipInvalid imports the valid rows when some are rejected; without
	// it one rejected row means nothing is imported.
	SkipInvalid bool
	// MaxErrors is how many row errors are kept in the result (default
	// 1000); beyond it they are only counted.
	MaxErrors int
	// Exclusive is for loading a database, not for a live one: the import
	// takes the event tables for itself until it commits (readers wait),
	// and checks their foreign keys once for all rows, as it puts them
	// back, instead of once per row, which is most of a large import's
	// time. Same rules, same result.
	Exclusive bool
	// Step, if set, is told each step of the import as it finishes
	// ("copy", "check", "insert events", ..., "commit") and how long it
	// took: where an import's time goes, and its phase for progress.
	Step func(step string, took time.Duration)
}

// reject counts a rejected row and keeps its errors, up to max of them.
func reject(r *eventmap.ImportResult, max int, line int, errs ...eventmap.FieldError) {
	r.Rejected++
	for _, e := range errs {
		if len(r.Errors) < max {
			r.Errors = append(r.Errors, eventmap.RowError{Line: line, Field: e.Field, Rule: e.Rule})
		} else {
			r.ErrorsOmitted++
		}
	}
}

// stagingColumns are the columns of the import's staging table that COPY
// fills: the line, id and geometry, the property columns, and the links.
var stagingColumns = func() []string {
	cols := []string{"line", "id", "geom"}
	for _, p := range writtenProperties {
		cols = append(cols, p.Column)
	}
	return append(cols, "actors", "sources")
}()

// stagingTableSQL creates the staging table: stagingColumns with their
// types, plus the matched event id and what the import does with the row.
func stagingTableSQL() string {
	cols := []string{"line int NOT NULL", "id uuid", "geom geometry(Geometry, 4326)"}
	for _, p := range writtenProperties {
		cols = append(cols, p.Column+" "+p.Kind.SQLType())
	}
	cols = append(cols, "actors jsonb", "sources jsonb", "eid uuid", "action text")
	return `CREATE TEMP TABLE import_rows (` + strings.Join(cols, ", ") + `) ON COMMIT DROP`
}

// Import reads rows from next until io.EOF and imports them. A file-level
// error from next (broken quoting, a wrong header) aborts the import with
// nothing written. With rejected rows and no SkipInvalid, the result
// lists them and the error is EUNPROCESSABLE: nothing was written either.
func (db *DB) Import(ctx context.Context, next func() (eventmap.Row, error), o ImportOptions) (eventmap.ImportResult, error) {
	if o.MaxErrors <= 0 {
		o.MaxErrors = 1000
	}
	var res eventmap.ImportResult
	started := time.Now()
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return res, wrapErr(err, "connect for import")
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return res, wrapErr(err, "begin import")
	}
	defer tx.Rollback()
	// The staging table lives in the session's temp buffers (8 MB by
	// default): too small, and every set-based step below reads it back
	// from disk. The setting only takes before a session's first temp
	// table, and fails after it (a session that already imported keeps
	// what it got then): hence the savepoint. SET LOCAL, not SET, because
	// behind a transaction-pooling PgBouncer a session setting would
	// stay with the server connection for its next clients.
	if _, err := tx.ExecContext(ctx, `SAVEPOINT temp_buffers; SET LOCAL temp_buffers = '256MB'; RELEASE SAVEPOINT temp_buffers`); err != nil {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT temp_buffers`); err != nil {
			return res, wrapErr(err, "begin import")
		}
	}
	// One import at a time: two files naming the same external ids would
	// otherwise both try to create the event.
	for _, stmt := range []string{
		`SELECT pg_advisory_xact_lock(hashtextextended('eventmap import', 0))`,
		// An import is as long as its file; its size is capped instead.
		`SET LOCAL statement_timeout = 0`,
		// The aggregates' triggers sort eight rows per event for each of
		// their tables: with the default 4 MB every sort of 10 k events
		// went to disk.
		`SET LOCAL work_mem = '128MB'`,
		stagingTableSQL(),
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return res, wrapErr(err, "prepare import")
		}
	}
	copyIn, err := tx.PrepareContext(ctx, pq.CopyIn("import_rows", stagingColumns...))
	if err != nil {
		return res, wrapErr(err, "start copy")
	}
	for {
		row, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			copyIn.Close()
			return res, err
		}
		res.Rows++
		if len(row.Errors) > 0 || row.Event == nil {
			reject(&res, o.MaxErrors, row.Line, row.Errors...)
			continue
		}
		if _, err := copyIn.ExecContext(ctx, stagingValues(row)...); err != nil {
			copyIn.Close()
			return res, wrapErr(err, "copy rows")
		}
	}
	if _, err := copyIn.ExecContext(ctx); err != nil {
		copyIn.Close()
		return res, wrapErr(err, "copy rows")
	}
	if err := copyIn.Close(); err != nil {
		return res, wrapErr(err, "copy rows")
	}
	o.step("copy", started)
	t0 := time.Now()
	if err := checkStaged(ctx, tx, &res, o); err != nil {
		return res, err
	}
	o.step("check", t0)
	if res.Rejected > 0 && !o.SkipInvalid {
		return res, rejectedError(res)
	}
	if err := writeStaged(ctx, tx, &res, o); err != nil {
		return res, err
	}
	if o.DryRun {
		return res, nil
	}
	t0 = time.Now()
	if err := tx.Commit(); err != nil {
		return res, wrapErr(err, "commit import")
	}
	o.step("commit", t0)
	res.Committed = true
	return res, nil
}

// rejectedError is the all-or-nothing refusal, naming the first rows.
func rejectedError(res eventmap.ImportResult) error {
	e := eventmap.Errorf(eventmap.EUNPROCESSABLE, "%d of %d row(s) break rules, so nothing was imported (fix them, or import the rest with skip-invalid)", res.Rejected, res.Rows)
	for _, re := range res.Errors {
		if len(e.Errors) == 100 {
			break
		}
		e.Errors = append(e.Errors, eventmap.FieldError{Field: fmt.Sprintf("line %d: %s", re.Line, re.Field), Rule: re.Rule})
	}
	return e
}

func stagingValues(row eventmap.Row) []any {
	ev := row.Event
	var id any
	if ev.ID != "" {
		id = ev.ID
	}
	// Duplicates would collide on the link tables' keys; the first wins.
	type actor struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}
	actors := []actor{}
	for _, a := range ev.Actors {
		if x := (actor{a.Name, a.Role}); !slices.Contains(actors, x) {
			actors = append(actors, x)
		}
	}
	sources := []eventmap.EventSource{}
	seen := map[string]bool{}
	for _, s := range ev.Sources {
		if !seen[s.URL] {
			seen[s.URL] = true
			sources = append(sources, s)
		}
	}
	aj, _ := json.Marshal(actors)
	sj, _ := json.Marshal(sources)
	// Hex EWKB is PostGIS's text form of a geometry: COPY stores it as is,
	// with its SRID, without a second pass over the staged rows.
	geom, _ := ewkb.MarshalToHex(ev.Geometry, 4326)
	vals := []any{row.Line, id, geom}
	vals = append(vals, writtenValues(ev)...)
	return append(vals, string(aj), string(sj))
}

// checkStaged finds what only the database can tell: geometries PostGIS
// finds invalid, ids repeated within the file, an id and an external id
// that name two different events. Rejected rows leave the staging table.
func checkStaged(ctx context.Context, tx *sql.Tx, res *eventmap.ImportResult, o ImportOptions) error {
	if _, err := tx.ExecContext(ctx, `ANALYZE import_rows (line, id, external_id)`); err != nil {
		return wrapErr(err, "analyze staged rows")
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT line, 'geometry', 'is not valid in PostGIS: ' || ST_IsValidReason(geom)
		FROM import_rows WHERE GeometryType(geom) <> 'POINT' AND NOT ST_IsValid(geom)
		UNION ALL
		SELECT line, 'properties.external_id', 'repeats ' || external_id || ' from line ' || first
		FROM (SELECT line, external_id, min(line) OVER (PARTITION BY external_id) AS first
		      FROM import_rows WHERE external_id IS NOT NULL) d WHERE line <> first
		UNION ALL
		SELECT line, 'id', 'repeats ' || id || ' from line ' || first
		FROM (SELECT line, id, min(line) OVER (PARTITION BY id) AS first
		      FROM import_rows WHERE id IS NOT NULL) d WHERE line <> first
		UNION ALL
		SELECT r.line, 'properties.external_id', r.external_id || ' belongs to event ' || e.id || ', not to ' || r.id
		FROM import_rows r JOIN events e ON e.external_id = r.external_id
		WHERE r.id IS NOT NULL AND e.id <> r.id
		ORDER BY 1`)
	if err != nil {
		return wrapErr(err, "check staged rows")
	}
	defer rows.Close()
	var bad []int
	for rows.Next() {
		var line int
		var fe eventmap.FieldError
		if err := rows.Scan(&line, &fe.Field, &fe.Rule); err != nil {
			return wrapErr(err, "check staged rows")
		}
		if !slices.Contains(bad, line) {
			bad = append(bad, line)
			reject(res, o.MaxErrors, line, fe)
		} else {
			reject(res, o.MaxErrors, line, fe)
			res.Rejected--
		}
	}
	if err := rows.Err(); err != nil {
		return wrapErr(err, "check staged rows")
	}
	rows.Close()
	if len(bad) > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM import_rows WHERE line = ANY($1)`, pq.Array(bad)); err != nil {
			return wrapErr(err, "drop rejected rows")
		}
	}
	slices.SortFunc(res.Errors, func(a, b eventmap.RowError) int { return a.Line - b.Line })
	return nil
}

// currentActors and currentSources are, per event the import matched,
// its links as the import compares them: in order, actors by name and
// role, sources by URL and excerpt. They are read from the event's
// served Feature, which holds its links in their order: one row already
// read for the compare. Only an event whose Feature is missing (a source
// it cites changed; refillFeatures rebuilds it) is read from the link
// tables (found through events_feature_missing_idx: a matched event is
// never deleted), joined to the staged rows, not by a subquery per row: joining
// the links of every matched event made the compare of a re-import of
// 1 M events take 96 s, most of the re-import.
const currentActors = `(SELECT ea.event_id, jsonb_agg(jsonb_build_object('name', a.name, 'role', ea.role) ORDER BY ea.position) AS actors
	FROM event_actors ea JOIN actors a ON a.id = ea.actor_id
	WHERE ea.event_id IN (SELECT r.eid FROM import_rows r JOIN events m ON m.id = r.eid WHERE r.action = 'match' AND m.feature IS NULL AND m.deleted_at IS NULL)
	GROUP BY ea.event_id)`
const currentSources = `(SELECT es.event_id, jsonb_agg(jsonb_build_object('url', s.url, 'excerpt', es.excerpt) ORDER BY es.position) AS sources
	FROM event_sources es JOIN sources s ON s.id = es.source_id
	WHERE es.event_id IN (SELECT r.eid FROM import_rows r JOIN events m ON m.id = r.eid WHERE r.action = 'match' AND m.feature IS NULL AND m.deleted_at IS NULL)
	GROUP BY es.event_id)`

// storedSources is the same from the Feature of e, parsed once as fp
// (its properties). Its actors need no such step: the Feature holds
// them as the staged rows do, name and role.
const storedSources = `(SELECT COALESCE(jsonb_agg(jsonb_build_object('url', x->>'url', 'excerpt', COALESCE(x->>'excerpt', '')) ORDER BY o), '[]')
	FROM jsonb_array_elements(fp.props->'sources') WITH ORDINALITY t(x, o))`
const stagedSources = `(SELECT COALESCE(jsonb_agg(jsonb_build_object('url', x->>'url', 'excerpt', COALESCE(x->>'excerpt', '')) ORDER BY o), '[]')
	FROM jsonb_array_elements(r.sources) WITH ORDINALITY t(x, o))`

// dropForeignKeys and addForeignKeys set aside and put back, exactly as
// migrations/00001_events.sql declares them, the foreign keys an import
// writes rows under. TestExclusiveImportKeepsForeignKeysAndIndexes compares them with
// the catalogue.
const dropForeignKeys = `
	ALTER TABLE events DROP CONSTRAINT events_type_fkey;
	ALTER TABLE event_actors DROP CONSTRAINT event_actors_event_id_fkey, DROP CONSTRAINT event_actors_actor_id_fkey;
	ALTER TABLE event_sources DROP CONSTRAINT event_sources_event_id_fkey, DROP CONSTRAINT event_sources_source_id_fkey;
	ALTER TABLE event_revisions DROP CONSTRAINT event_revisions_event_id_fkey`

const addForeignKeys = `
	ALTER TABLE events ADD CONSTRAINT events_type_fkey FOREIGN KEY (type) REFERENCES event_types (code);
	ALTER TABLE event_actors
		ADD CONSTRAINT event_actors_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id) ON DELETE CASCADE,
		ADD CONSTRAINT event_actors_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES actors (id);
	ALTER TABLE event_sources
		ADD CONSTRAINT event_sources_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id) ON DELETE CASCADE,
		ADD CONSTRAINT event_sources_source_id_fkey FOREIGN KEY (source_id) REFERENCES sources (id);
	ALTER TABLE event_revisions ADD CONSTRAINT event_revisions_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id)`

// stagedAssignments sets every property column of events from the
// staged row e.
func stagedAssignments() string {
	sets := make([]string, len(writtenProperties))
	for i, p := range writtenProperties {
		sets[i] = p.Column + " = e." + p.Column
	}
	return strings.Join(sets, ", ")
}

// stagedFeatureSQL is the Feature of a staged row e (its columns named as
// the events columns, its actors as staged, its sources as the
// import_sources step resolved them into e.source_docs) as text: the same
// document featureSQLIn builds from the written event and its links, with
// each source's publisher, title and date as the sources table now has
// them. TestServedFeaturesStayCurrent holds the two equal.
func stagedFeatureSQL() string {
	return `(` + featureSQLWith(geometryCRS84,
		`COALESCE((SELECT json_agg(json_build_object('name', x->>'name', 'role', x->>'role') ORDER BY o)
			FROM jsonb_array_elements(e.actors) WITH ORDINALITY t(x, o)), '[]'::json)`,
		`COALESCE(e.source_docs, '[]'::json)`) + `)::text`
}

// stagedSourceDocs is the sources member of each staged event's Feature,
// one row per event (eid, source_docs), from import_sources: joined to
// the staged rows in one pass. A subquery per event joining sources by
// URL was planned as a scan of sources per event (the table's statistics
// predate the import's new sources): quadratic, 46 of the 53 s of an
// import of 10 k events.
const stagedSourceDocs = `(SELECT eid, json_agg(doc ORDER BY position) AS source_docs FROM import_sources GROUP BY eid)`

// dropSecondaryIndexes drops, for an exclusive import, the indexes of the
// tables it writes that enforce nothing (no primary key, no unique
// constraint), and returns their definitions to build again after the
// writes: building an index of a million rows once, by sorting, costs a
// fraction of a million inserts into it (at 1 M events the import spent
// most of its time in the twelve indexes of events).
func dropSecondaryIndexes(ctx context.Context, tx *sql.Tx) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
		return nil, wrapErr(err, "import: index memory")
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT c.relname, pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_class t ON t.oid = i.indrelid
		WHERE t.relnamespace = current_schema()::regnamespace
		  AND t.relname IN ('events', 'event_actors', 'event_sources', 'event_revisions')
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
		ORDER BY c.relname`)
	if err != nil {
		return nil, wrapErr(err, "import: list indexes")
	}
	defer rows.Close()
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, wrapErr(err, "import: list indexes")
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr(err, "import: list indexes")
	}
	rows.Close()
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, `DROP INDEX `+catalogIndexSQL(pq.QuoteIdentifier(name))); err != nil {
			return nil, wrapErr(err, "import: set index aside")
		}
	}
	return defs, nil
}

// catalogIndexSQL marks SQL read from PostgreSQL's own catalogue in the
// same transaction (an index's name or pg_get_indexdef's definition):
// never request text, so TestNoSQLFromRequestData allows it by name.
func catalogIndexSQL(s string) string { return s }

// writeStaged matches staged rows to events and writes them.
func writeStaged(ctx context.Context, tx *sql.Tx, res *eventmap.ImportResult, o ImportOptions) error {
	steps := []struct {
		what, sql string
		args      []any
	}{
		// Match: by external id first (ACLED keeps event_id_cnty across
		// corrections), then by our id. A deleted event stays deleted.
		{"match by external id", `
			UPDATE import_rows r SET eid = e.id, action = CASE WHEN e.deleted_at IS NULL THEN 'match' ELSE 'deleted' END
			FROM events e WHERE r.external_id IS NOT NULL AND e.external_id = r.external_id`, nil},
		{"match by id", `
			UPDATE import_rows r SET eid = e.id, action = CASE WHEN e.deleted_at IS NULL THEN 'match' ELSE 'deleted' END
			FROM events e WHERE r.eid IS NULL AND r.id IS NOT NULL AND e.id = r.id`, nil},
		{"new ids", `UPDATE import_rows SET eid = COALESCE(id, gen_random_uuid()), action = 'create' WHERE eid IS NULL`, nil},
		// Fresh statistics, or the planner takes the staging table for
		// empty and joins it row by row.
		{"index staged rows", `CREATE INDEX ON import_rows (eid)`, nil},
		{"analyze staged rows", `ANALYZE import_rows (eid, action)`, nil},
		// Only real changes bump the version and write a revision, so
		// importing the same file twice changes nothing the second time.
		// Only the changed rows are marked: a matched row left 'match' is
		// unchanged (rewriting every staged row cost a fifth of the
		// compare of a re-import of 1 M events).
		{"compare", `
			UPDATE import_rows r SET action = 'update'
			FROM events e
			CROSS JOIN LATERAL (SELECT e.feature::jsonb->'properties' AS props) fp
			LEFT JOIN ` + currentActors + ` ca ON ca.event_id = e.id
			LEFT JOIN ` + currentSources + ` cs ON cs.event_id = e.id
			WHERE e.id = r.eid AND r.action = 'match' AND (
				(` + writtenColumns("e.") + `)
				IS DISTINCT FROM
				(` + writtenColumns("r.") + `)
				OR ST_AsEWKB(e.geom) IS DISTINCT FROM ST_AsEWKB(r.geom)
				OR CASE WHEN e.feature IS NULL THEN COALESCE(ca.actors, '[]') ELSE fp.props->'actors' END IS DISTINCT FROM r.actors
				OR CASE WHEN e.feature IS NULL THEN COALESCE(cs.sources, '[]') ELSE ` + storedSources + ` END IS DISTINCT FROM ` + stagedSources + `)`, nil},
		// The staging table's statistics say every row is 'match': the
		// writes below, planned on them, joined the few changed rows as
		// if they were all (an update of 1 % of 1 M events ran for
		// three minutes).
		{"analyze compared rows", `ANALYZE import_rows (eid, action)`, nil},
		// Actors and sources first: each written event's Feature is built
		// from its staged row and these, and stored by the same statement
		// that writes the event, with its revision (the same document).
		{"add actors", `
			INSERT INTO actors (name)
			SELECT DISTINCT x->>'name' FROM import_rows r, jsonb_array_elements(r.actors) x
			WHERE r.action IN ('create', 'update')
			ON CONFLICT (name) DO NOTHING`, nil},
		{"add sources", `
			INSERT INTO sources (url, publisher, title, published_at)
			SELECT DISTINCT ON (x->>'url') x->>'url', COALESCE(x->>'publisher', ''), COALESCE(x->>'title', ''),
				(x->>'published_at')::timestamptz
			FROM import_rows r, jsonb_array_elements(r.sources) x
			WHERE r.action IN ('create', 'update')
			ORDER BY x->>'url', r.line DESC
			ON CONFLICT (url) DO UPDATE SET
				publisher = COALESCE(NULLIF(EXCLUDED.publisher, ''), sources.publisher),
				title = COALESCE(NULLIF(EXCLUDED.title, ''), sources.title),
				published_at = COALESCE(EXCLUDED.published_at, sources.published_at)
			WHERE (sources.publisher, sources.title, sources.published_at) IS DISTINCT FROM
				(COALESCE(NULLIF(EXCLUDED.publisher, ''), sources.publisher), COALESCE(NULLIF(EXCLUDED.title, ''), sources.title),
				 COALESCE(EXCLUDED.published_at, sources.published_at))`, nil},
		// Each written event's sources, resolved to their rows once: the
		// links and the Features' sources members are made from these.
		{"resolve sources", `
			CREATE TEMP TABLE import_sources ON COMMIT DROP AS
			SELECT r.eid, (o - 1)::smallint AS position, s.id AS source_id, COALESCE(x->>'excerpt', '') AS excerpt,
				json_strip_nulls(json_build_object(
					'url', s.url, 'publisher', NULLIF(s.publisher, ''), 'title', NULLIF(s.title, ''),
					'published_at', s.published_at, 'excerpt', NULLIF(x->>'excerpt', ''))) AS doc
			FROM import_rows r, jsonb_array_elements(r.sources) WITH ORDINALITY t(x, o), sources s
			WHERE r.action IN ('create', 'update') AND s.url = x->>'url'`, nil},
		{"insert events", `
			WITH ins AS (
				INSERT INTO events (id, geom, version, updated_at, created_at, feature, ` + writtenColumns("") + `)
				SELECT e.id, e.geom, e.version, e.updated_at, e.updated_at, ` + stagedFeatureSQL() + `, ` + writtenColumns("e.") + `
				FROM (SELECT r.eid AS id, r.geom, r.actors, sd.source_docs, 1::bigint AS version, now() AS updated_at, ` + writtenColumns("r.") + `
				      FROM import_rows r LEFT JOIN ` + stagedSourceDocs + ` sd ON sd.eid = r.eid WHERE r.action = 'create') e
				RETURNING id, version, feature)
			INSERT INTO event_revisions (event_id, version, snapshot, editor, reason, action)
			SELECT id, version, feature::jsonb, $1, $2, 'create' FROM ins`, []any{o.Editor, o.Reason}},
		{"update events", `
			WITH upd AS (
				UPDATE events t SET geom = e.geom, version = e.version, updated_at = e.updated_at,
					feature = ` + stagedFeatureSQL() + `, ` + stagedAssignments() + `
				FROM (SELECT r.eid AS id, r.geom, r.actors, sd.source_docs, cur.version + 1 AS version, now() AS updated_at, ` + writtenColumns("r.") + `
				      FROM import_rows r JOIN events cur ON cur.id = r.eid LEFT JOIN ` + stagedSourceDocs + ` sd ON sd.eid = r.eid
				      WHERE r.action = 'update') e
				WHERE t.id = e.id
				RETURNING t.id, t.version, t.feature)
			INSERT INTO event_revisions (event_id, version, snapshot, editor, reason, action)
			SELECT id, version, feature::jsonb, $1, $2, 'update' FROM upd`, []any{o.Editor, o.Reason}},
		{"clear actor links", `
			DELETE FROM event_actors WHERE event_id IN (SELECT eid FROM import_rows WHERE action = 'update')`, nil},
		{"link actors", `
			INSERT INTO event_actors (event_id, actor_id, role, position)
			SELECT r.eid, a.id, x->>'role', o - 1
			FROM import_rows r, jsonb_array_elements(r.actors) WITH ORDINALITY t(x, o), actors a
			WHERE r.action IN ('create', 'update') AND a.name = x->>'name'
			ON CONFLICT DO NOTHING`, nil},
		{"clear source links", `
			DELETE FROM event_sources WHERE event_id IN (SELECT eid FROM import_rows WHERE action = 'update')`, nil},
		{"link sources", `
			INSERT INTO event_sources (event_id, source_id, excerpt, position)
			SELECT eid, source_id, excerpt, position FROM import_sources
			ON CONFLICT DO NOTHING`, nil},
	}
	var indexes []string
	if o.Exclusive {
		if _, err := tx.ExecContext(ctx, dropForeignKeys); err != nil {
			return wrapErr(err, "import: set foreign keys aside")
		}
		var err error
		if indexes, err = dropSecondaryIndexes(ctx, tx); err != nil {
			return err
		}
	}
	for _, s := range steps {
		t0 := time.Now()
		if _, err := tx.ExecContext(ctx, s.sql, s.args...); err != nil {
			return wrapErr(err, "import: "+s.what)
		}
		o.step(s.what, t0)
	}
	if o.Exclusive {
		// One sort per index instead of one descent per row and index.
		t0 := time.Now()
		for _, def := range indexes {
			if _, err := tx.ExecContext(ctx, catalogIndexSQL(def)); err != nil {
				return wrapErr(err, "import: rebuild index")
			}
		}
		o.step("rebuild indexes", t0)
		// Each ADD checks every row with one join, and refuses the whole
		// import if any row breaks the key.
		t0 = time.Now()
		if _, err := tx.ExecContext(ctx, addForeignKeys); err != nil {
			return wrapErr(err, "import: check foreign keys")
		}
		o.step("check foreign keys", t0)
	}
	// Events of this import were written with their documents; other
	// events citing a source whose publisher or title it filled in were
	// marked missing (the sources_changed trigger) and are rebuilt here,
	// found by events_feature_missing_idx (rebuilt by now if exclusive:
	// without it this reads every event).
	t0 := time.Now()
	if err := refillFeatures(ctx, tx); err != nil {
		return err
	}
	o.step("refill features", t0)
	rows, err := tx.QueryContext(ctx, `SELECT action, count(*) FROM import_rows GROUP BY action`)
	if err != nil {
		return wrapErr(err, "import: count")
	}
	defer rows.Close()
	for rows.Next() {
		var action string
		var n int
		if err := rows.Scan(&action, &n); err != nil {
			return wrapErr(err, "import: count")
		}
		switch action {
		case "create":
			res.Created = n
		case "update":
			res.Updated = n
		case "match": // compared, and found unchanged
			res.Unchanged = n
		case "deleted":
			res.SkippedDeleted = n
		}
	}
	return wrapErr(rows.Err(), "import: count")
}

// step tells o.Step that the step what, begun at t0, is done.
func (o ImportOptions) step(what string, t0 time.Time) {
	if o.Step != nil {
		o.Step(what, time.Since(t0))
	}
}

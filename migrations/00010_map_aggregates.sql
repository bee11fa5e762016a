-- Map aggregates kept ready: how many events lie in each cell of the map's
-- cluster grid, per visibility and, in one table of each pair, per type and
-- status, over all time and per month; and how many happened on each day.
-- Triggers on events keep them in the transaction of every write,
-- set-based however many rows a statement writes, so clusters, histograms,
-- crowded tiles and counts read a few thousand rows instead of every
-- event. DESIGN.md §7, issue 13.
--
-- The grid is the one store.ClusterEvents draws: cells of 64 screen pixels
-- on 256-pixel Web Mercator tiles, so zoom z has 4·2^z cells a side, and
-- cell (cx, cy) of zoom z holds cells (2cx..2cx+1, 2cy..2cy+1) of zoom z+1.
-- The even levels 0, 2, ..., 14 are kept (a cell of level 14 is about
-- 600 m; an odd zoom reads the level below it, whose cells nest four to
-- one of its own), which halves what each write updates. An event counts
-- once, in the cell of its representative point (ST_PointOnSurface: the
-- point itself, or a point inside an area).

-- +goose Up
-- Filling the aggregates and building the indexes reads every event: on a
-- million events that takes minutes, past any request's statement timeout.
SET LOCAL statement_timeout = 0;

-- Text search (the q filter) by trigram index.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The grid, as functions so the triggers and every read compute a point's
-- cell with the same floating-point operations: a cell is
-- floor(event_map_u(lon) · 4·2^z), floor(event_map_v(lat) · 4·2^z).
-- Latitudes are clamped to Web Mercator's ±85.0511°.
CREATE FUNCTION event_map_u(lon float8) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (lon + 180) / 360;

CREATE FUNCTION event_map_v(lat float8) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (1 - ln(tan(radians(greatest(-85.0511, least(85.0511, lat))))
                   + 1 / cos(radians(greatest(-85.0511, least(85.0511, lat))))) / pi()) / 2;

-- Coordinates are summed as integers of 1e-8 degree (about 1 mm), so sums
-- stay exact however often events are added and taken away (float sums
-- would drift), and the mean of a cell is exact to 1e-8 degree.
CREATE FUNCTION event_map_fixed(deg float8) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN round(deg * 1e8)::bigint;

-- An event id as two bigints. Each aggregate row keeps the XOR of the ids
-- it counts: XOR undoes itself, so the XOR stays right under removals, and
-- a row (or a sum of rows) that counts one event names that event.
CREATE FUNCTION event_id_hi(id uuid) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ('x' || left(replace(id::text, '-', ''), 16))::bit(64)::bigint;

CREATE FUNCTION event_id_lo(id uuid) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ('x' || right(replace(id::text, '-', ''), 16))::bit(64)::bigint;

CREATE FUNCTION event_id_from(hi bigint, lo bigint) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (lpad(to_hex(hi), 16, '0') || lpad(to_hex(lo), 16, '0'))::uuid;

-- Events per cell, type, status and visibility, over all time: clusters,
-- crowded tiles and counts without a time range.
--   n               events counted (deleted events are not)
--   x_sum, y_sum    sums of their longitudes and latitudes, in 1e-8 degree
--   west .. north   a box around them: exact while events are only added;
--                   removals do not shrink it (that would need the other
--                   events), so it may be looser until `eventmap
--                   aggregates rebuild`, never larger than the cell
--   id_xor_hi, _lo  XOR of their ids (see event_id_hi)
CREATE TABLE event_cells (
    z          smallint NOT NULL CHECK (z BETWEEN 0 AND 14 AND z % 2 = 0),
    cx         integer NOT NULL,
    cy         integer NOT NULL,
    type       text NOT NULL,
    status     text NOT NULL,
    restricted boolean NOT NULL,
    n          bigint NOT NULL,
    x_sum      bigint NOT NULL,
    y_sum      bigint NOT NULL,
    west       float8,
    south      float8,
    east       float8,
    north      float8,
    id_xor_hi  bigint NOT NULL,
    id_xor_lo  bigint NOT NULL,
    PRIMARY KEY (z, cx, cy, type, status, restricted)
) WITH (fillfactor = 90);
-- The primary key reads columns of cells (a box's west and east edges);
-- this index reads rows of cells (its north and south edges).
CREATE INDEX event_cells_rows_idx ON event_cells (z, cy, cx);

-- The same without type and status: what the map asks for most (every
-- type and status), in a row per cell instead of one per combination.
CREATE TABLE event_cell_totals (
    z          smallint NOT NULL CHECK (z BETWEEN 0 AND 14 AND z % 2 = 0),
    cx         integer NOT NULL,
    cy         integer NOT NULL,
    restricted boolean NOT NULL,
    n          bigint NOT NULL,
    x_sum      bigint NOT NULL,
    y_sum      bigint NOT NULL,
    west       float8,
    south      float8,
    east       float8,
    north      float8,
    id_xor_hi  bigint NOT NULL,
    id_xor_lo  bigint NOT NULL,
    PRIMARY KEY (z, cx, cy, restricted)
) WITH (fillfactor = 90);
CREATE INDEX event_cell_totals_rows_idx ON event_cell_totals (z, cy, cx);

-- The same per calendar month (UTC) of occurred_at: clusters and counts
-- with a month-aligned time range, and month and year histograms.
CREATE TABLE event_cell_months (
    z          smallint NOT NULL CHECK (z BETWEEN 0 AND 14 AND z % 2 = 0),
    cx         integer NOT NULL,
    cy         integer NOT NULL,
    month      date NOT NULL,
    type       text NOT NULL,
    status     text NOT NULL,
    restricted boolean NOT NULL,
    n          bigint NOT NULL,
    x_sum      bigint NOT NULL,
    y_sum      bigint NOT NULL,
    west       float8,
    south      float8,
    east       float8,
    north      float8,
    id_xor_hi  bigint NOT NULL,
    id_xor_lo  bigint NOT NULL,
    PRIMARY KEY (z, cx, cy, month, type, status, restricted)
) WITH (fillfactor = 90);
CREATE INDEX event_cell_months_rows_idx ON event_cell_months (z, cy, cx);

CREATE TABLE event_cell_month_totals (
    z          smallint NOT NULL CHECK (z BETWEEN 0 AND 14 AND z % 2 = 0),
    cx         integer NOT NULL,
    cy         integer NOT NULL,
    month      date NOT NULL,
    restricted boolean NOT NULL,
    n          bigint NOT NULL,
    x_sum      bigint NOT NULL,
    y_sum      bigint NOT NULL,
    west       float8,
    south      float8,
    east       float8,
    north      float8,
    id_xor_hi  bigint NOT NULL,
    id_xor_lo  bigint NOT NULL,
    PRIMARY KEY (z, cx, cy, month, restricted)
) WITH (fillfactor = 90);
CREATE INDEX event_cell_month_totals_rows_idx ON event_cell_month_totals (z, cy, cx);

-- Events per UTC day, without place: day and week histograms and counts
-- with a day-aligned time range, for the whole map.
CREATE TABLE event_days (
    day        date NOT NULL,
    type       text NOT NULL,
    status     text NOT NULL,
    restricted boolean NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (day, type, status, restricted)
) WITH (fillfactor = 90);

-- The statement that adds the events of src to the aggregates (sign 1) or
-- takes them away (sign -1). src is a SELECT of (sign, id, geom,
-- occurred_at, type, status, visibility). Changes are grouped per
-- aggregate row first, so a statement writing a million events makes one
-- upsert per row touched; rows are written in key order, and upserts add
-- (n = n + excluded.n), so concurrent writers lose nothing. It returns, per
-- table, the keys of the rows it brought to zero, for
-- event_aggregates_prune.
-- +goose StatementBegin
CREATE FUNCTION event_aggregates_sql(src text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN format($sql$
WITH ev AS (
    SELECT s.sign, s.type, s.status, s.visibility = 'restricted' AS restricted,
        date_trunc('month', s.occurred_at AT TIME ZONE 'UTC')::date AS month,
        (s.occurred_at AT TIME ZONE 'UTC')::date AS day,
        ST_X(p.p) AS x, ST_Y(p.p) AS y,
        event_map_fixed(ST_X(p.p)) AS xs, event_map_fixed(ST_Y(p.p)) AS ys,
        event_map_u(ST_X(p.p)) AS u, event_map_v(ST_Y(p.p)) AS v,
        event_id_hi(s.id) AS hi, event_id_lo(s.id) AS lo
    FROM (%s) s CROSS JOIN LATERAL (SELECT ST_PointOnSurface(s.geom) AS p) p
), lv AS (
    SELECT ev.*, z::smallint AS z,
        floor(ev.u * (4::bigint << z))::integer AS cx, floor(ev.v * (4::bigint << z))::integer AS cy
    FROM ev CROSS JOIN generate_series(0, 14, 2) z
), cells AS (
    INSERT INTO event_cells AS c (z, cx, cy, type, status, restricted, n, x_sum, y_sum,
        west, south, east, north, id_xor_hi, id_xor_lo)
    SELECT z, cx, cy, type, status, restricted, sum(sign), sum(sign * xs), sum(sign * ys),
        min(x) FILTER (WHERE sign > 0), min(y) FILTER (WHERE sign > 0),
        max(x) FILTER (WHERE sign > 0), max(y) FILTER (WHERE sign > 0), bit_xor(hi), bit_xor(lo)
    FROM lv
    GROUP BY z, cx, cy, type, status, restricted
    HAVING sum(sign) <> 0 OR sum(sign * xs) <> 0 OR sum(sign * ys) <> 0 OR bit_xor(hi) <> 0 OR bit_xor(lo) <> 0
    ORDER BY z, cx, cy, type, status, restricted
    ON CONFLICT (z, cx, cy, type, status, restricted) DO UPDATE SET
        n = c.n + excluded.n, x_sum = c.x_sum + excluded.x_sum, y_sum = c.y_sum + excluded.y_sum,
        west = least(c.west, excluded.west), south = least(c.south, excluded.south),
        east = greatest(c.east, excluded.east), north = greatest(c.north, excluded.north),
        id_xor_hi = c.id_xor_hi # excluded.id_xor_hi, id_xor_lo = c.id_xor_lo # excluded.id_xor_lo
    RETURNING z, cx, cy, type, status, restricted, n
), totals AS (
    INSERT INTO event_cell_totals AS c (z, cx, cy, restricted, n, x_sum, y_sum,
        west, south, east, north, id_xor_hi, id_xor_lo)
    SELECT z, cx, cy, restricted, sum(sign), sum(sign * xs), sum(sign * ys),
        min(x) FILTER (WHERE sign > 0), min(y) FILTER (WHERE sign > 0),
        max(x) FILTER (WHERE sign > 0), max(y) FILTER (WHERE sign > 0), bit_xor(hi), bit_xor(lo)
    FROM lv
    GROUP BY z, cx, cy, restricted
    HAVING sum(sign) <> 0 OR sum(sign * xs) <> 0 OR sum(sign * ys) <> 0 OR bit_xor(hi) <> 0 OR bit_xor(lo) <> 0
    ORDER BY z, cx, cy, restricted
    ON CONFLICT (z, cx, cy, restricted) DO UPDATE SET
        n = c.n + excluded.n, x_sum = c.x_sum + excluded.x_sum, y_sum = c.y_sum + excluded.y_sum,
        west = least(c.west, excluded.west), south = least(c.south, excluded.south),
        east = greatest(c.east, excluded.east), north = greatest(c.north, excluded.north),
        id_xor_hi = c.id_xor_hi # excluded.id_xor_hi, id_xor_lo = c.id_xor_lo # excluded.id_xor_lo
    RETURNING z, cx, cy, restricted, n
), months AS (
    INSERT INTO event_cell_months AS c (z, cx, cy, month, type, status, restricted, n, x_sum, y_sum,
        west, south, east, north, id_xor_hi, id_xor_lo)
    SELECT z, cx, cy, month, type, status, restricted, sum(sign), sum(sign * xs), sum(sign * ys),
        min(x) FILTER (WHERE sign > 0), min(y) FILTER (WHERE sign > 0),
        max(x) FILTER (WHERE sign > 0), max(y) FILTER (WHERE sign > 0), bit_xor(hi), bit_xor(lo)
    FROM lv
    GROUP BY z, cx, cy, month, type, status, restricted
    HAVING sum(sign) <> 0 OR sum(sign * xs) <> 0 OR sum(sign * ys) <> 0 OR bit_xor(hi) <> 0 OR bit_xor(lo) <> 0
    ORDER BY z, cx, cy, month, type, status, restricted
    ON CONFLICT (z, cx, cy, month, type, status, restricted) DO UPDATE SET
        n = c.n + excluded.n, x_sum = c.x_sum + excluded.x_sum, y_sum = c.y_sum + excluded.y_sum,
        west = least(c.west, excluded.west), south = least(c.south, excluded.south),
        east = greatest(c.east, excluded.east), north = greatest(c.north, excluded.north),
        id_xor_hi = c.id_xor_hi # excluded.id_xor_hi, id_xor_lo = c.id_xor_lo # excluded.id_xor_lo
    RETURNING z, cx, cy, month, type, status, restricted, n
), month_totals AS (
    INSERT INTO event_cell_month_totals AS c (z, cx, cy, month, restricted, n, x_sum, y_sum,
        west, south, east, north, id_xor_hi, id_xor_lo)
    SELECT z, cx, cy, month, restricted, sum(sign), sum(sign * xs), sum(sign * ys),
        min(x) FILTER (WHERE sign > 0), min(y) FILTER (WHERE sign > 0),
        max(x) FILTER (WHERE sign > 0), max(y) FILTER (WHERE sign > 0), bit_xor(hi), bit_xor(lo)
    FROM lv
    GROUP BY z, cx, cy, month, restricted
    HAVING sum(sign) <> 0 OR sum(sign * xs) <> 0 OR sum(sign * ys) <> 0 OR bit_xor(hi) <> 0 OR bit_xor(lo) <> 0
    ORDER BY z, cx, cy, month, restricted
    ON CONFLICT (z, cx, cy, month, restricted) DO UPDATE SET
        n = c.n + excluded.n, x_sum = c.x_sum + excluded.x_sum, y_sum = c.y_sum + excluded.y_sum,
        west = least(c.west, excluded.west), south = least(c.south, excluded.south),
        east = greatest(c.east, excluded.east), north = greatest(c.north, excluded.north),
        id_xor_hi = c.id_xor_hi # excluded.id_xor_hi, id_xor_lo = c.id_xor_lo # excluded.id_xor_lo
    RETURNING z, cx, cy, month, restricted, n
), days AS (
    INSERT INTO event_days AS d (day, type, status, restricted, n)
    SELECT day, type, status, restricted, sum(sign)
    FROM ev
    GROUP BY day, type, status, restricted
    HAVING sum(sign) <> 0
    ORDER BY day, type, status, restricted
    ON CONFLICT (day, type, status, restricted) DO UPDATE SET n = d.n + excluded.n
    RETURNING day, type, status, restricted, n
)
SELECT jsonb_build_object(
    'cells', (SELECT COALESCE(jsonb_agg(jsonb_build_array(z, cx, cy, type, status, restricted)), '[]') FROM cells WHERE n = 0),
    'totals', (SELECT COALESCE(jsonb_agg(jsonb_build_array(z, cx, cy, restricted)), '[]') FROM totals WHERE n = 0),
    'months', (SELECT COALESCE(jsonb_agg(jsonb_build_array(z, cx, cy, month, type, status, restricted)), '[]') FROM months WHERE n = 0),
    'month_totals', (SELECT COALESCE(jsonb_agg(jsonb_build_array(z, cx, cy, month, restricted)), '[]') FROM month_totals WHERE n = 0),
    'days', (SELECT COALESCE(jsonb_agg(jsonb_build_array(day, type, status, restricted)), '[]') FROM days WHERE n = 0))
$sql$, src);
-- +goose StatementEnd

-- Rows that count no event any more are removed, so reads never see them.
-- zero holds their keys per table, as event_aggregates_sql returns them.
-- +goose StatementBegin
CREATE FUNCTION event_aggregates_prune(zero jsonb) RETURNS void
    LANGUAGE sql AS $$
    DELETE FROM event_cells c USING jsonb_array_elements(zero->'cells') k
    WHERE c.z = (k->>0)::smallint AND c.cx = (k->>1)::integer AND c.cy = (k->>2)::integer
      AND c.type = k->>3 AND c.status = k->>4 AND c.restricted = (k->>5)::boolean AND c.n = 0;
    DELETE FROM event_cell_totals c USING jsonb_array_elements(zero->'totals') k
    WHERE c.z = (k->>0)::smallint AND c.cx = (k->>1)::integer AND c.cy = (k->>2)::integer
      AND c.restricted = (k->>3)::boolean AND c.n = 0;
    DELETE FROM event_cell_months c USING jsonb_array_elements(zero->'months') k
    WHERE c.z = (k->>0)::smallint AND c.cx = (k->>1)::integer AND c.cy = (k->>2)::integer
      AND c.month = (k->>3)::date AND c.type = k->>4 AND c.status = k->>5 AND c.restricted = (k->>6)::boolean
      AND c.n = 0;
    DELETE FROM event_cell_month_totals c USING jsonb_array_elements(zero->'month_totals') k
    WHERE c.z = (k->>0)::smallint AND c.cx = (k->>1)::integer AND c.cy = (k->>2)::integer
      AND c.month = (k->>3)::date AND c.restricted = (k->>4)::boolean AND c.n = 0;
    DELETE FROM event_days d USING jsonb_array_elements(zero->'days') k
    WHERE d.day = (k->>0)::date AND d.type = k->>1 AND d.status = k->>2 AND d.restricted = (k->>3)::boolean
      AND d.n = 0;
$$;
-- +goose StatementEnd

-- One trigger function for inserts, updates and deletes of events, run
-- once per statement with the statement's rows (transition tables), so
-- store/write.go's single writes, soft deletes (deleted_at set),
-- visibility changes and store/bulk.go's set-based imports all keep the
-- aggregates without knowing about them. An update counts only rows whose
-- counted facts changed (place, time, type, status, visibility, deletion).
--
-- Writers take one transaction-scoped advisory lock before touching the
-- aggregates: a transaction that writes events in two statements (an
-- import inserts, then updates) would otherwise lock aggregate rows in two
-- rounds and could deadlock with a concurrent write. The cost is that
-- writes queue behind each other (and behind an import until it commits);
-- readers never wait.
-- +goose StatementBegin
CREATE FUNCTION event_aggregates_trigger() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    src text;
    zero jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        src := 'SELECT 1 AS sign, id, geom, occurred_at, type, status, visibility
                FROM new_rows WHERE deleted_at IS NULL';
    ELSIF TG_OP = 'DELETE' THEN
        src := 'SELECT -1 AS sign, id, geom, occurred_at, type, status, visibility
                FROM old_rows WHERE deleted_at IS NULL';
    ELSE
        src := 'SELECT -1 AS sign, o.id, o.geom, o.occurred_at, o.type, o.status, o.visibility
                FROM old_rows o
                WHERE o.deleted_at IS NULL AND NOT EXISTS (
                    SELECT 1 FROM new_rows n
                    WHERE n.id = o.id AND n.deleted_at IS NULL AND n.geom = o.geom AND n.occurred_at = o.occurred_at
                      AND n.type = o.type AND n.status = o.status AND n.visibility = o.visibility)
                UNION ALL
                SELECT 1, n.id, n.geom, n.occurred_at, n.type, n.status, n.visibility
                FROM new_rows n
                WHERE n.deleted_at IS NULL AND NOT EXISTS (
                    SELECT 1 FROM old_rows o
                    WHERE o.id = n.id AND o.deleted_at IS NULL AND n.geom = o.geom AND n.occurred_at = o.occurred_at
                      AND n.type = o.type AND n.status = o.status AND n.visibility = o.visibility)';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('eventmap aggregates', 0));
    EXECUTE event_aggregates_sql(src) INTO zero;
    PERFORM event_aggregates_prune(zero);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER events_aggregates_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_aggregates_trigger();
CREATE TRIGGER events_aggregates_update AFTER UPDATE ON events
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_aggregates_trigger();
CREATE TRIGGER events_aggregates_delete AFTER DELETE ON events
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_aggregates_trigger();

-- TRUNCATE has no transition table: it empties the aggregates with events.
-- +goose StatementBegin
CREATE FUNCTION event_aggregates_truncate() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('eventmap aggregates', 0));
    DELETE FROM event_cells;
    DELETE FROM event_cell_totals;
    DELETE FROM event_cell_months;
    DELETE FROM event_cell_month_totals;
    DELETE FROM event_days;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER events_aggregates_truncate AFTER TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION event_aggregates_truncate();

-- Recounts every aggregate from the events, in one transaction: for when
-- the triggers were bypassed (session_replication_role = replica, a
-- restore with triggers disabled), and to tighten the boxes that removals
-- left loose. Readers see the old counts until it commits.
-- +goose StatementBegin
CREATE FUNCTION event_aggregates_rebuild() RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('eventmap aggregates', 0));
    DELETE FROM event_cells;
    DELETE FROM event_cell_totals;
    DELETE FROM event_cell_months;
    DELETE FROM event_cell_month_totals;
    DELETE FROM event_days;
    EXECUTE event_aggregates_sql('SELECT 1 AS sign, id, geom, occurred_at, type, status, visibility
                                  FROM events WHERE deleted_at IS NULL');
END
$$;
-- +goose StatementEnd

SELECT event_aggregates_rebuild();
ANALYZE event_cells;
ANALYZE event_cell_totals;
ANALYZE event_cell_months;
ANALYZE event_cell_month_totals;
ANALYZE event_days;

-- Reads the aggregates cannot answer scan events, so these make them fast.
-- The q filter matches each word against title, summary and place joined
-- by spaces (a word has no space, so it matches the join exactly when it
-- matches one of the three); words of three letters and more use this.
CREATE INDEX events_text_trgm_idx ON events
    USING gin ((title || ' ' || summary || ' ' || place) gin_trgm_ops) WHERE deleted_at IS NULL;
-- The actor filter: the actor by name, then its events, from the index alone.
CREATE INDEX actors_lower_name_idx ON actors (lower(name));
CREATE INDEX event_actors_actor_event_idx ON event_actors (actor_id, event_id);
DROP INDEX event_actors_actor_idx;

-- +goose Down
CREATE INDEX event_actors_actor_idx ON event_actors (actor_id);
DROP INDEX event_actors_actor_event_idx;
DROP INDEX actors_lower_name_idx;
DROP INDEX events_text_trgm_idx;
DROP TRIGGER events_aggregates_truncate ON events;
DROP TRIGGER events_aggregates_delete ON events;
DROP TRIGGER events_aggregates_update ON events;
DROP TRIGGER events_aggregates_insert ON events;
DROP FUNCTION event_aggregates_rebuild();
DROP FUNCTION event_aggregates_truncate();
DROP FUNCTION event_aggregates_trigger();
DROP FUNCTION event_aggregates_prune(jsonb);
DROP FUNCTION event_aggregates_sql(text);
DROP TABLE event_days;
DROP TABLE event_cell_month_totals;
DROP TABLE event_cell_months;
DROP TABLE event_cell_totals;
DROP TABLE event_cells;
DROP FUNCTION event_id_from(bigint, bigint);
DROP FUNCTION event_id_lo(uuid);
DROP FUNCTION event_id_hi(uuid);
DROP FUNCTION event_map_fixed(float8);
DROP FUNCTION event_map_v(float8);
DROP FUNCTION event_map_u(float8);
-- pg_trgm stays, like postgis: other schemas in the database may use it.

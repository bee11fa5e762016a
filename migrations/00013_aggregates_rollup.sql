-- The map aggregates' statement (00010's event_aggregates_sql), summed
-- level by level instead of once per level: the events of a statement
-- are grouped into cells of the finest level (14) per month, type,
-- status and visibility, and each coarser level is summed from the one
-- below it (a cell of level z is four of level z+2: cx >> 2, cy >> 2,
-- exact, as the grid's cells are floor(u · 2^(z+2)) and scaling by a
-- power of two is exact in floating point). The other tables are summed
-- from those rows. Before, every event was copied to all eight levels
-- and the eight million rows of a million-event import were grouped four
-- times over: most of an import's time in the trigger. Same rows, same
-- sums, boxes and id XORs (TestAggregatesFollowEveryWrite compares them
-- with a live count, and a rebuild).

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION event_aggregates_sql(src text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
    -- The sums of a group of rows of level ... below, by column.
    sums constant text := 'sum(n) AS n, sum(xs) AS xs, sum(ys) AS ys, min(west) AS west, min(south) AS south,
        max(east) AS east, max(north) AS north, bit_xor(hi) AS hi, bit_xor(lo) AS lo';
    -- A row counts when anything in it is not zero.
    counts constant text := 'HAVING sum(n) <> 0 OR sum(xs) <> 0 OR sum(ys) <> 0 OR bit_xor(hi) <> 0 OR bit_xor(lo) <> 0';
    -- What an upsert adds to the row it meets.
    adds constant text := 'n = c.n + excluded.n, x_sum = c.x_sum + excluded.x_sum, y_sum = c.y_sum + excluded.y_sum,
        west = least(c.west, excluded.west), south = least(c.south, excluded.south),
        east = greatest(c.east, excluded.east), north = greatest(c.north, excluded.north),
        id_xor_hi = c.id_xor_hi # excluded.id_xor_hi, id_xor_lo = c.id_xor_lo # excluded.id_xor_lo';
    levels text := '';
    all_levels text := 'SELECT * FROM m14';
BEGIN
    FOR z IN REVERSE 12..0 BY 2 LOOP
        levels := levels || format(', m%s AS (
    SELECT %s::smallint AS z, cx >> 2 AS cx, cy >> 2 AS cy, month, type, status, restricted, %s
    FROM m%s GROUP BY cx >> 2, cy >> 2, month, type, status, restricted)', z, z, sums, z + 2);
        all_levels := all_levels || format(' UNION ALL SELECT * FROM m%s', z);
    END LOOP;
    RETURN format($sql$
WITH ev AS (
    SELECT s.sign, s.type, s.status, s.visibility = 'restricted' AS restricted,
        date_trunc('month', s.occurred_at AT TIME ZONE 'UTC')::date AS month,
        (s.occurred_at AT TIME ZONE 'UTC')::date AS day,
        ST_X(p.p) AS x, ST_Y(p.p) AS y, s.id
    FROM (%1$s) s CROSS JOIN LATERAL (SELECT ST_PointOnSurface(s.geom) AS p) p
), m14 AS (
    SELECT 14::smallint AS z,
        floor(event_map_u(x) * (4::bigint << 14))::integer AS cx, floor(event_map_v(y) * (4::bigint << 14))::integer AS cy,
        month, type, status, restricted,
        sum(sign) AS n, sum(sign * event_map_fixed(x)) AS xs, sum(sign * event_map_fixed(y)) AS ys,
        min(x) FILTER (WHERE sign > 0) AS west, min(y) FILTER (WHERE sign > 0) AS south,
        max(x) FILTER (WHERE sign > 0) AS east, max(y) FILTER (WHERE sign > 0) AS north,
        bit_xor(event_id_hi(id)) AS hi, bit_xor(event_id_lo(id)) AS lo
    FROM ev GROUP BY 2, 3, month, type, status, restricted
)%2$s, m AS (
    %3$s
), mt AS (
    SELECT z, cx, cy, month, restricted, %4$s FROM m GROUP BY z, cx, cy, month, restricted
), cells AS (
    INSERT INTO event_cells AS c (z, cx, cy, type, status, restricted, n, x_sum, y_sum,
        west, south, east, north, id_xor_hi, id_xor_lo)
    SELECT z, cx, cy, type, status, restricted, %4$s
    FROM m GROUP BY z, cx, cy, type, status, restricted %5$s
    ORDER BY z, cx, cy, type, status, restricted
    ON CONFLICT (z, cx, cy, type, status, restricted) DO UPDATE SET %6$s
    RETURNING z, cx, cy, type, status, restricted, n
), totals AS (
    INSERT INTO event_cell_totals AS c (z, cx, cy, restricted, n, x_sum, y_sum,
        west, south, east, north, id_xor_hi, id_xor_lo)
    SELECT z, cx, cy, restricted, %4$s
    FROM mt GROUP BY z, cx, cy, restricted %5$s
    ORDER BY z, cx, cy, restricted
    ON CONFLICT (z, cx, cy, restricted) DO UPDATE SET %6$s
    RETURNING z, cx, cy, restricted, n
), months AS (
    INSERT INTO event_cell_months AS c (z, cx, cy, month, type, status, restricted, n, x_sum, y_sum,
        west, south, east, north, id_xor_hi, id_xor_lo)
    SELECT z, cx, cy, month, type, status, restricted, n, xs, ys, west, south, east, north, hi, lo
    FROM m WHERE n <> 0 OR xs <> 0 OR ys <> 0 OR hi <> 0 OR lo <> 0
    ORDER BY z, cx, cy, month, type, status, restricted
    ON CONFLICT (z, cx, cy, month, type, status, restricted) DO UPDATE SET %6$s
    RETURNING z, cx, cy, month, type, status, restricted, n
), month_totals AS (
    INSERT INTO event_cell_month_totals AS c (z, cx, cy, month, restricted, n, x_sum, y_sum,
        west, south, east, north, id_xor_hi, id_xor_lo)
    SELECT z, cx, cy, month, restricted, n, xs, ys, west, south, east, north, hi, lo
    FROM mt WHERE n <> 0 OR xs <> 0 OR ys <> 0 OR hi <> 0 OR lo <> 0
    ORDER BY z, cx, cy, month, restricted
    ON CONFLICT (z, cx, cy, month, restricted) DO UPDATE SET %6$s
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
$sql$, src, levels, all_levels, sums, counts, adds);
END
$fn$;
-- +goose StatementEnd

-- +goose Down
-- 00010's statement, as it was.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION event_aggregates_sql(src text) RETURNS text
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

-- The collection's extent without reading every event: points from the
-- map aggregates' coarsest cells, and the few events stored as areas
-- (whose boxes the cells, which count an area at one point, do not hold)
-- through this index. store.EventExtent.

-- +goose Up
SET LOCAL statement_timeout = 0;
CREATE INDEX events_areas_idx ON events USING gist (geom)
    WHERE deleted_at IS NULL AND GeometryType(geom) <> 'POINT';
-- Without statistics on the expression the planner guesses that a third
-- of the events are areas and scans them all.
CREATE STATISTICS events_geometry_type_stats ON (GeometryType(geom)) FROM events;
ANALYZE events;

-- +goose Down
DROP STATISTICS events_geometry_type_stats;
DROP INDEX events_areas_idx;

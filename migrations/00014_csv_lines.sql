-- CSV lines kept ready, as the served Features are (00005): each point
-- event's row of the CSV export, as exchange's CSVWriter writes it from
-- the Feature, is stored with the event, so a CSV export streams stored
-- text as the GeoJSON one does. Built per batch at export time, a line
-- cost ten times the reading of its row (forty-odd column expressions,
-- ACLED's lookups, time zones and CSV quoting): 16 k rows/s at 1 M.
--
-- A BEFORE trigger builds the line whenever the row's Feature is written,
-- so every write path (single writes, imports, the rebuild of the
-- documents, the refill after a source changed) keeps it without saying
-- so. The trigger's function is made by the store from the CSV columns,
-- ACLED's lookups and the time zones Go and PostgreSQL both know
-- (store/exportcsv.go); this placeholder leaves the line NULL until the
-- store has installed it and rebuilt every line (store.RefreshServedFeatures).
-- A NULL line is written by Go from the Feature: slower, never wrong.
-- Lines, not areas: the latitude and longitude of a line or area are
-- orb's centroid, which PostGIS computes in another order of
-- floating-point operations, so those rows are always written by Go.

-- +goose Up
ALTER TABLE events ADD COLUMN csv_line text;
-- With its line a row is about 2.4 KB, over the 2 KB past which
-- PostgreSQL compresses a row's largest values to fit the default target:
-- the Features of most rows were compressed, and every read of one
-- (items, exports) decompressed it. The 1 M GeoJSON export took 12 s
-- instead of 8.6. Rows up to 4 KB now stay as written.
ALTER TABLE events SET (toast_tuple_target = 4096);
-- The hash of the installed function once every line was built with it.
ALTER TABLE served_feature_shape ADD COLUMN csv_hash text;

-- +goose StatementBegin
CREATE FUNCTION events_csv_line() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.csv_line := NULL;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER events_csv_line BEFORE INSERT OR UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION events_csv_line();
-- Also when a session writes with session_replication_role = replica
-- (a bulk load bypassing the aggregates' triggers): a line left from
-- before such a write would be wrong, not merely missing.
ALTER TABLE events ENABLE ALWAYS TRIGGER events_csv_line;

-- +goose Down
ALTER TABLE events RESET (toast_tuple_target);
DROP TRIGGER events_csv_line ON events;
DROP FUNCTION events_csv_line();
ALTER TABLE served_feature_shape DROP COLUMN csv_hash;
ALTER TABLE events DROP COLUMN csv_line;

-- For the events-areas collection (api/collections.go): its first page in
-- the default order (newest first) and its count read this index instead
-- of every event, areas being a small part of them.
--
-- The dataset version: how many committed transactions changed events or
-- regions, and how many of those changed what anonymous readers see. HTTP
-- validators (ETags) of pages and collections are made from it, read in
-- the page's own snapshot (api/cache.go): equal versions, equal data.
--
-- Not max(event_revisions.id): ids are drawn when a revision is inserted,
-- not when it commits, so a write holding id 10 that commits after one
-- holding id 11 leaves the maximum at 11 and a cache would keep the page
-- without it under a still-valid tag. Not the database snapshot either:
-- every transaction of the cluster moves it, so pages would rarely
-- revalidate.
--
-- The counts are bumped at commit time, by a deferred trigger, once per
-- transaction; taking the counter's row lock last, when the transaction has
-- nothing else to wait for, keeps writers from deadlocking on it. Writers
-- bump one of 64 rows, chosen by their backend, so concurrent commits
-- rarely wait for each other; readers add the rows up.

-- +goose Up
CREATE INDEX events_areas_occurred_at_idx ON events (occurred_at, id)
    WHERE deleted_at IS NULL AND ST_Dimension(geom) = 2;

CREATE TABLE dataset_versions (
    slot          smallint PRIMARY KEY,
    writes        bigint NOT NULL DEFAULT 0,
    public_writes bigint NOT NULL DEFAULT 0
);
INSERT INTO dataset_versions (slot) SELECT generate_series(0, 63);

-- One row per writing transaction until its commit: whether it touched
-- anything anonymous readers see (a public event before or after the
-- write, or a region).
CREATE TABLE dataset_version_pending (
    xid    xid8 PRIMARY KEY DEFAULT pg_current_xact_id(),
    public boolean NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION dataset_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pub boolean := TG_TABLE_NAME = 'regions';
BEGIN
    IF NOT pub AND TG_OP IN ('INSERT', 'UPDATE') THEN
        pub := EXISTS (SELECT 1 FROM new_rows WHERE visibility = 'public');
    END IF;
    IF NOT pub AND TG_OP IN ('UPDATE', 'DELETE') THEN
        pub := EXISTS (SELECT 1 FROM old_rows WHERE visibility = 'public');
    END IF;
    INSERT INTO dataset_version_pending (public) VALUES (pub)
    ON CONFLICT (xid) DO UPDATE SET public = true
    WHERE EXCLUDED.public AND NOT dataset_version_pending.public;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER events_dataset_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dataset_changed();
CREATE TRIGGER events_dataset_update AFTER UPDATE ON events
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dataset_changed();
CREATE TRIGGER events_dataset_delete AFTER DELETE ON events
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dataset_changed();
CREATE TRIGGER regions_dataset AFTER INSERT OR UPDATE OR DELETE ON regions
    FOR EACH STATEMENT EXECUTE FUNCTION dataset_changed();

-- +goose StatementBegin
CREATE FUNCTION dataset_version_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pub boolean;
BEGIN
    DELETE FROM dataset_version_pending WHERE xid = NEW.xid RETURNING public INTO pub;
    UPDATE dataset_versions
    SET writes = writes + 1, public_writes = public_writes + CASE WHEN pub THEN 1 ELSE 0 END
    WHERE slot = pg_backend_pid() % 64;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER dataset_version_commit AFTER INSERT ON dataset_version_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION dataset_version_commit();

-- +goose Down
DROP TRIGGER dataset_version_commit ON dataset_version_pending;
DROP FUNCTION dataset_version_commit();
DROP TRIGGER regions_dataset ON regions;
DROP TRIGGER events_dataset_delete ON events;
DROP TRIGGER events_dataset_update ON events;
DROP TRIGGER events_dataset_insert ON events;
DROP FUNCTION dataset_changed();
DROP TABLE dataset_version_pending;
DROP TABLE dataset_versions;
DROP INDEX events_areas_occurred_at_idx;

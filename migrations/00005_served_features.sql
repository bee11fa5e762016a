-- Served Features kept ready (DESIGN.md §7, "Read paths at scale"): each
-- event's GeoJSON Feature, as items, item and export serve it in CRS84, is
-- stored with the event, written in the transaction of every write and
-- import (it is the same document as the revision snapshot). Reads stream
-- it instead of assembling actors, sources and properties per request.

-- +goose Up
SET LOCAL statement_timeout = 0;
-- NULL until built: the store builds every missing document after
-- migrating (store.RefreshServedFeatures) and reads fall back to building
-- one on the fly, so a NULL is slower, never wrong.
ALTER TABLE events ADD COLUMN feature text;
CREATE INDEX events_feature_missing_idx ON events (id) WHERE feature IS NULL AND deleted_at IS NULL;

-- The shape the stored documents were built with (a hash of the SQL that
-- builds them): when a release adds a property, the documents are rebuilt.
CREATE TABLE served_feature_shape (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    hash     text NOT NULL
);

-- A source's publisher, title and date appear in the Feature of every
-- event that cites it, and a write that cites the same URL may fill them
-- in: the documents of those other events are then marked missing and
-- rebuilt by the same transaction (store refills missing documents at the
-- end of every write).
-- +goose StatementBegin
CREATE FUNCTION events_source_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE events e SET feature = NULL
    FROM (SELECT DISTINCT es.event_id
          FROM new_sources n
          JOIN old_sources o ON o.id = n.id
          JOIN event_sources es ON es.source_id = n.id
          WHERE (n.url, n.publisher, n.title, n.published_at)
                IS DISTINCT FROM (o.url, o.publisher, o.title, o.published_at)) c
    WHERE e.id = c.event_id AND e.feature IS NOT NULL;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER sources_changed AFTER UPDATE ON sources
    REFERENCING OLD TABLE AS old_sources NEW TABLE AS new_sources
    FOR EACH STATEMENT EXECUTE FUNCTION events_source_changed();

-- +goose Down
DROP TRIGGER sources_changed ON sources;
DROP FUNCTION events_source_changed();
DROP TABLE served_feature_shape;
DROP INDEX events_feature_missing_idx;
ALTER TABLE events DROP COLUMN feature;

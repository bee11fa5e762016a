-- Data exchange: re-imports match events by their id in the source dataset
-- (ACLED's event_id_cnty), and mirrors sync by update and deletion time.
-- DESIGN.md §6.

-- +goose Up
-- NULL for events written through the API; unique so a re-import updates
-- the event instead of adding a second copy.
ALTER TABLE events ADD COLUMN external_id text UNIQUE
    CHECK (external_id IS NULL OR length(external_id) BETWEEN 1 AND 100);
-- updated_since= on items, and the deletions feed, read in time order.
CREATE INDEX events_updated_at_idx ON events (updated_at, id);
CREATE INDEX events_deleted_at_idx ON events (deleted_at, id) WHERE deleted_at IS NOT NULL;

-- +goose Down
DROP INDEX events_deleted_at_idx;
DROP INDEX events_updated_at_idx;
ALTER TABLE events DROP COLUMN external_id;

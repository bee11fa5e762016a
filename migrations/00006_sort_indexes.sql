-- An index for every sortby key (eventmap.Properties rows with Sortable),
-- so the first page in any order reads about a page of rows instead of
-- sorting every event: at 1 M events, sortby=-fatalities took 0.8 s
-- without one. TestEverySortKeyHasAnIndex checks each key's first page
-- uses one. Nullable counts sort NULL (unknown) last in both directions,
-- which one b-tree cannot serve both ways: they have two.

-- +goose Up
-- Building eight indexes of a large table takes longer than a request may.
SET LOCAL statement_timeout = 0;
CREATE INDEX events_fatalities_asc_idx ON events (fatalities ASC NULLS LAST, id ASC) WHERE deleted_at IS NULL;
CREATE INDEX events_fatalities_desc_idx ON events (fatalities DESC NULLS LAST, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX events_civilian_fatalities_asc_idx ON events (civilian_fatalities ASC NULLS LAST, id ASC) WHERE deleted_at IS NULL;
CREATE INDEX events_civilian_fatalities_desc_idx ON events (civilian_fatalities DESC NULLS LAST, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX events_title_idx ON events (title, id) WHERE deleted_at IS NULL;
CREATE INDEX events_type_idx ON events (type, id) WHERE deleted_at IS NULL;
CREATE INDEX events_country_idx ON events (country, id) WHERE deleted_at IS NULL;
CREATE INDEX events_status_idx ON events (status, id) WHERE deleted_at IS NULL;

-- +goose Down
DROP INDEX events_status_idx;
DROP INDEX events_country_idx;
DROP INDEX events_type_idx;
DROP INDEX events_title_idx;
DROP INDEX events_civilian_fatalities_desc_idx;
DROP INDEX events_civilian_fatalities_asc_idx;
DROP INDEX events_fatalities_desc_idx;
DROP INDEX events_fatalities_asc_idx;

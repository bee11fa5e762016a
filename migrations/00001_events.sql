-- The event store: events with their geometry, actors, sources, history and
-- the named regions used as filters. DESIGN.md §3 explains each table.

-- +goose Up
-- Migrations run on connections with the service's statement_timeout;
-- on a loaded machine creating PostGIS alone can take longer than that.
SET LOCAL statement_timeout = 0;
CREATE EXTENSION IF NOT EXISTS postgis;

-- Event types are a lookup table, not free text, so a typo cannot create a
-- new category and the list can grow without a code change.
CREATE TABLE event_types (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z_]{1,40}$'),
    label       text NOT NULL,
    description text NOT NULL DEFAULT ''
);

INSERT INTO event_types (code, label, description) VALUES
    ('raid',              'Raid',               'Ground operation against a location or person'),
    ('airstrike',         'Air or drone strike', 'Strike from aircraft, drones or missiles'),
    ('cache_destruction', 'Weapons cache destroyed', 'Seizure or destruction of stored weapons or explosives'),
    ('clash',             'Armed clash',         'Exchange of fire between armed groups'),
    ('arrest',            'Arrest',              'Detention or capture of a person'),
    ('explosion',         'Explosion',           'IED, landmine, car bomb or other explosion'),
    ('other',             'Other',               'Anything that fits no other type');

CREATE TABLE events (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    type                text NOT NULL REFERENCES event_types (code),
    title               text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    summary             text NOT NULL DEFAULT '' CHECK (length(summary) <= 20000),
    occurred_at         timestamptz NOT NULL,
    -- ACLED time_precision 1-3 map to day, week, month; exact is finer than ACLED goes.
    time_precision      text NOT NULL CHECK (time_precision IN ('exact', 'day', 'week', 'month')),
    geom                geometry(Geometry, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    -- ACLED geo_precision 1-3: exact = at the named place, town = near it, region = somewhere in an area.
    geo_precision       text NOT NULL CHECK (geo_precision IN ('exact', 'town', 'region')),
    place               text NOT NULL DEFAULT '',
    admin1              text NOT NULL DEFAULT '',
    country             text NOT NULL CHECK (country ~ '^[A-Z]{3}$'),
    -- NULL means unknown, which is not the same as zero.
    fatalities          integer CHECK (fatalities >= 0),
    civilian_fatalities integer CHECK (civilian_fatalities >= 0),
    status              text NOT NULL DEFAULT 'reported'
                        CHECK (status IN ('reported', 'corroborated', 'confirmed', 'disputed', 'retracted')),
    visibility          text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'restricted')),
    tags                text[] NOT NULL DEFAULT '{}',
    properties          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
    version             bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz,
    CHECK (civilian_fatalities IS NULL OR fatalities IS NULL OR civilian_fatalities <= fatalities)
);

-- Spatial filter. Queries transform the envelope, never the column, so this
-- index stays usable.
CREATE INDEX events_geom_idx ON events USING gist (geom) WHERE deleted_at IS NULL;
-- Default order and keyset paging: newest first, id as the tie-break.
CREATE INDEX events_occurred_at_idx ON events (occurred_at DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE actors (
    id   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 300)
);

CREATE TABLE event_actors (
    event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    actor_id uuid NOT NULL REFERENCES actors (id),
    role     text NOT NULL CHECK (role IN ('perpetrator', 'target', 'victim', 'partner', 'reporter')),
    position smallint NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, actor_id, role)
);
CREATE INDEX event_actors_actor_idx ON event_actors (actor_id);

CREATE TABLE sources (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url          text NOT NULL UNIQUE CHECK (url ~ '^https?://'),
    publisher    text NOT NULL DEFAULT '',
    title        text NOT NULL DEFAULT '',
    published_at timestamptz,
    reliability  text CHECK (reliability IN ('high', 'medium', 'low', 'unknown'))
);

CREATE TABLE event_sources (
    event_id  uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    source_id uuid NOT NULL REFERENCES sources (id),
    excerpt   text NOT NULL DEFAULT '',
    position  smallint NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, source_id)
);
CREATE INDEX event_sources_source_idx ON event_sources (source_id);

-- Append-only history: one row per accepted write, holding the Feature as
-- it was served after that write, so "as of" reads return exactly that.
CREATE TABLE event_revisions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    uuid NOT NULL REFERENCES events (id),
    version     bigint NOT NULL,
    snapshot    jsonb NOT NULL,
    editor      text NOT NULL,
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, version)
);

CREATE TABLE regions (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_-]{1,60}$'),
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    approximate boolean NOT NULL DEFAULT true
);
CREATE INDEX regions_geom_idx ON regions USING gist (geom);

-- +goose Down
DROP TABLE regions;
DROP TABLE event_revisions;
DROP TABLE event_sources;
DROP TABLE sources;
DROP TABLE event_actors;
DROP TABLE actors;
DROP TABLE events;
DROP TABLE event_types;
-- The postgis extension stays: other schemas in the database may use it.

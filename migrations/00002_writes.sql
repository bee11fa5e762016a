-- The write path: API tokens, idempotent POSTs, and what each revision did.
-- DESIGN.md §3 and §9.

-- +goose Up
-- Tokens are shown once at creation and only their SHA-256 is kept. The
-- public id is part of the token ("em_<id>_<secret>"), so a lookup is by id
-- and the secret is compared in constant time in Go.
CREATE TABLE api_tokens (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{8,32}$'),
    secret_hash bytea NOT NULL CHECK (length(secret_hash) = 32),
    role        text NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
    label       text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz
);

-- One row per (token, Idempotency-Key): the request's fingerprint and the
-- response it got, written in the same transaction as the event, so a retry
-- after a lost response gets that response and never a second event.
CREATE TABLE idempotency_keys (
    token_id    text NOT NULL REFERENCES api_tokens (id),
    key         text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    fingerprint bytea NOT NULL,
    status      integer NOT NULL,
    location    text NOT NULL DEFAULT '',
    etag        text NOT NULL DEFAULT '',
    body        bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- What a revision did: a delete keeps the last snapshot, so history and
-- "as of" reads can tell a deleted event from a changed one.
ALTER TABLE event_revisions
    ADD COLUMN action text NOT NULL DEFAULT 'update' CHECK (action IN ('create', 'update', 'delete'));
UPDATE event_revisions SET action = 'create' WHERE version = 1;
CREATE INDEX event_revisions_recorded_idx ON event_revisions (recorded_at);

-- +goose Down
DROP INDEX event_revisions_recorded_idx;
ALTER TABLE event_revisions DROP COLUMN action;
DROP TABLE idempotency_keys;
DROP TABLE api_tokens;

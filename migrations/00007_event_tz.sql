-- Each event's local time zone (the tz property, eventmap.Properties): a
-- UTC offset such as +03:00 or an IANA zone such as Asia/Damascus, so that
-- pages and the map show "03:00 UTC+03:00" for a raid reported at 3 a.m.
-- local time. occurred_at stays timestamptz (UTC); '' means unknown, and
-- times are then shown in UTC. The CHECK is the shape only: whether a zone
-- name exists is checked in Go (eventmap.ValidTZ, against the zone
-- database built into the binary), which PostgreSQL cannot do in a CHECK.
-- Existing events keep '' (their original offsets were not kept); every
-- served Feature gains the member when migrate rebuilds them (a new shape).

-- +goose Up
ALTER TABLE events ADD COLUMN tz text NOT NULL DEFAULT ''
    CHECK (tz = '' OR (length(tz) <= 64 AND tz ~ '^([+-](0[0-9]|1[0-4]):[0-5][0-9]|[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*)$'));

-- +goose Down
ALTER TABLE events DROP COLUMN tz;

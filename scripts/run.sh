#!/usr/bin/env bash
# `make run`: start eventmap with the sample events and print the map URL.
# Without DATABASE_URL it uses the project's own PostGIS (scripts/pg.sh),
# installing and starting it on first use. A second start is fast: the
# cluster is already there and the sample data is only loaded once.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DATABASE_URL:-}" ]; then
	bash scripts/pg.sh ensure
	DATABASE_URL="$(bash scripts/pg.sh url)"
	export DATABASE_URL
fi

echo "run: building bin/eventmap" >&2
go build -o bin/eventmap ./cmd/eventmap
bin/eventmap demo-data
exec bin/eventmap serve "$@"

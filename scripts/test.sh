#!/usr/bin/env bash
# `make test`: the whole suite, as CI runs it (.ci/run calls `make test`).
# Everything runs against real parts: the project's PostGIS, Debian's
# Chromium driven by playwright-core, and the real eventmap binary.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/pg.sh ensure
bash scripts/test-deps.sh
EVENTMAP_TEST_DATABASE_URL="$(bash scripts/pg.sh url postgres)"
export EVENTMAP_TEST_DATABASE_URL

echo "test: gofmt and go vet" >&2
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
if [ -n "$unformatted" ]; then
	echo "test: gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...

echo "test: go test" >&2
# -count=1: results depend on the database, never reuse cached passes.
# -race: handlers, streaming and the pool run concurrently; catch data races.
go test -count=1 -race -timeout 20m "$@" ./...

echo "test: a short fuzz run of every parser of outside input" >&2
FUZZTIME=${FUZZTIME:-3s} bash scripts/fuzz.sh

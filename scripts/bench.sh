#!/usr/bin/env bash
# scripts/bench.sh: `make bench`. Brings up the project's PostGIS (unless
# EVENTMAP_BENCH_DATABASE_URL names a server to use), builds eventmap and
# the bench program, and runs it; extra arguments go to eventmap-bench
# (-events, -duration, -clients, -reload, -cluster, ...; see README "Speed").
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

if [[ -z ${EVENTMAP_BENCH_DATABASE_URL:-} ]]; then
	bash scripts/pg.sh ensure
	EVENTMAP_BENCH_DATABASE_URL=$(bash scripts/pg.sh url postgres)
	export EVENTMAP_BENCH_DATABASE_URL
fi
# Chromium, playwright-core (the map in a browser), ogrinfo: the same
# installs as the tests', done only when missing. Without them on a fresh
# machine the browser phase failed with "Cannot find package".
bash scripts/test-deps.sh
mkdir -p bin
go build -o bin/eventmap ./cmd/eventmap
go build -o bin/eventmap-bench ./cmd/eventmap-bench
commit=$(git rev-parse --short HEAD 2>/dev/null || echo dev)
if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
	commit+=-dirty
fi
exec bin/eventmap-bench -bin bin/eventmap -commit "$commit" "$@"

#!/usr/bin/env bash
# Run every fuzz target for FUZZTIME each (default 1m). `make test` runs it
# with a few seconds per target; `make fuzz FUZZTIME=5m` for a longer hunt.
# A failing input is written under the package's testdata/fuzz/ and fails
# the run; commit it with the fix so it stays a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-1m}

# package target
targets=(
	". FuzzDecodeFeature"
	"./geo FuzzParseBBox"
	"./geo FuzzParseBBoxIn"
	"./geo FuzzParseDatetime"
	"./geo FuzzParseGeometry"
	"./cql2 FuzzParseText"
	"./cql2 FuzzParseJSON"
	"./exchange FuzzReadACLEDCSV"
	"./store FuzzDecodeCursor"
	"./store FuzzValidateGeometry" # needs EVENTMAP_TEST_DATABASE_URL (PostGIS)
)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	if ! go test "$pkg" -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" >"$log" 2>&1; then
		cat "$log" >&2
		echo "fuzz: $pkg $name FAILED" >&2
		exit 1
	fi
	echo "fuzz: $pkg $name: $(grep -o 'execs: [0-9]*' "$log" | tail -n 1) in $FUZZTIME" >&2
done

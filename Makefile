# The two commands a new user needs:
#   make run    start the service with the sample events and the map
#   make test   run the whole test suite (what CI runs)
# Both bring up the project's own PostGIS under .data/pg when needed.

.PHONY: run test build vet bench bench-go chaos fuzz db db-stop db-url token vendor-js clean

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh

build:
	go build -o bin/eventmap ./cmd/eventmap

vet:
	gofmt -l . | tee /dev/stderr | (! read)
	go vet ./...

# The performance benchmark (README, "Speed"): 1 M synthetic events, the
# real server and export, each measured as a ratio against a baseline from
# the same run (pgbench, page 1, 10 k rows, ...); the table goes to
# bench/results/. Knobs: make bench BENCH_ARGS='-duration 30s -cluster'.
BENCH_ARGS ?=
bench:
	bash scripts/bench.sh $(BENCH_ARGS)

# The Go benchmarks (import, export, writes), each paired with the same
# work done directly in PostgreSQL: read them as ratios from one run.
BENCHTIME ?= 3s
bench-go:
	bash scripts/pg.sh ensure
	EVENTMAP_TEST_DATABASE_URL="$$(bash scripts/pg.sh url postgres)" go test -run '^$$' -bench . -benchtime $(BENCHTIME) ./...

# The durability scenario in full: 50 writers for 60 s while PostgreSQL is
# stopped, crashed and the server restarted (make test runs a short form).
chaos:
	bash scripts/pg.sh ensure
	EVENTMAP_CHAOS=long EVENTMAP_TEST_DATABASE_URL="$$(bash scripts/pg.sh url postgres)" go test -count=1 -run TestWritesSurviveRestarts -v -timeout 15m ./e2e

# Longer fuzzing of the input parsers than the seed-corpus run in `make test`.
FUZZTIME ?= 1m
fuzz:
	bash scripts/pg.sh ensure
	EVENTMAP_TEST_DATABASE_URL="$$(bash scripts/pg.sh url postgres)" FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

db:
	@bash scripts/pg.sh ensure && bash scripts/pg.sh status

db-stop:
	@bash scripts/pg.sh stop

db-url:
	@bash scripts/pg.sh url

# An API token for the local server, printed once on stdout:
#   make token ROLE=editor LABEL="Jane Monitor"
# Without DATABASE_URL it is stored in the private PostGIS (started if
# needed), which the command finds by itself (docs/configuration.md).
ROLE ?= editor
LABEL ?= local $(ROLE) (make token)
token:
	@[ -n "$$DATABASE_URL" ] || bash scripts/pg.sh ensure
	@PWD='$(CURDIR)' go run ./cmd/eventmap token create --role '$(ROLE)' --label '$(LABEL)'

vendor-js:
	bash scripts/vendor-js.sh

clean:
	rm -rf bin .artifacts

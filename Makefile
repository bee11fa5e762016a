# The two commands a new user needs:
#   make run    start the service with the sample events and the map
#   make test   run the whole test suite (what CI runs)
# Both bring up the project's own PostGIS under .data/pg when needed.

.PHONY: run test build vet bench chaos fuzz db db-stop db-url vendor-js clean

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh

build:
	go build -o bin/eventmap ./cmd/eventmap

vet:
	gofmt -l . | tee /dev/stderr | (! read)
	go vet ./...

# Benchmarks against the project's PostGIS. Each benchmark pairs what the
# API does with the same work done directly in PostgreSQL, so read the
# figures as ratios from one run; the machine's load moves both alike.
BENCHTIME ?= 3s
bench:
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

vendor-js:
	bash scripts/vendor-js.sh

clean:
	rm -rf bin .artifacts

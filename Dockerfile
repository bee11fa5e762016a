# syntax=docker/dockerfile:1
#
# eventmap: one static binary (migrations and the Leaflet map are embedded).
#   docker build -t eventmap .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=postgres://... eventmap
# See compose.yaml for a complete local stack (PostGIS + demo data + app).

# ---- build ------------------------------------------------------------------
# Runs on the build host's platform and cross-compiles (CGO is off), so
# `docker buildx build --platform linux/arm64 .` needs no emulation.
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
WORKDIR /src

# Dependencies first: this layer is reused until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags='-s -w' -o /out/eventmap ./cmd/eventmap

# ---- runtime ----------------------------------------------------------------
# No shell, no libc, no package manager; runs as uid/gid 65532 ("nonroot").
FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="eventmap" \
      org.opencontainers.image.description="Geospatial conflict-event API (OGC API Features) and map"

COPY --from=build /out/eventmap /eventmap

ENV EVENTMAP_ADDR=:8080
USER nonroot:nonroot
EXPOSE 8080

# `eventmap healthcheck` GETs http://127.0.0.1:<port of EVENTMAP_ADDR>/healthz and
# exits 0 on 200 (exec form: distroless has no shell or curl).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/eventmap", "healthcheck"]

ENTRYPOINT ["/eventmap"]
CMD ["serve"]

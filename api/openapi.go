package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"eventmap"
	"eventmap/geo"
	"eventmap/store"
)

// openAPIType is the media type OGC API - Features requires for /api.
const openAPIType = "application/vnd.oai.openapi+json;version=3.0"

// obj keeps the document below readable; it is only ever marshalled.
type obj = map[string]any

func ref(kind, name string) obj { return obj{"$ref": "#/components/" + kind + "/" + name} }

func refs(kind string, names ...string) []any {
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = ref(kind, n)
	}
	return out
}

// apiParameters are defined once and referenced by name from each
// operation. To document a new items parameter (sortby, filter, crs, …),
// add it here and its name to itemsParamRefs.
func (s *Server) apiParameters() obj {
	return obj{
		"bbox": obj{
			"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "minLon,minLat,maxLon,maxLat (WGS 84, CRS84), or 6 numbers with heights. " +
				"A west value greater than the east value crosses the antimeridian. Features whose geometry intersects the box are returned.",
			"schema": obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}},
		},
		"datetime": obj{
			"name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "An RFC 3339 instant with a time zone, a date (the whole UTC day), or an interval start/end " +
				"with '..' or an empty side for an open end; ends are inclusive. Compared with occurred_at.",
			"schema": obj{"type": "string"},
		},
		"limit": obj{
			"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Page size. Values above the maximum are clamped to it, not refused.",
			"schema":      obj{"type": "integer", "minimum": 1, "maximum": s.cfg.MaxLimit, "default": s.cfg.DefaultLimit},
		},
		"offset": obj{
			"name": "offset", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Skip this many features (0 to " + fmt.Sprint(store.MaxOffset) + "), for clients that page by offset; the next and prev links use cursors, which cost the same on every page. Not with cursor.",
			"schema":      obj{"type": "integer", "minimum": 0, "maximum": store.MaxOffset, "default": 0},
		},
		"cursor": obj{
			"name": "cursor", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Opaque keyset cursor; take it from the next link as given.",
			"schema":      obj{"type": "string"},
		},
		"fItems": fParam("json", "html", "csv", "geojson"),
		"fDoc":   fParam("json", "html"),
		"fJSON":  fParam("json"),
		"bbox-crs": obj{
			"name": "bbox-crs", "in": "query", "required": false,
			"description": "The CRS of the bbox numbers (OGC API - Features Part 2). EPSG:4326 takes latitude first; EPSG:3857 takes metres.",
			"schema":      obj{"type": "string", "format": "uri", "enum": geo.CRSURIs(), "default": geo.CRS84.URI},
		},
		"crs": obj{
			"name": "crs", "in": "query", "required": false,
			"description": "The CRS of the returned geometries (OGC API - Features Part 2); the Content-Crs header names it. The safe CURIEs [OGC:CRS84], [EPSG:4326] and [EPSG:3857] are accepted too.",
			"schema":      obj{"type": "string", "default": geo.CRS84.URI},
		},
		"sortby": obj{
			"name": "sortby", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Comma-separated sort keys, each with - for descending or + (or nothing) for ascending; ties are broken by id. Default -occurred_at. Unknown fatality counts sort last.",
			"schema":      obj{"type": "array", "items": obj{"type": "string", "pattern": "^[+-]?(" + strings.Join(store.SortKeys(), "|") + ")$"}},
		},
		"type": obj{
			"name": "type", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Event types, comma-separated; an event matches any of them.",
			"schema":      obj{"type": "array", "items": obj{"type": "string", "enum": eventmap.EventTypes}},
		},
		"status": obj{
			"name": "status", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Statuses, comma-separated; an event matches any of them.",
			"schema":      obj{"type": "array", "items": obj{"type": "string", "enum": eventmap.Statuses}},
		},
		"country": obj{
			"name": "country", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "ISO 3166-1 alpha-3 codes, comma-separated, any case.",
			"schema":      obj{"type": "array", "items": obj{"type": "string", "pattern": "^[A-Za-z]{3}$"}},
		},
		"actor": obj{
			"name": "actor", "in": "query", "required": false,
			"description": "Events linked to an actor of exactly this name, in any role, ignoring case.",
			"schema":      obj{"type": "string", "maxLength": 300},
		},
		"q": obj{
			"name": "q", "in": "query", "required": false,
			"description": "Text search: every word must appear in the title, summary or place, ignoring case.",
			"schema":      obj{"type": "string", "maxLength": 200},
		},
		"region": obj{
			"name": "region", "in": "query", "required": false,
			"description": "Events whose geometry intersects the named region (e.g. badiya); an unknown region is a 400.",
			"schema":      obj{"type": "string", "maxLength": 64},
		},
		"filter": obj{
			"name": "filter", "in": "query", "required": false,
			"description": "A CQL2 filter (OGC API - Features Part 3) over the properties in the collection's queryables: comparisons of a property with a value or another property, AND/OR/NOT, IS NULL, LIKE, BETWEEN, IN, S_INTERSECTS(geometry, WKT or BBOX(...)) and T_INTERSECTS(occurred_at, INTERVAL(...)). Anything else is a 400 naming filter.",
			"schema":      obj{"type": "string", "maxLength": 8192},
		},
		"filter-lang": obj{
			"name": "filter-lang", "in": "query", "required": false,
			"description": "How filter is written.",
			"schema":      obj{"type": "string", "enum": []string{"cql2-text", "cql2-json"}, "default": "cql2-text"},
		},
		"filter-crs": obj{
			"name": "filter-crs", "in": "query", "required": false,
			"description": "The CRS of geometries in filter; only CRS84.",
			"schema":      obj{"type": "string", "enum": []string{geo.CRS84.URI}, "default": geo.CRS84.URI},
		},
		"updatedSince": obj{
			"name": "updated_since", "in": "query", "required": false,
			"description": "An RFC 3339 date-time: only events created or changed at or after it (their updated_at). With /collections/events/deletions, keeps a mirror current.",
			"schema":      obj{"type": "string", "format": "date-time"},
		},
		"asOf": obj{
			"name": "as_of", "in": "query", "required": false,
			"description": "An RFC 3339 date-time: the event as it was served then, from its revision history (404 if it did not exist yet or was deleted by then).",
			"schema":      obj{"type": "string", "format": "date-time"},
		},
		"ifMatch": obj{
			"name": "If-Match", "in": "header", "required": true,
			"description": `The ETag of the version the change is based on, e.g. "3". Missing: 428; stale: 412 and nothing changes.`,
			"schema":      obj{"type": "string"},
		},
		"idempotencyKey": obj{
			"name": "Idempotency-Key", "in": "header", "required": false,
			"description": "1-255 printable ASCII characters. The same key and body from the same token within the idempotency TTL (default 24 h) returns the first response (Idempotent-Replayed: true) and creates nothing; the same key with another body is a 422.",
			"schema":      obj{"type": "string", "minLength": 1, "maxLength": 255},
		},
		"editReason": obj{
			"name": "X-Edit-Reason", "in": "header", "required": false,
			"description": "Why the change is made, kept in the revision history. Required to change a public event (or give an edit_reason property).",
			"schema":      obj{"type": "string", "maxLength": 2000},
		},
		"clustersBbox": obj{
			"name": "bbox", "in": "query", "required": true, "style": "form", "explode": false,
			"description": "The view: minLon,minLat,maxLon,maxLat (CRS84 unless bbox-crs says otherwise). At the given zoom it may span at most 8192 pixels a side.",
			"schema":      obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}},
		},
		"zoom": obj{
			"name": "zoom", "in": "query", "required": true,
			"description": "The map zoom (256-pixel Web Mercator tiles) the cells are sized for: each cell is 64 pixels square at this zoom.",
			"schema":      obj{"type": "integer", "minimum": 0, "maximum": maxZoom},
		},
		"fDownload": obj{
			"name": "f", "in": "query", "required": false,
			"description": "The file's format: a GeoJSON FeatureCollection (with the citation in its eventmap member), ACLED-style CSV (the columns of `eventmap export --format csv`) or one Feature per line.",
			"schema":      obj{"type": "string", "enum": []string{"geojson", "csv", "ndjson"}, "default": "geojson"},
		},
		"interval": obj{
			"name": "interval", "in": "query", "required": false,
			"description": "The period each bucket counts, in UTC; weeks start on Monday.",
			"schema":      obj{"type": "string", "enum": store.HistogramIntervals, "default": "month"},
		},
		"tileMatrixSetId": obj{
			"name": "tileMatrixSetId", "in": "path", "required": true,
			"description": "The tile matrix set; the events are tiled in WebMercatorQuad only.",
			"schema":      obj{"type": "string", "enum": []string{tileMatrixSetID}},
		},
		"tileMatrix": obj{
			"name": "tileMatrix", "in": "path", "required": true,
			"description": "The zoom level (z). Outside 0-" + fmt.Sprint(maxTileZoom) + ": 404; not a number: 400.",
			"schema":      obj{"type": "integer", "minimum": 0, "maximum": maxTileZoom},
		},
		"tileRow": obj{
			"name": "tileRow", "in": "path", "required": true,
			"description": "The row (y), from 0 at the north edge to 2^tileMatrix - 1; outside: 404.",
			"schema":      obj{"type": "integer", "minimum": 0},
		},
		"tileCol": obj{
			"name": "tileCol", "in": "path", "required": true,
			"description": "The column (x), from 0 at 180°W to 2^tileMatrix - 1; outside: 404.",
			"schema":      obj{"type": "integer", "minimum": 0},
		},
		"fTileset": fParam("json", "tilejson"),
		"fTile":    fParam("mvt"),
		"featureId": obj{
			"name": "featureId", "in": "path", "required": true,
			"description": "The event id (a UUID).",
			"schema":      obj{"type": "string"},
		},
	}
}

func fParam(formats ...string) obj {
	return obj{
		"name": "f", "in": "query", "required": false, "style": "form", "explode": false,
		"description": "Output format; wins over the Accept header. Any other value is a 400.",
		"schema":      obj{"type": "string", "enum": formats, "default": formats[0]},
	}
}

// filterParamRefs are the items parameters that select events, which the
// clusters and histogram endpoints take too (filterParams in params.go).
var filterParamRefs = []string{"bbox-crs", "datetime", "type", "status", "country", "actor", "q", "region", "asOf",
	"updatedSince", "filter", "filter-lang", "filter-crs"}

// itemsParamRefs are the parameters of GET /collections/events/items.
var itemsParamRefs = []string{"bbox", "bbox-crs", "datetime", "limit", "offset", "cursor", "sortby", "crs",
	"type", "status", "country", "actor", "q", "region", "asOf", "updatedSince", "filter", "filter-lang", "filter-crs", "fItems"}

func problemResponse(desc string) obj {
	return obj{"description": desc, "content": obj{"application/problem+json": obj{"schema": ref("schemas", "Problem")}}}
}

func apiResponses() obj {
	return obj{
		"InvalidParameter": problemResponse("A parameter is unknown, given twice or breaks its rule; errors[] names the field and the rule."),
		"NotFound":         problemResponse("No such resource, or one the caller may not see."),
		"Unavailable": obj{
			"description": "The database is unreachable, not migrated, or the query ran out of time.",
			"headers":     obj{"Retry-After": obj{"schema": obj{"type": "integer"}, "description": "seconds to wait (when the database is unreachable)"}},
			"content":     obj{"application/problem+json": obj{"schema": ref("schemas", "Problem")}},
		},
		"ServerError": problemResponse("An unexpected failure; the server log holds the details under the request id."),
		"InvalidBody": problemResponse("The body, a header or a property breaks a rule; errors[] names each field and rule. Nothing was changed."),
		"Unauthorized": obj{
			"description": "No token, or one that is unknown, revoked or expired.",
			"headers":     obj{"WWW-Authenticate": obj{"schema": obj{"type": "string"}}},
			"content":     obj{"application/problem+json": obj{"schema": ref("schemas", "Problem")}},
		},
		"Forbidden":            problemResponse("The token's role does not allow this (reader < editor < admin)."),
		"Stale":                problemResponse("If-Match names a version that is no longer current; nothing was changed."),
		"TooLarge":             problemResponse("The body is larger than the configured maximum."),
		"UnsupportedMediaType": problemResponse("The body's Content-Type is not one this operation reads."),
		"Unprocessable":        problemResponse("PostGIS finds the geometry invalid (the reason is given), or an Idempotency-Key was reused with another body."),
		"PreconditionRequired": problemResponse("If-Match is missing."),
	}
}

// writeOp is one write operation (OGC API - Features Part 4); all need a
// bearer token and answer the same family of problems.
func writeOp(id, summary string, params []string, body obj, ok string, okResp obj, extra ...string) obj {
	o := obj{"operationId": id, "summary": summary, "tags": []string{"Editing"},
		"security": []any{obj{"bearerAuth": []string{}}}}
	if len(params) > 0 {
		o["parameters"] = refs("parameters", params...)
	}
	if body != nil {
		o["requestBody"] = body
	}
	responses := obj{
		ok:    okResp,
		"400": ref("responses", "InvalidBody"),
		"401": ref("responses", "Unauthorized"),
		"403": ref("responses", "Forbidden"),
		"500": ref("responses", "ServerError"),
		"503": ref("responses", "Unavailable"),
	}
	for _, code := range extra {
		responses[code] = ref("responses", map[string]string{
			"404": "NotFound", "412": "Stale", "413": "TooLarge", "415": "UnsupportedMediaType",
			"422": "Unprocessable", "428": "PreconditionRequired"}[code])
	}
	o["responses"] = responses
	return o
}

// with adds operations for other methods to a path item.
// withParams sets an operation's query parameters that are its own alone.
func withParams(o obj, params []any) obj {
	o["parameters"] = params
	return o
}

func with(item obj, method string, operation obj) obj {
	item[method] = operation
	return item
}

func content(types ...any) obj {
	out := obj{}
	for i := 0; i+1 < len(types); i += 2 {
		out[types[i].(string)] = obj{"schema": types[i+1]}
	}
	return out
}

var htmlSchema = obj{"type": "string"}

// op is one GET operation. Every operation lists its 400 and 500; the ones
// that read the database also list 503.
func op(id, summary, tag string, params []string, ok obj, extra obj) obj {
	o := obj{"operationId": id, "summary": summary, "tags": []string{tag}}
	if len(params) > 0 {
		o["parameters"] = refs("parameters", params...)
	}
	responses := obj{"500": ref("responses", "ServerError")}
	if ok != nil {
		responses["200"] = ok
	}
	if len(params) > 0 {
		responses["400"] = ref("responses", "InvalidParameter")
	}
	for k, v := range extra {
		responses[k] = v
	}
	o["responses"] = responses
	return obj{"get": o}
}

// featureBody is the request body of POST and PUT: one GeoJSON Feature.
var featureBody = obj{"required": true, "content": obj{
	geoJSON:            obj{"schema": ref("schemas", "FeatureInput")},
	"application/json": obj{"schema": ref("schemas", "FeatureInput")}}}

func storedFeature(desc string) obj {
	return obj{"description": desc,
		"headers": obj{"ETag": obj{"schema": obj{"type": "string"}}},
		"content": content(geoJSON, ref("schemas", "Feature"))}
}

func okResponse(desc string, c obj) obj { return obj{"description": desc, "content": c} }

// openAPIDocument describes every route in routes.go except the map's
// static files and the problem-type pages. TestOpenAPICoversEveryRoute
// keeps the two in step.
func (s *Server) openAPIDocument(c echo.Context) obj {
	unavailable := obj{"503": ref("responses", "Unavailable")}
	paths := obj{
		"/": op("getLandingPage", "Landing page: links to the API definition, conformance and data", "Capabilities", []string{"fDoc"},
			okResponse("The landing page", content("application/json", ref("schemas", "LandingPage"), "text/html", htmlSchema)),
			obj{"303": obj{"description": "A browser (Accept: text/html, no f) is sent to the map at /map/.",
				"headers": obj{"Location": obj{"schema": obj{"type": "string"}}}}}),
		"/conformance": op("getConformance", "The conformance classes this server implements", "Capabilities", []string{"fDoc"},
			okResponse("The conformance declaration", content("application/json", ref("schemas", "Conformance"), "text/html", htmlSchema)), nil),
		"/api": op("getAPI", "This API definition (OpenAPI 3.0)", "Capabilities", []string{"fDoc"},
			okResponse("The API definition", content(openAPIType, obj{"type": "object"}, "text/html", htmlSchema)), nil),
		"/api.html": op("getAPIDocumentation", "This API definition as a web page", "Capabilities", nil,
			okResponse("The API documentation", content("text/html", htmlSchema)), nil),
		"/collections": op("getCollections", "The feature collections: events, events-points, events-areas, regions", "Capabilities", []string{"fDoc"},
			okResponse("The collections", content("application/json", ref("schemas", "Collections"), "text/html", htmlSchema)), unavailable),
		"/collections/events/items/{featureId}/revisions": op("getEventRevisions", "Every accepted write to the event, oldest first, with what changed from the version before (f=html: the history page, newest first)", "Data", []string{"featureId", "fDoc"},
			okResponse("The history; editor names only for token holders, versions restricted at the time only for them", content("application/json", ref("schemas", "Revisions"), "text/html", htmlSchema)),
			obj{"404": ref("responses", "NotFound"), "503": ref("responses", "Unavailable")}),
		"/collections/events/deletions": op("getEventDeletions", "Events deleted since a time, oldest first, in pages linked by next (for mirrors)", "Data", nil,
			okResponse("Deleted events: id, external_id and deleted_at", content("application/json", obj{"type": "object",
				"required": []string{"deletions", "numberReturned", "links"},
				"properties": obj{
					"deletions": obj{"type": "array", "items": obj{"type": "object", "required": []string{"id", "deleted_at"},
						"properties": obj{"id": obj{"type": "string", "format": "uuid"}, "external_id": obj{"type": "string", "nullable": true},
							"deleted_at": obj{"type": "string", "format": "date-time"}}}},
					"numberReturned": obj{"type": "integer"}, "timeStamp": obj{"type": "string", "format": "date-time"},
					"links": obj{"type": "array", "items": obj{"type": "object"}},
				}})),
			obj{"400": ref("responses", "InvalidParameter"), "503": ref("responses", "Unavailable")}),
		"/collections/events/import": obj{"post": withParams(writeOp("importEvents", "Import a file of events: ACLED CSV, GeoJSON FeatureCollection or one Feature per line (role editor)", nil,
			obj{"required": true, "content": obj{
				"text/csv":                 obj{"schema": obj{"type": "string"}},
				geoJSON:                    obj{"schema": ref("schemas", "FeatureCollection")},
				"application/geo+json-seq": obj{"schema": obj{"type": "string"}},
				"application/x-ndjson":     obj{"schema": obj{"type": "string"}},
			}},
			"200", okResponse("The import report: rows read, created, updated, unchanged, rejected (with line, field and rule)", content("application/json", obj{"type": "object"})),
			"413", "415", "422"), []any{
			obj{"name": "Prefer", "in": "header", "required": false,
				"description": "respond-async: answer 202 Accepted as soon as the whole file is received, and import it in the background; GET the Location for progress and, in the end, the report (RFC 7240)",
				"schema":      obj{"type": "string", "example": "respond-async"}},
			obj{"name": "dry_run", "in": "query", "required": false, "description": "check and count everything, write nothing", "schema": obj{"type": "boolean", "default": false}},
			obj{"name": "skip_invalid", "in": "query", "required": false, "description": "import the valid rows when some are rejected (default: any rejected row means nothing is imported, 422)", "schema": obj{"type": "boolean", "default": false}},
			obj{"name": "filename", "in": "query", "required": false, "description": "the file's name, recorded as the reason of every revision the import writes", "schema": obj{"type": "string", "maxLength": 200}},
		})},
		jobsPath + "/{jobId}": with(op("getImportJob",
			"A background import (POST /collections/events/import with Prefer: respond-async): its state, rows and bytes read, rate, and in the end the report or the problem. Kept in the server's memory for an hour after it ends; a restart forgets it (and rolls back an import running). Only for the token that started it, or an admin.", "Editing", nil,
			okResponse("The job", content("application/json", ref("schemas", "ImportJob"))),
			obj{"401": ref("responses", "Unauthorized"), "403": ref("responses", "Forbidden"), "404": ref("responses", "NotFound")}),
			"delete", obj{"operationId": "cancelImportJob", "summary": "Cancel a background import: it rolls back and nothing of it is written (a finished job is left as it is)",
				"tags": []string{"Editing"}, "security": []any{obj{"bearerAuth": []string{}}},
				"responses": obj{"200": okResponse("The job, canceled (or finished before the cancel)", content("application/json", ref("schemas", "ImportJob"))),
					"401": ref("responses", "Unauthorized"), "403": ref("responses", "Forbidden"), "404": ref("responses", "NotFound"),
					"500": ref("responses", "ServerError")}}),
		"/collections/events/clusters": op("getEventClusters",
			"The events the items filters select, counted per 64-pixel grid cell at a zoom: how the map shows views with more events than a page", "Data",
			append([]string{"clustersBbox", "zoom"}, filterParamRefs...),
			obj{"description": "One Point feature per cell that holds events, at the mean position of its events; cells of one event carry its id. Strong ETag, Cache-Control max-age=60.",
				"headers": obj{"ETag": obj{"schema": obj{"type": "string"}}, "Cache-Control": obj{"schema": obj{"type": "string"}}},
				"content": content(geoJSON, ref("schemas", "ClusterCollection"))},
			obj{"304": obj{"description": "Not modified (If-None-Match)"}, "503": ref("responses", "Unavailable")}),
		"/collections/events/histogram": op("getEventHistogram",
			"How many of the events the items filters select happened in each period (UTC)", "Data",
			append([]string{"bbox", "interval"}, filterParamRefs...),
			obj{"description": "Periods that hold events, oldest first. Strong ETag, Cache-Control max-age=60.",
				"headers": obj{"ETag": obj{"schema": obj{"type": "string"}}, "Cache-Control": obj{"schema": obj{"type": "string"}}},
				"content": content("application/json", ref("schemas", "Histogram"))},
			obj{"304": obj{"description": "Not modified (If-None-Match)"}, "503": ref("responses", "Unavailable")}),
		downloadPath: op("downloadEvents",
			"Every public event the items filters select (all of them without filters), newest first, in one streamed file from one snapshot: no token, no paging. Restricted events are never included. Gzipped when the client accepts it. An expensive request: when the server already runs its limit of them, 503 with Retry-After", "Data",
			append([]string{"fDownload", "bbox"}, filterParamRefs...),
			obj{"description": "The file, as an attachment (Content-Disposition filename events.geojson, events.csv or events.ndjson). Eventmap-Dataset-Version and Eventmap-Exported-At cite the snapshot; a GeoJSON file carries the citation in its eventmap member too.",
				"headers": obj{"Content-Disposition": obj{"schema": obj{"type": "string"}},
					"Eventmap-Dataset-Version": obj{"schema": obj{"type": "integer"}},
					"Eventmap-Exported-At":     obj{"schema": obj{"type": "string", "format": "date-time"}}},
				"content": obj{
					geoJSON:                    obj{"schema": ref("schemas", "FeatureCollection")},
					"text/csv":                 obj{"schema": obj{"type": "string"}},
					"application/geo+json-seq": obj{"schema": obj{"type": "string"}},
				}},
			obj{"503": ref("responses", "Unavailable")}),
		"/healthz": op("getHealth", "Liveness: the process is up (does not touch the database)", "Operations", nil,
			okResponse("Up", content("application/json", ref("schemas", "Status"))), nil),
		"/readyz": op("getReadiness", "Readiness: the database answers and no migration is pending", "Operations", nil,
			okResponse("Ready", content("application/json", ref("schemas", "Status"))), unavailable),
		"/map": op("getMapRedirect", "Redirects to /map/, the Leaflet map", "Map", nil,
			nil, obj{"301": obj{"description": "to /map/", "headers": obj{"Location": obj{"schema": obj{"type": "string"}}}}}),
		"/map/config.json": op("getMapConfig", "The basemap settings of the map", "Map", nil,
			okResponse("Tile URL template (empty: offline outline only) and attribution", content("application/json", obj{
				"type":     "object",
				"required": []string{"tile_url", "tile_attribution"},
				"properties": obj{
					"tile_url":         obj{"type": "string"},
					"tile_attribution": obj{"type": "string"},
				},
			})), nil),
	}
	s.addCollectionPaths(paths)
	// The background import: 202 with the job's Location, and the job's
	// id in its path.
	paths["/collections/events/import"].(obj)["post"].(obj)["responses"].(obj)["202"] = obj{
		"description": "Prefer: respond-async was given: the file is received and will be imported; Location is the job (GET it for progress and the report). Preference-Applied: respond-async.",
		"headers": obj{"Location": obj{"schema": obj{"type": "string"}}, "Preference-Applied": obj{"schema": obj{"type": "string"}},
			"Retry-After": obj{"schema": obj{"type": "integer"}}},
		"content": content("application/json", ref("schemas", "ImportJob")),
	}
	paths[jobsPath+"/{jobId}"].(obj)["parameters"] = []any{obj{"name": "jobId", "in": "path", "required": true,
		"description": "the job's id, from the Location of the 202", "schema": obj{"type": "string"}}}
	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "eventmap",
			"version":     "1.0.0",
			"description": "Conflict events with their facts, actors, sources and precision, served through OGC API - Features (Part 1: Core). Every error is application/problem+json (RFC 9457).",
			"license":     obj{"name": "See the project repository"},
		},
		"servers": []any{obj{"url": s.absURL(c, "", nil), "description": "this server"}},
		"tags": []any{
			obj{"name": "Capabilities", "description": "What the server offers"},
			obj{"name": "Data", "description": "The events"},
			obj{"name": "Operations", "description": "Health checks for orchestrators"},
			obj{"name": "Map", "description": "The web map's settings"},
			obj{"name": "Tiles", "description": "The events as Mapbox Vector Tiles (OGC API - Tiles)"},
			obj{"name": "Editing", "description": "Writes, for holders of an API token (eventmap token create)"},
		},
		"paths": paths,
		"components": obj{
			"securitySchemes": obj{"bearerAuth": obj{"type": "http", "scheme": "bearer",
				"description": "A token from `eventmap token create`. Without one, only public events are readable."}},
			"parameters": s.apiParameters(),
			"responses":  apiResponses(),
			"schemas":    apiSchemas(),
		},
	}
}

// addCollectionPaths adds each collection's paths (collections.go):
// written out per collection rather than templated, as QGIS and GDAL read
// an items path's parameters by the collection's name.
func (s *Server) addCollectionPaths(paths obj) {
	notModified := obj{"description": "Not modified: the ETag given in If-None-Match is current"}
	cached := obj{"ETag": obj{"schema": obj{"type": "string"}, "description": "a validator for If-None-Match, weak for pages; -gzip marks a gzipped body"},
		"Cache-Control": obj{"schema": obj{"type": "string"}, "description": "public, max-age=10 for anonymous callers; private, no-cache with a token"},
		"Vary":          obj{"schema": obj{"type": "string"}}}
	for _, coll := range collections {
		base := coll.path()
		id := operationName(coll.ID)
		paths[base] = op("describe"+id+"Collection", "The "+coll.ID+" collection: extent and links", "Capabilities", []string{"fDoc"},
			obj{"description": "The collection", "headers": cached,
				"content": content("application/json", ref("schemas", "Collection"), "text/html", htmlSchema)},
			obj{"304": notModified, "503": ref("responses", "Unavailable")})
		paths[base+"/schema"] = op("get"+id+"Schema", "JSON Schema of the "+coll.ID+" features, with the geometry's format ("+coll.geometry+")", "Capabilities", []string{"fJSON"},
			okResponse("The schema", content("application/schema+json", obj{"type": "object"})), nil)
		paths[base+"/queryables"] = op("get"+id+"Queryables", "The properties a CQL2 filter on "+coll.ID+" may name (JSON Schema)", "Capabilities", []string{"fJSON"},
			okResponse("The queryables", content("application/schema+json", obj{"type": "object"})), nil)
		if coll.regions {
			paths[base+"/items"] = op("get"+id, "The named regions (the Badiya desert), usable as the events' region filter", "Data",
				[]string{"bbox", "bbox-crs", "limit", "offset", "crs", "filter", "filter-lang", "filter-crs", "fJSON"},
				obj{"description": "A page of regions, in id order; a region's id is the value of the region filter.", "headers": cached,
					"content": content(geoJSON, ref("schemas", "RegionCollection"))},
				obj{"304": notModified, "503": ref("responses", "Unavailable")})
			paths[base+"/items/{featureId}"] = op("get"+id+"Item", "One region", "Data", []string{"featureId", "fJSON", "crs"},
				obj{"description": "The region", "headers": cached, "content": content(geoJSON, ref("schemas", "RegionFeature"))},
				obj{"304": notModified, "404": ref("responses", "NotFound"), "503": ref("responses", "Unavailable")})
			continue
		}
		items := op("get"+id, coll.Title+", newest first, filtered by bbox, datetime, attributes and CQL2, in pages linked by next", "Data", itemsParamRefs,
			obj{"description": "A page of events. For text/html and text/csv the next page is in an RFC 8288 Link header.", "headers": cached,
				"content": content(geoJSON, ref("schemas", "FeatureCollection"), "text/html", htmlSchema, "text/csv", obj{"type": "string"})},
			obj{"304": notModified, "503": ref("responses", "Unavailable")})
		item := op("get"+id+"Item", "One event of "+coll.ID, "Data", []string{"featureId", "fDoc", "crs", "asOf"},
			obj{"description": "The event; its ETag is its version in the events collection as GeoJSON in CRS84, the version and a suffix otherwise.",
				"headers": cached, "content": content(geoJSON, ref("schemas", "Feature"), "text/html", htmlSchema)},
			obj{"304": notModified, "404": ref("responses", "NotFound"), "503": ref("responses", "Unavailable")})
		if coll.ID == "events" {
			items = with(items, "post", writeOp("createEvent", "Create an event (role editor)", []string{"idempotencyKey", "editReason"}, featureBody,
				"201", storedFeature("The stored event; Location names it, ETag is its version (1)."), "413", "415", "422"))
			item = with(with(with(item,
				"put", writeOp("replaceEvent", "Replace an event (role editor)", []string{"featureId", "ifMatch", "editReason"}, featureBody,
					"200", storedFeature("The stored event; ETag is its new version."), "404", "412", "413", "415", "422", "428")),
				"patch", writeOp("updateEvent", "Change part of an event with an RFC 7396 JSON merge patch (role editor)", []string{"featureId", "ifMatch", "editReason"},
					obj{"required": true, "content": obj{
						"application/merge-patch+json": obj{"schema": obj{"type": "object"}},
						"application/json":             obj{"schema": obj{"type": "object"}}}},
					"200", storedFeature("The stored event; ETag is its new version."), "404", "412", "413", "415", "422", "428")),
				"delete", writeOp("deleteEvent", "Delete an event (role admin): it leaves every read, its history stays", []string{"featureId", "ifMatch", "editReason"}, nil,
					"204", obj{"description": "Deleted."}, "404", "412", "428"))
		}
		paths[base+"/items"] = items
		paths[base+"/items/{featureId}"] = item
		tiles := base + "/tiles"
		paths[tiles] = op("get"+id+"Tilesets",
			"The vector tilesets of "+coll.ID+" (OGC API - Tiles): one, in WebMercatorQuad", "Tiles",
			append([]string{"fJSON", "bbox"}, filterParamRefs...),
			okResponse("The tilesets list; filters given here are carried into the tileset links", content("application/json", obj{"type": "object",
				"required":   []string{"tilesets", "links"},
				"properties": obj{"tilesets": obj{"type": "array", "items": obj{"type": "object"}}, "links": obj{"type": "array", "items": obj{"type": "object"}}}})),
			obj{"404": ref("responses", "NotFound")})
		paths[tiles+"/{tileMatrixSetId}"] = op("get"+id+"Tileset",
			"The "+coll.ID+" tileset: tile matrix set, limits, layer and the templated tile link (f=tilejson: TileJSON 3.0)", "Tiles",
			append([]string{"tileMatrixSetId", "fTileset", "bbox"}, filterParamRefs...),
			okResponse("Tileset metadata (OGC 2D Tile Matrix Set and Tileset Metadata 2.0), or TileJSON 3.0 with f=tilejson. Filters given here are carried into the tile URL template.",
				content("application/json", obj{"type": "object"})),
			obj{"404": ref("responses", "NotFound")})
		paths[tiles+"/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"] = op("get"+id+"Tile",
			"One Mapbox Vector Tile of the "+coll.ID+" the items filters select (layer events; clusters with a count above "+fmt.Sprint(store.TileFeatureCap)+" events)", "Tiles",
			append([]string{"tileMatrixSetId", "tileMatrix", "tileRow", "tileCol", "fTile", "bbox"}, filterParamRefs...),
			obj{"description": "The tile: layer events, properties id, type, status, geo_precision, title, occurred_at, fatalities (absent when unknown) and count. Strong ETag; Cache-Control public, max-age=60 (private with a token).",
				"headers": obj{"ETag": obj{"schema": obj{"type": "string"}}, "Cache-Control": obj{"schema": obj{"type": "string"}}},
				"content": content(mvtType, obj{"type": "string", "format": "binary"})},
			obj{"204": obj{"description": "No event on this tile"}, "304": notModified,
				"404": ref("responses", "NotFound"), "503": ref("responses", "Unavailable")})
	}
}

// operationName turns a collection id into a part of an operationId:
// events-points → EventsPoints.
func operationName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

func apiSchemas() obj {
	str := obj{"type": "string"}
	linkList := obj{"type": "array", "items": ref("schemas", "Link")}
	return obj{
		"Link": obj{
			"type": "object", "required": []string{"href", "rel"},
			"properties": obj{"href": str, "rel": str, "type": str, "title": str},
		},
		"LandingPage": obj{
			"type": "object", "required": []string{"links"},
			"properties": obj{"title": str, "description": str, "links": linkList},
		},
		"Conformance": obj{
			"type": "object", "required": []string{"conformsTo"},
			"properties": obj{"conformsTo": obj{"type": "array", "items": str}, "links": linkList},
		},
		"Collections": obj{
			"type": "object", "required": []string{"links", "collections"},
			"properties": obj{"links": linkList, "collections": obj{"type": "array", "items": ref("schemas", "Collection")}},
		},
		"Collection": obj{
			"type": "object", "required": []string{"id", "links"},
			"properties": obj{
				"id": str, "title": str, "description": str, "links": linkList,
				"itemType": obj{"type": "string", "enum": []string{"feature"}},
				"crs":      obj{"type": "array", "items": str},
				"extent": obj{"type": "object", "properties": obj{
					"spatial": obj{"type": "object", "properties": obj{
						"bbox": obj{"type": "array", "minItems": 1, "items": obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}},
						"crs":  str,
					}},
					"temporal": obj{"type": "object", "properties": obj{
						"interval": obj{"type": "array", "minItems": 1, "items": obj{"type": "array", "minItems": 2, "maxItems": 2,
							"items": obj{"type": "string", "format": "date-time", "nullable": true}}},
						"trs": str,
					}},
				}},
			},
		},
		"FeatureCollection": obj{
			"type": "object", "required": []string{"type", "features"},
			"properties": obj{
				"type":           obj{"type": "string", "enum": []string{"FeatureCollection"}},
				"features":       obj{"type": "array", "items": ref("schemas", "Feature")},
				"links":          linkList,
				"timeStamp":      obj{"type": "string", "format": "date-time"},
				"numberMatched":  obj{"type": "integer", "minimum": 0},
				"numberReturned": obj{"type": "integer", "minimum": 0},
			},
		},
		"Feature": obj{
			"type": "object", "required": []string{"type", "id", "geometry", "properties"},
			"properties": obj{
				"type":       obj{"type": "string", "enum": []string{"Feature"}},
				"id":         str,
				"geometry":   ref("schemas", "Geometry"),
				"properties": ref("schemas", "EventProperties"),
				"links":      linkList,
			},
		},
		"FeatureInput": obj{
			"type": "object", "required": []string{"type", "geometry", "properties"},
			"description": "An event to write. id, version, created_at, updated_at and editor are the server's: sending them is a 400 (a PUT may repeat the event's own id).",
			"properties": obj{
				"type":       obj{"type": "string", "enum": []string{"Feature"}},
				"id":         str,
				"geometry":   ref("schemas", "Geometry"),
				"properties": obj{"type": "object"},
			},
		},
		"Revisions": obj{
			"type": "object", "required": []string{"event_id", "revisions", "links"},
			"properties": obj{
				"event_id": str,
				"links":    linkList,
				"revisions": obj{"type": "array", "items": obj{
					"type": "object", "required": []string{"version", "action", "recorded_at", "reason", "patch_from", "patch", "changes", "feature"},
					"properties": obj{
						"version":     obj{"type": "integer"},
						"action":      obj{"type": "string", "enum": []string{"create", "update", "delete"}},
						"recorded_at": obj{"type": "string", "format": "date-time"},
						"reason":      str,
						"editor":      obj{"type": "string", "nullable": true},
						"patch_from": obj{"type": "integer", "nullable": true,
							"description": "the version patch applies to: the previous one the caller may see (null for the first)"},
						"patch": obj{"type": "object", "nullable": true,
							"description": "RFC 7396 JSON merge patch from the Feature of version patch_from to this one (null for the first). A property that became null is a null member, which a merge patch reads as removed: for event properties absent and null both mean unknown."},
						"changes": obj{"type": "array", "description": "what changed from version patch_from, worded for people (the history page and the map show these)",
							"items": obj{"type": "object", "required": []string{"property", "label"},
								"properties": obj{
									"property": obj{"type": "string", "description": "property name, or geometry"},
									"label":    str,
									"old":      obj{"type": "string", "description": "the value before, as shown (unknown for a count not known)"},
									"new":      obj{"type": "string"},
									"diff": obj{"type": "array", "description": "word diff of old to new, for titles and summaries",
										"items": obj{"type": "object", "required": []string{"op", "text"},
											"properties": obj{"op": obj{"type": "string", "enum": []string{"=", "-", "+"}}, "text": str}}},
									"added":    obj{"type": "array", "items": str},
									"removed":  obj{"type": "array", "items": str},
									"changed":  obj{"type": "array", "items": str, "description": "sources whose excerpt or details changed"},
									"moved_km": obj{"type": "number", "description": "how far the geometry's centre moved (great circle)"},
								}}},
						"feature": ref("schemas", "Feature"),
					},
				}},
			},
		},
		"Geometry": obj{
			"type": "object", "required": []string{"type"},
			"description": "An RFC 7946 geometry in WGS 84 longitude/latitude.",
			"properties": obj{
				"type":        obj{"type": "string", "enum": []string{"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}},
				"coordinates": obj{"type": "array", "items": obj{}},
				"geometries":  obj{"type": "array", "items": ref("schemas", "Geometry")},
			},
		},
		"ClusterCollection": obj{
			"type": "object", "required": []string{"type", "zoom", "cellPixels", "numberMatched", "numberReturned", "features", "links"},
			"properties": obj{
				"type":           obj{"type": "string", "enum": []string{"FeatureCollection"}},
				"zoom":           obj{"type": "integer"},
				"cellPixels":     obj{"type": "integer"},
				"numberMatched":  obj{"type": "integer", "minimum": 0, "description": "the events counted: the sum of the counts"},
				"numberReturned": obj{"type": "integer", "minimum": 0, "description": "the cells returned"},
				"links":          linkList,
				"features": obj{"type": "array", "items": obj{
					"type": "object", "required": []string{"type", "bbox", "geometry", "properties"},
					"properties": obj{
						"type": obj{"type": "string", "enum": []string{"Feature"}},
						"id":   obj{"type": "string", "description": "the event's id, for cells of one event"},
						"bbox": obj{"type": "array", "minItems": 4, "maxItems": 4, "items": obj{"type": "number"},
							"description": "bounds of the cell's events: zoom to it to see them apart"},
						"geometry": ref("schemas", "Geometry"),
						"properties": obj{
							"type": "object", "required": []string{"count"},
							"properties": obj{
								"count":         obj{"type": "integer", "minimum": 1},
								"id":            str,
								"type":          str,
								"geo_precision": str,
							},
						},
					},
				}},
			},
		},
		"Histogram": obj{
			"type": "object", "required": []string{"interval", "numberMatched", "buckets"},
			"properties": obj{
				"interval":      obj{"type": "string", "enum": store.HistogramIntervals},
				"numberMatched": obj{"type": "integer", "minimum": 0},
				"buckets": obj{"type": "array", "items": obj{
					"type": "object", "required": []string{"start", "end", "count"},
					"properties": obj{
						"start": obj{"type": "string", "format": "date-time"},
						"end":   obj{"type": "string", "format": "date-time", "description": "first instant after the period"},
						"count": obj{"type": "integer", "minimum": 1},
					},
				}},
			},
		},
		"RegionCollection": obj{
			"type": "object", "required": []string{"type", "features"},
			"properties": obj{
				"type":           obj{"type": "string", "enum": []string{"FeatureCollection"}},
				"features":       obj{"type": "array", "items": ref("schemas", "RegionFeature")},
				"links":          linkList,
				"timeStamp":      obj{"type": "string", "format": "date-time"},
				"numberMatched":  obj{"type": "integer", "minimum": 0},
				"numberReturned": obj{"type": "integer", "minimum": 0},
			},
		},
		"RegionFeature": obj{
			"type": "object", "required": []string{"type", "id", "geometry", "properties"},
			"properties": obj{
				"type":       obj{"type": "string", "enum": []string{"Feature"}},
				"id":         str,
				"geometry":   ref("schemas", "Geometry"),
				"properties": obj{"type": "object", "properties": regionPropertiesSchema()},
				"links":      linkList,
			},
		},
		"EventProperties": eventPropertiesSchema(),
		"ImportJob": obj{
			"type": "object", "required": []string{"id", "state", "file", "rows_read", "bytes_read", "bytes_total", "created_at"},
			"description": "A background import. Progress is bytes_read of bytes_total while the file is read (rows_read rows so far); rows_total is known once every row is read (step copy), and the set-based writes follow (step names their progress). The job ends succeeded (report), failed (problem: the RFC 9457 problem the synchronous import answers with, e.g. 422 naming each line, field and rule, with the report) or canceled.",
			"properties": obj{
				"id":              str,
				"state":           obj{"type": "string", "enum": []string{"queued", "running", "succeeded", "failed", "canceled"}},
				"file":            str,
				"step":            obj{"type": "string", "description": "the last step of the import done: copy (rows read and staged), check, ..., commit"},
				"rows_read":       obj{"type": "integer"},
				"rows_total":      obj{"type": "integer", "nullable": true},
				"bytes_read":      obj{"type": "integer"},
				"bytes_total":     obj{"type": "integer"},
				"rows_per_second": obj{"type": "number"},
				"seconds":         obj{"type": "number"},
				"created_at":      obj{"type": "string", "format": "date-time"},
				"finished_at":     obj{"type": "string", "format": "date-time"},
				"report":          obj{"type": "object", "description": "the import report, as the synchronous import answers (200)"},
				"problem":         ref("schemas", "Problem"),
			},
		},
		"Problem": obj{
			"type": "object", "required": []string{"type", "title", "status"},
			"description": "RFC 9457 problem details.",
			"properties": obj{
				"type": str, "title": str, "status": obj{"type": "integer"}, "detail": str, "instance": str, "request_id": str,
				"errors": obj{"type": "array", "items": obj{
					"type": "object", "required": []string{"field", "rule"},
					"properties": obj{"field": str, "rule": str},
				}},
			},
		},
		"Status": obj{"type": "object", "required": []string{"status"}, "properties": obj{"status": str}},
	}
}

// apiHandler serves GET /api: the OpenAPI document, or its HTML page.
func (s *Server) apiHandler(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	f, err := negotiate(c, formatJSON, formatHTML)
	if err != nil {
		return err
	}
	if f == formatHTML {
		return s.apiHTMLHandler(c)
	}
	c.Response().Header().Set(echo.HeaderContentType, openAPIType)
	return c.JSON(http.StatusOK, s.openAPIDocument(c))
}

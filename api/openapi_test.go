package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"eventmap/api"
	"eventmap/config"
	"eventmap/internal/testdb"
)

func init() {
	// HTML pages are strings to the validator; it has no decoder for them.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/merge-patch+json", openapi3filter.JSONBodyDecoder)
}

// loadAPI fetches /api from a running server and insists it is a valid
// OpenAPI 3.0 document served with the OGC media type.
func loadAPI(t *testing.T, base string) *openapi3.T {
	t.Helper()
	r := get(t, base+"/api")
	if r.status != http.StatusOK {
		t.Fatalf("/api: %d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/vnd.oai.openapi+json;version=3.0" {
		t.Errorf("/api Content-Type %q", ct)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.body)
	if err != nil {
		t.Fatalf("/api does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("/api is not a valid OpenAPI 3.0 document: %v", err)
	}
	return doc
}

// The page size QGIS and GDAL use comes from the limit schema, which must
// follow the server's configuration, not a constant.
func TestOpenAPIDocumentValidatesAndCarriesTheConfiguredLimit(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, func(c *config.Config) { c.DefaultLimit, c.MaxLimit = 25, 750 })
	doc := loadAPI(t, ts.URL)
	if !strings.HasPrefix(doc.OpenAPI, "3.0") {
		t.Errorf("openapi %q, want 3.0.x", doc.OpenAPI)
	}
	limit := doc.Components.Parameters["limit"]
	if limit == nil || limit.Value.Schema == nil {
		t.Fatal("no limit parameter in components")
	}
	s := limit.Value.Schema.Value
	if s.Default != float64(25) || s.Max == nil || *s.Max != 750 || s.Min == nil || *s.Min != 1 {
		t.Errorf("limit schema default %v maximum %v minimum %v, want 25, 750, 1", s.Default, s.Max, s.Min)
	}
	items := doc.Paths.Find("/collections/events/items")
	if items == nil || items.Get == nil {
		t.Fatal("no GET /collections/events/items")
	}
	var names []string
	for _, p := range items.Get.Parameters {
		names = append(names, p.Value.Name)
	}
	slices.Sort(names)
	accepted := api.ItemsParams()
	slices.Sort(accepted)
	if got, want := strings.Join(names, ","), strings.Join(accepted, ","); got != want {
		t.Errorf("/api documents items parameters %s; the server accepts %s", got, want)
	}
	for code, resp := range items.Get.Responses.Map() {
		if code[0] == '4' && resp.Value.Content.Get("application/problem+json") == nil {
			t.Errorf("items %s is not documented as problem+json", code)
		}
	}
}

// Every route in routes.go is documented and every documented path is
// routed, except the map's static files and the problem-type pages.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t)
	noEnv := func(string) (string, bool) { return "", false }
	cfg, _, err := config.Load("test", nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	doc := loadAPI(t, ts.URL)

	// /api writes each collection's paths out (QGIS and GDAL read an
	// items path's parameters by collection name); the router takes the
	// collection as a parameter.
	ids := api.CollectionIDs()
	slices.SortFunc(ids, func(a, b string) int { return len(b) - len(a) }) // events-points before events
	collection := regexp.MustCompile(`/collections/(` + strings.Join(ids, "|") + `)(/|$)`)
	param := regexp.MustCompile(`:[a-zA-Z]+|\{[a-zA-Z]+\}`)
	norm := func(p string) string {
		return param.ReplaceAllString(collection.ReplaceAllString(p, "/collections/{}$2"), "{}")
	}
	routed := map[string]bool{}
	for _, p := range api.RoutePaths(srv) {
		if strings.HasSuffix(p, " /map/*") || strings.Contains(p, " /problems/") {
			continue
		}
		routed[norm(p)] = true
	}
	documented := map[string]bool{}
	for p, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+norm(p)] = true
		}
	}
	for p := range routed {
		if !documented[p] {
			t.Errorf("route %s is not in /api", p)
		}
	}
	for p := range documented {
		if !routed[p] {
			t.Errorf("/api documents %s, which is not routed", p)
		}
	}
	if len(routed) < 15 {
		t.Errorf("only %d routes found; the route listing is broken", len(routed))
	}
}

// Real answers of the running server, errors included, validate against
// the document: status, media type and body schema.
func TestResponsesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	doc := loadAPI(t, ts.URL)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	const dumayr = "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01"
	tests := []struct {
		path, accept string
		status       int
	}{
		{"/", "", 200},
		{"/?f=html", "", 200},
		{"/", "text/html", 303},
		{"/?f=xml", "", 400},
		{"/conformance", "", 200},
		{"/conformance?f=html", "", 200},
		{"/api", "", 200},
		{"/api?f=html", "", 200},
		{"/api.html", "", 200},
		{"/collections", "", 200},
		{"/collections?f=html", "", 200},
		{"/collections?x=1", "", 400},
		{"/collections/events", "", 200},
		{"/collections/events", "text/html", 200},
		{"/collections/events/schema", "", 200},
		{"/collections/events/schema?f=html", "", 400},
		{"/collections/events/items", "", 200},
		{"/collections/events/items?limit=2", "application/geo+json", 200},
		{"/collections/events/items?bbox=36.5,33.5,36.9,33.8&datetime=2025-10-01/2025-10-31", "", 200},
		{"/collections/events/items?limit=3&f=csv", "", 200},
		{"/collections/events/items?sortby=-fatalities,occurred_at&type=raid,clash&status=reported&country=syr&limit=2", "", 200},
		{"/collections/events/items?crs=http://www.opengis.net/def/crs/EPSG/0/4326&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326&bbox=33.5,36.5,33.8,36.9", "", 200},
		{"/collections/events/items?q=raid&actor=US%20forces&region=badiya", "", 200},
		{"/collections/events/items?as_of=2025-11-01T00:00:00Z", "", 200},
		{"/collections/events/items?sortby=drop", "", 400},
		{"/collections/events/items?crs=EPSG:9999", "", 400},
		{"/collections/events/items/" + dumayr + "?crs=http://www.opengis.net/def/crs/EPSG/0/3857", "", 200},
		{"/collections/events/items?limit=3", "text/csv", 200},
		{"/collections/events/items?f=html", "", 200},
		{"/collections/events/items?bbox=1,2,3", "", 400},
		{"/collections/events/items?limit=0", "", 400},
		{"/collections/events/items?f=xml", "", 400},
		{"/collections/events/items?nope=1", "", 400},
		{"/collections/events/items/" + dumayr, "", 200},
		{"/collections/events/items/" + dumayr + "?f=html", "", 200},
		{"/collections/events/items/00000000-0000-0000-0000-000000000000", "", 404},
		{"/healthz", "", 200},
		{"/readyz", "", 200},
		{"/map", "", 301},
		{"/map/config.json", "", 200},
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.accept, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, ts.URL+tt.path, nil)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			route, pathParams, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("no operation in /api for %s: %v", tt.path, err)
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route,
				// Validate the request as sent: kin-openapi would otherwise write
				// default values (f=json, limit=100) into it.
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true}}
			if tt.status < 400 {
				if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
					t.Errorf("a request the server accepts breaks /api: %v", err)
				}
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tt.status, body)
			}
			out := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
				Options: &openapi3filter.Options{IncludeResponseStatus: true},
			}
			out.SetBodyBytes(body)
			if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
				t.Errorf("response does not match /api: %v\n%.300s", err, body)
			}
		})
	}
}

// The schema behind the collection's describedby link describes every
// property a real feature carries, and nothing a feature lacks.
func TestSchemaDescribesTheFeatureProperties(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	r := get(t, ts.URL+"/collections/events/schema")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/schema+json" {
		t.Fatalf("schema: %d %q", r.status, r.header.Get("Content-Type"))
	}
	var schema struct {
		Schema     string                     `json:"$schema"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(r.body, &schema); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(schema.Schema, "json-schema.org") {
		t.Errorf("$schema %q", schema.Schema)
	}
	var f struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(get(t, ts.URL+"/collections/events/items/6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01").body, &f); err != nil {
		t.Fatal(err)
	}
	for k := range f.Properties {
		if _, ok := schema.Properties[k]; !ok {
			t.Errorf("feature property %q is not in the schema", k)
		}
	}
	for k := range schema.Properties {
		if _, ok := f.Properties[k]; !ok && k != "geometry" {
			t.Errorf("schema property %q is not in features", k)
		}
	}
	// The geometry is described as the draft Part 5 does, with the one
	// kind every feature of the collection has.
	for coll, format := range map[string]string{"events": "geometry-any", "events-points": "geometry-point", "events-areas": "geometry-multipolygon", "regions": "geometry-multipolygon"} {
		var sc struct {
			Properties map[string]struct {
				Role   string `json:"x-ogc-role"`
				Format string `json:"format"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(get(t, ts.URL+"/collections/"+coll+"/schema").body, &sc); err != nil {
			t.Fatal(err)
		}
		if g := sc.Properties["geometry"]; g.Role != "primary-geometry" || g.Format != format {
			t.Errorf("%s schema: geometry %+v, want x-ogc-role primary-geometry and format %s", coll, g, format)
		}
	}
	// Unknown counts are null: the JSON Schema must allow it.
	if !bytes.Contains(schema.Properties["fatalities"], []byte(`"null"`)) {
		t.Errorf("fatalities schema %s does not allow null", schema.Properties["fatalities"])
	}
}

// Writes, in the order a client makes them, validate against /api: the
// accepted requests as sent, every response including the refusals.
func TestWritesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	doc := loadAPI(t, w.ts.URL)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	// The created event's id is filled in once the POST has answered.
	var id string
	tests := []struct {
		name, method, path, token, body, contentType string
		headers                                      []string
		status                                       int
	}{
		{"create", "POST", "/collections/events/items", w.editor, newEvent, "application/geo+json", []string{"Idempotency-Key", "k-1"}, 201},
		{"create without token", "POST", "/collections/events/items", "", newEvent, "application/geo+json", nil, 401},
		{"create as reader", "POST", "/collections/events/items", w.reader, newEvent, "application/geo+json", nil, 403},
		{"create as text", "POST", "/collections/events/items", w.editor, newEvent, "text/plain", nil, 415},
		{"create invalid", "POST", "/collections/events/items", w.editor, `{"type":"Feature","geometry":null,"properties":{}}`, "application/json", nil, 400},
		{"create bowtie", "POST", "/collections/events/items", w.editor, strings.Replace(newEvent, `{"type":"Point","coordinates":[38.28,34.55]}`,
			`{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`, 1), "application/geo+json", nil, 422},
		{"patch", "PATCH", "/collections/events/items/{id}", w.editor, `{"properties":{"fatalities":3}}`, "application/merge-patch+json", []string{"If-Match", `"1"`, "X-Edit-Reason", "toll revised"}, 200},
		{"patch without If-Match", "PATCH", "/collections/events/items/{id}", w.editor, `{"properties":{"fatalities":3}}`, "application/merge-patch+json", []string{"X-Edit-Reason", "x"}, 428},
		{"patch stale", "PATCH", "/collections/events/items/{id}", w.editor, `{"properties":{"fatalities":4}}`, "application/merge-patch+json", []string{"If-Match", `"1"`, "X-Edit-Reason", "x"}, 412},
		{"replace", "PUT", "/collections/events/items/{id}", w.editor, newEvent, "application/geo+json", []string{"If-Match", `"2"`, "X-Edit-Reason", "rewritten"}, 200},
		{"history", "GET", "/collections/events/items/{id}/revisions", "", "", "", nil, 200},
		{"as of", "GET", "/collections/events/items/" + dumayrID + "?as_of=2025-11-01T00:00:00Z", "", "", "", nil, 200},
		{"delete as editor", "DELETE", "/collections/events/items/{id}", w.editor, "", "", []string{"If-Match", `"3"`, "X-Edit-Reason", "x"}, 403},
		{"delete", "DELETE", "/collections/events/items/{id}", w.admin, "", "", []string{"If-Match", `"3"`, "X-Edit-Reason", "duplicate"}, 204},
		{"history of unknown", "GET", "/collections/events/items/00000000-0000-0000-0000-000000000000/revisions", "", "", "", nil, 404},
	}
	for _, tt := range tests {
		path := strings.Replace(tt.path, "{id}", id, 1)
		req, _ := http.NewRequest(tt.method, w.ts.URL+path, strings.NewReader(tt.body))
		if tt.contentType != "" {
			req.Header.Set("Content-Type", tt.contentType)
		}
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		for i := 0; i+1 < len(tt.headers); i += 2 {
			req.Header.Set(tt.headers[i], tt.headers[i+1])
		}
		route, pathParams, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s: no operation in /api for %s %s: %v", tt.name, tt.method, path, err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true}}
		if tt.status < 400 {
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				t.Errorf("%s: a request the server accepts breaks /api: %v", tt.name, err)
			}
			req.Body = io.NopCloser(strings.NewReader(tt.body)) // validation read it
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Fatalf("%s: status %d, want %d: %.300s", tt.name, resp.StatusCode, tt.status, body)
		}
		if tt.name == "create" {
			var f struct{ ID string }
			_ = json.Unmarshal(body, &f)
			id = f.ID
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
			Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		out.SetBodyBytes(body)
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("%s: response does not match /api: %v\n%.300s", tt.name, err, body)
		}
	}
}

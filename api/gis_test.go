package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"eventmap/config"
)

type gisFeature struct {
	ID       string `json:"id"`
	Geometry struct {
		Type string `json:"type"`
	} `json:"geometry"`
	Properties map[string]any `json:"properties"`
	Links      []ogcLink      `json:"links"`
}

type gisPage struct {
	Features       []gisFeature `json:"features"`
	NumberMatched  *int         `json:"numberMatched"`
	NumberReturned int          `json:"numberReturned"`
	Links          []ogcLink    `json:"links"`
}

func getGISPage(t *testing.T, rawURL string) gisPage {
	t.Helper()
	var p gisPage
	r := getJSON(t, rawURL, &p)
	if ct := r.header.Get("Content-Type"); ct != "application/geo+json" {
		t.Errorf("%s: Content-Type %q", rawURL, ct)
	}
	return p
}

// /collections lists every collection, each one self-described, and each
// collection of one geometry kind serves only that kind: what QGIS needs
// to draw points and areas as two layers.
func TestCollectionsOfOneGeometryKind(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	var all struct {
		Collections []struct {
			ID    string
			Links []ogcLink
		}
	}
	getJSON(t, ts.URL+"/collections", &all)
	var ids []string
	for _, c := range all.Collections {
		ids = append(ids, c.ID)
		if _, ok := findLink(c.Links, "items", "application/geo+json"); !ok {
			t.Errorf("%s has no GeoJSON items link", c.ID)
		}
		for _, rel := range []string{"self", "describedby", "http://www.opengis.net/def/rel/ogc/1.0/queryables"} {
			l, ok := findLink(c.Links, rel, "")
			if !ok {
				t.Errorf("%s has no %s link", c.ID, rel)
			} else if r := get(t, l.Href); r.status != http.StatusOK {
				t.Errorf("%s: %s link %s answers %d", c.ID, rel, l.Href, r.status)
			}
		}
	}
	if want := []string{"events", "events-points", "events-areas", "regions"}; !slices.Equal(ids, want) {
		t.Fatalf("collections %v, want %v", ids, want)
	}

	kinds := func(p gisPage) []string {
		var out []string
		for _, f := range p.Features {
			if !slices.Contains(out, f.Geometry.Type) {
				out = append(out, f.Geometry.Type)
			}
		}
		slices.Sort(out)
		return out
	}
	mixed := getGISPage(t, ts.URL+"/collections/events/items")
	points := getGISPage(t, ts.URL+"/collections/events-points/items")
	areas := getGISPage(t, ts.URL+"/collections/events-areas/items")
	if got := kinds(mixed); !slices.Equal(got, []string{"Point", "Polygon"}) {
		t.Errorf("events: geometry kinds %v", got)
	}
	if got := kinds(points); !slices.Equal(got, []string{"Point"}) || len(points.Features) != 7 || *points.NumberMatched != 7 {
		t.Errorf("events-points: kinds %v, %d features, numberMatched %v; want 7 points (every public event)", got, len(points.Features), points.NumberMatched)
	}
	if got := kinds(areas); !slices.Equal(got, []string{"MultiPolygon"}) || len(areas.Features) != 1 || areas.Features[0].ID != cachesID {
		t.Errorf("events-areas: kinds %v, features %+v; want the caches as a MultiPolygon", got, areas.Features)
	}
	for _, f := range points.Features {
		if f.ID == cachesID && f.Properties["geo_precision"] != "region" {
			t.Errorf("the caches' point says geo_precision %v", f.Properties["geo_precision"])
		}
	}
	// The same filters: a box around Dumayr, a CQL2 filter, a region.
	if p := getGISPage(t, ts.URL+"/collections/events-points/items?bbox=36.5,33.5,36.9,33.8"); len(p.Features) != 1 || p.Features[0].ID != dumayrID {
		t.Errorf("events-points around Dumayr: %+v", p.Features)
	}
	if p := getGISPage(t, ts.URL+"/collections/events-areas/items?filter="+url.QueryEscape("geo_precision = 'region'")); len(p.Features) != 1 {
		t.Errorf("events-areas with a filter: %d features", len(p.Features))
	}
	if p := getGISPage(t, ts.URL+"/collections/events-areas/items?type=raid"); len(p.Features) != 0 {
		t.Errorf("events-areas type=raid: %d features, want none (the raid is a point)", len(p.Features))
	}
	// The other CRSs.
	r := get(t, ts.URL+"/collections/events-points/items/"+cachesID+"?crs=http://www.opengis.net/def/crs/EPSG/0/3857")
	if r.status != http.StatusOK || r.header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/EPSG/0/3857>" || !strings.Contains(string(r.body), `"type":"Point"`) {
		t.Errorf("the cachesID' point in EPSG:3857: %d %q %.200s", r.status, r.header.Get("Content-Crs"), r.body)
	}
	// A point event is not an area; an unknown collection is a 404 problem.
	decodeProblem(t, get(t, ts.URL+"/collections/events-areas/items/"+dumayrID), http.StatusNotFound)
	for _, path := range []string{"/collections/nope", "/collections/nope/items", "/collections/nope/items/" + dumayrID, "/collections/nope/queryables", "/collections/regions/tiles"} {
		p := decodeProblem(t, get(t, ts.URL+path), http.StatusNotFound)
		if p.Type != "/problems/not_found" {
			t.Errorf("%s: problem type %q", path, p.Type)
		}
	}
	// The per-kind collections are read-only: a write there is a 405 problem.
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/collections/events-points/items", strings.NewReader("{}"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("POST to events-points: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	// Each has its queryables, with its geometry's kind.
	for coll, format := range map[string]string{"events-points": "geometry-point", "events-areas": "geometry-multipolygon", "regions": "geometry-multipolygon"} {
		var q struct {
			Properties map[string]map[string]any `json:"properties"`
		}
		getJSON(t, ts.URL+"/collections/"+coll+"/queryables", &q)
		if got := q.Properties["geometry"]["format"]; got != format {
			t.Errorf("%s queryables: geometry format %v, want %s", coll, got, format)
		}
	}
	// And tiles: the areas collection's tile over southern Syria holds the cachesID.
	if r := get(t, ts.URL+"/collections/events-areas/tiles/WebMercatorQuad/5/12/19"); r.status != http.StatusOK || r.header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Errorf("events-areas tile: %d %q", r.status, r.header.Get("Content-Type"))
	}
}

// The regions collection: listed, described, filtered, paged, one by one.
func TestRegionsCollection(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	p := getGISPage(t, ts.URL+"/collections/regions/items")
	if len(p.Features) != 1 || p.Features[0].ID != "badiya" || p.NumberMatched == nil || *p.NumberMatched != 1 || p.Features[0].Geometry.Type != "MultiPolygon" {
		t.Fatalf("regions: %+v", p)
	}
	if p := getGISPage(t, ts.URL+"/collections/regions/items?filter="+url.QueryEscape("approximate = FALSE")); len(p.Features) != 0 {
		t.Errorf("approximate = FALSE: %d regions", len(p.Features))
	}
	if p := getGISPage(t, ts.URL+"/collections/regions/items?bbox=0,0,1,1"); len(p.Features) != 0 {
		t.Errorf("a box in the Atlantic: %d regions", len(p.Features))
	}
	if p := getGISPage(t, ts.URL+"/collections/regions/items?limit=1&offset=1"); len(p.Features) != 0 || *p.NumberMatched != 1 {
		t.Errorf("past the last region: %+v", p)
	} else if _, ok := findLink(p.Links, "prev", ""); !ok {
		t.Errorf("no prev link past the last region: %+v", p.Links)
	}
	var f gisFeature
	getJSON(t, ts.URL+"/collections/regions/items/badiya", &f)
	if f.ID != "badiya" || f.Properties["approximate"] != true {
		t.Errorf("badiya: %+v", f)
	}
	if l, ok := findLink(f.Links, "related", ""); !ok || !strings.Contains(l.Href, "region=badiya") {
		t.Errorf("badiya links %+v lack the events in it", f.Links)
	}
	decodeProblem(t, get(t, ts.URL+"/collections/regions/items/atlantis"), http.StatusNotFound)
	decodeProblem(t, get(t, ts.URL+"/collections/regions/items?type=raid"), http.StatusBadRequest)
}

// offset pages the way OWSLib and pygeoapi-style clients do, within a
// documented bound; next links stay cursors.
func TestOffsetPaging(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	all := getGISPage(t, ts.URL+"/collections/events/items?limit=10")
	var walked []string
	for offset := 0; offset < 7; offset += 2 {
		p := getGISPage(t, ts.URL+"/collections/events/items?limit=2&offset="+strconv.Itoa(offset))
		for _, f := range p.Features {
			walked = append(walked, f.ID)
		}
		if next, ok := findLink(p.Links, "next", ""); ok && (strings.Contains(next.Href, "offset=") || !strings.Contains(next.Href, "cursor=")) {
			t.Errorf("offset %d: next link %s, want a cursor and no offset", offset, next.Href)
		}
		if self, _ := findLink(p.Links, "self", ""); !strings.Contains(self.Href, "offset=") {
			t.Errorf("offset %d: self %s drops the offset", offset, self.Href)
		}
	}
	var want []string
	for _, f := range all.Features {
		want = append(want, f.ID)
	}
	if !slices.Equal(walked, want) {
		t.Errorf("paged by offset: %v, want %v", walked, want)
	}
	for _, q := range []string{"offset=-1", "offset=x", "offset=10001", "offset=2&cursor=abc"} {
		p := decodeProblem(t, get(t, ts.URL+"/collections/events/items?"+q), http.StatusBadRequest)
		if len(p.Errors) != 1 || p.Errors[0].Field != "offset" {
			t.Errorf("%s: errors %+v, want one on offset", q, p.Errors)
		}
	}
}

// Every page and Feature has alternate links to its other formats, and
// self keeps every parameter (Part 1 /req/core/f-links).
func TestSelfAndAlternateLinks(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, func(c *config.Config) { c.DefaultLimit = 2 })
	crs := "http://www.opengis.net/def/crs/EPSG/0/4326"
	var f gisFeature
	getJSON(t, ts.URL+"/collections/events/items/"+dumayrID+"?crs="+crs, &f)
	self, _ := findLink(f.Links, "self", "")
	if !strings.Contains(self.Href, "crs="+crs) {
		t.Errorf("item self %s drops crs", self.Href)
	}
	alt, ok := findLink(f.Links, "alternate", "text/html")
	if !ok {
		t.Fatalf("item has no alternate HTML link: %+v", f.Links)
	}
	if r := get(t, alt.Href); r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("alternate %s: %d %q", alt.Href, r.status, r.header.Get("Content-Type"))
	}
	getJSON(t, ts.URL+"/collections/events-points/items/"+cachesID, &f)
	if c, _ := findLink(f.Links, "collection", ""); !strings.HasSuffix(c.Href, "/collections/events-points") {
		t.Errorf("events-points item's collection link %s", c.Href)
	}
	q := "?bbox=35,32,42,37&type=raid,clash,cache_destruction&crs=" + crs + "&sortby=title"
	p := getGISPage(t, ts.URL+"/collections/events-points/items"+q)
	self, _ = findLink(p.Links, "self", "")
	for _, part := range []string{"bbox=35,32,42,37", "type=raid,clash,cache_destruction", "crs=" + crs, "sortby=title"} {
		if !strings.Contains(self.Href, part) {
			t.Errorf("page self %s drops %s", self.Href, part)
		}
	}
	for _, typ := range []string{"text/html", "text/csv"} {
		if _, ok := findLink(p.Links, "alternate", typ); !ok {
			t.Errorf("page has no alternate %s link", typ)
		}
	}
	next, ok := findLink(p.Links, "next", "")
	if !ok || !strings.Contains(next.Href, "sortby=title") || !strings.Contains(next.Href, "crs=") {
		t.Errorf("next %s does not keep the parameters", next.Href)
	}
}

// Errors Echo raises itself (unknown path, wrong method) are documented
// problem types too, not about:blank.
func TestEveryProblemTypeIsDocumented(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	for _, tt := range []struct {
		method, path string
		status       int
		typ          string
	}{
		{"GET", "/nope", 404, "/problems/not_found"},
		{"GET", "/collections/nope", 404, "/problems/not_found"},
		{"DELETE", "/collections", 405, "/problems/method_not_allowed"},
		{"PUT", "/collections/regions/items/badiya", 405, "/problems/method_not_allowed"},
	} {
		req, _ := http.NewRequest(tt.method, ts.URL+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Type   string
			Status int
			Detail string
		}
		_ = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != tt.status || p.Type != tt.typ {
			t.Errorf("%s %s: %d %q, want %d %q", tt.method, tt.path, resp.StatusCode, p.Type, tt.status, tt.typ)
			continue
		}
		if tt.status == 405 && (resp.Header.Get("Allow") == "" || !strings.Contains(p.Detail, "allowed: ")) {
			t.Errorf("%s %s: Allow %q, detail %q", tt.method, tt.path, resp.Header.Get("Allow"), p.Detail)
		}
		if page := get(t, ts.URL+p.Type); page.status != http.StatusOK {
			t.Errorf("%s: the problem type's page answers %d", p.Type, page.status)
		}
	}
}

package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"eventmap/config"
)

type ogcLink struct{ Href, Rel, Type string }

func findLink(links []ogcLink, rel, typ string) (ogcLink, bool) {
	for _, l := range links {
		if l.Rel == rel && (typ == "" || l.Type == typ) {
			return l, true
		}
	}
	return ogcLink{}, false
}

func getJSON(t *testing.T, rawURL string, v any) response {
	t.Helper()
	r := get(t, rawURL)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", rawURL, r.status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	return r
}

// TestOGCCoreAbstractTests follows the abstract test suite of OGC API -
// Features Part 1 (Core, GeoJSON, HTML, OAS 3.0), each subtest named
// after its abstract test, starting from the landing page and following
// links the way the OGC test engine does.
func TestOGCCoreAbstractTests(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, func(c *config.Config) { c.DefaultLimit, c.MaxLimit = 4, 6 })
	var landing struct{ Links []ogcLink }
	var conformsTo struct{ ConformsTo []string }
	var collections struct {
		Links       []ogcLink
		Collections []struct {
			ID     string
			Links  []ogcLink
			Extent struct {
				Spatial struct {
					BBox [][]float64
					CRS  string
				}
			}
		}
	}

	t.Run("/conf/core/root-op, root-success", func(t *testing.T) {
		r := getJSON(t, ts.URL+"/", &landing)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type %q", ct)
		}
		for _, rel := range []string{"self", "service-desc", "service-doc", "conformance", "data"} {
			l, ok := findLink(landing.Links, rel, "")
			if !ok {
				t.Errorf("landing page has no %s link", rel)
				continue
			}
			if got := get(t, l.Href); got.status != http.StatusOK {
				t.Errorf("%s link %s answers %d", rel, l.Href, got.status)
			}
		}
	})
	t.Run("/conf/core/api-definition-op, api-definition-success", func(t *testing.T) {
		l, _ := findLink(landing.Links, "service-desc", "")
		r := get(t, l.Href)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != l.Type {
			t.Errorf("service-desc %s: %d %q, link type %q", l.Href, r.status, r.header.Get("Content-Type"), l.Type)
		}
		loadAPI(t, ts.URL)
		d, _ := findLink(landing.Links, "service-doc", "text/html")
		if r := get(t, d.Href); !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "/collections/events/items") {
			t.Errorf("service-doc %s: %q", d.Href, r.header.Get("Content-Type"))
		}
	})
	t.Run("/conf/core/conformance-op, conformance-success", func(t *testing.T) {
		l, _ := findLink(landing.Links, "conformance", "")
		getJSON(t, l.Href, &conformsTo)
		for _, c := range []string{"core", "geojson", "html", "oas30"} {
			want := "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/" + c
			found := false
			for _, got := range conformsTo.ConformsTo {
				found = found || got == want
			}
			if !found {
				t.Errorf("conformsTo lacks %s", want)
			}
		}
	})
	t.Run("/conf/core/fc-md-op, fc-md-success, fc-md-links, fc-md-extent", func(t *testing.T) {
		l, _ := findLink(landing.Links, "data", "")
		getJSON(t, l.Href, &collections)
		if _, ok := findLink(collections.Links, "self", ""); !ok {
			t.Error("/collections has no self link")
		}
		if len(collections.Collections) != 4 || collections.Collections[0].ID != "events" {
			t.Fatalf("collections %+v", collections.Collections)
		}
		c := collections.Collections[0]
		if _, ok := findLink(c.Links, "items", "application/geo+json"); !ok {
			t.Errorf("collection has no GeoJSON items link: %+v", c.Links)
		}
		if len(c.Extent.Spatial.BBox) != 1 || len(c.Extent.Spatial.BBox[0]) != 4 || c.Extent.Spatial.CRS != "http://www.opengis.net/def/crs/OGC/1.3/CRS84" {
			t.Errorf("spatial extent %+v", c.Extent.Spatial)
		}
	})
	t.Run("/conf/core/sfc-md-op, sfc-md-success", func(t *testing.T) {
		var one struct {
			ID       string
			ItemType string
			Links    []ogcLink
		}
		getJSON(t, ts.URL+"/collections/events", &one)
		if one.ID != "events" || one.ItemType != "feature" {
			t.Errorf("collection id %q itemType %q", one.ID, one.ItemType)
		}
		for _, typ := range []string{"application/geo+json", "text/html", "text/csv"} {
			l, ok := findLink(one.Links, "items", typ)
			if !ok {
				t.Errorf("no items link of type %s", typ)
				continue
			}
			if r := get(t, l.Href); r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), typ) {
				t.Errorf("items link %s: %d %q", l.Href, r.status, r.header.Get("Content-Type"))
			}
		}
		if l, ok := findLink(one.Links, "describedby", "application/schema+json"); !ok || get(t, l.Href).status != http.StatusOK {
			t.Errorf("describedby link %+v", l)
		}
	})
	t.Run("/conf/core/fc-op, fc-response, fc-links, fc-limit-default", func(t *testing.T) {
		fc, fs := getItems(t, itemsURL(ts))
		if len(fs) != 4 || fc.NumberReturned == nil || *fc.NumberReturned != 4 || fc.TimeStamp == "" {
			t.Errorf("default page: %d features, numberReturned %v, timeStamp %q", len(fs), fc.NumberReturned, fc.TimeStamp)
		}
		if linkHref(fc, "self") == "" || linkHref(fc, "next") == "" {
			t.Errorf("links %+v lack self or next", fc.Links)
		}
		_, page2 := getItems(t, linkHref(fc, "next"))
		seen := map[string]bool{}
		for _, f := range append(fs, page2...) {
			if seen[f.ID] {
				t.Errorf("feature %s on both pages", f.ID)
			}
			seen[f.ID] = true
		}
		if len(seen) != len(allPublic) {
			t.Errorf("two pages hold %d events, want %d", len(seen), len(allPublic))
		}
	})
	t.Run("/conf/core/fc-limit-definition, fc-limit-response", func(t *testing.T) {
		if _, fs := getItems(t, itemsURL(ts, "limit", "1")); len(fs) != 1 {
			t.Errorf("limit=1 gave %d", len(fs))
		}
		if _, fs := getItems(t, itemsURL(ts, "limit", "7")); len(fs) != 6 {
			t.Errorf("limit above the maximum 6 gave %d, want 6 (clamped)", len(fs))
		}
		decodeProblem(t, get(t, itemsURL(ts, "limit", "0")), http.StatusBadRequest)
	})
	t.Run("/conf/core/fc-bbox-definition, fc-bbox-response", func(t *testing.T) {
		_, fs := getItems(t, itemsURL(ts, "bbox", "36.5,33.5,36.9,33.8"))
		if got := places(fs); !equalStrings(got, []string{"Dumayr"}) {
			t.Errorf("bbox gave %v", got)
		}
		decodeProblem(t, get(t, itemsURL(ts, "bbox", "36.5,33.5")), http.StatusBadRequest)
	})
	t.Run("/conf/core/fc-time-definition, fc-time-response", func(t *testing.T) {
		_, fs := getItems(t, itemsURL(ts, "datetime", "2025-10-19"))
		if got := places(fs); !equalStrings(got, []string{"Dumayr"}) {
			t.Errorf("datetime gave %v", got)
		}
		decodeProblem(t, get(t, itemsURL(ts, "datetime", "tomorrow")), http.StatusBadRequest)
	})
	t.Run("/conf/core/query-param-invalid, query-param-unknown", func(t *testing.T) {
		for _, q := range []string{"limit=abc", "bbox=a,b,c,d", "datetime=2025-13-01", "unknown=1", "f=kml"} {
			p := decodeProblem(t, get(t, ts.URL+"/collections/events/items?"+q), http.StatusBadRequest)
			if len(p.Errors) != 1 || p.Errors[0].Field != strings.Split(q, "=")[0] {
				t.Errorf("%s: errors %+v do not name the parameter", q, p.Errors)
			}
		}
	})
	t.Run("/conf/core/f-op, f-success, f-links", func(t *testing.T) {
		_, fs := getItems(t, itemsURL(ts, "limit", "1"))
		r := get(t, ts.URL+"/collections/events/items/"+fs[0].ID)
		var f struct {
			ID    string
			Links []ogcLink
		}
		if err := json.Unmarshal(r.body, &f); err != nil || r.status != http.StatusOK || f.ID != fs[0].ID {
			t.Fatalf("single feature %s: %d %v", fs[0].ID, r.status, err)
		}
		if r.header.Get("Content-Type") != "application/geo+json" {
			t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
		}
		for _, rel := range []string{"self", "collection"} {
			if _, ok := findLink(f.Links, rel, ""); !ok {
				t.Errorf("feature has no %s link", rel)
			}
		}
	})
	t.Run("/conf/html/content, definition", func(t *testing.T) {
		for _, p := range []string{"/?f=html", "/conformance?f=html", "/collections?f=html", "/collections/events?f=html", "/collections/events/items?f=html", "/api.html"} {
			r := get(t, ts.URL+p)
			if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !bytes.Contains(r.body, []byte("<!doctype html>")) {
				t.Errorf("%s: %d %q", p, r.status, r.header.Get("Content-Type"))
			}
		}
	})
}

// TestQGISCompatibility checks the exact fields QGIS's OAPIF provider
// reads: it finds /api through the service-desc link (by its type) and the
// collections through data, takes its page size from the limit schema's
// default and maximum, follows next links of type application/geo+json,
// reads numberReturned as an integer and needs an id on every feature.
func TestQGISCompatibility(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, func(c *config.Config) { c.DefaultLimit, c.MaxLimit = 3, 5000 })
	var landing struct{ Links []ogcLink }
	getJSON(t, ts.URL+"/", &landing)
	desc, ok := findLink(landing.Links, "service-desc", "application/vnd.oai.openapi+json;version=3.0")
	if !ok {
		t.Fatalf("no service-desc link of type application/vnd.oai.openapi+json;version=3.0 in %+v", landing.Links)
	}
	if _, ok := findLink(landing.Links, "data", "application/json"); !ok {
		t.Errorf("no data link of type application/json")
	}

	var api struct {
		Paths map[string]struct {
			Get struct {
				Parameters []struct {
					Ref string `json:"$ref"`
				} `json:"parameters"`
			} `json:"get"`
		} `json:"paths"`
		Components struct {
			Parameters map[string]struct {
				Name   string `json:"name"`
				Schema struct {
					Default json.RawMessage `json:"default"`
					Maximum json.RawMessage `json:"maximum"`
				} `json:"schema"`
			} `json:"parameters"`
		} `json:"components"`
	}
	getJSON(t, desc.Href, &api)
	var limitRef string
	for _, p := range api.Paths["/collections/events/items"].Get.Parameters {
		if strings.HasSuffix(p.Ref, "/limit") {
			limitRef = p.Ref
		}
	}
	if limitRef != "#/components/parameters/limit" {
		t.Fatalf("items limit parameter ref %q", limitRef)
	}
	lim := api.Components.Parameters["limit"]
	if lim.Name != "limit" || string(lim.Schema.Default) != "3" || string(lim.Schema.Maximum) != "5000" {
		t.Errorf("limit default %s maximum %s, want the integers 3 and 5000", lim.Schema.Default, lim.Schema.Maximum)
	}

	r := get(t, itemsURL(ts))
	var fc struct {
		NumberReturned json.RawMessage `json:"numberReturned"`
		Features       []struct {
			ID json.RawMessage `json:"id"`
		} `json:"features"`
		Links []ogcLink `json:"links"`
	}
	if err := json.Unmarshal(r.body, &fc); err != nil {
		t.Fatal(err)
	}
	if string(fc.NumberReturned) != "3" {
		t.Errorf("numberReturned %s, want the integer 3", fc.NumberReturned)
	}
	if _, ok := findLink(fc.Links, "next", "application/geo+json"); !ok {
		t.Errorf("no next link of type application/geo+json: %+v", fc.Links)
	}
	for i, f := range fc.Features {
		if len(f.ID) < 3 || f.ID[0] != '"' {
			t.Errorf("feature %d id %s, want a non-empty string", i, f.ID)
		}
	}
}

package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Each representation of an item has its own ETag (CRS, format,
// collection, gzip), the plain one stays the version If-Match takes, and
// If-None-Match answers 304 with the ETag the client holds.
func TestItemETagPerRepresentation(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	item := "/collections/events/items/" + dumayrID
	tags := map[string]string{}
	for name, tt := range map[string]struct{ path, accept, encoding string }{
		"geojson":        {item, "", "identity"},
		"gzip":           {item, "", "gzip"},
		"epsg3857":       {item + "?crs=http://www.opengis.net/def/crs/EPSG/0/3857", "", "identity"},
		"epsg4326":       {item + "?crs=[EPSG:4326]", "", "identity"},
		"crs84 given":    {item + "?crs=http://www.opengis.net/def/crs/OGC/1.3/CRS84&f=json", "", "identity"},
		"html":           {item + "?f=html", "", "identity"},
		"html by accept": {item, "text/html", "identity"},
		"points":         {"/collections/events-points/items/" + dumayrID, "", "identity"},
		"as of":          {item + "?as_of=2025-11-01T00:00:00Z", "", "identity"},
	} {
		r := w.do(t, "GET", tt.path, "", "", "Accept", tt.accept, "Accept-Encoding", tt.encoding)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
		tags[name] = r.header.Get("ETag")
		if vary := r.header.Values("Vary"); len(vary) != 1 || !containsAll(vary[0], "Accept", "Accept-Encoding", "Authorization") {
			t.Errorf("%s: Vary %q, want one line naming Accept, Accept-Encoding and Authorization", name, vary)
		}
		if cc := r.header.Get("Cache-Control"); cc != "public, max-age=10" {
			t.Errorf("%s: Cache-Control %q", name, cc)
		}
		// The tag the client now holds: the same request with it is a 304.
		again := w.do(t, "GET", tt.path, "", "", "Accept", tt.accept, "Accept-Encoding", tt.encoding, "If-None-Match", tags[name])
		if again.status != http.StatusNotModified || len(again.body) != 0 || again.header.Get("ETag") != tags[name] {
			t.Errorf("%s: If-None-Match %s gave %d, ETag %q", name, tags[name], again.status, again.header.Get("ETag"))
		}
	}
	if tags["geojson"] != `"2"` || tags["crs84 given"] != `"2"` {
		t.Errorf("plain ETags %s and %s, want the version \"2\"", tags["geojson"], tags["crs84 given"])
	}
	if tags["gzip"] != `"2-gzip"` {
		t.Errorf("gzipped ETag %s, want \"2-gzip\"", tags["gzip"])
	}
	if tags["html"] != tags["html by accept"] {
		t.Errorf("the HTML page has ETags %s (f=html) and %s (Accept)", tags["html"], tags["html by accept"])
	}
	seen := map[string]string{}
	for name, tag := range tags {
		if name == "crs84 given" || name == "html by accept" {
			continue
		}
		if other, dup := seen[tag]; dup {
			t.Errorf("%s and %s share the ETag %s", name, other, tag)
		}
		seen[tag] = name
	}
	// The plain ETag is what If-Match takes: a client may write with it.
	r := w.do(t, "PATCH", item, w.editor, `{"properties":{"fatalities":2}}`, "Content-Type", "application/merge-patch+json",
		"If-Match", tags["geojson"], "X-Edit-Reason", "test")
	if r.status != http.StatusOK {
		t.Fatalf("PATCH with the read ETag: %d %s", r.status, r.body)
	}
	// A changed event is no longer the one the client holds.
	if r := w.do(t, "GET", item, "", "", "Accept-Encoding", "identity", "If-None-Match", tags["geojson"]); r.status != http.StatusOK || r.header.Get("ETag") != `"3"` {
		t.Errorf("after a write: %d, ETag %s", r.status, r.header.Get("ETag"))
	}
}

// Pages, collections and tiles answer 304 to a client holding them, and
// stop doing so once the data changed; token holders' answers are private
// and tagged apart from the anonymous ones.
func TestPagesRevalidate(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	paths := []string{
		"/collections/events/items?limit=3",
		"/collections/events/items?limit=3&f=html",
		"/collections/events/items?limit=3&f=csv",
		"/collections/events-points/items?bbox=35,32,42,37",
		"/collections/events-areas/items?crs=http://www.opengis.net/def/crs/EPSG/0/3857",
		"/collections/regions/items",
		"/collections",
		"/collections/events",
		"/collections/events/tiles/WebMercatorQuad/5/12/19",
	}
	held := map[string]string{}
	for _, p := range paths {
		r := w.do(t, "GET", p, "", "")
		tag := r.header.Get("ETag")
		if r.status != http.StatusOK || tag == "" {
			t.Fatalf("%s: %d, ETag %q", p, r.status, tag)
		}
		held[p] = tag
		if r := w.do(t, "GET", p, "", "", "If-None-Match", tag); r.status != http.StatusNotModified {
			t.Errorf("%s: If-None-Match its own ETag gave %d", p, r.status)
		}
		if r := w.do(t, "GET", p, "", "", "If-None-Match", `"other", `+tag); r.status != http.StatusNotModified {
			t.Errorf("%s: a list holding its ETag gave %d", p, r.status)
		}
		// A token holder's answer is another representation, never stored
		// by a shared cache.
		r = w.do(t, "GET", p, w.reader, "", "If-None-Match", tag)
		if p != "/collections/regions/items" && p != "/collections/events/tiles/WebMercatorQuad/5/12/19" && r.status != http.StatusOK {
			t.Errorf("%s: a token holder with the anonymous ETag gave %d", p, r.status)
		}
		if cc := r.header.Get("Cache-Control"); !strings.HasPrefix(cc, "private") {
			t.Errorf("%s: a token holder's Cache-Control %q", p, cc)
		}
	}
	// A write: every page about events, and the collections, change.
	r := w.do(t, "PATCH", "/collections/events/items/"+cachesID, w.editor, `{"properties":{"fatalities":4}}`,
		"Content-Type", "application/merge-patch+json", "If-Match", `"1"`, "X-Edit-Reason", "test")
	if r.status != http.StatusOK {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	for _, p := range paths {
		if p == "/collections/events/tiles/WebMercatorQuad/5/12/19" {
			continue // the tile's bytes did not change: its ETag is their hash
		}
		if r := w.do(t, "GET", p, "", "", "If-None-Match", held[p]); r.status != http.StatusOK {
			t.Errorf("%s after a write: If-None-Match gave %d, want 200", p, r.status)
		}
	}
}

func containsAll(s string, parts ...string) bool {
	fields := strings.Split(s, ", ")
	for _, p := range parts {
		if !slices.Contains(fields, p) {
			return false
		}
	}
	return true
}

package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"eventmap/store"
)

const (
	cachesID  = "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e02"
	damascus  = "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e08" // the restricted sample event
	mvtMedia  = "application/vnd.mapbox-vector-tile"
	tilesBase = "/collections/events/tiles/WebMercatorQuad"
)

var dumayr = orb.Point{36.6939, 33.6439}

// tileURL is the OGC path of tile t: tileMatrix/tileRow/tileCol = z/y/x.
func tileURL(base string, t maptile.Tile, query string) string {
	u := fmt.Sprintf("%s%s/%d/%d/%d", base, tilesBase, t.Z, t.Y, t.X)
	if query != "" {
		u += "?" + query
	}
	return u
}

// tileFeature is one decoded feature, in longitude/latitude.
type tileFeature struct {
	geom  orb.Geometry
	props map[string]any
}

func (f tileFeature) id() string { s, _ := f.props["id"].(string); return s }

func (f tileFeature) count() int {
	switch v := f.props["count"].(type) {
	case float64:
		return int(v)
	case int64:
		return int(v)
	case uint64:
		return int(v)
	}
	return -1
}

// decodeTile parses a Mapbox Vector Tile the way a map client does and
// insists on its one layer, "events".
func decodeTile(t *testing.T, body []byte, tile maptile.Tile) []tileFeature {
	t.Helper()
	layers, err := mvt.Unmarshal(body)
	if err != nil {
		t.Fatalf("tile %v is not a vector tile: %v", tile, err)
	}
	if len(layers) != 1 || layers[0].Name != "events" {
		t.Fatalf("tile %v: layers %v, want one named events", tile, layers)
	}
	if layers[0].Extent != store.TileExtent {
		t.Errorf("extent %d, want %d", layers[0].Extent, store.TileExtent)
	}
	layers.ProjectToWGS84(tile)
	var out []tileFeature
	for _, f := range layers[0].Features {
		out = append(out, tileFeature{geom: f.Geometry, props: f.Properties})
	}
	return out
}

// getTile fetches a tile and decodes it; a 204 is an empty tile.
func getTile(t *testing.T, base string, tile maptile.Tile, query string, header ...string) (response, []tileFeature) {
	t.Helper()
	r := do(t, http.MethodGet, tileURL(base, tile, query), header...)
	switch r.status {
	case http.StatusNoContent:
		return r, nil
	case http.StatusOK:
		if ct := r.header.Get("Content-Type"); ct != mvtMedia {
			t.Fatalf("tile %v: Content-Type %q, want %s", tile, ct, mvtMedia)
		}
		return r, decodeTile(t, r.body, tile)
	}
	t.Fatalf("tile %v?%s: status %d %s", tile, query, r.status, r.body)
	return r, nil
}

// do sends one request with header name/value pairs.
func do(t *testing.T, method, rawURL string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: []byte(b.String())}
}

func tileIDs(fs []tileFeature) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.id())
	}
	sort.Strings(ids)
	return ids
}

func itemIDs(t *testing.T, rawURL string) []string {
	t.Helper()
	_, fs := getItems(t, rawURL)
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	sort.Strings(ids)
	return ids
}

// A map or QGIS finds the tiles from the collection: tilesets list,
// tileset with the templated tile link, and TileJSON for MapLibre. Filters
// given to the tileset travel into the tile URLs.
func TestTilesetsDescribeTheTiles(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)

	var coll struct{ Links []struct{ Href, Rel string } }
	if err := json.Unmarshal(get(t, ts.URL+"/collections/events").body, &coll); err != nil {
		t.Fatal(err)
	}
	tilesets := ""
	for _, l := range coll.Links {
		if l.Rel == "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector" {
			tilesets = l.Href
		}
	}
	if tilesets != ts.URL+"/collections/events/tiles" {
		t.Fatalf("collection links to tilesets-vector %q", tilesets)
	}

	var list struct {
		Tilesets []struct {
			DataType, CRS, TileMatrixSetURI string
			Links                           []struct{ Href, Rel string }
		}
	}
	if err := json.Unmarshal(get(t, tilesets).body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Tilesets) != 1 {
		t.Fatalf("%d tilesets, want 1", len(list.Tilesets))
	}
	one := list.Tilesets[0]
	if one.DataType != "vector" || one.CRS != "http://www.opengis.net/def/crs/EPSG/0/3857" ||
		one.TileMatrixSetURI != "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad" {
		t.Errorf("tileset summary %+v", one)
	}
	rels := map[string]string{}
	for _, l := range one.Links {
		rels[l.Rel] = l.Href
	}
	if rels["self"] != ts.URL+tilesBase || rels["http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"] == "" {
		t.Errorf("tileset links %v: want self and tiling-scheme", rels)
	}

	var tileset struct {
		Links []struct {
			Href, Rel, Type string
			Templated       bool
		}
		TileMatrixSetLimits []struct {
			TileMatrix string
			MaxTileRow int
		}
		Layers []struct{ ID string }
	}
	r := get(t, ts.URL+tilesBase+"?type=raid,clash&datetime=2025-01-01/..")
	if r.status != http.StatusOK {
		t.Fatalf("tileset: %d %s", r.status, r.body)
	}
	if err := json.Unmarshal(r.body, &tileset); err != nil {
		t.Fatal(err)
	}
	var item string
	for _, l := range tileset.Links {
		if l.Rel == "item" && l.Templated && l.Type == mvtMedia {
			item = l.Href
		}
	}
	want := ts.URL + tilesBase + "/{tileMatrix}/{tileRow}/{tileCol}?datetime=2025-01-01/..&type=raid,clash"
	if item != want {
		t.Errorf("templated tile link %q, want %q", item, want)
	}
	if n := len(tileset.TileMatrixSetLimits); n != 23 || tileset.TileMatrixSetLimits[3].MaxTileRow != 7 {
		t.Errorf("tileMatrixSetLimits: %d matrices, want 0-22 with 8 rows at z3", n)
	}
	if len(tileset.Layers) != 1 || tileset.Layers[0].ID != "events" {
		t.Errorf("layers %+v, want events", tileset.Layers)
	}
	// The template fetched as a client fills it in gives the raid's tile.
	tile := maptile.At(dumayr, 9)
	filled := strings.NewReplacer("{tileMatrix}", "9", "{tileRow}", fmt.Sprint(tile.Y), "{tileCol}", fmt.Sprint(tile.X)).Replace(item)
	if r := get(t, filled); r.status != http.StatusOK || len(decodeTile(t, r.body, tile)) != 1 {
		t.Errorf("filled template %s: status %d", filled, r.status)
	}

	var tj struct {
		TileJSON string   `json:"tilejson"`
		Tiles    []string `json:"tiles"`
		MaxZoom  int      `json:"maxzoom"`
		Layers   []struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		} `json:"vector_layers"`
	}
	if err := json.Unmarshal(get(t, ts.URL+tilesBase+"?f=tilejson&type=raid").body, &tj); err != nil {
		t.Fatal(err)
	}
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || tj.Tiles[0] != ts.URL+tilesBase+"/{z}/{y}/{x}?type=raid" ||
		len(tj.Layers) != 1 || tj.Layers[0].Fields["fatalities"] != "Number" {
		t.Errorf("TileJSON %+v", tj)
	}

	for _, c := range []struct {
		path, field string
		status      int
	}{
		{"/collections/events/tiles/WorldCRS84Quad", "tileMatrixSetId", 404},
		{tilesBase + "?type=parade", "type", 400},
		{tilesBase + "?zoom=3", "zoom", 400},
		{tilesBase + "?f=png", "f", 400},
	} {
		r := get(t, ts.URL+c.path)
		if r.status != c.status || !strings.Contains(string(r.body), `"field":"`+c.field+`"`) {
			t.Errorf("%s: %d %s, want %d naming %s", c.path, r.status, r.body, c.status, c.field)
		}
	}
}

// A tile holds each event the way the map draws it: the raid as a point
// where it happened with its facts, the caches as an area (clipped to the
// tile), and nothing restricted for anonymous callers.
func TestTileCarriesEventsAndTheirFacts(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)

	tile := maptile.At(dumayr, 12)
	r, fs := getTile(t, ts.URL, tile, "")
	if len(fs) != 1 {
		t.Fatalf("tile %v holds %d features, want the Dumayr raid alone", tile, len(fs))
	}
	raid := fs[0]
	p, ok := raid.geom.(orb.Point)
	if !ok {
		t.Fatalf("raid geometry %T, want a Point", raid.geom)
	}
	// A tile unit at z12 is under 3 m: the position survives to 1e-4°.
	if math.Abs(p[0]-dumayr[0]) > 1e-4 || math.Abs(p[1]-dumayr[1]) > 1e-4 {
		t.Errorf("raid drawn at %v, want %v", p, dumayr)
	}
	for k, want := range map[string]any{
		"id": dumayrID, "type": "raid", "status": "corroborated", "geo_precision": "exact",
		"occurred_at": "2025-10-19T00:00:00Z", "count": 1,
	} {
		got := raid.props[k]
		if k == "count" {
			got = raid.count()
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("property %s = %v, want %v", k, got, want)
		}
	}
	if fmt.Sprint(raid.props["fatalities"]) != "1" || !strings.Contains(fmt.Sprint(raid.props["title"]), "Dumayr") {
		t.Errorf("fatalities %v, title %v", raid.props["fatalities"], raid.props["title"])
	}
	if cc := r.header.Get("Cache-Control"); cc != "public, max-age=60" {
		t.Errorf("anonymous tile Cache-Control %q", cc)
	}

	// The caches: an area over southern Syria, drawn as a polygon, with
	// fatalities left out because they are unknown (not 0).
	south := maptile.At(orb.Point{36.3, 32.7}, 6)
	_, fs = getTile(t, ts.URL, south, "")
	var caches *tileFeature
	for i := range fs {
		if fs[i].id() == cachesID {
			caches = &fs[i]
		}
	}
	if caches == nil {
		t.Fatalf("tile %v lacks the weapons caches: %v", south, tileIDs(fs))
	}
	if _, ok := caches.geom.(orb.Polygon); !ok {
		t.Errorf("caches drawn as %T, want a Polygon", caches.geom)
	}
	if _, ok := caches.props["fatalities"]; ok || caches.props["geo_precision"] != "region" {
		t.Errorf("caches properties %v: want no fatalities, geo_precision region", caches.props)
	}

	// The restricted Damascus event is on the same z6 tile for a token
	// holder only, whose tile is private to them.
	if slices.Contains(tileIDs(fs), damascus) {
		t.Errorf("anonymous tile %v holds the restricted event", south)
	}
	w := newWriteEnv(t)
	r, fs = getTile(t, w.ts.URL, south, "", "Authorization", "Bearer "+w.reader)
	if !slices.Contains(tileIDs(fs), damascus) {
		t.Errorf("a token holder's tile %v lacks the restricted event: %v", south, tileIDs(fs))
	}
	if cc := r.header.Get("Cache-Control"); cc != "private, max-age=60" {
		t.Errorf("token holder's tile Cache-Control %q", cc)
	}
	if vary := strings.Join(r.header.Values("Vary"), ", "); !strings.Contains(vary, "Authorization") {
		t.Errorf("Vary %q lacks Authorization", vary)
	}
}

// Tiles take the items filters and select the same events: the world
// tile at zoom 0 holds exactly the events items lists, filter for filter.
func TestTileFiltersMatchItems(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	world := maptile.New(0, 0, 0)
	for _, q := range []string{
		"",
		"type=raid,clash",
		"status=confirmed",
		"datetime=2025-08-01/2025-10-31",
		"region=badiya",
		"q=Dumayr",
		"filter=fatalities%20%3E%3D%201",
		"bbox=36,33,37,34",
		"as_of=2025-11-01T00:00:00Z",
	} {
		_, fs := getTile(t, ts.URL, world, q)
		sep := "?"
		if q != "" {
			sep = "?" + q + "&"
		}
		want := itemIDs(t, ts.URL+"/collections/events/items"+sep+"limit=1000")
		if got := tileIDs(fs); !slices.Equal(got, want) {
			t.Errorf("%q: tile holds %v, items %v", q, got, want)
		}
		for _, f := range fs {
			if f.count() != 1 {
				t.Errorf("%q: event %s has count %d in an uncrowded tile", q, f.id(), f.count())
			}
		}
	}
	if _, fs := getTile(t, ts.URL, world, "type=raid"); len(fs) != 1 || fs[0].id() != dumayrID {
		t.Errorf("type=raid: %v, want the Dumayr raid", tileIDs(fs))
	}
}

// Tiles are cacheable: the same tile has the same strong ETag and a
// revalidation is a 304 without a body; a tile with no events is a 204;
// a tile outside the matrix set is a 404 and a malformed one a 400, each
// naming the path part.
func TestTileCachingAndErrors(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	tile := maptile.At(dumayr, 7)
	a, _ := getTile(t, ts.URL, tile, "")
	b, _ := getTile(t, ts.URL, tile, "")
	tag := a.header.Get("ETag")
	if tag == "" || strings.HasPrefix(tag, "W/") || tag != b.header.Get("ETag") {
		t.Fatalf("ETags %q and %q: want one strong tag", tag, b.header.Get("ETag"))
	}
	r := do(t, http.MethodGet, tileURL(ts.URL, tile, ""), "If-None-Match", tag)
	if r.status != http.StatusNotModified || len(r.body) != 0 {
		t.Errorf("revalidation: %d with %d bytes, want 304 and none", r.status, len(r.body))
	}
	if _, other := getTile(t, ts.URL, tile, "type=raid"); len(other) == 0 {
		t.Fatal("the raid's tile with type=raid is empty")
	} else if r := get(t, tileURL(ts.URL, tile, "type=clash")); r.header.Get("ETag") == tag {
		t.Errorf("another filter gives the same ETag %s", tag)
	}

	// f=mvt is accepted (GDAL needs a URL that does not end in a number).
	if r := get(t, tileURL(ts.URL, tile, "f=mvt")); r.status != http.StatusOK || r.header.Get("ETag") != tag {
		t.Errorf("f=mvt: %d ETag %s, want the same tile", r.status, r.header.Get("ETag"))
	}

	pacific := maptile.At(orb.Point{-150, 0}, 5)
	if r := get(t, tileURL(ts.URL, pacific, "")); r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Errorf("empty tile: %d with %d bytes, want 204", r.status, len(r.body))
	}

	for _, c := range []struct {
		path, field string
		status      int
	}{
		{tilesBase + "/23/0/0", "tileMatrix", 404},
		{tilesBase + "/3/8/0", "tileRow", 404},
		{tilesBase + "/3/0/8", "tileCol", 404},
		{tilesBase + "/3/-1/0", "tileRow", 400},
		{tilesBase + "/x/0/0", "tileMatrix", 400},
		{"/collections/events/tiles/WorldCRS84Quad/0/0/0", "tileMatrixSetId", 404},
		{tilesBase + "/0/0/0?limit=5", "limit", 400},
		{tilesBase + "/0/0/0?f=png", "f", 400},
		{tilesBase + "/0/0/0?region=atlantis", "region", 400},
	} {
		r := get(t, ts.URL+c.path)
		if r.status != c.status || r.header.Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(string(r.body), `"field":"`+c.field+`"`) {
			t.Errorf("%s: %d %s, want %d problem naming %s", c.path, r.status, r.body, c.status, c.field)
		}
	}
}

// A tile of a place with more events than store.TileFeatureCap carries
// clusters with counts instead, so it stays small; the counts add up to
// every event on the tile, and each event is counted on exactly one of
// the four tiles below it. Zoomed in far enough, the events come one by one.
func TestCrowdedTilesAreClustered(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	const n = 5000
	// East of Homs, 5 km across, on one tile at zoom 9 and astride the
	// line at 36.914°E between two of its four zoom-10 tiles, with more
	// than TileFeatureCap events on each side.
	if _, err := w.raw.ExecContext(context.Background(), `
		INSERT INTO events (type, title, occurred_at, time_precision, geom, geo_precision, place, country, status, fatalities)
		SELECT 'clash', 'Crowd ' || i, timestamptz '2025-01-01' + i * interval '1 hour', 'exact',
			ST_SetSRID(ST_MakePoint(36.89 + (i % 71) * 0.0007, 34.71 + (i / 71) * 0.0005), 4326),
			'exact', 'Homs', 'SYR', 'reported', i % 3
		FROM generate_series(1, $1) i`, n); err != nil {
		t.Fatal(err)
	}
	homs := orb.Point{36.91, 34.73}
	parent := maptile.At(homs, 9)
	r, fs := getTile(t, w.ts.URL, parent, "type=clash")
	total, clusters := 0, 0
	for _, f := range fs {
		total += f.count()
		if f.count() > 1 {
			clusters++
			if _, ok := f.props["id"]; ok {
				t.Errorf("a cluster of %d carries an id", f.count())
			}
		}
	}
	// Every clash on the tile: the crowd and the fictional Homs-area ones.
	want := len(itemIDs(t, w.ts.URL+"/collections/events/items?type=clash&limit=10000&bbox="+bboxOf(parent)))
	if total != want || clusters == 0 {
		t.Errorf("tile %v: %d features, %d clusters, counts add to %d; want clusters adding to %d", parent, len(fs), clusters, total, want)
	}
	if len(fs) > 256 || len(r.body) > 64<<10 {
		t.Errorf("clustered tile: %d features in %d bytes; want at most 256 features, 64 KiB", len(fs), len(r.body))
	}
	t.Logf("clustered z9 tile: %d events in %d features, %d bytes", total, len(fs), len(r.body))

	children := 0
	for _, c := range parent.Children() {
		_, cfs := getTile(t, w.ts.URL, c, "type=clash")
		for _, f := range cfs {
			children += f.count()
		}
	}
	if children != total {
		t.Errorf("the four z10 tiles count %d events, their parent %d", children, total)
	}

	// At zoom 15 a tile holds a few hundred of them, one by one.
	deep := maptile.At(orb.Point{36.90, 34.72}, 15)
	_, fs = getTile(t, w.ts.URL, deep, "type=clash")
	if len(fs) == 0 || len(fs) > store.TileFeatureCap {
		t.Fatalf("z15 tile holds %d features", len(fs))
	}
	for _, f := range fs {
		if f.count() != 1 || !strings.HasPrefix(fmt.Sprint(f.props["title"]), "Crowd ") {
			t.Fatalf("z15 feature %v: want single crowd events", f.props)
		}
	}
}

// bboxOf is the tile's box as an items bbox parameter.
func bboxOf(t maptile.Tile) string {
	b := t.Bound()
	return fmt.Sprintf("%f,%f,%f,%f", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
}

package api_test

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"eventmap/config"
)

const (
	uriCRS84    = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	uriEPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
	uriEPSG3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
	dumayrID    = "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01"
)

// page is one items response as a client walking links sees it.
type page struct {
	url      string
	places   []string
	matched  *int
	returned int
	prev     string
	next     string
}

func getPage(t *testing.T, rawURL string) page {
	t.Helper()
	r := get(t, rawURL)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", rawURL, r.status, r.body)
	}
	var extra struct {
		NumberMatched *int `json:"numberMatched"`
	}
	if err := json.Unmarshal(r.body, &extra); err != nil {
		t.Fatal(err)
	}
	fc, fs := getItems(t, rawURL)
	for _, l := range fc.Links {
		if (l.Rel == "next" || l.Rel == "prev") && l.Type != "application/geo+json" {
			t.Errorf("%s link type %q, want application/geo+json", l.Rel, l.Type)
		}
	}
	return page{url: rawURL, places: places(fs), matched: extra.NumberMatched, returned: *fc.NumberReturned,
		prev: linkHref(fc, "prev"), next: linkHref(fc, "next")}
}

// walk follows next links from first to the end.
func walk(t *testing.T, first string) []page {
	t.Helper()
	var pages []page
	for u := first; u != ""; u = pages[len(pages)-1].next {
		if len(pages) > 50 {
			t.Fatalf("next links from %s never end", first)
		}
		pages = append(pages, getPage(t, u))
	}
	return pages
}

func allPlaces(pages []page) []string {
	var out []string
	for _, p := range pages {
		out = append(out, p.places...)
	}
	return out
}

// numberMatched is what a client that pages to the end actually receives,
// for every filter, and never counts restricted events.
func TestItemsNumberMatched(t *testing.T) {
	t.Parallel()
	ts, db := newServer(t)
	for _, params := range [][]string{
		nil,
		{"bbox", "35,32,42,37"},
		{"datetime", "2025-08-01/.."},
		{"type", "clash,arrest"},
		{"q", "fictional"},
		{"region", "badiya"},
		{"sortby", "-fatalities", "datetime", "2025-06-01/2025-10-31"},
		{"bbox", "-60,-40,-50,-30"},
	} {
		t.Run(strings.Join(params, "="), func(t *testing.T) {
			pages := walk(t, itemsURL(ts, append([]string{"limit", "2"}, params...)...))
			sum := 0
			for _, p := range pages {
				sum += p.returned
			}
			for i, p := range pages {
				if p.matched == nil || *p.matched != sum {
					t.Errorf("page %d: numberMatched %v, but the pages hold %d features", i+1, p.matched, sum)
				}
			}
		})
	}
	t.Run("restricted events are not counted", func(t *testing.T) {
		p := getPage(t, itemsURL(ts, "limit", "1"))
		if p.matched == nil || *p.matched != len(allPublic) {
			t.Errorf("numberMatched %v, want %d public events (the restricted one is not counted)", p.matched, len(allPublic))
		}
		p = getPage(t, itemsURL(ts, "limit", "1", "actor", "Unidentified armed group"))
		if p.matched == nil || *p.matched != 1 {
			t.Errorf("numberMatched %v for an actor of one public and one restricted event, want 1", p.matched)
		}
	})
	t.Run("above the count limit numberMatched is left out, not estimated", func(t *testing.T) {
		// The limit caps counts of events (a filter the map aggregates do
		// not hold, such as q); the aggregates' counts are exact at any size.
		ts3 := startServer(t, db, func(c *config.Config) { c.CountLimit = 3 })
		fictional := 0
		for _, p := range walk(t, itemsURL(ts, "q", "fictional")) {
			fictional += p.returned
		}
		if fictional <= 3 {
			t.Fatalf("q=fictional matches %d sample events; the test needs more than 3", fictional)
		}
		if p := getPage(t, itemsURL(ts3, "q", "fictional")); p.matched != nil {
			t.Errorf("%d matches with a limit of 3: numberMatched %d, want none", fictional, *p.matched)
		}
		if p := getPage(t, itemsURL(ts3)); p.matched == nil || *p.matched != len(allPublic) {
			t.Errorf("the whole collection from the aggregates with a limit of 3: numberMatched %v, want %d", p.matched, len(allPublic))
		}
		if p := getPage(t, itemsURL(ts3, "type", "clash,airstrike")); p.matched == nil || *p.matched != 3 {
			t.Errorf("3 matches with a limit of 3: numberMatched %v, want 3", p.matched)
		}
		ts0 := startServer(t, db, func(c *config.Config) { c.CountLimit = 0 })
		if p := getPage(t, itemsURL(ts0, "type", "clash")); p.matched != nil {
			t.Errorf("count limit 0: numberMatched %d, want none", *p.matched)
		}
	})
}

// Walking next to the end and prev back gives the same pages in reverse,
// with every other parameter kept.
func TestItemsPrevLinks(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	for _, params := range [][]string{
		{"limit", "2"},
		{"limit", "3", "sortby", "fatalities", "bbox", "35,32,42,37", "crs", "[EPSG:4326]"},
		{"limit", "1", "datetime", "2025-07-01/..", "sortby", "-title"},
	} {
		t.Run(strings.Join(params, "="), func(t *testing.T) {
			forward := walk(t, itemsURL(ts, params...))
			if len(forward) < 3 {
				t.Fatalf("only %d pages; the test needs a middle page", len(forward))
			}
			if forward[0].prev != "" {
				t.Errorf("first page has a prev link %s", forward[0].prev)
			}
			u := forward[len(forward)-1].prev
			for i := len(forward) - 2; i >= 0; i-- {
				if u == "" {
					t.Fatalf("page %d has no prev link", i+2)
				}
				link, _ := url.Parse(u)
				for j := 0; j+1 < len(params); j += 2 {
					if got := link.Query().Get(params[j]); got != params[j+1] {
						t.Errorf("prev link %s lost %s=%s", u, params[j], params[j+1])
					}
				}
				p := getPage(t, u)
				if !equalStrings(p.places, forward[i].places) {
					t.Errorf("prev to page %d gave %v, want %v", i+1, p.places, forward[i].places)
				}
				if p.next == "" {
					t.Errorf("page %d reached by prev has no next link", i+1)
				} else if n := getPage(t, p.next); !equalStrings(n.places, forward[i+1].places) {
					t.Errorf("next from page %d reached by prev gave %v, want %v", i+1, n.places, forward[i+1].places)
				}
				u = p.prev
			}
			if u != "" {
				t.Errorf("the first page, reached by prev, has a prev link %s", u)
			}
		})
	}
}

func TestItemsSortby(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)

	// Known orders of the sample data: NULL (unknown) fatalities come
	// last in both directions, ties fall back to the id.
	known := []struct {
		sortby string
		want   []string
	}{
		{"", allPublic},
		{"-occurred_at", allPublic},
		{"+occurred_at", []string{"Maarat al-Numan", "Aleppo", "Deir ez-Zor", "Palmyra", "Dumayr", "Homs", "southern Syria"}},
		{"fatalities", []string{"Aleppo", "Homs", "Dumayr", "Maarat al-Numan", "Deir ez-Zor", "southern Syria", "Palmyra"}},
		{"-fatalities", []string{"Deir ez-Zor", "Maarat al-Numan", "Dumayr", "Homs", "Aleppo", "Palmyra", "southern Syria"}},
		{"status,-occurred_at", []string{"Deir ez-Zor", "Aleppo", "Dumayr", "Maarat al-Numan", "southern Syria", "Homs", "Palmyra"}},
	}
	for _, tt := range known {
		t.Run("order "+tt.sortby, func(t *testing.T) {
			params := []string{"limit", "100"}
			if tt.sortby != "" {
				params = append(params, "sortby", tt.sortby)
			}
			p := getPage(t, itemsURL(ts, params...))
			if !equalStrings(p.places, tt.want) {
				t.Errorf("sortby=%s gave %v, want %v", tt.sortby, p.places, tt.want)
			}
		})
	}

	t.Run("every key, paged, equals the unpaged order", func(t *testing.T) {
		for _, key := range []string{"occurred_at", "updated_at", "fatalities", "civilian_fatalities", "title", "type", "country", "status"} {
			second := "-civilian_fatalities"
			if key == "civilian_fatalities" {
				second = "title"
			}
			for _, sortby := range []string{key, "-" + key, "+" + key + "," + second} {
				whole := getPage(t, itemsURL(ts, "sortby", sortby, "limit", "100"))
				paged := allPlaces(walk(t, itemsURL(ts, "sortby", sortby, "limit", "2")))
				if !equalStrings(paged, whole.places) {
					t.Errorf("sortby=%s: pages gave %v, one page %v", sortby, paged, whole.places)
				}
				seen := map[string]bool{}
				for _, p := range paged {
					if seen[p] {
						t.Errorf("sortby=%s: %s twice", sortby, p)
					}
					seen[p] = true
				}
			}
		}
	})

	t.Run("a + sent unescaped means ascending", func(t *testing.T) {
		p := getPage(t, ts.URL+"/collections/events/items?sortby=+occurred_at&limit=1")
		if !equalStrings(p.places, []string{"Maarat al-Numan"}) {
			t.Errorf("sortby=+occurred_at gave %v", p.places)
		}
	})

	for _, tt := range []struct{ name, query, field, rule string }{
		{"unknown key", "sortby=geom", "sortby", `unknown sort key "geom" (allowed: civilian_fatalities, country,`},
		{"SQL as a key", "sortby=title%3Bdrop%20table%20events", "sortby", "unknown sort key"},
		{"empty key", "sortby=title,,type", "sortby", "an empty sort key"},
		{"key twice", "sortby=title,-title", "sortby", "given twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := decodeProblem(t, get(t, ts.URL+"/collections/events/items?"+tt.query), http.StatusBadRequest)
			if len(p.Errors) != 1 || p.Errors[0].Field != tt.field || !strings.Contains(p.Errors[0].Rule, tt.rule) {
				t.Errorf("errors = %+v, want field %q rule containing %q", p.Errors, tt.field, tt.rule)
			}
		})
	}

	t.Run("a cursor only works with the sortby it came from", func(t *testing.T) {
		next := getPage(t, itemsURL(ts, "sortby", "title", "limit", "2")).next
		u, _ := url.Parse(next)
		q := u.Query()
		q.Set("sortby", "-title")
		u.RawQuery = q.Encode()
		p := decodeProblem(t, get(t, u.String()), http.StatusBadRequest)
		if len(p.Errors) != 1 || p.Errors[0].Field != "cursor" || !strings.Contains(p.Errors[0].Rule, "was issued for sortby=+title") {
			t.Errorf("errors = %+v", p.Errors)
		}
	})
}

// mercator is EPSG:3857 written out independently of PostGIS.
func mercator(lon, lat float64) (x, y float64) {
	const r = 6378137.0
	return r * lon * math.Pi / 180, r * math.Log(math.Tan(math.Pi/4+lat*math.Pi/360))
}

func TestItemsCRS(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	const lon, lat = 36.6939, 33.6439 // Dumayr
	x, y := mercator(lon, lat)

	tests := []struct {
		crs     string // as sent; "" for none
		content string // Content-Crs URI
		want    [2]float64
		within  float64
	}{
		{"", uriCRS84, [2]float64{lon, lat}, 1e-9},
		{uriCRS84, uriCRS84, [2]float64{lon, lat}, 1e-9},
		{uriEPSG4326, uriEPSG4326, [2]float64{lat, lon}, 1e-9},
		{"[EPSG:4326]", uriEPSG4326, [2]float64{lat, lon}, 1e-9},
		{uriEPSG3857, uriEPSG3857, [2]float64{x, y}, 0.01},
	}
	for _, tt := range tests {
		t.Run("crs="+tt.crs, func(t *testing.T) {
			var params []string
			if tt.crs != "" {
				params = []string{"crs", tt.crs}
			}
			// Item and items both, the items page found by a bbox around Dumayr.
			itemURL := ts.URL + "/collections/events/items/" + dumayrID
			if tt.crs != "" {
				itemURL += "?crs=" + url.QueryEscape(tt.crs)
			}
			urls := []string{itemURL, itemsURL(ts, append(params, "bbox", "36.5,33.5,36.9,33.8")...)}
			for _, u := range urls {
				r := get(t, u)
				if r.status != http.StatusOK {
					t.Fatalf("GET %s: %d %s", u, r.status, r.body)
				}
				// RFC 7946 dropped the crs member; clients that find one
				// may trust it over Content-Crs or reject the document.
				if strings.Contains(string(r.body), `"crs"`) {
					t.Errorf("GET %s: the body has a crs member: %.300s", u, r.body)
				}
				if got, want := r.header.Get("Content-Crs"), "<"+tt.content+">"; got != want {
					t.Errorf("GET %s: Content-Crs %q, want %q", u, got, want)
				}
				var g struct {
					Coordinates [2]float64 `json:"coordinates"`
				}
				var f feature
				if strings.Contains(u, "/items/") {
					_ = json.Unmarshal(r.body, &f)
				} else {
					_, fs := getItems(t, u)
					if len(fs) != 1 {
						t.Fatalf("GET %s: %d features", u, len(fs))
					}
					f = fs[0]
				}
				if err := json.Unmarshal(f.Geometry, &g); err != nil {
					t.Fatal(err)
				}
				if math.Abs(g.Coordinates[0]-tt.want[0]) > tt.within || math.Abs(g.Coordinates[1]-tt.want[1]) > tt.within {
					t.Errorf("GET %s: Dumayr at %v, want %v", u, g.Coordinates, tt.want)
				}
			}
		})
	}

	t.Run("EPSG:4326 polygons are swapped vertex by vertex", func(t *testing.T) {
		_, fs := getItems(t, itemsURL(ts, "crs", uriEPSG4326, "q", "caches"))
		var poly struct {
			Coordinates [][][2]float64 `json:"coordinates"`
		}
		if len(fs) != 1 || json.Unmarshal(fs[0].Geometry, &poly) != nil || len(poly.Coordinates) == 0 {
			t.Fatalf("no caches polygon: %v", fs)
		}
		var ring orb.Ring
		for _, p := range poly.Coordinates[0] {
			if p[0] < 32 || p[0] > 34 || p[1] < 35 || p[1] > 38 {
				t.Fatalf("vertex %v is not latitude, longitude in southern Syria", p)
			}
			ring = append(ring, orb.Point{p[1], p[0]})
		}
		if ring.Orientation() != orb.CCW {
			t.Errorf("swapped back to lon/lat, the ring is not counter-clockwise")
		}
	})

	t.Run("bbox-crs selects the same events in every CRS", func(t *testing.T) {
		x0, y0 := mercator(35, 32)
		x1, y1 := mercator(38.5, 34)
		for _, box := range []struct{ name, crs, bbox string }{
			{"CRS84", "", "35,32,38.5,34"},
			{"CRS84 named", uriCRS84, "35,32,38.5,34"},
			{"EPSG:4326 lat/lon", uriEPSG4326, "32,35,34,38.5"},
			{"EPSG:4326 safe CURIE", "[EPSG:4326]", "32,35,34,38.5"},
			{"EPSG:3857 metres", uriEPSG3857, fmtNums(x0, y0, x1, y1)},
		} {
			params := []string{"bbox", box.bbox}
			if box.crs != "" {
				params = append(params, "bbox-crs", box.crs)
			}
			_, fs := getItems(t, itemsURL(ts, params...))
			if got, want := places(fs), []string{"southern Syria", "Dumayr"}; !equalStrings(got, want) {
				t.Errorf("%s: bbox %s selected %v, want %v", box.name, box.bbox, got, want)
			}
		}
	})

	t.Run("links keep the crs", func(t *testing.T) {
		p := getPage(t, itemsURL(ts, "crs", uriEPSG3857, "limit", "2"))
		if !strings.Contains(p.next, "crs="+uriEPSG3857) {
			t.Errorf("next link %s lost the crs", p.next)
		}
	})

	t.Run("the collection lists its CRSs", func(t *testing.T) {
		var coll struct {
			CRS        []string `json:"crs"`
			StorageCRS string   `json:"storageCrs"`
		}
		if err := json.Unmarshal(get(t, ts.URL+"/collections/events").body, &coll); err != nil {
			t.Fatal(err)
		}
		if want := []string{uriCRS84, uriEPSG4326, uriEPSG3857}; !slices.Equal(coll.CRS, want) || coll.StorageCRS != uriCRS84 {
			t.Errorf("crs %v storageCrs %q, want %v and %q", coll.CRS, coll.StorageCRS, want, uriCRS84)
		}
	})

	for _, tt := range []struct{ name, path, field, rule string }{
		{"unsupported crs", "/collections/events/items?crs=http://www.opengis.net/def/crs/EPSG/0/2056", "crs", `unsupported CRS "http://www.opengis.net/def/crs/EPSG/0/2056" (supported: ` + uriCRS84},
		{"unsupported crs on one item", "/collections/events/items/" + dumayrID + "?crs=EPSG:4326", "crs", "unsupported CRS"},
		{"unsupported bbox-crs", "/collections/events/items?bbox=1,2,3,4&bbox-crs=[EPSG:2056]", "bbox-crs", "unsupported CRS"},
		{"bbox out of range in its CRS", "/collections/events/items?bbox=100,36,101,37&bbox-crs=[EPSG:4326]", "bbox", "latitude 100 is outside -90..90"},
		{"EPSG:3857 bbox beyond the world", "/collections/events/items?bbox=-3e7,0,0,1&bbox-crs=[EPSG:3857]", "bbox", "outside ±20037508.342789244 metres"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := decodeProblem(t, get(t, ts.URL+tt.path), http.StatusBadRequest)
			if len(p.Errors) != 1 || p.Errors[0].Field != tt.field || !strings.Contains(p.Errors[0].Rule, tt.rule) {
				t.Errorf("errors = %+v, want field %q rule containing %q", p.Errors, tt.field, tt.rule)
			}
		})
	}
}

func fmtNums(v ...float64) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), "[]")
}

func TestItemsAttributeFilters(t *testing.T) {
	t.Parallel()
	ts, db := newServer(t)
	// Titles with LIKE wildcards in them: q must match them literally.
	createEvent(t, db, "rate 100%", orb.Point{10, 10}, "public")
	createEvent(t, db, "rate 1000", orb.Point{10, 10}, "public")
	createEvent(t, db, "snake_case", orb.Point{10, 10}, "public")
	createEvent(t, db, "snakeXcase", orb.Point{10, 10}, "public")

	tests := []struct {
		name   string
		params []string
		want   []string
	}{
		{"one type", []string{"type", "clash"}, []string{"Palmyra", "Maarat al-Numan"}},
		{"a list of types", []string{"type", "clash,airstrike"}, []string{"Palmyra", "Deir ez-Zor", "Maarat al-Numan"}},
		{"status", []string{"status", "confirmed"}, []string{"Deir ez-Zor", "Aleppo"}},
		{"statuses", []string{"status", "disputed, corroborated"}, []string{"Dumayr", "Maarat al-Numan"}},
		{"country", []string{"country", "SYR", "type", "raid"}, []string{"Dumayr"}},
		{"country in lower case", []string{"country", "syr", "type", "raid"}, []string{"Dumayr"}},
		{"another country", []string{"country", "IRQ"}, []string{}},
		{"actor, any case", []string{"actor", "islamic STATE"}, []string{"southern Syria", "Palmyra"}},
		{"actor with a restricted event", []string{"actor", "Unidentified armed group"}, []string{"Maarat al-Numan"}},
		{"actor name must match whole", []string{"actor", "Islamic"}, []string{}},
		{"q, any case", []string{"q", "DUMAYR"}, []string{"Dumayr"}},
		{"q in summaries, restricted stays hidden", []string{"q", "damascus"}, []string{"Dumayr"}},
		{"q every word", []string{"q", "fictional palmyra"}, []string{"Palmyra"}},
		{"q percent is literal", []string{"q", "100%"}, []string{"rate 100%"}},
		{"q underscore is literal", []string{"q", "snake_"}, []string{"snake_case"}},
		{"region", []string{"region", "badiya"}, []string{"southern Syria", "Palmyra"}},
		{"region and type", []string{"region", "badiya", "type", "clash"}, []string{"Palmyra"}},
		{"everything at once", []string{"type", "raid,clash", "status", "corroborated", "country", "SYR", "actor", "us forces", "q", "raid", "bbox", "35,32,42,37", "datetime", "2025-10-19"}, []string{"Dumayr"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, fs := getItems(t, itemsURL(ts, tt.params...))
			got := places(fs)
			if !equalStrings(got, tt.want) {
				t.Errorf("%v gave %v, want %v", tt.params, got, tt.want)
			}
		})
	}

	for _, tt := range []struct{ name, query, field, rule string }{
		{"unknown type", "type=bombing", "type", `must be one or more of raid, airstrike, cache_destruction, clash, arrest, explosion, other separated by commas, got "bombing"`},
		{"empty type in a list", "type=raid,", "type", `got ""`},
		{"unknown status", "status=rumoured", "status", "must be one or more of reported, corroborated"},
		{"country not alpha-3", "country=SY", "country", "ISO 3166-1 alpha-3"},
		{"country with SQL", "country=SYR'--", "country", "ISO 3166-1 alpha-3"},
		{"unknown region", "region=atlantis", "region", `no region named "atlantis"`},
		{"empty q", "q=%20", "q", "must not be empty"},
		{"long actor", "actor=" + strings.Repeat("a", 301), "actor", "at most 300 characters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := decodeProblem(t, get(t, ts.URL+"/collections/events/items?"+tt.query), http.StatusBadRequest)
			if len(p.Errors) != 1 || p.Errors[0].Field != tt.field || !strings.Contains(p.Errors[0].Rule, tt.rule) {
				t.Errorf("errors = %+v, want field %q rule containing %q", p.Errors, tt.field, tt.rule)
			}
			if strings.Contains(strings.ToLower(p.Detail), "select") || strings.Contains(p.Detail, "regions") {
				t.Errorf("detail %q shows internals", p.Detail)
			}
		})
	}
}

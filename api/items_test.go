package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"eventmap"
	"eventmap/config"
	"eventmap/geo"
	"eventmap/store"
)

// Public sample events, newest first: the order every unfiltered page uses.
var allPublic = []string{"southern Syria", "Homs", "Dumayr", "Palmyra", "Deir ez-Zor", "Aleppo", "Maarat al-Numan"}

func TestItemsBBox(t *testing.T) {
	t.Parallel()
	ts, db := newServer(t)
	// Two events either side of the antimeridian and one at 0°, which a
	// naive west>east box (170..-170 read as -170..170) would wrongly select.
	for _, p := range []struct {
		place string
		at    orb.Point
	}{{"Suva side", orb.Point{179.5, -1}}, {"Samoa side", orb.Point{-179.5, 1}}, {"Gulf of Guinea", orb.Point{0, 0}}} {
		createEvent(t, db, p.place, p.at, "public")
	}

	tests := []struct {
		name string
		bbox string
		want []string
	}{
		{"around Dumayr: the raid, not the caches to the south nor Damascus", "36.5,33.5,36.9,33.8", []string{"Dumayr"}},
		{"southern Syria touches the caches area only", "36.0,32.6,36.3,32.9", []string{"southern Syria"}},
		{"six numbers with heights", "36.5,33.5,-100,36.9,33.8,9000", []string{"Dumayr"}},
		{"far away is empty", "-60,-40,-50,-30", []string{}},
		{"antimeridian selects both sides only", "170,-10,-170,10", []string{"Samoa side", "Suva side"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc, fs := getItems(t, itemsURL(ts, "bbox", tt.bbox))
			if fc.Features == nil {
				t.Fatalf("features is null, want an array")
			}
			got := places(fs)
			sortStrings(got)
			sortStrings(tt.want)
			if !equalStrings(got, tt.want) {
				t.Errorf("bbox=%s returned %v, want %v", tt.bbox, got, tt.want)
			}
			if fc.NumberReturned == nil || *fc.NumberReturned != len(tt.want) {
				t.Errorf("numberReturned = %v, want %d", fc.NumberReturned, len(tt.want))
			}
		})
	}

	t.Run("empty result is an empty array, not null", func(t *testing.T) {
		r := get(t, itemsURL(ts, "bbox", "-60,-40,-50,-30"))
		if !strings.Contains(string(r.body), `"features":[]`) {
			t.Errorf("body %s does not hold \"features\":[]", r.body)
		}
	})
}

func TestItemsDatetime(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	tests := []struct {
		name     string
		datetime string
		want     []string
	}{
		{"instant of the raid (03:00 Damascus = 00:00 UTC)", "2025-10-19T03:00:00+03:00", []string{"Dumayr"}},
		{"instant a second later matches nothing", "2025-10-19T00:00:01Z", []string{}},
		{"whole day", "2025-10-19", []string{"Dumayr"}},
		{"closed interval", "2025-10-01T00:00:00Z/2025-10-31T23:59:59Z", []string{"Homs", "Dumayr"}},
		{"closed interval, end instant included", "2025-10-01T00:00:00Z/2025-10-19T00:00:00Z", []string{"Dumayr"}},
		{"open start", "../2025-07-31", []string{"Aleppo", "Maarat al-Numan"}},
		{"open end (restricted Damascus event stays hidden)", "2025-11-01T00:00:00Z/..", []string{"southern Syria"}},
		{"empty start", "/2025-06-30", []string{"Maarat al-Numan"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, fs := getItems(t, itemsURL(ts, "datetime", tt.datetime))
			if got := places(fs); !equalStrings(got, tt.want) {
				t.Errorf("datetime=%s returned %v, want %v", tt.datetime, got, tt.want)
			}
		})
	}
	t.Run("bbox and datetime together", func(t *testing.T) {
		_, fs := getItems(t, itemsURL(ts, "bbox", "36.5,33.5,36.9,33.8", "datetime", "2025-11-01/.."))
		if len(fs) != 0 {
			t.Errorf("raid is before November, got %v", places(fs))
		}
	})
}

func TestItemsInvalidParameters(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	tests := []struct {
		name, query, field, rule string
	}{
		{"bbox with 3 numbers", "bbox=1,2,3", "bbox", "expected 4 or 6 comma-separated numbers, got 3"},
		{"bbox not numbers", "bbox=a,b,c,d", "bbox", "is not a finite number"},
		{"bbox longitude out of range", "bbox=-200,0,10,10", "bbox", "longitude -200 is outside -180..180"},
		{"bbox south above north", "bbox=0,10,10,0", "bbox", "south latitude 10 is greater than north latitude 0"},
		{"bbox NaN", "bbox=NaN,0,1,1", "bbox", "not a finite number"},
		{"datetime garbage", "datetime=yesterday", "datetime", "not an RFC 3339 date-time"},
		{"datetime open both ends", "datetime=../..", "datetime", "at least one bounded end"},
		{"datetime reversed", "datetime=2025-10-19/2025-10-01", "datetime", "is after its end"},
		{"datetime without zone", "datetime=2025-10-19T03:00:00", "datetime", "no time zone offset"},
		{"limit zero", "limit=0", "limit", "must be at least 1"},
		{"limit negative", "limit=-5", "limit", "must be at least 1"},
		{"limit not a number", "limit=ten", "limit", "must be an integer"},
		{"limit empty", "limit=", "limit", "must be an integer"},
		{"unknown parameter", "bbbox=1,2,3,4", "bbbox", "unknown parameter"},
		{"parameter twice", "bbox=36,33,37,34&bbox=1,2,3,4", "bbox", "given more than once"},
		{"cursor forged", "cursor=not-a-cursor", "cursor", "not a cursor issued by this server"},
		{"unsupported format", "f=xml", "f", "must be json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, ts.URL+"/collections/events/items?"+tt.query)
			p := decodeProblem(t, r, http.StatusBadRequest)
			if len(p.Errors) != 1 || p.Errors[0].Field != tt.field || !strings.Contains(p.Errors[0].Rule, tt.rule) {
				t.Errorf("errors = %+v, want field %q with rule containing %q", p.Errors, tt.field, tt.rule)
			}
			if !strings.HasPrefix(p.Detail, tt.field+": ") {
				t.Errorf("detail %q does not start with the field name", p.Detail)
			}
		})
	}
}

func TestItemsPaging(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, func(c *config.Config) { c.MaxLimit = 5 })

	t.Run("next links walk every event once, in order", func(t *testing.T) {
		var got []string
		next := itemsURL(ts, "limit", "2")
		pages := 0
		for next != "" {
			pages++
			if pages > 10 {
				t.Fatal("more than 10 pages for 7 events")
			}
			fc, fs := getItems(t, next)
			if *fc.NumberReturned != len(fs) {
				t.Errorf("numberReturned %d but %d features", *fc.NumberReturned, len(fs))
			}
			got = append(got, places(fs)...)
			next = linkHref(fc, "next")
			if next != "" && !strings.Contains(next, "limit=2") {
				t.Errorf("next link %s lost the limit parameter", next)
			}
		}
		if !equalStrings(got, allPublic) {
			t.Errorf("pages gave %v, want %v", got, allPublic)
		}
		if pages != 4 {
			t.Errorf("%d pages for 7 events at 2 per page, want 4", pages)
		}
	})

	t.Run("next keeps the filters", func(t *testing.T) {
		fc, fs := getItems(t, itemsURL(ts, "limit", "1", "datetime", "2025-10-01/2025-10-31"))
		if got := places(fs); !equalStrings(got, []string{"Homs"}) {
			t.Fatalf("first page %v", got)
		}
		next := linkHref(fc, "next")
		if !strings.Contains(next, "datetime=2025-10-01/2025-10-31") {
			t.Fatalf("next link %q lost the datetime filter", next)
		}
		fc, fs = getItems(t, next)
		if got := places(fs); !equalStrings(got, []string{"Dumayr"}) {
			t.Fatalf("second page %v", got)
		}
		if linkHref(fc, "next") != "" {
			t.Errorf("last page has a next link")
		}
	})

	t.Run("limit above the maximum is clamped, not refused", func(t *testing.T) {
		_, fs := getItems(t, itemsURL(ts, "limit", "1000"))
		if len(fs) != 5 {
			t.Errorf("limit=1000 with maximum 5 returned %d features", len(fs))
		}
		_, fs = getItems(t, itemsURL(ts, "limit", "99999999999999999999999"))
		if len(fs) != 5 {
			t.Errorf("huge limit returned %d features", len(fs))
		}
	})

	t.Run("default limit applies", func(t *testing.T) {
		ts2, _ := newServer(t, func(c *config.Config) { c.DefaultLimit = 3 })
		fc, fs := getItems(t, itemsURL(ts2))
		if len(fs) != 3 || linkHref(fc, "next") == "" {
			t.Errorf("default limit 3: got %d features, next %q", len(fs), linkHref(fc, "next"))
		}
	})
}

// TestItemsAreRFC7946 checks what GIS clients rely on: valid geometry
// types, closed rings, finite in-range coordinates with 2 or 3 numbers,
// no crs member, string ids.
func TestItemsAreRFC7946(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	r := get(t, itemsURL(ts, "limit", "100"))
	var top map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &top); err != nil {
		t.Fatal(err)
	}
	if _, ok := top["crs"]; ok {
		t.Error("FeatureCollection has a crs member")
	}
	_, fs := getItems(t, itemsURL(ts, "limit", "100"))
	if len(fs) != len(allPublic) {
		t.Fatalf("%d features, want %d", len(fs), len(allPublic))
	}
	for _, f := range fs {
		if f.Type != "Feature" || f.ID == "" {
			t.Errorf("feature %q: type %q id %q", f.Properties.Title, f.Type, f.ID)
		}
		g, err := geo.ParseGeometry(f.Geometry, geo.DefaultLimits)
		if err != nil {
			t.Errorf("feature %q: geometry %s is not RFC 7946: %v", f.Properties.Place, f.Geometry, err)
			continue
		}
		if poly, ok := g.(orb.Polygon); ok && poly[0].Orientation() != orb.CCW {
			t.Errorf("feature %q: exterior ring is not counter-clockwise", f.Properties.Place)
		}
		if _, err := time.Parse(time.RFC3339, f.Properties.OccurredAt); err != nil {
			t.Errorf("feature %q: occurred_at %q is not RFC 3339", f.Properties.Place, f.Properties.OccurredAt)
		}
	}
}

func TestItemByID(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	const dumayr = "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01"
	const restricted = "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e08"

	t.Run("the corrected Dumayr raid", func(t *testing.T) {
		r := get(t, ts.URL+"/collections/events/items/"+dumayr)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/geo+json" {
			t.Fatalf("status %d, type %q: %s", r.status, r.header.Get("Content-Type"), r.body)
		}
		// The Go client asks for gzip: the tag then says so.
		if got, want := r.header.Get("ETag"), `"2-gzip"`; got != want {
			t.Errorf("ETag = %s, want %s (created, then corrected)", got, want)
		}
		var f feature
		if err := json.Unmarshal(r.body, &f); err != nil {
			t.Fatal(err)
		}
		p := f.Properties
		if f.ID != dumayr || p.Status != "corroborated" || p.Fatalities == nil || *p.Fatalities != 1 ||
			p.CivilianFatalities == nil || *p.CivilianFatalities != 1 || p.OccurredAt != "2025-10-19T00:00:00+00:00" {
			t.Errorf("unexpected Dumayr feature: %s", r.body)
		}
		var victim bool
		for _, a := range p.Actors {
			victim = victim || (a.Name == "Khaled al-Masoud" && a.Role == "victim")
		}
		if !victim || len(p.Sources) == 0 {
			t.Errorf("actors %+v / sources %+v miss the victim or the source", p.Actors, p.Sources)
		}
		var withLinks struct {
			Links []struct{ Rel, Href string } `json:"links"`
		}
		_ = json.Unmarshal(r.body, &withLinks)
		if len(withLinks.Links) == 0 || withLinks.Links[0].Rel != "self" || !strings.HasSuffix(withLinks.Links[0].Href, dumayr) {
			t.Errorf("links = %+v, want self first", withLinks.Links)
		}
	})

	for name, id := range map[string]string{
		"unknown uuid":                        "00000000-0000-0000-0000-000000000000",
		"not a uuid":                          "dumayr",
		"restricted event is 404, not 403":    restricted,
		"sql in the id goes nowhere near SQL": "1'%20OR%20'1'='1",
	} {
		t.Run(name, func(t *testing.T) {
			p := decodeProblem(t, get(t, ts.URL+"/collections/events/items/"+id), http.StatusNotFound)
			if !strings.Contains(p.Detail, "no event with id") {
				t.Errorf("detail %q", p.Detail)
			}
		})
	}
}

func TestRestrictedEventsAreInvisibleToAnonymousReaders(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	_, fs := getItems(t, itemsURL(ts, "limit", "1000"))
	for _, f := range fs {
		if f.Properties.Visibility != "public" || f.Properties.Place == "Damascus" {
			t.Errorf("anonymous list includes %q (visibility %q)", f.Properties.Title, f.Properties.Visibility)
		}
	}
	_, fs = getItems(t, itemsURL(ts, "bbox", "36.2,33.4,36.4,33.6"))
	if len(fs) != 0 {
		t.Errorf("bbox around the restricted Damascus event returned %v", places(fs))
	}
}

// createEvent stores a minimal public test event.
func createEvent(t *testing.T, db *store.DB, place string, at orb.Point, visibility string) {
	t.Helper()
	ev := &eventmap.Event{
		Type: "other", Title: "Test event at " + place, OccurredAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		TimePrecision: "day", Geometry: at, GeoPrecision: "exact", Place: place, Country: "XXX",
		Status: "reported", Visibility: visibility,
	}
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.CreateEvent(context.Background(), ev, eventmap.Revision{Editor: "test", Reason: "test fixture"})
		return err
	})
	if err != nil {
		t.Fatalf("create %s: %v", place, err)
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

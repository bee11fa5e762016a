package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
)

type clusterBody struct {
	Type           string `json:"type"`
	Zoom           int    `json:"zoom"`
	NumberMatched  int    `json:"numberMatched"`
	NumberReturned int    `json:"numberReturned"`
	Features       []struct {
		ID       string     `json:"id"`
		BBox     [4]float64 `json:"bbox"`
		Geometry struct {
			Type        string     `json:"type"`
			Coordinates [2]float64 `json:"coordinates"`
		} `json:"geometry"`
		Properties struct {
			Count int    `json:"count"`
			ID    string `json:"id"`
			Type  string `json:"type"`
		} `json:"properties"`
	} `json:"features"`
	Links []struct {
		Href string `json:"href"`
		Rel  string `json:"rel"`
	} `json:"links"`
}

func decodeJSON[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.body)
	}
	return v
}

// sampleView is a box around every sample event in Syria.
const sampleView = "35,32,42,37.5"

// The counts of the cells add up to numberMatched, which is the items
// count for the same filters, at every zoom: a map that shows clusters
// shows every event exactly once. Zoomed out, nearby events share a cell;
// zoomed in, every cell is one event and names it.
func TestClustersCountEveryEventOnce(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	items := func(params ...string) []string {
		t.Helper()
		_, fs := getItems(t, itemsURL(ts, append(params, "limit", "1000")...))
		ids := make([]string, len(fs))
		for i, f := range fs {
			ids[i] = f.ID
		}
		slices.Sort(ids)
		return ids
	}
	want := items("bbox", sampleView)
	if len(want) != 7 {
		t.Fatalf("the sample view holds %d public events, want 7", len(want))
	}
	for _, zoom := range []int{3, 5, 7, 10} {
		t.Run(fmt.Sprint("zoom ", zoom), func(t *testing.T) {
			cb := decodeJSON[clusterBody](t, get(t, fmt.Sprintf("%s/collections/events/clusters?bbox=%s&zoom=%d", ts.URL, sampleView, zoom)))
			sum, ids := 0, []string{}
			for _, f := range cb.Features {
				sum += f.Properties.Count
				if f.Properties.Count == 1 {
					if f.ID == "" || f.ID != f.Properties.ID {
						t.Errorf("a cell of one event names no event: %+v", f)
					}
					ids = append(ids, f.ID)
				} else if f.ID != "" {
					t.Errorf("a cell of %d events has id %q", f.Properties.Count, f.ID)
				}
				if lon, lat := f.Geometry.Coordinates[0], f.Geometry.Coordinates[1]; lon < f.BBox[0] || lon > f.BBox[2] || lat < f.BBox[1] || lat > f.BBox[3] {
					t.Errorf("cell at %v lies outside its own bbox %v", f.Geometry.Coordinates, f.BBox)
				}
			}
			if sum != len(want) || cb.NumberMatched != len(want) {
				t.Errorf("counts add up to %d, numberMatched %d; items has %d events", sum, cb.NumberMatched, len(want))
			}
			if cb.NumberReturned != len(cb.Features) || cb.Zoom != zoom || cb.Type != "FeatureCollection" {
				t.Errorf("numberReturned %d for %d cells, zoom %d, type %q", cb.NumberReturned, len(cb.Features), cb.Zoom, cb.Type)
			}
			switch {
			case zoom <= 3 && len(cb.Features) >= len(want):
				t.Errorf("zoom %d: %d cells for %d events; events 100 km apart must share cells", zoom, len(cb.Features), len(want))
			case zoom >= 10:
				slices.Sort(ids)
				if !slices.Equal(ids, want) {
					t.Errorf("zoom %d: single-event cells name %v, items has %v", zoom, ids, want)
				}
			}
		})
	}
}

// Every items filter narrows the clusters exactly as it narrows items,
// and the items link of the answer lists the events it counted.
func TestClustersApplyTheItemsFilters(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	for _, params := range [][]string{
		{"type", "clash"},
		{"status", "reported,disputed"},
		{"q", "Dumayr"},
		{"datetime", "2025-09-01/2025-10-31"},
		{"actor", "islamic state"},
		{"region", "badiya"},
		{"filter", "fatalities >= 1"},
		{"as_of", "2025-11-01T00:00:00Z", "status", "reported"},
	} {
		t.Run(strings.Join(params, "="), func(t *testing.T) {
			fc, _ := getItems(t, itemsURL(ts, append(params, "bbox", sampleView, "limit", "1000")...))
			q := url.Values{"bbox": {sampleView}, "zoom": {"6"}}
			for i := 0; i+1 < len(params); i += 2 {
				q.Set(params[i], params[i+1])
			}
			cb := decodeJSON[clusterBody](t, get(t, ts.URL+"/collections/events/clusters?"+q.Encode()))
			if cb.NumberMatched != len(fc.Features) {
				t.Errorf("clusters count %d events, items returns %d", cb.NumberMatched, len(fc.Features))
			}
			if cb.NumberMatched == 7 {
				t.Errorf("the filter selected every sample event; it tests nothing")
			}
			var itemsLink string
			for _, l := range cb.Links {
				if l.Rel == "items" {
					itemsLink = l.Href
				}
			}
			linked, _ := getItems(t, itemsLink)
			if len(linked.Features) != cb.NumberMatched {
				t.Errorf("the items link %s lists %d events, the clusters count %d", itemsLink, len(linked.Features), cb.NumberMatched)
			}
		})
	}
}

// Restricted events exist in clusters and histograms only for token
// holders: anonymous counts are the public ones, and no cell names the
// restricted event.
func TestClustersAndHistogramHideRestrictedEvents(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	for _, c := range []struct {
		name, token string
		want        int
	}{{"anonymous", "", 7}, {"reader", w.reader, 8}} {
		t.Run(c.name, func(t *testing.T) {
			r := w.do(t, "GET", "/collections/events/clusters?bbox="+sampleView+"&zoom=10", c.token, "")
			cb := decodeJSON[clusterBody](t, r)
			if cb.NumberMatched != c.want {
				t.Errorf("clusters count %d events, want %d", cb.NumberMatched, c.want)
			}
			if leaked := strings.Contains(string(r.body), restrictedID); leaked != (c.want == 8) {
				t.Errorf("restricted event named in the clusters: %v, want %v", leaked, c.want == 8)
			}
			wantCC := map[bool]string{true: "private, max-age=60", false: "public, max-age=60"}[c.token != ""]
			if cc := r.header.Get("Cache-Control"); cc != wantCC {
				t.Errorf("Cache-Control %q, want %q", cc, wantCC)
			}
			h := decodeJSON[histogramBody](t, w.do(t, "GET", "/collections/events/histogram?datetime=2025-11-01/2025-11-30", c.token, ""))
			// November: the weapons caches, and the restricted Damascus arrest.
			if h.NumberMatched != c.want-6 {
				t.Errorf("histogram counts %d events in November, want %d", h.NumberMatched, c.want-6)
			}
		})
	}
}

type histogramBody struct {
	Interval      string `json:"interval"`
	NumberMatched int    `json:"numberMatched"`
	Buckets       []struct {
		Start string `json:"start"`
		End   string `json:"end"`
		Count int    `json:"count"`
	} `json:"buckets"`
}

// The histogram puts each public sample event in the period it happened,
// in UTC (the Dumayr raid, 03:00 +03:00, is at midnight UTC on Sunday 19
// October, so in the ISO week of Monday the 13th).
func TestHistogramCountsEventsPerPeriod(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	tests := []struct {
		query string
		want  string
	}{
		{"", "2025-06-01:1 2025-07-01:1 2025-08-01:1 2025-09-01:1 2025-10-01:2 2025-11-01:1"},
		{"?interval=month&type=clash,raid", "2025-06-01:1 2025-09-01:1 2025-10-01:1"},
		{"?interval=year", "2025-01-01:7"},
		{"?interval=day&q=Dumayr", "2025-10-19:1"},
		{"?interval=week&bbox=36.5,33.5,36.9,33.8", "2025-10-13:1"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			h := decodeJSON[histogramBody](t, get(t, ts.URL+"/collections/events/histogram"+tt.query))
			var got []string
			sum := 0
			for _, b := range h.Buckets {
				got = append(got, fmt.Sprintf("%s:%d", b.Start[:10], b.Count))
				sum += b.Count
				if b.End <= b.Start {
					t.Errorf("bucket %s ends at %s", b.Start, b.End)
				}
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("buckets %s, want %s", g, tt.want)
			}
			if sum != h.NumberMatched {
				t.Errorf("buckets add up to %d, numberMatched %d", sum, h.NumberMatched)
			}
		})
	}
}

// A client that already holds the answer gets a 304 without a body, and a
// changed filter changes the ETag.
func TestClustersAndHistogramRevalidateWithETag(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	for _, path := range []string{
		"/collections/events/clusters?bbox=" + sampleView + "&zoom=7",
		"/collections/events/histogram?bbox=" + sampleView,
		"/collections/regions/items",
	} {
		t.Run(path, func(t *testing.T) {
			first := get(t, ts.URL+path)
			tag := first.header.Get("ETag")
			if first.status != http.StatusOK || !strings.HasPrefix(strings.TrimPrefix(tag, "W/"), `"`) {
				t.Fatalf("status %d, ETag %q", first.status, tag)
			}
			req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
			req.Header.Set("If-None-Match", tag)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
				t.Errorf("If-None-Match with the current ETag: status %d, %d bytes; want 304 and none", resp.StatusCode, len(body))
			}
			if strings.Contains(path, "regions") {
				return
			}
			other := get(t, ts.URL+path+"&type=raid")
			if other.header.Get("ETag") == tag {
				t.Errorf("type=raid answers with the same ETag %s as every type", tag)
			}
		})
	}
}

// Every refusal names the parameter and the rule; a box too large for the
// zoom is refused rather than answered with an unbounded number of cells.
func TestClustersRefuseBadInput(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	tests := []struct {
		query, field, rule string
	}{
		{"bbox=35,32,42,37", "zoom", "is required"},
		{"bbox=35,32,42,37&zoom=23", "zoom", "from 0 to 22"},
		{"bbox=35,32,42,37&zoom=-1", "zoom", "from 0 to 22"},
		{"bbox=35,32,42,37&zoom=seven", "zoom", "integer"},
		{"zoom=7", "bbox", "is required"},
		{"bbox=-180,-85,180,85&zoom=9", "bbox", "at most 8192"},
		{"bbox=35,32,42,37&zoom=7&limit=10", "limit", "unknown parameter"},
		{"bbox=35,32,42,37&zoom=7&type=bombing", "type", "must be one or more of"},
		{"bbox=35,32,42,37&zoom=7&region=atlantis", "region", "no region named"},
		{"bbox=35,32,42,37&zoom=7&zoom=8", "zoom", "given more than once"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			checkProblem(t, get(t, ts.URL+"/collections/events/clusters?"+tt.query), tt.field, tt.rule)
		})
	}
	checkProblem(t, get(t, ts.URL+"/collections/events/histogram?interval=decade"), "interval", "must be one of day, week, month, year")
	checkProblem(t, get(t, ts.URL+"/collections/events/histogram?zoom=3"), "zoom", "unknown parameter")
	checkProblem(t, get(t, ts.URL+"/collections/regions/items?zoom=3"), "zoom", "unknown parameter")
	// The whole world at zoom 5 is 8192 pixels wide: still allowed.
	if r := get(t, ts.URL+"/collections/events/clusters?bbox=-180,-85,180,85&zoom=5"); r.status != http.StatusOK {
		t.Errorf("the world at zoom 5: status %d %s", r.status, r.body)
	}
}

func checkProblem(t *testing.T, r response, field, rule string) {
	t.Helper()
	if r.status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("Content-Type %q", ct)
	}
	var p problemBody
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	for _, e := range p.Errors {
		if e.Field == field && strings.Contains(e.Rule, rule) {
			return
		}
	}
	t.Errorf("no error naming %s with %q: %s", field, rule, r.body)
}

// The regions overlay: every stored region, with the id the items region
// filter takes.
func TestRegionsAreServedForTheOverlay(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	r := get(t, ts.URL+"/collections/regions/items")
	if ct := r.header.Get("Content-Type"); ct != "application/geo+json" {
		t.Errorf("Content-Type %q", ct)
	}
	type regionCollection struct {
		Type     string `json:"type"`
		Features []struct {
			ID       string `json:"id"`
			Geometry struct {
				Type string `json:"type"`
			} `json:"geometry"`
			Properties struct {
				Name        string `json:"name"`
				Approximate bool   `json:"approximate"`
			} `json:"properties"`
		} `json:"features"`
	}
	fc := decodeJSON[regionCollection](t, r)
	if fc.Type != "FeatureCollection" || len(fc.Features) != 1 {
		t.Fatalf("type %q with %d regions, want the one sample region: %.300s", fc.Type, len(fc.Features), r.body)
	}
	b := fc.Features[0]
	if b.ID != "badiya" || !strings.Contains(b.Properties.Name, "Badiya") || !b.Properties.Approximate || b.Geometry.Type != "MultiPolygon" {
		t.Errorf("region %+v, want badiya, an approximate MultiPolygon", b)
	}
	// Its id works as the items filter.
	if fcItems, _ := getItems(t, itemsURL(ts, "region", b.ID)); len(fcItems.Features) == 0 {
		t.Errorf("region=%s selects no sample event", b.ID)
	}
}

// The three endpoints answer as /api says, errors included.
func TestSummariesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	doc := loadAPI(t, ts.URL)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path   string
		status int
	}{
		{"/collections/events/clusters?bbox=35,32,42,37&zoom=7", 200},
		{"/collections/events/clusters?bbox=35,32,42,37&zoom=7&type=raid,clash&datetime=2025-01-01/..", 200},
		{"/collections/events/clusters?bbox=35,32,42,37&zoom=99", 400},
		{"/collections/events/histogram", 200},
		{"/collections/events/histogram?interval=week&bbox=35,32,42,37&q=raid", 200},
		{"/collections/regions/items", 200},
	} {
		t.Run(tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, ts.URL+tt.path, nil)
			route, pathParams, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("no operation in /api for %s: %v", tt.path, err)
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true}}
			if tt.status < 400 {
				if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
					t.Errorf("a request the server accepts breaks /api: %v", err)
				}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tt.status, body)
			}
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
				Options: &openapi3filter.Options{IncludeResponseStatus: true}}
			out.SetBodyBytes(body)
			if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
				t.Errorf("response does not match /api: %v\n%.300s", err, body)
			}
		})
	}
}

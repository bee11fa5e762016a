package api_test

import (
	"encoding/csv"
	"eventmap/exchange"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func getWith(t *testing.T, rawURL, accept string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func TestFormatNegotiation(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	const dumayr = "/collections/events/items/6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01"
	tests := []struct {
		name, path, accept, wantType string
	}{
		{"items default", "/collections/events/items", "", "application/geo+json"},
		{"items Accept geo+json", "/collections/events/items", "application/geo+json", "application/geo+json"},
		{"items Accept json", "/collections/events/items", "application/json", "application/geo+json"},
		{"items Accept html", "/collections/events/items", "text/html,application/xhtml+xml,*/*;q=0.8", "text/html; charset=UTF-8"},
		{"items Accept csv", "/collections/events/items", "text/csv", "text/csv; charset=utf-8"},
		{"items q values rank", "/collections/events/items", "text/html;q=0.5, text/csv;q=0.9", "text/csv; charset=utf-8"},
		{"items unknown Accept falls back to GeoJSON", "/collections/events/items", "application/xml", "application/geo+json"},
		{"items f wins over Accept", "/collections/events/items?f=json", "text/html", "application/geo+json"},
		{"items f=csv wins over Accept html", "/collections/events/items?f=csv", "text/html", "text/csv; charset=utf-8"},
		{"item Accept html", dumayr, "text/html", "text/html; charset=UTF-8"},
		{"item f=html", dumayr + "?f=html", "", "text/html; charset=UTF-8"},
		{"collections f=html", "/collections?f=html", "", "text/html; charset=UTF-8"},
		{"collection Accept html", "/collections/events", "text/html", "text/html; charset=UTF-8"},
		{"collection Accept csv is not offered: JSON", "/collections/events", "text/csv", "application/json"},
		{"conformance f=html", "/conformance?f=html", "", "text/html; charset=UTF-8"},
		{"landing f=json beats a browser's Accept", "/?f=json", "text/html", "application/json"},
		{"landing f=html is a page, not the map", "/?f=html", "text/html", "text/html; charset=UTF-8"},
		{"api Accept html", "/api", "text/html", "text/html; charset=UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := getWith(t, ts.URL+tt.path, tt.accept)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %.200s", r.status, r.body)
			}
			if got := r.header.Get("Content-Type"); !strings.EqualFold(got, tt.wantType) && !strings.HasPrefix(got, tt.wantType) {
				t.Errorf("Content-Type %q, want %q", got, tt.wantType)
			}
		})
	}

	for _, path := range []string{"/?f=xml", "/collections?f=csv", "/collections/events/items?f=pdf", dumayr + "?f=csv", "/conformance?f=csv"} {
		t.Run("unknown f on "+path, func(t *testing.T) {
			p := decodeProblem(t, get(t, ts.URL+path), http.StatusBadRequest)
			if len(p.Errors) != 1 || p.Errors[0].Field != "f" || !strings.Contains(p.Errors[0].Rule, "must be json") {
				t.Errorf("errors %+v, want field f and the allowed formats", p.Errors)
			}
		})
	}
}

var linkNext = regexp.MustCompile(`<([^>]+)>; rel="next"; type="text/csv"`)

func TestItemsCSV(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	r := get(t, itemsURL(ts, "f", "csv", "limit", "3"))
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if got := r.header.Get("Content-Disposition"); got != `attachment; filename="events.csv"` {
		t.Errorf("Content-Disposition %q", got)
	}
	var rows [][]string
	next := itemsURL(ts, "f", "csv", "limit", "3")
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("more than 5 CSV pages for 7 events at 3 per page")
		}
		r := get(t, next)
		recs, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if err != nil {
			t.Fatalf("page %d is not CSV: %v", pages, err)
		}
		if got, want := strings.Join(recs[0], ","), strings.Join(exchange.Columns, ","); got != want {
			t.Fatalf("header row %s, want %s", got, want)
		}
		if !strings.HasPrefix(strings.Join(recs[0], ","), "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,") {
			t.Fatalf("header row does not start with ACLED's columns: %s", recs[0])
		}
		rows = append(rows, recs[1:]...)
		next = ""
		if m := linkNext.FindStringSubmatch(strings.Join(r.header.Values("Link"), ", ")); m != nil {
			next = m[1]
			if !strings.Contains(next, "limit=3") || !strings.Contains(next, "f=csv") {
				t.Errorf("next link %s lost limit or f", next)
			}
		}
	}
	col := map[string]int{}
	for i, c := range exchange.Columns {
		col[c] = i
	}
	var got []string
	byPlace := map[string]map[string]string{}
	for _, row := range rows {
		got = append(got, row[col["location"]])
		m := map[string]string{}
		for c, i := range col {
			m[c] = row[i]
		}
		byPlace[row[col["location"]]] = m
	}
	if !equalStrings(got, allPublic) {
		t.Fatalf("CSV pages gave places %v, want %v", got, allPublic)
	}
	d := byPlace["Dumayr"]
	if d["id"] != "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01" || d["event_date"] != "2025-10-19" || d["year"] != "2025" ||
		d["occurred_at"] != "2025-10-19T03:00:00+03:00" || d["tz"] != "+03:00" || d["fatalities"] != "1" || d["civilian_fatalities"] != "1" ||
		d["longitude"] != "36.6939" || d["latitude"] != "33.6439" || d["wkt"] != "POINT(36.6939 33.6439)" ||
		d["iso"] != "760" || d["country"] != "Syria" || d["geo_precision"] != "1" ||
		!strings.Contains(d["actors"], "Khaled al-Masoud (victim)") || !strings.HasPrefix(d["source_urls"], "https://") {
		t.Errorf("Dumayr row %q", d)
	}
	// The caches: an area, unknown fatalities as empty cells (not 0), and
	// a centroid inside southern Syria for tools that only read lon/lat.
	c := byPlace["southern Syria"]
	if c["fatalities"] != "" || c["civilian_fatalities"] != "" || !strings.HasPrefix(c["wkt"], "POLYGON((") || c["geo_precision"] != "3" {
		t.Errorf("caches row %q", c)
	}
	if !strings.HasPrefix(c["longitude"], "36.") || !strings.HasPrefix(c["latitude"], "32.") {
		t.Errorf("caches centroid %s,%s is not in southern Syria", c["longitude"], c["latitude"])
	}
	t.Run("filters apply", func(t *testing.T) {
		r := get(t, itemsURL(ts, "f", "csv", "bbox", "36.5,33.5,36.9,33.8"))
		recs, _ := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if len(recs) != 2 || recs[1][col["location"]] != "Dumayr" {
			t.Errorf("bbox around Dumayr as CSV: %q", recs)
		}
		decodeProblem(t, get(t, itemsURL(ts, "f", "csv", "bbox", "1,2,3")), http.StatusBadRequest)
		decodeProblem(t, get(t, itemsURL(ts, "f", "csv", "bbbox", "1,2,3,4")), http.StatusBadRequest)
	})
}

func TestItemsHTML(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	r := get(t, itemsURL(ts, "f", "html", "limit", "2", "datetime", "2025-06-01/.."))
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	body := string(r.body)
	for _, want := range []string{"15 IS weapons caches", "Homs", "/map/", "Next page"} {
		if !strings.Contains(body, want) {
			t.Errorf("items page lacks %q", want)
		}
	}
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("no next link in the page")
	}
	href := strings.ReplaceAll(next[1], "&amp;", "&")
	for _, keep := range []string{"f=html", "limit=2", "datetime=2025-06-01/..", "cursor="} {
		if !strings.Contains(href, keep) {
			t.Errorf("next link %s lost %s", href, keep)
		}
	}
	if !strings.Contains(strings.Join(r.header.Values("Link"), ","), `rel="next"`) {
		t.Errorf("no next in the Link header: %q", r.header.Values("Link"))
	}
	if page2 := get(t, href); !strings.Contains(string(page2.body), "Dumayr") {
		t.Errorf("second page lacks the Dumayr raid")
	}
	// No JavaScript and nothing loaded from elsewhere: it works offline.
	for _, bad := range []string{"<script", `src="http`, "cdn"} {
		if strings.Contains(body, bad) {
			t.Errorf("items page contains %q", bad)
		}
	}

	item := string(get(t, ts.URL+"/collections/events/items/6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01?f=html").body)
	for _, want := range []string{"Khaled al-Masoud", "victim", "POINT(36.6939 33.6439)", "corroborated", "example.org/eventmap-seed"} {
		if !strings.Contains(item, want) {
			t.Errorf("item page lacks %q", want)
		}
	}
	decodeProblem(t, get(t, ts.URL+"/collections/events/items/6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e08?f=html"), http.StatusNotFound)
}

package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func filterURL(base string, params ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	return base + "/collections/events/items?" + q.Encode()
}

func eventIDs(fs []feature) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID[len(f.ID)-2:]
	}
	slices.Sort(out)
	return out
}

// CQL2 through HTTP: the text and JSON forms of each filter select the
// same events, numberMatched counts them, and paging keeps the filter.
func TestItemsFilter(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	tests := []struct {
		text, json string
		want       []string
	}{
		{`type = 'raid'`, `{"op":"=","args":[{"property":"type"},"raid"]}`, []string{"01"}},
		{`fatalities >= 1 AND status <> 'disputed'`, `{"op":"and","args":[{"op":">=","args":[{"property":"fatalities"},1]},{"op":"<>","args":[{"property":"status"},"disputed"]}]}`, []string{"01", "04"}},
		{`fatalities IS NULL`, `{"op":"isNull","args":[{"property":"fatalities"}]}`, []string{"02", "03"}},
		{`title LIKE '%Dumayr%'`, `{"op":"like","args":[{"property":"title"},"%Dumayr%"]}`, []string{"01"}},
		{`S_INTERSECTS(geometry, BBOX(36.5,33.5,36.9,33.8))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[36.5,33.5,36.9,33.8]}]}`, []string{"01"}},
		{`T_INTERSECTS(occurred_at, INTERVAL('2025-10-01','2025-10-31'))`, `{"op":"t_intersects","args":[{"property":"occurred_at"},{"interval":["2025-10-01","2025-10-31"]}]}`, []string{"01", "06"}},
		{`actor = 'Syrian Free Army'`, `{"op":"=","args":[{"property":"actor"},"Syrian Free Army"]}`, []string{"01"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			fc, fs := getItems(t, filterURL(ts.URL, "filter", tt.text))
			_, fj := getItems(t, filterURL(ts.URL, "filter", tt.json, "filter-lang", "cql2-json"))
			if got := eventIDs(fs); !slices.Equal(got, tt.want) {
				t.Errorf("cql2-text selects %v, want %v", got, tt.want)
			}
			if got := eventIDs(fj); !slices.Equal(got, tt.want) {
				t.Errorf("cql2-json selects %v, want %v", got, tt.want)
			}
			var raw struct{ NumberMatched *int }
			_ = json.Unmarshal(get(t, filterURL(ts.URL, "filter", tt.text)).body, &raw)
			if raw.NumberMatched == nil || *raw.NumberMatched != len(tt.want) || fc.Type != "FeatureCollection" {
				t.Errorf("numberMatched = %v, want %d", raw.NumberMatched, len(tt.want))
			}
		})
	}
	t.Run("next keeps the filter", func(t *testing.T) {
		fc, fs := getItems(t, filterURL(ts.URL, "filter", "fatalities IS NOT NULL", "limit", "2"))
		next := linkHref(fc, "next")
		if len(fs) != 2 || !strings.Contains(next, "filter=") {
			t.Fatalf("page 1: %d features, next %q", len(fs), next)
		}
		_, fs2 := getItems(t, next)
		for _, f := range fs2 {
			if f.Properties.Fatalities == nil {
				t.Errorf("page 2 has %s with unknown fatalities: the filter was lost", f.ID)
			}
		}
	})
	t.Run("filter and the other parameters narrow together", func(t *testing.T) {
		_, fs := getItems(t, filterURL(ts.URL, "filter", "fatalities >= 0", "type", "clash"))
		for _, f := range fs {
			if !strings.Contains(f.Properties.Title, "clash") {
				t.Errorf("type=clash ignored next to filter: %q", f.Properties.Title)
			}
		}
	})
}

// Hostile filters are a 400 problem naming filter or a correct (often
// empty) answer; never a SQL error, and the data is intact afterwards.
func TestItemsFilterRefusesInjection(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	refused := []string{
		`title = 'x'' OR 1=1 --`,
		`type = 'raid'; DROP TABLE events; --`,
		`type = 'raid' /* comment */`,
		`pg_sleep(10) = 1`,
		`visibility = 'restricted'`,
		`deleted_at IS NULL`,
		`"e.id" = 'x'`,
		`title = fatalities`,
		`fatalities = 'lots'`,
		`type = 'battle'`,
		`S_INTERSECTS(geometry, POINT(200 0))`,
		`(((((((((((((((((((((((type = 'raid')))))))))))))))))))))))`,
		`UNION SELECT * FROM api_tokens`,
		`{"op":"=","args":[{"property":"secret_hash"},"x"]}`,
	}
	for _, f := range refused {
		lang := "cql2-text"
		if strings.HasPrefix(f, "{") {
			lang = "cql2-json"
		}
		p := decodeProblem(t, get(t, filterURL(ts.URL, "filter", f, "filter-lang", lang)), http.StatusBadRequest)
		if len(p.Errors) == 0 || p.Errors[0].Field != "filter" {
			t.Errorf("%s: problem does not name filter: %+v", f, p)
		}
	}
	// Well-formed filters whose literals look like SQL match nothing.
	for _, f := range []string{`title = 'x'' OR ''1''=''1'`, `title LIKE '%''; DROP TABLE events; --%'`, `place IN ('Dumayr''--', 'a')`} {
		_, fs := getItems(t, filterURL(ts.URL, "filter", f))
		if len(fs) != 0 {
			t.Errorf("%s matched %d events", f, len(fs))
		}
	}
	if _, fs := getItems(t, filterURL(ts.URL, "limit", "100")); len(fs) != 7 {
		t.Errorf("after the attempts %d public events remain, want 7", len(fs))
	}
	for _, tc := range []struct{ params []string }{
		{[]string{"filter", "type = 'raid'", "filter-lang", "cql3"}},
		{[]string{"filter-lang", "cql2-text"}},
		{[]string{"filter", "type = 'raid'", "filter-crs", "http://www.opengis.net/def/crs/EPSG/0/3857"}},
	} {
		p := decodeProblem(t, get(t, filterURL(ts.URL, tc.params...)), http.StatusBadRequest)
		if len(p.Errors) == 0 || !strings.HasPrefix(p.Errors[0].Field, "filter") {
			t.Errorf("%v: %+v", tc.params, p)
		}
	}
}

// The queryables document lists what a filter may name, no more: every
// listed property filters without error, and internal columns are absent.
func TestQueryables(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	var coll struct {
		Links []struct{ Href, Rel, Type string }
	}
	_ = json.Unmarshal(get(t, ts.URL+"/collections/events").body, &coll)
	href := ""
	for _, l := range coll.Links {
		if l.Rel == "http://www.opengis.net/def/rel/ogc/1.0/queryables" && l.Type == "application/schema+json" {
			href = l.Href
		}
	}
	if href == "" {
		t.Fatal("the collection has no queryables link")
	}
	r := get(t, href)
	if r.status != 200 || r.header.Get("Content-Type") != "application/schema+json" {
		t.Fatalf("queryables: %d %q", r.status, r.header.Get("Content-Type"))
	}
	var doc struct {
		Schema     string                                `json:"$schema"`
		Properties map[string]map[string]json.RawMessage `json:"properties"`
		Additional *bool                                 `json:"additionalProperties"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Additional == nil || *doc.Additional || !strings.Contains(doc.Schema, "2020-12") {
		t.Errorf("queryables must be a closed JSON Schema 2020-12: %s", r.body)
	}
	for _, hidden := range []string{"visibility", "deleted_at", "version", "properties", "editor"} {
		if _, ok := doc.Properties[hidden]; ok {
			t.Errorf("queryables expose %s", hidden)
		}
	}
	for name := range doc.Properties {
		f := name + " IS NULL"
		if name == "geometry" {
			f = "S_INTERSECTS(geometry, BBOX(-180,-90,180,90))"
		}
		if got := get(t, filterURL(ts.URL, "filter", f)); got.status != 200 {
			t.Errorf("queryable %s cannot be filtered: %d %s", name, got.status, got.body)
		}
	}
	if len(doc.Properties) < 10 {
		t.Errorf("only %d queryables", len(doc.Properties))
	}
}

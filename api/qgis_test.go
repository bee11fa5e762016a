package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"eventmap/config"
)

// QGIS sends a layer's filter (its subset string, and the expressions of
// feature requests) to the server as CQL2 text from version 3.32 on, when
// /conformance lists basic-cql2, filter, features-filter and cql2-text;
// otherwise it downloads everything and filters on the client. Debian 12's
// QGIS 3.22 never sends filter= (e2e/qgis_test.go records what it sends),
// so these are the requests a newer QGIS makes, written as its CQL2 text
// compiler writes them (qgsoapifcql2textexpressioncompiler.cpp): every
// comparison in parentheses, names with an underscore double-quoted,
// TIMESTAMP literals with milliseconds, filter-lang=cql2-text, the page
// size 1000 (the default 100 raised to 1000, under the maximum), and the
// view as bbox. Each must give exactly what QGIS would have kept.
func TestTheRequestsQGISSends(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, func(c *config.Config) { c.DefaultLimit, c.MaxLimit = 100, 10000 })

	var conf struct{ ConformsTo []string }
	getJSON(t, ts.URL+"/conformance", &conf)
	for _, c := range []string{
		"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
		"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
		"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
		"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
		"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	} {
		if !slices.Contains(conf.ConformsTo, c) {
			t.Errorf("/conformance lacks %s: QGIS would filter on the client", c)
		}
	}
	// What QGIS reads when a layer is added: the queryables say which
	// properties it may put in a filter, and which one is the geometry.
	var q struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	getJSON(t, ts.URL+"/collections/events-points/queryables", &q)
	for _, name := range []string{"fatalities", "civilian_fatalities", "type", "geo_precision", "occurred_at", "title", "status"} {
		if _, ok := q.Properties[name]; !ok {
			t.Errorf("queryables lack %s", name)
		}
	}
	if q.Properties["occurred_at"]["format"] != "date-time" {
		t.Errorf("occurred_at queryable %v: QGIS turns 'YYYY-MM-DD...' strings into TIMESTAMP() only for format date-time", q.Properties["occurred_at"])
	}

	ids := func(rawQuery string) []string {
		t.Helper()
		r := get(t, ts.URL+"/collections/events-points/items?"+rawQuery)
		if r.status != http.StatusOK {
			t.Fatalf("QGIS's request %s: %d %s", rawQuery, r.status, r.body)
		}
		var out []string
		for _, f := range getGISPage(t, ts.URL+"/collections/events-points/items?"+rawQuery).Features {
			out = append(out, f.ID[len(f.ID)-2:])
		}
		slices.Sort(out)
		return out
	}
	filter := func(cql string) string {
		return "limit=1000&" + url.Values{"filter": {cql}}.Encode() + "&filter-lang=cql2-text"
	}
	for _, tt := range []struct {
		layerFilter, sent string
		want              []string
	}{
		{`"fatalities" >= 1`, filter(`(fatalities >= 1)`), []string{"01", "04", "07"}},
		{`"type" = 'raid' OR "geo_precision" = 'region'`, filter(`((type = 'raid') OR ("geo_precision" = 'region'))`), []string{"01", "02"}},
		{`"fatalities" > "civilian_fatalities"`, filter(`(fatalities > "civilian_fatalities")`), []string{"04"}},
		{`"civilian_fatalities" IS NULL`, filter(`("civilian_fatalities" IS NULL)`), []string{"02", "03", "07"}},
		{`"fatalities" IS NOT NULL AND "status" <> 'disputed'`, filter(`((fatalities IS NOT NULL) AND (status <> 'disputed'))`), []string{"01", "04", "05", "06"}},
		{`"type" IN ('raid', 'clash')`, filter(`type IN ('raid','clash')`), []string{"01", "03", "07"}},
		{`"title" LIKE '%Dumayr%'`, filter(`(title LIKE '%Dumayr%')`), []string{"01"}},
		{`"occurred_at" >= '2025-10-01T00:00:00Z'`, filter(`(occurred_at >= TIMESTAMP('2025-10-01T00:00:00.000Z'))`), []string{"01", "02", "06"}},
		{`"fatalities" BETWEEN 1 AND 3`, filter(`fatalities BETWEEN 1 AND 3`), []string{"01", "04", "07"}},
		{`NOT "status" = 'disputed'`, filter(`(NOT ((status = 'disputed')))`), []string{"01", "02", "03", "04", "05", "06"}},
		// The layer filter and a request's expression, combined by QGIS.
		{`"fatalities" >= 1 (layer) and "type" = 'raid' (request)`, filter(`((fatalities >= 1)) AND ((type = 'raid'))`), []string{"01"}},
		// The filter with the view (bbox) QGIS adds when it draws.
		{`"fatalities" >= 1, drawn around Dumayr`, filter(`(fatalities >= 1)`) + "&bbox=36.5,33.5,36.9,33.8", []string{"01"}},
		// featureCount() asks for one feature and reads numberMatched.
		{`featureCount() of "fatalities" >= 1`, "limit=1&" + url.Values{"filter": {`(fatalities >= 1)`}}.Encode() + "&filter-lang=cql2-text", []string{"01"}},
	} {
		if got := ids(tt.sent); !slices.Equal(got, tt.want) {
			t.Errorf("%s, sent as %s: events %v, want %v", tt.layerFilter, tt.sent, got, tt.want)
		}
	}
	p := getGISPage(t, ts.URL+"/collections/events-points/items?limit=1&"+url.Values{"filter": {`(fatalities >= 1)`}}.Encode()+"&filter-lang=cql2-text")
	if p.NumberMatched == nil || *p.NumberMatched != 3 {
		t.Errorf("featureCount(): numberMatched %v, want 3", p.NumberMatched)
	}
}

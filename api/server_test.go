package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"eventmap/api"
	"eventmap/config"
	"eventmap/demo"
	"eventmap/internal/testdb"
	"eventmap/store"
)

// newServer starts the real API over a fresh database holding the sample
// events. mut adjusts the default configuration.
func newServer(t *testing.T, mut ...func(*config.Config)) (*httptest.Server, *store.DB) {
	t.Helper()
	db := testdb.Open(t)
	if _, err := demo.Load(context.Background(), db); err != nil {
		t.Fatalf("load sample data: %v", err)
	}
	return startServer(t, db, mut...), db
}

func startServer(t testing.TB, db *store.DB, mut ...func(*config.Config)) *httptest.Server {
	t.Helper()
	noEnv := func(string) (string, bool) { return "", false }
	cfg, _, err := config.Load("test", nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// Tests fire requests far faster than any client should; the rate
	// limit has its own test, which turns it back on.
	cfg.RateLimit = 0
	for _, m := range mut {
		m(&cfg)
	}
	srv, err := api.New(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	// Background imports roll back once the server is closed.
	t.Cleanup(srv.Close)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}

// response is what a test needs from one HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

func get(t *testing.T, rawURL string) response {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", rawURL, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// featureCollection mirrors the parts of an items response tests look at.
type featureCollection struct {
	Type           string            `json:"type"`
	Features       []json.RawMessage `json:"features"`
	NumberReturned *int              `json:"numberReturned"`
	TimeStamp      string            `json:"timeStamp"`
	Links          []struct {
		Href string `json:"href"`
		Rel  string `json:"rel"`
		Type string `json:"type"`
	} `json:"links"`
}

type feature struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties struct {
		Title              string `json:"title"`
		Place              string `json:"place"`
		OccurredAt         string `json:"occurred_at"`
		Fatalities         *int   `json:"fatalities"`
		CivilianFatalities *int   `json:"civilian_fatalities"`
		Status             string `json:"status"`
		Visibility         string `json:"visibility"`
		Actors             []struct {
			Name string `json:"name"`
			Role string `json:"role"`
		} `json:"actors"`
		Sources []struct {
			URL string `json:"url"`
		} `json:"sources"`
	} `json:"properties"`
}

// getItems fetches an items URL and insists it is a 200 GeoJSON FeatureCollection.
func getItems(t *testing.T, rawURL string) (featureCollection, []feature) {
	t.Helper()
	r := get(t, rawURL)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %s", rawURL, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/geo+json" {
		t.Fatalf("GET %s: Content-Type %q, want application/geo+json", rawURL, ct)
	}
	var fc featureCollection
	if err := json.Unmarshal(r.body, &fc); err != nil {
		t.Fatalf("GET %s: not JSON: %v\n%s", rawURL, err, r.body)
	}
	if fc.Type != "FeatureCollection" {
		t.Fatalf("GET %s: type %q", rawURL, fc.Type)
	}
	fs := make([]feature, len(fc.Features))
	for i, raw := range fc.Features {
		if err := json.Unmarshal(raw, &fs[i]); err != nil {
			t.Fatalf("feature %d: %v", i, err)
		}
	}
	return fc, fs
}

func places(fs []feature) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Properties.Place
	}
	return out
}

func itemsURL(ts *httptest.Server, params ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Add(params[i], params[i+1])
	}
	u := ts.URL + "/collections/events/items"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func linkHref(fc featureCollection, rel string) string {
	for _, l := range fc.Links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

func equalStrings(a, b []string) bool { return strings.Join(a, "|") == strings.Join(b, "|") }

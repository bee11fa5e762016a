package api_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestLandingSendsBrowsersToTheMap(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/map/" {
		t.Errorf("browser at /: %d Location %q, want 303 to /map/", resp.StatusCode, resp.Header.Get("Location"))
	}

	r := get(t, ts.URL+"/")
	var landing struct {
		Links []struct{ Rel, Href string } `json:"links"`
	}
	if err := json.Unmarshal(r.body, &landing); err != nil || r.status != http.StatusOK {
		t.Fatalf("program at /: %d %s", r.status, r.body)
	}
	rels := map[string]bool{}
	for _, l := range landing.Links {
		rels[l.Rel] = true
		if got := get(t, l.Href); got.status != http.StatusOK {
			t.Errorf("landing link %s (%s) answers %d", l.Href, l.Rel, got.status)
		}
	}
	for _, rel := range []string{"self", "data", "items"} {
		if !rels[rel] {
			t.Errorf("landing page has no %q link", rel)
		}
	}
}

// GeoJSON compresses about tenfold; clients that ask get gzip.
func TestItemsAreGzippedOnRequest(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	req, _ := http.NewRequest(http.MethodGet, itemsURL(ts), nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil || !strings.HasPrefix(string(body), `{"type":"FeatureCollection"`) {
		t.Fatalf("gunzipped body: %v %.80s", err, body)
	}
}

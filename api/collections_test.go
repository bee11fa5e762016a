package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestCollectionDescribesTheEvents(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	r := get(t, ts.URL+"/collections/events")
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var coll struct {
		ID     string `json:"id"`
		Extent struct {
			Spatial struct {
				BBox [][4]float64 `json:"bbox"`
			} `json:"spatial"`
			Temporal struct {
				Interval [][2]string `json:"interval"`
			} `json:"temporal"`
		} `json:"extent"`
		Links []struct{ Rel, Href string } `json:"links"`
	}
	if err := json.Unmarshal(r.body, &coll); err != nil {
		t.Fatal(err)
	}
	if coll.ID != "events" || len(coll.Extent.Spatial.BBox) != 1 {
		t.Fatalf("collection %s", r.body)
	}
	// Public sample events span Syria: Aleppo/Idlib in the north-west to
	// Deir ez-Zor in the east and the southern caches area.
	b := coll.Extent.Spatial.BBox[0]
	if b[0] < 35 || b[0] > 36 || b[2] < 40 || b[2] > 41 || b[1] < 32 || b[3] > 37 {
		t.Errorf("spatial extent %v does not fit the sample events", b)
	}
	// The restricted event (2025-11-03) must not leak through the extent.
	if iv := coll.Extent.Temporal.Interval; len(iv) != 1 || iv[0] != [2]string{"2025-06-10T00:00:00Z", "2025-11-01T00:00:00Z"} {
		t.Errorf("temporal extent %v, want [2025-06-10, 2025-11-01] (public events only)", iv)
	}
	var items bool
	for _, l := range coll.Links {
		items = items || (l.Rel == "items" && l.Href == ts.URL+"/collections/events/items")
	}
	if !items {
		t.Errorf("no items link in %+v", coll.Links)
	}
	if r := get(t, ts.URL+"/collections"); r.status != http.StatusOK {
		t.Errorf("/collections: %d", r.status)
	}
}

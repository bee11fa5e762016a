package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"eventmap/api"
	"eventmap/auth"
	"eventmap/config"
	"eventmap/demo"
	"eventmap/internal/testdb"
	"eventmap/store"
)

// With a read database (api.ReadFrom), anonymous reads are served from
// it and everything else from the primary. Two separate databases stand
// in for a primary and a replica that has not caught up yet: an event
// written through the API is on the primary only, so which one answered
// shows in every response. (e2e/standby_test.go does the same with a real
// hot standby.)
func TestAnonymousReadsUseTheReadDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	open := func() (*store.DB, string) {
		u := testdb.New(t)
		db, err := store.Open(ctx, store.Options{URL: u, MaxOpenConns: 5})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := demo.Load(ctx, db); err != nil {
			t.Fatal(err)
		}
		return db, u
	}
	primary, _ := open()
	replica, replicaURL := open()
	tok, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := primary.CreateToken(ctx, tok, auth.Editor, "editor", nil); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load("test", nil, func(string) (string, bool) { return "", false }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RateLimit = 0
	srv, err := api.New(primary, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), api.ReadFrom(replica))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	bearer := "Bearer " + tok.Plain

	if r := get(t, ts.URL+"/readyz"); r.status != http.StatusOK {
		t.Fatalf("readyz with both databases up: %d %s", r.status, r.body)
	}

	body := `{"type":"Feature","geometry":{"type":"Point","coordinates":[36.6939,33.6439]},"properties":{"type":"raid",` +
		`"title":"Second raid in Dumayr","occurred_at":"2025-12-02T01:00:00Z","time_precision":"day","geo_precision":"town","country":"SYR"}}`
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/collections/events/items", strings.NewReader(body))
	req.Header.Set("Authorization", bearer)
	req.Header.Set("Content-Type", "application/geo+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID string }
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || created.ID == "" {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	item := "/collections/events/items/" + created.ID

	// Read-your-writes: the editor reads the primary at once.
	if r := do(t, http.MethodGet, ts.URL+item, "Authorization", bearer); r.status != http.StatusOK {
		t.Errorf("the editor cannot read their own write: %d", r.status)
	}
	if ids := itemIDsWith(t, ts.URL+"/collections/events/items?type=raid", "Authorization", bearer); !slices.Contains(ids, created.ID) {
		t.Errorf("the editor's items lack their write: %v", ids)
	}
	// Anonymous reads come from the replica, which lacks it.
	for _, path := range []string{item, item + "?f=html"} {
		if r := get(t, ts.URL+path); r.status != http.StatusNotFound {
			t.Errorf("anonymous %s: %d, want 404 from the replica", path, r.status)
		}
	}
	if ids := itemIDsWith(t, ts.URL+"/collections/events/items?type=raid"); slices.Contains(ids, created.ID) || len(ids) != 1 {
		t.Errorf("anonymous items %v: want the replica's one raid", ids)
	}
	for _, f := range []string{"csv", "html"} {
		if r := get(t, ts.URL+"/collections/events/items?type=raid&f="+f); strings.Contains(string(r.body), "Second raid") {
			t.Errorf("anonymous f=%s came from the primary", f)
		}
	}
	if r := get(t, ts.URL+"/collections/events/histogram?type=raid&interval=month"); !strings.Contains(string(r.body), `"numberMatched":1,`) {
		t.Errorf("anonymous histogram %s: want the replica's 1 raid", r.body)
	}
	if r := get(t, ts.URL+"/collections/events/clusters?type=raid&zoom=6&bbox=35,32,42,37.5"); !strings.Contains(string(r.body), `"numberMatched":1,`) {
		t.Errorf("anonymous clusters %s: want the replica's 1 raid", r.body)
	}
	tile := maptile.At(orb.Point{36.6939, 33.6439}, 10)
	if _, fs := getTile(t, ts.URL, tile, "type=raid"); len(fs) != 1 {
		t.Errorf("anonymous tile holds %d raids, want the replica's 1", len(fs))
	}
	if _, fs := getTile(t, ts.URL, tile, "type=raid", "Authorization", bearer); len(fs) != 2 {
		t.Errorf("the editor's tile holds %d raids, want the primary's 2", len(fs))
	}
	if r := get(t, ts.URL+"/collections/events"); strings.Contains(string(r.body), "2025-12-02") {
		t.Errorf("anonymous collection extent reaches the new event: it came from the primary")
	}
	if r := do(t, http.MethodGet, ts.URL+"/collections/events", "Authorization", bearer); !strings.Contains(string(r.body), "2025-12-02") {
		t.Errorf("the editor's collection extent lacks their new event")
	}
	// A sync read (updated_since) is answered by the primary even for
	// anonymous callers, so a mirror never skips a change.
	if ids := itemIDsWith(t, ts.URL+"/collections/events/items?updated_since=2000-01-01T00:00:00Z&type=raid"); !slices.Contains(ids, created.ID) {
		t.Errorf("anonymous updated_since read lacks the new event: %v", ids)
	}

	// Readiness covers the replica: without it this server cannot serve.
	testdb.Drop(t, replicaURL)
	r := get(t, ts.URL+"/readyz")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "read replica") {
		t.Errorf("readyz with the replica gone: %d %s", r.status, r.body)
	}
	if r := do(t, http.MethodGet, ts.URL+item, "Authorization", bearer); r.status != http.StatusOK {
		t.Errorf("the editor's read with the replica gone: %d, want 200 from the primary", r.status)
	}
}

func itemIDsWith(t *testing.T, rawURL string, header ...string) []string {
	t.Helper()
	r := do(t, http.MethodGet, rawURL, header...)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", rawURL, r.status, r.body)
	}
	var fc struct{ Features []struct{ ID string } }
	if err := json.Unmarshal(r.body, &fc); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range fc.Features {
		ids = append(ids, f.ID)
	}
	return ids
}

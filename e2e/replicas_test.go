package e2e

import (
	"database/sql"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"eventmap/internal/testdb"
)

// Two stateless replicas behind one database, as behind a load balancer:
// the same POST with one Idempotency-Key sent to both at once creates one
// event, an update accepted by one is seen (and its ETag enforced) by the
// other, and a token revoked through the database stops working on both.
func TestReplicasShareOneDatabase(t *testing.T) {
	t.Parallel()
	dbURL := testdb.New(t)
	token := createToken(t, dbURL)
	a, b := startServe(t, dbURL, "EVENTMAP_RATE_LIMIT=0"), startServe(t, dbURL, "EVENTMAP_RATE_LIMIT=0")
	a.waitReady(t)
	b.waitReady(t)

	body := `{"type":"Feature","geometry":{"type":"Point","coordinates":[38.28,34.55]},"properties":{"type":"clash",` +
		`"title":"Replica test","occurred_at":"2025-10-21T14:00:00Z","time_precision":"day","geo_precision":"town","country":"SYR"}}`
	do := func(method, url, body string, headers ...string) (int, http.Header, string) {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	var wg sync.WaitGroup
	locations := make([]string, 10)
	for i := range locations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := a.URL
			if i%2 == 1 {
				base = b.URL
			}
			status, h, _ := do("POST", base+"/collections/events/items", body, "Content-Type", "application/geo+json", "Idempotency-Key", "replica-key-1")
			if status == http.StatusCreated {
				locations[i] = h.Get("Location")[strings.Index(h.Get("Location"), "/collections"):]
			}
		}()
	}
	wg.Wait()
	for i, l := range locations {
		if l == "" || l != locations[0] {
			t.Fatalf("request %d got Location %q, want the one event %q", i, l, locations[0])
		}
	}
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM events WHERE title = 'Replica test'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d events from 10 POSTs with one key across two replicas (%v)", n, err)
	}

	item := locations[0]
	if status, _, out := do("PATCH", a.URL+item, `{"properties":{"fatalities":2}}`, "Content-Type", "application/merge-patch+json", "If-Match", `"1"`, "X-Edit-Reason", "via A"); status != 200 {
		t.Fatalf("PATCH on A: %d %s", status, out)
	}
	// The Go client asks for gzip: the ETag then names the encoding too.
	if status, h, out := do("GET", b.URL+item, ""); status != 200 || h.Get("ETag") != `"2-gzip"` || !strings.Contains(out, `"fatalities" : 2`) {
		t.Errorf("B does not see A's update: %d ETag %q", status, h.Get("ETag"))
	}
	if status, _, _ := do("PATCH", b.URL+item, `{"properties":{"fatalities":3}}`, "Content-Type", "application/merge-patch+json", "If-Match", `"1"`, "X-Edit-Reason", "stale via B"); status != http.StatusPreconditionFailed {
		t.Errorf("a stale If-Match on B: status %d, want 412", status)
	}
	if _, err := db.Exec(`UPDATE api_tokens SET revoked_at = now()`); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*server{a, b} {
		if status, _, _ := do("GET", s.URL+item, ""); status != http.StatusUnauthorized {
			t.Errorf("%s still accepts a revoked token: %d", s.URL, status)
		}
	}
}

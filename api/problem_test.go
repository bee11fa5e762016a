package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"eventmap/config"
	"eventmap/internal/testdb"
	"eventmap/store"
)

var echoedValue = regexp.MustCompile(`\\"(?:[^"\\]|\\\\.)*\\"`)

type problemBody struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Field string `json:"field"`
		Rule  string `json:"rule"`
	} `json:"errors"`
}

// decodeProblem insists r is an RFC 9457 problem with the given status.
func decodeProblem(t *testing.T, r response, status int) problemBody {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var p problemBody
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem body is not JSON: %v: %s", err, r.body)
	}
	if p.Status != status || p.Title == "" || p.Type == "" || p.Detail == "" {
		t.Errorf("problem %+v lacks type, title, status or detail", p)
	}
	if p.RequestID == "" || p.RequestID != r.header.Get("X-Request-Id") {
		t.Errorf("problem request_id %q does not match X-Request-Id %q", p.RequestID, r.header.Get("X-Request-Id"))
	}
	// instance echoes the request's own URL, which may hold anything the
	// client typed; everything else is the server's words.
	var raw map[string]any
	_ = json.Unmarshal(r.body, &raw)
	delete(raw, "instance")
	said, _ := json.Marshal(raw)
	// Values quoted back from the request ("got \"...\"") are the client's too.
	said = echoedValue.ReplaceAll(said, nil)
	// Markers of driver errors, SQL the server wrote, and stack traces
	// (the client's own input may be quoted back in a rule, SQL-like or not).
	for _, leak := range []string{"pq:", "sql:", "SQLSTATE", "syntax error at", "json_build_object", "FROM events", "ST_", "goroutine", ".go:"} {
		if strings.Contains(string(said), leak) {
			t.Errorf("problem body leaks %q: %s", leak, r.body)
		}
	}
	return p
}

func TestEveryErrorIsProblemJSON(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	tests := []struct {
		name   string
		method string
		path   string
		status int
	}{
		{"unknown path", http.MethodGet, "/nope", http.StatusNotFound},
		{"unknown collection path", http.MethodGet, "/collections/events/itemz", http.StatusNotFound},
		{"wrong method", http.MethodDelete, "/collections/events/items", http.StatusMethodNotAllowed},
		{"missing map file", http.MethodGet, "/map/nope.js", http.StatusNotFound},
		{"unknown parameter on the landing page", http.MethodGet, "/?x=1", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, ts.URL+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			decodeProblem(t, response{status: resp.StatusCode, header: resp.Header, body: b}, tt.status)
		})
	}
}

func TestProblemTypesAreDocumented(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	p := decodeProblem(t, get(t, ts.URL+"/collections/events/items?bbox=1"), http.StatusBadRequest)
	r := get(t, ts.URL+p.Type)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "errors array names each field") {
		t.Errorf("GET %s (the problem type): %d %s", p.Type, r.status, r.body)
	}
	decodeProblem(t, get(t, ts.URL+"/problems/nonsense"), http.StatusNotFound)
}

func TestBodyOverTheLimitIs413(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, func(c *config.Config) { c.MaxBodyBytes = 1024 })
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/collections/events/items", strings.NewReader(strings.Repeat("x", 4096)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := decodeProblem(t, response{status: resp.StatusCode, header: resp.Header, body: b}, http.StatusRequestEntityTooLarge)
	if len(p.Errors) != 1 || p.Errors[0].Field != "body" || !strings.Contains(p.Errors[0].Rule, "1024 bytes") {
		t.Errorf("errors %+v, want the body field and its 1024-byte limit", p.Errors)
	}
}

// When the database goes away, /readyz says so with a 503 problem and a
// Retry-After, and reads fail the same way instead of hanging.
func TestDatabaseGoneIs503WithRetryAfter(t *testing.T) {
	t.Parallel()
	url := testdb.New(t)
	db, err := store.Open(context.Background(), store.Options{URL: url, StatementTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ts := startServer(t, db)
	if r := get(t, ts.URL+"/readyz"); r.status != http.StatusOK {
		t.Fatalf("/readyz before: %d", r.status)
	}
	testdb.Drop(t, url)
	for _, path := range []string{"/readyz", "/collections/events/items"} {
		start := time.Now()
		r := get(t, ts.URL+path)
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s took %v with the database gone", path, took)
		}
		decodeProblem(t, r, http.StatusServiceUnavailable)
		if r.header.Get("Retry-After") == "" {
			t.Errorf("%s: 503 without Retry-After", path)
		}
	}
	if r := get(t, ts.URL+"/healthz"); r.status != http.StatusOK {
		t.Errorf("/healthz must stay 200 (the process is fine): %d", r.status)
	}
}

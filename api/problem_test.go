package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

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
	for _, leak := range []string{"pq:", "SELECT", "sql:", "goroutine", ".go:"} {
		if strings.Contains(string(r.body), leak) {
			t.Errorf("problem body leaks %q: %s", leak, r.body)
		}
	}
	return p
}

func TestEveryErrorIsProblemJSON(t *testing.T) {
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

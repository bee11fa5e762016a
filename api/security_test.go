package api_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"eventmap/config"
)

func request(t *testing.T, method, rawURL string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, func(c *config.Config) { c.TileURL = "https://{s}.tiles.example.org/{z}/{x}/{y}.png" })
	for _, path := range []string{"/map/", "/collections/events/items", "/?f=html", "/collections/events/items/nope"} {
		r := get(t, ts.URL+path)
		csp := r.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "img-src 'self' data: https://*.tiles.example.org"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline code: %q", path, csp)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no X-Content-Type-Options: nosniff", path)
		}
	}
	// The policy only works if the pages need nothing inline.
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle=|\son[a-z]+=|javascript:`)
	for _, path := range []string{"/map/", "/?f=html", "/collections?f=html", "/collections/events/items?f=html", "/api.html",
		"/collections/events/items/6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01?f=html"} {
		r := get(t, ts.URL+path)
		if m := inline.Find(r.body); m != nil {
			t.Errorf("%s has inline code or style the CSP would block: %q", path, m)
		}
	}
}

// Reads are open to any origin by default; writes are refused from pages
// of origins nobody listed, while non-browser clients (no Origin) and
// this server's own pages may write.
func TestCORSAndWriteOrigins(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t, func(c *config.Config) { c.CORSWriteOrigins = []string{"https://desk.example.org"} })
	r := request(t, "GET", w.ts.URL+"/collections/events/items", "Origin", "https://anyone.example")
	if r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("reads: Access-Control-Allow-Origin %q, want *", r.header.Get("Access-Control-Allow-Origin"))
	}
	for _, tc := range []struct {
		origin string
		status int
	}{
		{"https://evil.example", 403},
		{"", 201},
		{w.ts.URL, 201},
		{"https://desk.example.org", 201},
	} {
		var headers []string
		if tc.origin != "" {
			headers = []string{"Origin", tc.origin}
		}
		before := w.state(t)
		r := w.do(t, "POST", "/collections/events/items", w.editor, newEvent, headers...)
		if r.status != tc.status {
			t.Errorf("POST from origin %q: status %d, want %d: %s", tc.origin, r.status, tc.status, r.body)
		}
		if tc.status == 403 {
			if p := decodeProblem(t, r, 403); !problemNames(p, "Origin") {
				t.Errorf("403 does not name Origin: %+v", p)
			}
			if w.state(t) != before {
				t.Error("a refused cross-origin write changed the database")
			}
		}
	}
	pre := request(t, "OPTIONS", w.ts.URL+"/collections/events/items", "Origin", "https://desk.example.org", "Access-Control-Request-Method", "POST")
	if !strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight for a listed write origin does not allow POST: %v", pre.header)
	}

	ts, _ := newServer(t, func(c *config.Config) { c.CORSOrigins = []string{"https://news.example"} })
	if got := request(t, "GET", ts.URL+"/collections", "Origin", "https://other.example").header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("an unlisted origin got Access-Control-Allow-Origin %q", got)
	}
	if got := request(t, "GET", ts.URL+"/collections", "Origin", "https://news.example").header.Get("Access-Control-Allow-Origin"); got != "https://news.example" {
		t.Errorf("a listed origin got Access-Control-Allow-Origin %q", got)
	}
	pre = request(t, "OPTIONS", ts.URL+"/collections/events/items", "Origin", "https://news.example", "Access-Control-Request-Method", "DELETE")
	if strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "DELETE") {
		t.Error("with no write origins configured, a preflight allows DELETE")
	}
}

// A client over its rate gets 429 problem+json with Retry-After; forging
// X-Forwarded-For does not buy a fresh allowance unless the operator says
// a trusted proxy sets it; health checks are never limited.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	limited := func(c *config.Config) { c.RateLimit, c.RateBurst = 1, 5 }
	ts, _ := newServer(t, limited)
	statuses := func(n int, headers ...string) (ok, limited int) {
		for i := range n {
			h := append([]string{}, headers...)
			if len(h) == 1 { // a distinct forged address per request
				h = []string{"X-Forwarded-For", h[0] + "." + string(rune('0'+i%10))}
			}
			r := request(t, "GET", ts.URL+"/collections", h...)
			switch r.status {
			case 200:
				ok++
			case 429:
				limited++
				p := decodeProblem(t, r, 429)
				if r.header.Get("Retry-After") == "" || p.Type != "/problems/rate_limited" {
					t.Errorf("429 without Retry-After or type: %v %+v", r.header, p)
				}
			}
		}
		return ok, limited
	}
	if ok, lim := statuses(8); ok > 6 || lim < 2 {
		t.Errorf("8 quick requests with burst 5: %d ok, %d limited", ok, lim)
	}
	if ok, _ := statuses(5, "10.0.0"); ok > 1 {
		t.Errorf("forged X-Forwarded-For bought %d more requests", ok)
	}
	for range 20 {
		if r := get(t, ts.URL+"/healthz"); r.status != 200 {
			t.Fatalf("/healthz limited: %d", r.status)
		}
	}

	proxied, _ := newServer(t, limited, func(c *config.Config) { c.TrustProxy = true })
	for i := range 10 {
		r := request(t, "GET", proxied.URL+"/collections", "X-Forwarded-For", "192.0.2."+string(rune('0'+i)))
		if r.status != 200 {
			t.Errorf("behind a trusted proxy, client %d was limited", i)
		}
	}
}

// A flood of query parameters costs one 400, not a scan per parameter.
func TestQueryParameterFlood(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	var unknown, repeated strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&unknown, "&p%d=1", i)
		repeated.WriteString("&type=raid")
	}
	for name, q := range map[string]string{"unknown": unknown.String(), "repeated": repeated.String()} {
		start := time.Now()
		r := get(t, ts.URL+"/collections/events/items?limit=1"+q)
		p := decodeProblem(t, r, 400)
		if len(p.Errors) != 1 || time.Since(start) > time.Second {
			t.Errorf("%s: %d errors in %v", name, len(p.Errors), time.Since(start))
		}
	}
}

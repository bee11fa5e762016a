package api_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"eventmap/auth"
	"eventmap/config"
	"eventmap/demo"
	"eventmap/internal/testdb"
	"eventmap/store"
)

// restrictedID is the sample event only token holders see.
const restrictedID = "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e08"

// writeEnv is a running server over the sample data, tokens of each role,
// and a raw connection to look at the database behind the API's back.
type writeEnv struct {
	ts                             *httptest.Server
	db                             *store.DB
	raw                            *sql.DB
	reader, editor, admin, editor2 string
	expired, revoked               string
}

func newWriteEnv(t testing.TB, mut ...func(*config.Config)) *writeEnv {
	t.Helper()
	url := testdb.New(t)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{URL: url, StatementTimeout: 30 * time.Second, MaxOpenConns: 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := demo.Load(ctx, db); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	token := func(role auth.Role, label string, expires *time.Time) string {
		tok, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateToken(ctx, tok, role, label, expires); err != nil {
			t.Fatal(err)
		}
		return tok.Plain
	}
	past := time.Now().Add(-time.Minute)
	w := &writeEnv{ts: startServer(t, db, mut...), db: db, raw: raw,
		reader: token(auth.Reader, "reader", nil), editor: token(auth.Editor, "Jane Monitor", nil),
		editor2: token(auth.Editor, "second editor", nil), admin: token(auth.Admin, "admin", nil),
		expired: token(auth.Editor, "expired", &past), revoked: token(auth.Editor, "revoked", nil)}
	id, _, _ := auth.Split(w.revoked)
	if err := db.RevokeToken(ctx, id); err != nil {
		t.Fatal(err)
	}
	return w
}

// do sends one request; headers come in name, value pairs.
func (w *writeEnv) do(t *testing.T, method, path, token, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, w.ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/geo+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// state is a digest of every table a write touches: equal digests before
// and after a request mean the request changed nothing.
func (w *writeEnv) state(t *testing.T) string {
	t.Helper()
	var s string
	err := w.raw.QueryRow(`
		SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
			SELECT e::text AS x FROM events e
			UNION ALL SELECT r::text FROM event_revisions r
			UNION ALL SELECT a::text FROM event_actors a
			UNION ALL SELECT s::text FROM event_sources s
			UNION ALL SELECT a::text FROM actors a
			UNION ALL SELECT s::text FROM sources s
			UNION ALL SELECT k.token_id || k.key FROM idempotency_keys k) t`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *writeEnv) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := w.raw.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// newEvent is a valid Feature for POST; edits replace substrings of it.
const newEvent = `{"type":"Feature","geometry":{"type":"Point","coordinates":[38.28,34.55]},
 "properties":{"type":"clash","title":"Clash near Palmyra","occurred_at":"2025-10-21T14:00:00Z",
  "time_precision":"day","geo_precision":"town","place":"Palmyra","country":"SYR","fatalities":2,
  "civilian_fatalities":null,"actors":[{"name":"IS cell","role":"perpetrator"}],
  "sources":[{"url":"https://example.org/palmyra-clash"}]}}`

func (w *writeEnv) create(t *testing.T, body string) (id, etag string) {
	t.Helper()
	r := w.do(t, "POST", "/collections/events/items", w.editor, body)
	if r.status != http.StatusCreated {
		t.Fatalf("POST: status %d: %s", r.status, r.body)
	}
	var f feature
	if err := json.Unmarshal(r.body, &f); err != nil {
		t.Fatal(err)
	}
	return f.ID, r.header.Get("ETag")
}

func TestCreateEvent(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	r := w.do(t, "POST", "/collections/events/items", w.editor, newEvent)
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var f feature
	if err := json.Unmarshal(r.body, &f); err != nil {
		t.Fatal(err)
	}
	if got, want := r.header.Get("Location"), w.ts.URL+"/collections/events/items/"+f.ID; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if got := r.header.Get("ETag"); got != `"1"` {
		t.Errorf("ETag = %q, want \"1\"", got)
	}
	if f.Properties.Title != "Clash near Palmyra" || f.Properties.Fatalities == nil || *f.Properties.Fatalities != 2 || f.Properties.CivilianFatalities != nil {
		t.Errorf("stored feature differs from what was sent: %s", r.body)
	}
	// Durable and readable back, by anyone, with the same ETag.
	back := get(t, r.header.Get("Location"))
	if back.status != http.StatusOK || back.header.Get("ETag") != `"1-gzip"` || !bytes.Equal(back.body, r.body) {
		t.Errorf("GET after POST: status %d ETag %q\n got %s\nwant %s", back.status, back.header.Get("ETag"), back.body, r.body)
	}
	var revs revisionList
	if err := json.Unmarshal(get(t, r.header.Get("Location")+"/revisions").body, &revs); err != nil {
		t.Fatal(err)
	}
	if len(revs.Revisions) != 1 || revs.Revisions[0].Action != "create" || revs.Revisions[0].Version != 1 {
		t.Errorf("revisions after create: %+v", revs.Revisions)
	}
}

// Every validation rule: the request is refused with a problem naming the
// field, and the database is exactly as before.
func TestWriteRejectsBadInput(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t, func(c *config.Config) { c.MaxBodyBytes = 64 << 10 })
	edit := func(from, to string) string {
		if !strings.Contains(newEvent, from) {
			t.Fatalf("test bug: %q not in the sample event", from)
		}
		return strings.Replace(newEvent, from, to, 1)
	}
	point := `{"type":"Point","coordinates":[38.28,34.55]}`
	tests := []struct {
		name        string
		body        string
		contentType string
		status      int
		field       string
	}{
		{"wrong content type", newEvent, "text/plain", 415, "Content-Type"},
		{"no content type", newEvent, "-", 415, "Content-Type"},
		{"malformed JSON", `{"type":"Feature",`, "", 400, "body"},
		{"JSON syntax error", `{"type":"Feature" "x"}`, "", 400, "body"},
		{"NUL in the title", edit(`"Clash near Palmyra"`, `"Clash\u0000near Palmyra"`), "", 400, "properties.title"},
		{"invalid UTF-8", edit(`"Clash near Palmyra"`, "\"Clash near Palmyra\xff\""), "", 400, "body"},
		{"not a Feature", edit(`"type":"Feature"`, `"type":"FeatureCollection"`), "", 400, "type"},
		{"no geometry", edit(point, `null`), "", 400, "geometry"},
		{"crs member", edit(point, `{"type":"Point","coordinates":[38.28,34.55],"crs":{"type":"name","properties":{"name":"EPSG:3857"}}}`), "", 400, "geometry"},
		{"one-number position", edit(point, `{"type":"Point","coordinates":[1]}`), "", 400, "geometry"},
		{"four-number position", edit(point, `{"type":"Point","coordinates":[1,2,3,4]}`), "", 400, "geometry"},
		{"longitude out of range", edit(point, `{"type":"Point","coordinates":[200,34]}`), "", 400, "geometry"},
		{"latitude out of range", edit(point, `{"type":"Point","coordinates":[38,95]}`), "", 400, "geometry"},
		{"string coordinate", edit(point, `{"type":"Point","coordinates":["38",34]}`), "", 400, "geometry"},
		{"unknown geometry type", edit(point, `{"type":"Circle","coordinates":[38,34]}`), "", 400, "geometry"},
		{"empty coordinates", edit(point, `{"type":"Point","coordinates":[]}`), "", 400, "geometry"},
		{"unclosed ring", edit(point, `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`), "", 400, "geometry"},
		{"ring of three positions", edit(point, `{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}`), "", 400, "geometry"},
		{"nested GeometryCollection", edit(point, `{"type":"GeometryCollection","geometries":[{"type":"GeometryCollection","geometries":[{"type":"GeometryCollection","geometries":[{"type":"GeometryCollection","geometries":[`+point+`]}]}]}]}`), "", 400, "geometry"},
		{"self-intersecting polygon", edit(point, `{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`), "", 422, "geometry"},
		{"missing title", edit(`"title":"Clash near Palmyra",`, ``), "", 400, "properties.title"},
		{"unknown type", edit(`"type":"clash"`, `"type":"battle"`), "", 400, "properties.type"},
		{"occurred_at without zone", edit(`2025-10-21T14:00:00Z`, `2025-10-21 14:00`), "", 400, "properties.occurred_at"},
		{"bad time precision", edit(`"time_precision":"day"`, `"time_precision":"hour"`), "", 400, "properties.time_precision"},
		{"bad geo precision", edit(`"geo_precision":"town"`, `"geo_precision":"street"`), "", 400, "properties.geo_precision"},
		{"negative fatalities", edit(`"fatalities":2`, `"fatalities":-1`), "", 400, "properties.fatalities"},
		{"fractional fatalities", edit(`"fatalities":2`, `"fatalities":1.5`), "", 400, "properties.fatalities"},
		{"civilians above total", edit(`"civilian_fatalities":null`, `"civilian_fatalities":5`), "", 400, "properties.civilian_fatalities"},
		{"source not http", edit(`https://example.org/palmyra-clash`, `javascript:alert(1)`), "", 400, "properties.sources[0].url"},
		{"bad actor role", edit(`"role":"perpetrator"`, `"role":"hero"`), "", 400, "properties.actors[0].role"},
		{"title too long", edit(`"Clash near Palmyra"`, `"`+strings.Repeat("x", 501)+`"`), "", 400, "properties.title"},
		{"too many tags", edit(`"place":"Palmyra"`, `"place":"Palmyra","tags":[`+strings.TrimSuffix(strings.Repeat(`"t",`, 51), ",")+`]`), "", 400, "properties.tags"},
		{"misspelt property", edit(`"place":`, `"plcae":`), "", 400, "properties.plcae"},
		{"client sets id", edit(`"type":"Feature",`, `"type":"Feature","id":"6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e99",`), "", 400, "id"},
		{"client sets version", edit(`"type":"clash",`, `"type":"clash","version":7,`), "", 400, "properties.version"},
		{"client sets updated_at", edit(`"type":"clash",`, `"type":"clash","updated_at":"2025-01-01T00:00:00Z",`), "", 400, "properties.updated_at"},
		{"client sets created_at", edit(`"type":"clash",`, `"type":"clash","created_at":"2025-01-01T00:00:00Z",`), "", 400, "properties.created_at"},
		{"client sets editor", edit(`"type":"clash",`, `"type":"clash","editor":"someone else",`), "", 400, "properties.editor"},
		{"body too large", edit(`"place":"Palmyra"`, `"place":"`+strings.Repeat("x", 70<<10)+`"`), "", 413, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.state(t)
			var headers []string
			switch tt.contentType {
			case "":
			case "-":
				headers = []string{"Content-Type", ""}
			default:
				headers = []string{"Content-Type", tt.contentType}
			}
			r := w.do(t, "POST", "/collections/events/items", w.editor, tt.body, headers...)
			p := decodeProblem(t, r, tt.status)
			if !problemNames(p, tt.field) {
				t.Errorf("problem does not name %s: %s", tt.field, r.body)
			}
			if after := w.state(t); after != before {
				t.Error("a rejected write changed the database")
			}
		})
	}
	t.Run("malformed JSON names the byte", func(t *testing.T) {
		for body, at := range map[string]string{`{"type":"Feature",`: "at byte 18", `{"type":"Feature" "x"}`: "at byte 19"} {
			p := decodeProblem(t, w.do(t, "POST", "/collections/events/items", w.editor, body), 400)
			if !strings.Contains(p.Errors[0].Rule, at) {
				t.Errorf("%s: rule %q does not say %q", body, p.Errors[0].Rule, at)
			}
		}
	})
	t.Run("PostGIS reason is given", func(t *testing.T) {
		r := w.do(t, "POST", "/collections/events/items", w.editor, edit(point, `{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`))
		if p := decodeProblem(t, r, 422); !strings.Contains(p.Detail, "Self-intersection") {
			t.Errorf("detail %q does not carry ST_IsValidReason", p.Detail)
		}
	})
}

func problemNames(p problemBody, field string) bool {
	for _, e := range p.Errors {
		if e.Field == field && e.Rule != "" {
			return true
		}
	}
	return false
}

func TestWriteNeedsTokenAndRole(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	item := "/collections/events/items/" + dumayrID
	patch := `{"properties":{"fatalities":1}}`
	tests := []struct {
		name, method, path, token, body string
		status                          int
	}{
		{"anonymous create", "POST", "/collections/events/items", "", newEvent, 401},
		{"anonymous patch", "PATCH", item, "", patch, 401},
		{"anonymous replace", "PUT", item, "", newEvent, 401},
		{"anonymous delete", "DELETE", item, "", "", 401},
		{"unknown token", "POST", "/collections/events/items", "em_aaaaaaaaaaaaaaaa_nope", newEvent, 401},
		{"not our token format", "POST", "/collections/events/items", "ghp_123", newEvent, 401},
		{"expired token", "POST", "/collections/events/items", w.expired, newEvent, 401},
		{"revoked token", "POST", "/collections/events/items", w.revoked, newEvent, 401},
		{"bad token on a read", "GET", item, w.expired, "", 401},
		{"reader creates", "POST", "/collections/events/items", w.reader, newEvent, 403},
		{"reader patches", "PATCH", item, w.reader, patch, 403},
		{"editor deletes", "DELETE", item, w.editor, "", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.state(t)
			r := w.do(t, tt.method, tt.path, tt.token, tt.body, "If-Match", `"2"`, "X-Edit-Reason", "test")
			p := decodeProblem(t, r, tt.status)
			if !problemNames(p, "Authorization") {
				t.Errorf("problem does not name Authorization: %s", r.body)
			}
			if tt.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge: %q", r.header.Get("WWW-Authenticate"))
			}
			if w.state(t) != before {
				t.Error("a refused write changed the database")
			}
		})
	}
	t.Run("other schemes are refused", func(t *testing.T) {
		req, _ := http.NewRequest("GET", w.ts.URL+item, nil)
		req.SetBasicAuth("admin", "admin")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("Basic auth: status %d, want 401", resp.StatusCode)
		}
	})
}

func TestUpdateNeedsCurrentVersion(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	id, etag := w.create(t, newEvent)
	item := "/collections/events/items/" + id
	mp := []string{"Content-Type", "application/merge-patch+json"}
	patch := func(body string, headers ...string) response {
		return w.do(t, "PATCH", item, w.editor, body, append(append([]string{}, mp...), headers...)...)
	}

	t.Run("If-Match missing", func(t *testing.T) {
		before := w.state(t)
		p := decodeProblem(t, patch(`{"properties":{"fatalities":3}}`, "X-Edit-Reason", "x"), 428)
		if !problemNames(p, "If-Match") || w.state(t) != before {
			t.Errorf("428 must name If-Match and change nothing: %+v", p)
		}
		decodeProblem(t, w.do(t, "PUT", item, w.editor, newEvent, "X-Edit-Reason", "x"), 428)
		decodeProblem(t, w.do(t, "DELETE", item, w.admin, "", "X-Edit-Reason", "x"), 428)
	})
	t.Run("If-Match malformed", func(t *testing.T) {
		for _, v := range []string{"*", `W/"1"`, "1", `"1", "2"`, `"abc"`} {
			p := decodeProblem(t, patch(`{"properties":{"fatalities":3}}`, "If-Match", v, "X-Edit-Reason", "x"), 400)
			if !problemNames(p, "If-Match") {
				t.Errorf("If-Match %s: problem does not name If-Match", v)
			}
		}
	})
	t.Run("reason required for a public event", func(t *testing.T) {
		before := w.state(t)
		p := decodeProblem(t, patch(`{"properties":{"fatalities":3}}`, "If-Match", etag), 400)
		if !problemNames(p, "X-Edit-Reason") || w.state(t) != before {
			t.Errorf("want a 400 naming X-Edit-Reason and no change: %+v", p)
		}
	})
	t.Run("patch changes only what it names", func(t *testing.T) {
		r := patch(`{"properties":{"fatalities":3,"civilian_fatalities":1}}`, "If-Match", etag, "X-Edit-Reason", "SOHR raised the toll")
		if r.status != 200 || r.header.Get("ETag") != `"2"` {
			t.Fatalf("status %d ETag %q: %s", r.status, r.header.Get("ETag"), r.body)
		}
		var f feature
		_ = json.Unmarshal(get(t, w.ts.URL+item).body, &f)
		if *f.Properties.Fatalities != 3 || *f.Properties.CivilianFatalities != 1 || f.Properties.Title != "Clash near Palmyra" ||
			len(f.Properties.Actors) != 1 || len(f.Properties.Sources) != 1 || string(f.Geometry) != `{"type":"Point","coordinates":[38.28,34.55]}` {
			t.Errorf("after patch: %+v %s", f.Properties, f.Geometry)
		}
	})
	t.Run("stale If-Match", func(t *testing.T) {
		before := w.state(t)
		p := decodeProblem(t, patch(`{"properties":{"fatalities":9}}`, "If-Match", `"1"`, "X-Edit-Reason", "x"), 412)
		if !problemNames(p, "If-Match") || !strings.Contains(p.Detail, "version 2") {
			t.Errorf("412 should name If-Match and the current version: %+v", p)
		}
		if w.state(t) != before {
			t.Error("a stale write changed the database")
		}
	})
	t.Run("null makes a count unknown again", func(t *testing.T) {
		r := patch(`{"properties":{"civilian_fatalities":null,"edit_reason":"civilian count withdrawn"}}`, "If-Match", `"2"`)
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		var f feature
		_ = json.Unmarshal(r.body, &f)
		if f.Properties.CivilianFatalities != nil {
			t.Errorf("civilian_fatalities = %d, want null", *f.Properties.CivilianFatalities)
		}
	})
	t.Run("patch cannot set server fields", func(t *testing.T) {
		before := w.state(t)
		p := decodeProblem(t, patch(`{"properties":{"version":99}}`, "If-Match", `"3"`, "X-Edit-Reason", "x"), 400)
		if !problemNames(p, "properties.version") || w.state(t) != before {
			t.Errorf("want 400 naming properties.version: %+v", p)
		}
		p = decodeProblem(t, patch(`{"id":"6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e99"}`, "If-Match", `"3"`, "X-Edit-Reason", "x"), 400)
		if !problemNames(p, "id") {
			t.Errorf("want 400 naming id: %+v", p)
		}
		decodeProblem(t, patch(`[1,2]`, "If-Match", `"3"`, "X-Edit-Reason", "x"), 400)
		decodeProblem(t, w.do(t, "PATCH", item, w.editor, `{}`, "Content-Type", "text/plain", "If-Match", `"3"`, "X-Edit-Reason", "x"), 415)
	})
	t.Run("put replaces the whole event", func(t *testing.T) {
		body := strings.Replace(newEvent, `"fatalities":2`, `"fatalities":4`, 1)
		body = strings.Replace(body, `"actors":[{"name":"IS cell","role":"perpetrator"}]`, `"actors":[]`, 1)
		r := w.do(t, "PUT", item, w.editor, body, "If-Match", `"3"`, "X-Edit-Reason", "full rewrite from the field report")
		if r.status != 200 || r.header.Get("ETag") != `"4"` {
			t.Fatalf("PUT: status %d ETag %q: %s", r.status, r.header.Get("ETag"), r.body)
		}
		var f feature
		_ = json.Unmarshal(r.body, &f)
		if *f.Properties.Fatalities != 4 || len(f.Properties.Actors) != 0 {
			t.Errorf("after PUT: %+v", f.Properties)
		}
		other := strings.Replace(body, `"type":"Feature",`, `"type":"Feature","id":"6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e99",`, 1)
		decodeProblem(t, w.do(t, "PUT", item, w.editor, other, "If-Match", `"4"`, "X-Edit-Reason", "x"), 400)
	})
	t.Run("unknown event", func(t *testing.T) {
		r := w.do(t, "PATCH", "/collections/events/items/6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e99", w.editor,
			`{"properties":{"fatalities":1}}`, "Content-Type", "application/merge-patch+json", "If-Match", `"1"`, "X-Edit-Reason", "x")
		decodeProblem(t, r, 404)
	})
	t.Run("no reason needed for a restricted draft", func(t *testing.T) {
		r := w.do(t, "PATCH", "/collections/events/items/"+restrictedID, w.editor,
			`{"properties":{"status":"corroborated"}}`, "Content-Type", "application/merge-patch+json", "If-Match", `"1"`)
		if r.status != 200 {
			t.Errorf("status %d: %s", r.status, r.body)
		}
	})
}

// Two editors change the same version at the same moment: exactly one
// wins, the other is told its copy is stale, and nothing is lost silently.
func TestConcurrentPatchesOneWins(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	for round := 0; round < 5; round++ {
		id, etag := w.create(t, newEvent)
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for i, tok := range []string{w.editor, w.editor2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := w.do(t, "PATCH", "/collections/events/items/"+id, tok, fmt.Sprintf(`{"properties":{"fatalities":%d}}`, 10+i),
					"Content-Type", "application/merge-patch+json", "If-Match", etag, "X-Edit-Reason", "race")
				statuses[i] = r.status
			}()
		}
		wg.Wait()
		ok, stale := 0, 0
		for _, s := range statuses {
			switch s {
			case 200:
				ok++
			case 412:
				stale++
			}
		}
		if ok != 1 || stale != 1 {
			t.Fatalf("round %d: statuses %v, want one 200 and one 412", round, statuses)
		}
		if n := w.count(t, `SELECT count(*) FROM event_revisions WHERE event_id = $1`, id); n != 2 {
			t.Errorf("round %d: %d revisions, want 2 (create + the one winning patch)", round, n)
		}
	}
}

// The same POST sent 20 times at once with one Idempotency-Key creates one
// event, and every caller gets that event's response.
func TestIdempotentPostCreatesOneEvent(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	events := w.count(t, `SELECT count(*) FROM events`)
	const n = 20
	results := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = w.do(t, "POST", "/collections/events/items", w.editor, newEvent, "Idempotency-Key", "palmyra-clash-1")
		}()
	}
	wg.Wait()
	replays := 0
	for i, r := range results {
		if r.status != 201 || r.header.Get("Location") != results[0].header.Get("Location") || !bytes.Equal(r.body, results[0].body) {
			t.Fatalf("request %d: status %d, Location %q, want the first answer (%q)", i, r.status, r.header.Get("Location"), results[0].header.Get("Location"))
		}
		if r.header.Get("Idempotent-Replayed") == "true" {
			replays++
		}
	}
	if replays != n-1 {
		t.Errorf("%d replays, want %d", replays, n-1)
	}
	if got := w.count(t, `SELECT count(*) FROM events`); got != events+1 {
		t.Errorf("%d events after %d identical POSTs, want %d", got, n, events+1)
	}

	t.Run("same key, different body", func(t *testing.T) {
		before := w.state(t)
		r := w.do(t, "POST", "/collections/events/items", w.editor, strings.Replace(newEvent, "Palmyra", "Tadmur", 1), "Idempotency-Key", "palmyra-clash-1")
		if p := decodeProblem(t, r, 422); !problemNames(p, "Idempotency-Key") {
			t.Errorf("422 should name Idempotency-Key: %+v", p)
		}
		if w.state(t) != before {
			t.Error("a refused POST changed the database")
		}
	})
	t.Run("same key, other token", func(t *testing.T) {
		r := w.do(t, "POST", "/collections/events/items", w.editor2, newEvent, "Idempotency-Key", "palmyra-clash-1")
		if r.status != 201 || r.header.Get("Location") == results[0].header.Get("Location") {
			t.Errorf("keys are per token: status %d Location %q", r.status, r.header.Get("Location"))
		}
	})
	t.Run("malformed key", func(t *testing.T) {
		r := w.do(t, "POST", "/collections/events/items", w.editor, newEvent, "Idempotency-Key", strings.Repeat("k", 256))
		if p := decodeProblem(t, r, 400); !problemNames(p, "Idempotency-Key") {
			t.Errorf("400 should name Idempotency-Key: %+v", p)
		}
	})
	t.Run("expired key is forgotten", func(t *testing.T) {
		if _, err := w.raw.Exec(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours'`); err != nil {
			t.Fatal(err)
		}
		r := w.do(t, "POST", "/collections/events/items", w.editor, newEvent, "Idempotency-Key", "palmyra-clash-1")
		if r.status != 201 || r.header.Get("Idempotent-Replayed") != "" || r.header.Get("Location") == results[0].header.Get("Location") {
			t.Errorf("after the 24h expiry the key should be new: status %d replayed %q", r.status, r.header.Get("Idempotent-Replayed"))
		}
	})
}

type revisionList struct {
	EventID   string `json:"event_id"`
	Revisions []struct {
		Version    int64   `json:"version"`
		Action     string  `json:"action"`
		RecordedAt string  `json:"recorded_at"`
		Reason     string  `json:"reason"`
		Editor     *string `json:"editor"`
		Feature    feature `json:"feature"`
	} `json:"revisions"`
}

func (w *writeEnv) revisions(t *testing.T, id, token string) (int, revisionList) {
	t.Helper()
	r := w.do(t, "GET", "/collections/events/items/"+id+"/revisions", token, "")
	var l revisionList
	if r.status == 200 {
		if err := json.Unmarshal(r.body, &l); err != nil {
			t.Fatal(err)
		}
	}
	return r.status, l
}

// create -> patch -> delete, then the history and "as of" reads.
func TestRevisionsAndAsOf(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)

	t.Run("the sample Dumayr raid shows its correction", func(t *testing.T) {
		status, l := w.revisions(t, dumayrID, "")
		if status != 200 || len(l.Revisions) != 2 {
			t.Fatalf("status %d, %d revisions, want 2", status, len(l.Revisions))
		}
		first, second := l.Revisions[0], l.Revisions[1]
		if !strings.Contains(first.Feature.Properties.Title, "reported as the capture of an IS official") || !strings.HasPrefix(second.Reason, "Correction") {
			t.Errorf("history does not show the correction: %q then %q (%q)", first.Feature.Properties.Title, second.Feature.Properties.Title, second.Reason)
		}
		if first.Editor != nil {
			t.Errorf("editor names are for token holders only, anonymous saw %q", *first.Editor)
		}
		asOf := get(t, w.ts.URL+"/collections/events/items/"+dumayrID+"?as_of=2025-11-01T00:00:00Z")
		var f feature
		_ = json.Unmarshal(asOf.body, &f)
		if asOf.status != 200 || f.Properties.Title != first.Feature.Properties.Title || asOf.header.Get("ETag") != `"1-gzip"` {
			t.Errorf("as_of before the correction: status %d title %q ETag %q", asOf.status, f.Properties.Title, asOf.header.Get("ETag"))
		}
		decodeProblem(t, get(t, w.ts.URL+"/collections/events/items/"+dumayrID+"?as_of=2025-10-01T00:00:00Z"), 404)
		p := decodeProblem(t, get(t, w.ts.URL+"/collections/events/items/"+dumayrID+"?as_of=yesterday"), 400)
		if !problemNames(p, "as_of") {
			t.Errorf("bad as_of: %+v", p)
		}
	})

	t.Run("create, patch, delete", func(t *testing.T) {
		id, _ := w.create(t, newEvent)
		item := "/collections/events/items/" + id
		time.Sleep(20 * time.Millisecond)
		afterCreate := time.Now().UTC()
		time.Sleep(20 * time.Millisecond)
		r := w.do(t, "PATCH", item, w.editor, `{"properties":{"status":"corroborated"}}`,
			"Content-Type", "application/merge-patch+json", "If-Match", `"1"`, "X-Edit-Reason", "second source")
		if r.status != 200 {
			t.Fatalf("PATCH: %d %s", r.status, r.body)
		}
		time.Sleep(20 * time.Millisecond)
		afterPatch := time.Now().UTC()
		time.Sleep(20 * time.Millisecond)
		if r := w.do(t, "DELETE", item, w.admin, "", "If-Match", `"2"`, "X-Edit-Reason", "duplicate of the Tadmur report"); r.status != 204 {
			t.Fatalf("DELETE: %d %s", r.status, r.body)
		}
		decodeProblem(t, get(t, w.ts.URL+item), 404)
		_, fs := getItems(t, itemsURL(w.ts, "limit", "1000"))
		for _, f := range fs {
			if f.ID == id {
				t.Error("a deleted event is still listed")
			}
		}
		decodeProblem(t, w.do(t, "DELETE", item, w.admin, "", "If-Match", `"3"`, "X-Edit-Reason", "again"), 404)

		status, l := w.revisions(t, id, w.editor)
		if status != 200 || len(l.Revisions) != 3 {
			t.Fatalf("revisions: status %d, %d revisions", status, len(l.Revisions))
		}
		wantActions := []string{"create", "update", "delete"}
		wantReasons := []string{"created", "second source", "duplicate of the Tadmur report"}
		for i, rev := range l.Revisions {
			if rev.Action != wantActions[i] || rev.Reason != wantReasons[i] || rev.Version != int64(i+1) || rev.Editor == nil {
				t.Errorf("revision %d: %s %q v%d editor %v", i, rev.Action, rev.Reason, rev.Version, rev.Editor)
			}
		}
		if *l.Revisions[2].Editor != "admin (token "+strings.Split(w.admin, "_")[1]+")" {
			t.Errorf("delete recorded by %q", *l.Revisions[2].Editor)
		}
		for _, tc := range []struct {
			at     time.Time
			status int
			want   string
		}{{afterCreate, 200, "reported"}, {afterPatch, 200, "corroborated"}, {time.Now().UTC(), 404, ""}} {
			r := get(t, w.ts.URL+item+"?as_of="+tc.at.Format(time.RFC3339Nano))
			var f feature
			_ = json.Unmarshal(r.body, &f)
			if r.status != tc.status || f.Properties.Status != tc.want {
				t.Errorf("as_of %s: status %d, event status %q; want %d %q", tc.at, r.status, f.Properties.Status, tc.status, tc.want)
			}
		}
	})
}

package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// injectionPayloads are the classic ways in: quotes, comments, stacked
// statements, UNION, time-based probes, and look-alike Unicode quotes.
var injectionPayloads = []string{
	`'`, `"`, `' OR '1'='1`, `' OR 1=1 --`, `1; DROP TABLE events; --`, `1/**/OR/**/1=1`,
	`1 UNION SELECT secret_hash FROM api_tokens`, `'; SELECT pg_sleep(3); --`,
	`1) OR pg_sleep(3) IS NULL --`, `$$; SELECT 1; $$`, `\'; --`, `%' --`, `_`,
	"ʼ OR 1=1 --", "＇ OR ＇1＇=＇1", "\x00", "\xff\xfe", "e.id", "(SELECT 1)", `{"op":"="}`,
	`36.5,33.5,36.9,33.8); DELETE FROM events; --`, `2025-10-19'::timestamptz OR '1'='1`,
}

// Every read parameter and header, with every payload: the answer is a
// 400/404 problem or an ordinary page, never a database error, never a
// restricted event, never slow, and the data is intact afterwards.
func TestInjectionIntoEveryParameter(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	params := []string{"bbox", "bbox-crs", "datetime", "limit", "cursor", "sortby", "crs", "type", "status",
		"country", "actor", "q", "region", "as_of", "filter", "filter-lang", "filter-crs", "f"}
	check := func(t *testing.T, what string, r response, took time.Duration) {
		t.Helper()
		if took > 2*time.Second {
			t.Errorf("%s took %v: a time-based probe got through", what, took)
		}
		switch r.status {
		case http.StatusOK:
			if strings.Contains(string(r.body), restrictedID) {
				t.Errorf("%s: the restricted event leaked", what)
			}
		case http.StatusBadRequest, http.StatusNotFound:
			decodeProblem(t, r, r.status) // also checks no SQL or driver text
		default:
			t.Errorf("%s: status %d: %.300s", what, r.status, r.body)
		}
	}
	for _, p := range params {
		for _, payload := range injectionPayloads {
			u := w.ts.URL + "/collections/events/items?" + url.Values{p: {payload}}.Encode()
			start := time.Now()
			r := w.do(t, "GET", strings.TrimPrefix(u, w.ts.URL), "", "")
			check(t, p+"="+payload, r, time.Since(start))
		}
	}
	for _, payload := range injectionPayloads {
		path := "/collections/events/items/" + url.PathEscape(payload)
		start := time.Now()
		check(t, "id "+payload, w.do(t, "GET", path, "", ""), time.Since(start))
		start = time.Now()
		check(t, "revisions of "+payload, w.do(t, "GET", path+"/revisions", "", ""), time.Since(start))
		start = time.Now()
		check(t, "item crs "+payload, w.do(t, "GET", "/collections/events/items/"+dumayrID+"?"+url.Values{"crs": {payload}}.Encode(), "", ""), time.Since(start))
	}
	// Headers: the token, If-Match, Idempotency-Key and the edit reason.
	for _, payload := range injectionPayloads {
		if strings.ContainsAny(payload, "\x00\n\r") {
			continue // not sendable as a header at all
		}
		start := time.Now()
		r := w.do(t, "GET", "/collections/events/items/"+dumayrID, "em_"+payload, "")
		if r.status != http.StatusUnauthorized || time.Since(start) > 2*time.Second {
			t.Errorf("Authorization %q: status %d", payload, r.status)
		}
		r = w.do(t, "PATCH", "/collections/events/items/"+dumayrID, w.editor, `{"properties":{"fatalities":1}}`,
			"Content-Type", "application/merge-patch+json", "If-Match", payload, "X-Edit-Reason", payload)
		if r.status != http.StatusBadRequest && r.status != http.StatusPreconditionFailed {
			t.Errorf("If-Match %q: status %d %s", payload, r.status, r.body)
		}
		r = w.do(t, "POST", "/collections/events/items", w.editor, `{"type":"Feature"}`, "Idempotency-Key", payload)
		if r.status != http.StatusBadRequest {
			t.Errorf("Idempotency-Key %q: status %d", payload, r.status)
		}
	}
	if n := w.count(t, `SELECT count(*) FROM events`); n != 8 {
		t.Errorf("after the attempts there are %d events, want the 8 samples", n)
	}
}

// Payloads in JSON properties are data: stored and served back byte for
// byte, never interpreted.
func TestInjectionPayloadsAreStoredAsText(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	for _, payload := range injectionPayloads {
		if strings.ContainsAny(payload, "\x00\xff") {
			continue // refused as not UTF-8 / NUL, tested with the other bad input
		}
		title, _ := json.Marshal("Raid " + payload)
		place, _ := json.Marshal(payload)
		body := strings.Replace(newEvent, `"Clash near Palmyra"`, string(title), 1)
		body = strings.Replace(body, `"place":"Palmyra"`, `"place":`+string(place), 1)
		body = strings.Replace(body, `"IS cell"`, string(place), 1)
		r := w.do(t, "POST", "/collections/events/items", w.editor, body)
		if r.status != http.StatusCreated {
			t.Errorf("payload %q: status %d %s", payload, r.status, r.body)
			continue
		}
		var f feature
		_ = json.Unmarshal(get(t, r.header.Get("Location")).body, &f)
		if f.Properties.Title != "Raid "+payload || f.Properties.Place != payload || len(f.Properties.Actors) != 1 || f.Properties.Actors[0].Name != payload {
			t.Errorf("payload %q came back as title %q place %q actors %+v", payload, f.Properties.Title, f.Properties.Place, f.Properties.Actors)
		}
	}
	if n := w.count(t, `SELECT count(*) FROM api_tokens`); n != 6 {
		t.Errorf("api_tokens has %d rows, want the 6 test tokens", n)
	}
}

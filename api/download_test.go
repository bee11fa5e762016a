package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"eventmap/auth"
	"eventmap/config"
	"eventmap/demo"
	"eventmap/internal/testdb"
)

// The whole-collection download streams every public event, never a
// restricted one (with or without filters), as GeoJSON, CSV or NDJSON by
// f, as an attachment, gzipped for a client that accepts it; a bad f is a
// problem.
func TestDownload(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	const public = 7 // of the 8 sample events, one is restricted
	for _, c := range []struct {
		f, typ, file string
		rows         func(t *testing.T, body []byte) []string // ids
	}{
		{"", "application/geo+json", "events.geojson", geojsonIDs},
		{"geojson", "application/geo+json", "events.geojson", geojsonIDs},
		{"ndjson", "application/geo+json-seq", "events.ndjson", func(t *testing.T, b []byte) []string {
			var ids []string
			for line := range strings.SplitSeq(strings.TrimSuffix(string(b), "\n"), "\n") {
				var f struct{ ID string }
				if err := json.Unmarshal([]byte(line), &f); err != nil {
					t.Fatalf("line %q: %v", line, err)
				}
				ids = append(ids, f.ID)
			}
			return ids
		}},
		{"csv", "text/csv; charset=utf-8", "events.csv", func(t *testing.T, b []byte) []string {
			recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			col := -1
			for i, h := range recs[0] {
				if h == "id" {
					col = i
				}
			}
			var ids []string
			for _, r := range recs[1:] {
				ids = append(ids, r[col])
			}
			return ids
		}},
	} {
		t.Run("f="+c.f, func(t *testing.T) {
			u := ts.URL + "/collections/events/download"
			if c.f != "" {
				u += "?f=" + c.f
			}
			r := get(t, u)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if got := r.header.Get("Content-Type"); got != c.typ {
				t.Errorf("Content-Type %q, want %q", got, c.typ)
			}
			if got, want := r.header.Get("Content-Disposition"), `attachment; filename="`+c.file+`"`; got != want {
				t.Errorf("Content-Disposition %q, want %q", got, want)
			}
			if r.header.Get("Eventmap-Dataset-Version") == "" {
				t.Error("no Eventmap-Dataset-Version")
			}
			ids := c.rows(t, r.body)
			if len(ids) != public {
				t.Errorf("%d events, want %d", len(ids), public)
			}
			for _, id := range ids {
				if id == restrictedID {
					t.Error("the restricted event is in the download")
				}
			}
			if bytes.Contains(r.body, []byte(restrictedID)) {
				t.Error("the restricted event's id is in the download")
			}
		})
	}

	t.Run("filters select, restricted stays out", func(t *testing.T) {
		r := get(t, ts.URL+"/collections/events/download?f=ndjson&datetime=2025-11-03T00:00:00Z/2025-11-04T00:00:00Z")
		if r.status != 200 || bytes.Contains(r.body, []byte(restrictedID)) {
			t.Errorf("%d, restricted event in the body: %v", r.status, bytes.Contains(r.body, []byte(restrictedID)))
		}
	})

	t.Run("gzip", func(t *testing.T) {
		plain := get(t, ts.URL+"/collections/events/download?f=csv")
		req, _ := http.NewRequest("GET", ts.URL+"/collections/events/download?f=csv", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		// A transport of its own that leaves the body compressed.
		client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, plain.body) {
			t.Errorf("gunzipped body (%d bytes) is not the plain one (%d bytes)", len(body), len(plain.body))
		}
	})

	// Each refusal names the query parameter the client sent.
	for q, field := range map[string]string{"f=xml": "f", "f=csv&limit=5": "limit", "bbox=1,2": "bbox"} {
		t.Run("bad "+q, func(t *testing.T) {
			r := get(t, ts.URL+"/collections/events/download?"+q)
			var p struct {
				Type, Detail string
				Errors       []struct{ Field string }
			}
			if err := json.Unmarshal(r.body, &p); err != nil || r.status != 400 ||
				r.header.Get("Content-Type") != "application/problem+json" || p.Detail == "" {
				t.Errorf("%d %q: %s", r.status, r.header.Get("Content-Type"), r.body)
			}
			if len(p.Errors) == 0 || p.Errors[0].Field != field {
				t.Errorf("errors %+v, want field %q first", p.Errors, field)
			}
		})
	}
}

// A download is an expensive request: with the only slot taken (by an
// import whose body is still coming), it is shed at once with 503 and
// Retry-After.
func TestDownloadIsShed(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t)
	if _, err := demo.Load(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	ts, srv := startLoggedServer(t, db, &syncBuffer{}, func(c *config.Config) { c.ExpensiveRequests = 1 })
	tok, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateToken(context.Background(), tok, auth.Editor, "download", nil); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	held := make(chan response, 1)
	go func() {
		held <- send(t, "POST", ts.URL+"/collections/events/import?filename=slow.geojson", tok.Plain, pr, "Content-Type", "application/geo+json")
	}()
	io.WriteString(pw, `{"type":"FeatureCollection","features":[`)
	deadline := time.Now().Add(10 * time.Second)
	for value(scrape(t, srv), "eventmap_expensive_requests_in_flight") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the held import never took its slot")
		}
		time.Sleep(10 * time.Millisecond)
	}
	shed := get(t, ts.URL+"/collections/events/download?f=csv")
	io.WriteString(pw, `]}`)
	pw.Close()
	if r := <-held; r.status != 200 {
		t.Errorf("the held import: %d %s", r.status, r.body)
	}
	if shed.status != 503 || shed.header.Get("Retry-After") == "" || !strings.Contains(string(shed.body), "whole-collection download") {
		t.Errorf("a download while the slot is taken: %d (Retry-After %q): %s", shed.status, shed.header.Get("Retry-After"), shed.body)
	}
	if r := get(t, ts.URL+"/collections/events/download?f=csv"); r.status != 200 {
		t.Errorf("a download once the slot is free: %d", r.status)
	}
}

func geojsonIDs(t *testing.T, b []byte) []string {
	var fc struct {
		Type     string
		Eventmap struct {
			DatasetVersion int64 `json:"dataset_version"`
		}
		Features []struct{ ID string }
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if fc.Type != "FeatureCollection" || fc.Eventmap.DatasetVersion == 0 {
		t.Errorf("type %q, citation %+v", fc.Type, fc.Eventmap)
	}
	var ids []string
	for _, f := range fc.Features {
		ids = append(ids, f.ID)
	}
	return ids
}

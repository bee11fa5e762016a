package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"eventmap/config"
)

func (w *writeEnv) upload(t *testing.T, path, token, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequest("POST", w.ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

type importReport struct {
	Rows, Created, Updated, Unchanged, Rejected int
	Committed                                   bool
	DryRun                                      bool `json:"dry_run"`
	Errors                                      []struct {
		Line        int
		Field, Rule string
	}
}

// POST /collections/events/import takes the same files as the CLI, for
// editors only, and answers with the same report.
func TestImportEndpoint(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t, func(c *config.Config) { c.MaxImportBytes = 64 << 10 })
	sample, err := os.ReadFile("../testdata/acled_sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	rejects, _ := os.ReadFile("../testdata/acled_rejects.csv")
	const path = "/collections/events/import?filename=acled_sample.csv"

	decodeProblem(t, w.upload(t, path, "", "text/csv", string(sample)), http.StatusUnauthorized)
	decodeProblem(t, w.upload(t, path, w.reader, "text/csv", string(sample)), http.StatusForbidden)
	p := decodeProblem(t, w.upload(t, path, w.editor, "application/pdf", string(sample)), http.StatusUnsupportedMediaType)
	if len(p.Errors) == 0 || p.Errors[0].Field != "Content-Type" {
		t.Errorf("415 errors %+v", p.Errors)
	}
	decodeProblem(t, w.upload(t, path+"&dry_run=maybe", w.editor, "text/csv", string(sample)), http.StatusBadRequest)

	report := func(r response) importReport {
		t.Helper()
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		var rep importReport
		if err := json.Unmarshal(r.body, &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := report(w.upload(t, path+"&dry_run=true", w.editor, "text/csv", string(sample))); rep.Created != 6 || rep.Committed || !rep.DryRun {
		t.Errorf("dry run %+v", rep)
	}
	if rep := report(w.upload(t, path, w.editor, "text/csv", string(sample))); rep.Created != 6 || !rep.Committed {
		t.Errorf("import %+v", rep)
	}
	var reason string
	if err := w.raw.QueryRow(`SELECT r.reason || ' by ' || r.editor FROM event_revisions r JOIN events e ON e.id = r.event_id WHERE e.external_id = 'SYR1003'`).Scan(&reason); err != nil || reason != "import of acled_sample.csv by Jane Monitor (token "+strings.Split(w.editor, "_")[1]+")" {
		t.Errorf("revision reason %q (%v)", reason, err)
	}
	if rep := report(w.upload(t, path, w.editor, "text/csv", string(sample))); rep.Unchanged != 6 || rep.Created != 0 {
		t.Errorf("same file again %+v", rep)
	}

	// Rejected rows: 422 naming line, column and rule, nothing written.
	p = decodeProblem(t, w.upload(t, "/collections/events/import", w.editor, "text/csv", string(rejects)), http.StatusUnprocessableEntity)
	if len(p.Errors) != 9 || p.Errors[0].Field != "line 3: event_date" || !strings.Contains(p.Errors[0].Rule, "2025-13-45") {
		t.Errorf("422 errors %+v", p.Errors)
	}
	if rep := report(w.upload(t, "/collections/events/import?skip_invalid=true", w.editor, "text/csv", string(rejects))); rep.Rejected != 8 || rep.Unchanged != 2 || rep.Committed != true {
		t.Errorf("skip_invalid %+v", rep)
	}

	// GeoJSON and NDJSON bodies, read back from the items.
	fc := `{"type":"FeatureCollection","features":[` + newEvent + `]}`
	if rep := report(w.upload(t, "/collections/events/import", w.editor, "application/geo+json", fc)); rep.Created != 1 {
		t.Errorf("GeoJSON import %+v", rep)
	}
	var line bytes.Buffer
	if err := json.Compact(&line, []byte(newEvent)); err != nil {
		t.Fatal(err)
	}
	seq := "\x1e" + line.String() + "\n\n" + strings.Replace(line.String(), "Palmyra", "Tadmur", 1) + "\n"
	if rep := report(w.upload(t, "/collections/events/import", w.editor, "application/x-ndjson", seq)); rep.Created != 2 {
		t.Errorf("NDJSON import %+v", rep)
	}

	big := strings.Repeat(string(sample[3:]), 30) // about 80 KB, above the 64 KB limit set here
	p = decodeProblem(t, w.upload(t, "/collections/events/import", w.editor, "text/csv", big), http.StatusRequestEntityTooLarge)
	if len(p.Errors) == 0 || p.Errors[0].Rule != "at most 65536 bytes" {
		t.Errorf("413 errors %+v", p.Errors)
	}
}

// A mirror stays current with items?updated_since= and the deletions feed.
func TestIncrementalSync(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	time.Sleep(10 * time.Millisecond)
	since := time.Now().UTC()
	var changed, deleted, restricted string
	if err := w.raw.QueryRow(`SELECT id FROM events WHERE place = 'Homs'`).Scan(&changed); err != nil {
		t.Fatal(err)
	}
	if err := w.raw.QueryRow(`SELECT id FROM events WHERE place = 'Dumayr'`).Scan(&deleted); err != nil {
		t.Fatal(err)
	}
	if err := w.raw.QueryRow(`SELECT id FROM events WHERE visibility = 'restricted' LIMIT 1`).Scan(&restricted); err != nil {
		t.Fatal(err)
	}
	if r := w.do(t, "PATCH", "/collections/events/items/"+changed, w.editor, `{"properties":{"fatalities":9}}`, "Content-Type", "application/merge-patch+json", "If-Match", `"1"`, "X-Edit-Reason", "new toll"); r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	for _, id := range []string{deleted, restricted} {
		var v int
		_ = w.raw.QueryRow(`SELECT version FROM events WHERE id = $1`, id).Scan(&v)
		if r := w.do(t, "DELETE", "/collections/events/items/"+id, w.admin, "", "If-Match", `"`+itoa(v)+`"`, "X-Edit-Reason", "duplicate"); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
	}
	_, fs := getItems(t, itemsURL(w.ts, "updated_since", since.Format(time.RFC3339Nano)))
	if len(fs) != 1 || fs[0].ID != changed {
		t.Errorf("updated_since gave %v, want only the patched event", places(fs))
	}
	decodeProblem(t, get(t, itemsURL(w.ts, "updated_since", "yesterday")), http.StatusBadRequest)

	var feed struct {
		Deletions []struct {
			ID        string `json:"id"`
			DeletedAt string `json:"deleted_at"`
		} `json:"deletions"`
	}
	r := get(t, w.ts.URL+"/collections/events/deletions?since="+url.QueryEscape(since.Format(time.RFC3339Nano)))
	if err := json.Unmarshal(r.body, &feed); err != nil || r.status != 200 {
		t.Fatalf("deletions: %d %s", r.status, r.body)
	}
	if len(feed.Deletions) != 1 || feed.Deletions[0].ID != deleted {
		t.Errorf("anonymous deletions feed %+v, want only the public event (restricted ones stay invisible)", feed.Deletions)
	}
	decodeProblem(t, get(t, w.ts.URL+"/collections/events/deletions?since=later"), http.StatusBadRequest)
}

func itoa(n int) string { return strconv.Itoa(n) }

type importJob struct {
	ID         string        `json:"id"`
	State      string        `json:"state"`
	File       string        `json:"file"`
	Step       string        `json:"step"`
	RowsRead   int           `json:"rows_read"`
	RowsTotal  *int          `json:"rows_total"`
	BytesRead  int           `json:"bytes_read"`
	BytesTotal int           `json:"bytes_total"`
	FinishedAt *time.Time    `json:"finished_at"`
	Report     *importReport `json:"report"`
	Problem    *problemBody  `json:"problem"`
}

// "Prefer: respond-async" answers 202 with the job's Location once the
// file is received; the job reports progress, then the same report (or
// problem) as the synchronous import. Only its owner (or an admin) sees
// it.
func TestImportJob(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t, func(c *config.Config) { c.MaxImportBytes = 64 << 10 })
	sample, err := os.ReadFile("../testdata/acled_sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	rejects, _ := os.ReadFile("../testdata/acled_rejects.csv")
	start := func(path, body string) (string, importJob) {
		t.Helper()
		r := w.do(t, "POST", path, w.editor, body, "Content-Type", "text/csv", "Prefer", "return=minimal, respond-async")
		if r.status != http.StatusAccepted {
			t.Fatalf("status %d, want 202: %s", r.status, r.body)
		}
		if got := r.header.Get("Preference-Applied"); got != "respond-async" {
			t.Errorf("Preference-Applied %q", got)
		}
		loc := r.header.Get("Location")
		var j importJob
		if err := json.Unmarshal(r.body, &j); err != nil || !strings.HasSuffix(loc, "/imports/"+j.ID) || j.BytesTotal != len(body) {
			t.Fatalf("202 %s (Location %q): %v", r.body, loc, err)
		}
		return loc, j
	}
	wait := func(loc string) importJob {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			r := w.do(t, "GET", loc, w.editor, "")
			var j importJob
			if err := json.Unmarshal(r.body, &j); err != nil || r.status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", loc, r.status, r.body)
			}
			if j.FinishedAt != nil {
				if r.header.Get("Retry-After") != "" {
					t.Errorf("a finished job still says Retry-After")
				}
				return j
			}
			if r.header.Get("Retry-After") == "" {
				t.Errorf("a running job says no Retry-After")
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s still %s", loc, j.State)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	loc, _ := start("/collections/events/import?filename=acled_sample.csv", string(sample))
	j := wait(loc)
	if j.State != "succeeded" || j.Report == nil || j.Report.Created != 6 || !j.Report.Committed || j.Problem != nil {
		t.Errorf("job %+v report %+v", j, j.Report)
	}
	if j.RowsTotal == nil || *j.RowsTotal != j.RowsRead || j.RowsRead != j.Report.Rows || j.BytesRead != j.BytesTotal || j.Step != "commit" || j.File != "acled_sample.csv" {
		t.Errorf("progress of a finished job: %+v", j)
	}
	// Another editor's job does not exist for them; tokens are needed.
	decodeProblem(t, w.do(t, "GET", loc, w.editor2, ""), http.StatusNotFound)
	decodeProblem(t, w.do(t, "GET", loc, "", ""), http.StatusUnauthorized)
	if r := w.do(t, "GET", loc, w.admin, ""); r.status != http.StatusOK {
		t.Errorf("admin reads a job: %d", r.status)
	}
	decodeProblem(t, w.do(t, "GET", "/imports/0123", w.editor, ""), http.StatusNotFound)
	// Canceling a finished job changes nothing.
	if r := w.do(t, "DELETE", loc, w.editor, ""); r.status != http.StatusOK || !strings.Contains(string(r.body), `"succeeded"`) {
		t.Errorf("DELETE of a finished job: %d %s", r.status, r.body)
	}

	// Rejected rows: the job fails with the 422 problem the synchronous
	// import answers with, naming line, field and rule, and the report.
	loc, _ = start("/collections/events/import", string(rejects))
	j = wait(loc)
	if j.State != "failed" || j.Problem == nil || j.Problem.Status != http.StatusUnprocessableEntity || j.Problem.Type != "/problems/unprocessable" ||
		len(j.Problem.Errors) != 9 || j.Problem.Errors[0].Field != "line 3: event_date" || j.Report == nil || j.Report.Rejected != 8 || j.Report.Committed {
		t.Errorf("rejected job %+v problem %+v report %+v", j, j.Problem, j.Report)
	}

	// The size limit and the media type are checked before the 202.
	big := strings.Repeat(string(sample[3:]), 30)
	r := w.do(t, "POST", "/collections/events/import", w.editor, big, "Content-Type", "text/csv", "Prefer", "respond-async")
	decodeProblem(t, r, http.StatusRequestEntityTooLarge)
	r = w.do(t, "POST", "/collections/events/import", w.editor, string(sample), "Content-Type", "application/pdf", "Prefer", "respond-async")
	decodeProblem(t, r, http.StatusUnsupportedMediaType)
}

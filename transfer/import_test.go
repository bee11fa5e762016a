package transfer_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"eventmap"
	"eventmap/demo"
	"eventmap/exchange"
	"eventmap/internal/testdb"
	"eventmap/store"
	"eventmap/transfer"
)

func importFile(t *testing.T, db *store.DB, path string, req transfer.ImportRequest) (*exchange.Report, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return importBytes(t, db, f, path, req)
}

func importBytes(t *testing.T, db *store.DB, r interface{ Read([]byte) (int, error) }, name string, req transfer.ImportRequest) (*exchange.Report, error) {
	t.Helper()
	if req.Name == "" {
		req.Name = name
	}
	if req.Editor == "" {
		req.Editor = "test"
	}
	return transfer.ImportFile(context.Background(), db, r, req)
}

// mustImport imports and fails the test unless the import was committed.
func mustImport(t *testing.T, db *store.DB, path string) *exchange.Report {
	t.Helper()
	rep, err := importFile(t, db, path, transfer.ImportRequest{})
	if err != nil || !rep.Committed {
		var sb strings.Builder
		rep.WriteText(&sb)
		t.Fatalf("import %s: %v\n%s", path, err, sb.String())
	}
	return rep
}

func export(t *testing.T, db *store.DB, f exchange.Format, filter store.EventFilter) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := transfer.Export(context.Background(), db, filter, &buf, transfer.ExportOptions{Format: f}); err != nil {
		t.Fatalf("export: %v", err)
	}
	return buf.Bytes()
}

// openDB is testdb.Open plus a plain connection to the same database, for
// checks of what an import wrote that no store method reads.
func openDB(t *testing.T) (*store.DB, *sql.DB) {
	t.Helper()
	url := testdb.New(t)
	db, err := store.Open(context.Background(), store.Options{URL: url, StatementTimeout: 30 * time.Second, MaxOpenConns: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return db, raw
}

// csvRows reads a CSV export into one map per row, keyed by column.
func csvRows(t *testing.T, b []byte) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v", err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, c := range recs[0] {
			m[c] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func byKey(rows []map[string]string, key string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, r := range rows {
		out[r[key]] = r
	}
	return out
}

// The synthetic ACLED sample (BOM, CRLF, quoted commas, quotes and line
// breaks in notes, empty fatalities, semicolon lists, precision 2 and 3,
// Arabic names, "17 October 2025" dates) imports whole, and re-importing
// it changes nothing.
func TestImportACLEDSample(t *testing.T) {
	t.Parallel()
	db, raw := openDB(t)
	rep := mustImport(t, db, "../testdata/acled_sample.csv")
	if rep.Rows != 6 || rep.Created != 6 || rep.Rejected != 0 {
		t.Fatalf("report %+v", rep)
	}
	rows := byKey(csvRows(t, export(t, db, exchange.CSV, store.EventFilter{})), "event_id_cnty")
	cases := []struct{ id, col, want string }{
		{"SYR1001", "type", "clash"},
		{"SYR1001", "title", "Armed clash in Dumayr"},
		{"SYR1001", "actors", "Military Forces of the United States (2025-) (perpetrator); Syrian Free Army (partner); Military Forces of the United States (2025-) Special Forces (partner); Islamic State (Syria) (target)"},
		{"SYR1002", "fatalities", ""}, // unknown stays unknown, not 0
		{"SYR1002", "occurred_precision", "week"},
		{"SYR1002", "geo_precision", "3"},
		{"SYR1002", "type", "cache_destruction"},
		{"SYR1002", "notes", "15 IS weapons caches destroyed \"across southern Syria\".\nIS cells remain active across the Badiya desert, per the statement."},
		{"SYR1003", "fatalities", "0"},
		{"SYR1003", "location", "الميادين"},
		{"SYR1003", "tags", "women targeted: girls; crowd size=no report"},
		{"SYR1003", "type", "airstrike"},
		{"SYR1004", "event_date", "2025-10-17"},
		{"SYR1004", "occurred_precision", "month"},
		{"IRQ2001", "iso", "368"},
		{"IRQ2001", "assoc_actor_2", "Women (Iraq); Farmers (Iraq)"},
		{"IRQ2001", "type", "arrest"},
		{"SYR1005", "location", "ذيبان"},
	}
	for _, c := range cases {
		if got := rows[c.id][c.col]; got != c.want {
			t.Errorf("%s %s = %q, want %q", c.id, c.col, got, c.want)
		}
	}
	var country string
	if err := raw.QueryRow(`SELECT country FROM events WHERE external_id = 'IRQ2001'`).Scan(&country); err != nil || country != "IRQ" {
		t.Errorf("IRQ2001 country %q (%v), want IRQ from iso 368", country, err)
	}

	again := mustImport(t, db, "../testdata/acled_sample.csv")
	if again.Unchanged != 6 || again.Created != 0 || again.Updated != 0 {
		t.Errorf("re-import of the same file: %+v, want 6 unchanged", again)
	}
}

// Every import is in the revision history, with the file name as reason.
func TestImportRecordsRevisions(t *testing.T) {
	t.Parallel()
	db, raw := openDB(t)
	mustImport(t, db, "../testdata/acled_sample.csv")
	// ACLED corrects an event and keeps its event_id_cnty: the re-import
	// updates it (a second revision) instead of adding a copy.
	b, _ := os.ReadFile("../testdata/acled_sample.csv")
	corrected := strings.Replace(string(b), "he was later said to be an undercover anti-IS agent.\",1,", "he was later said to be an undercover anti-IS agent.\",2,", 1)
	if corrected == string(b) {
		t.Fatal("fixture changed: cannot find SYR1001's fatalities")
	}
	rep, err := importBytes(t, db, strings.NewReader(corrected), "acled_2025-10-21.csv", transfer.ImportRequest{})
	if err != nil || rep.Updated != 1 || rep.Unchanged != 5 || rep.Created != 0 {
		t.Fatalf("corrected file: %v %+v", err, rep)
	}
	var n int
	var reasons string
	if err := raw.QueryRow(`
		SELECT count(*), string_agg(r.reason || ':' || r.version || ':' || (r.snapshot#>>'{properties,fatalities}'), ' | ' ORDER BY r.version)
		FROM event_revisions r JOIN events e ON e.id = r.event_id WHERE e.external_id = 'SYR1001'`).Scan(&n, &reasons); err != nil {
		t.Fatal(err)
	}
	if want := "import of ../testdata/acled_sample.csv:1:1 | import of acled_2025-10-21.csv:2:2"; reasons != want {
		t.Errorf("SYR1001 revisions %q, want %q", reasons, want)
	}
	if err := raw.QueryRow(`SELECT count(*) FROM events`).Scan(&n); err != nil || n != 6 {
		t.Errorf("%d events after re-import, want 6", n)
	}
}

// ACLED sample -> import -> CSV export: the ACLED columns come back as
// they went in, up to README's normalisation (ISO dates, no BOM, LF).
// Importing that export elsewhere and exporting again gives the same
// file, ids included.
func TestCSVRoundTrip(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t)
	mustImport(t, db, "../testdata/acled_sample.csv")
	first := export(t, db, exchange.CSV, store.EventFilter{})

	in, _ := os.ReadFile("../testdata/acled_sample.csv")
	input := byKey(csvRows(t, in), "event_id_cnty")
	out := byKey(csvRows(t, first), "event_id_cnty")
	if len(out) != len(input) {
		t.Fatalf("%d rows out, %d in", len(out), len(input))
	}
	for id, row := range input {
		row["event_date"] = strings.Replace(row["event_date"], "17 October 2025", "2025-10-17", 1)
		for _, col := range exchange.ACLEDColumns {
			if got, want := out[id][col], row[col]; got != want {
				t.Errorf("%s %s: exported %q, imported %q", id, col, got, want)
			}
		}
	}

	db2 := testdb.Open(t)
	rep, err := importBytes(t, db2, bytes.NewReader(first), "export.csv", transfer.ImportRequest{})
	if err != nil || rep.Created != 6 {
		t.Fatalf("re-import of the export: %v %+v", err, rep)
	}
	second := export(t, db2, exchange.CSV, store.EventFilter{})
	a, b := csvRows(t, first), csvRows(t, second)
	for i := range a {
		for _, col := range exchange.Columns {
			if col == "updated_at" {
				continue
			}
			if a[i][col] != b[i][col] {
				t.Errorf("row %d %s: %q then %q", i, col, a[i][col], b[i][col])
			}
		}
	}
}

// GeoJSON export -> import elsewhere -> export: the same Features (areas,
// victims, sources with publisher and excerpt included), only version and
// updated_at differ.
func TestGeoJSONRoundTrip(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t)
	if _, err := demo.Load(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	mustImport(t, db, "../testdata/acled_sample.csv")
	all := store.EventFilter{IncludeRestricted: true}
	first := export(t, db, exchange.GeoJSON, all)

	db2 := testdb.Open(t)
	rep, err := importBytes(t, db2, bytes.NewReader(first), "export.geojson", transfer.ImportRequest{})
	if err != nil || rep.Created != rep.Rows || rep.Rows < 13 {
		t.Fatalf("re-import: %v %+v", err, rep)
	}
	second := export(t, db2, exchange.GeoJSON, all)
	features := func(b []byte) []map[string]any {
		var fc struct {
			Features []map[string]any `json:"features"`
		}
		if err := json.Unmarshal(b, &fc); err != nil {
			t.Fatalf("export is not JSON: %v", err)
		}
		for _, f := range fc.Features {
			p := f["properties"].(map[string]any)
			delete(p, "version")
			delete(p, "updated_at")
		}
		return fc.Features
	}
	a, b := features(first), features(second)
	if len(a) != len(b) {
		t.Fatalf("%d features, then %d", len(a), len(b))
	}
	for i := range a {
		ja, _ := json.Marshal(a[i])
		jb, _ := json.Marshal(b[i])
		if !bytes.Equal(ja, jb) {
			t.Errorf("feature %d changed:\n%s\n%s", i, ja, jb)
		}
	}
}

// All or nothing by default: one bad row and the file leaves no trace.
// With SkipInvalid the good rows go in and the bad ones are reported.
func TestImportRejects(t *testing.T) {
	t.Parallel()
	db, raw := openDB(t)
	rep, err := importFile(t, db, "../testdata/acled_rejects.csv", transfer.ImportRequest{})
	if err == nil || rep.Committed {
		t.Fatalf("file with bad rows was imported: %+v", rep)
	}
	if got := countEvents(t, raw); got != 0 {
		t.Fatalf("%d events after a refused import, want 0", got)
	}
	type rowError struct {
		Line        int
		Field, Rule string
	}
	want := []rowError{
		{3, "event_date", `must be a date such as 2025-10-19 or 19 October 2025, got "2025-13-45"`},
		{5, "latitude/longitude", "coordinates: latitude 95.5 is outside -90..90"},
		{6, "event_type", ""},
		{7, "fatalities", "must be 0 or more, or null when unknown"},
		{8, "fatalities", `must be a whole number, or empty when unknown, got "two"`},
		{9, "iso", `must be an ISO 3166-1 numeric country code such as 760 (Syria), got "999"`},
		{10, "event_id_cnty", "is required (or our id column): re-imports find the event by it"},
		{11, "time_precision", `must be ACLED's 1 (day), 2 (week) or 3 (month), got "4"`},
		{11, "geo_precision", ""},
	}
	if len(rep.Errors) != len(want) || rep.Rejected != 8 {
		t.Errorf("rejected %d rows with errors %+v", rep.Rejected, rep.Errors)
	}
	for i, w := range want {
		if i >= len(rep.Errors) {
			break
		}
		got := rep.Errors[i]
		if got.Line != w.Line || got.Field != w.Field || (w.Rule != "" && got.Rule != w.Rule) {
			t.Errorf("error %d: %+v, want %+v", i, got, w)
		}
	}

	dry, err := importFile(t, db, "../testdata/acled_rejects.csv", transfer.ImportRequest{SkipInvalid: true, DryRun: true})
	if err != nil || dry.Created != 2 || dry.Committed || countEvents(t, raw) != 0 {
		t.Fatalf("dry run: %v %+v, %d events", err, dry, countEvents(t, raw))
	}
	rep, err = importFile(t, db, "../testdata/acled_rejects.csv", transfer.ImportRequest{SkipInvalid: true})
	if err != nil || rep.Created != 2 || rep.Rejected != 8 || !rep.Committed {
		t.Fatalf("skip-invalid: %v %+v", err, rep)
	}
	if got := countEvents(t, raw); got != 2 {
		t.Errorf("%d events after skip-invalid, want the 2 good rows", got)
	}
}

// Files that cannot be read as events are refused whole, with the reason.
func TestImportBadFiles(t *testing.T) {
	t.Parallel()
	db, raw := openDB(t)
	header := strings.Join(exchange.ACLEDColumns, ",")
	good := "SYR1,2025-10-19,2025,1,Political violence,Battles,Armed clash,A,,1,B,,2,12,,760,Middle East,Syria,Homs,,,Homs,34.73,36.71,1,SOHR,National,note,0,,1760900000"
	cases := []struct {
		name, body, field, rule string
	}{
		{"empty", "", "header", "the file is empty"},
		{"not ACLED columns", "id,name,lat,lon\n1,x,1,2\n", "header", "missing ACLED column(s) event_id_cnty, event_date"},
		{"column twice", header + ",notes\n", "header", `column "notes" appears twice`},
		{"odd column", header + ",Population Best\n", "header", `column "Population Best" is neither`},
		{"broken quoting", header + "\n" + good + "\n" + strings.Replace(good, "note", `a "quoted" note`, 1) + "\n", "line 3", "broken CSV at line 3"},
		{"unclosed quote", header + "\n" + strings.Replace(good, "note", `"never closed`, 1) + "\n" + good + "\n", "line 2", "broken CSV"},
		{"geojson not a collection", `{"type":"Feature","geometry":null,"properties":{}}`, "type", `must be "FeatureCollection"`},
		{"geojson cut short", `{"type":"FeatureCollection","features":[{"type":"Feature",`, "file", "ends early"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			format := exchange.CSV
			if strings.HasPrefix(c.body, "{") {
				format = exchange.GeoJSON
			}
			rep, err := importBytes(t, db, strings.NewReader(c.body), c.name, transfer.ImportRequest{Format: format, SkipInvalid: true})
			e := asError(t, err)
			if len(e.Errors) == 0 || e.Errors[0].Field != c.field || !strings.Contains(e.Errors[0].Rule, c.rule) {
				t.Errorf("error %+v, want field %q rule containing %q", e.Errors, c.field, c.rule)
			}
			if rep.Committed || countEvents(t, raw) != 0 {
				t.Errorf("a refused file left %d events", countEvents(t, raw))
			}
		})
	}
}

func countEvents(t *testing.T, raw *sql.DB) int {
	t.Helper()
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func asError(t *testing.T, err error) *eventmap.Error {
	t.Helper()
	var e *eventmap.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *eventmap.Error", err)
	}
	return e
}

// endless offers size bytes: head, then fill repeated, without holding
// them: a "2 GB file" that costs nothing to make.
type endless struct {
	head      []byte
	fill      []byte
	size, off int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.off >= e.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && e.off < e.size {
		var b byte
		if e.off < int64(len(e.head)) {
			b = e.head[e.off]
		} else {
			b = e.fill[(e.off-int64(len(e.head)))%int64(len(e.fill))]
		}
		p[n] = b
		n++
		e.off++
	}
	return n, nil
}

// peakHeap samples the heap while fn runs.
func peakHeap(fn func()) uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return peak.Load()
}

// A 2 GB file whose one field or line never ends is refused after a few
// megabytes with an error naming where, instead of being read into
// memory; a long file of bad rows keeps only the first 1000 errors.
func TestImportHugeFilesInBoundedMemory(t *testing.T) {
	t.Parallel()
	db, raw := openDB(t)
	header := strings.Join(exchange.ACLEDColumns, ",") + "\n"
	const twoGB = 2 << 30
	cases := []struct {
		name   string
		format exchange.Format
		src    *endless
		field  string
	}{
		{"CSV with an unclosed quote", exchange.CSV, &endless{head: []byte(header + `SYR1,"`), fill: []byte("la la, la\n"), size: twoGB}, "line 2"},
		{"NDJSON line without end", exchange.NDJSON, &endless{head: []byte(`{"type":"Feature","properties":{"title":"`), fill: []byte("aaaa"), size: twoGB}, "line 1"},
		{"GeoJSON Feature without end", exchange.GeoJSON, &endless{head: []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"summary":"`), fill: []byte("bbbb"), size: twoGB}, "feature 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			peak := peakHeap(func() {
				_, err = importBytes(t, db, c.src, "huge", transfer.ImportRequest{Format: c.format})
			})
			e := asError(t, err)
			if len(e.Errors) == 0 || e.Errors[0].Field != c.field || !strings.Contains(e.Errors[0].Rule, "longer than") {
				t.Errorf("error %+v, want %s: ... longer than ...", e.Errors, c.field)
			}
			if c.src.off > 16<<20 {
				t.Errorf("read %d MB of the file before refusing it", c.src.off>>20)
			}
			if peak > 100<<20 {
				t.Errorf("peak heap %d MB", peak>>20)
			}
		})
	}
	t.Run("many bad rows", func(t *testing.T) {
		bad := "X,not a date,2025,1,Political violence,Battles,Armed clash,A,,1,B,,2,12,,760,Middle East,Syria,Homs,,,Homs,34.73,36.71,1,SOHR,National,note,0,,1\n"
		src := &endless{head: []byte(header), fill: []byte(bad), size: int64(len(header) + 200_000*len(bad))}
		var rep *exchange.Report
		var err error
		peak := peakHeap(func() { rep, err = importBytes(t, db, src, "bad", transfer.ImportRequest{Format: exchange.CSV}) })
		if err == nil || rep.Rejected != 200_000 || len(rep.Errors) != 1000 || rep.ErrorsOmitted != 199_000 {
			t.Errorf("%v: rejected %d, %d errors kept, %d omitted", err, rep.Rejected, len(rep.Errors), rep.ErrorsOmitted)
		}
		if peak > 100<<20 {
			t.Errorf("peak heap %d MB", peak>>20)
		}
		if n := countEvents(t, raw); n != 0 {
			t.Errorf("%d events imported from a refused file", n)
		}
	})
}

// Events made here (no ACLED id) go out as CSV and come back in another
// database by our own id: the same rows, all but version and updated_at.
func TestCSVRoundTripOfEventsMadeHere(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t)
	if _, err := demo.Load(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	all := store.EventFilter{IncludeRestricted: true}
	first := export(t, db, exchange.CSV, all)
	db2 := testdb.Open(t)
	rep, err := importBytes(t, db2, bytes.NewReader(first), "export.csv", transfer.ImportRequest{})
	if err != nil || rep.Created != 8 {
		t.Fatalf("import of our own CSV export: %v %+v", err, rep)
	}
	a, b := csvRows(t, first), csvRows(t, export(t, db2, exchange.CSV, all))
	if len(a) != len(b) {
		t.Fatalf("%d rows, then %d", len(a), len(b))
	}
	for i := range a {
		for _, col := range exchange.Columns {
			if col == "updated_at" || col == "version" {
				continue
			}
			if a[i][col] != b[i][col] {
				t.Errorf("row %d %s: %q then %q", i, col, a[i][col], b[i][col])
			}
		}
	}
}

// A re-import compares each event's actors and sources with what it has:
// from its served Feature, or from the link tables when a source edit
// left the Feature to be rebuilt. A changed role, order, excerpt or URL
// is an update; the same links in the same order are not.
func TestReimportComparesLinks(t *testing.T) {
	t.Parallel()
	db, raw := openDB(t)
	line := func(id, actors, sources string) string {
		return `{"type":"Feature","geometry":{"type":"Point","coordinates":[36.3,33.5]},"properties":{"external_id":"` + id +
			`","title":"Raid ` + id + `","type":"raid","occurred_at":"2025-10-01T02:00:00Z","time_precision":"day","country":"SYR","geo_precision":"town","actors":` + actors + `,"sources":` + sources + `}}` + "\n"
	}
	actors := `[{"name":"SDF","role":"perpetrator"},{"name":"IS","role":"target"}]`
	sources := `[{"url":"https://example.org/a","excerpt":"night raid"},{"url":"https://example.org/b"}]`
	ids := []string{"L1", "L2", "L3", "L4", "L5", "L6"}
	file := func(edit map[string][2]string) string {
		var b strings.Builder
		for _, id := range ids {
			a, s := actors, sources
			if e, ok := edit[id]; ok {
				a, s = e[0], e[1]
			}
			b.WriteString(line(id, a, s))
		}
		return b.String()
	}
	if rep, err := importBytes(t, db, strings.NewReader(file(nil)), "links.ndjson", transfer.ImportRequest{}); err != nil || rep.Created != 6 {
		t.Fatalf("first import: %v %+v", err, rep)
	}
	// L6's Feature is to be rebuilt, as after an edit of a source it cites:
	// its links are compared from the link tables.
	if _, err := raw.Exec(`UPDATE events SET feature = NULL WHERE external_id = 'L6'`); err != nil {
		t.Fatal(err)
	}
	if rep, err := importBytes(t, db, strings.NewReader(file(nil)), "links.ndjson", transfer.ImportRequest{}); err != nil || rep.Unchanged != 6 || rep.Updated != 0 {
		t.Fatalf("the same file again: %v %+v", err, rep)
	}
	edits := map[string][2]string{
		"L1": {`[{"name":"SDF","role":"perpetrator"},{"name":"IS","role":"victim"}]`, sources},                                           // a role
		"L2": {`[{"name":"IS","role":"target"},{"name":"SDF","role":"perpetrator"}]`, sources},                                           // the order
		"L3": {actors, `[{"url":"https://example.org/a","excerpt":"dawn raid"},{"url":"https://example.org/b"}]`},                        // an excerpt
		"L4": {actors, `[{"url":"https://example.org/a","excerpt":"night raid"},{"url":"https://example.org/c"}]`},                       // a URL
		"L6": {`[{"name":"SDF","role":"perpetrator"}]`, sources},                                                                         // links only
		"L5": {actors, `[{"url":"https://example.org/a","excerpt":"night raid","publisher":"Example"},{"url":"https://example.org/b"}]`}, // a publisher: the source's, not the event's
	}
	rep, err := importBytes(t, db, strings.NewReader(file(edits)), "links-2.ndjson", transfer.ImportRequest{})
	if err != nil || rep.Updated != 5 || rep.Unchanged != 1 {
		t.Fatalf("edited links: %v %+v, want 5 updated (L1-L4, L6) and L5 unchanged", err, rep)
	}
	var changed string
	if err := raw.QueryRow(`SELECT string_agg(e.external_id, ',' ORDER BY e.external_id) FROM events e
		WHERE EXISTS (SELECT 1 FROM event_revisions r WHERE r.event_id = e.id AND r.reason = 'import of links-2.ndjson')`).Scan(&changed); err != nil {
		t.Fatal(err)
	}
	if changed != "L1,L2,L3,L4,L6" {
		t.Errorf("revised by the second file: %s, want L1,L2,L3,L4,L6", changed)
	}
}

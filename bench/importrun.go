package bench

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"eventmap"
)

// importDB is the database the import phase imports into: dropped and
// created empty at the start of the phase, dropped at its end (at 1 M it
// would hold gigabytes between runs).
const importDB = "eventmap_bench_import"

// changeEvery: the re-import file has every changeEvery-th Feature
// changed, 1 %.
const changeEvery = 100

// readerLimit is the page size of the reader that runs beside the imports.
const readerLimit = 100

// importPhase is what the import phase measured: the NDJSON export of one
// bench database imported into a new database that `eventmap serve`
// serves meanwhile, then imported again with 1 % of it changed.
type importPhase struct {
	source      loaded // the database the file was exported from
	features    int    // lines of the file: the public events of source
	fileBytes   int64
	dense       box // the reader's bbox: the source's densest box
	denseEvents int64
	town        string
	runs        []importRun
}

// importRun is one timed `eventmap import` with the COPY of the same file
// just before it and what the reader saw during and after it.
type importRun struct {
	what        string // "new" or "re-import"
	changed     int    // Features changed since the import before
	seconds     float64
	copySeconds float64 // 0: psql missing or failed
	rep         importReport
	steps       []importStep // from --timings
	during      *loadStats
	after       *loadStats
	load        string // load average when the import ended
}

// importReport is the JSON report `eventmap import --report -` prints.
type importReport struct {
	eventmap.ImportResult
	Error   string  `json:"error"`
	Seconds float64 `json:"seconds"`
}

type importStep struct {
	name    string
	seconds float64
}

// measureImports runs the import phase. What fails goes to problem and
// ends the phase; what it measured before is kept.
func measureImports(ctx context.Context, o *Options, dbs []loaded, problem func(string, error)) *importPhase {
	ph := &importPhase{}
	if i := slices.IndexFunc(dbs, func(l loaded) bool { return l.events == o.ImportSize }); i >= 0 {
		ph.source = dbs[i]
	} else {
		l, err := prepareDB(ctx, o, o.ImportSize)
		if err != nil {
			problem("import: prepare the source database", err)
			return nil
		}
		ph.source = l
	}
	sc, err := findScene(ctx, ph.source.url)
	if err != nil {
		problem("import: the reader's box", err)
		return nil
	}
	ph.dense, ph.denseEvents, ph.town = sc.dense, sc.denseEvents, sc.town

	// The file: NDJSON of the served Features, what researchers download
	// and bring back.
	file := filepath.Join(o.WorkDir, "import.ndjson")
	changedFile := filepath.Join(o.WorkDir, "reimport.ndjson")
	defer os.Remove(file)
	defer os.Remove(file + ".citation.json")
	defer os.Remove(changedFile)
	o.logf("import: exporting %s as NDJSON", ph.source.name)
	if out, err := o.eventmap(ctx, ph.source.url, nil, "export", "--format", "ndjson", "--output", file); err != nil {
		problem("import: export the file", fmt.Errorf("%v\n%s", err, out))
		return nil
	}
	if fi, err := os.Stat(file); err == nil {
		ph.fileBytes = fi.Size()
	}
	lines, changed, err := rewriteChanged(file, changedFile, changeEvery)
	if err != nil {
		problem("import: write the re-import file", err)
		return nil
	}
	ph.features = lines

	// Dropped whatever happens, also when created but not migrated.
	defer func() {
		if err := dropImportDB(context.WithoutCancel(ctx), o); err != nil {
			problem("import: drop "+importDB, err)
		}
	}()
	url, err := createImportDB(ctx, o)
	if err != nil {
		problem("import: create "+importDB, err)
		return nil
	}
	srv, err := startServer(ctx, o, url, "import")
	if err != nil {
		problem("import: serve "+importDB, err)
		return ph
	}
	defer srv.stop()
	reader := fmt.Sprintf("%s/collections/events/items?bbox=%s&limit=%d", srv.base, ph.dense.param(), readerLimit)

	for _, step := range []struct {
		what, file string
		changed    int
	}{{"new", file, 0}, {"re-import", changedFile, changed}} {
		o.logf("import: %s, %d Features (%d changed), with a reader on the densest box", step.what, lines, step.changed)
		run, err := importOnce(ctx, o, url, step.file, step.what, lines, reader, problem)
		if err != nil {
			problem("import "+step.what, err)
			return ph
		}
		run.changed = step.changed
		o.logf("  %.1f s (COPY %.2f s): created %d, updated %d, unchanged %d, rejected %d; reads p50 %s during, %s after",
			run.seconds, run.copySeconds, run.rep.Created, run.rep.Updated, run.rep.Unchanged, run.rep.Rejected, ms(run.during.pct(0.5)), ms(run.after.pct(0.5)))
		ph.runs = append(ph.runs, run)
		// The file is the database's whole content: the first import
		// creates every Feature, the second updates the changed ones
		// and nothing else.
		want := eventmap.ImportResult{Rows: lines, Created: lines, Committed: true}
		if step.what == "re-import" {
			want = eventmap.ImportResult{Rows: lines, Updated: step.changed, Unchanged: lines - step.changed, Committed: true}
		}
		if got := run.rep.ImportResult; got.Rows != want.Rows || got.Created != want.Created || got.Updated != want.Updated ||
			got.Unchanged != want.Unchanged || got.Rejected != 0 || got.SkippedDeleted != 0 || !got.Committed {
			problem("import "+step.what, fmt.Errorf("the report says rows %d, created %d, updated %d, unchanged %d, skipped %d, rejected %d, committed %v; expected rows %d, created %d, updated %d, unchanged %d",
				got.Rows, got.Created, got.Updated, got.Unchanged, got.SkippedDeleted, got.Rejected, got.Committed, want.Rows, want.Created, want.Updated, want.Unchanged))
		}
	}
	return ph
}

// importOnce times COPY of file, then `eventmap import` of it while a
// reader pages the densest box, then the reader alone for as long again.
func importOnce(ctx context.Context, o *Options, url, file, what string, lines int, reader string, problem func(string, error)) (importRun, error) {
	run := importRun{what: what}
	var err error
	if run.copySeconds, err = copyFile(ctx, url, file, lines); err != nil {
		problem("import "+what+" baseline (COPY)", err)
	}
	next := func() string { return reader }
	warm(ctx, next, 3)

	stop := make(chan struct{})
	during := make(chan *loadStats)
	go func() {
		during <- readLoop(ctx, next, func() bool {
			select {
			case <-stop:
				return true
			default:
				return false
			}
		})
	}()
	// Live, as people import into a running server: not --exclusive.
	cmd := exec.CommandContext(ctx, o.Bin, "import", "--report", "-", "--timings", file)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "EVENTMAP_LOG_LEVEL=warn")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	started := time.Now()
	runErr := cmd.Run()
	run.seconds = time.Since(started).Seconds()
	close(stop)
	run.during = <-during
	run.load = loadAverage()
	log := filepath.Join(o.WorkDir, "import-"+what+".log")
	_ = os.WriteFile(log, append(append(stdout.Bytes(), '\n'), stderr.Bytes()...), 0o644)
	if ctx.Err() != nil {
		return run, ctx.Err()
	}
	rep, repErr := parseImportReport(stdout.Bytes())
	if runErr != nil {
		if repErr == nil && rep.Error != "" {
			return run, fmt.Errorf("eventmap import: %v: %s (see %s)", runErr, rep.Error, log)
		}
		return run, fmt.Errorf("eventmap import: %v (see %s)\n%s", runErr, log, tail(stderr.String(), 1000))
	}
	if repErr != nil {
		return run, fmt.Errorf("eventmap import: its report: %v (see %s)", repErr, log)
	}
	run.rep = rep
	run.steps = parseSteps(stderr.String())
	// The reader on the imported data, for as long as the import took:
	// what the import costs readers is the ratio of the two.
	deadline := time.Now().Add(max(time.Duration(run.seconds*float64(time.Second)), time.Second))
	run.after = readLoop(ctx, next, func() bool { return time.Now().After(deadline) })
	return run, nil
}

// readLoop requests next() with one client, one request after the other,
// until done says so. Failed requests are kept with their latency and
// counted, as closedLoopN keeps them.
func readLoop(ctx context.Context, next func() string, done func() bool) *loadStats {
	c := newClient(1)
	st := &loadStats{}
	started := time.Now()
	for !done() && ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, "GET", next(), nil)
		t0 := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			st.fail(fmt.Errorf("GET %s: %v", req.URL, err))
			time.Sleep(10 * time.Millisecond) // a server gone would spin the loop
			continue
		}
		b, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		st.lat = append(st.lat, time.Since(t0))
		if err != nil || resp.StatusCode != http.StatusOK {
			st.fail(fmt.Errorf("GET %s: status %d, %v", req.URL, resp.StatusCode, err))
			continue
		}
		st.requests++
		st.bytes += b
	}
	st.seconds = time.Since(started).Seconds()
	return st
}

// parseImportReport finds the JSON report in what `eventmap import
// --report -` prints: the text report comes first, the JSON document
// starts on a line of its own.
func parseImportReport(out []byte) (importReport, error) {
	var rep importReport
	i := 0
	if !bytes.HasPrefix(out, []byte("{")) {
		j := bytes.Index(out, []byte("\n{"))
		if j < 0 {
			return rep, fmt.Errorf("no JSON report in its output:\n%s", tail(string(out), 1000))
		}
		i = j + 1
	}
	if err := json.NewDecoder(bytes.NewReader(out[i:])).Decode(&rep); err != nil {
		return rep, fmt.Errorf("%v in:\n%s", err, tail(string(out[i:]), 1000))
	}
	return rep, nil
}

// stepLine is a line of --timings: "  insert events      1.23 s".
var stepLine = regexp.MustCompile(`^\s+(\S.*?)\s+([0-9]+\.[0-9]+) s$`)

func parseSteps(stderr string) []importStep {
	var steps []importStep
	for _, line := range strings.Split(stderr, "\n") {
		if m := stepLine.FindStringSubmatch(line); m != nil {
			s, _ := strconv.ParseFloat(m[2], 64)
			steps = append(steps, importStep{m[1], s})
		}
	}
	return steps
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// rewriteChanged copies the NDJSON file src to dst with the fatalities of
// every nth Feature (lines n, 2n, ...) raised by one, and returns how many
// lines src has and how many were changed. The change is made on the
// decoded JSON, so the line stays a valid Feature whatever it holds.
func rewriteChanged(src, dst string, n int) (lines, changed int, err error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, 0, err
	}
	defer out.Close()
	r := bufio.NewReaderSize(in, 1<<20)
	w := bufio.NewWriterSize(out, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			lines++
			if lines%n == 0 {
				edited, e := raiseFatalities(bytes.TrimSpace(line))
				if e != nil {
					return 0, 0, fmt.Errorf("%s line %d: %w", src, lines, e)
				}
				line = append(edited, '\n')
				changed++
			}
			if _, e := w.Write(line); e != nil {
				return 0, 0, e
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0, err
		}
	}
	if err := w.Flush(); err != nil {
		return 0, 0, err
	}
	return lines, changed, out.Close()
}

// raiseFatalities returns the Feature with properties.fatalities one
// higher (1 when it has none).
func raiseFatalities(feature []byte) ([]byte, error) {
	var f map[string]json.RawMessage
	if err := json.Unmarshal(feature, &f); err != nil {
		return nil, err
	}
	var props map[string]json.RawMessage
	if raw, ok := f["properties"]; ok {
		if err := json.Unmarshal(raw, &props); err != nil {
			return nil, fmt.Errorf("properties: %w", err)
		}
	}
	if props == nil {
		props = map[string]json.RawMessage{}
	}
	var n int64
	if raw, ok := props["fatalities"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, fmt.Errorf("fatalities: %w", err)
		}
	}
	props["fatalities"] = json.RawMessage(strconv.FormatInt(n+1, 10))
	var err error
	if f["properties"], err = marshalPlain(props); err != nil {
		return nil, err
	}
	return marshalPlain(f)
}

// marshalPlain is json.Marshal without the escaping of <, > and &, so
// the text of the fields not changed stays as the export wrote it.
func marshalPlain(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// createImportDB creates the import database empty, with the bench
// databases' settings, and migrates it; it returns its URL.
func createImportDB(ctx context.Context, o *Options) (string, error) {
	url := dbURL(o.AdminURL, importDB)
	admin, err := sql.Open("postgres", o.AdminURL)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	stmts := []string{`DROP DATABASE IF EXISTS ` + importDB + ` WITH (FORCE)`, `CREATE DATABASE ` + importDB}
	if o.NoParallel {
		stmts = append(stmts, `ALTER DATABASE `+importDB+` SET max_parallel_workers_per_gather = 0`)
	}
	if o.NoJIT {
		stmts = append(stmts, `ALTER DATABASE `+importDB+` SET jit = off`)
	}
	for _, s := range stmts {
		if _, err := admin.ExecContext(ctx, s); err != nil {
			return "", err
		}
	}
	if out, err := o.eventmap(ctx, url, nil, "migrate", "up"); err != nil {
		return "", fmt.Errorf("migrate: %v\n%s", err, out)
	}
	return url, nil
}

func dropImportDB(ctx context.Context, o *Options) error {
	admin, err := sql.Open("postgres", o.AdminURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	_, err = admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+importDB+` WITH (FORCE)`)
	return err
}

// copyFile times PostgreSQL reading file into a table of one text column
// without indexes, `psql \copy ... FROM FILE`: reading the file and
// writing its lines, the least an import of it costs. CSV whose quote and
// delimiter are the bytes 0x01 and 0x02, which JSON never holds raw (its
// strings escape control characters), so each line arrives whole and as
// it is; the text format would read JSON's backslashes as its escapes.
// The table is dropped after, so the database holds what eventmap wrote.
func copyFile(ctx context.Context, url, file string, lines int) (float64, error) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		return 0, err
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return 0, err
	}
	if strings.ContainsAny(abs, `'\`) {
		return 0, fmt.Errorf("%s: a quote or backslash in the path", abs)
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `DROP TABLE IF EXISTS import_copy_baseline; CREATE TABLE import_copy_baseline (doc text)`); err != nil {
		return 0, err
	}
	defer db.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS import_copy_baseline`)
	cmd := exec.CommandContext(ctx, psql, url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
		`\copy import_copy_baseline (doc) FROM '`+abs+`' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')`)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	started := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("psql copy: %v\n%s", err, stderr.String())
	}
	secs := time.Since(started).Seconds()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM import_copy_baseline`).Scan(&n); err != nil {
		return 0, err
	}
	if n != lines {
		return 0, fmt.Errorf("COPY read %d lines of %d", n, lines)
	}
	return secs, nil
}

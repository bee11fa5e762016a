package e2e

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"

	"eventmap/internal/testdb"
)

// pgbouncerBinary is Debian's pgbouncer, installed here when missing (as
// scripts/test-deps.sh does for `make test`).
func pgbouncerBinary(t *testing.T) string {
	t.Helper()
	const path = "/usr/sbin/pgbouncer"
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if os.Geteuid() != 0 {
		t.Fatalf("%s is missing: install it with: sudo apt-get update && sudo apt-get install -y --no-install-recommends pgbouncer (or run bash scripts/test-deps.sh)", path)
	}
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "pgbouncer"}} {
		cmd := exec.Command("apt-get", append([]string{"-o", "DPkg::Lock::Timeout=300"}, args...)...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return path
}

// startPgBouncer runs a PgBouncer in transaction pooling mode, with a
// server pool of poolSize, in front of the database of direct (a
// postgres:// URL). It returns the URL that goes through it; it is
// stopped when t ends.
func startPgBouncer(t *testing.T, direct string, poolSize int) string {
	t.Helper()
	bin := pgbouncerBinary(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	user := u.User.Username()
	password, _ := u.User.Password()
	dir, err := os.MkdirTemp("", "eventmap-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	listen := freeAddr(t)
	_, port, _ := net.SplitHostPort(listen)
	// statement_timeout is a startup parameter of our pool that PgBouncer
	// would refuse ("unsupported startup parameter"); it is ignored here
	// and set on the database instead (docs/scaling.md).
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %s
unix_socket_dir =
auth_type = scram-sha-256
auth_file = %s/userlist.txt
pool_mode = transaction
default_pool_size = %d
max_client_conn = 500
ignore_startup_parameters = statement_timeout
logfile = %s/pgbouncer.log
`, u.Hostname(), u.Port(), port, dir, poolSize, dir)
	files := map[string]string{
		"pgbouncer.ini": ini,
		"userlist.txt":  fmt.Sprintf("%q %q\n", user, password),
		"pgbouncer.log": "",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{filepath.Join(dir, "pgbouncer.ini")}
	if os.Geteuid() == 0 {
		// PgBouncer refuses to run as root; it reads its files as the
		// PostgreSQL OS user.
		for _, name := range append([]string{""}, "pgbouncer.ini", "userlist.txt", "pgbouncer.log") {
			if out, err := exec.Command("chown", "postgres:postgres", filepath.Join(dir, name)).CombinedOutput(); err != nil {
				t.Fatalf("chown: %v %s", err, out)
			}
		}
		args = append([]string{"-u", "postgres"}, args...)
	}
	cmd := exec.Command(bin, args...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("pgbouncer output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("tcp", listen); err == nil {
			c.Close()
			break
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			t.Fatalf("pgbouncer exited:\n%s%s", out.String(), log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer not listening on %s after 10 s", listen)
		}
		time.Sleep(50 * time.Millisecond)
	}
	pooled := *u
	pooled.Host = listen
	return pooled.String()
}

// eventmapEnv runs a one-shot subcommand with extra environment.
func eventmapEnv(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("eventmap %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// eventmap works behind PgBouncer in transaction pooling mode, with a
// server pool of 4 under a process pool of 20: migrations over
// DATABASE_MIGRATE_URL (goose's session lock needs one server
// connection), the CLI's demo-data, token, import (COPY into a temporary
// table, in one transaction) and export (a cursor in a repeatable-read
// transaction), and the server's reads, as_of, writes with If-Match,
// Idempotency-Key replays and an import through the API, also 40 at a
// time. PostgreSQL sees no more server connections than PgBouncer's pool.
func TestThroughPgBouncer(t *testing.T) {
	t.Parallel()
	const serverPool = 4
	direct := testdb.NewEmpty(t)
	raw, err := sql.Open("postgres", direct)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	dbName := strings.TrimPrefix(mustParse(t, direct).Path, "/")
	if _, err := raw.Exec(`ALTER DATABASE ` + pq.QuoteIdentifier(dbName) + ` SET statement_timeout = '5s'`); err != nil {
		t.Fatal(err)
	}
	pooled := startPgBouncer(t, direct, serverPool)
	env := []string{"DATABASE_URL=" + pooled, "DATABASE_MIGRATE_URL=" + direct}

	if out := eventmapEnv(t, env, "demo-data"); !strings.Contains(out, "8 event(s) created") {
		t.Fatalf("demo-data: %s", out)
	}
	token := tokenLine.FindString(eventmapEnv(t, env, "token", "create", "--role", "admin", "--label", "through pgbouncer"))
	if token == "" {
		t.Fatal("no token")
	}
	if out := eventmapEnv(t, env, "import", "../testdata/acled_sample.csv"); !strings.Contains(out, "committed") && !strings.Contains(out, "created") {
		t.Fatalf("CLI import: %s", out)
	}
	if out := eventmapEnv(t, env, "export", "--format", "ndjson"); !strings.Contains(out, "export of 13 event(s)") {
		t.Fatalf("CLI export through pgbouncer of 7 sample and 6 imported events: %s", out)
	}

	s := startServe(t, pooled, "DATABASE_MIGRATE_URL="+direct, "EVENTMAP_RATE_LIMIT=0")
	s.waitReady(t)
	if strings.Contains(s.out.String(), "statement_timeout is not") {
		t.Errorf("serve warns about statement_timeout with it set on the database:\n%s", s.out.String())
	}

	do := func(method, path, body string, headers ...string) (int, http.Header, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
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
		return resp.StatusCode, resp.Header, b
	}
	const raid = "/collections/events/items/6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01"
	for _, path := range []string{"/collections/events/items?limit=3", raid, raid + "?as_of=2025-11-01T00:00:00Z", raid + "/revisions",
		"/collections/events/items?q=Dumayr", "/collections/events/items?f=csv", "/collections/events/clusters?bbox=35,32,42,37&zoom=6",
		"/collections/events/histogram", "/collections/events/tiles/WebMercatorQuad/0/0/0", "/collections/events"} {
		if status, _, body := do("GET", path, ""); status != 200 {
			t.Errorf("GET %s: %d %s", path, status, body)
		}
	}
	if _, _, body := do("GET", raid+"?as_of=2025-11-01T00:00:00Z", ""); !bytes.Contains(body, []byte("reported as the capture of an IS official")) {
		t.Errorf("as_of through pgbouncer: %s", body)
	}

	feature := func(title string) string {
		return `{"type":"Feature","geometry":{"type":"Point","coordinates":[36.7,33.6]},"properties":{"type":"raid","title":"` + title +
			`","occurred_at":"2025-10-20T00:00:00Z","time_precision":"day","geo_precision":"town","country":"SYR"}}`
	}
	// Idempotency: the same key twice, one event.
	st1, h1, _ := do("POST", "/collections/events/items", feature("Bouncer 1"), "Idempotency-Key", "bouncer-1")
	st2, h2, _ := do("POST", "/collections/events/items", feature("Bouncer 1"), "Idempotency-Key", "bouncer-1")
	if st1 != 201 || st2 != 201 || h1.Get("Location") != h2.Get("Location") || h2.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("idempotent POST: %d %q, then %d %q (replayed %q)", st1, h1.Get("Location"), st2, h2.Get("Location"), h2.Get("Idempotent-Replayed"))
	}
	item := h1.Get("Location")[strings.Index(h1.Get("Location"), "/collections"):]
	patch := `{"properties":{"title":"Bouncer 1, patched"}}`
	if status, _, _ := do("PATCH", item, patch, "Content-Type", "application/merge-patch+json", "X-Edit-Reason", "a test"); status != 428 {
		t.Errorf("PATCH without If-Match: %d, want 428", status)
	}
	status, h, body := do("PATCH", item, patch, "Content-Type", "application/merge-patch+json", "If-Match", h1.Get("ETag"), "X-Edit-Reason", "a test")
	if status != 200 {
		t.Fatalf("PATCH with If-Match: %d %s", status, body)
	}
	if status, _, _ := do("PATCH", item, patch, "Content-Type", "application/merge-patch+json", "If-Match", h1.Get("ETag"), "X-Edit-Reason", "a test"); status != 412 {
		t.Errorf("PATCH with the stale ETag: %d, want 412", status)
	}
	if status, _, _ := do("DELETE", item, "", "If-Match", h.Get("ETag"), "X-Edit-Reason", "a test"); status != 204 {
		t.Errorf("DELETE with If-Match: %d", status)
	}
	csv, err := os.ReadFile("../testdata/acled_sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	status, _, body = do("POST", "/collections/events/import?filename=again.csv", string(csv), "Content-Type", "text/csv")
	var report struct{ Rows, Unchanged int }
	if err := json.Unmarshal(body, &report); status != 200 || err != nil || report.Rows != 6 || report.Unchanged != 6 {
		t.Errorf("API import through pgbouncer of the file the CLI imported: %d %s", status, body)
	}

	// 40 at once: 30 readers, 10 writers each with a key of its own,
	// through 20 client connections and 4 server connections.
	var wg sync.WaitGroup
	errs := make(chan string, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 5 {
				var status int
				var body []byte
				if i < 30 {
					status, _, body = do("GET", fmt.Sprintf("/collections/events/items?limit=%d", 1+n), "")
				} else {
					status, _, body = do("POST", "/collections/events/items", feature(fmt.Sprintf("Concurrent %d-%d", i, n)),
						"Idempotency-Key", fmt.Sprintf("concurrent-%d-%d", i, n))
				}
				if status != 200 && status != 201 {
					errs <- fmt.Sprintf("request %d/%d: %d %s", i, n, status, body)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	var created int
	if err := raw.QueryRow(`SELECT count(*) FROM events WHERE title LIKE 'Concurrent %'`).Scan(&created); err != nil || created != 50 {
		t.Errorf("concurrent writes: %d events (%v), want 50", created, err)
	}
	var servers int
	if err := raw.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, dbName).Scan(&servers); err != nil || servers > serverPool {
		t.Errorf("PostgreSQL sees %d connections to the database (%v), want at most PgBouncer's pool of %d", servers, err, serverPool)
	}
	m := scrapeMetrics(t, s)
	if got := metricSum(m, "eventmap_http_requests_total", "code=201"); got < 52 {
		t.Errorf("eventmap_http_requests_total{code=201} = %v, want at least 52", got)
	}
	if got := metricSum(m, "eventmap_http_requests_total", "code=500"); got > 0 {
		t.Errorf("%v internal errors through pgbouncer:\n%s", got, s.out.String())
	}
	b, _ := json.Marshal(map[string]float64{
		"requests": metricSum(m, "eventmap_http_requests_total"), "revisions": metricSum(m, "eventmap_revisions_written_total"),
		"pool_wait": metricSum(m, "eventmap_db_wait_total"),
	})
	t.Logf("through PgBouncer (transaction pooling, %d server connections, %d seen by PostgreSQL at the end): %s", serverPool, servers, b)
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

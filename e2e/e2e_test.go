// Package e2e runs the real eventmap binary the way users do: as a
// process, against the project's PostGIS, with real clients (Chromium, GDAL).
package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"eventmap/internal/testdb"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "eventmap-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "eventmap")
	build := exec.Command("go", "build", "-o", binary, "../cmd/eventmap")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build eventmap:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects a process's output safely while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is a running `eventmap serve`.
type server struct {
	URL        string
	MetricsURL string // "http:///metrics" when started with EVENTMAP_METRICS_ADDR= (off)
	cmd        *exec.Cmd
	out        *syncBuffer
	done       chan error
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// eventmap runs a one-shot subcommand and returns its output.
func eventmap(t *testing.T, dbURL string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("eventmap %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// startServe starts `eventmap serve` on a free port (or the EVENTMAP_ADDR
// given in env); it is stopped when t ends.
func startServe(t *testing.T, dbURL string, env ...string) *server {
	t.Helper()
	addr, metrics := freeAddr(t), freeAddr(t)
	for _, kv := range env {
		if a, ok := strings.CutPrefix(kv, "EVENTMAP_ADDR="); ok {
			addr = a // a restart that must keep its address
		}
		if a, ok := strings.CutPrefix(kv, "EVENTMAP_METRICS_ADDR="); ok {
			metrics = a
		}
	}
	cmd := exec.Command(binary, "serve")
	// Tests run many servers at once: each its own metrics port too.
	cmd.Env = append(os.Environ(), append([]string{"DATABASE_URL=" + dbURL, "EVENTMAP_ADDR=" + addr, "EVENTMAP_METRICS_ADDR=" + metrics}, env...)...)
	s := &server{URL: "http://" + addr, MetricsURL: "http://" + metrics + "/metrics", cmd: cmd, out: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("server output:\n%s", s.out.String())
		}
	})
	return s
}

// waitReady polls /readyz until it answers 200, as an orchestrator would.
func (s *server) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			t.Fatalf("server exited before it was ready: %v\n%s", err, s.out.String())
		default:
		}
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("server at %s not ready after 30s\n%s", s.URL, s.out.String())
}

var appliedLog = regexp.MustCompile(`msg="migrations applied" count=(\d+)`)

// Two replicas started at the same moment on an empty database: both come
// up, and each migration is recorded once.
func TestServeTwiceOnEmptyDatabaseMigratesOnce(t *testing.T) {
	dbURL := testdb.NewEmpty(t)
	a := startServe(t, dbURL)
	b := startServe(t, dbURL)
	a.waitReady(t)
	b.waitReady(t)

	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, distinct int
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows == 0 || rows != distinct {
		t.Errorf("goose_db_version holds %d rows for %d migrations; each must be applied exactly once", rows, distinct)
	}
	applied := 0
	for _, m := range appliedLog.FindAllStringSubmatch(a.out.String()+b.out.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		applied += n
	}
	if applied != distinct {
		t.Errorf("the two servers applied %d migrations between them, want %d (one of them all, the other none)", applied, distinct)
	}
}

func TestSIGTERMShutsDownGracefully(t *testing.T) {
	dbURL := testdb.New(t)
	s := startServe(t, dbURL)
	s.waitReady(t)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, s.out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15s after SIGTERM\n%s", s.out.String())
	}
	if !strings.Contains(s.out.String(), "msg=stopped") {
		t.Errorf("no orderly shutdown logged:\n%s", s.out.String())
	}
	s.done <- nil // let the cleanup's wait return at once
}

// The map, in real headless Chromium, shows one marker or area per public
// sample event and the Dumayr raid's facts in its popup.
func TestMapInChromium(t *testing.T) {
	dbURL := testdb.New(t)
	out := eventmap(t, dbURL, "demo-data")
	if !strings.Contains(out, "8 event(s) created") {
		t.Fatalf("demo-data: %s", out)
	}
	// No tile server: the map must work from the bundled outline alone,
	// as on an air-gapped laptop.
	s := startServe(t, dbURL, "EVENTMAP_TILE_URL=")
	s.waitReady(t)

	shot, err := filepath.Abs("../.artifacts/map.png")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const publicSampleEvents = 7
	cmd := exec.CommandContext(ctx, "node", "map.spec.mjs", s.URL, fmt.Sprint(publicSampleEvents), shot)
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("map.spec.mjs: %v\n%s", err, res)
	}
	t.Logf("map.spec.mjs: %s(screenshot: %s)", res, shot)
}

// Oversized request headers are refused by the server before any handler
// runs. net/http answers this one itself, in plain text: the one 4xx that
// is not problem+json, because it happens before routing.
func TestOversizedHeadersAreRefused(t *testing.T) {
	s := startServe(t, testdb.New(t))
	s.waitReady(t)
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/healthz", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 128<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("128 KiB header: status %d, want 431", resp.StatusCode)
	}
	req.Header.Set("X-Padding", strings.Repeat("a", 16<<10))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("16 KiB header: status %d, want 200", resp.StatusCode)
	}
}

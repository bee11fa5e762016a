package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestWritesSurviveRestarts is the durability scenario: concurrent writers
// create events (each with an Idempotency-Key, retried on failure) and
// patch them (If-Match) while PostgreSQL is stopped fast, then crashed
// (immediate shutdown), and the server is sent SIGTERM and restarted.
// Afterwards every acknowledged write is present exactly once with the
// acknowledged content, nothing is duplicated, every revision is there,
// clients saw 503 problems (never 500, never a hang) while the database
// was down, and /readyz went false and back to true.
//
// CI runs a short form. `make chaos` runs the full one: 50 writers, 60 s.
func TestWritesSurviveRestarts(t *testing.T) {
	writers, runFor := 8, 16*time.Second
	if os.Getenv("EVENTMAP_CHAOS") == "long" {
		writers, runFor = 50, 60*time.Second
	}
	pg := newPrivateCluster(t)
	dbURL := pg.url(t)
	token := createToken(t, dbURL)
	addr := freeAddr(t)
	env := []string{"EVENTMAP_ADDR=" + addr, "EVENTMAP_RATE_LIMIT=0", "EVENTMAP_STATEMENT_TIMEOUT=5s"}
	srv := startServe(t, dbURL, env...)
	srv.waitReady(t)
	base := "http://" + addr

	var st chaosStats
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 15 * time.Second}
	results := make([][]writeResult, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[w] = runWriter(base, token, client, stop, &st)
		}()
	}
	// Readiness, as an orchestrator polls it.
	var readyDown, readyUpAgain atomic.Bool
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			resp, err := client.Get(base + "/readyz")
			if err != nil {
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				readyDown.Store(true)
			} else if resp.StatusCode == http.StatusOK && readyDown.Load() {
				readyUpAgain.Store(true)
			}
		}
	}()

	step := runFor / 4
	time.Sleep(step)
	t.Log("chaos: PostgreSQL fast shutdown")
	pg.stop(t, "fast")
	time.Sleep(1500 * time.Millisecond)
	pg.start(t)
	time.Sleep(step)
	t.Log("chaos: PostgreSQL immediate shutdown (crash)")
	pg.stop(t, "immediate")
	time.Sleep(1500 * time.Millisecond)
	pg.start(t)
	time.Sleep(step)
	t.Log("chaos: SIGTERM to the server, then a new one on the same address")
	_ = srv.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-srv.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop within 30s of SIGTERM")
	}
	srv = startServe(t, dbURL, env...)
	srv.waitReady(t)
	time.Sleep(step)
	close(stop)
	wg.Wait()

	// What the clients were told, against what the database holds.
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var acked, patched, found, lost, wrongContent, duplicated, gaveUp, gaveUpButStored int
	for _, rs := range results {
		for _, r := range rs {
			var n int
			if err := db.QueryRow(`SELECT count(*) FROM events WHERE title = $1`, r.title).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 1 {
				duplicated++
			}
			if r.id == "" {
				gaveUp++
				if n == 1 {
					gaveUpButStored++ // committed, but every answer was lost: allowed, never twice
				}
				continue
			}
			acked++
			var fatalities sql.NullInt64
			var version int64
			err := db.QueryRow(`SELECT fatalities, version FROM events WHERE id = $1 AND title = $2`, r.id, r.title).Scan(&fatalities, &version)
			if err != nil {
				lost++
				continue
			}
			found++
			if r.ackedPatch > 0 {
				patched++
			}
			// The last acknowledged patch must show, unless a later
			// unacknowledged one may have landed after it.
			want := int64(r.ackedPatch)
			if !r.uncertainAfter && (!fatalities.Valid || fatalities.Int64 != want) && want > 0 {
				wrongContent++
				t.Errorf("event %s: fatalities %v, acknowledged %d", r.id, fatalities, want)
			}
		}
	}
	var gaps int
	if err := db.QueryRow(`
		SELECT count(*) FROM events e
		WHERE (SELECT count(*) FROM event_revisions r WHERE r.event_id = e.id) <> e.version
		   OR (SELECT max(version) FROM event_revisions r WHERE r.event_id = e.id) <> e.version`).Scan(&gaps); err != nil {
		t.Fatal(err)
	}
	t.Logf("chaos figures: writers %d for %v; creates acknowledged %d, found %d, lost %d, duplicated %d; patches acknowledged on %d events, wrong content %d; "+
		"creates abandoned after retries %d (of which committed without an answer %d); responses: 503 %d, 500 %d, other errors %d, client timeouts %d; slowest answer %v; events with revision gaps %d",
		writers, runFor, acked, found, lost, duplicated, patched, wrongContent, gaveUp, gaveUpButStored,
		st.unavailable.Load(), st.internal.Load(), st.otherErrors.Load(), st.timeouts.Load(), time.Duration(st.slowest.Load()), gaps)
	switch {
	case lost > 0, duplicated > 0, wrongContent > 0, gaps > 0:
		t.Errorf("lost %d, duplicated %d, wrong content %d, revision gaps %d: all must be 0", lost, duplicated, wrongContent, gaps)
	case acked < writers*3:
		t.Errorf("only %d creates acknowledged: the scenario did not exercise the server", acked)
	}
	if st.internal.Load() > 0 {
		t.Errorf("%d responses were 500: a database outage must be a 503 with Retry-After", st.internal.Load())
	}
	if st.timeouts.Load() > 0 {
		t.Errorf("%d requests hung past the 15s client timeout", st.timeouts.Load())
	}
	if st.unavailable.Load() == 0 {
		t.Error("no 503 was seen while the database was down")
	}
	if st.badUnavailable.Load() > 0 {
		t.Errorf("%d 503 responses lacked problem+json or Retry-After", st.badUnavailable.Load())
	}
	if !readyDown.Load() || !readyUpAgain.Load() {
		t.Errorf("/readyz went down %v and up again %v; want both", readyDown.Load(), readyUpAgain.Load())
	}
}

type chaosStats struct {
	unavailable, badUnavailable, internal, otherErrors, timeouts atomic.Int64
	slowest                                                      atomic.Int64
}

type writeResult struct {
	title, id      string
	ackedPatch     int  // fatalities value of the last acknowledged patch
	uncertainAfter bool // a later patch got no answer: it may or may not have landed
}

// runWriter creates events and patches each one a few times until stop.
func runWriter(base, token string, client *http.Client, stop <-chan struct{}, st *chaosStats) []writeResult {
	var out []writeResult
	for {
		select {
		case <-stop:
			return out
		default:
		}
		r := writeResult{title: "chaos " + randomHex(8)}
		key := randomHex(16)
		body := `{"type":"Feature","geometry":{"type":"Point","coordinates":[38.28,34.55]},"properties":{"type":"clash",` +
			`"title":"` + r.title + `","occurred_at":"2025-10-21T14:00:00Z","time_precision":"day","geo_precision":"town",` +
			`"country":"SYR","fatalities":0,"actors":[{"name":"chaos writer","role":"perpetrator"}],"sources":[{"url":"https://example.org/chaos"}]}}`
		etag := ""
		for attempt := 0; attempt < 20 && r.id == ""; attempt++ {
			status, h, b := send(client, st, "POST", base+"/collections/events/items", token, body,
				"Content-Type", "application/geo+json", "Idempotency-Key", key)
			if status == http.StatusCreated {
				var f struct{ ID string }
				_ = json.Unmarshal(b, &f)
				r.id, etag = f.ID, h.Get("ETag")
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
		if r.id != "" {
			for k := 1; k <= 3; k++ {
				select {
				case <-stop:
					out = append(out, r)
					return out
				default:
				}
				status, h, _ := send(client, st, "PATCH", base+"/collections/events/items/"+r.id, token,
					fmt.Sprintf(`{"properties":{"fatalities":%d}}`, k),
					"Content-Type", "application/merge-patch+json", "If-Match", etag, "X-Edit-Reason", "chaos patch")
				switch status {
				case http.StatusOK:
					r.ackedPatch, r.uncertainAfter, etag = k, false, h.Get("ETag")
				case http.StatusPreconditionFailed:
					// An earlier unanswered patch did land: read the
					// current version and go on from there.
					if s2, h2, _ := send(client, st, "GET", base+"/collections/events/items/"+r.id, token, ""); s2 == http.StatusOK {
						etag = h2.Get("ETag")
					}
					r.uncertainAfter = true
				default:
					r.uncertainAfter = true
					time.Sleep(300 * time.Millisecond)
				}
			}
		}
		out = append(out, r)
	}
}

func send(client *http.Client, st *chaosStats, method, url, token, body string, headers ...string) (int, http.Header, []byte) {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	start := time.Now()
	resp, err := client.Do(req)
	if took := int64(time.Since(start)); took > st.slowest.Load() {
		st.slowest.Store(took)
	}
	if err != nil {
		if os.IsTimeout(err) || strings.Contains(err.Error(), "Client.Timeout") {
			st.timeouts.Add(1)
		}
		return 0, nil, nil // refused or reset while the server restarts
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode == http.StatusServiceUnavailable:
		st.unavailable.Add(1)
		if resp.Header.Get("Retry-After") == "" || resp.Header.Get("Content-Type") != "application/problem+json" {
			st.badUnavailable.Add(1)
		}
	case resp.StatusCode >= 500:
		st.internal.Add(1)
	case resp.StatusCode >= 400 && resp.StatusCode != http.StatusPreconditionFailed:
		st.otherErrors.Add(1)
	}
	return resp.StatusCode, resp.Header, b
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var tokenLine = regexp.MustCompile(`(?m)^em_\S+$`)

func createToken(t *testing.T, dbURL string) string {
	t.Helper()
	out := eventmap(t, dbURL, "token", "create", "--role", "editor", "--label", "chaos writers")
	tok := tokenLine.FindString(out)
	if tok == "" {
		t.Fatalf("no token in: %s", out)
	}
	return tok
}

// privateCluster is a PostgreSQL cluster of this test's own (scripts/pg.sh
// with EVENTMAP_PG_DIR), so stopping and crashing it disturbs no other test.
type privateCluster struct{ dir string }

func newPrivateCluster(t *testing.T) *privateCluster {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	// Under the project's .data (readable by the postgres OS user that
	// pg.sh runs the server as), not in a private temp dir.
	dir := filepath.Join(root, ".data", "chaos-"+randomHex(4))
	c := &privateCluster{dir: dir}
	c.run(t, "ensure")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "../scripts/pg.sh", "destroy")
		cmd.Env = append(os.Environ(), "EVENTMAP_PG_DIR="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("destroy private cluster: %v\n%s", err, out)
		}
	})
	return c
}

func (c *privateCluster) run(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"../scripts/pg.sh"}, args...)...)
	cmd.Env = append(os.Environ(), "EVENTMAP_PG_DIR="+c.dir)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("pg.sh %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
	}
	return strings.TrimSpace(string(out))
}

func (c *privateCluster) url(t *testing.T) string        { return c.run(t, "url") }
func (c *privateCluster) stop(t *testing.T, mode string) { c.run(t, "stop", mode) }
func (c *privateCluster) start(t *testing.T)             { c.run(t, "ensure") }

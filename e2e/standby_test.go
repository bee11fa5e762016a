package e2e

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Reads from a streaming replica, for real: a private primary, a hot
// standby made from it by scripts/pg-standby.sh (pg_basebackup -R), and
// the server started with DATABASE_URL on the primary and
// DATABASE_READ_URL on the standby. With WAL replay paused on the
// standby, a write through the API is on the primary and visible to its
// editor at once, while anonymous readers do not see it: they are served
// by the standby. Once replay resumes they see it. With the standby down,
// /readyz fails and anonymous reads are 503, while the editor still reads
// the primary.
func TestReadsFromHotStandby(t *testing.T) {
	t.Parallel()
	primary := newPrivateCluster(t)
	standby := newStandby(t, primary)
	primaryURL, standbyURL := primary.url(t), standby.url(t)

	eventmap(t, primaryURL, "demo-data")
	token := createToken(t, primaryURL)
	srv := startServe(t, primaryURL, "DATABASE_READ_URL="+standbyURL, "EVENTMAP_RATE_LIMIT=0")
	srv.waitReady(t)
	if !strings.Contains(srv.out.String(), `msg="anonymous reads go to the read replica" in_recovery=true`) {
		t.Errorf("the server did not log that it reads from a standby:\n%s", srv.out.String())
	}

	sdb, err := sql.Open("postgres", standbyURL)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	pdb, err := sql.Open("postgres", primaryURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pdb.Close()

	get := func(path string, auth bool) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitFor := func(what string, ok func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for time.Since(start) < 20*time.Second {
			if ok() {
				return time.Since(start)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%s: not within 20s", what)
		return 0
	}
	waitFor("the standby replays the sample data", func() bool {
		status, body := get("/collections/events/items", false)
		return status == http.StatusOK && strings.Contains(body, `"numberMatched":7`)
	})

	if _, err := sdb.Exec(`SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	body := `{"type":"Feature","geometry":{"type":"Point","coordinates":[36.6939,33.6439]},"properties":{"type":"raid",` +
		`"title":"Standby test raid","occurred_at":"2025-12-02T01:00:00Z","time_precision":"day","geo_precision":"town","country":"SYR"}}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/collections/events/items", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/geo+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID string }
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || created.ID == "" {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	item := "/collections/events/items/" + created.ID
	var onPrimary int
	if err := pdb.QueryRow(`SELECT count(*) FROM events WHERE id = $1`, created.ID).Scan(&onPrimary); err != nil || onPrimary != 1 {
		t.Fatalf("the write is not on the primary: %d (%v)", onPrimary, err)
	}
	if status, _ := get(item, true); status != http.StatusOK {
		t.Errorf("the editor reads their write: %d, want 200 from the primary", status)
	}
	if status, _ := get(item, false); status != http.StatusNotFound {
		t.Errorf("anonymous read of the new event during paused replay: %d, want 404 from the standby", status)
	}
	if _, body := get("/collections/events/items?type=raid", false); strings.Contains(body, "Standby test raid") {
		t.Error("anonymous items show the new event while the standby has not replayed it")
	}
	// The server's own connections on the standby (application_name
	// eventmap; this test's are "").
	var conns int
	if err := sdb.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'eventmap' AND backend_type = 'client backend'`).Scan(&conns); err != nil || conns == 0 {
		t.Errorf("the server holds %d connections on the standby (%v), want some", conns, err)
	}

	// The replica is behind now, and /metrics says by how much.
	if lag := metricSum(scrapeMetrics(t, srv), "eventmap_db_replica_lag_seconds"); lag <= 0 {
		t.Errorf("eventmap_db_replica_lag_seconds = %v during paused replay, want above 0", lag)
	}
	if _, err := sdb.Exec(`SELECT pg_wal_replay_resume()`); err != nil {
		t.Fatal(err)
	}
	took := waitFor("anonymous readers see the write after replication", func() bool {
		status, _ := get(item, false)
		return status == http.StatusOK
	})
	t.Logf("anonymous readers saw the write %v after replay resumed", took.Round(time.Millisecond))
	waitFor("the replica lag metric back to 0", func() bool {
		return metricSum(scrapeMetrics(t, srv), "eventmap_db_replica_lag_seconds") == 0
	})
	if _, body := get("/collections/events/tiles/WebMercatorQuad/0/0/0?type=raid", false); !strings.Contains(body, "Standby test raid") {
		t.Error("the world tile from the standby lacks the replicated event")
	}

	standby.stop(t, "fast")
	if status, body := get("/readyz", false); status != http.StatusServiceUnavailable || !strings.Contains(body, "read replica") {
		t.Errorf("readyz with the standby down: %d %s", status, body)
	}
	if status, _ := get("/collections/events/items", false); status != http.StatusServiceUnavailable {
		t.Errorf("anonymous items with the standby down: %d, want 503", status)
	}
	if status, _ := get("/collections/events/items", true); status != http.StatusOK {
		t.Errorf("the editor's items with the standby down: %d, want 200 from the primary", status)
	}
	standby.start(t)
	waitFor("readyz once the standby is back", func() bool {
		status, _ := get("/readyz", false)
		return status == http.StatusOK
	})
}

// newStandby makes a hot standby of primary with scripts/pg-standby.sh,
// destroyed when t ends (before the primary, cleanups run in reverse).
func newStandby(t *testing.T, primary *privateCluster) *privateCluster {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, ".data", "standby-"+randomHex(4))
	s := &privateCluster{dir: dir}
	t.Cleanup(func() {
		cmd := exec.Command("bash", "../scripts/pg.sh", "destroy")
		cmd.Env = append(os.Environ(), "EVENTMAP_PG_DIR="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("destroy standby: %v\n%s", err, out)
		}
	})
	cmd := exec.Command("bash", "../scripts/pg-standby.sh", "create", dir)
	cmd.Env = append(os.Environ(), "EVENTMAP_PG_DIR="+primary.dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg-standby.sh create: %v\n%s", err, out)
	}
	return s
}

package e2e

import (
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"eventmap/internal/testdb"
)

// The backup SECURITY.md documents, done for real: pg_dump of a database
// with events and their history, pg_restore into an empty database, and
// the restored server answers exactly as the original did, history and
// "as of" reads included, with no migration re-run.
func TestBackupAndRestoreKeepDataAndHistory(t *testing.T) {
	t.Parallel()
	src := testdb.New(t)
	eventmap(t, src, "demo-data")
	dump := filepath.Join(t.TempDir(), "eventmap.dump")
	if out, err := exec.Command("pg_dump", "--format=custom", "--file="+dump, src).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	dst := testdb.NewEmpty(t)
	if out, err := exec.Command("pg_restore", "--no-owner", "--exit-on-error", "--dbname="+dst, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}

	a, b := startServe(t, src), startServe(t, dst)
	a.waitReady(t)
	b.waitReady(t)
	if m := appliedLog.FindStringSubmatch(b.out.String()); m == nil || m[1] != "0" {
		t.Errorf("the restored server applied migrations again: %v", m)
	}
	stamp := regexp.MustCompile(`"timeStamp":"[^"]*"|http://127\.0\.0\.1:\d+`)
	fetch := func(base, path string) string {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return stamp.ReplaceAllString(string(body), "")
	}
	for _, path := range []string{
		"/collections/events/items?limit=100",
		"/collections/events/items/6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01/revisions",
		"/collections/events/items/6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01?as_of=2025-11-01T00:00:00Z",
		"/collections/events",
	} {
		if x, y := fetch(a.URL, path), fetch(b.URL, path); x != y {
			t.Errorf("%s differs after restore:\noriginal %.300s\nrestored %.300s", path, x, y)
		}
	}
}

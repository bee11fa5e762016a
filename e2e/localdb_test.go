package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// throwawayCluster is a scripts/pg.sh cluster in a directory of its own
// under /tmp, destroyed when t ends.
func throwawayCluster(t *testing.T) *privateCluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "eventmap-pg-test-")
	if err != nil {
		t.Fatal(err)
	}
	// pg.sh runs the server as the OS user postgres when root: it must be
	// able to reach the directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := &privateCluster{dir: filepath.Join(dir, "pg")}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "../scripts/pg.sh", "destroy")
		cmd.Env = append(os.Environ(), "EVENTMAP_PG_DIR="+c.dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("destroy %s: %v\n%s", c.dir, err, out)
		}
		os.RemoveAll(dir)
	})
	return c
}

func (c *privateCluster) port(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, "port"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// Clusters made by scripts/pg.sh at the same moment get different ports,
// and so does one made while another is stopped (its port is free but
// registered); the stopped one starts again on its own port. Then the
// commands, without DATABASE_URL, find the running cluster of their
// checkout (here EVENTMAP_PG_DIR) and say which database they use, as does
// `make token`.
func TestLocalClustersAndTheCLI(t *testing.T) {
	t.Parallel()
	a, b := throwawayCluster(t), throwawayCluster(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	outs := make([][]byte, 2)
	for i, c := range []*privateCluster{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command("bash", "../scripts/pg.sh", "ensure")
			cmd.Env = append(os.Environ(), "EVENTMAP_PG_DIR="+c.dir)
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("pg.sh ensure: %v\n%s", errs[i], outs[i])
		}
	}
	if a.port(t) == b.port(t) {
		t.Fatalf("two clusters initialised at once share port %s", a.port(t))
	}
	a.stop(t, "fast")
	c := throwawayCluster(t)
	c.start(t)
	if p := c.port(t); p == a.port(t) || p == b.port(t) {
		t.Errorf("a cluster initialised while %s (port %s) is stopped took port %s", a.dir, a.port(t), p)
	}
	a.start(t)
	t.Logf("ports: %s, %s, then %s while the first was stopped", a.port(t), b.port(t), c.port(t))

	// The CLI, with no DATABASE_URL, in a checkout whose cluster is b.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") && !strings.HasPrefix(kv, "EVENTMAP_PG_DIR=") && !strings.HasPrefix(kv, "PWD=") {
			env = append(env, kv)
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	env = append(env, "EVENTMAP_PG_DIR="+b.dir, "PWD="+root)
	cli := func(args ...string) (stdout, stderr string) {
		t.Helper()
		cmd := exec.Command(binary, args...)
		cmd.Dir, cmd.Env = root, env
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("eventmap %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
		}
		return out.String(), errOut.String()
	}
	notice := "using the local PostGIS of this checkout (" + b.dir + "), postgres://eventmap:xxxxx@127.0.0.1:" + b.port(t) + "/eventmap"
	tok, msg := cli("token", "create", "--role", "editor", "--label", "found by itself")
	if !strings.HasPrefix(tok, "em_") || !strings.Contains(msg, notice) {
		t.Errorf("token create: %q, stderr %q; want a token and %q", tok, msg, notice)
	}
	list, _ := cli("token", "list")
	if !strings.Contains(list, "found by itself") {
		t.Errorf("token list: %s", list)
	}
	status, msg := cli("migrate", "status")
	if strings.Contains(status, "pending") || !strings.Contains(msg, notice) {
		t.Errorf("migrate status: %s (stderr %s)", status, msg)
	}
	if out, _ := cli("demo-data"); !strings.Contains(out, "event(s)") {
		t.Errorf("demo-data: %s", out)
	}
	if out, _ := cli("export", "--format", "ndjson"); strings.Count(out, "\n") != 7 {
		t.Errorf("export of the 7 public sample events: %d lines", strings.Count(out, "\n"))
	}

	// make token, the common case.
	cmd := exec.Command("make", "-s", "token", "ROLE=admin", "LABEL=made by make")
	cmd.Dir, cmd.Env = root, env
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "em_") || !strings.Contains(string(out), notice) {
		t.Errorf("make token: %v\n%s", err, out)
	}
	if list, _ := cli("token", "list"); !strings.Contains(list, "made by make") || !strings.Contains(list, "admin") {
		t.Errorf("token list after make token: %s", list)
	}

	// DATABASE_URL wins, and with it nothing is said about the local one.
	cmd = exec.Command(binary, "token", "list")
	cmd.Dir, cmd.Env = root, append(env, "DATABASE_URL="+c.url(t))
	out, err = cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "found by itself") || strings.Contains(string(out), "local PostGIS") {
		t.Errorf("with DATABASE_URL of another cluster: %v\n%s", err, out)
	}

	// A stopped cluster: the error names it and how to start it.
	b.stop(t, "fast")
	cmd = exec.Command(binary, "token", "list")
	cmd.Dir, cmd.Env = root, env
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), b.dir) || !strings.Contains(string(out), "make db") {
		t.Errorf("with the local cluster stopped: %v\n%s", err, out)
	}
}

// Package bench is the harness behind `make bench`: it loads synthetic
// events into dedicated databases, runs the real `eventmap serve` and
// `eventmap export` binaries against them, and measures each one against
// a baseline taken in the same run (pgbench running the same
// FeatureCollection as one SQL statement, the first page against a deep
// one, ...), so the figures read as ratios that the machine's load moves
// alike. It talks to PostgreSQL only to create, load and describe its
// databases; the SQL it compares with comes from store.
package bench

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	_ "github.com/lib/pq"
)

// generatorVersion names the synthetic generator's output: a database
// loaded by another version is loaded again, never reused.
const generatorVersion = 2

// dbURL is admin with its database replaced by name.
func dbURL(admin, name string) string {
	u, err := url.Parse(admin)
	if err != nil {
		return admin
	}
	u.Path = "/" + name
	return u.String()
}

// loaded describes a benchmark database.
type loaded struct {
	name, url string
	events    int
	// importRate is events/s of the load this run did; 0 when an earlier
	// run's database was reused.
	importRate float64
	importSecs float64
}

// prepareDB returns a database holding n synthetic events from seed,
// loading it only when no earlier run left one with the same n, seed and
// generator: the database's comment records what it holds, and is written
// last, so an interrupted load is never reused.
func prepareDB(ctx context.Context, o *Options, n int) (l loaded, err error) {
	name := fmt.Sprintf("eventmap_bench_%d_s%d", n, o.Seed)
	marker := fmt.Sprintf("eventmap bench: %d synthetic events, seed %d, generator %d", n, o.Seed, generatorVersion)
	l = loaded{name: name, url: dbURL(o.AdminURL, name), events: n}
	admin, err := sql.Open("postgres", o.AdminURL)
	if err != nil {
		return l, err
	}
	defer admin.Close()
	// Parallel workers and JIT: per-database settings, so they apply to
	// eventmap and pgbench alike, set (or reset) every run.
	defer func() {
		if err != nil {
			return
		}
		settings := []string{`ALTER DATABASE ` + name + ` RESET max_parallel_workers_per_gather`, `ALTER DATABASE ` + name + ` RESET jit`}
		if o.NoParallel {
			settings[0] = `ALTER DATABASE ` + name + ` SET max_parallel_workers_per_gather = 0`
		}
		if o.NoJIT {
			settings[1] = `ALTER DATABASE ` + name + ` SET jit = off`
		}
		for _, setting := range settings {
			if _, e := admin.ExecContext(ctx, setting); e != nil {
				err = e
			}
		}
	}()
	var comment sql.NullString
	err = admin.QueryRowContext(ctx, `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1`, name).Scan(&comment)
	if err == nil && comment.String == marker+clusteredMark(o) && !o.Reload {
		o.logf("reusing database %s (%s)", name, comment.String)
		// The binary may be newer than the database: bring its schema up
		// to date (a migration that fills new tables from the events can
		// take minutes at 1 M), and give the planner fresh statistics of
		// what it added.
		started := time.Now()
		out, err := o.eventmap(ctx, l.url, nil, "migrate", "up")
		if err != nil {
			return l, fmt.Errorf("migrate %s: %v\n%s", name, err, out)
		}
		if !bytes.HasPrefix(out, []byte("applied 0 ")) {
			o.logf("%s: %s in %.1f s", name, bytes.TrimSpace(out), time.Since(started).Seconds())
			db, err := sql.Open("postgres", l.url)
			if err != nil {
				return l, err
			}
			defer db.Close()
			if _, err := db.ExecContext(ctx, `VACUUM (ANALYZE)`); err != nil {
				return l, err
			}
		}
		return l, nil
	}
	if err != nil && err != sql.ErrNoRows {
		return l, err
	}
	o.logf("loading %d synthetic events into %s", n, name)
	// The name is ours (digits only besides the fixed text), not input.
	if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
		return l, err
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		return l, err
	}
	// Migrations first, so the timed load is the import alone.
	if out, err := o.eventmap(ctx, l.url, nil, "migrate", "up"); err != nil {
		return l, fmt.Errorf("migrate %s: %v\n%s", name, err, out)
	}
	started := time.Now()
	out, err := o.eventmap(ctx, l.url, nil, "demo-data", "--synthetic", fmt.Sprint(n), "--seed", fmt.Sprint(o.Seed))
	if err != nil {
		return l, fmt.Errorf("load %s: %v\n%s", name, err, out)
	}
	l.importSecs = time.Since(started).Seconds()
	l.importRate = float64(n) / l.importSecs
	o.logf("%s", out)
	db, err := sql.Open("postgres", l.url)
	if err != nil {
		return l, err
	}
	defer db.Close()
	// Fresh statistics and a visibility map, as autovacuum would leave
	// them some minutes after a load.
	if _, err := db.ExecContext(ctx, `VACUUM (ANALYZE) events, event_actors, event_sources, actors, sources, event_revisions`); err != nil {
		return l, err
	}
	if o.Cluster {
		o.logf("clustering %s by geohash", name)
		if _, err := db.ExecContext(ctx, clusterSQL); err != nil {
			return l, fmt.Errorf("cluster %s: %w", name, err)
		}
	}
	marker += clusteredMark(o)
	if _, err := admin.ExecContext(ctx, `COMMENT ON DATABASE `+name+` IS '`+marker+`'`); err != nil {
		return l, err
	}
	return l, nil
}

// clusteredMark is the marker's suffix of a CLUSTERed database: -cluster
// asks for one, and a clustered one is not reused without it.
func clusteredMark(o *Options) string {
	if o.Cluster {
		return ", clustered"
	}
	return ""
}

// clusterSQL puts events that are near each other on the ground in the
// same pages (see README, "Speed"): a bbox page then reads tens of pages
// instead of a thousand.
const clusterSQL = `
	CREATE INDEX IF NOT EXISTS events_geohash_idx ON events (ST_GeoHash(ST_Centroid(geom), 10));
	CLUSTER events USING events_geohash_idx;
	DROP INDEX events_geohash_idx;
	ANALYZE events`

// eventmap runs the binary with DATABASE_URL set and returns its output.
func (o *Options) eventmap(ctx context.Context, dbURL string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, o.Bin, args...)
	cmd.Env = append(os.Environ(), append([]string{"DATABASE_URL=" + dbURL, "EVENTMAP_LOG_LEVEL=warn"}, env...)...)
	return cmd.CombinedOutput()
}

// server is a running `eventmap serve`.
type server struct {
	base string
	cmd  *exec.Cmd
}

// startServer starts `eventmap serve` on a free port and waits until it
// is ready. Its log goes to a file in dir.
func startServer(ctx context.Context, o *Options, dbURL, label string, env ...string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	// The metrics listener too: its default port is one for the machine,
	// and the bench runs two servers at once.
	metrics, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(o.WorkDir, "serve-"+label+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(o.Bin, "serve")
	cmd.Env = append(os.Environ(), append([]string{
		"DATABASE_URL=" + dbURL, "EVENTMAP_ADDR=" + addr, "EVENTMAP_METRICS_ADDR=" + metrics,
		// The load comes from one address; a per-client limit would
		// measure 429s.
		"EVENTMAP_RATE_LIMIT=0",
		// No metrics listener: the fixed default port would be taken by
		// the first of two servers running at once.
		"EVENTMAP_METRICS_ADDR=",
	}, env...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{base: "http://" + addr, cmd: cmd}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	s.stop()
	return nil, fmt.Errorf("eventmap serve (%s) not ready after 60 s; see %s", label, logf.Name())
}

// freeAddr is a local address no one listens on now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (s *server) stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
	}
}

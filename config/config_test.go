package config

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadPrecedence(t *testing.T) {
	env := envOf(map[string]string{
		"EVENTMAP_ADDR":              ":9000",
		"EVENTMAP_STATEMENT_TIMEOUT": "2s",
		"EVENTMAP_TILE_URL":          "", // set but empty: no tile layer
		"DATABASE_URL":               "postgres://env/db",
	})
	c, rest, err := Load("serve", []string{"-addr", "127.0.0.1:9001", "up"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9001" {
		t.Errorf("flag must beat environment: addr = %q", c.Addr)
	}
	if c.StatementTimeout != 2*time.Second {
		t.Errorf("environment must beat default: statement timeout = %v", c.StatementTimeout)
	}
	if c.TileURL != "" {
		t.Errorf("EVENTMAP_TILE_URL set to empty must turn tiles off, got %q", c.TileURL)
	}
	if c.DatabaseURL != "postgres://env/db" || c.MaxLimit != 10000 || c.DefaultLimit != 100 {
		t.Errorf("defaults/env not applied: %+v", c)
	}
	if len(rest) != 1 || rest[0] != "up" {
		t.Errorf("remaining args = %v", rest)
	}
}

func TestLoadDefaultsHaveTiles(t *testing.T) {
	c, _, err := Load("serve", nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.TileURL, "{z}") || c.Addr != "127.0.0.1:8080" {
		t.Errorf("defaults: %+v", c)
	}
	if err := c.RequireDatabase(); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("RequireDatabase without a URL: %v", err)
	}
}

func TestDatabaseURLFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db-url")
	if err := os.WriteFile(path, []byte("postgres://secret/db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := Load("serve", nil, envOf(map[string]string{"DATABASE_URL_FILE": path}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://secret/db" {
		t.Errorf("DatabaseURL = %q", c.DatabaseURL)
	}
}

// The read replica's URL, like the primary's, may come from a secret
// file; a flag or variable set explicitly wins over the file.
func TestDatabaseReadURL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "read-url")
	if err := os.WriteFile(path, []byte("postgres://standby/db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := Load("serve", nil, envOf(map[string]string{"DATABASE_URL": "postgres://primary/db", "DATABASE_READ_URL_FILE": path}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseReadURL != "postgres://standby/db" || c.DatabaseURL != "postgres://primary/db" {
		t.Errorf("read URL %q, primary %q", c.DatabaseReadURL, c.DatabaseURL)
	}
	c, _, err = Load("serve", []string{"-database-read-url", "postgres://flag/db"}, envOf(map[string]string{"DATABASE_READ_URL_FILE": path}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseReadURL != "postgres://flag/db" {
		t.Errorf("the flag lost to the file: %q", c.DatabaseReadURL)
	}
	if c, _, _ := Load("serve", nil, envOf(nil), io.Discard); c.DatabaseReadURL != "" {
		t.Errorf("default read URL %q, want none", c.DatabaseReadURL)
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"EVENTMAP_ADDR": "8080"}, "EVENTMAP_ADDR"},
		{map[string]string{"EVENTMAP_MAX_LIMIT": "0"}, "EVENTMAP_MAX_LIMIT"},
		{map[string]string{"EVENTMAP_STATEMENT_TIMEOUT": "soon"}, "EVENTMAP_STATEMENT_TIMEOUT"},
		{map[string]string{"EVENTMAP_LOG_FORMAT": "xml"}, "EVENTMAP_LOG_FORMAT"},
		{map[string]string{"EVENTMAP_PUBLIC_URL": "events.example.org"}, "EVENTMAP_PUBLIC_URL"},
		{map[string]string{"EVENTMAP_DEFAULT_LIMIT": "500", "EVENTMAP_MAX_LIMIT": "100"}, "above the maximum"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, _, err := Load("serve", nil, envOf(tt.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestCountLimit(t *testing.T) {
	c, _, err := Load("serve", nil, envOf(nil), io.Discard)
	if err != nil || c.CountLimit != 100000 {
		t.Errorf("default count limit = %d, %v; want 100000", c.CountLimit, err)
	}
	c, _, err = Load("serve", nil, envOf(map[string]string{"EVENTMAP_COUNT_LIMIT": "0"}), io.Discard)
	if err != nil || c.CountLimit != 0 {
		t.Errorf("EVENTMAP_COUNT_LIMIT=0 (never count) gave %d, %v", c.CountLimit, err)
	}
	if _, _, err := Load("serve", []string{"-count-limit", "-1"}, envOf(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "EVENTMAP_COUNT_LIMIT") {
		t.Errorf("negative count limit: error = %v", err)
	}
}

// In a checkout whose private PostGIS (scripts/pg.sh, .data/pg) is
// running, the commands use it when DATABASE_URL is not set, and say so
// on stderr without the password; DATABASE_URL still wins. A stopped
// cluster gives an error that names it and how to start it. The cluster
// here is its files and a listening port, which is all the search reads.
func TestLocalDatabaseOfTheCheckout(t *testing.T) {
	root := t.TempDir()
	for path, body := range map[string]string{
		"go.mod":                  "module eventmap\n\ngo 1.26\n",
		"scripts/pg.sh":           "#!/bin/sh\n",
		".data/pg/password":       "s3cret\n",
		"cmd/eventmap/.keep":      "",
		"elsewhere/.data/pg/port": "1\n",
	} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, path), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if err := os.WriteFile(filepath.Join(root, ".data/pg/port"), []byte(port+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, ".data", "pg")
	want := "postgres://eventmap:s3cret@127.0.0.1:" + port + "/eventmap?sslmode=disable"

	var stderr strings.Builder
	c, _, err := Load("token", nil, envOf(map[string]string{"PWD": filepath.Join(root, "cmd", "eventmap")}), &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != want || c.DatabaseFrom != dir {
		t.Errorf("from a subdirectory of the checkout: URL %q from %q, want %q from %q", c.DatabaseURL, c.DatabaseFrom, want, dir)
	}
	if msg := stderr.String(); !strings.Contains(msg, "using the local PostGIS of this checkout ("+dir+")") ||
		!strings.Contains(msg, "127.0.0.1:"+port+"/eventmap") || strings.Contains(msg, "s3cret") {
		t.Errorf("stderr %q: want the database named, without its password", msg)
	}

	stderr.Reset()
	c, _, _ = Load("token", nil, envOf(map[string]string{"PWD": root, "DATABASE_URL": "postgres://mine/db"}), &stderr)
	if c.DatabaseURL != "postgres://mine/db" || stderr.Len() != 0 {
		t.Errorf("DATABASE_URL must win: got %q, stderr %q", c.DatabaseURL, stderr.String())
	}
	// EVENTMAP_PG_DIR, relative to the working directory as pg.sh reads it.
	c, _, _ = Load("token", nil, envOf(map[string]string{"PWD": root, "EVENTMAP_PG_DIR": ".data/pg"}), io.Discard)
	if c.DatabaseURL != want {
		t.Errorf("EVENTMAP_PG_DIR=.data/pg: %q", c.DatabaseURL)
	}
	// Outside any checkout, and with no working directory (tests, services): nothing.
	for _, env := range []map[string]string{{"PWD": t.TempDir()}, nil} {
		if c, _, _ := Load("token", nil, envOf(env), io.Discard); c.DatabaseURL != "" || c.DatabaseFrom != "" {
			t.Errorf("env %v: found %q (%q)", env, c.DatabaseURL, c.DatabaseFrom)
		}
	}

	ln.Close()
	c, _, err = Load("token", nil, envOf(map[string]string{"PWD": root}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "" {
		t.Errorf("stopped cluster: URL %q", c.DatabaseURL)
	}
	if err := c.RequireDatabase(); err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "make db") {
		t.Errorf("stopped cluster: %v; want an error naming %s and make db", err, dir)
	}
}

func TestOperationsSettings(t *testing.T) {
	c, _, err := Load("serve", nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsAddr != "127.0.0.1:9464" || c.ExpensiveRequests != 4 || c.MigrateURL() != "" {
		t.Errorf("defaults: metrics %q, expensive %d, migrate %q", c.MetricsAddr, c.ExpensiveRequests, c.MigrateURL())
	}
	c, _, err = Load("serve", nil, envOf(map[string]string{"EVENTMAP_METRICS_ADDR": "", "DATABASE_URL": "postgres://bouncer/db",
		"DATABASE_MIGRATE_URL": "postgres://direct/db"}), io.Discard)
	if err != nil || c.MetricsAddr != "" || c.MigrateURL() != "postgres://direct/db" {
		t.Errorf("metrics off and a migrate URL: %+v, %v", c, err)
	}
	if c, _, _ := Load("serve", nil, envOf(map[string]string{"DATABASE_URL": "postgres://direct/db"}), io.Discard); c.MigrateURL() != "postgres://direct/db" {
		t.Errorf("MigrateURL without DATABASE_MIGRATE_URL: %q, want DATABASE_URL", c.MigrateURL())
	}
	for env, want := range map[string]string{
		"EVENTMAP_METRICS_ADDR=9464":     "EVENTMAP_METRICS_ADDR",
		"EVENTMAP_EXPENSIVE_REQUESTS=20": "below EVENTMAP_DB_MAX_CONNS",
		"EVENTMAP_EXPENSIVE_REQUESTS=0":  "EVENTMAP_EXPENSIVE_REQUESTS",
		"EVENTMAP_DB_MAX_CONNS=4":        "below EVENTMAP_DB_MAX_CONNS",
	} {
		k, v, _ := strings.Cut(env, "=")
		if _, _, err := Load("serve", nil, envOf(map[string]string{k: v}), io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", env, err, want)
		}
	}
}

// Package testdb gives each test its own real PostGIS database, cloned from
// a migrated template so that a fresh database costs milliseconds, not a
// migration run. Tests never mock the database and never skip: without
// EVENTMAP_TEST_DATABASE_URL they fail and say how to run them.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"eventmap/migrations"
	"eventmap/store"
)

// EnvVar names the admin connection URL of the test cluster. `make test`
// starts the project's private PostGIS and sets it.
const EnvVar = "EVENTMAP_TEST_DATABASE_URL"

// New creates an empty-but-migrated database for t, dropped when t ends,
// and returns its URL.
func New(t testing.TB) string {
	t.Helper()
	return create(t, true)
}

// NewEmpty creates a database with nothing in it, not even the migrations,
// for tests of migrating itself.
func NewEmpty(t testing.TB) string {
	t.Helper()
	return create(t, false)
}

// Open is New plus an open store handle, closed when t ends.
func Open(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{URL: New(t), StatementTimeout: 30 * time.Second, MaxOpenConns: 10})
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func create(t testing.TB, migrated bool) string {
	t.Helper()
	admin := adminURL(t)
	ctx := context.Background()
	db, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	defer db.Close()

	name := "eventmap_test_" + randomSuffix()
	template := "template0"
	if migrated {
		template = ensureTemplate(t, db, admin)
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE "+pq.QuoteIdentifier(template)); err != nil {
		t.Fatalf("testdb: create database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("postgres", admin)
		if err != nil {
			t.Errorf("testdb: %v", err)
			return
		}
		defer db.Close()
		if _, err := db.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)"); err != nil {
			t.Errorf("testdb: drop %s: %v", name, err)
		}
	})
	return withDatabase(t, admin, name)
}

// ensureTemplate returns the name of a template database holding the
// current migrations, creating it once. Its name carries a hash of the
// migration files and of the SQL the store installs, so changing either
// builds a new template. Test
// packages run as parallel processes, so creation is under an advisory lock.
func ensureTemplate(t testing.TB, db *sql.DB, admin string) string {
	t.Helper()
	ctx := context.Background()
	name := "eventmap_tmpl_" + migrationsHash(t)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7364061002)`); err != nil {
		t.Fatalf("testdb: lock: %v", err)
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(7364061002)`)

	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&exists); err != nil {
		t.Fatalf("testdb: %v", err)
	}
	if exists {
		return name
	}
	// A half-built template from an interrupted run is not marked as a template: rebuild it.
	if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
		t.Fatalf("testdb: %v", err)
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE template0"); err != nil {
		t.Fatalf("testdb: create template: %v", err)
	}
	sdb, err := store.Open(ctx, store.Options{URL: withDatabase(t, admin, name)})
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	m, err := sdb.NewMigrator(nil)
	if err == nil {
		_, err = m.Up(ctx)
	}
	sdb.Close()
	if err != nil {
		t.Fatalf("testdb: migrate template: %v", err)
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(name)+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"); err != nil {
		t.Fatalf("testdb: %v", err)
	}
	// Templates of older migration sets are garbage now.
	rows, err := conn.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'eventmap_tmpl_%' AND datname <> $1`, name)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	var old []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			old = append(old, n)
		}
	}
	rows.Close()
	for _, n := range old {
		_, _ = conn.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(n)+" WITH IS_TEMPLATE false")
		_, _ = conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(n)+" WITH (FORCE)")
	}
	return name
}

func adminURL(t testing.TB) string {
	t.Helper()
	u := getenv(EnvVar)
	if u == "" {
		t.Fatalf("testdb: %s is not set. Run the tests with `make test`, which starts the project's PostGIS "+
			"and sets it, or set it to a PostgreSQL superuser URL yourself.", EnvVar)
	}
	return u
}

// withDatabase returns admin with its database name replaced.
func withDatabase(t testing.TB, admin, name string) string {
	t.Helper()
	u, err := url.Parse(admin)
	if err != nil || u.Scheme == "" {
		t.Fatalf("testdb: %s must be a postgres:// URL", EnvVar)
	}
	u.Path = "/" + name
	return u.String()
}

func migrationsHash(t testing.TB) string {
	t.Helper()
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".sql") {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	// The store writes SQL of its own making into a migrated database
	// (the CSV lines' trigger function): a change to it is a new template
	// too.
	h.Write([]byte(store.InstalledSQLShape()))
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Drop removes the database behind url at once, closing its connections:
// for tests of how the service behaves when its database disappears.
func Drop(t testing.TB, dbURL string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", adminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DROP DATABASE " + pq.QuoteIdentifier(strings.TrimPrefix(u.Path, "/")) + " WITH (FORCE)"); err != nil {
		t.Fatalf("testdb: drop: %v", err)
	}
}

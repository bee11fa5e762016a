package store_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"eventmap/internal/testdb"
	"eventmap/store"
)

func openEmpty(t *testing.T) (*store.DB, string) {
	t.Helper()
	url := testdb.NewEmpty(t)
	db, err := store.Open(context.Background(), store.Options{URL: url, StatementTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, url
}

func tableExists(t *testing.T, url, table string) bool {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok bool
	if err := db.QueryRow(`SELECT to_regclass($1) IS NOT NULL`, table).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := openEmpty(t)
	m, err := db.NewMigrator(nil)
	if err != nil {
		t.Fatal(err)
	}
	if pending, err := m.Pending(ctx); err != nil || !pending {
		t.Fatalf("empty database: pending = %v, %v; want true", pending, err)
	}
	n, err := m.Up(ctx)
	if err != nil || n == 0 {
		t.Fatalf("up from empty: %d applied, %v", n, err)
	}
	for _, table := range []string{"events", "event_types", "actors", "event_actors", "sources", "event_sources", "event_revisions", "regions"} {
		if !tableExists(t, url, table) {
			t.Errorf("after up: table %s missing", table)
		}
	}
	if pending, err := m.Pending(ctx); err != nil || pending {
		t.Fatalf("after up: pending = %v, %v; want false", pending, err)
	}
	if err := m.DownTo(ctx, 0); err != nil {
		t.Fatalf("down: %v", err)
	}
	if tableExists(t, url, "events") {
		t.Error("after down: events table still exists")
	}
	if n2, err := m.Up(ctx); err != nil || n2 != n {
		t.Fatalf("up again: %d applied (want %d), %v", n2, n, err)
	}
	if !tableExists(t, url, "events") {
		t.Error("after up again: events table missing")
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if !s.Applied {
			t.Errorf("migration %d not applied", s.Version)
		}
	}
}

// Replicas starting at once must not both run a migration: the advisory
// lock makes the second wait, then find nothing to do.
func TestConcurrentMigrateRunsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, url := openEmpty(t)
	const replicas = 4
	var wg sync.WaitGroup
	applied := make([]int, replicas)
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := store.Open(ctx, store.Options{URL: url})
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			m, err := db.NewMigrator(nil)
			if err != nil {
				errs[i] = err
				return
			}
			applied[i], errs[i] = m.Up(ctx)
		}()
	}
	wg.Wait()
	total := 0
	for i := range replicas {
		if errs[i] != nil {
			t.Errorf("replica %d: %v", i, errs[i])
		}
		total += applied[i]
	}
	raw, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var rows int
	if err := raw.QueryRow(`SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	db, _ := openEmpty(t) // only to list the migration files
	m, err := db.NewMigrator(nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	files := len(st)
	if total != files || rows != files {
		t.Errorf("%d replicas applied %d migrations in all and recorded %d rows; want each of the %d applied once", replicas, total, rows, files)
	}
}

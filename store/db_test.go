package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"eventmap"
	"eventmap/internal/testdb"
	"eventmap/store"
)

// Every connection carries statement_timeout, so a runaway query is
// stopped by PostgreSQL and reported as ETIMEOUT, not left to hold a
// connection.
func TestStatementTimeoutStopsSlowQueries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{URL: testdb.New(t), StatementTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	err = db.ExecRaw(ctx, `SELECT pg_sleep(5)`)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("slow query ran for %v; statement_timeout is 100ms", took)
	}
	if got := eventmap.ErrorCode(err); got != eventmap.ETIMEOUT {
		t.Errorf("error code %q (%v), want %q", got, err, eventmap.ETIMEOUT)
	}
	if setting, err := db.QueryString(ctx, `SHOW statement_timeout`); err != nil || setting != "100ms" {
		t.Errorf("statement_timeout = %q, %v; want 100ms", setting, err)
	}
	if setting, err := db.QueryString(ctx, `SHOW TimeZone`); err != nil || setting != "UTC" {
		t.Errorf("TimeZone = %q, %v; want UTC", setting, err)
	}
}

// A pool bigger than the database's connection limit would fail under load
// with "too many clients"; it is refused at start-up instead.
func TestPoolMustFitMaxConnections(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.New(t)
	_, err := store.Open(ctx, store.Options{URL: url, MaxOpenConns: 100000})
	if err == nil || !strings.Contains(err.Error(), "max_connections") {
		t.Fatalf("a 100000-connection pool opened: %v", err)
	}
	db, err := store.Open(ctx, store.Options{URL: url, MaxOpenConns: 5})
	if err != nil {
		t.Fatalf("a 5-connection pool: %v", err)
	}
	db.Close()
}

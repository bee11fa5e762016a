package main

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"

	"eventmap/internal/testdb"
)

// eventmap aggregates rebuild recounts aggregates that writes bypassing
// the triggers left wrong.
func TestAggregatesRebuildCommand(t *testing.T) {
	t.Parallel()
	url := testdb.New(t)
	raw, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ctx := context.Background()
	counts := func() (cells, days int64) {
		t.Helper()
		if err := raw.QueryRowContext(ctx, `
			SELECT (SELECT COALESCE(sum(n), 0) FROM event_cell_totals WHERE z = 0),
				(SELECT COALESCE(sum(n), 0) FROM event_days)`).Scan(&cells, &days); err != nil {
			t.Fatal(err)
		}
		return cells, days
	}
	// Ten events the triggers count, then ten more they do not see (as a
	// restore with triggers disabled, or a replica's apply, would write).
	if _, err := raw.ExecContext(ctx, `
		INSERT INTO events (type, title, occurred_at, time_precision, geom, geo_precision, country)
		SELECT 'clash', 'counted ' || i, timestamptz '2025-01-01' + i * interval '1 day', 'day',
			ST_SetSRID(ST_MakePoint(36 + i * 0.01, 33), 4326), 'exact', 'SYR'
		FROM generate_series(1, 10) i`); err != nil {
		t.Fatal(err)
	}
	conn, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`SET session_replication_role = replica`,
		`INSERT INTO events (type, title, occurred_at, time_precision, geom, geo_precision, country)
		 SELECT 'raid', 'uncounted ' || i, timestamptz '2025-02-01' + i * interval '1 day', 'day',
			ST_SetSRID(ST_MakePoint(37 + i * 0.01, 34), 4326), 'exact', 'SYR'
		 FROM generate_series(1, 10) i`,
		`SET session_replication_role = DEFAULT`,
	} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	if cells, days := counts(); cells != 10 || days != 10 {
		t.Fatalf("before the rebuild the aggregates count %d and %d events, want the 10 the triggers saw", cells, days)
	}

	env := func(k string) (string, bool) {
		if k == "DATABASE_URL" {
			return url, true
		}
		return "", false
	}
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"aggregates", "rebuild"}, env, &out, &errOut); err != nil {
		t.Fatalf("rebuild: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "rebuilt the map aggregates") {
		t.Errorf("rebuild printed %q", out.String())
	}
	if cells, days := counts(); cells != 20 || days != 20 {
		t.Errorf("after the rebuild the aggregates count %d and %d events, want 20", cells, days)
	}

	errOut.Reset()
	if err := run(ctx, []string{"aggregates", "recount"}, env, &out, &errOut); err == nil || !strings.Contains(errOut.String(), "usage") {
		t.Errorf("an unknown action: %v, %q", err, errOut.String())
	}
}

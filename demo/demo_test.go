package demo_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"testing"

	"eventmap/demo"
	"eventmap/internal/testdb"
	"eventmap/store"
)

func counts(t *testing.T, url string) map[string]int {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]int{}
	for _, table := range []string{"events", "event_revisions", "actors", "event_actors", "sources", "event_sources", "regions"} {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// openDB returns a fresh migrated database, as a store and as a URL for raw checks.
func openDB(t *testing.T) (*store.DB, string) {
	t.Helper()
	url := testdb.New(t)
	db, err := store.Open(context.Background(), store.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, url
}

func TestLoadIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := openDB(t)

	res, err := demo.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 8 || res.Skipped != 0 {
		t.Errorf("first load: %+v, want 8 created", res)
	}
	first := counts(t, url)
	res, err = demo.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 0 || res.Skipped != 8 {
		t.Errorf("second load: %+v, want 8 skipped", res)
	}
	second := counts(t, url)
	for table, n := range first {
		if second[table] != n {
			t.Errorf("%s: %d rows after the first load, %d after the second", table, n, second[table])
		}
	}
	if first["events"] != 8 || first["regions"] != 1 || first["event_revisions"] != 9 {
		t.Errorf("counts %v: want 8 events, 1 region, 9 revisions (Dumayr has two)", first)
	}
}

// The Dumayr raid was first reported as the capture of an IS official; the
// correction must be visible as history, not overwritten.
func TestDumayrCorrectionIsARevision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := openDB(t)
	if _, err := demo.Load(ctx, db); err != nil {
		t.Fatal(err)
	}
	raw, _ := sql.Open("postgres", url)
	defer raw.Close()
	rows, err := raw.Query(`SELECT version, reason, snapshot FROM event_revisions
		WHERE event_id = '6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01' ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type snap struct {
		Properties struct {
			Title      string `json:"title"`
			Status     string `json:"status"`
			Fatalities *int   `json:"fatalities"`
			TZ         string `json:"tz"`
		} `json:"properties"`
	}
	var got []snap
	var reasons []string
	for rows.Next() {
		var v int
		var reason string
		var b []byte
		if err := rows.Scan(&v, &reason, &b); err != nil {
			t.Fatal(err)
		}
		var s snap
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
		reasons = append(reasons, reason)
	}
	if len(got) != 2 {
		t.Fatalf("%d revisions, want 2", len(got))
	}
	if !strings.Contains(got[0].Properties.Title, "reported as the capture of an IS official") || got[0].Properties.Status != "reported" || got[0].Properties.Fatalities != nil {
		t.Errorf("first revision %+v is not the initial report", got[0].Properties)
	}
	if !strings.Contains(got[1].Properties.Title, "Khaled al-Masoud") || got[1].Properties.Status != "corroborated" || got[1].Properties.Fatalities == nil {
		t.Errorf("second revision %+v is not the correction", got[1].Properties)
	}
	// 03:00 local time, as the report says: the offset is kept as tz.
	for i, s := range got {
		if s.Properties.TZ != "+03:00" {
			t.Errorf("revision %d: tz %q, want +03:00", i+1, s.Properties.TZ)
		}
	}
	if !strings.HasPrefix(reasons[1], "Correction") {
		t.Errorf("second revision reason %q", reasons[1])
	}
}

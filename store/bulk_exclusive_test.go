package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"reflect"
	"testing"

	"eventmap/demo"
	"eventmap/internal/testdb"
	"eventmap/store"
)

// An exclusive import (foreign keys checked once, at the end) leaves the
// schema exactly as it found it and writes the same events and revisions
// as an ordinary one; and a row breaking a key still fails the import.
func TestExclusiveImportKeepsForeignKeysAndIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	open := func() (*store.DB, *sql.DB) {
		url := testdb.New(t)
		db, err := store.Open(ctx, store.Options{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		raw, err := sql.Open("postgres", url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		return db, raw
	}
	// The foreign keys, and the indexes it sets aside and builds again.
	keys := func(raw *sql.DB) map[string]string {
		rows, err := raw.Query(`SELECT conrelid::regclass || '.' || conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f'
			UNION ALL SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			out[k] = v
		}
		return out
	}
	snapshots := func(raw *sql.DB) map[string]any {
		rows, err := raw.Query(`SELECT event_id, snapshot FROM event_revisions`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]any{}
		for rows.Next() {
			var id string
			var b []byte
			if err := rows.Scan(&id, &b); err != nil {
				t.Fatal(err)
			}
			var v map[string]any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			// The one member that differs between two databases.
			delete(v["properties"].(map[string]any), "updated_at")
			out[id] = v
		}
		return out
	}

	fast, fastRaw := open()
	slow, slowRaw := open()
	before := keys(fastRaw)
	if len(before) < 20 {
		t.Fatalf("foreign keys and indexes before: %v", before)
	}
	const n = 2000
	opts := store.ImportOptions{Editor: "test", Reason: "test"}
	if res, err := slow.Import(ctx, demo.Synthetic(n, 5), opts); err != nil || res.Created != n {
		t.Fatalf("ordinary import: %v %+v", err, res)
	}
	opts.Exclusive = true
	if res, err := fast.Import(ctx, demo.Synthetic(n, 5), opts); err != nil || res.Created != n {
		t.Fatalf("exclusive import: %v %+v", err, res)
	}
	if after := keys(fastRaw); !reflect.DeepEqual(after, before) {
		t.Errorf("foreign keys after an exclusive import:\n%v\nbefore:\n%v", after, before)
	}
	a, b := snapshots(fastRaw), snapshots(slowRaw)
	if len(a) != n || !reflect.DeepEqual(a, b) {
		t.Errorf("exclusive import wrote %d revisions unlike the ordinary import's %d", len(a), len(b))
	}
	// Each revision is the event exactly as it is served.
	for id, snap := range a {
		feature, _, err := fast.GetEvent(ctx, id, true)
		if err != nil {
			t.Fatal(err)
		}
		var served map[string]any
		if err := json.Unmarshal(feature, &served); err != nil {
			t.Fatal(err)
		}
		delete(served["properties"].(map[string]any), "updated_at")
		if !reflect.DeepEqual(served, snap) {
			t.Fatalf("event %s served as\n%s\nbut its revision holds\n%v", id, feature, snap)
		}
		break
	}
	// A link to an actor that does not exist cannot hide behind the
	// deferred check: putting the key back fails, and nothing is written.
	if _, err := fastRaw.Exec(`CREATE FUNCTION break_link() RETURNS trigger LANGUAGE plpgsql AS
		$$BEGIN NEW.actor_id := gen_random_uuid(); RETURN NEW; END$$;
		CREATE TRIGGER break_link BEFORE INSERT ON event_actors FOR EACH ROW EXECUTE FUNCTION break_link()`); err != nil {
		t.Fatal(err)
	}
	if res, err := fast.Import(ctx, demo.Synthetic(n+10, 5), opts); err == nil || res.Committed {
		t.Errorf("import with broken actor links: committed %v, err %v", res.Committed, err)
	}
	if after := keys(fastRaw); !reflect.DeepEqual(after, before) {
		t.Errorf("foreign keys after a failed exclusive import: %v", after)
	}
}

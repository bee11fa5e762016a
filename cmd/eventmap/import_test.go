package main

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"

	"eventmap/internal/testdb"
)

// eventmap import --exclusive loads a file as a live import would (the
// same events, revisions, links and map aggregates) with the indexes set
// aside and built again: the tables keep every index and foreign key.
func TestImportExclusiveCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var counts [2]string
	for i, flags := range [][]string{nil, {"--exclusive"}} {
		url := testdb.New(t)
		raw, err := sql.Open("postgres", url)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		env := func(k string) (string, bool) {
			if k == "DATABASE_URL" {
				return url, true
			}
			return "", false
		}
		catalogue := func() string {
			var s string
			if err := raw.QueryRowContext(ctx, `
				SELECT (SELECT string_agg(indexdef, ';' ORDER BY indexdef) FROM pg_indexes WHERE schemaname = current_schema()) ||
					(SELECT string_agg(conname || pg_get_constraintdef(oid), ';' ORDER BY conname) FROM pg_constraint WHERE contype = 'f')`).Scan(&s); err != nil {
				t.Fatal(err)
			}
			return s
		}
		before := catalogue()
		var out, errOut bytes.Buffer
		args := append(append([]string{"import", "--timings"}, flags...), "../../testdata/acled_sample.csv")
		if err := run(ctx, args, env, &out, &errOut); err != nil {
			t.Fatalf("import %v: %v\n%s", flags, err, errOut.String())
		}
		if !strings.Contains(out.String(), "created 6,") {
			t.Errorf("import %v printed %q", flags, out.String())
		}
		// Its steps say which way it went.
		if rebuilt := strings.Contains(errOut.String(), "rebuild indexes"); rebuilt != (i == 1) {
			t.Errorf("import %v: rebuilt indexes %v; its steps:\n%s", flags, rebuilt, errOut.String())
		}
		if after := catalogue(); after != before {
			t.Errorf("import %v changed the indexes or foreign keys:\n%s\nwas\n%s", flags, after, before)
		}
		if err := raw.QueryRowContext(ctx, `
			SELECT (SELECT count(*) FROM events) || ' events, ' || (SELECT count(*) FROM event_revisions) || ' revisions, ' ||
				(SELECT sum(n) FROM event_cell_totals WHERE z = 0) || ' on the map, ' ||
				(SELECT count(*) FROM event_actors) || ' actor links, ' || (SELECT count(*) FROM event_sources) || ' source links'`).Scan(&counts[i]); err != nil {
			t.Fatal(err)
		}
	}
	if counts[0] != counts[1] || !strings.HasPrefix(counts[0], "6 events, 6 revisions, 6 on the map") {
		t.Errorf("live import: %s; exclusive: %s", counts[0], counts[1])
	}
}

package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkWrite measures accepted writes per second through the whole
// stack (HTTP, auth, validation, PostGIS validity check, event + actors +
// sources + revision in one transaction, synchronous_commit on) against
// the floor: one INSERT of the same event row sent straight to PostgreSQL
// in its own committed transaction. Compare the two ns/op figures from one
// run (`make bench`); their ratio is the cost of everything the API adds.
func BenchmarkWrite(b *testing.B) {
	w := newWriteEnv(b)
	var syncCommit string
	if err := w.raw.QueryRow(`SHOW synchronous_commit`).Scan(&syncCommit); err != nil {
		b.Fatal(err)
	}
	b.Logf("synchronous_commit = %s", syncCommit)

	b.Run("api-post", func(b *testing.B) {
		client := &http.Client{}
		for i := 0; b.Loop(); i++ {
			body := strings.Replace(newEvent, "Clash near Palmyra", fmt.Sprintf("Clash near Palmyra %d", i), 1)
			req, _ := http.NewRequest("POST", w.ts.URL+"/collections/events/items", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+w.editor)
			req.Header.Set("Content-Type", "application/geo+json")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.Run("sql-insert", func(b *testing.B) {
		ctx := context.Background()
		for i := 0; b.Loop(); i++ {
			_, err := w.raw.ExecContext(ctx, `
				INSERT INTO events (type, title, occurred_at, time_precision, geom, geo_precision, place, country, fatalities)
				VALUES ('clash', $1, '2025-10-21T14:00:00Z', 'day', ST_SetSRID(ST_MakePoint(38.28, 34.55), 4326), 'town', 'Palmyra', 'SYR', 2)`,
				fmt.Sprintf("Clash near Palmyra %d", i))
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

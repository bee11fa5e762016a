package transfer_test

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"eventmap"
	"eventmap/demo"
	"eventmap/exchange"
	"eventmap/store"
	"eventmap/transfer"
)

// oldCSV is the CSV export as it was written before SQL built the rows:
// every Feature of an NDJSON export decoded and written by exchange's
// CSVWriter in Go.
func oldCSV(t *testing.T, db *store.DB, f store.EventFilter) []byte {
	t.Helper()
	var out bytes.Buffer
	w := exchange.NewCSVWriter(&out)
	for line := range bytes.SplitSeq(bytes.TrimSuffix(export(t, db, exchange.NDJSON, f), []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if err := w.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// trickyEvents are events whose CSV rows exercise every rule of the
// writer: quoting, local days in offsets and IANA zones, ACLED's kept
// columns (edited or not), countries moved away from their kept iso,
// actor roles, duplicate publishers, extra members that JSON escapes.
func trickyEvents() []*eventmap.Event {
	count := func(n int) *int { return &n }
	base := func(i int) *eventmap.Event {
		return &eventmap.Event{
			Geometry: orb.Point{36.2 + float64(i)/1000, 33.5}, Type: "clash", Title: "t", Country: "SYR",
			OccurredAt: time.Date(2024, 3, 9, 22, 30, 15, 123400000, time.UTC), TimePrecision: "day",
			GeoPrecision: "exact", Status: "reported", Visibility: "public",
		}
	}
	var out []*eventmap.Event
	add := func(f func(ev *eventmap.Event)) {
		ev := base(len(out))
		f(ev)
		out = append(out, ev)
	}
	add(func(ev *eventmap.Event) { ev.Title = `a "quoted", comma title` })
	add(func(ev *eventmap.Event) { ev.Title = " leading space"; ev.Summary = "line one\nline two\r\nthree" })
	add(func(ev *eventmap.Event) { ev.Title = "\u00a0nbsp first"; ev.Place = `\.` })
	add(func(ev *eventmap.Event) { ev.Title = "\u3000ideographic"; ev.Admin1 = "tab\tinside" })
	add(func(ev *eventmap.Event) { ev.Title = "very first v"; ev.Place = "\vvertical tab"; ev.Admin1 = "\ffeed" })
	add(func(ev *eventmap.Event) { ev.TZ = "+03:00" })
	add(func(ev *eventmap.Event) {
		ev.TZ = "-05:30"
		ev.OccurredAt = time.Date(2024, 1, 1, 2, 0, 0, 0, time.UTC)
	})
	add(func(ev *eventmap.Event) { ev.TZ = "+00:00" })
	add(func(ev *eventmap.Event) { ev.TZ = "Asia/Damascus" })
	add(func(ev *eventmap.Event) {
		ev.TZ = "America/New_York"
		ev.OccurredAt = time.Date(2024, 7, 1, 3, 0, 0, 0, time.UTC)
	})
	add(func(ev *eventmap.Event) { ev.TZ = "Asia/Kolkata"; ev.TimePrecision = "month" })
	add(func(ev *eventmap.Event) { ev.TZ = "UTC"; ev.TimePrecision = "exact" })
	add(func(ev *eventmap.Event) {
		ev.Fatalities, ev.CivilianFatalities = count(12), count(0)
		ev.Tags = []string{"a", "b, c", `d"e`}
		ev.GeoPrecision = "town"
	})
	add(func(ev *eventmap.Event) {
		ev.Actors = []eventmap.EventActor{
			{Name: "P1", Role: "perpetrator"}, {Name: "V1", Role: "victim"}, {Name: "P2", Role: "perpetrator"},
			{Name: "Ally", Role: "partner"}, {Name: "T1", Role: "target"}, {Name: "W", Role: "reporter"},
		}
	})
	add(func(ev *eventmap.Event) {
		ev.Sources = []eventmap.EventSource{
			{URL: "https://a.example/1", Publisher: "A"}, {URL: "https://b.example/2"},
			{URL: "https://a.example/3", Publisher: "A"}, {URL: "https://c.example/4", Publisher: "C, Inc."},
		}
	})
	add(func(ev *eventmap.Event) {
		ev.Extra = map[string]string{"b": "<x> & y", "a": "line\nsep\u2028", "Z": "\"q\"", "inter1": "3", "admin2": "Dist"}
	})
	add(func(ev *eventmap.Event) {
		ev.Type = "airstrike"
		ev.Extra = map[string]string{"event_type": "Explosions/Remote violence", "sub_event_type": "Shelling/artillery/missile attack",
			"disorder_type": "Political violence", "iso": "760", "country": "Syria", "source": "Kept source", "timestamp": "1700000000"}
	})
	add(func(ev *eventmap.Event) {
		// Edited since import: the kept pair no longer fits the type.
		ev.Type = "arrest"
		ev.Extra = map[string]string{"event_type": "Battles", "sub_event_type": "Armed clash", "disorder_type": "Political violence"}
	})
	add(func(ev *eventmap.Event) {
		ev.Type = "other"
		ev.Extra = map[string]string{"event_type": "Protests", "sub_event_type": ""}
	})
	add(func(ev *eventmap.Event) {
		// Moved to Lebanon after an import from Syria.
		ev.Country = "LBN"
		ev.Extra = map[string]string{"iso": "760", "country": "Syria"}
	})
	add(func(ev *eventmap.Event) {
		ev.Extra = map[string]string{"iso": "+0760", "country": "Syrian Arab Republic"}
	})
	add(func(ev *eventmap.Event) { ev.Extra = map[string]string{"iso": "abc"} })
	add(func(ev *eventmap.Event) { ev.Country = "IRQ"; ev.Extra = map[string]string{"country": "Iraq"} })
	add(func(ev *eventmap.Event) { ev.Country = "IRQ"; ev.Extra = map[string]string{"country": "Syria"} })
	add(func(ev *eventmap.Event) { ev.Country = "XKX" })
	add(func(ev *eventmap.Event) { ev.Country = "ZZZ" })
	add(func(ev *eventmap.Event) { ev.Geometry = orb.Point{-0.000001, 0.1} })
	add(func(ev *eventmap.Event) { ev.Geometry = orb.Point{179.999999, -89.5} })
	add(func(ev *eventmap.Event) {
		ev.Geometry = orb.Polygon{{{36, 33}, {36.1, 33}, {36.1, 33.1}, {36, 33.1}, {36, 33}}}
		ev.Title = "an area, between points"
	})
	add(func(ev *eventmap.Event) { ev.Geometry = orb.LineString{{36, 33}, {36.3, 33.2}} })
	add(func(ev *eventmap.Event) { ev.ExternalID = `SYR"1,2` })
	return out
}

func exportBatched(t *testing.T, db *store.DB, format exchange.Format, f store.EventFilter, batch int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := transfer.Export(context.Background(), db, f, &buf, transfer.ExportOptions{Format: format, Batch: batch}); err != nil {
		t.Fatalf("export: %v", err)
	}
	return buf.Bytes()
}

func importEvents(t *testing.T, db *store.DB, evs []*eventmap.Event) {
	t.Helper()
	i := 0
	res, err := db.Import(context.Background(), func() (eventmap.Row, error) {
		if i == len(evs) {
			return eventmap.Row{}, io.EOF
		}
		i++
		return eventmap.Row{Line: i, Event: evs[i-1]}, nil
	}, store.ImportOptions{Editor: "t", Reason: "t"})
	if err != nil || res.Created != len(evs) {
		t.Fatalf("import: %v %+v", err, res)
	}
}

// The CSV export from the stored lines is byte for byte the one Go writes
// from the Features: on synthetic events (points and areas, restricted ones), the
// ACLED sample, the demo events and the tricky ones above, across many
// batches with areas (written by Go) between the lines.
func TestCSVExportMatchesGo(t *testing.T) {
	ctx := context.Background()
	db, raw := openDB(t)
	if _, err := demo.Load(ctx, db); err != nil {
		t.Fatal(err)
	}
	mustImport(t, db, "../testdata/acled_sample.csv")
	if res, err := db.Import(ctx, demo.Synthetic(1500, 7), store.ImportOptions{Editor: "t", Reason: "t"}); err != nil || res.Created != 1500 {
		t.Fatalf("load: %v %+v", err, res)
	}
	importEvents(t, db, trickyEvents())
	// Else Go would write the rows and the comparison prove nothing.
	var lines, missing int
	if err := raw.QueryRow(`SELECT count(csv_line), count(*) FILTER (WHERE csv_line IS NULL AND GeometryType(geom) = 'POINT')
		FROM events WHERE deleted_at IS NULL`).Scan(&lines, &missing); err != nil || lines < 1500 || missing != 0 {
		t.Fatalf("%d stored CSV lines, %d points without one (%v)", lines, missing, err)
	}
	for _, f := range []store.EventFilter{{}, {IncludeRestricted: true}} {
		got, want := exportBatched(t, db, exchange.CSV, f, 97), oldCSV(t, db, f)
		if !bytes.Equal(got, want) {
			g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
			for i := range min(len(g), len(w)) {
				if g[i] != w[i] {
					t.Fatalf("restricted %v: line %d differs:\n got %q\nwant %q", f.IncludeRestricted, i+1, g[i], w[i])
				}
			}
			t.Fatalf("restricted %v: %d lines, want %d", f.IncludeRestricted, len(g), len(w))
		}
		if n := bytes.Count(got, []byte("\n")); n < 1500 {
			t.Errorf("only %d lines", n)
		}
	}
	// An "as of" export reads revisions through a cursor and writes
	// every row in Go: the same bytes too.
	asOf := store.EventFilter{AsOf: time.Now().Add(time.Hour)}
	if got, want := export(t, db, exchange.CSV, asOf), oldCSV(t, db, asOf); !bytes.Equal(got, want) {
		t.Errorf("as_of export differs from Go's")
	}
	if !slices.Contains(exchange.Columns, "wkt") {
		t.Fatal("no wkt column")
	}
}

package exchange

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"eventmap"
	"eventmap/geo"
)

// servedFeatures are Features as the API serves them (store builds them
// in SQL): an exact-time raid made here with every actor role, an area of
// region precision with unknown counts, an ACLED import with its own
// columns kept, and a restricted event in Kosovo (no ISO code).
func servedFeatures(t *testing.T) [][]byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/served_features.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
}

// servedFeature is a served Feature decoded: its geometry as sent, its
// properties as the event the CSV writer reads.
type servedFeature struct {
	ID         string
	Geometry   json.RawMessage
	Properties *eventmap.Event
}

func decodeServed(t *testing.T, raw []byte) servedFeature {
	t.Helper()
	ev, err := eventmap.DecodeServedFeature(raw)
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ Geometry json.RawMessage }
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return servedFeature{ID: ev.ID, Geometry: g.Geometry, Properties: ev}
}

// csvOf writes features with the CSV writer and returns the rows (header
// first).
func csvOf(t *testing.T, features ...[]byte) [][]string {
	t.Helper()
	var b bytes.Buffer
	w := NewCSVWriter(&b)
	for _, f := range features {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("the CSV we wrote does not parse: %v", err)
	}
	return recs
}

// rowOf is the one row written for feature, by column.
func rowOf(t *testing.T, feature []byte) map[string]string {
	t.Helper()
	recs := csvOf(t, feature)
	if len(recs) != 2 {
		t.Fatalf("%d records, want header and one row", len(recs))
	}
	row := map[string]string{}
	for i, col := range recs[0] {
		row[col] = recs[1][i]
	}
	return row
}

// readBack writes feature as CSV and reads the file back as events.
func readBack(t *testing.T, feature []byte) *eventmap.Event {
	t.Helper()
	var b bytes.Buffer
	w := NewCSVWriter(&b)
	if err := w.Write(feature); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(&b, CSV)
	if err != nil {
		t.Fatalf("our CSV header is refused: %v", err)
	}
	row, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if row.Event == nil {
		t.Fatalf("our CSV row is refused: %+v", row.Errors)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the one row: %v, want io.EOF", err)
	}
	return row.Event
}

// servedJSON is ev as the API would serve it after an import: what a
// second export of the imported event writes from.
func servedJSON(t *testing.T, ev *eventmap.Event, version int64, updatedAt time.Time) []byte {
	t.Helper()
	var ext any
	if ev.ExternalID != "" {
		ext = ev.ExternalID
	}
	sources := []map[string]string{}
	for _, s := range ev.Sources {
		sources = append(sources, map[string]string{"url": s.URL})
	}
	b, err := json.Marshal(map[string]any{
		"type": "Feature", "id": ev.ID, "geometry": geometryJSON(ev.Geometry),
		"properties": map[string]any{
			"type": ev.Type, "title": ev.Title, "summary": ev.Summary, "occurred_at": ev.OccurredAt,
			"time_precision": ev.TimePrecision, "tz": ev.TZ, "place": ev.Place, "admin1": ev.Admin1, "country": ev.Country,
			"geo_precision": ev.GeoPrecision, "fatalities": ev.Fatalities, "civilian_fatalities": ev.CivilianFatalities,
			"status": ev.Status, "visibility": ev.Visibility, "tags": ev.Tags, "actors": ev.Actors,
			"sources": sources, "external_id": ext, "extra": ev.Extra, "version": version, "updated_at": updatedAt,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A served Feature written as a CSV row and read back is the same event:
// what a researcher exports from one eventmap and imports into another.
// Only what README says CSV cannot carry is lost: a source's publisher,
// title and excerpt.
func TestCSVRowRoundTrip(t *testing.T) {
	for _, raw := range servedFeatures(t) {
		f := decodeServed(t, raw)
		p := f.Properties
		t.Run(p.Title, func(t *testing.T) {
			ev := readBack(t, raw)
			str := []struct{ name, got, want string }{
				{"id", ev.ID, f.ID},
				{"type", ev.Type, p.Type},
				{"title", ev.Title, p.Title},
				{"summary", ev.Summary, p.Summary},
				{"time_precision", ev.TimePrecision, p.TimePrecision},
				{"tz", ev.TZ, p.TZ},
				{"geo_precision", ev.GeoPrecision, p.GeoPrecision},
				{"place", ev.Place, p.Place},
				{"admin1", ev.Admin1, p.Admin1},
				{"country", ev.Country, p.Country},
				{"status", ev.Status, p.Status},
				{"visibility", ev.Visibility, p.Visibility},
				{"fatalities", optInt(ev.Fatalities), optInt(p.Fatalities)},
				{"civilian_fatalities", optInt(ev.CivilianFatalities), optInt(p.CivilianFatalities)},
				{"external_id", ev.ExternalID, p.ExternalID},
			}
			for _, s := range str {
				if s.got != s.want {
					t.Errorf("%s %q, want %q", s.name, s.got, s.want)
				}
			}
			if got, want := ev.OccurredAt, p.OccurredAt; !got.Equal(want) {
				t.Errorf("occurred_at %v, want %v", got, want)
			}
			g, err := geo.ParseGeometry(f.Geometry, limits)
			if err != nil {
				t.Fatal(err)
			}
			if !orb.Equal(ev.Geometry, g) {
				t.Errorf("geometry %v, want %v", ev.Geometry, g)
			}
			if got, want := ev.Tags, p.Tags; !slices.Equal(got, want) {
				t.Errorf("tags %q, want %q", got, want)
			}
			if got, want := ev.Actors, p.Actors; !slices.Equal(got, want) {
				t.Errorf("actors %+v, want %+v", got, want)
			}
			var gotURLs, wantURLs []string
			for _, s := range ev.Sources {
				gotURLs = append(gotURLs, s.URL)
			}
			for _, s := range p.Sources {
				wantURLs = append(wantURLs, s.URL)
			}
			if !slices.Equal(gotURLs, wantURLs) {
				t.Errorf("source urls %q, want %q", gotURLs, wantURLs)
			}
			for k, v := range p.Extra {
				if got := ev.Extra[k]; got != v {
					t.Errorf("extra %s %q, want %q", k, got, v)
				}
			}
		})
	}
}

// The imported event exports as the same row: export, import elsewhere,
// export again gives the same file (version and updated_at are the new
// database's).
func TestCSVRowIsStableAcrossImport(t *testing.T) {
	for _, raw := range servedFeatures(t) {
		f := decodeServed(t, raw)
		t.Run(f.Properties.Title, func(t *testing.T) {
			first := rowOf(t, raw)
			ev := readBack(t, raw)
			second := rowOf(t, servedJSON(t, ev, 1, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
			for _, col := range Columns {
				if col == "version" || col == "updated_at" {
					continue
				}
				if first[col] != second[col] {
					t.Errorf("%s: %q, then %q", col, first[col], second[col])
				}
			}
		})
	}
}

// What scripts written for ACLED files read from our rows.
func TestCSVRowACLEDColumns(t *testing.T) {
	features := servedFeatures(t)
	tests := []struct {
		name    string
		feature []byte
		want    map[string]string
	}{
		{"exact raid made here", features[0], map[string]string{
			"event_id_cnty":  "",
			"event_date":     "2025-10-19",
			"year":           "2025",
			"time_precision": "1", // exact has no ACLED code: the day
			"disorder_type":  "Political violence",
			"event_type":     "Battles",
			"sub_event_type": "Armed clash",
			"actor1":         "Military Forces of the United States (2025-)",
			"assoc_actor_1":  "Syrian Free Army",
			"actor2":         "Khaled al-Masoud",
			"assoc_actor_2":  "Islamic State (Syria)",
			"iso":            "760",
			"country":        "Syria",
			"latitude":       "33.6439",
			"longitude":      "36.6939",
			"geo_precision":  "1",
			"source":         "Syrian Observatory for Human Rights; Example News",
			"notes":          "At 03:00 US forces and the Syrian Free Army raided a house in Dumayr, killing Khaled al-Masoud.\nFirst reported as \"an IS official\", he was later said to be an undercover anti-IS agent.",
			"fatalities":     "1",
			"tags":           "corrected report; night raid",
			"timestamp":      "1761039000",
			// ours
			"occurred_at":         "2025-10-19T03:00:00+03:00", // in the event's zone
			"occurred_precision":  "exact",
			"tz":                  "+03:00",
			"civilian_fatalities": "0",
			"actors":              "Military Forces of the United States (2025-) (perpetrator); Syrian Free Army (partner); Khaled al-Masoud (victim); Islamic State (Syria) (target); Syrian Observatory for Human Rights (reporter)",
			"source_urls":         "https://example.org/sohr/dumayr; https://example.org/news/correction",
			"wkt":                 "POINT(36.6939 33.6439)",
			"extra":               `{"first_report":"IS official captured"}`,
			"version":             "2",
			"updated_at":          "2025-10-21T09:30:00.123456Z",
		}},
		{"area of region precision", features[1], map[string]string{
			"time_precision":      "2",
			"geo_precision":       "3",
			"latitude":            "32.8", // the area's centroid
			"longitude":           "36.5",
			"fatalities":          "", // unknown, not 0
			"civilian_fatalities": "",
			"sub_event_type":      "Disrupted weapons use",
			"actor2":              "",
			"wkt":                 "POLYGON((35.8 32.3,37.2 32.3,37.2 33.3,35.8 33.3,35.8 32.3))",
			"extra":               "",
		}},
		{"ACLED import", features[2], map[string]string{
			"event_id_cnty":      "SYR1003",
			"event_date":         "2025-10-16",
			"disorder_type":      "Political violence",
			"event_type":         "Explosions/Remote violence",
			"sub_event_type":     "Air/drone strike",
			"inter1":             "8",
			"inter2":             "7",
			"interaction":        "78",
			"civilian_targeting": "Civilian targeting",
			"region":             "Middle East",
			"admin2":             "الميادين",
			"source":             "Deir Ezzor 24; Step News Agency",
			"source_scale":       "Subnational-National",
			"timestamp":          "1760900200", // ACLED's, not our updated_at
			"fatalities":         "0",
			"extra":              `{"population_best":"12000"}`,
		}},
		{"Kosovo", features[3], map[string]string{
			"iso":            "0",
			"country":        "Kosovo",
			"time_precision": "3",
			"latitude":       "42.666667",
			"visibility":     "restricted",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := rowOf(t, tt.feature)
			for _, col := range slices.Sorted(maps.Keys(tt.want)) {
				if got, want := row[col], tt.want[col]; got != want {
					t.Errorf("%s %q, want %q", col, got, want)
				}
			}
		})
	}
}

// Every precision of ours is written as a code the reader turns back into
// it (exact time through our occurred_precision column).
func TestCSVPrecisionCodes(t *testing.T) {
	raw := servedFeatures(t)[2]
	setPrecision := func(key, value string) []byte {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		doc["properties"].(map[string]any)[key] = value
		b, _ := json.Marshal(doc)
		return b
	}
	timeCodes := map[string]string{"exact": "1", "day": "1", "week": "2", "month": "3"}
	for _, p := range eventmap.TimePrecisions {
		t.Run("time "+p, func(t *testing.T) {
			f := setPrecision("time_precision", p)
			if got, want := rowOf(t, f)["time_precision"], timeCodes[p]; got != want {
				t.Errorf("time_precision %s written as %q, want %q", p, got, want)
			}
			if got, want := readBack(t, f).TimePrecision, p; got != want {
				t.Errorf("time_precision %s read back as %q", want, got)
			}
		})
	}
	geoCodes := map[string]string{"exact": "1", "town": "2", "region": "3"}
	for _, p := range eventmap.GeoPrecisions {
		t.Run("geo "+p, func(t *testing.T) {
			f := setPrecision("geo_precision", p)
			if got, want := rowOf(t, f)["geo_precision"], geoCodes[p]; got != want {
				t.Errorf("geo_precision %s written as %q, want %q", p, got, want)
			}
			if got, want := readBack(t, f).GeoPrecision, p; got != want {
				t.Errorf("geo_precision %s read back as %q", want, got)
			}
		})
	}
}

// An empty export is still a CSV with our header, so scripts reading it
// by column name do not break on a selection that matched nothing.
func TestCSVWriterWithoutRows(t *testing.T) {
	recs := csvOf(t)
	if len(recs) != 1 || !slices.Equal(recs[0], Columns) {
		t.Errorf("empty export %q, want only the header", recs)
	}
	if got, want := strings.Join(recs[0][:3], ","), "event_id_cnty,event_date,year"; got != want {
		t.Errorf("header starts %q, want ACLED's %q", got, want)
	}
}

func TestCoord(t *testing.T) {
	tests := []struct {
		x    float64
		want string
	}{
		{33.6439, "33.6439"},
		{33.50, "33.5"},
		{-4.0, "-4"},
		{36.12345649, "36.123456"},
		{36.1234565, "36.123457"},
		{-179.9999999, "-180"},
		{0, "0"},
	}
	for _, tt := range tests {
		if got := Coord(tt.x); got != tt.want {
			t.Errorf("Coord(%v) = %q, want %q", tt.x, got, tt.want)
		}
	}
}

// An ACLED event corrected here (moved to Iraq, retyped an airstrike)
// keeps ACLED's original columns in extra. The export must say what the
// event is now: an ACLED script would count the old type, and a re-import
// of the export would move the event back to the old country.
func TestCSVRowOfEditedACLEDEvent(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(servedFeatures(t)[2], &doc); err != nil {
		t.Fatal(err)
	}
	props := doc["properties"].(map[string]any)
	extra := props["extra"].(map[string]any)
	// As imported from ACLED: a battle in Syria.
	extra["event_type"], extra["sub_event_type"], extra["iso"], extra["country"] = "Battles", "Armed clash", "760", "Syria"
	props["country"], props["type"] = "IRQ", "airstrike"
	edited, _ := json.Marshal(doc)

	row := rowOf(t, edited)
	want := map[string]string{
		"iso": "368", "country": "Iraq",
		"disorder_type": "Political violence", "event_type": "Explosions/Remote violence", "sub_event_type": "Air/drone strike",
	}
	for _, col := range slices.Sorted(maps.Keys(want)) {
		if got, want := row[col], want[col]; got != want {
			t.Errorf("%s %q, want %q", col, got, want)
		}
	}
	ev := readBack(t, edited)
	if got, want := ev.Country, "IRQ"; got != want {
		t.Errorf("re-imported in %s, want %s", got, want)
	}

	// Unedited, ACLED's own columns come back as they were, even where
	// ours would say it otherwise (Violence against civilians/Attack is
	// our raid; ACLED's name for the country is kept).
	extra["event_type"], extra["sub_event_type"], extra["disorder_type"] = "Violence against civilians", "Attack", "Political violence"
	extra["iso"], extra["country"] = "384", "Ivory Coast"
	props["country"], props["type"] = "CIV", "raid"
	kept, _ := json.Marshal(doc)
	row = rowOf(t, kept)
	want = map[string]string{
		"iso": "384", "country": "Ivory Coast", "event_type": "Violence against civilians", "sub_event_type": "Attack",
	}
	for _, col := range slices.Sorted(maps.Keys(want)) {
		if got, want := row[col], want[col]; got != want {
			t.Errorf("unedited: %s %q, want %q", col, got, want)
		}
	}
}

// latitude/longitude place every row for tools that read only them: a
// point, or the middle of a line, area or collection.
func TestPosition(t *testing.T) {
	tests := []struct {
		name string
		g    orb.Geometry
		want orb.Point
	}{
		{"point", orb.Point{36.6939, 33.6439}, orb.Point{36.6939, 33.6439}},
		{"polygon", orb.Polygon{{{35.8, 32.3}, {37.2, 32.3}, {37.2, 33.3}, {35.8, 33.3}, {35.8, 32.3}}}, orb.Point{36.5, 32.8}},
		{"line", orb.LineString{{35.8, 32.3}, {37.2, 32.3}}, orb.Point{36.5, 32.3}},
		{"multipoint", orb.MultiPoint{{36, 32}, {37, 34}}, orb.Point{36.5, 33}},
		// orb's own centroid weighs a collection's parts by area, which
		// points and lines lack: these came out at 0, 0, off West Africa.
		{"collection of a point", orb.Collection{orb.Point{36.6939, 33.6439}}, orb.Point{36.6939, 33.6439}},
		{"collection of points", orb.Collection{orb.Point{36, 32}, orb.Point{37, 34}}, orb.Point{36.5, 33}},
		{"collection of a point and a line", orb.Collection{orb.Point{30, 30}, orb.LineString{{35.8, 32.3}, {37.2, 32.3}}}, orb.Point{36.5, 32.3}},
		{"collection with an area", orb.Collection{orb.Point{30, 30}, orb.Polygon{{{35.8, 32.3}, {37.2, 32.3}, {37.2, 33.3}, {35.8, 33.3}, {35.8, 32.3}}}}, orb.Point{36.5, 32.8}},
		{"nested collection", orb.Collection{orb.Collection{orb.Point{36, 32}}, orb.Point{37, 34}}, orb.Point{36.5, 33}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Position(tt.g)
			if Coord(got[0]) != Coord(tt.want[0]) || Coord(got[1]) != Coord(tt.want[1]) {
				t.Errorf("Position = %v, want %v", got, tt.want)
			}
		})
	}
}

// An event with a zone is written on its local day: event_date and
// occurred_at in the event's offset, as ACLED lists events, and read back
// as the same instant and zone.
func TestCSVRowLocalDay(t *testing.T) {
	raw := servedFeatures(t)[0]
	// 23:30 UTC on the 18th is 02:30 on the 19th in Dumayr.
	raw = bytes.Replace(raw, []byte(`"occurred_at":"2025-10-19T00:00:00+00:00"`), []byte(`"occurred_at":"2025-10-18T23:30:00+00:00"`), 1)
	if !bytes.Contains(raw, []byte(`"tz":"+03:00"`)) || !bytes.Contains(raw, []byte(`2025-10-18T23:30`)) {
		t.Fatal("the fixture's first event is not the Dumayr raid at +03:00")
	}
	row := rowOf(t, raw)
	if row["event_date"] != "2025-10-19" || row["occurred_at"] != "2025-10-19T02:30:00+03:00" || row["tz"] != "+03:00" {
		t.Errorf("event_date %q, occurred_at %q, tz %q; want the local day 2025-10-19, 02:30+03:00, +03:00", row["event_date"], row["occurred_at"], row["tz"])
	}
	ev := readBack(t, raw)
	if want := time.Date(2025, 10, 18, 23, 30, 0, 0, time.UTC); !ev.OccurredAt.Equal(want) || ev.TZ != "+03:00" {
		t.Errorf("read back as %v tz %q", ev.OccurredAt, ev.TZ)
	}
	// Without a zone the day stays UTC's.
	utc := bytes.Replace(raw, []byte(`"tz":"+03:00"`), []byte(`"tz":""`), 1)
	if row := rowOf(t, utc); row["event_date"] != "2025-10-18" || row["tz"] != "" {
		t.Errorf("no zone: event_date %q tz %q", row["event_date"], row["tz"])
	}
}

package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"eventmap"
	"eventmap/cql2"
	"eventmap/demo"
	"eventmap/geo"
	"eventmap/internal/testdb"
	"eventmap/store"
)

// sampleDB is a fresh database holding the sample events: seven public
// ones (ids ending 01-07) and the restricted Damascus arrest (08).
func sampleDB(t *testing.T) *store.DB {
	t.Helper()
	db := testdb.Open(t)
	if _, err := demo.Load(context.Background(), db); err != nil {
		t.Fatalf("load sample data: %v", err)
	}
	return db
}

// ids lists the events f selects by the last two digits of their ids
// (the sample ids differ only there), sorted.
func filteredIDs(t *testing.T, db *store.DB, f store.EventFilter) ([]string, error) {
	t.Helper()
	var out []string
	_, err := db.ListEvents(context.Background(), f, store.Page{Limit: 100}, func(feature []byte) error {
		var v struct{ ID string }
		if err := json.Unmarshal(feature, &v); err != nil {
			return err
		}
		out = append(out, v.ID[len(v.ID)-2:])
		return nil
	})
	slices.Sort(out)
	return out, err
}

func prop(name string) string { return `{"property":"` + name + `"}` }

func op(name string, args ...string) string {
	return `{"op":"` + name + `","args":[` + strings.Join(args, ",") + `]}`
}

func want(suffixes ...string) []string { return suffixes }

// For each filter the text and the JSON encodings select the same events,
// and those are the events the sample data says they should be.
func TestCQLFilterSelectsTheExpectedEvents(t *testing.T) {
	t.Parallel()
	db := sampleDB(t)
	tests := []struct {
		text, json string
		want       []string
	}{
		{`type = 'clash'`, op("=", prop("type"), `"clash"`), want("03", "07")},
		{`type <> 'clash'`, op("<>", prop("type"), `"clash"`), want("01", "02", "04", "05", "06")},
		{`fatalities > 0`, op(">", prop("fatalities"), `0`), want("01", "04", "07")},
		{`fatalities >= 1 AND fatalities <= 2`, op("and", op(">=", prop("fatalities"), `1`), op("<=", prop("fatalities"), `2`)), want("01", "07")},
		{`3 <= fatalities`, op("<=", `3`, prop("fatalities")), want("04")},
		{`fatalities < 1`, op("<", prop("fatalities"), `1`), want("05", "06")},
		{`fatalities = 99999999999`, op("=", prop("fatalities"), `99999999999`), nil},
		// Unknown is not zero: NULL counts match neither a comparison nor its negation.
		{`NOT fatalities > 0`, op("not", op(">", prop("fatalities"), `0`)), want("05", "06")},
		{`fatalities IS NULL`, op("isNull", prop("fatalities")), want("02", "03")},
		{`fatalities IS NOT NULL`, op("not", op("isNull", prop("fatalities"))), want("01", "04", "05", "06", "07")},
		{`civilian_fatalities = 0`, op("=", prop("civilian_fatalities"), `0`), want("04", "05", "06")},
		{`title LIKE 'Fictional sample:%'`, op("like", prop("title"), `"Fictional sample:%"`), want("03", "04", "05", "06", "07")},
		{`title NOT LIKE 'Fictional%'`, op("not", op("like", prop("title"), `"Fictional%"`)), want("01", "02")},
		{`place LIKE 'D_m%'`, op("like", prop("place"), `"D_m%"`), want("01")},
		{`summary LIKE '%Khaled al-Masoud%'`, op("like", prop("summary"), `"%Khaled al-Masoud%"`), want("01")},
		{`fatalities BETWEEN 1 AND 2`, op("between", prop("fatalities"), `1`, `2`), want("01", "07")},
		{`fatalities NOT BETWEEN 1 AND 2`, op("not", op("between", prop("fatalities"), `1`, `2`)), want("04", "05", "06")},
		{`type IN ('raid', 'airstrike')`, op("in", prop("type"), `["raid","airstrike"]`), want("01", "04")},
		{`status NOT IN ('reported')`, op("not", op("in", prop("status"), `["reported"]`)), want("01", "04", "05", "07")},
		{`country = 'SYR' AND admin1 = 'Homs'`, op("and", op("=", prop("country"), `"SYR"`), op("=", prop("admin1"), `"Homs"`)), want("03", "06")},
		{`geo_precision = 'region' OR time_precision = 'month'`, op("or", op("=", prop("geo_precision"), `"region"`), op("=", prop("time_precision"), `"month"`)), want("02")},
		{`(type = 'clash' OR type = 'raid') AND NOT status = 'disputed'`, op("and", op("or", op("=", prop("type"), `"clash"`), op("=", prop("type"), `"raid"`)), op("not", op("=", prop("status"), `"disputed"`))), want("01", "03")},
		{`occurred_at >= TIMESTAMP('2025-10-01T00:00:00Z')`, op(">=", prop("occurred_at"), `{"timestamp":"2025-10-01T00:00:00Z"}`), want("01", "02", "06")},
		// The Dumayr raid was at 03:00+03:00, midnight UTC on the 19th.
		{`occurred_at = TIMESTAMP('2025-10-19T03:00:00+03:00')`, op("=", prop("occurred_at"), `{"timestamp":"2025-10-19T00:00:00Z"}`), want("01")},
		// A DATE is its whole UTC day.
		{`occurred_at = DATE('2025-09-14')`, op("=", prop("occurred_at"), `{"date":"2025-09-14"}`), want("03")},
		{`occurred_at <> DATE('2025-09-14')`, op("<>", prop("occurred_at"), `{"date":"2025-09-14"}`), want("01", "02", "04", "05", "06", "07")},
		{`occurred_at <= DATE('2025-10-19')`, op("<=", prop("occurred_at"), `{"date":"2025-10-19"}`), want("01", "03", "04", "05", "07")},
		{`occurred_at < DATE('2025-10-19')`, op("<", prop("occurred_at"), `{"date":"2025-10-19"}`), want("03", "04", "05", "07")},
		{`occurred_at > DATE('2025-10-19')`, op(">", prop("occurred_at"), `{"date":"2025-10-19"}`), want("02", "06")},
		{`occurred_at BETWEEN DATE('2025-07-21') AND DATE('2025-08-02')`, op("between", prop("occurred_at"), `{"date":"2025-07-21"}`, `{"date":"2025-08-02"}`), want("04", "05")},
		{`occurred_at IN (DATE('2025-06-10'), TIMESTAMP('2025-10-25T00:00:00Z'))`, op("in", prop("occurred_at"), `[{"date":"2025-06-10"},{"timestamp":"2025-10-25T00:00:00Z"}]`), want("06", "07")},
		{`updated_at > TIMESTAMP('2000-01-01T00:00:00Z')`, op(">", prop("updated_at"), `{"timestamp":"2000-01-01T00:00:00Z"}`), want("01", "02", "03", "04", "05", "06", "07")},
		{`T_INTERSECTS(occurred_at, INTERVAL('2025-10-01', '2025-10-31'))`, op("t_intersects", prop("occurred_at"), `{"interval":["2025-10-01","2025-10-31"]}`), want("01", "06")},
		{`T_INTERSECTS(occurred_at, INTERVAL('..', '2025-07-31'))`, op("t_intersects", prop("occurred_at"), `{"interval":["..","2025-07-31"]}`), want("05", "07")},
		{`T_INTERSECTS(occurred_at, INTERVAL(TIMESTAMP('2025-09-14T21:30:00Z'), '..'))`, op("t_intersects", prop("occurred_at"), `{"interval":[{"timestamp":"2025-09-14T21:30:00Z"},".."]}`), want("01", "02", "03", "06")},
		{`T_INTERSECTS(occurred_at, INTERVAL('2025-06-10T00:00:00Z', '2025-07-21T05:10:00Z'))`, op("t_intersects", prop("occurred_at"), `{"interval":["2025-06-10T00:00:00Z","2025-07-21T05:10:00Z"]}`), want("05", "07")},
		{`T_INTERSECTS(occurred_at, DATE('2025-11-01'))`, op("t_intersects", prop("occurred_at"), `{"date":"2025-11-01"}`), want("02")},
		{`T_INTERSECTS(occurred_at, INTERVAL('..', '..'))`, op("t_intersects", prop("occurred_at"), `{"interval":["..",".."]}`), want("01", "02", "03", "04", "05", "06", "07")},
		{`S_INTERSECTS(geometry, BBOX(36, 33, 37, 34))`, op("s_intersects", prop("geometry"), `{"bbox":[36,33,37,34]}`), want("01", "02")},
		{`S_INTERSECTS(geometry, BBOX(170, -10, -170, 10))`, op("s_intersects", prop("geometry"), `{"bbox":[170,-10,-170,10]}`), nil},
		// Inside the caches' area, far from any point event.
		{`S_INTERSECTS(geometry, POINT(36.5 32.8))`, op("s_intersects", prop("geometry"), `{"type":"Point","coordinates":[36.5,32.8]}`), want("02")},
		{`S_INTERSECTS(POLYGON((38 34, 41 34, 41 36, 38 36, 38 34)), geometry)`, op("s_intersects", `{"type":"Polygon","coordinates":[[[38,34],[41,34],[41,36],[38,36],[38,34]]]}`, prop("geometry")), want("03", "04")},
		{`S_INTERSECTS(geometry, LINESTRING(36.6939 33, 36.6939 34))`, op("s_intersects", prop("geometry"), `{"type":"LineString","coordinates":[[36.6939,33],[36.6939,34]]}`), want("01", "02")},
		{`S_INTERSECTS(geometry, MULTIPOINT((37.1343 36.2021), (0 0)))`, op("s_intersects", prop("geometry"), `{"type":"MultiPoint","coordinates":[[37.1343,36.2021],[0,0]]}`), want("05")},
		{`S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(40.1408 35.3359), POLYGON((36.6 35.6, 36.8 35.6, 36.8 35.7, 36.6 35.7, 36.6 35.6))))`, op("s_intersects", prop("geometry"), `{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[40.1408,35.3359]},{"type":"Polygon","coordinates":[[[36.6,35.6],[36.8,35.6],[36.8,35.7],[36.6,35.7],[36.6,35.6]]]}]}`), want("04", "07")},
		// A self-intersecting "bow tie" is repaired, not a database error.
		{`S_INTERSECTS(geometry, POLYGON((36 33, 37 34, 37 33, 36 34, 36 33)))`, op("s_intersects", prop("geometry"), `{"type":"Polygon","coordinates":[[[36,33],[37,34],[37,33],[36,34],[36,33]]]}`), want("01", "02")},
		// actor matches when any linked actor does.
		{`actor = 'Islamic State'`, op("=", prop("actor"), `"Islamic State"`), want("02", "03")},
		{`actor LIKE 'US%'`, op("like", prop("actor"), `"US%"`), want("01", "02", "04")},
		{`actor IS NULL`, op("isNull", prop("actor")), want("05")},
		{`NOT actor = 'US forces'`, op("not", op("=", prop("actor"), `"US forces"`)), want("03", "04", "05", "06", "07")},
		{`actor IN ('Syrian General Security', 'Unidentified armed group')`, op("in", prop("actor"), `["Syrian General Security","Unidentified armed group"]`), want("06", "07")},
		{`actor = 'US forces' AND actor = 'Islamic State'`, op("and", op("=", prop("actor"), `"US forces"`), op("=", prop("actor"), `"Islamic State"`)), want("02")},
		// Property with property (basic-cql2); unknown on either side selects nothing.
		{`fatalities > civilian_fatalities`, op(">", prop("fatalities"), prop("civilian_fatalities")), want("04")},
		{`"civilian_fatalities" = "fatalities"`, op("=", prop("civilian_fatalities"), prop("fatalities")), want("01", "05", "06")},
		{`NOT fatalities > civilian_fatalities`, op("not", op(">", prop("fatalities"), prop("civilian_fatalities"))), want("01", "05", "06")},
		{`updated_at > occurred_at`, op(">", prop("updated_at"), prop("occurred_at")), want("01", "02", "03", "04", "05", "06", "07")},
		{`place = admin1`, op("=", prop("place"), prop("admin1")), want("04", "05", "06")},
		{`actor <> title`, op("<>", prop("actor"), prop("title")), want("01", "02", "03", "04", "06", "07")},
		{`TRUE`, `true`, want("01", "02", "03", "04", "05", "06", "07")},
		{`FALSE`, `false`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			fromText, err := store.ParseFilter("cql2-text", tt.text)
			if err != nil {
				t.Fatalf("text: %v", err)
			}
			fromJSON, err := store.ParseFilter("cql2-json", tt.json)
			if err != nil {
				t.Fatalf("json %s: %v", tt.json, err)
			}
			gotText, err := filteredIDs(t, db, store.EventFilter{Where: fromText})
			if err != nil {
				t.Fatalf("text: %v", err)
			}
			gotJSON, err := filteredIDs(t, db, store.EventFilter{Where: fromJSON})
			if err != nil {
				t.Fatalf("json: %v", err)
			}
			if !reflect.DeepEqual(gotText, tt.want) {
				t.Errorf("text selects %v, want %v", gotText, tt.want)
			}
			if !reflect.DeepEqual(gotJSON, tt.want) {
				t.Errorf("json %s selects %v, want %v", tt.json, gotJSON, tt.want)
			}
		})
	}
}

var geoBBoxPalmyra = geo.BBox{West: 38, South: 34, East: 39, North: 35}

// The CQL2 filter narrows the other filters; it does not replace them.
func TestCQLFilterCombinesWithBBox(t *testing.T) {
	t.Parallel()
	db := sampleDB(t)
	where, err := store.ParseFilter("", `fatalities IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := filteredIDs(t, db, store.EventFilter{Where: where, BBox: &geoBBoxPalmyra})
	if err != nil {
		t.Fatal(err)
	}
	if want := want("03"); !reflect.DeepEqual(got, want) {
		t.Errorf("fatalities IS NULL within the Palmyra box selects %v, want %v", got, want)
	}
}

// Injection attempts are refused by the parser as EINVALID, or run as
// the harmless filter they literally are; never a database error, and the
// events are all still there afterwards.
func TestCQLInjectionAttemptsAreHarmless(t *testing.T) {
	t.Parallel()
	db := sampleDB(t)
	tests := []struct {
		lang, src string
		want      []string // when the parser accepts it
	}{
		{"cql2-text", `title = 'x'' OR 1=1 --'`, nil},
		{"cql2-text", `title = 'x''); DROP TABLE events; --'`, nil},
		{"cql2-text", `title LIKE '%''; SELECT pg_sleep(10); --%'`, nil},
		{"cql2-text", `title LIKE '%\'`, nil},
		{"cql2-text", `title LIKE '%\\'`, nil},
		{"cql2-text", `place = '\'' OR ''1''=''1'`, nil},
		{"cql2-text", `"; DROP TABLE events; --`, nil},
		{"cql2-text", `title = 'x'; DROP TABLE events; --`, nil},
		{"cql2-text", `title = 'x' -- AND type = 'raid'`, nil},
		{"cql2-text", `/* */ type = 'raid'`, nil},
		{"cql2-text", `type = 'raid' /* comment */`, nil},
		{"cql2-text", `"title"" = 'x' OR ""title" = 'x'`, nil},
		{"cql2-text", `e.visibility = 'restricted'`, nil},
		{"cql2-text", `visibility = 'restricted'`, nil},
		{"cql2-text", `deleted_at IS NULL`, nil},
		{"cql2-text", `properties IS NULL`, nil},
		{"cql2-text", `pg_sleep(10) IS NULL`, nil},
		{"cql2-text", `title = (SELECT title FROM events)`, nil},
		{"cql2-text", `title = current_user`, nil},
		{"cql2-text", `fatalities = 1e309`, nil},
		{"cql2-text", `fatalities = 9007199254740993`, nil},
		{"cql2-text", `fatalities > -9007199254740992`, want("01", "04", "05", "06", "07")},
		{"cql2-text", `fatalities = 2147483648`, nil},
		{"cql2-text", "title = '\x00'", nil},
		{"cql2-text", `occurred_at > TIMESTAMP('0001-01-01T00:00:00Z')`, want("01", "02", "03", "04", "05", "06", "07")},
		{"cql2-text", `occurred_at < TIMESTAMP('9999-12-31T23:59:59.999999999Z')`, want("01", "02", "03", "04", "05", "06", "07")},
		{"cql2-text", `T_INTERSECTS(occurred_at, INTERVAL('0001-01-01', '9999-12-31'))`, want("01", "02", "03", "04", "05", "06", "07")},
		{"cql2-text", `S_INTERSECTS(geometry, BBOX(-180, -90, 180, 90))`, want("01", "02", "03", "04", "05", "06", "07")},
		{"cql2-text", `S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 0 0, 1 1)))`, nil},
		{"cql2-text", `S_INTERSECTS(geometry, POLYGON((0 0, 0 0, 0 0, 0 0)))`, nil},
		{"cql2-text", `S_INTERSECTS(geometry, LINESTRING(1 1, 1 1))`, nil},
		{"cql2-text", strings.Repeat("(", 100) + "TRUE" + strings.Repeat(")", 100), nil},
		{"cql2-text", "type IN (" + strings.TrimSuffix(strings.Repeat("'raid',", 1000), ",") + ")", want("01")},
		{"cql2-json", `{"op":"=","args":[{"property":"title"},"x' OR 1=1 --"]}`, nil},
		{"cql2-json", `{"op":"=","args":[{"property":"title\"; DROP TABLE events; --"},"x"]}`, nil},
		{"cql2-json", `{"op":"=","args":[{"property":"e.visibility"},"restricted"]}`, nil},
		{"cql2-json", `{"op":"=","args":[{"property":"type"},"raid"],"sql":"; DROP TABLE events"}`, nil},
		{"cql2-json", `{"op":"=","args":[{"function":{"name":"pg_sleep","args":[10]}},1]}`, nil},
		{"cql2-json", `{"op":"= 1; DROP TABLE events; --","args":[{"property":"type"},"raid"]}`, nil},
		{"cql2-json", `{"op":"like","args":[{"property":"title"},"\u0000"]}`, nil},
		{"cql2-json", `{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[1,2],"crs":{"type":"name"}}]}`, nil},
		{"sql", `1=1`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.lang+" "+tt.src[:min(len(tt.src), 60)], func(t *testing.T) {
			t.Parallel()
			where, err := store.ParseFilter(tt.lang, tt.src)
			if err != nil {
				if code := eventmap.ErrorCode(err); code != eventmap.EINVALID {
					t.Fatalf("parser error %v has code %q, want %q", err, code, eventmap.EINVALID)
				}
				return
			}
			got, err := filteredIDs(t, db, store.EventFilter{Where: where})
			if err != nil {
				t.Fatalf("accepted as %s but the query failed: %v", where, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("accepted as %s, selects %v, want %v", where, got, tt.want)
			}
		})
	}
	t.Cleanup(func() {
		if got, err := filteredIDs(t, db, store.EventFilter{IncludeRestricted: true}); err != nil || len(got) != 8 {
			t.Errorf("after the injection attempts the events are %v, %v; want all 8", got, err)
		}
	})
}

// A filter aimed squarely at the restricted event finds it only for
// callers allowed to see it.
func TestCQLFilterNeverRevealsRestrictedEvents(t *testing.T) {
	t.Parallel()
	db := sampleDB(t)
	for _, src := range []string{
		`place = 'Damascus'`,
		`title LIKE '%restricted%'`,
		`actor = 'Unidentified armed group' AND occurred_at = DATE('2025-11-03')`,
		`S_INTERSECTS(geometry, POINT(36.2765 33.5138))`,
		`T_INTERSECTS(occurred_at, DATE('2025-11-03')) OR TRUE AND place = 'Damascus'`,
		`NOT (place <> 'Damascus')`,
	} {
		t.Run(src, func(t *testing.T) {
			t.Parallel()
			where, err := store.ParseFilter("", src)
			if err != nil {
				t.Fatal(err)
			}
			anon, err := filteredIDs(t, db, store.EventFilter{Where: where})
			if err != nil {
				t.Fatal(err)
			}
			if len(anon) != 0 {
				t.Errorf("anonymous callers see %v", anon)
			}
			allowed, err := filteredIDs(t, db, store.EventFilter{Where: where, IncludeRestricted: true})
			if err != nil {
				t.Fatal(err)
			}
			if want := want("08"); !reflect.DeepEqual(allowed, want) {
				t.Errorf("allowed callers see %v, want %v (else the filter proves nothing)", allowed, want)
			}
		})
	}
	if _, err := store.ParseFilter("", `visibility = 'restricted'`); !isInvalidFilter(err) {
		t.Errorf("visibility is filterable (%v); it must not be a queryable", err)
	}
}

// Every queryable reaches a real column: a comparison and an IS NULL on
// each run without a database error.
func TestEveryQueryableCompiles(t *testing.T) {
	t.Parallel()
	db := sampleDB(t)
	for _, q := range store.Queryables {
		var cmp string
		switch q.Type {
		case cql2.String:
			v := "x"
			if len(q.Enum) > 0 {
				v = q.Enum[0]
			}
			cmp = q.Name + " = '" + v + "'"
		case cql2.Integer:
			cmp = q.Name + " >= 0"
		case cql2.Timestamp:
			cmp = q.Name + " >= TIMESTAMP('2025-01-01T00:00:00Z')"
		case cql2.Geometry:
			cmp = "S_INTERSECTS(" + q.Name + ", BBOX(-180, -90, 180, 90))"
		default:
			t.Fatalf("queryable %s has type %s, which no test covers", q.Name, q.Type)
		}
		for _, src := range []string{cmp, q.Name + " IS NULL"} {
			where, err := store.ParseFilter("", src)
			if err != nil {
				t.Errorf("%s: %v", src, err)
				continue
			}
			if _, err := filteredIDs(t, db, store.EventFilter{Where: where}); err != nil {
				t.Errorf("%s: %v", src, err)
			}
		}
	}
}

// The queryables document lists exactly the public properties.
func TestQueryablesDocument(t *testing.T) {
	t.Parallel()
	doc := store.Queryables.JSONSchema("http://127.0.0.1:8080/collections/events/queryables", "Conflict events")
	props := doc["properties"].(map[string]any)
	var names []string
	for n := range props {
		names = append(names, n)
	}
	slices.Sort(names)
	want := []string{"actor", "admin1", "civilian_fatalities", "country", "fatalities", "geo_precision", "geometry", "occurred_at", "place", "status", "summary", "time_precision", "title", "type", "updated_at"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("queryables %v, want %v", names, want)
	}
	if got := props["type"].(map[string]any)["enum"]; !reflect.DeepEqual(got, eventmap.EventTypes) {
		t.Errorf("type enum %v, want %v", got, eventmap.EventTypes)
	}
	if got := props["geometry"]; !reflect.DeepEqual(got, map[string]any{"format": "geometry-any", "x-ogc-role": "primary-geometry", "description": "Where it happened (WGS 84); an area for imprecise locations"}) {
		t.Errorf("geometry schema %v", got)
	}
	// The one-kind collections say which kind: clients type their layer by it.
	for shape, want := range map[store.Shape]string{store.AsPoint: "geometry-point", store.AreasOnly: "geometry-multipolygon"} {
		doc := store.QueryablesFor(shape).JSONSchema("http://127.0.0.1:8080/q", "q")
		if got := doc["properties"].(map[string]any)["geometry"].(map[string]any)["format"]; got != want {
			t.Errorf("shape %d: geometry format %v, want %s", shape, got, want)
		}
	}
	if doc["additionalProperties"] != false {
		t.Errorf("additionalProperties = %v, want false", doc["additionalProperties"])
	}
}

func isInvalidFilter(err error) bool {
	var e *eventmap.Error
	return errors.As(err, &e) && e.Code == eventmap.EINVALID && len(e.Errors) == 1 && e.Errors[0].Field == "filter"
}

// Whatever the parser accepts from the fuzz seed corpus, including its
// injection-looking inputs, runs without a database error.
func TestCQLFuzzCorpusNeverCausesADatabaseError(t *testing.T) {
	t.Parallel()
	db := sampleDB(t)
	accepted := 0
	for lang, dir := range map[string]string{"cql2-text": "FuzzParseText", "cql2-json": "FuzzParseJSON"} {
		files, err := filepath.Glob(filepath.Join("..", "cql2", "testdata", "fuzz", dir, "*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no corpus in %s: %v", dir, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// "go test fuzz v1\nstring(\"…\")\n" or "[]byte(\"…\")".
			_, arg, _ := strings.Cut(strings.TrimSpace(string(b)), "(")
			src, err := strconv.Unquote(strings.TrimSuffix(arg, ")"))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			where, err := store.ParseFilter(lang, src)
			if err != nil {
				if !isInvalidFilter(err) {
					t.Errorf("%s: %v is not an EINVALID filter error", f, err)
				}
				continue
			}
			accepted++
			if _, err := filteredIDs(t, db, store.EventFilter{Where: where}); err != nil {
				t.Errorf("%s: accepted as %s but the query failed: %v", f, where, err)
			}
		}
	}
	if accepted < 10 {
		t.Errorf("only %d corpus entries were accepted; the test would prove little", accepted)
	}
}

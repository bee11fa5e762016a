package cql2

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"eventmap"
	"eventmap/geo"
)

// testQueryables covers every type, including the two (boolean, number)
// the events table does not use yet.
var testQueryables = Queryables{
	{Name: "type", Type: String, Enum: []string{"raid", "airstrike", "clash"}, Description: "kind of event"},
	{Name: "title", Type: String},
	{Name: "status", Type: String, Enum: []string{"reported", "confirmed", "retracted"}},
	{Name: "fatalities", Type: Integer},
	{Name: "score", Type: Number},
	{Name: "verified", Type: Boolean},
	{Name: "occurred_at", Type: Timestamp},
	{Name: "geometry", Type: Geometry},
	{Name: "and", Type: String}, // a property spelt like a keyword
}

func str(s string) Literal   { return Literal{Kind: KindString, Str: s} }
func num(f float64) Literal  { return Literal{Kind: KindNumber, Num: f} }
func boolean(b bool) Literal { return Literal{Kind: KindBool, Bool: b} }

func ts(s string) Literal {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return Literal{Kind: KindTimestamp, Time: t.UTC()}
}

func date(s string) Literal {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return Literal{Kind: KindDate, Time: t}
}

func ptr(l Literal) *Literal { return &l }

func cmp(op Op, prop string, v Literal) Compare { return Compare{Op: op, Prop: prop, Value: v} }

var (
	isRaid   = cmp(Eq, "type", str("raid"))
	killed   = cmp(Gt, "fatalities", num(0))
	verified = cmp(Eq, "verified", boolean(true))
)

// Every supported operator, written in both encodings: each pair must
// give the same AST, and printing that AST must parse back to it.
func TestParseBothEncodingsGiveTheSameAST(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, json string
		want             Expr
	}{
		{"equal string", `type = 'raid'`, `{"op":"=","args":[{"property":"type"},"raid"]}`, isRaid},
		{"keywords and spacing are free", "type='raid'", `{"op": "=", "args": [{"property": "type"}, "raid"]}`, isRaid},
		{"not equal", `status <> 'retracted'`, `{"op":"<>","args":[{"property":"status"},"retracted"]}`, cmp(Ne, "status", str("retracted"))},
		{"less", `fatalities < 3`, `{"op":"<","args":[{"property":"fatalities"},3]}`, cmp(Lt, "fatalities", num(3))},
		{"less or equal", `fatalities <= 3`, `{"op":"<=","args":[{"property":"fatalities"},3]}`, cmp(Le, "fatalities", num(3))},
		{"greater", `fatalities > 0`, `{"op":">","args":[{"property":"fatalities"},0]}`, killed},
		{"greater or equal", `fatalities >= 1e2`, `{"op":">=","args":[{"property":"fatalities"},100]}`, cmp(Ge, "fatalities", num(100))},
		{"literal on the left is flipped", `0 < fatalities`, `{"op":"<","args":[0,{"property":"fatalities"}]}`, killed},
		{"negative and fractional numbers", `score >= -2.5`, `{"op":">=","args":[{"property":"score"},-2.5]}`, cmp(Ge, "score", num(-2.5))},
		{"boolean", `verified = true`, `{"op":"=","args":[{"property":"verified"},true]}`, verified},
		{"boolean literal predicate", `TRUE`, `true`, Bool{Value: true}},
		{"quoted property", `"title" = 'x'`, `{"op":"=","args":[{"property":"title"},"x"]}`, cmp(Eq, "title", str("x"))},
		{"property spelt like a keyword", `"and" = 'x'`, `{"op":"=","args":[{"property":"and"},"x"]}`, cmp(Eq, "and", str("x"))},
		{"doubled quote in a string", `title = 'x'' OR 1=1 --'`, `{"op":"=","args":[{"property":"title"},"x' OR 1=1 --"]}`, cmp(Eq, "title", str("x' OR 1=1 --"))},
		{"unicode string", `title = 'دمير'`, `{"op":"=","args":[{"property":"title"},"دمير"]}`, cmp(Eq, "title", str("دمير"))},
		{"and", `type = 'raid' AND fatalities > 0`, `{"op":"and","args":[` + jRaid + `,` + jKilled + `]}`, And{Args: []Expr{isRaid, killed}}},
		{"and chain is n-ary", `type = 'raid' and fatalities > 0 AND verified = TRUE`, `{"op":"and","args":[` + jRaid + `,` + jKilled + `,` + jVerified + `]}`, And{Args: []Expr{isRaid, killed, verified}}},
		{"parenthesised and inside and stays nested", `(type = 'raid' AND fatalities > 0) AND verified = TRUE`, `{"op":"and","args":[{"op":"and","args":[` + jRaid + `,` + jKilled + `]},` + jVerified + `]}`, And{Args: []Expr{And{Args: []Expr{isRaid, killed}}, verified}}},
		{"or", `type = 'raid' OR fatalities > 0`, `{"op":"or","args":[` + jRaid + `,` + jKilled + `]}`, Or{Args: []Expr{isRaid, killed}}},
		{"and binds tighter than or", `type = 'raid' OR fatalities > 0 AND verified = TRUE`, `{"op":"or","args":[` + jRaid + `,{"op":"and","args":[` + jKilled + `,` + jVerified + `]}]}`, Or{Args: []Expr{isRaid, And{Args: []Expr{killed, verified}}}}},
		{"parentheses override precedence", `(type = 'raid' OR fatalities > 0) AND verified = TRUE`, `{"op":"and","args":[{"op":"or","args":[` + jRaid + `,` + jKilled + `]},` + jVerified + `]}`, And{Args: []Expr{Or{Args: []Expr{isRaid, killed}}, verified}}},
		{"not", `NOT type = 'raid'`, `{"op":"not","args":[` + jRaid + `]}`, Not{Arg: isRaid}},
		{"not binds tighter than and", `not type = 'raid' AND fatalities > 0`, `{"op":"and","args":[{"op":"not","args":[` + jRaid + `]},` + jKilled + `]}`, And{Args: []Expr{Not{Arg: isRaid}, killed}}},
		{"is null", `fatalities IS NULL`, `{"op":"isNull","args":[{"property":"fatalities"}]}`, IsNull{Prop: "fatalities"}},
		{"is not null", `fatalities is not null`, `{"op":"not","args":[{"op":"isNull","args":[{"property":"fatalities"}]}]}`, Not{Arg: IsNull{Prop: "fatalities"}}},
		{"like", `title LIKE 'US%raid_'`, `{"op":"like","args":[{"property":"title"},"US%raid_"]}`, Like{Prop: "title", Pattern: "US%raid_"}},
		{"not like", `title NOT LIKE '%Fictional%'`, `{"op":"not","args":[{"op":"like","args":[{"property":"title"},"%Fictional%"]}]}`, Not{Arg: Like{Prop: "title", Pattern: "%Fictional%"}}},
		{"like with escaped wildcard", `title LIKE '100\%'`, `{"op":"like","args":[{"property":"title"},"100\\%"]}`, Like{Prop: "title", Pattern: `100\%`}},
		{"between", `fatalities BETWEEN 1 AND 3`, `{"op":"between","args":[{"property":"fatalities"},1,3]}`, Between{Prop: "fatalities", Low: num(1), High: num(3)}},
		{"not between", `fatalities NOT BETWEEN 1 AND 3`, `{"op":"not","args":[{"op":"between","args":[{"property":"fatalities"},1,3]}]}`, Not{Arg: Between{Prop: "fatalities", Low: num(1), High: num(3)}}},
		{"between dates", `occurred_at BETWEEN DATE('2025-10-01') AND DATE('2025-10-31')`, `{"op":"between","args":[{"property":"occurred_at"},{"date":"2025-10-01"},{"date":"2025-10-31"}]}`, Between{Prop: "occurred_at", Low: date("2025-10-01"), High: date("2025-10-31")}},
		{"in", `type IN ('raid', 'clash')`, `{"op":"in","args":[{"property":"type"},["raid","clash"]]}`, In{Prop: "type", Values: []Literal{str("raid"), str("clash")}}},
		{"not in", `fatalities NOT IN (0, 1)`, `{"op":"not","args":[{"op":"in","args":[{"property":"fatalities"},[0,1]]}]}`, Not{Arg: In{Prop: "fatalities", Values: []Literal{num(0), num(1)}}}},
		{"timestamp", `occurred_at >= TIMESTAMP('2025-10-19T03:00:00+03:00')`, `{"op":">=","args":[{"property":"occurred_at"},{"timestamp":"2025-10-19T00:00:00Z"}]}`, cmp(Ge, "occurred_at", ts("2025-10-19T00:00:00Z"))},
		{"date", `occurred_at < date('2025-10-19')`, `{"op":"<","args":[{"property":"occurred_at"},{"date":"2025-10-19"}]}`, cmp(Lt, "occurred_at", date("2025-10-19"))},
		{"timestamp on the left", `TIMESTAMP('2025-10-19T00:00:00Z') > occurred_at`, `{"op":">","args":[{"timestamp":"2025-10-19T00:00:00Z"},{"property":"occurred_at"}]}`, cmp(Lt, "occurred_at", ts("2025-10-19T00:00:00Z"))},
		{"s_intersects point", `S_INTERSECTS(geometry, POINT(36.69 33.64))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[36.69,33.64]}]}`, SIntersects{Prop: "geometry", Geom: orb.Point{36.69, 33.64}}},
		{"s_intersects literal first", `s_intersects(POINT(36.69 33.64), geometry)`, `{"op":"s_intersects","args":[{"type":"Point","coordinates":[36.69,33.64]},{"property":"geometry"}]}`, SIntersects{Prop: "geometry", Geom: orb.Point{36.69, 33.64}}},
		{"s_intersects linestring", `S_INTERSECTS(geometry, LINESTRING(36 33, 37 34))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"type":"LineString","coordinates":[[36,33],[37,34]]}]}`, SIntersects{Prop: "geometry", Geom: orb.LineString{{36, 33}, {37, 34}}}},
		{"s_intersects polygon with hole", `S_INTERSECTS(geometry, POLYGON((30 30, 40 30, 40 40, 30 40, 30 30), (33 33, 34 33, 34 34, 33 33)))`,
			`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[30,30],[40,30],[40,40],[30,40],[30,30]],[[33,33],[34,33],[34,34],[33,33]]]}]}`,
			SIntersects{Prop: "geometry", Geom: orb.Polygon{{{30, 30}, {40, 30}, {40, 40}, {30, 40}, {30, 30}}, {{33, 33}, {34, 33}, {34, 34}, {33, 33}}}}},
		{"s_intersects multipoint", `S_INTERSECTS(geometry, MULTIPOINT((1 2), 3 4))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}]}`, SIntersects{Prop: "geometry", Geom: orb.MultiPoint{{1, 2}, {3, 4}}}},
		{"s_intersects multilinestring", `S_INTERSECTS(geometry, MULTILINESTRING((1 2, 3 4), (5 6, 7 8)))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[5,6],[7,8]]]}]}`, SIntersects{Prop: "geometry", Geom: orb.MultiLineString{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}}},
		{"s_intersects multipolygon", `S_INTERSECTS(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5))))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}]}`, SIntersects{Prop: "geometry", Geom: orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, {{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}}}},
		{"s_intersects geometrycollection", `S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(1 2, 3 4)))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[1,2],[3,4]]}]}]}`, SIntersects{Prop: "geometry", Geom: orb.Collection{orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}}}}},
		{"s_intersects height is dropped", `S_INTERSECTS(geometry, POINT(1 2 300))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[1,2,300]}]}`, SIntersects{Prop: "geometry", Geom: orb.Point{1, 2}}},
		{"s_intersects bbox", `S_INTERSECTS(geometry, BBOX(35, 32, 42, 37))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[35,32,42,37]}]}`, SIntersects{Prop: "geometry", BBox: &geo.BBox{West: 35, South: 32, East: 42, North: 37}}},
		{"s_intersects bbox with heights", `S_INTERSECTS(geometry, BBOX(35, 32, 0, 42, 37, 10))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[35,32,0,42,37,10]}]}`, SIntersects{Prop: "geometry", BBox: &geo.BBox{West: 35, South: 32, East: 42, North: 37}}},
		{"s_intersects bbox across the antimeridian", `S_INTERSECTS(geometry, BBOX(170, -10, -170, 10))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[170,-10,-170,10]}]}`, SIntersects{Prop: "geometry", BBox: &geo.BBox{West: 170, South: -10, East: -170, North: 10}}},
		{"t_intersects date interval", `T_INTERSECTS(occurred_at, INTERVAL('2025-10-01', '2025-10-31'))`, `{"op":"t_intersects","args":[{"property":"occurred_at"},{"interval":["2025-10-01","2025-10-31"]}]}`, TIntersects{Prop: "occurred_at", Start: ptr(date("2025-10-01")), End: ptr(date("2025-10-31"))}},
		{"t_intersects DATE() ends equal bare dates", `T_INTERSECTS(occurred_at, INTERVAL(DATE('2025-10-01'), DATE('2025-10-31')))`, `{"op":"t_intersects","args":[{"property":"occurred_at"},{"interval":[{"date":"2025-10-01"},{"date":"2025-10-31"}]}]}`, TIntersects{Prop: "occurred_at", Start: ptr(date("2025-10-01")), End: ptr(date("2025-10-31"))}},
		{"t_intersects timestamps", `T_INTERSECTS(occurred_at, INTERVAL(TIMESTAMP('2025-10-01T00:00:00Z'), '2025-10-31T23:59:59Z'))`, `{"op":"t_intersects","args":[{"property":"occurred_at"},{"interval":[{"timestamp":"2025-10-01T00:00:00Z"},"2025-10-31T23:59:59Z"]}]}`, TIntersects{Prop: "occurred_at", Start: ptr(ts("2025-10-01T00:00:00Z")), End: ptr(ts("2025-10-31T23:59:59Z"))}},
		{"t_intersects open start", `T_INTERSECTS(occurred_at, INTERVAL('..', '2025-10-31'))`, `{"op":"t_intersects","args":[{"property":"occurred_at"},{"interval":["..","2025-10-31"]}]}`, TIntersects{Prop: "occurred_at", End: ptr(date("2025-10-31"))}},
		{"t_intersects open end", `T_INTERSECTS(occurred_at, INTERVAL('2025-10-01', '..'))`, `{"op":"t_intersects","args":[{"property":"occurred_at"},{"interval":["2025-10-01",".."]}]}`, TIntersects{Prop: "occurred_at", Start: ptr(date("2025-10-01"))}},
		{"property with property (basic-cql2)", `fatalities > score`, `{"op":">","args":[{"property":"fatalities"},{"property":"score"}]}`, CompareProperties{Op: Gt, Left: "fatalities", Right: "score"}},
		{"strings of different enums", `type <> status`, `{"op":"<>","args":[{"property":"type"},{"property":"status"}]}`, CompareProperties{Op: Ne, Left: "type", Right: "status"}},
		{"timestamps", `occurred_at <= occurred_at`, `{"op":"<=","args":[{"property":"occurred_at"},{"property":"occurred_at"}]}`, CompareProperties{Op: Le, Left: "occurred_at", Right: "occurred_at"}},
		{"booleans", `verified = verified`, `{"op":"=","args":[{"property":"verified"},{"property":"verified"}]}`, CompareProperties{Op: Eq, Left: "verified", Right: "verified"}},
		{"quoted, parenthesised, as QGIS writes it", `(("and" = title) AND (fatalities > 0))`, `{"op":"and","args":[{"op":"=","args":[{"property":"and"},{"property":"title"}]},` + jKilled + `]}`, And{Args: []Expr{CompareProperties{Op: Eq, Left: "and", Right: "title"}, killed}}},
		{"t_intersects instant", `T_INTERSECTS(occurred_at, DATE('2025-10-19'))`, `{"op":"t_intersects","args":[{"property":"occurred_at"},{"date":"2025-10-19"}]}`, TIntersects{Prop: "occurred_at", Start: ptr(date("2025-10-19")), End: ptr(date("2025-10-19"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fromText, err := ParseText(tt.text, testQueryables, Limits{})
			if err != nil {
				t.Fatalf("ParseText(%s): %v", tt.text, err)
			}
			fromJSON, err := ParseJSON([]byte(tt.json), testQueryables, Limits{})
			if err != nil {
				t.Fatalf("ParseJSON(%s): %v", tt.json, err)
			}
			if !reflect.DeepEqual(fromText, tt.want) {
				t.Errorf("ParseText(%s)\n got %#v\nwant %#v", tt.text, fromText, tt.want)
			}
			if !reflect.DeepEqual(fromJSON, tt.want) {
				t.Errorf("ParseJSON(%s)\n got %#v\nwant %#v", tt.json, fromJSON, tt.want)
			}
			printed := fromText.String()
			again, err := ParseText(printed, testQueryables, Limits{})
			if err != nil {
				t.Fatalf("printed form %q does not parse: %v", printed, err)
			}
			if !reflect.DeepEqual(again, tt.want) {
				t.Errorf("printed form %q parses to %#v, want %#v", printed, again, tt.want)
			}
		})
	}
}

const (
	jRaid     = `{"op":"=","args":[{"property":"type"},"raid"]}`
	jKilled   = `{"op":">","args":[{"property":"fatalities"},0]}`
	jVerified = `{"op":"=","args":[{"property":"verified"},true]}`
)

// A bad filter is an EINVALID error on the field "filter" whose rule says
// where (the byte for text, the JSON path for JSON) and what is wrong.
func TestParseTextErrorsNamePositionAndRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text, where, rule string
	}{
		{``, "byte 1", "empty"},
		{`   `, "byte 1", "empty"},
		{`foo = 1`, "byte 1", `unknown property "foo"`},
		{`visibility = 'public'`, "byte 1", `unknown property "visibility"`},
		{`"Type" = 'raid'`, "byte 1", `unknown property "Type"`},
		{`fatalities = 'x'`, "byte 14", "fatalities is an integer"},
		{`fatalities = 1.5`, "byte 14", "not a whole number"},
		{`fatalities = 99999999999999999999`, "byte 14", "not a whole number within ±2^53"},
		{`fatalities = 1e400`, "byte 14", "not a finite number"},
		{`fatalities = NaN`, "byte 14", `unknown property "NaN"`},
		{`fatalities = 0x1F`, "byte 14", `"0x1F" is not a number`},
		{`type = 'bogus'`, "byte 8", `"bogus" is not a value of type; allowed: raid, airstrike, clash`},
		{`type IN ('raid', 'bogus')`, "byte 18", `"bogus" is not a value of type`},
		{`title = 3`, "byte 9", "title is a string"},
		{`occurred_at > '2025-10-01'`, "byte 15", "occurred_at is a timestamp: compare it with TIMESTAMP"},
		{`occurred_at > TIMESTAMP('2025-10-01T00:00:00')`, "byte 25", "not an RFC 3339 timestamp with a time zone"},
		{`occurred_at > DATE('2025-13-01')`, "byte 20", "not a date"},
		{`verified > TRUE`, "byte 10", "only = and <> apply"},
		{`geometry = 'POINT(1 2)'`, "byte 12", "geometry is a geometry: use S_INTERSECTS"},
		{`title = fatalities`, "byte 7", "cannot compare title (string) with fatalities (integer)"},
		{`occurred_at > score`, "byte 13", "cannot compare occurred_at (timestamp) with score (number)"},
		{`geometry = geometry`, "byte 10", "geometries are not compared with =; use S_INTERSECTS(geometry"},
		{`verified < verified`, "byte 10", "verified and verified are booleans: only = and <> apply"},
		{`title = nope`, "byte 9", `unknown property "nope"`},
		{`1 = 1`, "byte 3", "needs a property on one side"},
		{`'x' LIKE title`, "byte 1", "LIKE needs a property on its left"},
		{`fatalities LIKE '1%'`, "byte 1", "LIKE applies to string properties"},
		{`title LIKE 'abc\'`, "byte 12", "must not end with a lone backslash"},
		{`title BETWEEN 'a' AND 'b'`, "byte 1", "BETWEEN applies to numbers and timestamps"},
		{`fatalities BETWEEN 1 OR 3`, "byte 22", "expected AND between the BETWEEN bounds"},
		{`fatalities IN ()`, "byte 16", "expected a property or a value, found ')'"},
		{`fatalities IS 3`, "byte 15", "expected NULL after IS"},
		{`fatalities NOT 3`, "byte 16", "expected LIKE, BETWEEN or IN after NOT"},
		{`fatalities`, "byte 11", "expected a comparison operator"},
		{`fatalities != 1`, "byte 12", "write <> for not equal"},
		{`fatalities + 1 > 2`, "byte 12", "arithmetic"},
		{`title = 'abc`, "byte 9", "unterminated string"},
		{`"title = 'abc'`, "byte 1", "unterminated quoted property name"},
		{`(type = 'raid'`, "byte 15", "expected ')' to close the '(' at byte 1"},
		{`type = 'raid')`, "byte 14", "unexpected ')' after a complete expression"},
		{`type = 'raid' type = 'clash'`, "byte 15", "unexpected \"type\" after a complete expression"},
		{`upper(title) = 'X'`, "byte 1", `function calls are not supported ("upper")`},
		{`CASEI(title) = casei('x')`, "byte 1", "CASEI is not supported"},
		{`S_WITHIN(geometry, POINT(1 2))`, "byte 1", "only S_INTERSECTS is"},
		{`T_BEFORE(occurred_at, DATE('2025-01-01'))`, "byte 1", "only T_INTERSECTS is"},
		{`A_CONTAINS(tags, ('x'))`, "byte 1", "array operator A_CONTAINS"},
		{`tags = ['x']`, "byte 8", "arrays are not supported"},
		{`title = NULL`, "byte 9", "use IS NULL"},
		{`and = 'x'`, "byte 1", `write "and" in double quotes`},
		{`S_INTERSECTS(geometry, POINT(200 10))`, "byte 30", "longitude 200 is outside -180..180"},
		{`S_INTERSECTS(geometry, POINT(10 -91))`, "byte 30", "latitude -91 is outside -90..90"},
		{`S_INTERSECTS(geometry, POINT(10))`, "byte 32", "a WKT position is two numbers"},
		{`S_INTERSECTS(geometry, LINESTRING(1 2))`, "byte 34", "at least 2 positions"},
		{`S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 1)))`, "byte 32", "not closed"},
		{`S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 0 0)))`, "byte 32", "at least 4 positions"},
		{`S_INTERSECTS(geometry, POINT EMPTY)`, "byte 30", "empty geometries are not supported"},
		{`S_INTERSECTS(geometry, POINT Z (1 2 3))`, "byte 30", "only 2D WKT"},
		{`S_INTERSECTS(geometry, CIRCLE(1 2))`, "byte 24", "expected a WKT geometry"},
		{`S_INTERSECTS(geometry, BBOX(1, 2, 3))`, "byte 24", "a BBOX has 4 or 6 numbers, got 3"},
		{`S_INTERSECTS(geometry, BBOX(0, 10, 1, 5))`, "byte 24", "south latitude 10 is greater than north latitude 5"},
		{`S_INTERSECTS(title, POINT(1 2))`, "byte 14", "S_INTERSECTS applies to geometry properties; title is string"},
		{`S_INTERSECTS(geometry, geometry)`, "byte 24", "not two properties"},
		{`S_INTERSECTS(POINT(1 2), POINT(1 2))`, "byte 26", "not two literals"},
		{`S_INTERSECTS(geometry)`, "byte 22", "expected ','"},
		{`POINT(1 2) = geometry`, "byte 1", "geometry literal is only allowed as an argument of S_INTERSECTS"},
		{`T_INTERSECTS(fatalities, DATE('2025-01-01'))`, "byte 14", "T_INTERSECTS applies to timestamp properties"},
		{`T_INTERSECTS(occurred_at, INTERVAL('2025-10-31', '2025-10-01'))`, "byte 1", "the interval starts"},
		{`T_INTERSECTS(occurred_at, INTERVAL('yesterday', '..'))`, "byte 36", `"yesterday" is not an RFC 3339 timestamp`},
		{`T_INTERSECTS(occurred_at, '2025-10-01')`, "byte 27", "expected INTERVAL(…), TIMESTAMP(…) or DATE(…)"},
		{`INTERVAL('2025-10-01', '..') = occurred_at`, "byte 1", "INTERVAL is only allowed as the second argument of T_INTERSECTS"},
		{"title = '\x00'", "byte 9", "NUL"},
		{"title = '\xff'", "byte 10", "not valid UTF-8"},
		{`title = 'a' @ 1`, "byte 13", `unexpected character "@"`},
		{`; DROP TABLE events; --`, "byte 1", `unexpected character ";"`},
		{`title = 'x'; DROP TABLE events; --`, "byte 12", `unexpected character ";"`},
		{`/* */ title = 'x'`, "byte 1", "arithmetic"},
		{`title = 'x' -- comment`, "byte 13", "arithmetic"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			e, err := ParseText(tt.text, testQueryables, Limits{})
			checkInvalid(t, e, err, tt.where, tt.rule)
		})
	}
}

func TestParseJSONErrorsNamePathAndRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json, where, rule string
	}{
		{``, "$", "not valid JSON"},
		{`{"op":"=","args":[{"property":"type"},"raid"]} {}`, "$", "data after the filter object"},
		{`"type = 'raid'"`, "$", "expected a boolean expression"},
		{`{"args":[]}`, "$", "expected a boolean expression"},
		{`{"op":1,"args":[]}`, "$.op", `"op" must be a string`},
		{`{"op":"=","args":{}}`, "$.args", `"args" must be an array`},
		{`{"op":"=","args":[{"property":"type"},"raid"],"sql":"DROP TABLE events"}`, "$", `unexpected member "sql"`},
		{`{"op":"=","args":[{"property":"type"}]}`, "$.args", `"=" takes 2 arguments, got 1`},
		{`{"op":"and","args":[{"op":"=","args":[{"property":"type"},"raid"]}]}`, "$.args", "at least 2 arguments"},
		{`{"op":"=","args":[{"property":"nope"},"raid"]}`, "$.args[0]", `unknown property "nope"`},
		{`{"op":"=","args":[{"property":"fatalities"},"x"]}`, "$.args[1]", "fatalities is an integer"},
		{`{"op":"=","args":[{"property":"type"},"bogus"]}`, "$.args[1]", `"bogus" is not a value of type`},
		{`{"op":"=","args":[{"property":"fatalities"},null]}`, "$.args[1]", "use the \"isNull\" operator"},
		{`{"op":"=","args":[{"property":"fatalities"},1e400]}`, "$.args[1]", "not a finite number"},
		{`{"op":"=","args":[{"property":"type"},"x\u0000"]}`, "$.args[1]", "NUL"},
		{`{"op":"=","args":[{"function":{"name":"upper","args":[{"property":"title"}]}},"X"]}`, "$.args[0]", "function calls are not supported"},
		{`{"op":"=","args":[{"op":"+","args":[{"property":"fatalities"},1]},2]}`, "$.args[0]", "arithmetic and nested operators are not supported"},
		{`{"op":"+","args":[1,2]}`, "$.op", `operator "+" is not supported`},
		{`{"op":"s_within","args":[{"property":"geometry"},{"type":"Point","coordinates":[1,2]}]}`, "$.op", "only s_intersects is"},
		{`{"op":"t_before","args":[{"property":"occurred_at"},{"date":"2025-01-01"}]}`, "$.op", "only t_intersects is"},
		{`{"op":"a_contains","args":[{"property":"tags"},["x"]]}`, "$.op", "array operator"},
		{`{"op":"=","args":[{"op":"casei","args":[{"property":"title"}]},"x"]}`, "$.args[0]", "nested operators are not supported"},
		{`{"op":"=","args":[{"property":"title"},{"property":"fatalities"}]}`, "$", "cannot compare title (string) with fatalities (integer)"},
		{`{"op":"in","args":[{"property":"type"},"raid"]}`, "$.args[1]", "array of values"},
		{`{"op":"in","args":[{"property":"type"},[]]}`, "$", "IN needs at least one value"},
		{`{"op":"in","args":[{"property":"type"},["raid",{"property":"title"}]]}`, "$.args[1][1]", "literal values, not properties"},
		{`{"op":"like","args":[{"property":"title"},3]}`, "$.args[1]", "a LIKE pattern is a 'quoted' string"},
		{`{"op":"between","args":[{"property":"fatalities"},1]}`, "$.args", `"between" takes 3 arguments, got 2`},
		{`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[200,0]}]}`, "$.args[1]", "longitude 200 is outside -180..180"},
		{`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[1,2],"crs":{}}]}`, "$.args[1]", `"crs" is not allowed`},
		{`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}]}`, "$.args[1]", "not closed"},
		{`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"MultiPoint","coordinates":[]}]}`, "$.args[1]", "empty geometries"},
		{`{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[1,2,3]}]}`, "$.args[1].bbox", "4 or 6 numbers, got 3"},
		{`{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[1,2,"3",4]}]}`, "$.args[1].bbox[2]", "not a number"},
		{`{"op":"s_intersects","args":[{"property":"title"},{"bbox":[1,2,3,4]}]}`, "$.args[0]", "S_INTERSECTS applies to geometry properties"},
		{`{"op":"s_intersects","args":[{"bbox":[1,2,3,4]},{"bbox":[1,2,3,4]}]}`, "$.args[1]", "not two literals"},
		{`{"op":"t_intersects","args":[{"property":"occurred_at"},{"interval":["2025-10-01"]}]}`, "$.args[1].interval", "an array of 2 ends"},
		{`{"op":"t_intersects","args":[{"property":"occurred_at"},{"interval":["2025-10-31","2025-10-01"]}]}`, "$", "the interval starts"},
		{`{"op":"t_intersects","args":[{"property":"occurred_at"},{"interval":[1,2]}]}`, "$.args[1].interval[0]", "an interval end is"},
		{`{"op":"=","args":[{"property":"occurred_at"},{"timestamp":"2025-10-01"}]}`, "$.args[1].timestamp", "not an RFC 3339 timestamp"},
		{`{"op":"=","args":[{"property":"occurred_at"},{"timestamp":"2025-10-01T00:00:00Z","date":"2025-10-01"}]}`, "$.args[1]", "unexpected member"},
		{`{"op":"=","args":[{"property":"occurred_at"},{"interval":["..",".."]}]}`, "$.args[1]", "only allowed as an argument of t_intersects"},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			t.Parallel()
			e, err := ParseJSON([]byte(tt.json), testQueryables, Limits{})
			checkInvalid(t, e, err, tt.where, tt.rule)
		})
	}
}

func checkInvalid(t *testing.T, e Expr, err error, where, rule string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted as %v; want an error at %s: %s", e, where, rule)
	}
	var ee *eventmap.Error
	if !errors.As(err, &ee) || ee.Code != eventmap.EINVALID || len(ee.Errors) != 1 || ee.Errors[0].Field != "filter" {
		t.Fatalf("error %#v is not one EINVALID on the field filter", err)
	}
	got := ee.Errors[0].Rule
	if !strings.HasPrefix(got, "at "+where+": ") || !strings.Contains(got, rule) {
		t.Errorf("rule %q; want it to start with %q and contain %q", got, "at "+where+": ", rule)
	}
}

func TestParseLimits(t *testing.T) {
	t.Parallel()
	deepText := strings.Repeat("(", 25) + "type = 'raid'" + strings.Repeat(")", 25)
	deepNot := strings.Repeat("NOT ", 25) + "type = 'raid'"
	deepJSON := strings.Repeat(`{"op":"not","args":[`, 25) + jRaid + strings.Repeat(`]}`, 25)
	manyOr := strings.TrimSuffix(strings.Repeat("fatalities = 1 OR ", 501), " OR ")
	manyIn := "fatalities IN (" + strings.TrimSuffix(strings.Repeat("1,", 1001), ",") + ")"
	manyInJSON := `{"op":"in","args":[{"property":"fatalities"},[` + strings.TrimSuffix(strings.Repeat("1,", 1001), ",") + `]]}`
	line := "S_INTERSECTS(geometry, LINESTRING(" + strings.TrimSuffix(strings.Repeat("1 2, ", 11), ", ") + "))"
	nested := "S_INTERSECTS(geometry, GEOMETRYCOLLECTION(GEOMETRYCOLLECTION(GEOMETRYCOLLECTION(POINT(1 2)))))"
	big := Limits{MaxLength: 1 << 20}
	tests := []struct {
		name  string
		parse func() (Expr, error)
		where string
		rule  string
	}{
		{"length", func() (Expr, error) {
			return ParseText("title = '"+strings.Repeat("x", 9000)+"'", testQueryables, Limits{})
		}, "byte 8193", "longer than 8192 bytes"},
		{"json length", func() (Expr, error) {
			return ParseJSON([]byte(strings.Repeat(" ", 9000)+"true"), testQueryables, Limits{})
		}, "$", "longer than 8192 bytes"},
		{"parentheses", func() (Expr, error) { return ParseText(deepText, testQueryables, Limits{}) }, "byte 21", "nested deeper than 20 levels"},
		{"NOT chain", func() (Expr, error) { return ParseText(deepNot, testQueryables, Limits{}) }, "byte 77", "nested deeper than 20 levels"},
		{"json nesting", func() (Expr, error) { return ParseJSON([]byte(deepJSON), testQueryables, Limits{}) }, "$" + strings.Repeat(".args[0]", 20), "nested deeper than 20 levels"},
		{"nodes", func() (Expr, error) { return ParseText(manyOr, testQueryables, big) }, "byte 9012", "more than 500 expression nodes"},
		{"IN list", func() (Expr, error) { return ParseText(manyIn, testQueryables, Limits{}) }, "byte 15", "at most 1000 values"},
		{"json IN list", func() (Expr, error) { return ParseJSON([]byte(manyInJSON), testQueryables, Limits{}) }, "$.args[1]", "at most 1000 values"},
		{"vertices", func() (Expr, error) {
			return ParseText(line, testQueryables, Limits{Geometry: geo.Limits{MaxVertices: 10}})
		}, "byte 85", "more than 10 vertices"},
		{"collection nesting", func() (Expr, error) { return ParseText(nested, testQueryables, Limits{}) }, "byte 62", "GEOMETRYCOLLECTION nesting deeper than 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := tt.parse()
			checkInvalid(t, e, err, tt.where, tt.rule)
		})
	}
	// Just inside the limits is accepted.
	if _, err := ParseText(strings.Repeat("(", 19)+"type = 'raid'"+strings.Repeat(")", 19), testQueryables, Limits{}); err != nil {
		t.Errorf("19 levels of parentheses: %v", err)
	}
	if _, err := ParseText("fatalities IN ("+strings.TrimSuffix(strings.Repeat("1,", 1000), ",")+")", testQueryables, Limits{}); err != nil {
		t.Errorf("IN list of 1000: %v", err)
	}
}

func TestParseLanguage(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"", "cql2-text"} {
		if e, err := Parse(lang, "type = 'raid'", testQueryables, Limits{}); err != nil || !reflect.DeepEqual(e, isRaid) {
			t.Errorf("Parse(%q) = %v, %v", lang, e, err)
		}
	}
	if e, err := Parse("cql2-json", jRaid, testQueryables, Limits{}); err != nil || !reflect.DeepEqual(e, isRaid) {
		t.Errorf("Parse(cql2-json) = %v, %v", e, err)
	}
	_, err := Parse("sql", "1=1", testQueryables, Limits{})
	var ee *eventmap.Error
	if !errors.As(err, &ee) || ee.Code != eventmap.EINVALID || ee.Errors[0].Field != "filter-lang" || !strings.Contains(ee.Errors[0].Rule, "cql2-text, cql2-json") {
		t.Errorf("Parse(sql): %v; want EINVALID on filter-lang listing the languages", err)
	}
}

func TestJSONSchema(t *testing.T) {
	t.Parallel()
	got := testQueryables[:8].JSONSchema("https://example.org/collections/events/queryables", "Events")
	want := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  "https://example.org/collections/events/queryables",
		"type":                 "object",
		"title":                "Events",
		"additionalProperties": false,
		"properties": map[string]any{
			"type":        map[string]any{"type": "string", "enum": []string{"raid", "airstrike", "clash"}, "description": "kind of event"},
			"title":       map[string]any{"type": "string"},
			"status":      map[string]any{"type": "string", "enum": []string{"reported", "confirmed", "retracted"}},
			"fatalities":  map[string]any{"type": "integer"},
			"score":       map[string]any{"type": "number"},
			"verified":    map[string]any{"type": "boolean"},
			"occurred_at": map[string]any{"type": "string", "format": "date-time"},
			"geometry":    map[string]any{"format": "geometry-any", "x-ogc-role": "primary-geometry"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("JSONSchema\n got %#v\nwant %#v", got, want)
	}
	points := Queryables{{Name: "geometry", Type: Geometry, Format: "geometry-point"}}.JSONSchema("https://example.org/q", "Points")
	if g := points["properties"].(map[string]any)["geometry"]; !reflect.DeepEqual(g, map[string]any{"format": "geometry-point", "x-ogc-role": "primary-geometry"}) {
		t.Errorf("a point collection's geometry queryable is %#v, want format geometry-point", g)
	}
}

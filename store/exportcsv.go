package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"eventmap"
	"eventmap/exchange"
)

// CSV lines kept ready (migrations/00014_csv_lines.sql). exchange's
// CSVWriter decodes each Feature and writes its row in Go, which at a
// million events cost ten times the reading of them; writing the rows in
// SQL at export time still cost forty-odd column expressions a row. So
// each point event's line is built in SQL when its Feature is written, by
// a BEFORE trigger whose function this file makes: one expression per
// property (from eventmap.Properties by kind) plus ACLED's derived
// columns, over the row and its Feature. Actors and sources are read
// from the Feature, which holds them in their order. An export streams
// the stored lines as it streams the Features.
//
// The rows must stay byte-identical to exchange's (TestCSVExportMatchesGo
// compares them). Where SQL cannot promise that, the line is NULL and Go
// writes the row from its Feature: the latitude and longitude of a line
// or an area are orb's centroid, which PostGIS computes in another order
// of floating-point operations, so only points get a line. Time zones
// are PostgreSQL's: an event whose IANA zone PostgreSQL does not know is
// shown in UTC here, as Go shows a zone it does not know (the two read
// the same system zone database on one machine); the zones both know are
// written into the function, so a new zone database makes a new function
// and every line is built again.

// csvLineInputs are what the CSV lines' function writes into itself:
// exchange's lookup tables and the time zones PostgreSQL and Go both
// know, as JSON.
func csvLineInputs(ctx context.Context, conn *sql.Conn) (lookups, zones string, err error) {
	rows, err := conn.QueryContext(ctx, `SELECT name FROM pg_timezone_names`)
	if err != nil {
		return "", "", wrapErr(err, "read time zones")
	}
	defer rows.Close()
	known := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return "", "", wrapErr(err, "read time zones")
		}
		if !offsetShaped(name) && eventmap.Location(name) != nil {
			known[name] = true
		}
	}
	if err := rows.Err(); err != nil {
		return "", "", wrapErr(err, "read time zones")
	}
	l, _ := json.Marshal(exchange.Lookups())
	z, _ := json.Marshal(known)
	return string(l), string(z), nil
}

// sqlString is s as an SQL string literal (standard_conforming_strings,
// on since PostgreSQL 9.1: only quotes are doubled). For text the code
// made (JSON of lookup tables), written into a function's body.
func sqlString(s string) string {
	return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
}

func offsetShaped(tz string) bool {
	return len(tz) == 6 && (tz[0] == '+' || tz[0] == '-') && tz[3] == ':'
}

// csvLineFunctionSQL creates the trigger function that writes
// NEW.csv_line, with the lookups and the zones (csvLineInputs) written
// into it as jsonb constants. RefreshServedFeatures installs it and
// builds every line again when its hash differs from the one the lines
// were built with. The line is built when the Feature is written (or the
// line was cleared to be built again); a row without a Feature, deleted,
// or not a point has none.
//
// Each step is a PL/pgSQL variable in a block labelled as the step (ac,
// so, z0, t0 ... v), so the column expressions read as over the laterals
// of one query, and every assignment is a "simple expression" that
// PL/pgSQL evaluates without starting an executor. Written as one query
// with laterals, the function started an executor for a plan of forty
// expressions per row: 0.5 to 1 ms a row, which doubled an import's time.
func csvLineFunctionSQL(lookups, zones string) string {
	l := sqlString(lookups) + `::jsonb`
	zones = sqlString(zones) + `::jsonb`
	var v strings.Builder
	for i, c := range csvColumns {
		v.WriteString("\t\tc" + strconv.Itoa(i) + " text := " + strings.ReplaceAll(c.expr, "$L", l) + ";\n")
	}
	return `CREATE OR REPLACE FUNCTION events_csv_line() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
	e events;
	props jsonb;
	x jsonb;
	name text;
	role text;
	item text;
	pub text;
	seen text[] := '{}';
	k1 int := 0;
	k2 int := 0;
BEGIN
	IF NEW.feature IS NULL OR NEW.deleted_at IS NOT NULL OR GeometryType(NEW.geom) <> 'POINT' OR ST_NDims(NEW.geom) <> 2 THEN
		NEW.csv_line := NULL;
		RETURN NEW;
	END IF;
	IF TG_OP = 'UPDATE' AND NEW.csv_line IS NOT NULL AND NEW.feature IS NOT DISTINCT FROM OLD.feature THEN
		RETURN NEW;
	END IF;
	e := NEW;
	props := NEW.feature::jsonb->'properties';
	<<ac>>
	DECLARE
		actors text;
		actor1 text;
		assoc1 text;
		actor2 text;
		assoc2 text;
	BEGIN
	-- As string_agg over the actors in order: the first perpetrator is
	-- actor1, the first target or victim actor2, the others and every
	-- partner their associates.
	FOR i IN 0 .. COALESCE(jsonb_array_length(props->'actors'), 0) - 1 LOOP
		x := props->'actors'->i;
		name := x->>'name';
		role := x->>'role';
		item := name || ' (' || role || ')';
		IF item IS NOT NULL THEN
			actors := COALESCE(actors || '; ', '') || item;
		END IF;
		IF role = 'perpetrator' THEN
			k1 := k1 + 1;
			IF k1 = 1 THEN
				actor1 := name;
			ELSIF name IS NOT NULL THEN
				assoc1 := COALESCE(assoc1 || '; ', '') || name;
			END IF;
		ELSIF role IN ('target', 'victim') THEN
			k2 := k2 + 1;
			IF k2 = 1 THEN
				actor2 := name;
			ELSIF name IS NOT NULL THEN
				assoc2 := COALESCE(assoc2 || '; ', '') || name;
			END IF;
		ELSIF role = 'partner' AND name IS NOT NULL THEN
			assoc1 := COALESCE(assoc1 || '; ', '') || name;
		END IF;
	END LOOP;
	<<so>>
	DECLARE
		urls text;
		publishers text;
	BEGIN
	-- The URLs in order; each publisher once, at its first source.
	FOR i IN 0 .. COALESCE(jsonb_array_length(props->'sources'), 0) - 1 LOOP
		x := props->'sources'->i;
		IF x->>'url' IS NOT NULL THEN
			urls := COALESCE(urls || '; ', '') || (x->>'url');
		END IF;
		pub := x->>'publisher';
		IF pub <> '' AND NOT (pub = ANY (seen)) THEN
			publishers := COALESCE(publishers || '; ', '') || pub;
			seen := seen || pub;
		END IF;
	END LOOP;
	<<z0>>
	DECLARE
		mins int := CASE WHEN e.tz ~ '^[+-][0-9]{2}:[0-9]{2}$'
			AND substr(e.tz, 2, 2)::int * 60 + substr(e.tz, 5, 2)::int <= CASE WHEN left(e.tz, 1) = '-' THEN 720 ELSE 840 END
		THEN (substr(e.tz, 2, 2)::int * 60 + substr(e.tz, 5, 2)::int) * CASE WHEN left(e.tz, 1) = '-' THEN -1 ELSE 1 END
		END;
		utc timestamp := e.occurred_at AT TIME ZONE 'UTC';
	BEGIN
	<<t0>>
	DECLARE
		loc timestamp := CASE WHEN z0.mins IS NOT NULL THEN z0.utc + z0.mins * interval '1 minute'
			WHEN ` + zones + ` ? e.tz THEN e.occurred_at AT TIME ZONE e.tz
			ELSE z0.utc END;
	BEGIN
	<<t1>>
	DECLARE
		offmin int := extract(epoch FROM t0.loc - z0.utc)::int / 60;
		utc boolean := extract(epoch FROM t0.loc - z0.utc)::int = 0;
	BEGIN
	<<t2>>
	DECLARE
		off text := CASE WHEN t1.utc THEN 'Z'
			ELSE CASE WHEN t1.offmin < 0 THEN '-' ELSE '+' END || lpad((abs(t1.offmin) / 60)::text, 2, '0') || ':' || lpad((abs(t1.offmin) % 60)::text, 2, '0')
			END;
	BEGIN
	<<a0>>
	DECLARE
		et text := e.properties->>'event_type';
		st text := COALESCE(e.properties->>'sub_event_type', '');
		def jsonb := ` + l + `->'ToACLED'->e.type;
	BEGIN
	<<a1>>
	DECLARE
		kept boolean := COALESCE(COALESCE(a0.et, '') <> '' AND
			CASE WHEN NOT (` + l + `->'ACLEDTypes' ? a0.et) THEN NULL WHEN a0.st = '' THEN 'other' ELSE ` + l + `->'ACLEDTypes'->a0.et->>a0.st END = e.type,
			false);
	BEGIN
	<<cy>>
	DECLARE
		c jsonb := ` + l + `->'Countries'->e.country;
		moved boolean := CASE WHEN e.properties ? 'iso' THEN COALESCE((` + l + `->'ByNumeric'->>(CASE WHEN e.properties->>'iso' ~ '^[+-]?[0-9]{1,18}$' THEN ((e.properties->>'iso')::bigint)::text END)) <> e.country, true)
			WHEN e.properties ? 'country' THEN COALESCE((` + l + `->'ByName'->>lower(e.properties->>'country')) <> e.country, false)
			ELSE false END;
	BEGIN
	<<g>>
	DECLARE
		wkt text := ST_AsText(e.geom, 6);
	BEGIN
	<<p>>
	DECLARE
		lon text := split_part(substr(g.wkt, 7, length(g.wkt) - 7), ' ', 1);
		lat text := split_part(substr(g.wkt, 7, length(g.wkt) - 7), ' ', 2);
	BEGIN
	` + csvExtraSQL() + `
	<<v>>
	DECLARE
` + v.String() + `	BEGIN
		NEW.csv_line := ` + csvLineSQL() + `;
	END; END; END; END; END; END; END; END; END; END; END; END; END;
	RETURN NEW;
END
$fn$`
}

// csvTimeSQL writes the timestamp (without zone) x as Go's RFC 3339 with
// nanoseconds does, less the zone: fraction digits only as needed.
func csvTimeSQL(x string) string {
	return `to_char(` + x + `, 'YYYY-MM-DD"T"HH24:MI:SS') || COALESCE('.' || NULLIF(rtrim(to_char(` + x + `, 'US'), '0'), ''), '')`
}

// acledColumnSQL are the CSV columns record (exchange/write.go) makes
// itself, over the laterals of batch; they win over a property's column
// of the same name, as in record.
var acledColumnSQL = map[string]string{
	"event_date":         `to_char(t0.loc, 'YYYY-MM-DD')`,
	"year":               `extract(year FROM t0.loc)::int::text`,
	"time_precision":     `COALESCE($L->'TimePrecisionCode'->>e.time_precision, '1')`,
	"disorder_type":      `CASE WHEN a1.kept THEN COALESCE(e.properties->>'disorder_type', a0.def->>0, '') ELSE COALESCE(a0.def->>0, '') END`,
	"event_type":         `CASE WHEN a1.kept THEN a0.et ELSE COALESCE(a0.def->>1, '') END`,
	"sub_event_type":     `CASE WHEN a1.kept THEN a0.st ELSE COALESCE(a0.def->>2, '') END`,
	"actor1":             `COALESCE(ac.actor1, '')`,
	"assoc_actor_1":      `COALESCE(ac.assoc1, '')`,
	"inter1":             `COALESCE(e.properties->>'inter1', '')`,
	"actor2":             `COALESCE(ac.actor2, '')`,
	"assoc_actor_2":      `COALESCE(ac.assoc2, '')`,
	"inter2":             `COALESCE(e.properties->>'inter2', '')`,
	"interaction":        `COALESCE(e.properties->>'interaction', '')`,
	"civilian_targeting": `COALESCE(e.properties->>'civilian_targeting', '')`,
	"iso":                `CASE WHEN cy.moved THEN COALESCE(cy.c->>0, '') ELSE COALESCE(e.properties->>'iso', cy.c->>0, '') END`,
	"region":             `COALESCE(e.properties->>'region', '')`,
	"country":            `CASE WHEN cy.moved THEN COALESCE(cy.c->>1, '') ELSE COALESCE(e.properties->>'country', cy.c->>1, '') END`,
	"admin2":             `COALESCE(e.properties->>'admin2', '')`,
	"admin3":             `COALESCE(e.properties->>'admin3', '')`,
	"latitude":           `p.lat`,
	"longitude":          `p.lon`,
	"geo_precision":      `COALESCE($L->'GeoPrecisionCode'->>e.geo_precision, '')`,
	"source":             `COALESCE(e.properties->>'source', so.publishers, '')`,
	"source_scale":       `COALESCE(e.properties->>'source_scale', '')`,
	"timestamp":          `COALESCE(e.properties->>'timestamp', floor(extract(epoch FROM e.updated_at))::bigint::text)`,
	"id":                 `e.id::text`,
	"wkt":                `'POINT(' || ` + wktNumberSQL("p.lon") + ` || ' ' || ` + wktNumberSQL("p.lat") + ` || ')'`,
	// extra holds the members of extra that no ACLED column gives back,
	// as encoding/json writes a map: keys in byte order, HTML characters
	// and the line separators escaped.
	"extra": `x.extra`,
}

// csvExtraSQL is the extra column (its block in csvLineFunctionSQL): the
// members of extra that no ACLED column gives back, as encoding/json
// writes a map: keys in byte order, HTML characters and the line
// separators escaped. Most events have none, and the query that writes
// them (a query, not a simple expression: an executor started per row)
// runs only for those that do.
func csvExtraSQL() string {
	kept := make([]string, len(exchange.Lookups().Kept))
	for i, k := range exchange.Lookups().Kept {
		kept[i] = sqlString(k)
	}
	return `<<x>>
	DECLARE
		rest jsonb := e.properties - ARRAY[` + strings.Join(kept, ", ") + `]::text[];
		extra text := '';
	BEGIN
	IF rest <> '{}' THEN
		extra := COALESCE((SELECT '{' || string_agg(` + goJSONString("kv.key") + ` || ':' || ` + goJSONString("kv.value") + `, ',' ORDER BY kv.key COLLATE "C") || '}'
			FROM jsonb_each_text(rest) kv), '');
	END IF;`
}

// wktNumberSQL writes a coordinate x (PostGIS's text, at most 6
// decimals) as orb's WKT does, strconv's shortest 'g': numbers under
// 1e-4 in exponent form, 0.000012 as 1.2e-05.
func wktNumberSQL(x string) string {
	d := `substring(` + x + ` FROM '^-?0\.0000([0-9]+)$')`
	m := `ltrim(` + d + `, '0')`
	return `CASE WHEN ` + x + ` ~ '^-?0\.0000[0-9]+$' THEN
		CASE WHEN left(` + x + `, 1) = '-' THEN '-' ELSE '' END || left(` + m + `, 1) ||
		CASE WHEN length(` + m + `) > 1 THEN '.' || substr(` + m + `, 2) ELSE '' END ||
		'e-' || lpad((5 + length(` + d + `) - length(` + m + `))::text, 2, '0')
	ELSE ` + x + ` END`
}

// goJSONString is the JSON string of the text x as encoding/json writes
// it: PostgreSQL's escapes are Go's but for <, >, &, U+2028 and U+2029.
func goJSONString(x string) string {
	return `replace(replace(replace(replace(replace(to_json(` + x + `)::text, '<', '\u003c'), '>', '\u003e'), '&', '\u0026'), U&'\2028', '\u2028'), U&'\2029', '\u2029')`
}

// csvSafe are the columns whose values never need CSV quoting: numbers,
// dates, codes and ids.
var csvSafe = map[string]bool{
	"event_date": true, "year": true, "time_precision": true, "latitude": true, "longitude": true,
	"geo_precision": true, "id": true, "wkt": true,
}

// csvPropertySQL is the CSV value of property p over the events row e,
// as exchange's csvValue writes it; safe reports a value that never needs
// quoting.
func csvPropertySQL(p *eventmap.Property) (expr string, safe bool) {
	switch p.Kind {
	case eventmap.KindText:
		return `COALESCE(e.` + p.Column + `, '')`, false
	case eventmap.KindEnum:
		return `e.` + p.Column, true
	case eventmap.KindCount:
		return `COALESCE(e.` + p.Column + `::text, '')`, true
	case eventmap.KindVersion:
		return `e.` + p.Column + `::text`, true
	case eventmap.KindTime:
		if p.Name == "occurred_at" {
			// In the event's own zone, the day of event_date.
			return csvTimeSQL(`t0.loc`) + ` || t2.off`, true
		}
		return csvTimeSQL(`(e.`+p.Column+` AT TIME ZONE 'UTC')`) + ` || 'Z'`, true
	case eventmap.KindTags:
		return `array_to_string(e.` + p.Column + `, '; ')`, false
	case eventmap.KindActors:
		return `COALESCE(ac.actors, '')`, false
	case eventmap.KindSources:
		return `COALESCE(so.urls, '')`, false
	}
	panic("store: no CSV value for property " + p.Name)
}

// csvColumns are exchange.Columns' expressions, in order.
var csvColumns = func() []struct {
	expr string
	safe bool
} {
	out := make([]struct {
		expr string
		safe bool
	}, len(exchange.Columns))
	for i, col := range exchange.Columns {
		if x, ok := acledColumnSQL[col]; ok {
			out[i].expr, out[i].safe = x, csvSafe[col]
			continue
		}
		var found bool
		for j := range eventmap.Properties {
			if p := &eventmap.Properties[j]; p.CSV == col {
				out[i].expr, out[i].safe = csvPropertySQL(p)
				found = true
			}
		}
		if !found {
			panic("store: no SQL for CSV column " + col)
		}
	}
	return out
}()

// csvLineSQL joins the values of v into one line as encoding/csv writes
// it: a field is quoted when it holds a comma, a quote, CR or LF, starts
// with a space (unicode.IsSpace), or is \. ; quotes are doubled.
// csvSpaces are the characters unicode.IsSpace reports, as SQL literals:
// a field that starts with one is quoted.
const csvSpaces = `' ', E'\t', E'\n', E'\x0B', E'\f', E'\r', U&'\0085', U&'\00A0', U&'\1680', U&'\2000', U&'\2001', U&'\2002',
	U&'\2003', U&'\2004', U&'\2005', U&'\2006', U&'\2007', U&'\2008', U&'\2009', U&'\200A', U&'\2028', U&'\2029', U&'\202F', U&'\205F', U&'\3000'`

func csvLineSQL() string {
	var b strings.Builder
	for i, c := range csvColumns {
		if i > 0 {
			b.WriteString(" || ',' || ")
		}
		v := "v.c" + strconv.Itoa(i)
		if c.safe {
			b.WriteString(v)
			continue
		}
		// strpos and a first-character test, not a regular expression:
		// PostgreSQL converts the text to wide characters for every
		// regex match, which made quoting half the cost of a line.
		b.WriteString(`CASE WHEN ` + v + ` = '' THEN ''
			WHEN strpos(` + v + `, ',') > 0 OR strpos(` + v + `, '"') > 0 OR strpos(` + v + `, E'\n') > 0 OR strpos(` + v + `, E'\r') > 0
				OR left(` + v + `, 1) IN (` + csvSpaces + `) OR ` + v + ` = '\.'
			THEN '"' || replace(` + v + `, '"', '""') || '"' ELSE ` + v + ` END`)
	}
	return b.String() + ` || E'\n'`
}

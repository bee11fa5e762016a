package exchange

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"eventmap"
)

// dumayr is one valid ACLED row (the seed raid, as ACLED's export tool
// writes it); each case changes the columns it is about.
var dumayr = map[string]string{
	"event_id_cnty": "SYR1001", "event_date": "2025-10-19", "year": "2025", "time_precision": "1",
	"disorder_type": "Political violence", "event_type": "Battles", "sub_event_type": "Armed clash",
	"actor1": "Military Forces of the United States (2025-)", "assoc_actor_1": "Syrian Free Army",
	"inter1": "8", "actor2": "Islamic State (Syria)", "assoc_actor_2": "", "inter2": "2",
	"interaction": "28", "civilian_targeting": "", "iso": "760", "region": "Middle East",
	"country": "Syria", "admin1": "Rural Damascus", "admin2": "Duma", "admin3": "Dumayr",
	"location": "Dumayr", "latitude": "33.6439", "longitude": "36.6939", "geo_precision": "1",
	"source": "Syrian Observatory for Human Rights", "source_scale": "National",
	"notes": "US forces and the Syrian Free Army raided a house in Dumayr.", "fatalities": "1",
	"tags": "", "timestamp": "1760900000",
}

// readRow runs acledEvent on dumayr with changes applied; a change to ""
// empties the column, a change of a column dumayr lacks adds it. drop
// removes columns from the header altogether.
func readRow(changes map[string]string, drop ...string) (*eventmap.Event, []eventmap.FieldError) {
	row := maps.Clone(dumayr)
	maps.Copy(row, changes)
	for _, c := range drop {
		delete(row, c)
	}
	cols := map[string]int{}
	for c := range row {
		cols[c] = len(cols)
	}
	return acledEvent(func(c string) string { return strings.TrimSpace(row[c]) }, cols)
}

// mustRead is readRow for rows that must be accepted.
func mustRead(t *testing.T, changes map[string]string, drop ...string) *eventmap.Event {
	t.Helper()
	ev, errs := readRow(changes, drop...)
	if len(errs) > 0 || ev == nil {
		t.Fatalf("row %v rejected: %+v", changes, errs)
	}
	return ev
}

// mustReject is readRow for rows that must be refused, naming field (the
// CSV column the researcher has to fix) with a rule that contains rule.
func mustReject(t *testing.T, changes map[string]string, field, rule string) {
	t.Helper()
	ev, errs := readRow(changes)
	if ev != nil {
		t.Fatalf("row %v accepted as %+v, want an error on %s", changes, ev, field)
	}
	for _, fe := range errs {
		if fe.Field == field && strings.Contains(fe.Rule, rule) {
			return
		}
	}
	t.Fatalf("row %v: errors %+v, want one on %s containing %q", changes, errs, field, rule)
}

func TestACLEDRowIsTheEvent(t *testing.T) {
	ev := mustRead(t, nil)
	if got, want := ev.ExternalID, "SYR1001"; got != want {
		t.Errorf("external id %q, want %q", got, want)
	}
	if got, want := ev.Title, "Armed clash in Dumayr"; got != want {
		t.Errorf("title %q, want %q", got, want)
	}
	if got, want := ev.Summary, dumayr["notes"]; got != want {
		t.Errorf("summary %q, want notes %q", got, want)
	}
	if got, want := ev.Place+" / "+ev.Admin1, "Dumayr / Rural Damascus"; got != want {
		t.Errorf("place / admin1 %q, want %q", got, want)
	}
	if got, want := ev.Geometry, orb.Geometry(orb.Point{36.6939, 33.6439}); !orb.Equal(got, want) {
		t.Errorf("geometry %v, want %v (longitude first)", got, want)
	}
	if got, want := ev.Status+" "+ev.Visibility, "reported public"; got != want {
		t.Errorf("status and visibility %q, want %q: imported events are reported and public unless the file says otherwise", got, want)
	}
	// ACLED's columns without a field of ours come back on export, so
	// they are kept verbatim.
	for _, col := range []string{"disorder_type", "event_type", "sub_event_type", "inter1", "inter2", "interaction", "iso", "region", "country", "admin2", "admin3", "source", "source_scale", "timestamp"} {
		if got, want := ev.Extra[col], dumayr[col]; got != want {
			t.Errorf("extra %s = %q, want %q", col, got, want)
		}
	}
	if _, ok := ev.Extra["civilian_targeting"]; ok {
		t.Errorf("empty civilian_targeting kept in extra: %v", ev.Extra)
	}
}

func TestACLEDTimePrecision(t *testing.T) {
	tests := []struct{ code, want string }{
		{"1", "day"},
		{"2", "week"},
		{"3", "month"},
		{" 2 ", "week"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			ev := mustRead(t, map[string]string{"time_precision": tt.code})
			if got, want := ev.TimePrecision, tt.want; got != want {
				t.Errorf("time_precision %q read as %q, want %q", tt.code, got, want)
			}
		})
	}
	for _, bad := range []string{"0", "4", "", "day", "1.0"} {
		t.Run("bad "+bad, func(t *testing.T) {
			mustReject(t, map[string]string{"time_precision": bad}, "time_precision", "1 (day), 2 (week) or 3 (month)")
		})
	}
	// Our own occurred_precision column wins: "exact" has no ACLED code.
	ev := mustRead(t, map[string]string{"time_precision": "1", "occurred_at": "2025-10-19T00:00:00Z", "occurred_precision": "exact"})
	if got, want := ev.TimePrecision, "exact"; got != want {
		t.Errorf("occurred_precision exact read as %q", got)
	}
}

func TestACLEDGeoPrecision(t *testing.T) {
	tests := []struct{ code, want string }{
		{"1", "exact"},
		{"2", "town"},
		{"3", "region"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			ev := mustRead(t, map[string]string{"geo_precision": tt.code})
			if got, want := ev.GeoPrecision, tt.want; got != want {
				t.Errorf("geo_precision %q read as %q, want %q", tt.code, got, want)
			}
		})
	}
	for _, bad := range []string{"0", "4", "", "town"} {
		t.Run("bad "+bad, func(t *testing.T) {
			mustReject(t, map[string]string{"geo_precision": bad}, "geo_precision", "1 (exact), 2 (near the town) or 3")
		})
	}
}

func TestACLEDDates(t *testing.T) {
	tests := []struct{ date, want string }{
		{"2025-10-19", "2025-10-19"},        // ACLED's API
		{"19 October 2025", "2025-10-19"},   // ACLED's export tool
		{"9 October 2025", "2025-10-09"},    // no leading zero
		{"09 October 2025", "2025-10-09"},   // leading zero
		{"19-October-2025", "2025-10-19"},   // older exports
		{"19 october 2025", "2025-10-19"},   // spreadsheets lower-case it
		{" 19 October 2025 ", "2025-10-19"}, // cells with spaces
		{"29 February 2024", "2024-02-29"},
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			ev := mustRead(t, map[string]string{"event_date": tt.date, "year": tt.want[:4]})
			if got, want := ev.OccurredAt, mustTime(t, tt.want+"T00:00:00Z"); !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("event_date %q read as %v, want %v", tt.date, got, want)
			}
		})
	}
	for _, bad := range []string{"", "2025-02-30", "29 February 2025", "10/19/2025", "19/10/2025", "19 Oct 2025", "2025-10-19T03:00:00Z", "October 19, 2025"} {
		t.Run("bad "+bad, func(t *testing.T) {
			mustReject(t, map[string]string{"event_date": bad}, "event_date", "such as 2025-10-19 or 19 October 2025")
		})
	}
	t.Run("year disagrees", func(t *testing.T) {
		mustReject(t, map[string]string{"event_date": "19 October 2025", "year": "2024"}, "year", "event_date is in 2025")
	})
	t.Run("no year column", func(t *testing.T) {
		mustRead(t, nil, "year")
	})
}

// Our occurred_at column carries an exact time; it must be on the day
// event_date says, or one of the two is wrong.
func TestACLEDOccurredAt(t *testing.T) {
	tests := []struct{ date, at, want string }{
		{"2025-10-19", "2025-10-19T00:00:00Z", "2025-10-19T00:00:00Z"},
		{"2025-10-19", "2025-10-19T23:59:59.5Z", "2025-10-19T23:59:59.5Z"},
		{"19 October 2025", "2025-10-19t03:00:00+03:00", "2025-10-19T00:00:00Z"}, // lower-case t and an offset
		// 02:00 in Damascus is the day before in UTC: event_date is the
		// local day, as ACLED's are.
		{"2025-10-19", "2025-10-19T02:00:00+03:00", "2025-10-18T23:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			ev := mustRead(t, map[string]string{"event_date": tt.date, "occurred_at": tt.at})
			if got, want := ev.OccurredAt, mustTime(t, tt.want); !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("occurred_at %q read as %v, want %v in UTC", tt.at, got, want)
			}
		})
	}
	mustReject(t, map[string]string{"event_date": "2025-10-19", "occurred_at": "2025-10-20T00:00:00Z"}, "event_date", "occurred_at is on 2025-10-20")
	// The day of occurred_at where it was written, not in UTC.
	mustReject(t, map[string]string{"event_date": "2025-10-19", "occurred_at": "2025-10-20T02:00:00+03:00"}, "event_date", "occurred_at is on 2025-10-20")
	mustReject(t, map[string]string{"event_date": "2025-10-19", "occurred_at": "2025-10-18T23:00:00-03:00"}, "event_date", "occurred_at is on 2025-10-18")
	mustReject(t, map[string]string{"occurred_at": "2025-10-19 03:00"}, "occurred_at", "RFC 3339")
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ACLED's semicolon lists: tags, actors (with the role each column
// means), our actors column and source URLs.
func TestACLEDLists(t *testing.T) {
	t.Run("tags", func(t *testing.T) {
		ev := mustRead(t, map[string]string{"tags": "women targeted: girls; crowd size=no report;;  local ; "})
		if got, want := ev.Tags, []string{"women targeted: girls", "crowd size=no report", "local"}; !slices.Equal(got, want) {
			t.Errorf("tags %q, want %q", got, want)
		}
		if ev := mustRead(t, map[string]string{"tags": ""}); ev.Tags != nil {
			t.Errorf("empty tags read as %q, want none", ev.Tags)
		}
	})
	t.Run("actor columns", func(t *testing.T) {
		ev := mustRead(t, map[string]string{
			"actor1":        "Military Forces of the United States (2025-)",
			"assoc_actor_1": "Syrian Free Army; Military Forces of the United States (2025-) Special Forces",
			"actor2":        "Islamic State (Syria)",
			"assoc_actor_2": "Women (Iraq); Farmers (Iraq)",
		})
		want := []eventmap.EventActor{
			{Name: "Military Forces of the United States (2025-)", Role: "perpetrator"},
			{Name: "Syrian Free Army", Role: "partner"},
			{Name: "Military Forces of the United States (2025-) Special Forces", Role: "partner"},
			{Name: "Islamic State (Syria)", Role: "target"},
			{Name: "Women (Iraq)", Role: "target"},
			{Name: "Farmers (Iraq)", Role: "target"},
		}
		if got := ev.Actors; !slices.Equal(got, want) {
			t.Errorf("actors %+v, want %+v", got, want)
		}
	})
	t.Run("our actors column wins", func(t *testing.T) {
		ev := mustRead(t, map[string]string{"actors": "Military Forces of the United States (2025-) (perpetrator); Khaled al-Masoud (victim); SOHR (reporter)"})
		want := []eventmap.EventActor{
			{Name: "Military Forces of the United States (2025-)", Role: "perpetrator"},
			{Name: "Khaled al-Masoud", Role: "victim"},
			{Name: "SOHR", Role: "reporter"},
		}
		if got := ev.Actors; !slices.Equal(got, want) {
			t.Errorf("actors %+v, want %+v", got, want)
		}
	})
	t.Run("actors without role", func(t *testing.T) {
		mustReject(t, map[string]string{"actors": "Khaled al-Masoud"}, "actors", `"name (role); name (role)"`)
	})
	t.Run("actors with unknown role", func(t *testing.T) {
		mustReject(t, map[string]string{"actors": "Khaled al-Masoud (bystander)"}, "actor1/actor2/assoc_actor_1/assoc_actor_2", "bystander")
	})
	t.Run("source urls", func(t *testing.T) {
		ev := mustRead(t, map[string]string{"source_urls": "https://example.org/a; https://example.org/b"})
		var got []string
		for _, s := range ev.Sources {
			got = append(got, s.URL)
		}
		if want := []string{"https://example.org/a", "https://example.org/b"}; !slices.Equal(got, want) {
			t.Errorf("sources %q, want %q", got, want)
		}
	})
	t.Run("source url not a url", func(t *testing.T) {
		mustReject(t, map[string]string{"source_urls": "SOHR"}, "source_urls", "absolute http(s) URL")
	})
}

// Each ACLED event_type / sub_event_type pair becomes one of our types
// (README's mapping); the pair itself is kept for the export.
func TestACLEDEventTypes(t *testing.T) {
	tests := []struct{ eventType, subEventType, want string }{
		{"Battles", "Armed clash", "clash"},
		{"Battles", "Government regains territory", "clash"},
		{"Battles", "Non-state actor overtakes territory", "clash"},
		{"Explosions/Remote violence", "Air/drone strike", "airstrike"},
		{"Explosions/Remote violence", "Shelling/artillery/missile attack", "airstrike"},
		{"Explosions/Remote violence", "Remote explosive/landmine/IED", "explosion"},
		{"Explosions/Remote violence", "Suicide bomb", "explosion"},
		{"Explosions/Remote violence", "Grenade", "explosion"},
		{"Explosions/Remote violence", "Chemical weapon", "other"},
		{"Violence against civilians", "Attack", "raid"},
		{"Violence against civilians", "Abduction/forced disappearance", "arrest"},
		{"Violence against civilians", "Sexual violence", "other"},
		{"Protests", "Peaceful protest", "other"},
		{"Protests", "Protest with intervention", "other"},
		{"Protests", "Excessive force against protesters", "other"},
		{"Riots", "Violent demonstration", "other"},
		{"Riots", "Mob violence", "other"},
		{"Strategic developments", "Agreement", "other"},
		{"Strategic developments", "Arrests", "arrest"},
		{"Strategic developments", "Change to group/activity", "other"},
		{"Strategic developments", "Disrupted weapons use", "cache_destruction"},
		{"Strategic developments", "Headquarters or base established", "other"},
		{"Strategic developments", "Looting/property destruction", "other"},
		{"Strategic developments", "Non-violent transfer of territory", "other"},
		{"Strategic developments", "Other", "other"},
		{"Battles", "", "other"}, // no sub-event type: nothing finer to go by
	}
	for _, tt := range tests {
		t.Run(tt.eventType+"/"+tt.subEventType, func(t *testing.T) {
			ev := mustRead(t, map[string]string{"event_type": tt.eventType, "sub_event_type": tt.subEventType, "location": "Dumayr"})
			if got, want := ev.Type, tt.want; got != want {
				t.Errorf("type %q, want %q", got, want)
			}
			if got, want := ev.Extra["event_type"]+"/"+ev.Extra["sub_event_type"], tt.eventType+"/"+tt.subEventType; got != want {
				t.Errorf("kept ACLED pair %q, want %q", got, want)
			}
			if got, want := ev.Title, orDefault(tt.subEventType, tt.eventType)+" in Dumayr"; got != want {
				t.Errorf("title %q, want %q", got, want)
			}
		})
	}
	t.Run("our type column wins", func(t *testing.T) {
		ev := mustRead(t, map[string]string{"type": "raid"})
		if got, want := ev.Type, "raid"; got != want {
			t.Errorf("type %q, want %q", got, want)
		}
	})
	mustReject(t, map[string]string{"event_type": "Battle"}, "event_type", "must be one of ACLED's event types")
	mustReject(t, map[string]string{"event_type": ""}, "event_type", "must be one of ACLED's event types")
	mustReject(t, map[string]string{"sub_event_type": "Air/drone strike"}, "sub_event_type", `not an ACLED sub-event type of "Battles"`)
	mustReject(t, map[string]string{"type": "riot"}, "type", "must be one of raid, airstrike")
}

// Events made here get an ACLED pair on export (toACLED). The pair must
// be one the reader accepts, and read back as the same type wherever
// ACLED can say it (a raid has no ACLED type of its own: README).
func TestOurTypesToACLED(t *testing.T) {
	for _, typ := range eventmap.EventTypes {
		t.Run(typ, func(t *testing.T) {
			pair, ok := toACLED[typ]
			if !ok {
				t.Fatalf("type %s has no ACLED event type: its CSV rows could not be re-imported", typ)
			}
			ev := mustRead(t, map[string]string{"disorder_type": pair[0], "event_type": pair[1], "sub_event_type": pair[2]})
			want := typ
			if typ == "raid" {
				want = "clash"
			}
			if got := ev.Type; got != want {
				t.Errorf("%s written as %q/%q, read back as %s, want %s", typ, pair[1], pair[2], got, want)
			}
		})
	}
}

// Counts: empty is unknown, 0 is none.
func TestACLEDFatalities(t *testing.T) {
	n := func(i int) *int { return &i }
	tests := []struct {
		fatalities, civilian string
		want, wantCivilian   *int
	}{
		{"", "", nil, nil},
		{"0", "", n(0), nil},
		{"12", "3", n(12), n(3)},
		{"", "2", nil, n(2)},
	}
	for _, tt := range tests {
		t.Run(tt.fatalities+"/"+tt.civilian, func(t *testing.T) {
			ev := mustRead(t, map[string]string{"fatalities": tt.fatalities, "civilian_fatalities": tt.civilian})
			if got, want := optInt(ev.Fatalities), optInt(tt.want); got != want {
				t.Errorf("fatalities %q, want %q", got, want)
			}
			if got, want := optInt(ev.CivilianFatalities), optInt(tt.wantCivilian); got != want {
				t.Errorf("civilian_fatalities %q, want %q", got, want)
			}
		})
	}
	mustReject(t, map[string]string{"fatalities": "-1"}, "fatalities", "0 or more")
	mustReject(t, map[string]string{"fatalities": "1.5"}, "fatalities", "whole number")
	mustReject(t, map[string]string{"fatalities": "unknown"}, "fatalities", "whole number")
	mustReject(t, map[string]string{"fatalities": "1", "civilian_fatalities": "2"}, "civilian_fatalities", "cannot exceed")
}

// ACLED's iso column is the numeric code; without it, the country name.
func TestACLEDCountry(t *testing.T) {
	tests := []struct {
		name, iso, country, want string
	}{
		{"numeric", "760", "Syria", "SYR"},
		{"numeric with zeros", "004", "", "AFG"},
		{"iso wins over the name", "368", "Syria", "IRQ"},
		{"name only", "", "Syria", "SYR"},
		{"ACLED's name", "", "Democratic Republic of Congo", "COD"},
		{"Kosovo", "0", "Kosovo", "XKX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := mustRead(t, map[string]string{"iso": tt.iso, "country": tt.country})
			if got, want := ev.Country, tt.want; got != want {
				t.Errorf("iso %q country %q read as %s, want %s", tt.iso, tt.country, got, want)
			}
		})
	}
	mustReject(t, map[string]string{"iso": "999"}, "iso", "ISO 3166-1 numeric country code")
	mustReject(t, map[string]string{"iso": "SYR"}, "iso", "ISO 3166-1 numeric country code")
	mustReject(t, map[string]string{"iso": "", "country": "Narnia"}, "country", "not a country name we know")
	mustReject(t, map[string]string{"iso": "", "country": ""}, "iso", "is required (or country)")
}

func TestACLEDGeometry(t *testing.T) {
	poly := "POLYGON((35.8 32.3,37.2 32.3,37.2 33.3,35.8 33.3,35.8 32.3))"
	ev := mustRead(t, map[string]string{"wkt": poly, "geo_precision": "3"})
	if got, want := ev.Geometry, orb.Geometry(orb.Polygon{{{35.8, 32.3}, {37.2, 32.3}, {37.2, 33.3}, {35.8, 33.3}, {35.8, 32.3}}}); !orb.Equal(got, want) {
		t.Errorf("wkt read as %v, want the area %v, not the point", got, want)
	}
	mustReject(t, map[string]string{"latitude": "95"}, "latitude/longitude", "")
	mustReject(t, map[string]string{"latitude": "33,6439"}, "latitude", "number of degrees")
	mustReject(t, map[string]string{"longitude": ""}, "longitude", "number of degrees")
	mustReject(t, map[string]string{"wkt": "POLYGON((35.8 32.3"}, "wkt", "must be WKT")
}

// Columns that are neither ACLED's nor ours are kept under their own name;
// our extra column (JSON) is merged in.
func TestACLEDExtra(t *testing.T) {
	ev := mustRead(t, map[string]string{"population_best": "12000", "extra": `{"note_ar":"ضيبان"}`})
	if got, want := ev.Extra["population_best"], "12000"; got != want {
		t.Errorf("extra population_best %q, want %q", got, want)
	}
	if got, want := ev.Extra["note_ar"], "ضيبان"; got != want {
		t.Errorf("extra note_ar %q, want %q", got, want)
	}
	mustReject(t, map[string]string{"extra": `{"n": 1}`}, "extra", "JSON object of strings")
}

// Re-imports find an event by ACLED's id or by ours.
func TestACLEDIDs(t *testing.T) {
	id := "0E5B2D8C-3C1A-4F6B-9D2E-6A1B7C8D9E0F"
	ev := mustRead(t, map[string]string{"event_id_cnty": "", "id": id})
	if got, want := ev.ID, strings.ToLower(id); got != want {
		t.Errorf("id %q, want %q", got, want)
	}
	mustReject(t, map[string]string{"event_id_cnty": ""}, "event_id_cnty", "is required (or our id column)")
	mustReject(t, map[string]string{"id": "SYR1001"}, "id", "a UUID")
	mustReject(t, map[string]string{"event_id_cnty": "SYR 1001"}, "event_id_cnty", "printable ASCII")
}

// The title made from sub_event_type and location fits the 500-byte
// limit, and stays valid text.
func TestACLEDTitle(t *testing.T) {
	tests := []struct{ name, location, admin1, title, want string }{
		{"location", "Dumayr", "Rural Damascus", "", "Armed clash in Dumayr"},
		{"admin1 without location", "", "Rural Damascus", "", "Armed clash in Rural Damascus"},
		{"neither", "", "", "", "Armed clash"},
		{"our title wins", "Dumayr", "", "Raid on a house in Dumayr", "Raid on a house in Dumayr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := mustRead(t, map[string]string{"location": tt.location, "admin1": tt.admin1, "title": tt.title})
			if got := ev.Title; got != tt.want {
				t.Errorf("title %q, want %q", got, tt.want)
			}
		})
	}
	long := []struct {
		name, location string
		wantLen        int
	}{
		{"ascii", strings.Repeat("x", 600), 500},
		// "Armed clash in " is 15 bytes, each letter 2: byte 500 falls
		// inside one, which PostgreSQL would refuse as text.
		{"arabic", strings.Repeat("د", 300), 499},
	}
	for _, tt := range long {
		t.Run("long "+tt.name, func(t *testing.T) {
			ev := mustRead(t, map[string]string{"location": tt.location})
			if got, want := len(ev.Title), tt.wantLen; got != want {
				t.Errorf("title of a %d-byte location is %d bytes, want %d", len(tt.location), got, want)
			}
			if !utf8.ValidString(ev.Title) {
				t.Errorf("title %q cut inside a character", ev.Title[len(ev.Title)-3:])
			}
		})
	}
}

// A CSV saved in another encoding (a spreadsheet's Windows-1252 "CSV")
// is refused row by row, naming the column, before PostgreSQL would
// refuse its bytes for the whole import.
func TestACLEDReaderRefusesOtherEncodings(t *testing.T) {
	const header = "event_id_cnty,event_date,time_precision,event_type,sub_event_type,latitude,longitude,geo_precision,fatalities,iso,location,notes\n"
	tests := []struct {
		name, row string
		field     string // "" when the row is accepted
	}{
		{"utf-8", "CIV1,2025-10-19,1,Battles,Armed clash,5.35,-4.02,1,0,384,Abidjan \u00e9cole,\n", ""},
		{"latin-1 location", "CIV1,2025-10-19,1,Battles,Armed clash,5.35,-4.02,1,0,384,Abidjan \xe9cole,\n", "location"},
		{"latin-1 notes", "CIV1,2025-10-19,1,Battles,Armed clash,5.35,-4.02,1,0,384,Abidjan,caf\xe9\n", "notes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(header+tt.row), CSV)
			if err != nil {
				t.Fatal(err)
			}
			row, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if tt.field == "" {
				if row.Event == nil {
					t.Fatalf("rejected: %+v", row.Errors)
				}
				return
			}
			if row.Event != nil {
				t.Fatalf("accepted with %s %q, want refused", tt.field, row.Event.Place+row.Event.Summary)
			}
			if len(row.Errors) != 1 || row.Errors[0].Field != tt.field || !strings.Contains(row.Errors[0].Rule, "UTF-8") {
				t.Errorf("errors %+v, want one on %s saying UTF-8", row.Errors, tt.field)
			}
			if got, want := row.Line, 2; got != want {
				t.Errorf("line %d, want %d", got, want)
			}
		})
	}
}

// Our tz column, else occurred_at's own non-zero offset; ACLED rows have
// neither and stay without a zone.
func TestACLEDTZ(t *testing.T) {
	for _, tt := range []struct{ tz, at, want string }{
		{"", "", ""},
		{"", "2025-10-19T03:00:00+03:00", "+03:00"},
		{"", "2025-10-19T00:00:00Z", ""},
		{"Asia/Damascus", "2025-10-19T03:00:00+03:00", "Asia/Damascus"},
		{"+03:00", "", "+03:00"},
	} {
		if ev := mustRead(t, map[string]string{"tz": tt.tz, "occurred_at": tt.at}); ev.TZ != tt.want {
			t.Errorf("tz %q, occurred_at %q: tz %q, want %q", tt.tz, tt.at, ev.TZ, tt.want)
		}
	}
	mustReject(t, map[string]string{"tz": "Damascus"}, "tz", "IANA time zone")
}

package exchange

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"eventmap"
	"eventmap/geo"
)

// ACLEDColumns are ACLED's export columns, in ACLED's order: exports write
// them first so scripts written for ACLED files work unchanged.
var ACLEDColumns = []string{
	"event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
	"sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
	"interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
	"location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
	"fatalities", "tags", "timestamp",
}

// OwnColumns follow the ACLED columns in our CSV: what ACLED's columns
// cannot say (an exact time, an area, victims, source URLs, our type and
// status). They are our id, the CSV column of every property that has one
// ACLED lacks (eventmap.Properties), and the geometry as WKT. On import
// each, when present and not empty, wins over what the ACLED columns
// would give.
var OwnColumns = func() []string {
	cols := []string{"id"}
	for _, p := range eventmap.Properties {
		if p.CSV != "" && !slices.Contains(ACLEDColumns, p.CSV) {
			cols = append(cols, p.CSV)
		}
	}
	return append(cols, "wkt")
}()

// Columns is the header of every CSV we write.
var Columns = append(slices.Clone(ACLEDColumns), OwnColumns...)

// keptColumns are the ACLED columns with no field of their own in our
// model: an import keeps them in the event's extra, verbatim, and an
// export gives them back.
var keptColumns = []string{
	"disorder_type", "event_type", "sub_event_type", "inter1", "inter2", "interaction",
	"civilian_targeting", "iso", "region", "country", "admin2", "admin3", "source",
	"source_scale", "timestamp",
}

// requiredColumns are those without which a row cannot become an event.
var requiredColumns = []string{
	"event_id_cnty", "event_date", "time_precision", "event_type", "latitude", "longitude",
	"geo_precision", "fatalities",
}

// ACLED's event types and their sub-event types (ACLED codebook, 2023),
// each with the type of ours it maps to. Ours are coarser, so an import
// also keeps ACLED's own pair in extra and an export gives it back.
var acledTypes = map[string]map[string]string{
	"Battles": {
		"Armed clash": "clash", "Government regains territory": "clash", "Non-state actor overtakes territory": "clash",
	},
	"Explosions/Remote violence": {
		"Air/drone strike": "airstrike", "Shelling/artillery/missile attack": "airstrike",
		"Remote explosive/landmine/IED": "explosion", "Suicide bomb": "explosion", "Grenade": "explosion",
		// Delivered by air, artillery or by hand: the sub-event type does
		// not say which, so none of our types would be honest.
		"Chemical weapon": "other",
	},
	"Violence against civilians": {
		"Attack": "raid", "Abduction/forced disappearance": "arrest", "Sexual violence": "other",
	},
	"Protests": {
		"Peaceful protest": "other", "Protest with intervention": "other", "Excessive force against protesters": "other",
	},
	"Riots": {
		"Violent demonstration": "other", "Mob violence": "other",
	},
	"Strategic developments": {
		"Agreement": "other", "Arrests": "arrest", "Change to group/activity": "other",
		"Disrupted weapons use": "cache_destruction", "Headquarters or base established": "other",
		"Looting/property destruction": "other", "Non-violent transfer of territory": "other", "Other": "other",
	},
}

// toACLED is the other way, for events that did not come from ACLED:
// disorder type, event type, sub-event type.
var toACLED = map[string][3]string{
	"clash":             {"Political violence", "Battles", "Armed clash"},
	"raid":              {"Political violence", "Battles", "Armed clash"},
	"airstrike":         {"Political violence", "Explosions/Remote violence", "Air/drone strike"},
	"explosion":         {"Political violence", "Explosions/Remote violence", "Remote explosive/landmine/IED"},
	"arrest":            {"Strategic developments", "Strategic developments", "Arrests"},
	"cache_destruction": {"Strategic developments", "Strategic developments", "Disrupted weapons use"},
	"other":             {"Strategic developments", "Strategic developments", "Other"},
}

// ACLED precision codes 1-3.
var (
	timePrecisionCode = map[string]string{"1": "day", "2": "week", "3": "month"}
	geoPrecisionCode  = map[string]string{"1": "exact", "2": "town", "3": "region"}
)

func codeOf(m map[string]string, v string) string {
	for k, x := range m {
		if x == v {
			return k
		}
	}
	return ""
}

// dateLayouts are the event_date forms ACLED has used: ISO dates from its
// API, "19 October 2025" from its export tool.
var dateLayouts = []string{"2006-01-02", "2 January 2006", "02 January 2006", "2-January-2006", "02-January-2006"}

type csvReader struct {
	cr   *csv.Reader
	lim  *rowLimiter
	cols map[string]int
	n    int
}

func newCSVReader(r io.Reader) (*csvReader, error) {
	c := &csvReader{}
	c.lim = &rowLimiter{r: r, unit: "CSV record", whereNext: func() string {
		line, _ := c.cr.FieldPos(0)
		return "line " + strconv.Itoa(line)
	}}
	c.cr = csv.NewReader(&bomSkipper{r: c.lim})
	c.cr.ReuseRecord = true
	header, err := c.cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, eventmap.Invalid("header", "the file is empty: expected a CSV header row with ACLED column names")
		}
		return nil, csvError(err)
	}
	c.lim.mark(c.cr.InputOffset())
	c.cols = map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, dup := c.cols[h]; dup {
			return nil, eventmap.Invalid("header", fmt.Sprintf("column %q appears twice", h))
		}
		if !slices.Contains(Columns, h) && !extraKey(h) {
			return nil, eventmap.Invalid("header", fmt.Sprintf("column %q is neither an ACLED column nor one of ours, and is not a name (a-z, 0-9, _) it could be kept under", h))
		}
		c.cols[h] = i
	}
	var missing []string
	for _, h := range requiredColumns {
		if _, ok := c.cols[h]; !ok {
			missing = append(missing, h)
		}
	}
	_, iso := c.cols["iso"]
	_, name := c.cols["country"]
	if !iso && !name {
		missing = append(missing, "iso (or country)")
	}
	if len(missing) > 0 {
		return nil, eventmap.Invalid("header", "missing ACLED column(s) "+strings.Join(missing, ", ")+
			"; the header must name ACLED's columns (event_id_cnty, event_date, ... as ACLED exports them)")
	}
	c.cr.FieldsPerRecord = len(header)
	return c, nil
}

// extraKey tells whether an unknown column can be kept in extra, by the
// event rules themselves.
func extraKey(s string) bool {
	ev := eventmap.Event{Extra: map[string]string{s: ""}}
	return !slices.ContainsFunc(ev.Check(), func(fe eventmap.FieldError) bool { return fe.Field == "properties.extra" })
}

func (c *csvReader) Unit() string { return "line" }

// csvError is a CSV syntax error, which ends the file: after broken
// quoting nothing that follows can be trusted to be the row it looks like.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return eventmap.Invalid("line "+strconv.Itoa(pe.StartLine), fmt.Sprintf("broken CSV at line %d, column %d: %v (quote fields that hold commas, quotes or line breaks, and double the quotes inside them)", pe.Line, pe.Column, pe.Err))
	}
	var e *eventmap.Error
	if errors.As(err, &e) {
		return e
	}
	return eventmap.Invalid("file", "could not be read: "+err.Error())
}

func (c *csvReader) Next() (eventmap.Row, error) {
	rec, err := c.cr.Read()
	c.lim.mark(c.cr.InputOffset())
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
			return eventmap.Row{Line: pe.StartLine, Errors: []eventmap.FieldError{{Field: "row",
				Rule: fmt.Sprintf("has %d fields, the header has %d", len(rec), c.cr.FieldsPerRecord)}}}, nil
		}
		if errors.Is(err, io.EOF) {
			return eventmap.Row{}, io.EOF
		}
		return eventmap.Row{}, csvError(err)
	}
	// FieldPos is only defined after a record was read: after an error it
	// panics (found by FuzzReadACLEDCSV).
	line, _ := c.cr.FieldPos(0)
	c.n++
	get := func(col string) string {
		if i, ok := c.cols[col]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	ev, errs := acledEvent(get, c.cols)
	return eventmap.Row{Line: line, Event: ev, Errors: errs}, nil
}

// acledEvent builds an event from one CSV row; get returns a column's
// value ("" when absent). The mapping is README's "Bring your data".
func acledEvent(get func(string) string, cols map[string]int) (*eventmap.Event, []eventmap.FieldError) {
	var errs []eventmap.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, eventmap.FieldError{Field: field, Rule: fmt.Sprintf(format, args...)})
	}
	// A file saved in another encoding (a spreadsheet's Windows-1252
	// "CSV") would reach PostgreSQL as invalid UTF-8, which it refuses
	// for the whole import: it is this row's error instead.
	for col := range cols {
		if !utf8.ValidString(get(col)) {
			for _, col := range sortedKeys(cols) {
				if !utf8.ValidString(get(col)) {
					bad(col, "must be UTF-8 text: the file looks saved in another encoding (save it as \"CSV UTF-8\")")
				}
			}
			return nil, errs
		}
	}
	ev := &eventmap.Event{ID: get("id"), Extra: map[string]string{}}
	// Text and counts held as they are in a column of their own; the
	// columns ACLED codes (dates, precisions, the country, actors) follow.
	for i := range eventmap.Properties {
		p := &eventmap.Properties[i]
		if p.CSV == "" {
			continue
		}
		switch v := p.Field(ev).(type) {
		case *string:
			*v = orDefault(get(p.CSV), p.Default)
		case **int:
			*v = optCount(get(p.CSV), p.CSV, bad)
		}
	}
	// Re-imports find an event by one of the two: ACLED's id, or ours for
	// events that were made here (our exports leave event_id_cnty empty).
	if ev.ExternalID == "" && ev.ID == "" {
		bad("event_id_cnty", "is required (or our id column): re-imports find the event by it")
	}
	for _, k := range keptColumns {
		if v := get(k); v != "" {
			ev.Extra[k] = v
		}
	}
	// Columns that are neither ACLED's nor ours are kept too.
	for col := range cols {
		if !slices.Contains(Columns, col) {
			if v := get(col); v != "" {
				ev.Extra[col] = v
			}
		}
	}
	if raw := get("extra"); raw != "" {
		var more map[string]string
		if err := json.Unmarshal([]byte(raw), &more); err != nil {
			bad("extra", "must be a JSON object of strings, as exported")
		}
		for k, v := range more {
			ev.Extra[k] = v
		}
	}

	// When: event_date, or our exact occurred_at on the same day.
	day, dateOK := parseDate(get("event_date"))
	if !dateOK {
		bad("event_date", "must be a date such as 2025-10-19 or 19 October 2025, got %q", get("event_date"))
	}
	if y := get("year"); y != "" && dateOK && y != strconv.Itoa(day.Year()) {
		bad("year", "is %s but event_date is in %d", y, day.Year())
	}
	tp, ok := timePrecisionCode[get("time_precision")]
	if !ok {
		bad("time_precision", "must be ACLED's 1 (day), 2 (week) or 3 (month), got %q", get("time_precision"))
	}
	ev.OccurredAt = day
	if at := get("occurred_at"); at != "" {
		t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(at))
		switch {
		case err != nil:
			bad("occurred_at", "must be an RFC 3339 date-time with a time zone, got %q", at)
		// event_date is the day where the event happened, as ACLED's are:
		// the day in occurred_at's own offset (02:00 in Damascus on the
		// 19th is the 18th in UTC). Our exports write both in UTC.
		case dateOK && !sameDay(t, day):
			bad("event_date", "is %s but occurred_at is on %s: change both, or empty occurred_at", day.Format("2006-01-02"), t.Format("2006-01-02"))
		default:
			ev.OccurredAt = t.UTC()
			// As for a written Feature: no tz column, the offset's zone.
			if ev.TZ == "" {
				ev.TZ = eventmap.OffsetTZ(at)
			}
		}
	}
	if ev.TimePrecision == "" {
		ev.TimePrecision = tp
	}

	// What: our type, else ACLED's event and sub-event types.
	et, st := get("event_type"), get("sub_event_type")
	subs, known := acledTypes[et]
	if !known {
		bad("event_type", "must be one of ACLED's event types (%s), got %q", strings.Join(sortedKeys(acledTypes), ", "), et)
	} else if _, ok := subs[st]; !ok && st != "" {
		bad("sub_event_type", "is not an ACLED sub-event type of %q (%s), got %q", et, strings.Join(sortedKeys(subs), ", "), st)
	}
	if ev.Type == "" && known {
		ev.Type = subs[st]
		if st == "" {
			ev.Type = "other"
		}
	}
	if ev.Title == "" {
		what := orDefault(st, et)
		where := orDefault(ev.Place, ev.Admin1)
		ev.Title = what
		if where != "" {
			ev.Title += " in " + where
		}
		ev.Title = cutUTF8(ev.Title, 500)
	}

	// Where: our WKT (areas), else the ACLED point.
	lat, errLat := strconv.ParseFloat(get("latitude"), 64)
	lon, errLon := strconv.ParseFloat(get("longitude"), 64)
	if errLat != nil {
		bad("latitude", "must be a number of degrees, got %q", get("latitude"))
	}
	if errLon != nil {
		bad("longitude", "must be a number of degrees, got %q", get("longitude"))
	}
	if w := get("wkt"); w != "" {
		g, err := wkt.Unmarshal(w)
		if err != nil {
			bad("wkt", "must be WKT such as POINT(36.69 33.64), got %q", truncate(w, 60))
		} else if ev.Geometry, err = checkedGeometry(g); err != nil {
			bad("wkt", "%v", err)
		}
	} else if errLat == nil && errLon == nil {
		g, err := checkedGeometry(orb.Point{lon, lat})
		if err != nil {
			bad("latitude/longitude", "%v", err)
		}
		ev.Geometry = g
	}
	gp, ok := geoPrecisionCode[get("geo_precision")]
	if !ok {
		bad("geo_precision", "must be ACLED's 1 (exact), 2 (near the town) or 3 (somewhere in the region), got %q", get("geo_precision"))
	}
	ev.GeoPrecision = gp

	// Country: ISO numeric in iso, else the country name.
	if iso := get("iso"); iso != "" {
		n, err := strconv.Atoi(iso)
		if c, ok := byNumeric[n]; err == nil && ok {
			ev.Country = c.alpha3
		} else {
			bad("iso", "must be an ISO 3166-1 numeric country code such as 760 (Syria), got %q", iso)
		}
	} else if name := get("country"); name != "" {
		if c, ok := byName[strings.ToLower(name)]; ok {
			ev.Country = c.alpha3
		} else {
			bad("country", "is not a country name we know (%q); give the ISO numeric code in iso", name)
		}
	} else {
		bad("iso", "is required (or country): events are filtered by country")
	}

	ev.Tags = splitList(get("tags"))
	if a := get("actors"); a != "" {
		ev.Actors = parseActors(a, bad)
	} else {
		add := func(role string, names ...string) {
			for _, n := range names {
				ev.Actors = append(ev.Actors, eventmap.EventActor{Name: n, Role: role})
			}
		}
		add("perpetrator", splitList(get("actor1"))...)
		add("partner", splitList(get("assoc_actor_1"))...)
		add("target", splitList(get("actor2"))...)
		add("target", splitList(get("assoc_actor_2"))...)
	}
	for _, u := range splitList(get("source_urls")) {
		ev.Sources = append(ev.Sources, eventmap.EventSource{URL: u})
	}
	if len(ev.Extra) == 0 {
		ev.Extra = nil
	}
	errs = append(errs, checkID(ev)...)
	// A column already reported (a bad code, an unknown type) is not
	// reported again for the empty value it left behind.
	reported := map[string]bool{}
	for _, fe := range errs {
		reported[fe.Field] = true
	}
	reported["type"] = reported["type"] || reported["event_type"] || reported["sub_event_type"]
	reported["iso"] = reported["iso"] || reported["country"]
	for _, fe := range ev.Check() {
		fe.Field = csvField(fe.Field)
		if !reported[fe.Field] {
			errs = append(errs, fe)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return ev, nil
}

// csvField names a Feature field as the CSV column a user would fix: the
// property's CSV column, or the ACLED columns it is read from.
func csvField(f string) string {
	f = strings.TrimPrefix(f, "properties.")
	base, rest := f, ""
	if i := strings.IndexAny(f, "[."); i > 0 {
		base, rest = f[:i], f[i:]
	}
	switch base {
	case "actors":
		return "actor1/actor2/assoc_actor_1/assoc_actor_2"
	case "extra":
		if rest != "" {
			return strings.TrimPrefix(rest, ".")
		}
		return base
	case "country":
		return "iso"
	case "geometry":
		return "latitude/longitude"
	case "time_precision":
		// ACLED's code column, which most files have; ours
		// (occurred_precision) only overrides it.
		return base
	}
	if p := eventmap.PropertyNamed(base); p != nil && p.CSV != "" {
		return p.CSV
	}
	return base
}

func parseDate(s string) (time.Time, bool) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func sameDay(a, b time.Time) bool {
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

func optCount(s, field string, bad func(string, string, ...any)) *int {
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		bad(field, "must be a whole number, or empty when unknown, got %q", s)
		return nil
	}
	return &n
}

// splitList reads ACLED's "a; b; c" lists.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseActors reads our actors column: "name (role); name (role)".
func parseActors(s string, bad func(string, string, ...any)) []eventmap.EventActor {
	var out []eventmap.EventActor
	for _, p := range splitList(s) {
		open := strings.LastIndex(p, " (")
		if open < 0 || !strings.HasSuffix(p, ")") {
			bad("actors", "must be \"name (role); name (role)\", got %q", truncate(p, 60))
			continue
		}
		out = append(out, eventmap.EventActor{Name: strings.TrimSpace(p[:open]), Role: p[open+2 : len(p)-1]})
	}
	return out
}

// checkedGeometry applies the API's geometry rules (coordinate ranges,
// closed rings, vertex limits) to a geometry read from CSV.
func checkedGeometry(g orb.Geometry) (orb.Geometry, error) {
	raw, err := json.Marshal(geometryJSON(g))
	if err != nil {
		return nil, err
	}
	return geo.ParseGeometry(raw, limits)
}

// geometryJSON is g as a GeoJSON geometry object (orb's own encoder
// would pull in a BSON library).
func geometryJSON(g orb.Geometry) map[string]any {
	if c, ok := g.(orb.Collection); ok {
		parts := make([]map[string]any, len(c))
		for i, x := range c {
			parts[i] = geometryJSON(x)
		}
		return map[string]any{"type": "GeometryCollection", "geometries": parts}
	}
	return map[string]any{"type": g.GeoJSONType(), "coordinates": g}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return cutUTF8(s, n) + "..."
}

// cutUTF8 is s cut to at most n bytes, never inside a character: half a
// character is invalid UTF-8, which PostgreSQL refuses as text.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// bomSkipper drops a UTF-8 byte order mark at the start, which Excel
// writes and encoding/csv would take as part of the first column's name.
type bomSkipper struct {
	r    io.Reader
	done bool
	buf  []byte
}

func (b *bomSkipper) Read(p []byte) (int, error) {
	if !b.done {
		head := make([]byte, 3)
		n, err := io.ReadFull(b.r, head)
		b.done = true
		head = head[:n]
		if string(head) != "\xef\xbb\xbf" {
			b.buf = head
		}
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return 0, err
		}
	}
	if len(b.buf) > 0 {
		n := copy(p, b.buf)
		b.buf = b.buf[n:]
		return n, nil
	}
	return b.r.Read(p)
}

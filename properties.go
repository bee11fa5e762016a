package eventmap

import (
	"regexp"
	"time"

	"github.com/paulmach/orb"
)

// Event is one recorded incident with its facts and provenance. Pointer
// fields distinguish "unknown" (nil) from a known value: zero fatalities is a
// fact, a missing count is not.
//
// Every field below Geometry is a property of the event's GeoJSON Feature
// and has a row in Properties, which is what the rest of the code reads:
// to add a property, add its field here, its row in Properties and its
// column in a migration.
type Event struct {
	ID       string
	Geometry orb.Geometry

	Type               string
	Title              string
	Summary            string
	OccurredAt         time.Time
	TimePrecision      string
	TZ                 string // local time zone: "+03:00" or "Asia/Damascus"; "" unknown (see when.go)
	Place              string
	Admin1             string
	Country            string // ISO 3166-1 alpha-3
	GeoPrecision       string
	Fatalities         *int
	CivilianFatalities *int
	Status             string
	Visibility         string
	Tags               []string
	Actors             []EventActor
	Sources            []EventSource
	// ExternalID is the event's id in the dataset it was imported from
	// (ACLED's event_id_cnty); a re-import updates the event it names.
	ExternalID string
	// Extra holds source-dataset fields this model has no column for
	// (ACLED's sub_event_type, inter1, admin2 ...), kept so that an
	// export gives them back unchanged.
	Extra map[string]string
	// Version and UpdatedAt are the server's: read from served Features,
	// never taken from a write.
	Version   int64
	UpdatedAt time.Time
}

// Kind says how a property's value is held, checked, stored and written.
type Kind int

const (
	KindText    Kind = iota // string ("" when absent); SQL text
	KindEnum                // string, one of Property.Enum; SQL text
	KindCount               // *int, 0 or more, nil when unknown (not 0); SQL integer
	KindTime                // time.Time, RFC 3339 in JSON; SQL timestamptz
	KindTags                // []string; SQL text[]
	KindActors              // []EventActor, in the event_actors link table
	KindSources             // []EventSource, in the event_sources link table
	KindExtra               // map[string]string; SQL jsonb
	KindVersion             // int64, server-owned; SQL bigint
)

// SQLType is the column type of a property of this kind.
func (k Kind) SQLType() string {
	switch k {
	case KindCount:
		return "integer"
	case KindTime:
		return "timestamptz"
	case KindTags:
		return "text[]"
	case KindExtra:
		return "jsonb"
	case KindVersion:
		return "bigint"
	}
	return "text"
}

// Property describes one member of an event Feature's properties: how it
// is named, stored, checked, filtered, sorted, documented and exchanged.
// Properties is the one list of them; the SQL that reads and writes
// events, the schema and queryables documents, the sortby and CQL2
// allow-lists, the OpenAPI schema, the CSV columns and the decoding of
// written Features are all made from it.
type Property struct {
	Name        string // member of the Feature's properties
	Title       string // label for people (schema title; the map's fallback label)
	Description string
	Kind        Kind
	// Column is the events column that holds the value; "" for values kept
	// in link tables (actors, sources).
	Column string
	// Required properties must be given on every write; Default is used
	// for a missing enum value instead of refusing it.
	Required bool
	Default  string
	Enum     []string
	// MaxLen caps text, in bytes.
	MaxLen int
	// Pattern and PatternRule check non-empty text: the rule is the
	// message for a value that does not match.
	Pattern     *regexp.Regexp
	PatternRule string
	// Valid, when set, is a further check of non-empty text that a
	// pattern cannot express (a time zone the zone database knows); a
	// value it refuses breaks PatternRule.
	Valid func(string) bool
	// NullIfEmpty stores "" as NULL (an id that may be absent but must be
	// unique when present).
	NullIfEmpty bool
	// Queryable properties may be named in CQL2 filters; Sortable ones in
	// sortby (each has an index that serves a first page: see migrations).
	Queryable, Sortable bool
	// ServerOwned properties are served but never written by clients.
	ServerOwned bool
	// CSV is the column of our CSV files (ACLED's name where ACLED has the
	// same field as is, ours otherwise); "" when the CSV reader and writer
	// map the value themselves (coded precisions, the country, dates).
	CSV string
	// Popup marks the facts the map lists as rows in an event's popup.
	Popup bool
	// Schema holds extra JSON Schema members (format, x-ogc-role ...).
	Schema map[string]any
	// field returns a pointer to the Event field holding the value.
	field func(ev *Event) any
}

// Field returns a pointer to the field of ev that holds p's value:
// *string, **int, *time.Time, *[]string, *[]EventActor, *[]EventSource,
// *map[string]string or *int64, as p.Kind says.
func (p *Property) Field(ev *Event) any { return p.field(ev) }

var (
	countryCode    = regexp.MustCompile(`^[A-Z]{3}$`)
	externalIDRule = regexp.MustCompile(`^[\x21-\x7e]{1,100}$`)
)

// Properties is the table of event properties, in the order Features list
// them. Read the Property fields above for what each column means.
var Properties = []Property{
	{Name: "type", Title: "Type", Description: "Kind of event", Kind: KindEnum, Column: "type",
		Required: true, Enum: EventTypes, Queryable: true, Sortable: true, CSV: "type", Popup: true,
		field: func(ev *Event) any { return &ev.Type }},
	{Name: "title", Title: "Title", Description: "Short description", Kind: KindText, Column: "title",
		Required: true, MaxLen: 500, Queryable: true, Sortable: true, CSV: "title",
		field: func(ev *Event) any { return &ev.Title }},
	{Name: "summary", Title: "Summary", Description: "Long description", Kind: KindText, Column: "summary",
		MaxLen: 20000, Queryable: true, CSV: "notes",
		field: func(ev *Event) any { return &ev.Summary }},
	{Name: "occurred_at", Title: "When", Description: "When it happened; for an imprecise date, the start of its period",
		Kind: KindTime, Column: "occurred_at", Required: true, Queryable: true, Sortable: true, CSV: "occurred_at",
		Schema: map[string]any{"x-ogc-role": "primary-instant"},
		field:  func(ev *Event) any { return &ev.OccurredAt }},
	{Name: "time_precision", Title: "Time precision", Description: "How exact occurred_at is (ACLED 1-3: day, week, month)",
		Kind: KindEnum, Column: "time_precision", Required: true, Enum: TimePrecisions, Queryable: true, CSV: "occurred_precision",
		field: func(ev *Event) any { return &ev.TimePrecision }},
	{Name: "tz", Title: "Time zone", Description: "The event's local time zone, for showing its time as people there read it: a UTC offset such as +03:00 or an IANA zone such as Asia/Damascus; empty when unknown (times are then shown in UTC). A write that leaves it out but gives occurred_at with a non-zero offset gets that offset",
		Kind: KindText, Column: "tz", MaxLen: 64, Pattern: tzShape, Valid: ValidTZ, PatternRule: tzRule, CSV: "tz",
		field: func(ev *Event) any { return &ev.TZ }},
	{Name: "place", Title: "Place", Description: "Named place, town or area", Kind: KindText, Column: "place",
		Queryable: true, CSV: "location",
		field: func(ev *Event) any { return &ev.Place }},
	{Name: "admin1", Title: "Province", Description: "First-level administrative division", Kind: KindText, Column: "admin1",
		Queryable: true, CSV: "admin1",
		field: func(ev *Event) any { return &ev.Admin1 }},
	{Name: "country", Title: "Country", Description: "ISO 3166-1 alpha-3 country code", Kind: KindText, Column: "country",
		Required: true, Pattern: countryCode, PatternRule: "must be an ISO 3166-1 alpha-3 code such as SYR",
		Queryable: true, Sortable: true,
		field: func(ev *Event) any { return &ev.Country }},
	{Name: "geo_precision", Title: "Location precision", Description: "How exact the geometry is (ACLED 1-3); a region event's geometry is the area it happened somewhere in",
		Kind: KindEnum, Column: "geo_precision", Required: true, Enum: GeoPrecisions, Queryable: true,
		field: func(ev *Event) any { return &ev.GeoPrecision }},
	{Name: "fatalities", Title: "Fatalities", Description: "Number killed; null means unknown, which is not 0",
		Kind: KindCount, Column: "fatalities", Queryable: true, Sortable: true, CSV: "fatalities", Popup: true,
		field: func(ev *Event) any { return &ev.Fatalities }},
	{Name: "civilian_fatalities", Title: "Civilian fatalities", Description: "Civilians among the fatalities; null means unknown, which is not 0",
		Kind: KindCount, Column: "civilian_fatalities", Queryable: true, Sortable: true, CSV: "civilian_fatalities", Popup: true,
		field: func(ev *Event) any { return &ev.CivilianFatalities }},
	{Name: "status", Title: "Status", Description: "How far the report is confirmed", Kind: KindEnum, Column: "status",
		Default: "reported", Enum: Statuses, Queryable: true, Sortable: true, CSV: "status", Popup: true,
		field: func(ev *Event) any { return &ev.Status }},
	// Not queryable: a filter must not be able to probe for what a caller
	// may not see.
	{Name: "visibility", Title: "Visibility", Description: "Restricted events are only visible to authorised callers",
		Kind: KindEnum, Column: "visibility", Default: "public", Enum: Visibilities, CSV: "visibility",
		field: func(ev *Event) any { return &ev.Visibility }},
	{Name: "tags", Title: "Tags", Description: "Free labels", Kind: KindTags, Column: "tags", CSV: "tags",
		field: func(ev *Event) any { return &ev.Tags }},
	{Name: "actors", Title: "Actors", Description: "Who took part, in which role", Kind: KindActors, CSV: "actors",
		field: func(ev *Event) any { return &ev.Actors }},
	{Name: "sources", Title: "Sources", Description: "Reports the event rests on", Kind: KindSources, CSV: "source_urls",
		field: func(ev *Event) any { return &ev.Sources }},
	{Name: "external_id", Title: "External id", Description: "Id in the dataset the event was imported from (ACLED event_id_cnty); re-imports update the event with this id",
		Kind: KindText, Column: "external_id", NullIfEmpty: true, Pattern: externalIDRule,
		PatternRule: "must be 1 to 100 printable ASCII characters without spaces", CSV: "event_id_cnty",
		field: func(ev *Event) any { return &ev.ExternalID }},
	{Name: "extra", Title: "Other fields", Description: "Fields of the source dataset this model has no column for (ACLED sub_event_type, inter1, admin2 ...), given back by exports",
		Kind: KindExtra, Column: "properties", CSV: "extra",
		field: func(ev *Event) any { return &ev.Extra }},
	{Name: "version", Title: "Version", Description: "Revision number; the ETag of the item", Kind: KindVersion, Column: "version",
		ServerOwned: true, CSV: "version",
		field: func(ev *Event) any { return &ev.Version }},
	{Name: "updated_at", Title: "Updated", Description: "Last change to the record", Kind: KindTime, Column: "updated_at",
		ServerOwned: true, Queryable: true, Sortable: true, CSV: "updated_at",
		field: func(ev *Event) any { return &ev.UpdatedAt }},
}

// PropertyNamed returns the property called name, or nil.
func PropertyNamed(name string) *Property {
	for i := range Properties {
		if Properties[i].Name == name {
			return &Properties[i]
		}
	}
	return nil
}

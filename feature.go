package eventmap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"eventmap/geo"
)

// featureIn is the GeoJSON Feature an event is written as: the same shape
// the API serves, minus the fields the server owns.
type featureIn struct {
	Type       string          `json:"type"`
	ID         *string         `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
	BBox       json.RawMessage `json:"bbox"`
}

type propertiesIn struct {
	Type               string            `json:"type"`
	Title              string            `json:"title"`
	Summary            string            `json:"summary"`
	OccurredAt         string            `json:"occurred_at"`
	TimePrecision      string            `json:"time_precision"`
	Place              string            `json:"place"`
	Admin1             string            `json:"admin1"`
	Country            string            `json:"country"`
	GeoPrecision       string            `json:"geo_precision"`
	Fatalities         *int              `json:"fatalities"`
	CivilianFatalities *int              `json:"civilian_fatalities"`
	Status             string            `json:"status"`
	Visibility         string            `json:"visibility"`
	Tags               []string          `json:"tags"`
	Actors             []EventActor      `json:"actors"`
	Sources            []EventSource     `json:"sources"`
	ExternalID         *string           `json:"external_id"`
	Extra              map[string]string `json:"extra"`
}

// serverOwned are properties clients read but may not write: sending one is
// an error rather than being silently dropped.
var serverOwned = []string{"version", "updated_at", "created_at", "editor"}

var countryCode = regexp.MustCompile(`^[A-Z]{3}$`)

// DecodeFeature reads one event from a GeoJSON Feature and checks every
// rule that can be checked without the database. All broken rules are
// reported together, each naming its field.
func DecodeFeature(raw []byte, lim geo.Limits) (*Event, error) {
	return decodeFeature(raw, lim, false)
}

// DecodeImportedFeature is DecodeFeature for a Feature read from a file,
// typically one this service exported: the server-owned properties it
// carries (version, updated_at) describe the exported copy and are
// ignored instead of refused.
func DecodeImportedFeature(raw []byte, lim geo.Limits) (*Event, error) {
	return decodeFeature(raw, lim, true)
}

func decodeFeature(raw []byte, lim geo.Limits, ignoreOwned bool) (*Event, error) {
	if !utf8.Valid(raw) {
		return nil, Invalid("body", "must be UTF-8 text (RFC 8259): bad bytes would be stored as U+FFFD, changing what was sent")
	}
	var f featureIn
	if err := strictUnmarshal(raw, &f); err != nil {
		fe := jsonFieldError("", err, len(raw))
		if fe.Field == "" {
			fe.Field = "body"
		}
		return nil, &Error{Code: EINVALID, Detail: fe.Field + ": " + fe.Rule, Errors: []FieldError{fe}}
	}
	var errs []FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Rule: fmt.Sprintf(format, args...)})
	}
	if f.Type != "Feature" {
		bad("type", `must be "Feature"`)
	}
	ev := &Event{}
	if f.ID != nil {
		ev.ID = *f.ID
	}
	if len(f.Geometry) == 0 || string(f.Geometry) == "null" {
		bad("geometry", "is required: an event without a location cannot be mapped")
	} else if g, err := geo.ParseGeometry(f.Geometry, lim); err != nil {
		bad("geometry", "%v", err)
	} else {
		ev.Geometry = g
	}

	var owned map[string]json.RawMessage
	if err := json.Unmarshal(f.Properties, &owned); err != nil || owned == nil {
		bad("properties", "must be a JSON object")
	}
	for _, k := range serverOwned {
		if _, ok := owned[k]; ok && !ignoreOwned {
			bad("properties."+k, "is set by the server and cannot be written")
		}
	}
	for _, k := range serverOwned {
		delete(owned, k)
	}
	// The edit reason belongs to the revision, not the event: see EditReason.
	delete(owned, "edit_reason")
	rest, _ := json.Marshal(owned)
	var p propertiesIn
	if err := strictUnmarshal(rest, &p); err != nil {
		fe := jsonFieldError("properties.", err, len(rest))
		if fe.Field == "" {
			fe.Field = "properties"
		}
		errs = append(errs, fe)
	}

	ev.Type, ev.Title, ev.Summary = p.Type, strings.TrimSpace(p.Title), p.Summary
	ev.Place, ev.Admin1, ev.Country = p.Place, p.Admin1, p.Country
	ev.TimePrecision, ev.GeoPrecision = p.TimePrecision, p.GeoPrecision
	ev.Status, ev.Visibility = orDefault(p.Status, "reported"), orDefault(p.Visibility, "public")
	ev.Fatalities, ev.CivilianFatalities = p.Fatalities, p.CivilianFatalities
	ev.Tags, ev.Actors, ev.Sources = p.Tags, p.Actors, p.Sources
	if p.ExternalID != nil {
		ev.ExternalID = *p.ExternalID
	}
	ev.Extra = p.Extra
	if t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(p.OccurredAt)); err != nil {
		bad("properties.occurred_at", "must be an RFC 3339 date-time with a time zone, got %q", p.OccurredAt)
	} else {
		ev.OccurredAt = t.UTC()
	}
	errs = append(errs, ev.Check()...)
	if len(errs) > 0 {
		detail := errs[0].Field + ": " + errs[0].Rule
		if len(errs) > 1 {
			detail += fmt.Sprintf(" (and %d more)", len(errs)-1)
		}
		return nil, &Error{Code: EINVALID, Detail: detail, Errors: errs}
	}
	return ev, nil
}

// externalIDRule keeps ids from other datasets printable and short.
var externalIDRule = regexp.MustCompile(`^[\x21-\x7e]{1,100}$`)

// extraKeyRule: extra members are named like columns, so they survive a
// trip through CSV headers and spreadsheets.
var extraKeyRule = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// Check returns every rule ev breaks among those that need no database
// and no parsing: the one set of event rules, used by the API
// (DecodeFeature) and by imports of other formats alike. Fields are named
// as in the GeoJSON Feature ("properties.title"); importers of other
// formats rename them to their own columns.
func (ev *Event) Check() []FieldError {
	var errs []FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Rule: fmt.Sprintf(format, args...)})
	}
	if n := len(ev.Title); n == 0 || n > 500 {
		bad("properties.title", "is required and at most 500 characters")
	}
	if len(ev.Summary) > 20000 {
		bad("properties.summary", "at most 20000 characters")
	}
	oneOf := func(field, v string, allowed []string) {
		if !slices.Contains(allowed, v) {
			bad(field, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
		}
	}
	oneOf("properties.type", ev.Type, EventTypes)
	oneOf("properties.time_precision", ev.TimePrecision, TimePrecisions)
	oneOf("properties.geo_precision", ev.GeoPrecision, GeoPrecisions)
	oneOf("properties.status", ev.Status, Statuses)
	oneOf("properties.visibility", ev.Visibility, Visibilities)
	if !countryCode.MatchString(ev.Country) {
		bad("properties.country", "must be an ISO 3166-1 alpha-3 code such as SYR, got %q", ev.Country)
	}
	if ev.Fatalities != nil && *ev.Fatalities < 0 {
		bad("properties.fatalities", "must be 0 or more, or null when unknown")
	}
	if ev.CivilianFatalities != nil && *ev.CivilianFatalities < 0 {
		bad("properties.civilian_fatalities", "must be 0 or more, or null when unknown")
	}
	if ev.Fatalities != nil && ev.CivilianFatalities != nil && *ev.CivilianFatalities > *ev.Fatalities {
		bad("properties.civilian_fatalities", "cannot exceed fatalities (%d)", *ev.Fatalities)
	}
	if len(ev.Tags) > 50 {
		bad("properties.tags", "at most 50 tags")
	}
	for i, t := range ev.Tags {
		if t == "" || len(t) > 100 {
			bad(fmt.Sprintf("properties.tags[%d]", i), "must be 1 to 100 characters")
		}
	}
	if len(ev.Actors) > 100 {
		bad("properties.actors", "at most 100 actors")
	}
	for i, a := range ev.Actors {
		if a.Name == "" || len(a.Name) > 300 {
			bad(fmt.Sprintf("properties.actors[%d].name", i), "must be 1 to 300 characters")
		}
		oneOf(fmt.Sprintf("properties.actors[%d].role", i), a.Role, ActorRoles)
	}
	if len(ev.Sources) > 100 {
		bad("properties.sources", "at most 100 sources")
	}
	for i, s := range ev.Sources {
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(fmt.Sprintf("properties.sources[%d].url", i), "must be an absolute http(s) URL, got %q", s.URL)
		}
	}
	// JSON may carry \u0000; PostgreSQL text cannot hold it.
	noNUL := func(field, v string) {
		if strings.ContainsRune(v, 0) {
			bad(field, "must not contain NUL (\\u0000) characters")
		}
	}
	for _, f := range [][2]string{{"title", ev.Title}, {"summary", ev.Summary}, {"place", ev.Place}, {"admin1", ev.Admin1}} {
		noNUL("properties."+f[0], f[1])
	}
	for i, tag := range ev.Tags {
		noNUL(fmt.Sprintf("properties.tags[%d]", i), tag)
	}
	for i, a := range ev.Actors {
		noNUL(fmt.Sprintf("properties.actors[%d].name", i), a.Name)
	}
	for i, src := range ev.Sources {
		noNUL(fmt.Sprintf("properties.sources[%d]", i), src.URL+src.Publisher+src.Title+src.Excerpt)
	}
	if ev.ExternalID != "" && !externalIDRule.MatchString(ev.ExternalID) {
		bad("properties.external_id", "must be 1 to 100 printable ASCII characters without spaces, got %q", ev.ExternalID)
	}
	if len(ev.Extra) > 50 {
		bad("properties.extra", "at most 50 members")
	}
	keys := make([]string, 0, len(ev.Extra))
	for k := range ev.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !extraKeyRule.MatchString(k) {
			bad("properties.extra", "member names must be lower-case letters, digits and _ (at most 41), got %q", k)
		} else if len(ev.Extra[k]) > 20000 {
			bad("properties.extra."+k, "at most 20000 characters")
		}
	}
	return errs
}

// jsonFieldError names the field and rule behind an encoding/json error:
// where the syntax broke, which member has the wrong type, which member is
// unknown.
func jsonFieldError(prefix string, err error, size int) FieldError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return FieldError{Rule: fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, syn.Error())}
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return FieldError{Rule: fmt.Sprintf("malformed JSON at byte %d: the document ends before it is complete", size)}
	case errors.As(err, &typ) && typ.Field != "":
		return FieldError{Field: prefix + typ.Field, Rule: fmt.Sprintf("must be a JSON %s, got %s", jsonKind(typ.Type.Kind().String()), typ.Value)}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return FieldError{Field: prefix + strings.Trim(name, `"`), Rule: "is not a known member (check its spelling)"}
	}
	return FieldError{Rule: err.Error()}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "float64":
		return "number"
	case "slice":
		return "array"
	case "struct", "map", "ptr":
		return "object"
	}
	return goKind
}

// EditReason returns the optional "edit_reason" property of a Feature:
// why this write was made, for the revision history. It is not stored on
// the event itself.
func EditReason(raw []byte) string {
	var f struct {
		Properties struct {
			EditReason string `json:"edit_reason"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(raw, &f)
	return strings.TrimSpace(f.Properties.EditReason)
}

// strictUnmarshal rejects unknown members, so a misspelt property is an
// error instead of a silently lost value.
func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

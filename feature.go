package eventmap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
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

// DecodeServedFeature reads a Feature as this service serves it (from the
// database, an export or a revision), server-owned properties included,
// for the CSV writer and the HTML pages. It checks no event rule: the
// Feature was checked when it was written.
func DecodeServedFeature(raw []byte) (*Event, error) {
	var f featureIn
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("eventmap: decode served feature: %w", err)
	}
	ev := &Event{}
	if f.ID != nil {
		ev.ID = *f.ID
	}
	g, err := geo.ParseGeometry(f.Geometry, geo.Limits{MaxVertices: math.MaxInt32, MaxDepth: 10})
	if err != nil {
		return nil, fmt.Errorf("eventmap: geometry of served feature %s: %w", ev.ID, err)
	}
	ev.Geometry = g
	var props map[string]json.RawMessage
	if err := json.Unmarshal(f.Properties, &props); err != nil {
		return nil, fmt.Errorf("eventmap: properties of served feature %s: %w", ev.ID, err)
	}
	for name, raw := range props {
		if p := PropertyNamed(name); p != nil {
			if fe, ok := decodeProperty(p, raw, ev); !ok {
				return nil, fmt.Errorf("eventmap: served feature %s: %s: %s", ev.ID, fe.Field, fe.Rule)
			}
		}
	}
	return ev, nil
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

	var props map[string]json.RawMessage
	if err := json.Unmarshal(f.Properties, &props); err != nil || props == nil {
		bad("properties", "must be a JSON object")
	}
	// The edit reason belongs to the revision, not the event: see EditReason.
	delete(props, "edit_reason")
	for _, name := range sortedKeys(props) {
		p := PropertyNamed(name)
		switch {
		case p == nil:
			bad("properties."+name, "is not a known member (check its spelling)")
		case p.ServerOwned:
			if !ignoreOwned {
				bad("properties."+name, "is set by the server and cannot be written")
			}
		default:
			if fe, ok := decodeProperty(p, props[name], ev); !ok {
				errs = append(errs, fe)
			}
		}
	}
	ev.Title = strings.TrimSpace(ev.Title)
	for _, p := range Properties {
		if v, ok := p.Field(ev).(*string); ok && *v == "" && p.Default != "" {
			*v = p.Default
		}
	}
	if _, ok := props["occurred_at"]; !ok {
		bad("properties.occurred_at", "is required: an RFC 3339 date-time with a time zone")
	} else if ev.TZ == "" {
		var at string
		_ = json.Unmarshal(props["occurred_at"], &at)
		ev.TZ = OffsetTZ(at)
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

// extraKeyRule: extra members are named like columns, so they survive a
// trip through CSV headers and spreadsheets.
var extraKeyRule = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// decodeProperty reads one property's JSON value into its field of ev,
// or names the rule the value breaks.
func decodeProperty(p *Property, raw json.RawMessage, ev *Event) (FieldError, bool) {
	field := "properties." + p.Name
	if p.Kind == KindTime {
		// Parsed by hand: encoding/json would refuse a lower-case "t" or
		// "z", which RFC 3339 allows, and say nothing useful about why.
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return FieldError{Field: field, Rule: "must be an RFC 3339 date-time with a time zone, got " + string(raw)}, false
		}
		t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
		if err != nil {
			return FieldError{Field: field, Rule: fmt.Sprintf("must be an RFC 3339 date-time with a time zone, got %q", s)}, false
		}
		*p.Field(ev).(*time.Time) = t.UTC()
		return FieldError{}, true
	}
	// raw is one JSON value, cut out of the properties object: only
	// actors and sources hold objects whose unknown members must be
	// refused. The others take json.Unmarshal, which needs no Decoder:
	// a Decoder per property was most of the time of reading a file
	// (120 µs of a Feature's 130 µs, at 100 k Features).
	unmarshal := json.Unmarshal
	if p.Kind == KindActors || p.Kind == KindSources {
		unmarshal = strictUnmarshal
	}
	if err := unmarshal(raw, p.Field(ev)); err != nil {
		fe := jsonFieldError(field+".", err, len(raw))
		switch {
		case fe.Field == "":
			fe.Field = field
		case strings.HasSuffix(fe.Field, "."):
			fe.Field = strings.TrimSuffix(fe.Field, ".")
		}
		return fe, false
	}
	return FieldError{}, true
}

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
	// JSON may carry \u0000; PostgreSQL text cannot hold it.
	noNUL := func(field, v string) {
		if strings.ContainsRune(v, 0) {
			bad(field, "must not contain NUL (\\u0000) characters")
		}
	}
	for i := range Properties {
		p := &Properties[i]
		if p.ServerOwned {
			continue
		}
		field := "properties." + p.Name
		switch v := p.Field(ev).(type) {
		case *string:
			switch {
			case p.Enum != nil:
				if !slices.Contains(p.Enum, *v) {
					bad(field, "must be one of %s, got %q", strings.Join(p.Enum, ", "), *v)
				}
			case p.Required && p.MaxLen > 0 && (*v == "" || len(*v) > p.MaxLen):
				bad(field, "is required and at most %d characters", p.MaxLen)
			case p.MaxLen > 0 && len(*v) > p.MaxLen:
				bad(field, "at most %d characters", p.MaxLen)
			case p.Pattern != nil && (*v != "" || p.Required) && !p.Pattern.MatchString(*v):
				bad(field, "%s, got %q", p.PatternRule, *v)
			case p.Valid != nil && *v != "" && !p.Valid(*v):
				bad(field, "%s, got %q", p.PatternRule, *v)
			}
			if p.Enum == nil {
				noNUL(field, *v)
			}
		case **int:
			if *v != nil && **v < 0 {
				bad(field, "must be 0 or more, or null when unknown")
			}
		}
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
		noNUL(fmt.Sprintf("properties.tags[%d]", i), t)
	}
	if len(ev.Actors) > 100 {
		bad("properties.actors", "at most 100 actors")
	}
	for i, a := range ev.Actors {
		if a.Name == "" || len(a.Name) > 300 {
			bad(fmt.Sprintf("properties.actors[%d].name", i), "must be 1 to 300 characters")
		}
		if !slices.Contains(ActorRoles, a.Role) {
			bad(fmt.Sprintf("properties.actors[%d].role", i), "must be one of %s, got %q", strings.Join(ActorRoles, ", "), a.Role)
		}
		noNUL(fmt.Sprintf("properties.actors[%d].name", i), a.Name)
	}
	if len(ev.Sources) > 100 {
		bad("properties.sources", "at most 100 sources")
	}
	for i, s := range ev.Sources {
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(fmt.Sprintf("properties.sources[%d].url", i), "must be an absolute http(s) URL, got %q", s.URL)
		}
		noNUL(fmt.Sprintf("properties.sources[%d]", i), s.URL+s.Publisher+s.Title+s.Excerpt)
	}
	if len(ev.Extra) > 50 {
		bad("properties.extra", "at most 50 members")
	}
	for _, k := range sortedKeys(ev.Extra) {
		if !extraKeyRule.MatchString(k) {
			bad("properties.extra", "member names must be lower-case letters, digits and _ (at most 41), got %q", k)
		} else if len(ev.Extra[k]) > 20000 {
			bad("properties.extra."+k, "at most 20000 characters")
		}
	}
	return errs
}

// sortedKeys lists a map's keys in order, so errors come in a stable order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
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

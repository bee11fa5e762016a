package eventmap_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"eventmap"
	"eventmap/geo"
)

const validFeature = `{"type":"Feature","geometry":{"type":"Point","coordinates":[36.6939,33.6439]},
 "properties":{"type":"raid","title":"Raid in Dumayr","occurred_at":"2025-10-19T03:00:00+03:00","time_precision":"exact",
  "geo_precision":"exact","country":"SYR","fatalities":null,"actors":[{"name":"US forces","role":"perpetrator"}],
  "sources":[{"url":"https://example.org/a"}]}}`

func TestDecodeFeature(t *testing.T) {
	ev, err := eventmap.DecodeFeature([]byte(validFeature), geo.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Fatalities != nil {
		t.Errorf("null fatalities must stay unknown (nil), got %v", *ev.Fatalities)
	}
	if got := ev.OccurredAt.Format("2006-01-02T15:04Z07:00"); got != "2025-10-19T00:00Z" {
		t.Errorf("occurred_at normalised to %s, want UTC", got)
	}
	if ev.Status != "reported" || ev.Visibility != "public" {
		t.Errorf("defaults: status %q visibility %q", ev.Status, ev.Visibility)
	}
}

func TestDecodeFeatureRejects(t *testing.T) {
	tests := []struct {
		name, from, to, field string
	}{
		{"unknown type", `"type":"raid"`, `"type":"party"`, "properties.type"},
		{"missing title", `"title":"Raid in Dumayr",`, ``, "properties.title"},
		{"bad date", `"2025-10-19T03:00:00+03:00"`, `"19/10/2025"`, "properties.occurred_at"},
		{"negative fatalities", `"fatalities":null`, `"fatalities":-1`, "properties.fatalities"},
		{"bad country", `"SYR"`, `"Syria"`, "properties.country"},
		{"server-owned version", `"title":`, `"version":3,"title":`, "properties.version"},
		{"misspelt property", `"title":`, `"titel":"x","title":`, "properties.titel"},
		{"fatalities as text", `"fatalities":null`, `"fatalities":"one"`, "properties.fatalities"},
		{"unknown top-level member", `"type":"Feature"`, `"type":"Feature","crs":{}`, "crs"},
		{"truncated JSON", `}}`, `}`, "body"},
		{"bad role", `"perpetrator"`, `"hero"`, "properties.actors[0].role"},
		{"bad source url", `"https://example.org/a"`, `"javascript:alert(1)"`, "properties.sources[0].url"},
		{"geometry out of range", `[36.6939,33.6439]`, `[36.6939,133.6439]`, "geometry"},
		{"no geometry", `"geometry":{"type":"Point","coordinates":[36.6939,33.6439]},`, ``, "geometry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := strings.Replace(validFeature, tt.from, tt.to, 1)
			if in == validFeature {
				t.Fatalf("test input unchanged: %q not found", tt.from)
			}
			_, err := eventmap.DecodeFeature([]byte(in), geo.DefaultLimits)
			var e *eventmap.Error
			if err == nil || eventmap.ErrorCode(err) != eventmap.EINVALID {
				t.Fatalf("error = %v, want EINVALID", err)
			}
			e = err.(*eventmap.Error)
			found := false
			for _, fe := range e.Errors {
				found = found || fe.Field == tt.field
			}
			if !found {
				t.Errorf("errors %+v do not name %s", e.Errors, tt.field)
			}
		})
	}
}

func TestDecodeFeaturePropertiesMustBeAnObject(t *testing.T) {
	for _, props := range []string{`[]`, `"raid"`, `null`, `3`} {
		in := `{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":` + props + `}`
		_, err := eventmap.DecodeFeature([]byte(in), geo.DefaultLimits)
		e, ok := err.(*eventmap.Error)
		if !ok || len(e.Errors) == 0 || e.Errors[0].Field != "properties" || e.Errors[0].Rule != "must be a JSON object" {
			t.Errorf("properties %s: error %v, want properties: must be a JSON object first", props, err)
		}
	}
}

// FuzzDecodeFeature: whatever the decoder is given, it never panics, and
// an event it accepts keeps every rule the database also enforces, so an
// accepted body never fails later as a database error.
func FuzzDecodeFeature(f *testing.F) {
	f.Add(validFeature)
	for _, s := range []string{`{}`, `[]`, `null`, `"x"`, `{"type":"Feature"}`, `{"type":"Feature","geometry":null,"properties":null}`,
		strings.Replace(validFeature, `"fatalities":null`, `"fatalities":-1`, 1),
		strings.Replace(validFeature, `"title":"Raid in Dumayr"`, `"title":"\u0000"`, 1),
		strings.Replace(validFeature, `"SYR"`, `"syr"`, 1),
		strings.Replace(validFeature, `2025-10-19T03:00:00+03:00`, `2025-13-45T99:00:00Z`, 1),
		strings.Replace(validFeature, `"properties":{`, `"properties":{"version":1,`, 1),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ev, err := eventmap.DecodeFeature([]byte(s), geo.DefaultLimits)
		if err != nil {
			if eventmap.ErrorCode(err) != eventmap.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		switch {
		case ev.Geometry == nil:
			t.Fatal("accepted without a geometry")
		case ev.Title == "" || len(ev.Title) > 500:
			t.Fatalf("accepted title %q", ev.Title)
		case !slices.Contains(eventmap.EventTypes, ev.Type) || !slices.Contains(eventmap.Statuses, ev.Status) ||
			!slices.Contains(eventmap.Visibilities, ev.Visibility) || !slices.Contains(eventmap.TimePrecisions, ev.TimePrecision) ||
			!slices.Contains(eventmap.GeoPrecisions, ev.GeoPrecision):
			t.Fatalf("accepted an enum outside its list: %+v", ev)
		case ev.Fatalities != nil && *ev.Fatalities < 0, ev.CivilianFatalities != nil && *ev.CivilianFatalities < 0:
			t.Fatal("accepted a negative count")
		case ev.OccurredAt.IsZero():
			t.Fatal("accepted without occurred_at")
		case !utf8.ValidString(ev.Title+ev.Summary+ev.Place) || strings.ContainsRune(ev.Title+ev.Summary+ev.Place+ev.Admin1, 0):
			t.Fatalf("accepted text PostgreSQL cannot store: %q", ev.Title)
		}
	})
}

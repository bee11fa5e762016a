package eventmap_test

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"eventmap"
)

// The Dumayr raid's correction, from the sample data, reads as its story:
// reported as the capture of an IS official, then killed Khaled
// al-Masoud, an undercover anti-IS agent.
func TestChangesOfTheDumayrCorrection(t *testing.T) {
	raw, err := os.ReadFile("demo/sample.json")
	if err != nil {
		t.Fatal(err)
	}
	var sample struct {
		Events []struct {
			Name    string
			History []struct{ Feature json.RawMessage }
		}
	}
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatal(err)
	}
	h := sample.Events[0].History
	if sample.Events[0].Name != "dumayr-raid" || len(h) != 2 {
		t.Fatalf("the first sample event is not the Dumayr raid with two versions")
	}
	changes, err := eventmap.Changes(h[0].Feature, h[1].Feature)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]eventmap.Change{}
	var names []string
	for _, c := range changes {
		byName[c.Property] = c
		names = append(names, c.Property)
	}
	if got, want := strings.Join(names, ","), "title,summary,fatalities,civilian_fatalities,status,tags,actors,sources"; got != want {
		t.Errorf("changed %s, want %s", got, want)
	}
	title := byName["title"]
	wantDiff := []eventmap.TextEdit{
		{Op: "=", Text: "US and Syrian Free Army raid in Dumayr"},
		{Op: "-", Text: "reported as the capture of an IS official"},
		{Op: "+", Text: "killed Khaled al-Masoud, an undercover anti-IS agent"},
	}
	if !reflect.DeepEqual(title.Diff, wantDiff) {
		t.Errorf("title diff %+v, want %+v", title.Diff, wantDiff)
	}
	if title.Label != "Title" || title.Old == nil || !strings.HasSuffix(*title.Old, "IS official") {
		t.Errorf("title change %+v", title)
	}
	check := func(name, old, new string) {
		t.Helper()
		c := byName[name]
		if c.Old == nil || c.New == nil || *c.Old != old || *c.New != new {
			t.Errorf("%s: %v → %v, want %q → %q", name, c.Old, c.New, old, new)
		}
	}
	check("status", "reported", "corroborated")
	check("fatalities", "unknown", "1")
	check("civilian_fatalities", "unknown", "1")
	if a := byName["actors"]; !reflect.DeepEqual(a.Added, []string{"Khaled al-Masoud (victim)"}) || a.Removed != nil {
		t.Errorf("actors %+v", a)
	}
	if s := byName["sources"]; len(s.Changed) != 1 || !strings.HasSuffix(s.Changed[0], "(excerpt)") || s.Added != nil {
		t.Errorf("sources %+v", s)
	}
	if tg := byName["tags"]; !reflect.DeepEqual(tg.Added, []string{"corrected"}) {
		t.Errorf("tags %+v", tg)
	}
	// Nothing changed: nothing listed.
	if none, err := eventmap.Changes(h[1].Feature, h[1].Feature); err != nil || len(none) != 0 {
		t.Errorf("a version against itself: %+v, %v", none, err)
	}
}

// Location, time and precision as a reader sees them change.
func TestChangesOfPlaceAndTime(t *testing.T) {
	before := `{"type":"Feature","id":"x","geometry":{"type":"Point","coordinates":[36.6939,33.6439]},
		"properties":{"type":"raid","title":"t","occurred_at":"2025-10-19T00:00:00Z","time_precision":"exact","tz":"+03:00","geo_precision":"exact","country":"SYR","version":1}}`
	after := strings.NewReplacer(`[36.6939,33.6439]`, `[36.2919,33.5138]`, `"time_precision":"exact"`, `"time_precision":"day"`,
		`"geo_precision":"exact"`, `"geo_precision":"town"`, `"version":1`, `"version":2`).Replace(before)
	changes, err := eventmap.Changes([]byte(before), []byte(after))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range changes {
		names = append(names, c.Property)
		switch c.Property {
		case "occurred_at":
			if *c.Old != "19 Oct 2025, 03:00 UTC+03:00" || *c.New != "19 Oct 2025" {
				t.Errorf("occurred_at %q → %q", *c.Old, *c.New)
			}
		case "geometry":
			// Dumayr to Damascus: about 40 km.
			if c.MovedKm == nil || *c.MovedKm < 38 || *c.MovedKm > 40 || c.Old != nil {
				t.Errorf("geometry %+v (moved %v km)", c, *c.MovedKm)
			}
		}
	}
	if got, want := strings.Join(names, ","), "occurred_at,time_precision,geo_precision,geometry"; got != want {
		t.Errorf("changed %s, want %s", got, want)
	}
}

func TestWordDiff(t *testing.T) {
	tests := []struct {
		a, b string
		want []eventmap.TextEdit
	}{
		{"same words", "same words", []eventmap.TextEdit{{Op: "=", Text: "same words"}}},
		{"", "new text", []eventmap.TextEdit{{Op: "+", Text: "new text"}}},
		{"old text", "", []eventmap.TextEdit{{Op: "-", Text: "old text"}}},
		{"a raid in Dumayr", "a night raid in Dumayr", []eventmap.TextEdit{{Op: "=", Text: "a"}, {Op: "+", Text: "night"}, {Op: "=", Text: "raid in Dumayr"}}},
		{"one two three four five six", "one 2 three four five 6", []eventmap.TextEdit{
			{Op: "=", Text: "one"}, {Op: "-", Text: "two"}, {Op: "+", Text: "2"}, {Op: "=", Text: "three four five"}, {Op: "-", Text: "six"}, {Op: "+", Text: "6"}}},
	}
	for _, tt := range tests {
		if got := eventmap.WordDiff(tt.a, tt.b); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("WordDiff(%q, %q) = %+v, want %+v", tt.a, tt.b, got, tt.want)
		}
	}
	// Past the table's bound the texts are replaced whole.
	long := strings.Repeat("w ", 1500)
	if got := eventmap.WordDiff(long, long+"x"); len(got) != 2 || got[0].Op != "-" || got[1].Op != "+" {
		t.Errorf("a long diff gave %d runs", len(got))
	}
}

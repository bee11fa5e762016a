package eventmap_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"eventmap"
	"eventmap/geo"
)

// The pages' rule for showing a time, against the cases the map's
// format.js is tested with too (e2e/format_rules.mjs): one rule, two
// languages.
func TestFormatWhen(t *testing.T) {
	raw, err := os.ReadFile("testdata/when_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []struct {
			Name, Precision, TZ, Text, Title string
			OccurredAt                       string `json:"occurred_at"`
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Cases) < 10 {
		t.Fatalf("only %d cases read", len(doc.Cases))
	}
	for _, c := range doc.Cases {
		t.Run(c.Name, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339, c.OccurredAt)
			if err != nil {
				t.Fatal(err)
			}
			got := eventmap.FormatWhen(at, c.Precision, c.TZ)
			if got.Text != c.Text || got.Title != c.Title {
				t.Errorf("FormatWhen(%s, %q, %q) = %q (title %q), want %q (title %q)", c.OccurredAt, c.Precision, c.TZ, got.Text, got.Title, c.Text, c.Title)
			}
		})
	}
	if got := eventmap.FormatWhen(time.Time{}, "exact", "").Text; got != "unknown date" {
		t.Errorf("zero time: %q", got)
	}
}

func TestValidTZ(t *testing.T) {
	for tz, want := range map[string]bool{
		"+03:00": true, "-05:00": true, "+05:30": true, "+14:00": true, "-12:00": true, "+00:00": true,
		"Asia/Damascus": true, "UTC": true, "America/Argentina/Buenos_Aires": true, "Etc/GMT+3": true,
		"": false, "+15:00": false, "-13:00": false, "+3:00": false, "+0300": false, "03:00": false,
		"Local": false, "Mars/Olympus_Mons": false, "../etc/passwd": false, "/etc/localtime": false, "Asia/Damascus ": false,
	} {
		if got := eventmap.ValidTZ(tz); got != want {
			t.Errorf("ValidTZ(%q) = %v, want %v", tz, got, want)
		}
	}
}

// A write that gives occurred_at with a non-zero offset and no tz gets
// that offset; a zero offset (how UTC is written, this server's own
// output included) and an explicit tz are left alone.
func TestDecodeFeatureTZ(t *testing.T) {
	tests := []struct{ at, tz, want string }{
		{"2025-10-19T03:00:00+03:00", "", "+03:00"},
		{"2025-10-19T03:00:00-04:30", "", "-04:30"},
		{"2025-10-19T00:00:00Z", "", ""},
		{"2025-10-19T00:00:00z", "", ""},
		{"2025-10-19T00:00:00+00:00", "", ""},
		{"2025-10-19T00:00:00.123+03:00", "", "+03:00"},
		{"2025-10-19T03:00:00+03:00", "Asia/Damascus", "Asia/Damascus"},
		{"2025-10-19T00:00:00Z", "+03:00", "+03:00"},
	}
	for _, tt := range tests {
		in := strings.Replace(validFeature, `"2025-10-19T03:00:00+03:00"`, `"`+tt.at+`"`, 1)
		if tt.tz != "" {
			in = strings.Replace(in, `"title":`, `"tz":"`+tt.tz+`","title":`, 1)
		}
		ev, err := eventmap.DecodeFeature([]byte(in), geo.DefaultLimits)
		if err != nil {
			t.Fatalf("%s tz %q: %v", tt.at, tt.tz, err)
		}
		if ev.TZ != tt.want {
			t.Errorf("occurred_at %s, tz %q: tz %q, want %q", tt.at, tt.tz, ev.TZ, tt.want)
		}
		if ev.OccurredAt.Location() != time.UTC {
			t.Errorf("occurred_at %s kept in %v, want UTC", tt.at, ev.OccurredAt.Location())
		}
	}
	bad := strings.Replace(validFeature, `"title":`, `"tz":"Mars/Olympus_Mons","title":`, 1)
	_, err := eventmap.DecodeFeature([]byte(bad), geo.DefaultLimits)
	e, ok := err.(*eventmap.Error)
	if !ok || len(e.Errors) != 1 || e.Errors[0].Field != "properties.tz" {
		t.Errorf("an unknown zone: %v", err)
	}
}

package exchange_test

import (
	"strings"
	"testing"

	"eventmap"
	"eventmap/exchange"
)

// The import report's JSON is what POST /collections/events/import and
// `eventmap import --report` give programs: its members and their order
// stay as they were when the counts lived in the report itself.
func TestReportJSON(t *testing.T) {
	rep := &exchange.Report{File: "a.csv", Format: exchange.CSV, Unit: "line", SkipInvalid: true, Seconds: 0.5,
		ImportResult: eventmap.ImportResult{Rows: 3, Created: 1, Updated: 1, Rejected: 1, Committed: true, ErrorsOmitted: 2,
			Errors: []eventmap.RowError{{Line: 2, Field: "event_date", Rule: "must be a date"}}}}
	var b strings.Builder
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	want := `{
  "file": "a.csv",
  "format": "csv",
  "unit": "line",
  "dry_run": false,
  "skip_invalid": true,
  "rows": 3,
  "created": 1,
  "updated": 1,
  "unchanged": 0,
  "skipped_deleted": 0,
  "rejected": 1,
  "committed": true,
  "errors": [
    {
      "line": 2,
      "field": "event_date",
      "rule": "must be a date"
    }
  ],
  "errors_omitted": 2,
  "seconds": 0.5
}
`
	if got := b.String(); got != want {
		t.Errorf("report JSON:\n%s\nwant:\n%s", got, want)
	}
	b.Reset()
	if err := (&exchange.Report{File: "b.geojson", Format: exchange.GeoJSON, Unit: "feature", Error: "broken"}).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), `"errors": [],
  "error": "broken",
  "seconds": 0
}
`; !strings.HasSuffix(got, want) {
		t.Errorf("refused file's report ends:\n%s\nwant the suffix:\n%s", got, want)
	}
}

package exchange

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"eventmap"
)

// Report is what an import did, for people (WriteText) and programs
// (JSON). Line numbers count lines of the file (CSV, NDJSON) or Features
// of the collection (GeoJSON), as Unit says.
type Report struct {
	File        string `json:"file"`
	Format      Format `json:"format"`
	Unit        string `json:"unit"`
	DryRun      bool   `json:"dry_run"`
	SkipInvalid bool   `json:"skip_invalid"`
	// The counts and row errors, as members of the report itself.
	eventmap.ImportResult
	// Error is why the file was refused as a whole, if it was.
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"`
}

// WriteJSON writes the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	if r.Errors == nil {
		r.Errors = []eventmap.RowError{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a person at a terminal.
func (r *Report) WriteText(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %d row(s) read", r.File, r.Format, r.Rows)
	if r.Seconds > 0 {
		fmt.Fprintf(&b, " in %.1fs (%.0f rows/s)", r.Seconds, float64(r.Rows)/r.Seconds)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "  created %d, updated %d, unchanged %d, skipped (deleted here) %d, rejected %d\n",
		r.Created, r.Updated, r.Unchanged, r.SkippedDeleted, r.Rejected)
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "  %s %d: %s: %s\n", r.Unit, e.Line, e.Field, e.Rule)
	}
	if r.ErrorsOmitted > 0 {
		fmt.Fprintf(&b, "  ... and %d more error(s)\n", r.ErrorsOmitted)
	}
	switch {
	case r.Error != "":
		fmt.Fprintf(&b, "  nothing imported: %s\n", r.Error)
	case r.DryRun:
		b.WriteString("  dry run: nothing was written\n")
	case r.Committed:
		b.WriteString("  imported\n")
	default:
		b.WriteString("  nothing imported\n")
	}
	io.WriteString(w, b.String())
}

// FieldName names a field of an event as the user's file calls it: a CSV
// column for CSV, the Feature member otherwise.
func FieldName(f Format, field string) string {
	if f == CSV {
		return csvField(field)
	}
	return field
}

package eventmap

// The rows of an import, and what became of them. File readers (exchange)
// make Rows, the bulk import (store) takes them and returns an
// ImportResult, and the import report (exchange.Report) is that result
// with the file's name and format: one set of types across the three, so
// nothing is copied field by field between them.

// Row is one event read from a file: either Event, or the Errors that
// rejected it. Line is the line the row starts on (CSV, NDJSON) or the
// Feature's position in the collection (GeoJSON), counted from 1.
type Row struct {
	Line   int
	Event  *Event
	Errors []FieldError
}

// RowError is one broken rule in one row of a file.
type RowError struct {
	Line  int    `json:"line"`
	Field string `json:"field"`
	Rule  string `json:"rule"`
}

// ImportResult counts what an import did (or, for a dry run or a refused
// file, would have done), and keeps the first row errors. The order of
// its fields is the order of the import report's JSON members.
type ImportResult struct {
	Rows           int        `json:"rows"`
	Created        int        `json:"created"`
	Updated        int        `json:"updated"`
	Unchanged      int        `json:"unchanged"`
	SkippedDeleted int        `json:"skipped_deleted"`
	Rejected       int        `json:"rejected"`
	Committed      bool       `json:"committed"`
	Errors         []RowError `json:"errors"`
	ErrorsOmitted  int        `json:"errors_omitted,omitempty"`
}

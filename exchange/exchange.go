// Package exchange reads and writes the file formats researchers move
// events in: ACLED-style CSV, GeoJSON FeatureCollections and GeoJSON text
// sequences (NDJSON). It is pure: bytes in, events out (and Features in,
// rows out); the database work of an import or export is store's, the
// flow that joins the two is transfer's. Readers stream: memory stays bounded by the
// largest single row, whatever the size of the file.
package exchange

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"eventmap"
	"eventmap/geo"
)

// Format names a file format.
type Format string

const (
	CSV     Format = "csv"     // ACLED-style CSV (our extra columns optional)
	GeoJSON Format = "geojson" // one GeoJSON FeatureCollection
	NDJSON  Format = "ndjson"  // one Feature per line; RFC 8142 record separators allowed
)

// Formats lists the formats, for flags and error messages.
var Formats = []Format{CSV, GeoJSON, NDJSON}

// ParseFormat reads a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == strings.ToLower(s) {
			return f, nil
		}
	}
	return "", eventmap.Invalid("format", fmt.Sprintf("must be one of csv, geojson, ndjson, got %q", s))
}

// MaxRowBytes caps one CSV record, one Feature of a collection or one line
// of a sequence. Nothing larger is a plausible event (the text and geometry
// limits are far below it), and it bounds the memory a file can make an
// import use, however large or broken the file.
const MaxRowBytes = 4 << 20

// Reader yields the rows of a file. Next returns io.EOF after the last
// row, and an *eventmap.Error for a file that cannot be read further
// (wrong header, broken quoting): such errors stop the whole import.
type Reader interface {
	Next() (eventmap.Row, error)
	// Unit says what Row.Line counts: "line" or "feature".
	Unit() string
}

// NewReader reads r in format f. Every event is checked with the rules
// of the API (eventmap.Event.Check, geo.ParseGeometry).
func NewReader(r io.Reader, f Format) (Reader, error) {
	switch f {
	case CSV:
		return newCSVReader(r)
	case GeoJSON:
		return newCollectionReader(r), nil
	case NDJSON:
		return newSeqReader(r), nil
	}
	return nil, eventmap.Invalid("format", fmt.Sprintf("must be one of csv, geojson, ndjson, got %q", f))
}

// Detect guesses the format from a file name, else from the first bytes
// (which it leaves in br).
func Detect(name string, br *bufio.Reader) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return CSV
	case ".geojson":
		return GeoJSON
	case ".ndjson", ".geojsonl", ".geojsons", ".jsonl", ".geojsonseq":
		return NDJSON
	}
	head, _ := br.Peek(64 << 10)
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(trimmed) > 0 && trimmed[0] == 0x1e:
		return NDJSON
	case len(trimmed) > 0 && trimmed[0] == '{':
		if bytes.Contains(head, []byte(`"FeatureCollection"`)) {
			return GeoJSON
		}
		return NDJSON
	}
	return CSV
}

// limits for imported geometries: those of the API.
var limits = geo.DefaultLimits

var uuidRule = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// checkID: an imported id names the event to create or update, so it must
// be one of ours.
func checkID(ev *eventmap.Event) []eventmap.FieldError {
	if ev.ID != "" && !uuidRule.MatchString(ev.ID) {
		return []eventmap.FieldError{{Field: "id", Rule: fmt.Sprintf("must be an eventmap event id (a UUID), got %q", ev.ID)}}
	}
	ev.ID = strings.ToLower(ev.ID)
	return nil
}

// rowLimiter fails a read once the current row has run past MaxRowBytes,
// so a file with one endless field or line cannot exhaust memory.
// mark is told where each row ends.
type rowLimiter struct {
	r         io.Reader
	read      int64
	rowStart  int64
	unit      string
	whereNext func() string
}

func (l *rowLimiter) Read(p []byte) (int, error) {
	// Allow for the reader's own read-ahead buffer beyond the row.
	if l.read-l.rowStart > MaxRowBytes+(64<<10) {
		return 0, eventmap.Invalid(l.whereNext(), fmt.Sprintf("a single %s is longer than %d bytes: the file is broken (an unclosed quote?) or not an event file", l.unit, MaxRowBytes))
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}

func (l *rowLimiter) mark(offset int64) { l.rowStart = offset }

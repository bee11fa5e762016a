package exchange_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"eventmap"
	"eventmap/exchange"
)

// FuzzReadACLEDCSV feeds arbitrary bytes after a valid ACLED header (and
// whole files from the seed corpus): the reader never panics, stops with
// an EINVALID error or io.EOF, and every event it accepts passes the same
// checks the API applies (Event.Check), so an accepted row cannot fail
// later as a database error.
func FuzzReadACLEDCSV(f *testing.F) {
	sample, err := os.ReadFile("../testdata/acled_sample.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(sample))
	header, _, _ := strings.Cut(string(sample), "\n")
	for _, row := range []string{
		`X1,2025-10-19,2025,1,,Battles,Armed clash,A,,,B,,,,,760,,Syria,,,,Dumayr,33.6,36.6,1,,,,0,,`,
		`X2,19 October 2025,2025,3,,Battles,Armed clash,"A, with comma",,,,,,,,760,,,,,,"multi` + "\n" + `line",33.6,36.6,2,,,"quote "" inside",,a; b,`,
		`X3,2025-02-30,2025,9,,Riots,Nope,,,,,,,,,999,,,,,,,95,200,4,,,,-1,,`,
		`X4,2025-10-19,2025,1,,Battles,Armed clash,\x00,,,,,,,,760,,,,,,,33.6,36.6,1,,,,1e9,,`,
		`"unclosed,2025-10-19`,
		`X5,2025-10-19,2025,1,,Battles,Armed clash,A,,,B,,,,,384,,,,,,Abidjan ` + "\xe9" + `cole,5.3,-4.0,1,,,,0,,`,
		``,
	} {
		f.Add(header + "\n" + row + "\n")
	}
	f.Fuzz(func(t *testing.T, file string) {
		r, err := exchange.NewReader(strings.NewReader(file), exchange.CSV)
		if err != nil {
			if eventmap.ErrorCode(err) != eventmap.EINVALID {
				t.Fatalf("opening: %v is not EINVALID", err)
			}
			return
		}
		for i := 0; i < 10000; i++ {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if eventmap.ErrorCode(err) != eventmap.EINVALID {
					t.Fatalf("row: %v is not EINVALID", err)
				}
				return
			}
			if row.Event == nil {
				if len(row.Errors) == 0 {
					t.Fatalf("line %d: neither an event nor errors", row.Line)
				}
				continue
			}
			if errs := row.Event.Check(); len(errs) > 0 {
				t.Fatalf("line %d accepted but breaks %+v", row.Line, errs)
			}
			if row.Event.Geometry == nil {
				t.Fatalf("line %d accepted without a geometry", row.Line)
			}
			// PostgreSQL refuses invalid UTF-8 text for the whole import;
			// encoding/json writes such bytes as \ufffd escapes.
			b, err := json.Marshal(row.Event)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(`\ufffd`)) {
				t.Fatalf("line %d accepted with text that is not UTF-8", row.Line)
			}
		}
	})
}

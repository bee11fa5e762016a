package cql2

import (
	"errors"
	"reflect"
	"testing"

	"eventmap"
)

// reparse limits are generous because printing may add parentheses and
// spell literals out (DATE('…')), which can push an accepted filter past
// the limits it was parsed under; the property is about meaning, not size.
var reparse = Limits{MaxLength: 1 << 20, MaxDepth: 1 << 20, MaxNodes: 1 << 20}

// checkAccepted is the fuzz property: a filter is either refused with an
// EINVALID error on "filter", or printing it gives text that parses back
// to the same AST.
func checkAccepted(t *testing.T, e Expr, err error) {
	t.Helper()
	if err != nil {
		var ee *eventmap.Error
		if !errors.As(err, &ee) || ee.Code != eventmap.EINVALID || len(ee.Errors) != 1 || ee.Errors[0].Field != Field {
			t.Fatalf("error %v is not one EINVALID on %q", err, Field)
		}
		return
	}
	printed := e.String()
	again, err := ParseText(printed, testQueryables, reparse)
	if err != nil {
		t.Fatalf("printed form %q does not parse: %v", printed, err)
	}
	if !reflect.DeepEqual(again, e) {
		t.Fatalf("printed form %q parses to %#v, want %#v", printed, again, e)
	}
}

func FuzzParseText(f *testing.F) {
	for _, s := range []string{
		"type = 'raid' AND fatalities > 0",
		"title = 'x'' OR 1=1 --'",
		"NOT (title LIKE '%a\\_b%') OR fatalities IS NOT NULL",
		"S_INTERSECTS(geometry, BBOX(170, -10, -170, 10))",
		"T_INTERSECTS(occurred_at, INTERVAL('2025-10-01', '..'))",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := ParseText(src, testQueryables, Limits{})
		checkAccepted(t, e, err)
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		jRaid,
		`{"op":"and","args":[` + jRaid + `,` + jKilled + `]}`,
		`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[36.69,33.64]}]}`,
		`{"op":"t_intersects","args":[{"property":"occurred_at"},{"interval":["2025-10-01",".."]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := ParseJSON(raw, testQueryables, Limits{})
		checkAccepted(t, e, err)
	})
}

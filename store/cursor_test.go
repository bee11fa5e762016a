package store_test

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"

	"eventmap/store"
)

const someID = "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01"

func TestParseSort(t *testing.T) {
	tests := []struct {
		in   string
		want string // Sort.String(), or the error
	}{
		{"-occurred_at", "-occurred_at"},
		{"+occurred_at,-fatalities", "+occurred_at,-fatalities"},
		{" occurred_at", "+occurred_at"}, // "+" sent unescaped arrives as a space
		{"title, -civilian_fatalities ,type", "+title,-civilian_fatalities,+type"},
		{"updated_at,country,status", "+updated_at,+country,+status"},
		{"", "an empty sort key"},
		{"title,", "an empty sort key"},
		{"-", "an empty sort key"},
		{"id", `unknown sort key "id" (allowed: civilian_fatalities, country, fatalities, occurred_at, status, title, type, updated_at)`},
		{"geom", "unknown sort key"},
		{"title;drop table events", "unknown sort key"},
		{"--title", `unknown sort key "-title"`},
		{"title,-title", `sort key "title" given twice`},
	}
	for _, tt := range tests {
		s, err := store.ParseSort(tt.in)
		got := s.String()
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("ParseSort(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2025, 10, 19, 0, 0, 0, 123456000, time.UTC)
	tests := []struct {
		sortby string
		values []any
	}{
		{"-occurred_at", []any{at}},
		{"+fatalities,-updated_at", []any{nil, at}},
		{"-civilian_fatalities", []any{int64(3)}},
		{"title,type", []any{`Raid "in" Dumayr, 'quoted' – ü`, "raid"}},
	}
	for _, tt := range tests {
		s, err := store.ParseSort(tt.sortby)
		if err != nil {
			t.Fatal(err)
		}
		for _, before := range []bool{false, true} {
			c := store.NewCursorForTest(s, tt.values, someID, before)
			got, err := store.DecodeCursor(c.Encode(), s)
			if err != nil {
				t.Fatalf("%s: %v", tt.sortby, err)
			}
			vals, id := store.CursorPosition(got)
			if !reflect.DeepEqual(vals, tt.values) || id != someID || got.Before != before {
				t.Errorf("%s: round trip gave %v %s %v, want %v %s %v", tt.sortby, vals, id, got.Before, tt.values, someID, before)
			}
		}
	}
}

func TestDecodeCursorRefusesForgeries(t *testing.T) {
	def := store.DefaultSort
	fat, _ := store.ParseSort("fatalities")
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name, token string
		sort        store.Sort
		want        string
	}{
		{"empty", "", def, "not a cursor issued by this server"},
		{"not base64", "!!!", def, "not a cursor issued by this server"},
		{"not JSON", b64("123|abc"), def, "not a cursor issued by this server"},
		{"id not a uuid", b64(`{"s":"-occurred_at","v":[1],"id":"1' OR '1'='1"}`), def, "not a cursor issued by this server"},
		{"value of the wrong type", b64(`{"s":"-occurred_at","v":["yesterday"],"id":"` + someID + `"}`), def, "not a cursor issued by this server"},
		{"NULL for a key that has none", b64(`{"s":"-occurred_at","v":[null],"id":"` + someID + `"}`), def, "not a cursor issued by this server"},
		{"too few values", b64(`{"s":"-occurred_at","v":[],"id":"` + someID + `"}`), def, "not a cursor issued by this server"},
		{"unknown member", b64(`{"s":"-occurred_at","v":[1],"id":"` + someID + `","x":1}`), def, "not a cursor issued by this server"},
		{"fraction for an integer", b64(`{"s":"+fatalities","v":[1.5],"id":"` + someID + `"}`), fat, "not a cursor issued by this server"},
		{"too long", strings.Repeat("A", 9000), def, "not a cursor issued by this server"},
		{"issued for another sortby", store.NewCursorForTest(def, []any{time.Now()}, someID, false).Encode(), fat, "was issued for sortby=-occurred_at, not +fatalities"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := store.DecodeCursor(tt.token, tt.sort)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("DecodeCursor error = %v, want %q", err, tt.want)
			}
		})
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(store.NewCursorForTest(store.DefaultSort, []any{time.Unix(1760832000, 0).UTC()}, someID, false).Encode())
	f.Add("")
	f.Add("MTIzfA")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := store.DecodeCursor(s, store.DefaultSort)
		if err != nil {
			return
		}
		// Whatever is accepted carries a well-formed id and re-encodes to
		// a cursor that decodes to the same position.
		vals, id := store.CursorPosition(c)
		if !store.IsEventID(id) {
			t.Fatalf("accepted id %q", id)
		}
		again, err := store.DecodeCursor(c.Encode(), store.DefaultSort)
		if err != nil {
			t.Fatalf("re-encode of %q: %v", s, err)
		}
		vals2, id2 := store.CursorPosition(again)
		if !reflect.DeepEqual(vals, vals2) || id2 != id || again.Before != c.Before {
			t.Fatalf("re-encode of %q moved the cursor: %v %s, want %v %s", s, vals2, id2, vals, id)
		}
	})
}

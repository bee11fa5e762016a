package eventmap

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The examples of RFC 7396 appendix A, plus a number that must keep its digits.
func TestMergePatch(t *testing.T) {
	tests := []struct{ doc, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`{"e":null}`, `{"a":1}`, `{"e":null,"a":1}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
		{`{"g":[36.693912345678,33.6439]}`, `{"x":1}`, `{"g":[36.693912345678,33.6439],"x":1}`},
	}
	for _, tt := range tests {
		got, err := MergePatch([]byte(tt.doc), []byte(tt.patch))
		if err != nil {
			t.Fatalf("MergePatch(%s, %s): %v", tt.doc, tt.patch, err)
		}
		var g, w any
		_ = json.Unmarshal(got, &g)
		_ = json.Unmarshal([]byte(tt.want), &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("MergePatch(%s, %s) = %s, want %s", tt.doc, tt.patch, got, tt.want)
		}
	}
	for _, bad := range []string{`["a"]`, `"x"`, `{"a":`, `{} {}`} {
		if _, err := MergePatch([]byte(`{}`), []byte(bad)); err == nil {
			t.Errorf("MergePatch accepted patch %s", bad)
		}
	}
}

// A diff applied as a merge patch gives the second document back (nulls
// come back absent: a merge patch cannot set null), and says nothing of
// what did not change.
func TestDiffMergePatch(t *testing.T) {
	tests := []struct{ from, to, want string }{
		{`{"a":"b"}`, `{"a":"b"}`, `{}`},
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b","c":1}`, `{"a":"b"}`, `{"c":null}`},
		{`{"p":{"t":"x","n":null,"k":[1,2]}}`, `{"p":{"t":"y","n":1,"k":[1,2]}}`, `{"p":{"n":1,"t":"y"}}`}, // keys sorted
		{`{"p":{"n":1}}`, `{"p":{"n":null}}`, `{"p":{"n":null}}`},
		{`{"a":[1,2]}`, `{"a":[1,3]}`, `{"a":[1,3]}`},
		{`{"a":"x"}`, `{"a":{"b":1}}`, `{"a":{"b":1}}`},
		{`{"g":{"type":"Point","coordinates":[36.6939,33.6439]}}`, `{"g":{"type":"Point","coordinates":[36.693912345678,33.6439]}}`, `{"g":{"coordinates":[36.693912345678,33.6439]}}`},
	}
	for _, tt := range tests {
		patch, err := DiffMergePatch([]byte(tt.from), []byte(tt.to))
		if err != nil {
			t.Fatalf("DiffMergePatch(%s, %s): %v", tt.from, tt.to, err)
		}
		if string(patch) != tt.want {
			t.Errorf("DiffMergePatch(%s, %s) = %s, want %s", tt.from, tt.to, patch, tt.want)
		}
		back, err := MergePatch([]byte(tt.from), patch)
		if err != nil {
			t.Fatal(err)
		}
		var got, want any
		_ = json.Unmarshal(back, &got)
		_ = json.Unmarshal([]byte(tt.to), &want)
		dropNulls(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s patched with %s = %s, want %s", tt.from, patch, back, tt.to)
		}
	}
	if _, err := DiffMergePatch([]byte(`{}`), []byte(`[1]`)); err == nil {
		t.Error("a diff to an array has no merge patch")
	}
}

func dropNulls(v any) {
	if o, ok := v.(map[string]any); ok {
		for k, x := range o {
			if x == nil {
				delete(o, k)
			} else {
				dropNulls(x)
			}
		}
	}
}

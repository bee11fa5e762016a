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

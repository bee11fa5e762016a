package geo

import (
	"strings"
	"testing"
	"time"
)

func TestParseDatetime(t *testing.T) {
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	us := time.Microsecond
	tests := []struct {
		name    string
		in      string
		want    Interval
		wantErr string
	}{
		{name: "instant", in: "2025-10-19T00:00:00Z", want: Interval{ts("2025-10-19T00:00:00Z"), ts("2025-10-19T00:00:00Z").Add(us)}},
		{name: "instant with offset is normalised to UTC", in: "2025-10-19T03:00:00+03:00", want: Interval{ts("2025-10-19T00:00:00Z"), ts("2025-10-19T00:00:00Z").Add(us)}},
		{name: "lower-case t and z", in: "2025-10-19t00:00:00z", want: Interval{ts("2025-10-19T00:00:00Z"), ts("2025-10-19T00:00:00Z").Add(us)}},
		{name: "date is the whole day", in: "2025-10-19", want: Interval{ts("2025-10-19T00:00:00Z"), ts("2025-10-20T00:00:00Z")}},
		{name: "closed interval, end inclusive", in: "2025-10-01T00:00:00Z/2025-10-31T00:00:00Z", want: Interval{ts("2025-10-01T00:00:00Z"), ts("2025-10-31T00:00:00Z").Add(us)}},
		{name: "date interval covers the end day", in: "2025-10-01/2025-10-19", want: Interval{ts("2025-10-01T00:00:00Z"), ts("2025-10-20T00:00:00Z")}},
		{name: "open start", in: "../2025-10-19", want: Interval{End: ts("2025-10-20T00:00:00Z")}},
		{name: "open end", in: "2025-10-19T00:00:00Z/..", want: Interval{Start: ts("2025-10-19T00:00:00Z")}},
		{name: "empty start", in: "/2025-10-19", want: Interval{End: ts("2025-10-20T00:00:00Z")}},
		{name: "empty", in: "", wantErr: "must not be empty"},
		{name: "open both ends", in: "../..", wantErr: "at least one bounded end"},
		{name: "two slashes", in: "2025-01-01/2025-02-01/2025-03-01", wantErr: "exactly one '/'"},
		{name: "no zone", in: "2025-10-19T03:00:00", wantErr: "no time zone offset"},
		{name: "garbage", in: "yesterday", wantErr: "not an RFC 3339 date-time"},
		{name: "bad month", in: "2025-13-01", wantErr: "not an RFC 3339 date"},
		{name: "reversed", in: "2025-10-19/2025-10-01", wantErr: "is after its end"},
		{name: "bad start", in: "x/2025-10-01", wantErr: "interval start:"},
		{name: "bad end", in: "2025-10-01/x", wantErr: "interval end:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDatetime(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseDatetime(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDatetime(%q): %v", tt.in, err)
			}
			if !got.Start.Equal(tt.want.Start) || !got.End.Equal(tt.want.End) {
				t.Errorf("ParseDatetime(%q) = [%v, %v), want [%v, %v)", tt.in, got.Start, got.End, tt.want.Start, tt.want.End)
			}
		})
	}
}

func FuzzParseDatetime(f *testing.F) {
	for _, s := range []string{"2025-10-19", "2025-10-19T03:00:00+03:00", "../2025-10-19", "2025-10-01/..", "../..", "/", "2025-10-19/2025-10-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		iv, err := ParseDatetime(s)
		if err != nil {
			return
		}
		if iv.Start.IsZero() && iv.End.IsZero() {
			t.Fatalf("%q accepted as unbounded on both ends", s)
		}
		if !iv.Start.IsZero() && !iv.End.IsZero() && !iv.Start.Before(iv.End) {
			t.Fatalf("%q accepted as empty interval [%v, %v)", s, iv.Start, iv.End)
		}
	})
}

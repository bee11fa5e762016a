package geo

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestParseBBox(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    BBox
		wantErr string
	}{
		{name: "four numbers", in: "36.5,33.5,36.9,33.8", want: BBox{36.5, 33.5, 36.9, 33.8}},
		{name: "spaces tolerated", in: "36.5, 33.5, 36.9, 33.8", want: BBox{36.5, 33.5, 36.9, 33.8}},
		{name: "six numbers drop heights", in: "36.5,33.5,-10,36.9,33.8,500", want: BBox{36.5, 33.5, 36.9, 33.8}},
		{name: "whole world", in: "-180,-90,180,90", want: BBox{-180, -90, 180, 90}},
		{name: "antimeridian", in: "170,-20,-170,20", want: BBox{170, -20, -170, 20}},
		{name: "three numbers", in: "1,2,3", wantErr: "expected 4 or 6 comma-separated numbers, got 3"},
		{name: "five numbers", in: "1,2,3,4,5", wantErr: "got 5"},
		{name: "empty", in: "", wantErr: "got 1"},
		{name: "not a number", in: "a,2,3,4", wantErr: `value 1 ("a") is not a finite number`},
		{name: "NaN", in: "NaN,2,3,4", wantErr: "not a finite number"},
		{name: "infinity", in: "1,2,Inf,4", wantErr: "not a finite number"},
		{name: "longitude out of range", in: "-181,0,10,10", wantErr: "longitude -181 is outside -180..180"},
		{name: "latitude out of range", in: "0,-91,10,10", wantErr: "latitude -91 is outside -90..90"},
		{name: "south above north", in: "0,20,10,10", wantErr: "south latitude 20 is greater than north latitude 10"},
		{name: "heights reversed", in: "0,0,100,10,10,5", wantErr: "minimum height 100 is above maximum height 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBBox(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseBBox(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseBBox(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseBBox(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestBBoxBounds(t *testing.T) {
	t.Run("ordinary box is one bound", func(t *testing.T) {
		got := BBox{36, 33, 37, 34}.Bounds()
		if len(got) != 1 || got[0] != (orb.Bound{Min: orb.Point{36, 33}, Max: orb.Point{37, 34}}) {
			t.Fatalf("Bounds() = %v", got)
		}
	})
	t.Run("antimeridian box splits in two", func(t *testing.T) {
		got := BBox{170, -20, -170, 20}.Bounds()
		want := []orb.Bound{
			{Min: orb.Point{170, -20}, Max: orb.Point{180, 20}},
			{Min: orb.Point{-180, -20}, Max: orb.Point{-170, 20}},
		}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("Bounds() = %v, want %v", got, want)
		}
		// The split must cover 20° of longitude, not the 340° between the numbers.
		width := 0.0
		for _, b := range got {
			width += b.Max[0] - b.Min[0]
		}
		if width != 20 {
			t.Errorf("total width = %v°, want 20°", width)
		}
	})
}

func FuzzParseBBox(f *testing.F) {
	for _, s := range []string{"36.5,33.5,36.9,33.8", "170,-20,-170,20", "1,2,3", "1,2,3,4,5,6", "NaN,0,0,0", "1e400,0,0,0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBBox(s)
		if err != nil {
			return
		}
		// Whatever is accepted is in range and reads back the same.
		if b.West < -180 || b.East > 180 || b.South < -90 || b.North > 90 || b.South > b.North {
			t.Fatalf("accepted out-of-range box %+v from %q", b, s)
		}
		again, err := ParseBBox(b.String())
		if err != nil || again != b {
			t.Fatalf("round trip of %q: %+v, %v", s, again, err)
		}
		for _, bd := range b.Bounds() {
			if bd.Min[0] > bd.Max[0] {
				t.Fatalf("split bound %v is inverted", bd)
			}
		}
	})
}

package exchange

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// isoCodesJSON is the generator's input, from Debian's iso-codes package.
const isoCodesJSON = "/usr/share/iso-codes/json/iso_3166-1.json"

// The checked-in countries.go is what the generator writes from iso-codes:
// nobody edited it by hand, and a newer iso-codes (a country renamed or
// added) shows up here instead of as an ACLED iso code we cannot read.
func TestCountriesTableIsGenerated(t *testing.T) {
	if _, err := os.Stat(isoCodesJSON); err != nil {
		// Not a skip: a table nobody can check is how a hand edit slips in.
		t.Fatalf("cannot check countries.go against its source: %v\n"+
			"install Debian's iso-codes: apt-get install iso-codes (bash scripts/test-deps.sh does it)", err)
	}
	out := filepath.Join(t.TempDir(), "countries.go")
	cmd := exec.Command("go", "run", "./internal/gencountries", "-in", isoCodesJSON, "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./internal/gencountries: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("countries.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("countries.go is not what the generator writes from %s (first difference: %s); run go generate ./exchange and commit the result",
			isoCodesJSON, firstDiff(string(got), string(want)))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d is %q, the generator writes %q", i+1, x, y)
		}
	}
	return "none"
}

// What ACLED's iso column holds (the numeric code) becomes the alpha-3
// code events are filtered by; each code names one country.
func TestCountryByNumeric(t *testing.T) {
	tests := []struct {
		numeric int
		alpha3  string
		name    string
	}{
		{760, "SYR", "Syria"},
		{368, "IRQ", "Iraq"},
		{4, "AFG", "Afghanistan"}, // ACLED writes 4; ISO spells it 004
		{180, "COD", "Congo, The Democratic Republic of the"},
		{178, "COG", "Congo"},
		{275, "PSE", "Palestine, State of"},
		{0, "XKX", "Kosovo"}, // no ISO code: ACLED's 0
	}
	for _, tt := range tests {
		t.Run(tt.alpha3, func(t *testing.T) {
			c, ok := byNumeric[tt.numeric]
			if !ok {
				t.Fatalf("no country with numeric code %d", tt.numeric)
			}
			if got, want := c.alpha3, tt.alpha3; got != want {
				t.Errorf("numeric %d is %s, want %s", tt.numeric, got, want)
			}
			if got, want := c.name, tt.name; got != want {
				t.Errorf("%s is named %q, want %q", tt.alpha3, got, want)
			}
			if got, want := byAlpha3[tt.alpha3].numeric, tt.numeric; got != want {
				t.Errorf("%s exports as iso %d, want %d", tt.alpha3, got, want)
			}
		})
	}
	for _, n := range []int{999, 1, -1} {
		if c, ok := byNumeric[n]; ok {
			t.Errorf("numeric %d is %s, want no country", n, c.alpha3)
		}
	}
}

// Every row of the table can be found again by each of its keys: two rows
// sharing a numeric code or a name would send one country's events to the
// other.
func TestCountriesTableKeysAreUnique(t *testing.T) {
	for _, c := range countries {
		if got := byNumeric[c.numeric].alpha3; got != c.alpha3 {
			t.Errorf("numeric %d finds %s, want %s", c.numeric, got, c.alpha3)
		}
		if got := byAlpha3[c.alpha3].numeric; got != c.numeric {
			t.Errorf("%s finds numeric %d, want %d", c.alpha3, got, c.numeric)
		}
		if got := byName[strings.ToLower(c.name)].alpha3; got != c.alpha3 {
			t.Errorf("name %q finds %s, want %s", c.name, got, c.alpha3)
		}
	}
	if got := len(countries); got < 249 {
		t.Errorf("%d countries, want ISO 3166-1's 249 or more", got)
	}
}

// Without an iso column, a file's country names are looked up: ISO's
// short names and the names ACLED spells otherwise, in any letter case.
func TestCountryByName(t *testing.T) {
	tests := []struct{ name, alpha3 string }{
		{"Syria", "SYR"},
		{"syria", "SYR"},
		{"SYRIA", "SYR"},
		{"Syrian Arab Republic", "SYR"},
		{"Iraq", "IRQ"},
		{"Türkiye", "TUR"},
		{"Turkey", "TUR"},
		{"Democratic Republic of Congo", "COD"},
		{"Republic of Congo", "COG"},
		{"Congo", "COG"},
		{"Palestine", "PSE"},
		{"Ivory Coast", "CIV"},
		{"Côte d'Ivoire", "CIV"},
		{"CÔTE D'IVOIRE", "CIV"},
		{"eSwatini", "SWZ"},
		{"Russia", "RUS"},
		{"Russian Federation", "RUS"},
		{"Czech Republic", "CZE"},
		{"Kosovo", "XKX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := byName[strings.ToLower(tt.name)]
			if !ok {
				t.Fatalf("%q is not a country name we know", tt.name)
			}
			if got, want := c.alpha3, tt.alpha3; got != want {
				t.Errorf("%q is %s, want %s", tt.name, got, want)
			}
		})
	}
	for _, name := range []string{"Narnia", "", "SYR"} {
		if c, ok := byName[strings.ToLower(name)]; ok {
			t.Errorf("%q is %s, want no country", name, c.alpha3)
		}
	}
}

package exchange

import "strings"

// countries.go is generated from Debian's iso-codes; the names ACLED spells
// otherwise are the hand-written aliases in init below.
//go:generate go run ./internal/gencountries -out countries.go

type country struct {
	alpha3  string
	numeric int
	name    string
}

var (
	byAlpha3  = map[string]country{}
	byNumeric = map[int]country{}
	byName    = map[string]country{}
)

func init() {
	for _, c := range countries {
		byAlpha3[c.alpha3] = c
		byNumeric[c.numeric] = c
		byName[strings.ToLower(c.name)] = c
	}
	// Names ACLED uses that ISO spells otherwise.
	for name, a3 := range map[string]string{
		"palestine": "PSE", "democratic republic of congo": "COD", "republic of congo": "COG",
		"turkey": "TUR", "iran": "IRN", "russia": "RUS", "north korea": "PRK", "south korea": "KOR",
		"syrian arab republic": "SYR", "ivory coast": "CIV", "laos": "LAO", "moldova": "MDA",
		"tanzania": "TZA", "venezuela": "VEN", "bolivia": "BOL", "vietnam": "VNM", "czech republic": "CZE",
		"kosovo": "XKX", "eswatini": "SWZ",
	} {
		if c, ok := byAlpha3[a3]; ok {
			byName[name] = c
		}
	}
	// Kosovo has no ISO code; ACLED gives it numeric 0, as we do.
	if _, ok := byAlpha3["XKX"]; !ok {
		k := country{"XKX", 0, "Kosovo"}
		byAlpha3[k.alpha3], byNumeric[0], byName["kosovo"] = k, k, k
	}
}

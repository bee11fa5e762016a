package eventmap

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

// Change is one property that differs between two versions of an event,
// worded for people: the revision history page and the map's "what
// changed" list show these as they are. Machines read the revision's
// merge patch instead (DiffMergePatch).
type Change struct {
	// Property is the property's name, or "geometry".
	Property string `json:"property"`
	// Label is its title in the property table ("Location" for the
	// geometry).
	Label string `json:"label"`
	// Old and New are the values as shown ("unknown" for a count not
	// known, "" for empty text), for properties of one value.
	Old *string `json:"old,omitempty"`
	New *string `json:"new,omitempty"`
	// Diff is a word diff of Old to New, for titles and summaries.
	Diff []TextEdit `json:"diff,omitempty"`
	// Added, Removed and Changed list members of a list (actors as "name
	// (role)", sources by title or URL, tags); Changed are sources whose
	// publisher, title, date or excerpt changed.
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
	Changed []string `json:"changed,omitempty"`
	// MovedKm is how far the geometry's centre moved, great-circle, to 0.1
	// km (0 when only its shape changed).
	MovedKm *float64 `json:"moved_km,omitempty"`
}

// TextEdit is one run of a word diff: Op "=" kept, "-" removed, "+" added.
type TextEdit struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// Changes lists what differs from one served Feature to the next, in the
// order of the property table, geometry after the properties. Server-owned
// properties (version, updated_at) are left out: they change every time.
func Changes(from, to []byte) ([]Change, error) {
	a, err := DecodeServedFeature(from)
	if err != nil {
		return nil, err
	}
	b, err := DecodeServedFeature(to)
	if err != nil {
		return nil, err
	}
	var out []Change
	for i := range Properties {
		p := &Properties[i]
		if p.ServerOwned {
			continue
		}
		c := Change{Property: p.Name, Label: p.Title}
		switch va := p.Field(a).(type) {
		case *string:
			vb := *p.Field(b).(*string)
			if *va == vb {
				continue
			}
			c.Old, c.New = ptr(*va), ptr(vb)
			if p.Kind == KindText && p.Pattern == nil {
				c.Diff = WordDiff(*va, vb)
			}
		case **int:
			vb := *p.Field(b).(**int)
			if countText(*va) == countText(vb) {
				continue
			}
			c.Old, c.New = ptr(countText(*va)), ptr(countText(vb))
		case *[]string:
			c.Added, c.Removed = listDiff(*va, *p.Field(b).(*[]string))
			if c.Added == nil && c.Removed == nil {
				continue
			}
		case *[]EventActor:
			name := func(x EventActor) string { return x.Name + " (" + x.Role + ")" }
			c.Added, c.Removed = listDiff(mapSlice(*va, name), mapSlice(*p.Field(b).(*[]EventActor), name))
			if c.Added == nil && c.Removed == nil {
				continue
			}
		case *[]EventSource:
			c.Added, c.Removed, c.Changed = sourceDiff(*va, *p.Field(b).(*[]EventSource))
			if c.Added == nil && c.Removed == nil && c.Changed == nil {
				continue
			}
		case *map[string]string:
			vb := *p.Field(b).(*map[string]string)
			if maps.Equal(*va, vb) {
				continue
			}
			c.Old, c.New = ptr(extraText(*va)), ptr(extraText(vb))
		default:
			continue
		}
		if p.Name == "occurred_at" {
			continue // below, as shown to its precision
		}
		out = append(out, c)
	}
	// When: as the pages show it, so a change of zone or precision alone
	// reads as what a reader sees change.
	wa, wb := FormatWhen(a.OccurredAt, a.TimePrecision, a.TZ), FormatWhen(b.OccurredAt, b.TimePrecision, b.TZ)
	if !a.OccurredAt.Equal(b.OccurredAt) || wa.Text != wb.Text {
		p := PropertyNamed("occurred_at")
		c := Change{Property: p.Name, Label: p.Title, Old: ptr(wa.Text), New: ptr(wb.Text)}
		// keep the table's order: occurred_at comes before its precision
		at := slices.IndexFunc(out, func(c Change) bool { return propertyIndex(c.Property) > propertyIndex(p.Name) })
		if at < 0 {
			at = len(out)
		}
		out = slices.Insert(out, at, c)
	}
	if !orb.Equal(a.Geometry, b.Geometry) {
		c := Change{Property: "geometry", Label: "Location"}
		ca, _ := planar.CentroidArea(a.Geometry)
		cb, _ := planar.CentroidArea(b.Geometry)
		km := math.Round(orbgeo.DistanceHaversine(ca, cb)/100) / 10
		c.MovedKm = &km
		if ka, kb := geometryKind(a.Geometry), geometryKind(b.Geometry); ka != kb {
			c.Old, c.New = ptr(ka), ptr(kb)
		}
		out = append(out, c)
	}
	return out, nil
}

func propertyIndex(name string) int {
	return slices.IndexFunc(Properties, func(p Property) bool { return p.Name == name })
}

func ptr(s string) *string { return &s }

func countText(n *int) string {
	if n == nil {
		return "unknown"
	}
	return strconv.Itoa(*n)
}

func mapSlice[T any](s []T, f func(T) string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

// listDiff is what b adds to a and what it drops, each in its list's order.
func listDiff(a, b []string) (added, removed []string) {
	for _, v := range b {
		if !slices.Contains(a, v) {
			added = append(added, v)
		}
	}
	for _, v := range a {
		if !slices.Contains(b, v) {
			removed = append(removed, v)
		}
	}
	return added, removed
}

// sourceDiff compares sources by URL: the same report cited with another
// excerpt is a changed source, not one removed and one added.
func sourceDiff(a, b []EventSource) (added, removed, changed []string) {
	name := func(s EventSource) string {
		if s.Title != "" {
			return s.Title
		}
		return s.URL
	}
	find := func(list []EventSource, url string) int {
		return slices.IndexFunc(list, func(s EventSource) bool { return s.URL == url })
	}
	for _, s := range b {
		if i := find(a, s.URL); i < 0 {
			added = append(added, name(s))
		} else if !reflect.DeepEqual(a[i], s) {
			var what []string
			if a[i].Excerpt != s.Excerpt {
				what = append(what, "excerpt")
			}
			if a[i].Title != s.Title || a[i].Publisher != s.Publisher || !reflect.DeepEqual(a[i].PublishedAt, s.PublishedAt) {
				what = append(what, "details")
			}
			changed = append(changed, name(s)+" ("+strings.Join(what, ", ")+")")
		}
	}
	for _, s := range a {
		if find(b, s.URL) < 0 {
			removed = append(removed, name(s))
		}
	}
	return added, removed, changed
}

func extraText(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}

func geometryKind(g orb.Geometry) string {
	switch g.(type) {
	case orb.Point, orb.MultiPoint:
		return "point"
	case orb.LineString, orb.MultiLineString:
		return "line"
	case orb.Polygon, orb.MultiPolygon:
		return "area"
	}
	return strings.ToLower(fmt.Sprintf("%T", g))
}

// maxDiffCells bounds the word diff's table (words of one text times words
// of the other): past it, a text is shown as removed whole and added whole.
const maxDiffCells = 1_000_000

// WordDiff is a word-level diff of a to b, as runs of kept, removed and
// added words, cleaned up for reading: a short run of kept words between
// changes ("an" in "…capture of an IS official" → "…al-Masoud, an
// undercover…") is folded into them, so a rewritten phrase reads as one
// phrase replaced by another.
func WordDiff(a, b string) []TextEdit {
	wa, wb := strings.Fields(a), strings.Fields(b)
	n, m := len(wa), len(wb)
	var ops []TextEdit // one per word
	if n*m > maxDiffCells {
		for _, w := range wa {
			ops = append(ops, TextEdit{"-", w})
		}
		for _, w := range wb {
			ops = append(ops, TextEdit{"+", w})
		}
	} else {
		// lcs[i][j]: longest common subsequence of wa[i:] and wb[j:].
		lcs := make([][]int32, n+1)
		for i := range lcs {
			lcs[i] = make([]int32, m+1)
		}
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if wa[i] == wb[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && wa[i] == wb[j]:
				ops = append(ops, TextEdit{"=", wa[i]})
				i, j = i+1, j+1
			case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
				ops = append(ops, TextEdit{"+", wb[j]})
				j++
			default:
				ops = append(ops, TextEdit{"-", wa[i]})
				i++
			}
		}
	}
	return cleanDiff(ops)
}

// cleanDiff folds short kept runs between changes into the changes and
// joins the words of each run: between two kept runs, all removed words
// come first as one run, then all added words.
func cleanDiff(words []TextEdit) []TextEdit {
	// runs of equal words, and the changes between them
	type segment struct {
		kept         []string
		removed, add []string
	}
	var segs []segment
	cur := segment{}
	flush := func() {
		if len(cur.kept) > 0 || len(cur.removed) > 0 || len(cur.add) > 0 {
			segs = append(segs, cur)
		}
		cur = segment{}
	}
	for _, w := range words {
		switch w.Op {
		case "=":
			if len(cur.removed) > 0 || len(cur.add) > 0 {
				flush()
			}
			cur.kept = append(cur.kept, w.Text)
		case "-":
			if len(cur.kept) > 0 {
				flush()
			}
			cur.removed = append(cur.removed, w.Text)
		case "+":
			if len(cur.kept) > 0 {
				flush()
			}
			cur.add = append(cur.add, w.Text)
		}
	}
	flush()
	// Fold a kept run of at most two words, or shorter than the changes
	// on either side, when changes surround it.
	changed := func(s segment) int { return len(s.removed) + len(s.add) }
	for k := 1; k+1 < len(segs); k++ {
		s := segs[k]
		if len(s.kept) == 0 || changed(segs[k-1]) == 0 || changed(segs[k+1]) == 0 {
			continue
		}
		if len(s.kept) > 2 && (len(s.kept) >= changed(segs[k-1]) || len(s.kept) >= changed(segs[k+1])) {
			continue
		}
		prev, next := segs[k-1], segs[k+1]
		merged := segment{
			removed: slices.Concat(prev.removed, s.kept, next.removed),
			add:     slices.Concat(prev.add, s.kept, next.add),
		}
		segs = slices.Replace(segs, k-1, k+2, merged)
		// look again from the kept run before the merged change, which
		// may now be short beside it
		k = max(0, k-3)
	}
	var out []TextEdit
	for _, s := range segs {
		if len(s.kept) > 0 {
			out = append(out, TextEdit{"=", strings.Join(s.kept, " ")})
		}
		if len(s.removed) > 0 {
			out = append(out, TextEdit{"-", strings.Join(s.removed, " ")})
		}
		if len(s.add) > 0 {
			out = append(out, TextEdit{"+", strings.Join(s.add, " ")})
		}
	}
	return out
}

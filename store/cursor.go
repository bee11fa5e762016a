package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// sortKey is one column events can be ordered by.
type sortKey struct {
	col      string // the SQL expression, always on the events table aliased e
	kind     keyKind
	nullable bool // NULL means unknown (fatalities) and sorts last either way
}

type keyKind int

const (
	kindTime keyKind = iota
	kindInt
	kindText
)

// sortKeys is the allow-list of sortby names: the sortable rows of
// eventmap.Properties. These column expressions are the only identifiers
// that ever reach ORDER BY or a keyset condition.
var sortKeys = propertySortKeys()

// SortKeys lists the names sortby accepts.
func SortKeys() []string {
	names := make([]string, 0, len(sortKeys))
	for k := range sortKeys {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// SortKey orders by one property, ascending unless Desc.
type SortKey struct {
	Name string
	Desc bool
}

// Sort is an ordering, most significant key first. The event id always
// follows as the last key, so equal values still come in one fixed order
// and keyset paging never skips or repeats a row.
type Sort []SortKey

// DefaultSort is newest first.
var DefaultSort = Sort{{Name: "occurred_at", Desc: true}}

// ParseSort reads the OGC sortby parameter: comma-separated names, each
// with an optional "+" (ascending, the default) or "-" (descending) sign.
// A "+" sent unescaped in a URL arrives as a space and means the same.
func ParseSort(s string) (Sort, error) {
	var out Sort
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		k := SortKey{Name: part}
		if rest, ok := strings.CutPrefix(part, "-"); ok {
			k = SortKey{Name: rest, Desc: true}
		} else if rest, ok := strings.CutPrefix(part, "+"); ok {
			k.Name = rest
		}
		if k.Name == "" {
			return nil, errors.New("an empty sort key (write names separated by single commas, e.g. -occurred_at,title)")
		}
		if _, ok := sortKeys[k.Name]; !ok {
			return nil, fmt.Errorf("unknown sort key %q (allowed: %s)", k.Name, strings.Join(SortKeys(), ", "))
		}
		if slices.ContainsFunc(out, func(o SortKey) bool { return o.Name == k.Name }) {
			return nil, fmt.Errorf("sort key %q given twice", k.Name)
		}
		out = append(out, k)
	}
	return out, nil
}

// String writes the sort as sortby reads it, signs always explicit.
func (s Sort) String() string {
	parts := make([]string, len(s))
	for i, k := range s {
		sign := "+"
		if k.Desc {
			sign = "-"
		}
		parts[i] = sign + k.Name
	}
	return strings.Join(parts, ",")
}

func (s Sort) orDefault() Sort {
	if len(s) == 0 {
		return DefaultSort
	}
	return s
}

// Cursor marks the boundary row of a page: the values of its sort keys and
// its id. A page starts strictly after the cursor or, with Before, ends
// strictly before it. Keyset paging keeps page 500 as cheap as page 1,
// where OFFSET would read and drop every earlier row, and it does not
// shift when events are added in front.
type Cursor struct {
	sort   string // Sort.String() of the order the values belong to
	values []any  // per sort key: time.Time, int64 or nil (unknown), string
	id     string
	// Before asks for the page that ends before the boundary row (a prev
	// link) instead of the one that starts after it.
	Before bool
	// count is the walk's numberMatched, carried from page to page so a
	// client paging through every feature (GDAL, QGIS) is counted once.
	count *carriedCount
}

// carriedCount is a count and what it is valid for: the filter it
// counted (a hash of its SQL and arguments, visibility included) and the
// dataset version it saw (every committed write to events moves it:
// DatasetVersion). A later page reuses it only when both are the
// same, so a reused count is as exact as a new one, and a token holder's
// count (restricted events included) cannot reach an anonymous reader
// through a shared link.
type carriedCount struct {
	N        int64  `json:"n"`
	Filter   string `json:"f"`
	Snapshot string `json:"t"`
}

// cursorJSON is the encoded form. It is opaque to clients; the fields are
// short because the token travels in every link.
type cursorJSON struct {
	Sort   string            `json:"s"`
	Values []json.RawMessage `json:"v"`
	ID     string            `json:"id"`
	Before bool              `json:"b,omitempty"`
	Count  *carriedCount     `json:"c,omitempty"`
}

// maxCursorLen bounds what DecodeCursor reads: a 500-character title, the
// longest key, fits well within it.
const maxCursorLen = 8192

var errForeignCursor = errors.New("not a cursor issued by this server (use the next and prev links as given)")

// Encode returns the cursor as an opaque URL-safe token.
func (c Cursor) Encode() string {
	cj := cursorJSON{Sort: c.sort, ID: c.id, Before: c.Before, Count: c.count}
	for _, v := range c.values {
		var raw []byte
		switch v := v.(type) {
		case time.Time:
			raw, _ = json.Marshal(v.UnixMicro())
		default:
			raw, _ = json.Marshal(v)
		}
		cj.Values = append(cj.Values, raw)
	}
	b, _ := json.Marshal(cj)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a token made by Encode for the sort s. A cursor from
// another sortby would point into a different order, so it is refused.
func DecodeCursor(token string, s Sort) (Cursor, error) {
	s = s.orDefault()
	if len(token) > maxCursorLen {
		return Cursor{}, errForeignCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return Cursor{}, errForeignCursor
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var cj cursorJSON
	if err := dec.Decode(&cj); err != nil || dec.More() || !isUUID(cj.ID) {
		return Cursor{}, errForeignCursor
	}
	if cj.Sort != s.String() {
		return Cursor{}, fmt.Errorf("was issued for sortby=%s, not %s (use the links as given, or start again without a cursor)", cj.Sort, s)
	}
	if len(cj.Values) != len(s) {
		return Cursor{}, errForeignCursor
	}
	c := Cursor{sort: cj.Sort, id: strings.ToLower(cj.ID), Before: cj.Before, count: cj.Count}
	for i, k := range s {
		v, err := decodeKeyValue(cj.Values[i], sortKeys[k.Name])
		if err != nil {
			return Cursor{}, errForeignCursor
		}
		c.values = append(c.values, v)
	}
	return c, nil
}

func decodeKeyValue(raw json.RawMessage, k sortKey) (any, error) {
	if string(raw) == "null" {
		if !k.nullable {
			return nil, errForeignCursor
		}
		return nil, nil
	}
	switch k.kind {
	case kindTime, kindInt:
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, err
		}
		i, err := n.Int64()
		if err != nil {
			return nil, err
		}
		if k.kind == kindTime {
			return time.UnixMicro(i).UTC(), nil
		}
		return i, nil
	default:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return s, nil
	}
}

// orderTerm is one column of an ORDER BY, the id tie-break included.
type orderTerm struct {
	col        string
	desc       bool
	nullable   bool
	nullsFirst bool
}

// orderTerms spells out s with its id tie-break, in reading order or, for
// a page read backwards from a Before cursor, exactly reversed. The id
// follows the direction of the last key, so the default order matches the
// (occurred_at DESC, id DESC) index.
func orderTerms(s Sort, reverse bool) []orderTerm {
	terms := make([]orderTerm, 0, len(s)+1)
	for _, k := range s {
		sk := sortKeys[k.Name]
		terms = append(terms, orderTerm{col: sk.col, desc: k.Desc, nullable: sk.nullable})
	}
	terms = append(terms, orderTerm{col: "e.id", desc: s[len(s)-1].Desc})
	if reverse {
		for i := range terms {
			terms[i].desc = !terms[i].desc
			terms[i].nullsFirst = !terms[i].nullsFirst
		}
	}
	return terms
}

func orderBySQL(terms []orderTerm) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = t.col + map[bool]string{false: " ASC", true: " DESC"}[t.desc]
		// Only nullable columns say where NULLs go: on NOT NULL columns the
		// clause would stop PostgreSQL from using the matching index.
		if t.nullable {
			parts[i] += map[bool]string{false: " NULLS LAST", true: " NULLS FIRST"}[t.nullsFirst]
		}
	}
	return strings.Join(parts, ", ")
}

// keysetSQL adds to q the condition "comes strictly after the row whose key
// values are vals" in the order terms describe (vals ends with the id).
func keysetSQL(q *query, terms []orderTerm, vals []any) string {
	ph := make([]string, len(vals))
	for i, v := range vals {
		if v != nil {
			ph[i] = q.arg(v)
		}
	}
	op := func(t orderTerm) string {
		if t.desc {
			return "<"
		}
		return ">"
	}

	// Same direction everywhere and no NULLs: one row comparison, which
	// PostgreSQL turns into an index range when an index matches.
	simple := true
	for _, t := range terms {
		simple = simple && !t.nullable && t.desc == terms[0].desc
	}
	if simple {
		cols := make([]string, len(terms))
		for i, t := range terms {
			cols[i] = t.col
		}
		return "(" + strings.Join(cols, ", ") + ") " + op(terms[0]) + " (" + strings.Join(ph, ", ") + ")"
	}

	// Otherwise: after on key i and equal on every key before it, for some
	// i. NULL sorts as one value, after (or, reversed, before) all others.
	var ors []string
	var equal []string
	for i, t := range terms {
		var after, eq string
		switch {
		case vals[i] == nil && t.nullsFirst:
			after, eq = t.col+" IS NOT NULL", t.col+" IS NULL"
		case vals[i] == nil:
			after, eq = "", t.col+" IS NULL" // nothing sorts after NULL
		case t.nullable && !t.nullsFirst:
			after, eq = "("+t.col+" "+op(t)+" "+ph[i]+" OR "+t.col+" IS NULL)", t.col+" = "+ph[i]
		default:
			after, eq = t.col+" "+op(t)+" "+ph[i], t.col+" = "+ph[i]
		}
		if after != "" {
			ors = append(ors, strings.Join(append(slices.Clone(equal), after), " AND "))
		}
		equal = append(equal, eq)
	}
	// Parenthesised whole: q.and joins conditions with AND, which binds
	// tighter than these ORs.
	cond := "((" + strings.Join(ors, ") OR (") + "))"
	if len(ors) == 0 {
		cond = "FALSE"
	}
	// A bound on the first key alone lets an index on it narrow the scan.
	if first := terms[0]; !first.nullable {
		cond = first.col + " " + op(first) + "= " + ph[0] + " AND (" + cond + ")"
	}
	return cond
}

// isUUID reports whether s is a UUID in canonical 8-4-4-4-12 hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

// IsEventID reports whether s can be an event id; anything else is a 404
// without asking the database.
func IsEventID(s string) bool { return isUUID(s) }

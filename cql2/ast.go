// Package cql2 parses OGC API - Features Part 3 filters (CQL2) in both
// encodings, cql2-text and cql2-json, into one small AST that the store
// compiles to SQL. It is pure: no database, no HTTP.
//
// Supported: Basic CQL2 (comparisons of a property with a literal or with
// another property of the same type, AND/OR/NOT, IS NULL), the advanced
// comparison operators (LIKE, BETWEEN, IN), S_INTERSECTS and T_INTERSECTS.
// Every property comes from a Queryables allow-list and every literal is
// type-checked against its property, so what reaches the store is always
// meaningful; anything else is an eventmap.EINVALID error on the field
// "filter".
//
// Equivalent input gives the same AST in both encodings: NOT LIKE, NOT
// BETWEEN, NOT IN and IS NOT NULL are all Not{...} around the positive
// form, literals are normalised (times in UTC, numbers as float64), and a
// literal on the left of a comparison is moved to the right.
package cql2

import (
	"time"

	"github.com/paulmach/orb"

	"eventmap/geo"
)

// Expr is a boolean expression: one of And, Or, Not, Bool, Compare,
// CompareProperties, Like, Between, In, IsNull, SIntersects, TIntersects. String prints it as
// cql2-text that parses back to the same Expr.
type Expr interface {
	String() string
	isExpr()
}

// And holds two or more operands, all of which must hold.
type And struct{ Args []Expr }

// Or holds two or more operands, one of which must hold.
type Or struct{ Args []Expr }

// Not negates its operand.
type Not struct{ Arg Expr }

// Bool is a literal TRUE or FALSE used as a whole predicate.
type Bool struct{ Value bool }

// Op is a comparison operator.
type Op string

// The comparison operators, spelt as in cql2-text and cql2-json.
const (
	Eq Op = "="
	Ne Op = "<>"
	Lt Op = "<"
	Le Op = "<="
	Gt Op = ">"
	Ge Op = ">="
)

// flip turns "5 < x" into "x > 5".
func (o Op) flip() Op {
	switch o {
	case Lt:
		return Gt
	case Le:
		return Ge
	case Gt:
		return Lt
	case Ge:
		return Le
	}
	return o
}

// Compare is Prop Op Value.
type Compare struct {
	Op    Op
	Prop  string
	Value Literal
}

// CompareProperties is Left Op Right: two properties of one type (both
// strings, both numbers, both timestamps or both booleans), compared row
// by row. Basic CQL2 asks for it ("fatalities > civilian_fatalities").
type CompareProperties struct {
	Op          Op
	Left, Right string
}

// Like matches a string property against a pattern where % is any run of
// characters, _ is one character and a backslash takes the next character
// literally (the SQL convention, which PostgreSQL shares).
type Like struct {
	Prop    string
	Pattern string
}

// Between is Low <= Prop <= High.
type Between struct {
	Prop      string
	Low, High Literal
}

// In holds when Prop equals one of Values.
type In struct {
	Prop   string
	Values []Literal
}

// IsNull holds when Prop has no value (an unknown count, no actors).
type IsNull struct{ Prop string }

// SIntersects holds when the geometry property intersects Geom, or BBox
// when the literal was a BBOX (which may cross the antimeridian). Exactly
// one of Geom and BBox is set.
type SIntersects struct {
	Prop string
	Geom orb.Geometry
	BBox *geo.BBox
}

// TIntersects holds when the instant property lies in [Start, End], both
// ends inclusive; a nil end is open (".."). A DATE end covers that whole
// UTC day.
type TIntersects struct {
	Prop       string
	Start, End *Literal
}

func (And) isExpr()               {}
func (Or) isExpr()                {}
func (Not) isExpr()               {}
func (Bool) isExpr()              {}
func (Compare) isExpr()           {}
func (CompareProperties) isExpr() {}
func (Like) isExpr()              {}
func (Between) isExpr()           {}
func (In) isExpr()                {}
func (IsNull) isExpr()            {}
func (SIntersects) isExpr()       {}
func (TIntersects) isExpr()       {}

// Kind says which field of a Literal holds its value.
type Kind int

// The literal kinds.
const (
	KindString Kind = iota
	KindNumber
	KindBool
	KindTimestamp // Time is an instant, in UTC
	KindDate      // Time is midnight UTC of a calendar day, which stands for the whole day
)

// Literal is one constant value from the filter.
type Literal struct {
	Kind Kind
	Str  string
	Num  float64
	Bool bool
	Time time.Time
}

// DayEnd is the first instant after a date literal's day; for a timestamp it
// is the timestamp itself. Comparisons with a DATE use it so that
// "occurred_at <= DATE('2025-10-19')" includes the whole 19th.
func (l Literal) DayEnd() time.Time {
	if l.Kind == KindDate {
		return l.Time.AddDate(0, 0, 1)
	}
	return l.Time
}

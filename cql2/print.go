package cql2

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// The String methods print cql2-text that ParseText reads back to the same
// Expr, for logs and for links that carry a filter. Nested AND/OR and the
// operand of NOT are always parenthesised, so the printed form never
// depends on precedence.

func (e And) String() string { return join(e.Args, " AND ") }
func (e Or) String() string  { return join(e.Args, " OR ") }
func (e Not) String() string { return "NOT (" + e.Arg.String() + ")" }

func (e Bool) String() string {
	if e.Value {
		return "TRUE"
	}
	return "FALSE"
}

func (e Compare) String() string {
	return propertyText(e.Prop) + " " + string(e.Op) + " " + e.Value.String()
}

func (e CompareProperties) String() string {
	return propertyText(e.Left) + " " + string(e.Op) + " " + propertyText(e.Right)
}

func (e Like) String() string {
	return propertyText(e.Prop) + " LIKE " + quoteString(e.Pattern)
}

func (e Between) String() string {
	return propertyText(e.Prop) + " BETWEEN " + e.Low.String() + " AND " + e.High.String()
}

func (e In) String() string {
	var b strings.Builder
	b.WriteString(propertyText(e.Prop))
	b.WriteString(" IN (")
	for i, v := range e.Values {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.String())
	}
	b.WriteString(")")
	return b.String()
}

func (e IsNull) String() string { return propertyText(e.Prop) + " IS NULL" }

func (e SIntersects) String() string {
	lit := ""
	if e.BBox != nil {
		lit = "BBOX(" + formatNumber(e.BBox.West) + ", " + formatNumber(e.BBox.South) + ", " +
			formatNumber(e.BBox.East) + ", " + formatNumber(e.BBox.North) + ")"
	} else {
		lit = wkt(e.Geom)
	}
	return "S_INTERSECTS(" + propertyText(e.Prop) + ", " + lit + ")"
}

func (e TIntersects) String() string {
	end := func(l *Literal) string {
		if l == nil {
			return "'..'"
		}
		return l.String()
	}
	return "T_INTERSECTS(" + propertyText(e.Prop) + ", INTERVAL(" + end(e.Start) + ", " + end(e.End) + "))"
}

// String prints the literal as cql2-text.
func (l Literal) String() string {
	switch l.Kind {
	case KindString:
		return quoteString(l.Str)
	case KindNumber:
		return formatNumber(l.Num)
	case KindBool:
		if l.Bool {
			return "TRUE"
		}
		return "FALSE"
	case KindTimestamp:
		return "TIMESTAMP('" + l.Time.UTC().Format(time.RFC3339Nano) + "')"
	case KindDate:
		return "DATE('" + l.Time.Format(time.DateOnly) + "')"
	}
	return "NULL"
}

func join(args []Expr, sep string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		switch a.(type) {
		case And, Or:
			parts[i] = "(" + a.String() + ")"
		default:
			parts[i] = a.String()
		}
	}
	return strings.Join(parts, sep)
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// propertyText writes a property bare when it lexes back as the same
// identifier, and double-quoted otherwise.
func propertyText(name string) string {
	bare := name != "" && isIdentStart(name[0]) && !reserved[strings.ToUpper(name)]
	for i := 0; bare && i < len(name); i++ {
		bare = isIdentPart(name[i])
	}
	if bare {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// formatNumber prints the shortest form that parses back to the same
// float64, without an exponent for ordinary integers.
func formatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func wkt(g orb.Geometry) string {
	var b strings.Builder
	writeWKT(&b, g)
	return b.String()
}

func writeWKT(b *strings.Builder, g orb.Geometry) {
	pos := func(p orb.Point) {
		b.WriteString(formatNumber(p[0]))
		b.WriteByte(' ')
		b.WriteString(formatNumber(p[1]))
	}
	points := func(ps []orb.Point) {
		b.WriteByte('(')
		for i, p := range ps {
			if i > 0 {
				b.WriteString(", ")
			}
			pos(p)
		}
		b.WriteByte(')')
	}
	rings := func(rs []orb.Ring) {
		b.WriteByte('(')
		for i, r := range rs {
			if i > 0 {
				b.WriteString(", ")
			}
			points(r)
		}
		b.WriteByte(')')
	}
	switch g := g.(type) {
	case orb.Point:
		b.WriteString("POINT(")
		pos(g)
		b.WriteByte(')')
	case orb.LineString:
		b.WriteString("LINESTRING")
		points(g)
	case orb.Polygon:
		b.WriteString("POLYGON")
		rings(g)
	case orb.MultiPoint:
		b.WriteString("MULTIPOINT")
		points(g)
	case orb.MultiLineString:
		b.WriteString("MULTILINESTRING(")
		for i, l := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			points(l)
		}
		b.WriteByte(')')
	case orb.MultiPolygon:
		b.WriteString("MULTIPOLYGON(")
		for i, p := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			rings(p)
		}
		b.WriteByte(')')
	case orb.Collection:
		b.WriteString("GEOMETRYCOLLECTION(")
		for i, m := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			writeWKT(b, m)
		}
		b.WriteByte(')')
	}
}

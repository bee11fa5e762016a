package cql2

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/paulmach/orb"

	"eventmap/geo"
)

// ParseJSON parses a cql2-json filter. Errors name the JSON path of the
// offending member ($.args[1]).
func ParseJSON(raw []byte, qs Queryables, lim Limits) (Expr, error) {
	lim = lim.withDefaults()
	if len(raw) > lim.MaxLength {
		return nil, invalid("$", "the filter is longer than %d bytes", lim.MaxLength)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalid("$", "not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, invalid("$", "not valid JSON: data after the filter object")
	}
	p := &jsonParser{c: checker{qs: qs, lim: lim}}
	return p.expr(v, "$", 1)
}

type jsonParser struct {
	c checker
}

// supportedOps is listed in messages about operators we do not implement.
const supportedOps = "and, or, not, =, <>, <, <=, >, >=, like, between, in, isNull, s_intersects, t_intersects"

func (p *jsonParser) expr(v any, path string, depth int) (Expr, error) {
	if err := p.c.depth(path, depth); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case bool:
		if err := p.c.node(path); err != nil {
			return nil, err
		}
		return Bool{Value: x}, nil
	case map[string]any:
		if _, ok := x["op"]; !ok {
			return nil, invalid(path, "expected a boolean expression: an object with \"op\" and \"args\", or true/false")
		}
	default:
		return nil, invalid(path, "expected a boolean expression: an object with \"op\" and \"args\", or true/false")
	}
	obj := v.(map[string]any)
	op, ok := obj["op"].(string)
	if !ok {
		return nil, invalid(path+".op", "\"op\" must be a string")
	}
	if err := onlyKeys(obj, path, "op", "args"); err != nil {
		return nil, err
	}
	args, ok := obj["args"].([]any)
	if !ok {
		return nil, invalid(path+".args", "\"args\" must be an array")
	}
	argPath := func(i int) string { return fmt.Sprintf("%s.args[%d]", path, i) }
	nargs := func(n int) error {
		if len(args) != n {
			return invalid(path+".args", "%q takes %d arguments, got %d", op, n, len(args))
		}
		return nil
	}
	switch lop := strings.ToLower(op); lop {
	case "and", "or":
		if len(args) < 2 {
			return nil, invalid(path+".args", "%q takes at least 2 arguments, got %d", op, len(args))
		}
		if err := p.c.node(path); err != nil {
			return nil, err
		}
		es := make([]Expr, len(args))
		for i, a := range args {
			e, err := p.expr(a, argPath(i), depth+1)
			if err != nil {
				return nil, err
			}
			es[i] = e
		}
		if lop == "and" {
			return And{Args: es}, nil
		}
		return Or{Args: es}, nil
	case "not":
		if err := nargs(1); err != nil {
			return nil, err
		}
		if err := p.c.node(path); err != nil {
			return nil, err
		}
		e, err := p.expr(args[0], argPath(0), depth+1)
		if err != nil {
			return nil, err
		}
		return Not{Arg: e}, nil
	case "=", "<>", "<", "<=", ">", ">=":
		if err := nargs(2); err != nil {
			return nil, err
		}
		a, b, err := p.scalars(args, argPath)
		if err != nil {
			return nil, err
		}
		return p.c.compare(Op(lop), a[0], b, path)
	case "like":
		if err := nargs(2); err != nil {
			return nil, err
		}
		a, b, err := p.scalars(args, argPath)
		if err != nil {
			return nil, err
		}
		return p.c.like(a[0], b, path)
	case "between":
		if err := nargs(3); err != nil {
			return nil, err
		}
		a, c, err := p.scalars(args, argPath)
		if err != nil {
			return nil, err
		}
		return p.c.between(a[0], a[1], c, path)
	case "in":
		if err := nargs(2); err != nil {
			return nil, err
		}
		left, err := p.scalar(args[0], argPath(0))
		if err != nil {
			return nil, err
		}
		arr, ok := args[1].([]any)
		if !ok {
			return nil, invalid(argPath(1), "the second argument of \"in\" is an array of values")
		}
		if len(arr) > p.c.lim.MaxList {
			return nil, invalid(argPath(1), "an IN list holds at most %d values", p.c.lim.MaxList)
		}
		list := make([]operand, len(arr))
		for i, x := range arr {
			o, err := p.scalar(x, fmt.Sprintf("%s[%d]", argPath(1), i))
			if err != nil {
				return nil, err
			}
			list[i] = o
		}
		return p.c.in(left, list, path)
	case "isnull":
		if err := nargs(1); err != nil {
			return nil, err
		}
		a, err := p.scalar(args[0], argPath(0))
		if err != nil {
			return nil, err
		}
		return p.c.isNull(a, path)
	case "s_intersects":
		if err := nargs(2); err != nil {
			return nil, err
		}
		return p.spatial(args, argPath, path)
	case "t_intersects":
		if err := nargs(2); err != nil {
			return nil, err
		}
		return p.temporal(args, argPath, path)
	}
	switch lop := strings.ToLower(op); {
	case strings.HasPrefix(lop, "s_"):
		return nil, invalid(path+".op", "spatial operator %q is not supported; only s_intersects is", op)
	case strings.HasPrefix(lop, "t_"):
		return nil, invalid(path+".op", "temporal operator %q is not supported; only t_intersects is", op)
	case strings.HasPrefix(lop, "a_"):
		return nil, invalid(path+".op", "array operator %q is not supported", op)
	case lop == "casei" || lop == "accenti":
		return nil, invalid(path+".op", "%q is not supported; string comparisons are case- and accent-sensitive", op)
	}
	return nil, invalid(path+".op", "operator %s is not supported (supported: %s)", quoteForError(op), supportedOps)
}

// scalars reads all args as scalars; it returns all but the last, and the
// last, which is how every caller splits them.
func (p *jsonParser) scalars(args []any, argPath func(int) string) ([]operand, operand, error) {
	out := make([]operand, len(args))
	for i, a := range args {
		o, err := p.scalar(a, argPath(i))
		if err != nil {
			return nil, operand{}, err
		}
		out[i] = o
	}
	return out[:len(out)-1], out[len(out)-1], nil
}

func onlyKeys(obj map[string]any, path string, keys ...string) error {
	var extra []string
	for k := range obj {
		found := false
		for _, want := range keys {
			if k == want {
				found = true
			}
		}
		if !found {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return invalid(path, "unexpected member %s (allowed: %s)", quoteForError(extra[0]), strings.Join(keys, ", "))
	}
	return nil
}

// scalar = {"property": …} | string | number | boolean | {"timestamp": …} | {"date": …}
func (p *jsonParser) scalar(v any, path string) (operand, error) {
	switch x := v.(type) {
	case string:
		if err := checkString(x, path); err != nil {
			return operand{}, err
		}
		return operand{lit: Literal{Kind: KindString, Str: x}, where: path}, nil
	case json.Number:
		f, err := parseNumber(x.String(), path)
		if err != nil {
			return operand{}, err
		}
		return operand{lit: Literal{Kind: KindNumber, Num: f}, where: path}, nil
	case bool:
		return operand{lit: Literal{Kind: KindBool, Bool: x}, where: path}, nil
	case nil:
		return operand{}, invalid(path, "null is not a value; use the \"isNull\" operator")
	case []any:
		return operand{}, invalid(path, "arrays are not supported here")
	}
	obj := v.(map[string]any)
	switch {
	case has(obj, "property"):
		name, ok := obj["property"].(string)
		if !ok || name == "" {
			return operand{}, invalid(path+".property", "a property name is a non-empty string")
		}
		if err := onlyKeys(obj, path, "property"); err != nil {
			return operand{}, err
		}
		return operand{isProp: true, prop: name, where: path}, nil
	case has(obj, "timestamp") || has(obj, "date"):
		l, err := timeObject(obj, path)
		if err != nil {
			return operand{}, err
		}
		return operand{lit: l, where: path}, nil
	case has(obj, "function"):
		return operand{}, invalid(path, "function calls are not supported")
	case has(obj, "op"):
		return operand{}, invalid(path, "expected a property or a value, found an expression (arithmetic and nested operators are not supported here)")
	case has(obj, "interval"):
		return operand{}, invalid(path, "an interval is only allowed as an argument of t_intersects")
	case has(obj, "bbox") || has(obj, "type"):
		return operand{}, invalid(path, "a geometry is only allowed as an argument of s_intersects")
	}
	return operand{}, invalid(path, "expected a property ({\"property\": name}) or a value")
}

func has(obj map[string]any, k string) bool {
	_, ok := obj[k]
	return ok
}

// timeObject reads {"timestamp": "…"} or {"date": "…"}.
func timeObject(obj map[string]any, path string) (Literal, error) {
	key := "timestamp"
	if has(obj, "date") {
		key = "date"
	}
	if err := onlyKeys(obj, path, key); err != nil {
		return Literal{}, err
	}
	s, ok := obj[key].(string)
	if !ok {
		return Literal{}, invalid(path+"."+key, "expected a string")
	}
	if key == "date" {
		return parseDate(s, path+".date")
	}
	return parseTimestamp(s, path+".timestamp")
}

func (p *jsonParser) spatial(args []any, argPath func(int) string, path string) (Expr, error) {
	if err := p.c.node(path); err != nil {
		return nil, err
	}
	var e SIntersects
	prop, propPath := "", ""
	for i, a := range args {
		obj, ok := a.(map[string]any)
		if !ok {
			return nil, invalid(argPath(i), "expected {\"property\": name}, a GeoJSON geometry or {\"bbox\": [...]}")
		}
		switch {
		case has(obj, "property"):
			o, err := p.scalar(obj, argPath(i))
			if err != nil {
				return nil, err
			}
			if prop != "" {
				return nil, invalid(argPath(i), "s_intersects compares a property with a geometry literal, not two properties")
			}
			prop, propPath = o.prop, argPath(i)
		case e.Geom != nil || e.BBox != nil:
			return nil, invalid(argPath(i), "s_intersects compares a property with a geometry literal, not two literals")
		case has(obj, "bbox"):
			b, err := bboxObject(obj, argPath(i))
			if err != nil {
				return nil, err
			}
			e.BBox = b
		default:
			g, err := p.geometry(obj, argPath(i))
			if err != nil {
				return nil, err
			}
			e.Geom = g
		}
	}
	if prop == "" {
		return nil, invalid(path+".args", "s_intersects needs a geometry property as one argument")
	}
	q, err := p.c.geometryProperty(prop, propPath)
	if err != nil {
		return nil, err
	}
	e.Prop = q.Name
	return e, nil
}

func bboxObject(obj map[string]any, path string) (*geo.BBox, error) {
	if err := onlyKeys(obj, path, "bbox"); err != nil {
		return nil, err
	}
	arr, ok := obj["bbox"].([]any)
	if !ok {
		return nil, invalid(path+".bbox", "a bbox is an array of 4 or 6 numbers")
	}
	n := make([]float64, len(arr))
	for i, x := range arr {
		num, ok := x.(json.Number)
		if !ok {
			return nil, invalid(fmt.Sprintf("%s.bbox[%d]", path, i), "not a number")
		}
		f, err := parseNumber(num.String(), fmt.Sprintf("%s.bbox[%d]", path, i))
		if err != nil {
			return nil, err
		}
		n[i] = f
	}
	return checkBBox(n, path+".bbox")
}

// geometry checks a GeoJSON geometry literal with geo.ParseGeometry, the
// same code that checks geometries on writes.
func (p *jsonParser) geometry(obj map[string]any, path string) (orb.Geometry, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, invalid(path, "not a GeoJSON geometry")
	}
	g, err := geo.ParseGeometry(raw, p.c.lim.Geometry)
	if err != nil {
		return nil, invalid(path, "%v", err)
	}
	if isEmptyGeometry(g) {
		return nil, invalid(path, "empty geometries are not supported")
	}
	return g, nil
}

// isEmptyGeometry reports a geometry with no positions, which WKT would
// write as EMPTY; both encodings refuse them.
func isEmptyGeometry(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.MultiPoint:
		return len(g) == 0
	case orb.MultiLineString:
		return len(g) == 0
	case orb.MultiPolygon:
		return len(g) == 0
	case orb.Collection:
		if len(g) == 0 {
			return true
		}
		for _, m := range g {
			if isEmptyGeometry(m) {
				return true
			}
		}
	}
	return false
}

func (p *jsonParser) temporal(args []any, argPath func(int) string, path string) (Expr, error) {
	if err := p.c.node(path); err != nil {
		return nil, err
	}
	prop, propPath := "", ""
	var start, end *Literal
	haveTime := false
	for i, a := range args {
		obj, ok := a.(map[string]any)
		if !ok {
			return nil, invalid(argPath(i), "expected {\"property\": name}, {\"interval\": [...]}, {\"timestamp\": …} or {\"date\": …}")
		}
		switch {
		case has(obj, "property"):
			o, err := p.scalar(obj, argPath(i))
			if err != nil {
				return nil, err
			}
			if prop != "" {
				return nil, invalid(argPath(i), "t_intersects compares a property with a time literal, not two properties")
			}
			prop, propPath = o.prop, argPath(i)
			continue
		case haveTime:
			return nil, invalid(argPath(i), "t_intersects compares a property with a time literal, not two literals")
		case has(obj, "interval"):
			s, e, err := intervalObject(obj, argPath(i))
			if err != nil {
				return nil, err
			}
			start, end = s, e
		case has(obj, "timestamp") || has(obj, "date"):
			l, err := timeObject(obj, argPath(i))
			if err != nil {
				return nil, err
			}
			start, end = &l, &l
		default:
			return nil, invalid(argPath(i), "expected {\"property\": name}, {\"interval\": [...]}, {\"timestamp\": …} or {\"date\": …}")
		}
		haveTime = true
	}
	if prop == "" {
		return nil, invalid(path+".args", "t_intersects needs a timestamp property as one argument")
	}
	q, err := p.c.instantProperty(prop, propPath)
	if err != nil {
		return nil, err
	}
	if err := p.c.interval(start, end, path); err != nil {
		return nil, err
	}
	return TIntersects{Prop: q.Name, Start: start, End: end}, nil
}

func intervalObject(obj map[string]any, path string) (start, end *Literal, err error) {
	if err := onlyKeys(obj, path, "interval"); err != nil {
		return nil, nil, err
	}
	arr, ok := obj["interval"].([]any)
	if !ok || len(arr) != 2 {
		return nil, nil, invalid(path+".interval", "an interval is an array of 2 ends")
	}
	var ends [2]*Literal
	for i, x := range arr {
		ep := fmt.Sprintf("%s.interval[%d]", path, i)
		switch x := x.(type) {
		case string:
			l, err := parseInstant(x, ep)
			if err != nil {
				return nil, nil, err
			}
			ends[i] = l
		case map[string]any:
			if !has(x, "timestamp") && !has(x, "date") {
				return nil, nil, invalid(ep, "an interval end is \"..\", a date or timestamp string, {\"timestamp\": …} or {\"date\": …}")
			}
			l, err := timeObject(x, ep)
			if err != nil {
				return nil, nil, err
			}
			ends[i] = &l
		default:
			return nil, nil, invalid(ep, "an interval end is \"..\", a date or timestamp string, {\"timestamp\": …} or {\"date\": …}")
		}
	}
	return ends[0], ends[1], nil
}

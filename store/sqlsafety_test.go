package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sqlBuilders are the functions allowed to produce SQL text that is not a
// literal. Each assembles constant fragments and allow-listed identifiers,
// and binds every value with query.arg ($n). Adding a name here is a
// security review: read the function first.
var sqlBuilders = map[string]bool{
	"whereSQL": true, "arg": true, // the one WHERE builder (filter.go)
	"from": true, "feature": true, "featureSQLIn": true, "featureSQLWith": true, "servedFeatureSQL": true, "pageSQL": true, // the events relation and Feature expression (asof.go, events.go)
	"geometrySQL": true, "geometryIn": true, "regionFeatureSQL": true, "tileGeometry": true, // output CRS and collection shape allow-lists (events.go, shape.go, regions.go)
	"orderBySQL": true, "keysetSQL": true, // sortby allow-list and keyset predicate (cursor.go)
	"compileCQL": true, // CQL2 compiled against the queryables allow-list (cql.go)
	"CopyIn":     true, // lib/pq's COPY statement: it quotes the table and column names itself
	"fetchSQL":   true, // the export cursor's FETCH, with an int count (export.go)
	// The CSV lines' trigger function: column expressions from
	// eventmap.Properties and exchange.Columns, with the lookup tables and
	// time zone names the code made, quoted by sqlString (exportcsv.go);
	// an export batch's rows, over from and whereSQL (export.go).
	"csvLineFunctionSQL": true, "exportBatchSQL": true,
	// Column lists from the property table, eventmap.Properties (properties.go, write.go, bulk.go).
	"writtenColumns": true, "insertEventSQL": true, "updateEventSQL": true, "stagingTableSQL": true, "stagedAssignments": true, "stagedFeatureSQL": true,
	"catalogIndexSQL": true, // index names and definitions read from pg_index in the same transaction (bulk.go)
	// Reads of the map aggregates (aggregates.go): cell ranges and levels
	// computed in Go, bound with query.arg; table names from constants;
	// the edge read's conditions from EventFilter.apply.
	"aggregateRows": true, "aggregateDims": true, "clustersSQL": true, "histogramSQL": true, "countSQL": true, "tableName": true,
}

// sqlAllowListMaps are package-level maps from user-chosen names to SQL
// fragments written in the code (sort keys, queryables); indexing them
// yields code, never user text.
var sqlAllowListMaps = map[string]bool{"sortKeys": true}

// TestNoSQLFromRequestData reads the store package's source and checks
// every statement sent to PostgreSQL (Query*, Exec*, Prepare*) is made of
// string literals, constants, the builders above and local variables
// assigned only from those. A string built any other way (fmt.Sprintf,
// concatenating a parameter) fails the test, naming the file and line.
func TestNoSQLFromRequestData(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]bool{}
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, s := range g.Specs {
					for _, n := range s.(*ast.ValueSpec).Names {
						consts[n.Name] = true
					}
				}
			}
		}
	}
	calls := 0
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			fn, ok := n.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				return true
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				name := sel.Sel.Name
				var sqlArg ast.Expr
				switch {
				case strings.HasPrefix(name, "Query") || strings.HasPrefix(name, "Exec") || strings.HasPrefix(name, "Prepare"):
					i := 0
					if strings.HasSuffix(name, "Context") {
						i = 1
					}
					if len(call.Args) <= i {
						return true
					}
					sqlArg = call.Args[i]
				default:
					return true
				}
				c := checker{consts: consts, body: fn.Body}
				if x, ok := sel.X.(*ast.Ident); ok && !strings.HasPrefix(name, "Prepare") && c.isPrepared(x.Name) {
					return true // a prepared statement: its SQL was checked at Prepare, these are values
				}
				calls++
				if !c.safe(sqlArg, 0) {
					t.Errorf("%s: SQL for %s is built from something other than literals, constants and allow-listed builders: %s",
						fset.Position(call.Pos()), name, c.why)
				}
				return true
			})
			return false
		})
	}
	if calls < 20 {
		t.Fatalf("found only %d SQL calls; the scan is broken", calls)
	}
}

type checker struct {
	consts map[string]bool
	body   *ast.BlockStmt
	why    string
}

func (c *checker) fail(why string) bool {
	if c.why == "" {
		c.why = why
	}
	return false
}

func (c *checker) safe(e ast.Expr, depth int) bool {
	if depth > 20 {
		return c.fail("expression too deep to follow")
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		return e.Kind == token.STRING || c.fail("non-string literal")
	case *ast.ParenExpr:
		return c.safe(e.X, depth+1)
	case *ast.BinaryExpr:
		return e.Op == token.ADD && c.safe(e.X, depth+1) && c.safe(e.Y, depth+1)
	case *ast.CallExpr:
		switch fn := e.Fun.(type) {
		case *ast.Ident:
			return sqlBuilders[fn.Name] || c.fail("call to "+fn.Name)
		case *ast.SelectorExpr:
			if x, ok := fn.X.(*ast.Ident); ok && x.Name == "strings" && fn.Sel.Name == "Join" && len(e.Args) == 2 {
				return c.safe(e.Args[0], depth+1) && c.safe(e.Args[1], depth+1)
			}
			return sqlBuilders[fn.Sel.Name] || c.fail("call to "+fn.Sel.Name)
		}
		return c.fail("call")
	case *ast.SelectorExpr:
		// sortKeys[name].col: a fragment from an allow-list map.
		if idx, ok := e.X.(*ast.IndexExpr); ok {
			if m, ok := idx.X.(*ast.Ident); ok && sqlAllowListMaps[m.Name] {
				return true
			}
		}
		// step.sql where step ranges over a literal list of steps: the
		// sql field of every step (the other fields are not SQL).
		if x, ok := e.X.(*ast.Ident); ok {
			if lit := c.rangedLiteral(x.Name); lit != nil {
				if fields, ok := fieldValues(lit, e.Sel.Name); ok {
					for _, v := range fields {
						if !c.safe(v, depth+1) {
							return false
						}
					}
					return true
				}
				return c.safeLiteralList(lit, depth)
			}
		}
		return c.fail("field " + e.Sel.Name)
	case *ast.CompositeLit:
		return c.safeLiteralList(e, depth)
	case *ast.Ident:
		if c.consts[e.Name] {
			return true
		}
		return c.safeLocal(e.Name, depth)
	}
	return c.fail("unexpected expression")
}

// isPrepared reports whether name holds a statement from Prepare*.
func (c *checker) isPrepared(name string) bool {
	prepared := false
	ast.Inspect(c.body, func(n ast.Node) bool {
		if s, ok := n.(*ast.AssignStmt); ok {
			for i, lhs := range s.Lhs {
				id, ok := lhs.(*ast.Ident)
				if !ok || id.Name != name {
					continue
				}
				// x, err := tx.PrepareContext(...): one call, several results.
				rhs := s.Rhs[min(i, len(s.Rhs)-1)]
				if call, ok := rhs.(*ast.CallExpr); ok {
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "Prepare") {
						prepared = true
					}
				}
			}
		}
		return true
	})
	return prepared
}

// rangedLiteral returns the composite literal that name ranges over in
// "for _, name := range <literal or local assigned one>", if any.
func (c *checker) rangedLiteral(name string) *ast.CompositeLit {
	var lit *ast.CompositeLit
	ast.Inspect(c.body, func(n ast.Node) bool {
		r, ok := n.(*ast.RangeStmt)
		if !ok {
			return true
		}
		if v, ok := r.Value.(*ast.Ident); !ok || v.Name != name {
			return true
		}
		switch x := r.X.(type) {
		case *ast.CompositeLit:
			lit = x
		case *ast.Ident:
			ast.Inspect(c.body, func(n ast.Node) bool {
				if a, ok := n.(*ast.AssignStmt); ok && len(a.Lhs) == 1 && len(a.Rhs) == 1 {
					if id, ok := a.Lhs[0].(*ast.Ident); ok && id.Name == x.Name {
						lit, _ = a.Rhs[0].(*ast.CompositeLit)
					}
				}
				return true
			})
		}
		return true
	})
	return lit
}

// safeLiteralList: every element of a literal list (of strings, or of
// struct literals whose fields are strings) is safe.
// fieldValues returns, from a literal list of structs whose type is
// written in the literal ([]struct{ what, sql string }{...}), the value of
// field name in each element; ok is false for any other shape.
func fieldValues(lit *ast.CompositeLit, name string) (vals []ast.Expr, ok bool) {
	arr, isArr := lit.Type.(*ast.ArrayType)
	if !isArr {
		return nil, false
	}
	st, isStruct := arr.Elt.(*ast.StructType)
	if !isStruct {
		return nil, false
	}
	index, i := -1, 0
	for _, f := range st.Fields.List {
		for _, n := range f.Names {
			if n.Name == name {
				index = i
			}
			i++
		}
	}
	if index < 0 {
		return nil, false
	}
	for _, el := range lit.Elts {
		inner, isLit := el.(*ast.CompositeLit)
		if !isLit {
			return nil, false
		}
		found := false
		for j, f := range inner.Elts {
			if kv, isKV := f.(*ast.KeyValueExpr); isKV {
				if k, isIdent := kv.Key.(*ast.Ident); isIdent && k.Name == name {
					vals, found = append(vals, kv.Value), true
				}
			} else if j == index {
				vals, found = append(vals, f), true
			}
		}
		if !found {
			return nil, false
		}
	}
	return vals, true
}

func (c *checker) safeLiteralList(lit *ast.CompositeLit, depth int) bool {
	for _, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			el = kv.Value
		}
		if inner, ok := el.(*ast.CompositeLit); ok {
			if !c.safeLiteralList(inner, depth+1) {
				return false
			}
			continue
		}
		if !c.safe(el, depth+1) {
			return false
		}
	}
	return true
}

// safeLocal follows every assignment to a local variable in the function:
// all must be safe, including element assignments (keys[i] = ...).
func (c *checker) safeLocal(name string, depth int) bool {
	found := false
	ok := true
	ast.Inspect(c.body, func(n ast.Node) bool {
		switch s := n.(type) {
		case *ast.AssignStmt:
			for i, lhs := range s.Lhs {
				target := lhs
				if ix, isIdx := lhs.(*ast.IndexExpr); isIdx {
					target = ix.X
				}
				id, isID := target.(*ast.Ident)
				if !isID || id.Name != name {
					continue
				}
				found = true
				var rhs ast.Expr
				switch {
				case len(s.Rhs) == len(s.Lhs):
					rhs = s.Rhs[i]
				case len(s.Rhs) == 1:
					rhs = s.Rhs[0] // v, err := builder(...)
				}
				if call, isCall := rhs.(*ast.CallExpr); isCall {
					if fn, isIdent := call.Fun.(*ast.Ident); isIdent && fn.Name == "make" {
						continue // an empty slice, filled by element assignments
					}
				}
				if rhs == nil || !c.safe(rhs, depth+1) {
					ok = false
				}
			}
		case *ast.ValueSpec:
			for i, id := range s.Names {
				if id.Name == name {
					found = true
					if i < len(s.Values) && !c.safe(s.Values[i], depth+1) {
						ok = false
					}
				}
			}
		}
		return true
	})
	if !found {
		if lit := c.rangedLiteral(name); lit != nil {
			return c.safeLiteralList(lit, depth)
		}
		return c.fail("variable " + name + " is not assigned in this function (a parameter?)")
	}
	return ok || c.fail("variable "+name+" is assigned from unsafe text")
}

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
	"from": true, "feature": true, "featureSQLIn": true, // the events relation and Feature expression (asof.go, events.go)
	"geometrySQL": true,                    // output CRS allow-list (events.go)
	"orderBySQL":  true, "keysetSQL": true, // sortby allow-list and keyset predicate (cursor.go)
	"compileCQL": true, // CQL2 compiled against the queryables allow-list (cql.go)
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
				calls++
				c := checker{consts: consts, body: fn.Body}
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
		return c.fail("field " + e.Sel.Name)
	case *ast.Ident:
		if c.consts[e.Name] {
			return true
		}
		return c.safeLocal(e.Name, depth)
	}
	return c.fail("unexpected expression")
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
		return c.fail("variable " + name + " is not assigned in this function (a parameter?)")
	}
	return ok || c.fail("variable "+name+" is assigned from unsafe text")
}

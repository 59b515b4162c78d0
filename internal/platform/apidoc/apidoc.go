// Package apidoc checks that an OpenAPI description and the code that
// serves it agree.
//
// It is meant for tests: the functions that can find a disagreement take
// a testing.TB and report it there. A package's own test loads its
// document with Load, reads the routes its code registers with Routes, and
// compares the two with the Check functions.
package apidoc

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Methods are the HTTP methods an OpenAPI path item can describe, in
// lower case as its keys are.
var Methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Load reads and parses the OpenAPI document in file, failing t if it
// cannot.
func Load(t testing.TB, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return doc
}

// CheckVersion reports a document that is not OpenAPI 3.1.x or whose
// info.title does not contain title.
func CheckVersion(t testing.TB, doc map[string]any, title string) {
	t.Helper()
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	info, _ := doc["info"].(map[string]any)
	if got, _ := info["title"].(string); !strings.Contains(got, title) {
		t.Errorf("info.title = %q", got)
	}
}

// Func names a method whose body registers routes: the Go file it is in
// and its name.
type Func struct{ File, Name string }

// Route is one method route registered in the code.
type Route struct {
	Method  string // lower case, as in the document
	Path    string // an OpenAPI path template; see PathTemplate
	Wrapper string // the method the handler is wrapped in, as in c.admin(h), or ""
	At      string // the position of the registration
}

// Key returns the route's "method path", the key of Operations.
func (r Route) Key() string { return r.Method + " " + r.Path }

// Routes returns the method routes that the Handle and HandleFunc calls in
// the bodies of funcs register, by "method path", read from the source (a
// ServeMux cannot list its patterns). A pattern must be a string literal,
// a range variable over a literal list of strings, or a concatenation of
// those: "POST /x/"+op for op in {"grant", "revoke"} gives two routes.
// Method-less patterns, such as a catch-all, are left out. Routes fails t
// when a function is missing or no route is found.
func Routes(t testing.TB, funcs ...Func) map[string]Route {
	t.Helper()
	out := map[string]Route{}
	fset := token.NewFileSet()
	for _, rf := range funcs {
		f, err := parser.ParseFile(fset, rf.File, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var fn *ast.FuncDecl
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == rf.Name && fd.Recv != nil {
				fn = fd
			}
		}
		if fn == nil {
			t.Fatalf("%s: no method %s", rf.File, rf.Name)
		}
		var visit func(n ast.Node, env map[string][]string)
		visit = func(n ast.Node, env map[string][]string) {
			ast.Inspect(n, func(n ast.Node) bool {
				if rs, ok := n.(*ast.RangeStmt); ok {
					if name, vals, ok := rangeOverStrings(rs); ok {
						inner := map[string][]string{name: vals}
						for k, v := range env {
							if k != name {
								inner[k] = v
							}
						}
						visit(rs.Body, inner)
						return false
					}
					return true
				}
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) != 2 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "HandleFunc" && sel.Sel.Name != "Handle") {
					return true
				}
				patterns, ok := Strings(call.Args[0], env)
				if !ok {
					t.Errorf("%s: route pattern is neither a string literal nor built from one and a range over literal strings", fset.Position(call.Pos()))
					return true
				}
				wrapper := ""
				if h, ok := call.Args[1].(*ast.CallExpr); ok {
					if hs, ok := h.Fun.(*ast.SelectorExpr); ok {
						wrapper = hs.Sel.Name
					}
				}
				for _, pattern := range patterns {
					method, path, ok := strings.Cut(pattern, " ")
					if !ok {
						continue // no method: a catch-all
					}
					r := Route{Method: strings.ToLower(method), Path: PathTemplate(strings.TrimSpace(path)), Wrapper: wrapper, At: fset.Position(call.Pos()).String()}
					out[r.Key()] = r
				}
				return true
			})
		}
		visit(fn.Body, nil)
	}
	if len(out) == 0 {
		t.Fatal("found no routes")
	}
	return out
}

// Strings evaluates a string expression to the strings it can be: a
// string literal, a variable with values in env, or a concatenation of
// those. ok is false for anything else.
func Strings(e ast.Expr, env map[string][]string) (out []string, ok bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return nil, false
		}
		s, err := strconv.Unquote(e.Value)
		return []string{s}, err == nil
	case *ast.Ident:
		vs, ok := env[e.Name]
		return vs, ok
	case *ast.ParenExpr:
		return Strings(e.X, env)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return nil, false
		}
		l, ok := Strings(e.X, env)
		if !ok {
			return nil, false
		}
		r, ok := Strings(e.Y, env)
		if !ok {
			return nil, false
		}
		for _, a := range l {
			for _, b := range r {
				out = append(out, a+b)
			}
		}
		return out, true
	}
	return nil, false
}

// rangeOverStrings returns the loop variable and values of
// `for _, v := range []string{"a", "b"}`.
func rangeOverStrings(rs *ast.RangeStmt) (string, []string, bool) {
	v, ok := rs.Value.(*ast.Ident)
	if !ok {
		return "", nil, false
	}
	lit, ok := rs.X.(*ast.CompositeLit)
	if !ok {
		return "", nil, false
	}
	var vals []string
	for _, el := range lit.Elts {
		s, ok := Strings(el, nil)
		if !ok || len(s) != 1 {
			return "", nil, false
		}
		vals = append(vals, s[0])
	}
	return v.Name, vals, true
}

var wildcardRest = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\.\.\.\}`)

// PathTemplate turns a ServeMux path pattern into an OpenAPI path
// template: {name...} becomes {name} and a trailing {$} is dropped.
func PathTemplate(p string) string {
	p = strings.TrimSuffix(p, "{$}")
	return wildcardRest.ReplaceAllString(p, "{$1}")
}

// Operations returns the document's operations by "method path".
func Operations(t testing.TB, doc map[string]any) map[string]map[string]any {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("no paths")
	}
	out := map[string]map[string]any{}
	for path, item := range paths {
		pi, ok := item.(map[string]any)
		if !ok {
			t.Errorf("paths[%s] is not an object", path)
			continue
		}
		for _, m := range Methods {
			if op, ok := pi[m].(map[string]any); ok {
				out[m+" "+path] = op
			}
		}
	}
	return out
}

// CheckRoutesDocumented reports each route that docFile's operations ops
// do not document.
func CheckRoutesDocumented(t testing.TB, docFile string, ops map[string]map[string]any, routes map[string]Route) {
	t.Helper()
	for key, r := range routes {
		if _, ok := ops[key]; !ok {
			t.Errorf("route %s is registered at %s but not documented in %s", key, r.At, docFile)
		}
	}
}

// CheckOperationsRegistered reports each of docFile's operations ops that
// is not among routes.
func CheckOperationsRegistered(t testing.TB, docFile string, ops map[string]map[string]any, routes map[string]Route) {
	t.Helper()
	for key := range ops {
		if _, ok := routes[key]; !ok {
			t.Errorf("%s documents %s, which is not registered", docFile, key)
		}
	}
}

// CheckSecurity checks that exactly the routes whose handler is wrapped in
// one of wrappers (the routes for role) declare security and document 401
// and 403. Routes that are not documented are skipped.
func CheckSecurity(t testing.TB, ops map[string]map[string]any, routes map[string]Route, role string, wrappers ...string) {
	t.Helper()
	for key, r := range routes {
		op, ok := ops[key]
		if !ok {
			continue // reported by CheckRoutesDocumented
		}
		guarded := slices.Contains(wrappers, r.Wrapper)
		_, secured := op["security"]
		if secured != guarded {
			t.Errorf("%s: security declared = %v, %s route = %v", key, secured, role, guarded)
		}
		resp, _ := op["responses"].(map[string]any)
		for _, code := range []string{"401", "403"} {
			if _, ok := resp[code]; ok != guarded {
				t.Errorf("%s: documents %s = %v, %s route = %v", key, code, ok, role, guarded)
			}
		}
	}
}

// Resolve follows a local $ref ("#/a/b") in doc.
func Resolve(doc map[string]any, ref string) (any, bool) {
	ptr, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	var cur any = doc
	for _, part := range strings.Split(ptr, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Deref returns v, or what it refers to when it is a {$ref: ...} object.
func Deref(doc map[string]any, v any) map[string]any {
	m, _ := v.(map[string]any)
	for range 10 {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		target, _ := Resolve(doc, ref)
		m, _ = target.(map[string]any)
	}
	return m
}

// CheckRefs reports every $ref in doc that does not resolve.
func CheckRefs(t testing.TB, doc map[string]any) {
	t.Helper()
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, ok := Resolve(doc, ref); !ok {
					t.Errorf("%s: $ref %q does not resolve", at, ref)
				}
			}
			for k, x := range v {
				walk(at+"/"+k, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s/%d", at, i), x)
			}
		}
	}
	walk("#", doc)
}

var templateParam = regexp.MustCompile(`\{([^}]+)\}`)

// CheckPathParameters checks that every operation declares exactly the
// path parameters of its template, each required.
func CheckPathParameters(t testing.TB, doc map[string]any) {
	t.Helper()
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		pi, _ := item.(map[string]any)
		var want []string
		for _, m := range templateParam.FindAllStringSubmatch(path, -1) {
			want = append(want, m[1])
		}
		sort.Strings(want)
		pathLevel, _ := pi["parameters"].([]any)
		for _, m := range Methods {
			op, ok := pi[m].(map[string]any)
			if !ok {
				continue
			}
			opLevel, _ := op["parameters"].([]any)
			var got []string
			for _, p := range append(slices.Clone(pathLevel), opLevel...) {
				pm := Deref(doc, p)
				if pm == nil {
					t.Errorf("%s %s: unresolvable parameter %v", m, path, p)
					continue
				}
				if pm["in"] == "path" {
					got = append(got, fmt.Sprint(pm["name"]))
					if pm["required"] != true {
						t.Errorf("%s %s: path parameter %v is not required", m, path, pm["name"])
					}
				}
			}
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s %s: path parameters %v, template has %v", m, path, got, want)
			}
		}
	}
}

// Schemas returns the document's components.schemas.
func Schemas(doc map[string]any) map[string]any {
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	return schemas
}

// SchemaFields returns a schema's properties and required names, merging
// allOf parts and following $refs.
func SchemaFields(doc map[string]any, s map[string]any) (props, required map[string]bool) {
	props, required = map[string]bool{}, map[string]bool{}
	var add func(s map[string]any, depth int)
	add = func(s map[string]any, depth int) {
		s = Deref(doc, s)
		if s == nil || depth > 10 {
			return
		}
		if ps, ok := s["properties"].(map[string]any); ok {
			for name := range ps {
				props[name] = true
			}
		}
		if rs, ok := s["required"].([]any); ok {
			for _, r := range rs {
				required[fmt.Sprint(r)] = true
			}
		}
		if all, ok := s["allOf"].([]any); ok {
			for _, part := range all {
				pm, _ := part.(map[string]any)
				add(pm, depth+1)
			}
		}
	}
	add(s, 0)
	return props, required
}

// JSONFields returns the JSON fields of a struct type, with whether each
// is always present (no omitempty), including embedded structs' fields.
func JSONFields(typ reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			for k, v := range JSONFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out[name] = !strings.Contains(","+opts+",", ",omitempty,")
	}
	return out
}

// CheckSchemaMatchesType checks that components.schemas has name, that it
// has exactly the JSON fields of typ, and that the fields typ always
// writes are exactly the required ones.
func CheckSchemaMatchesType(t testing.TB, doc map[string]any, name string, typ reflect.Type) {
	t.Helper()
	s, ok := Schemas(doc)[name].(map[string]any)
	if !ok {
		t.Errorf("components.schemas has no %s", name)
		return
	}
	props, required := SchemaFields(doc, s)
	fields := JSONFields(typ)
	for f, always := range fields {
		if !props[f] {
			t.Errorf("schema %s lacks property %q of %s", name, f, typ)
		}
		if always != required[f] {
			t.Errorf("schema %s: %q required = %v, but %s always writes it = %v", name, f, required[f], typ, always)
		}
	}
	for p := range props {
		if _, ok := fields[p]; !ok {
			t.Errorf("schema %s has property %q, which %s does not have", name, p, typ)
		}
	}
}

// CheckInputSchema checks that components.schemas has name, a request
// body, and that it has only properties in fields (the decoder refuses
// unknown fields) and requires only properties it describes.
func CheckInputSchema(t testing.TB, doc map[string]any, name string, fields map[string]bool) {
	t.Helper()
	s, ok := Schemas(doc)[name].(map[string]any)
	if !ok {
		t.Errorf("components.schemas has no %s", name)
		return
	}
	props, required := SchemaFields(doc, s)
	for p := range props {
		if _, ok := fields[p]; !ok {
			t.Errorf("schema %s has property %q, which the decoder refuses", name, p)
		}
	}
	for r := range required {
		if !props[r] {
			t.Errorf("schema %s requires %q, which it does not describe", name, r)
		}
	}
}

package catalog

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

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

// The API's description, kept honest by these tests: every route that
// (*API).Routes registers is documented, nothing else is, and the schemas
// have the JSON fields of the Go types they describe.
const oaDocFile = "../../docs/api/catalog.openapi.yaml"

func oaLoadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(oaDocFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", oaDocFile, err)
	}
	return doc
}

// oaRoute is one route registered in api.go.
type oaRoute struct {
	method, path string
	admin        bool // the handler is wrapped in a.admin
}

// oaCodeRoutes returns the method routes that (*API).Routes registers, read
// from api.go's source (a ServeMux cannot list its patterns). Method-less
// patterns, the /catalog/v1/ catch-all, are left out.
func oaCodeRoutes(t *testing.T) map[string]oaRoute {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "api.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var routes *ast.FuncDecl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "Routes" && fd.Recv != nil {
			routes = fd
		}
	}
	if routes == nil {
		t.Fatal("api.go: no Routes method")
	}
	out := map[string]oaRoute{}
	ast.Inspect(routes.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 2 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "HandleFunc" && sel.Sel.Name != "Handle") {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			t.Errorf("%s: route pattern is not a string literal", fset.Position(call.Pos()))
			return true
		}
		pattern, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			return true // no method: the catch-all
		}
		r := oaRoute{method: strings.ToLower(method), path: oaPathTemplate(strings.TrimSpace(path))}
		if h, ok := call.Args[1].(*ast.CallExpr); ok {
			if hs, ok := h.Fun.(*ast.SelectorExpr); ok && hs.Sel.Name == "admin" {
				r.admin = true
			}
		}
		out[r.method+" "+r.path] = r
		return true
	})
	if len(out) == 0 {
		t.Fatal("api.go: found no routes in Routes")
	}
	return out
}

// oaPathTemplate turns a ServeMux path pattern into an OpenAPI path template:
// {name...} becomes {name} and a trailing {$} is dropped.
func oaPathTemplate(p string) string {
	p = strings.TrimSuffix(p, "{$}")
	return regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\.\.\.\}`).ReplaceAllString(p, "{$1}")
}

var oaMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// oaDocOperations returns the document's operations by "method path".
func oaDocOperations(t *testing.T, doc map[string]any) map[string]map[string]any {
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
		for _, m := range oaMethods {
			if op, ok := pi[m].(map[string]any); ok {
				out[m+" "+path] = op
			}
		}
	}
	return out
}

func TestOpenAPIVersion(t *testing.T) {
	doc := oaLoadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	info, _ := doc["info"].(map[string]any)
	if title, _ := info["title"].(string); !strings.Contains(title, "danh mục điện tử dùng chung") {
		t.Errorf("info.title = %q", title)
	}
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := oaLoadOpenAPI(t)
	ops := oaDocOperations(t, doc)
	routes := oaCodeRoutes(t)
	for key := range routes {
		if _, ok := ops[key]; !ok {
			t.Errorf("route %s is registered in api.go but not documented in %s", key, oaDocFile)
		}
	}
	for key := range ops {
		if _, ok := routes[key]; !ok {
			t.Errorf("%s documents %s, which api.go does not register", oaDocFile, key)
		}
	}
}

// TestOpenAPISecurity checks that exactly the routes wrapped in a.admin
// ask for the bearer token and document 401 and 403.
func TestOpenAPISecurity(t *testing.T) {
	doc := oaLoadOpenAPI(t)
	ops := oaDocOperations(t, doc)
	for key, r := range oaCodeRoutes(t) {
		op, ok := ops[key]
		if !ok {
			continue // reported by TestOpenAPIDocumentsEveryRoute
		}
		_, secured := op["security"]
		if secured != r.admin {
			t.Errorf("%s: security declared = %v, admin route = %v", key, secured, r.admin)
		}
		resp, _ := op["responses"].(map[string]any)
		for _, code := range []string{"401", "403"} {
			if _, ok := resp[code]; ok != r.admin {
				t.Errorf("%s: documents %s = %v, admin route = %v", key, code, ok, r.admin)
			}
		}
	}
}

// oaResolve follows a local $ref ("#/a/b") in doc.
func oaResolve(doc map[string]any, ref string) (any, bool) {
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

// oaDeref returns v, or what it refers to when it is a {$ref: ...} object.
func oaDeref(doc map[string]any, v any) map[string]any {
	m, _ := v.(map[string]any)
	for range 10 {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		target, _ := oaResolve(doc, ref)
		m, _ = target.(map[string]any)
	}
	return m
}

func TestOpenAPIRefsResolve(t *testing.T) {
	doc := oaLoadOpenAPI(t)
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, ok := oaResolve(doc, ref); !ok {
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

var oaTemplateParam = regexp.MustCompile(`\{([^}]+)\}`)

// TestOpenAPIPathParameters checks that every operation declares exactly
// the path parameters of its template.
func TestOpenAPIPathParameters(t *testing.T) {
	doc := oaLoadOpenAPI(t)
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		pi, _ := item.(map[string]any)
		var want []string
		for _, m := range oaTemplateParam.FindAllStringSubmatch(path, -1) {
			want = append(want, m[1])
		}
		sort.Strings(want)
		pathLevel, _ := pi["parameters"].([]any)
		for _, m := range oaMethods {
			op, ok := pi[m].(map[string]any)
			if !ok {
				continue
			}
			opLevel, _ := op["parameters"].([]any)
			var got []string
			for _, p := range append(slices.Clone(pathLevel), opLevel...) {
				pm := oaDeref(doc, p)
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

// oaSchemaFields returns a schema's properties and required names, merging
// allOf parts and following $refs.
func oaSchemaFields(doc map[string]any, s map[string]any) (props, required map[string]bool) {
	props, required = map[string]bool{}, map[string]bool{}
	var add func(s map[string]any, depth int)
	add = func(s map[string]any, depth int) {
		s = oaDeref(doc, s)
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

// oaJSONFields returns the JSON fields of a struct type, with whether each
// is always present (no omitempty), including embedded structs' fields.
func oaJSONFields(typ reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			for k, v := range oaJSONFields(f.Type) {
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

// TestOpenAPISchemasMatchTypes checks that each schema has the JSON fields
// of its Go type, and that the fields always written are the required ones.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := oaLoadOpenAPI(t)
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	types := map[string]reflect.Type{
		"List":        reflect.TypeFor[List](),
		"Item":        reflect.TypeFor[Item](),
		"Successor":   reflect.TypeFor[Successor](),
		"Version":     reflect.TypeFor[Version](),
		"Change":      reflect.TypeFor[Change](),
		"Retire":      reflect.TypeFor[Retire](),
		"ItemPage":    reflect.TypeFor[ItemPage](),
		"Translation": reflect.TypeFor[Translation](),
		"Target":      reflect.TypeFor[Target](),
		"Problem":     reflect.TypeFor[web.Problem](),
		"FieldError":  reflect.TypeFor[fault.FieldError](),
	}
	for name, typ := range types {
		s, ok := schemas[name].(map[string]any)
		if !ok {
			t.Errorf("components.schemas has no %s", name)
			continue
		}
		props, required := oaSchemaFields(doc, s)
		fields := oaJSONFields(typ)
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
}

// TestOpenAPIInputSchemas checks that the request-body schemas name only
// fields the decoder accepts (it refuses unknown fields).
func TestOpenAPIInputSchemas(t *testing.T) {
	doc := oaLoadOpenAPI(t)
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	for name, typ := range map[string]reflect.Type{
		"ListInput": reflect.TypeFor[List](),
		"ItemInput": reflect.TypeFor[Item](),
	} {
		s, ok := schemas[name].(map[string]any)
		if !ok {
			t.Errorf("components.schemas has no %s", name)
			continue
		}
		props, _ := oaSchemaFields(doc, s)
		fields := oaJSONFields(typ)
		for p := range props {
			if _, ok := fields[p]; !ok {
				t.Errorf("schema %s has property %q, which %s does not have", name, p, typ)
			}
		}
	}
}

package exchange

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

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/exchange/xroad"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/web"
)

// The hub and administration API's description, kept honest by these
// tests: every route that (*Hub).Routes and (*Component).adminRoutes
// register is documented, nothing else is, the schemas have the JSON
// fields of the Go types they describe, and the gateway protocol's
// description names every error type and header of package xroad.
const oaDocFile = "../../docs/api/exchange.openapi.yaml"

// oaRouteFuncs are the functions whose registrations the document covers:
// file and function name.
var oaRouteFuncs = []struct{ file, fn string }{
	{"hub.go", "Routes"},
	{"admin.go", "adminRoutes"},
}

// oaAdminWrappers are the handler wrappers that require the exchange-admin
// role.
var oaAdminWrappers = map[string]bool{"adminJSON": true, "admin": true}

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

// oaRoute is one registered route.
type oaRoute struct {
	method, path string
	admin        bool // the handler is wrapped in adminJSON or admin
	at           string
}

// oaStrings evaluates a route pattern expression to the strings it can
// be: a string literal, a range variable over a literal list of strings
// (env), or a concatenation of those. ok is false for anything else.
func oaStrings(e ast.Expr, env map[string][]string) (out []string, ok bool) {
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
		return oaStrings(e.X, env)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return nil, false
		}
		l, ok := oaStrings(e.X, env)
		if !ok {
			return nil, false
		}
		r, ok := oaStrings(e.Y, env)
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

// oaRangeOverStrings returns the loop variable and values of
// `for _, v := range []string{"a", "b"}`.
func oaRangeOverStrings(rs *ast.RangeStmt) (string, []string, bool) {
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
		s, ok := oaStrings(el, nil)
		if !ok || len(s) != 1 {
			return "", nil, false
		}
		vals = append(vals, s[0])
	}
	return v.Name, vals, true
}

// oaCodeRoutes returns the method routes registered in oaRouteFuncs, read
// from the source (a ServeMux cannot list its patterns). Patterns built in
// a loop over a literal list, such as "POST /exchange/v1/access/"+op for op
// in {"grant", "revoke"}, are expanded. Method-less patterns (the
// /hub/v1/ catch-all) are left out.
func oaCodeRoutes(t *testing.T) map[string]oaRoute {
	t.Helper()
	out := map[string]oaRoute{}
	fset := token.NewFileSet()
	for _, rf := range oaRouteFuncs {
		f, err := parser.ParseFile(fset, rf.file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var fn *ast.FuncDecl
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == rf.fn && fd.Recv != nil {
				fn = fd
			}
		}
		if fn == nil {
			t.Fatalf("%s: no method %s", rf.file, rf.fn)
		}
		var visit func(n ast.Node, env map[string][]string)
		visit = func(n ast.Node, env map[string][]string) {
			ast.Inspect(n, func(n ast.Node) bool {
				if rs, ok := n.(*ast.RangeStmt); ok {
					if name, vals, ok := oaRangeOverStrings(rs); ok {
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
				patterns, ok := oaStrings(call.Args[0], env)
				if !ok {
					t.Errorf("%s: route pattern is neither a string literal nor built from one and a range over literal strings", fset.Position(call.Pos()))
					return true
				}
				admin := false
				if h, ok := call.Args[1].(*ast.CallExpr); ok {
					if hs, ok := h.Fun.(*ast.SelectorExpr); ok && oaAdminWrappers[hs.Sel.Name] {
						admin = true
					}
				}
				for _, pattern := range patterns {
					method, path, ok := strings.Cut(pattern, " ")
					if !ok {
						continue // no method: a catch-all
					}
					r := oaRoute{method: strings.ToLower(method), path: oaPathTemplate(strings.TrimSpace(path)), admin: admin, at: fset.Position(call.Pos()).String()}
					out[r.method+" "+r.path] = r
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
	if title, _ := info["title"].(string); !strings.Contains(title, "Nền tảng tích hợp, chia sẻ dữ liệu") {
		t.Errorf("info.title = %q", title)
	}
}

// TestOpenAPIRouteExtraction checks the extractor itself on the routes
// registered in a loop, so that a change of the loop cannot silently drop
// them from the comparison below.
func TestOpenAPIRouteExtraction(t *testing.T) {
	routes := oaCodeRoutes(t)
	for _, key := range []string{"post /exchange/v1/access/grant", "post /exchange/v1/access/revoke", "get /hub/v1/globalconf", "post /hub/v1/certificates"} {
		if _, ok := routes[key]; !ok {
			t.Errorf("route %s not found in the source", key)
		}
	}
	if r := routes["post /exchange/v1/access/grant"]; !r.admin {
		t.Error("POST /exchange/v1/access/grant is not seen as an admin route")
	}
	if r := routes["post /hub/v1/timestamp"]; r.admin {
		t.Error("POST /hub/v1/timestamp is seen as an admin route")
	}
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := oaLoadOpenAPI(t)
	ops := oaDocOperations(t, doc)
	routes := oaCodeRoutes(t)
	for key, r := range routes {
		if _, ok := ops[key]; !ok {
			t.Errorf("route %s is registered at %s but not documented in %s", key, r.at, oaDocFile)
		}
	}
	for key := range ops {
		if _, ok := routes[key]; !ok {
			t.Errorf("%s documents %s, which is not registered", oaDocFile, key)
		}
	}
}

// TestOpenAPISecurity checks that exactly the routes wrapped in adminJSON
// or admin ask for the bearer token and document 401 and 403.
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

// oaSchemas returns components.schemas.
func oaSchemas(doc map[string]any) map[string]any {
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	return schemas
}

// TestOpenAPISchemasMatchTypes checks that each schema has the JSON fields
// of its Go type, and that the fields always written are the required ones.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := oaLoadOpenAPI(t)
	schemas := oaSchemas(doc)
	types := map[string]reflect.Type{
		"Member":                reflect.TypeFor[Member](),
		"Subsystem":             reflect.TypeFor[Subsystem](),
		"GatewayRecord":         reflect.TypeFor[GatewayRecord](),
		"Group":                 reflect.TypeFor[Group](),
		"ConfMember":            reflect.TypeFor[ConfMember](),
		"GlobalConf":            reflect.TypeFor[GlobalConf](),
		"SignedConf":            reflect.TypeFor[SignedConf](),
		"TrustAnchor":           reflect.TypeFor[TrustAnchor](),
		"Timestamp":             reflect.TypeFor[pki.Timestamp](),
		"Endpoint":              reflect.TypeFor[Endpoint](),
		"Service":               reflect.TypeFor[Service](),
		"Access":                reflect.TypeFor[Access](),
		"Record":                reflect.TypeFor[msglog.Record](),
		"Report":                reflect.TypeFor[msglog.Report](),
		"XRoadError":            reflect.TypeFor[xroad.Error](),
		"XRoadClient":           reflect.TypeFor[metaClient](),
		"XRoadClientIdentifier": reflect.TypeFor[metaID](),
		"XRoadService":          reflect.TypeFor[metaService](),
		"Problem":               reflect.TypeFor[web.Problem](),
		"FieldError":            reflect.TypeFor[fault.FieldError](),
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
	schemas := oaSchemas(doc)
	fieldsOf := func(typ reflect.Type) map[string]bool { return oaJSONFields(typ) }
	// The bodies of POST /hub/v1/timestamp and /hub/v1/certificates are
	// anonymous structs in hub.go.
	named := func(names ...string) map[string]bool {
		m := map[string]bool{}
		for _, n := range names {
			m[n] = true
		}
		return m
	}
	for name, fields := range map[string]map[string]bool{
		"ServiceInput":       fieldsOf(reflect.TypeFor[serviceInput]()),
		"AccessInput":        fieldsOf(reflect.TypeFor[Access]()),
		"GatewayInput":       fieldsOf(reflect.TypeFor[GatewayRecord]()),
		"TimestampRequest":   named("digest"),
		"CertificateRequest": named("csr"),
	} {
		s, ok := schemas[name].(map[string]any)
		if !ok {
			t.Errorf("components.schemas has no %s", name)
			continue
		}
		props, required := oaSchemaFields(doc, s)
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
	// AccessInput's endpoint is an Endpoint.
	if s, ok := schemas["AccessInput"].(map[string]any); ok {
		ps, _ := s["properties"].(map[string]any)
		ep, _ := ps["endpoint"].(map[string]any)
		props, _ := oaSchemaFields(doc, ep)
		fields := oaJSONFields(reflect.TypeFor[Endpoint]())
		for p := range props {
			if _, ok := fields[p]; !ok {
				t.Errorf("schema AccessInput.endpoint has property %q, which Endpoint does not have", p)
			}
		}
	}
}

// oaErrorTypes returns the values of the Type* constants of
// xroad/errors.go.
func oaErrorTypes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "xroad/errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !strings.HasPrefix(n.Name, "Type") || i >= len(vs.Values) {
					continue
				}
				if s, ok := oaStrings(vs.Values[i], nil); ok && len(s) == 1 {
					out = append(out, s[0])
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("xroad/errors.go: no Type constants")
	}
	sort.Strings(out)
	return out
}

func oaDescription(doc map[string]any) string {
	info, _ := doc["info"].(map[string]any)
	s, _ := info["description"].(string)
	return s
}

// TestOpenAPIErrorTypes checks that the XRoadError schema lists exactly the
// error types of package xroad, and the description's table explains each.
func TestOpenAPIErrorTypes(t *testing.T) {
	doc := oaLoadOpenAPI(t)
	want := oaErrorTypes(t)
	s := oaDeref(doc, oaSchemas(doc)["XRoadError"])
	ps, _ := s["properties"].(map[string]any)
	typ, _ := ps["type"].(map[string]any)
	enum, _ := typ["enum"].([]any)
	var got []string
	for _, e := range enum {
		got = append(got, fmt.Sprint(e))
	}
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("XRoadError.type enum = %v, xroad/errors.go has %v", got, want)
	}
	desc := oaDescription(doc)
	for _, typ := range want {
		status := xroad.StatusFor(typ)
		if row := fmt.Sprintf("| `%s` | %d |", typ, status); !strings.Contains(desc, row) {
			t.Errorf("info.description has no table row %q", row)
		}
	}
}

// TestOpenAPIGatewayProtocol checks that the description of the gateway
// protocol names every header and metadata service of package xroad.
func TestOpenAPIGatewayProtocol(t *testing.T) {
	desc := oaDescription(oaLoadOpenAPI(t))
	for _, h := range []string{xroad.HeaderClient, xroad.HeaderID, xroad.HeaderUserID, xroad.HeaderIssue, xroad.HeaderRepresentedParty,
		xroad.HeaderService, xroad.HeaderRequestID, xroad.HeaderRequestHash, xroad.HeaderError} {
		if !strings.Contains(desc, "`"+h+"`") {
			t.Errorf("info.description does not name the header %s", h)
		}
	}
	for _, s := range []string{xroad.PathListClients, "/" + xroad.ServiceListMethods, "/" + xroad.ServiceAllowedMethods, "/" + xroad.ServiceGetOpenAPI + "?" + xroad.QueryServiceCode + "="} {
		if !strings.Contains(desc, s) {
			t.Errorf("info.description does not describe the metadata service %s", s)
		}
	}
	if want := "/" + xroad.ProtocolVersion + "/{instance}/{class}/{member}/{subsystem}/{service}[/path]"; !strings.Contains(desc, want) {
		t.Errorf("info.description does not give the request form %s", want)
	}
}

package backend

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

	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/exchange/xroad"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/registry"
	"github.com/vngov/vngov/internal/registry/enterprise"
	"github.com/vngov/vngov/internal/registry/land"
	"github.com/vngov/vngov/internal/registry/population"
)

// The registries' API description, kept honest by these tests. Part 1:
// every /registry/v1/ route that (*Component).Routes registers is
// documented and nothing else is (the HTML pages that pages.go registers
// under /registry/ are not part of it). Part 2: every endpoint of every
// exchange service (the OpenAPI descriptions that population.OpenAPI,
// enterprise.OpenAPI and land.OpenAPI give the exchange) is documented at
// the path a caller's gateway exposes it, /r1/PROVIDER/SERVICE/path, and
// nothing else is. The schemas have the JSON fields of the Go types.
const oaDocFile = "../../../docs/api/registry-clerk.openapi.yaml"

// oaAPIPrefix is the clerks' API; other routes of Routes are pages.
const oaAPIPrefix = "/registry/v1/"

// oaInstance is the exchange instance of `vngov demo`, whose identifiers
// the document uses.
const oaInstance = "VN-DEMO"

// oaRegistries are the registries' exchange services as DemoSetup
// registers them: provider subsystem, service codes and their OpenAPI.
var oaRegistries = []struct {
	provider string
	codes    []string
	openapi  func(string) string
}{
	{oaInstance + "/GOV/" + exchange.DemoMPS + "/CSDLQGDC", population.Services(), population.OpenAPI},
	{oaInstance + "/GOV/" + exchange.DemoFinance + "/DKDN", enterprise.Services(), enterprise.OpenAPI},
	{oaInstance + "/GOV/" + exchange.DemoLand + "/CSDLDD", land.Services(), land.OpenAPI},
}

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

// oaRoute is one route registered in backend.go.
type oaRoute struct {
	method, path string
	clerk        bool // the handler is wrapped in c.clerk
}

// oaCodeRoutes returns the /registry/v1/ method routes that
// (*Component).Routes registers, read from backend.go's source (a ServeMux
// cannot list its patterns). The /registry/v1/ catch-all has no method and
// is left out, and so are the pages' routes.
func oaCodeRoutes(t *testing.T) map[string]oaRoute {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "backend.go", nil, 0)
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
		t.Fatal("backend.go: no Routes method")
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
		path = strings.TrimSpace(path)
		if !strings.HasPrefix(path, oaAPIPrefix) {
			return true // a page
		}
		r := oaRoute{method: strings.ToLower(method), path: oaPathTemplate(path)}
		if h, ok := call.Args[1].(*ast.CallExpr); ok {
			if hs, ok := h.Fun.(*ast.SelectorExpr); ok && hs.Sel.Name == "clerk" {
				r.clerk = true
			}
		}
		out[r.method+" "+r.path] = r
		return true
	})
	if len(out) == 0 {
		t.Fatal("backend.go: found no /registry/v1/ routes in Routes")
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

// oaExchangePath is the path of a service endpoint as a caller's gateway
// exposes it.
func oaExchangePath(provider, code, path string) string {
	return "/" + xroad.ProtocolVersion + "/" + provider + "/" + code + path
}

// oaServiceOp is one endpoint of an exchange service.
type oaServiceOp struct {
	code   string
	method string
	path   string         // relative to the service
	op     map[string]any // the operation in the service's own OpenAPI
}

// oaServiceOps returns every endpoint of every registry service, by
// "method /r1/PROVIDER/SERVICE/path".
func oaServiceOps(t *testing.T) map[string]oaServiceOp {
	t.Helper()
	out := map[string]oaServiceOp{}
	for _, reg := range oaRegistries {
		if len(reg.codes) == 0 {
			t.Errorf("%s: no service codes", reg.provider)
		}
		for _, code := range reg.codes {
			src := reg.openapi(code)
			if src == "" {
				t.Errorf("%s: no OpenAPI description for service %s", reg.provider, code)
				continue
			}
			var d struct {
				Paths map[string]map[string]any `yaml:"paths"`
			}
			if err := yaml.Unmarshal([]byte(src), &d); err != nil {
				t.Errorf("service %s: OpenAPI: %v", code, err)
				continue
			}
			if len(d.Paths) == 0 {
				t.Errorf("service %s: OpenAPI has no paths", code)
			}
			for p, item := range d.Paths {
				for _, m := range oaMethods {
					op, ok := item[m].(map[string]any)
					if !ok {
						continue
					}
					out[m+" "+oaExchangePath(reg.provider, code, p)] = oaServiceOp{code: code, method: m, path: p, op: op}
				}
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
	if title, _ := info["title"].(string); !strings.Contains(title, "Cơ sở dữ liệu quốc gia") {
		t.Errorf("info.title = %q", title)
	}
}

// TestOpenAPIDocumentsEveryRoute checks part 1 against backend.go and
// that the document has no paths outside its two parts.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := oaLoadOpenAPI(t)
	ops := oaDocOperations(t, doc)
	routes := oaCodeRoutes(t)
	for key := range routes {
		if _, ok := ops[key]; !ok {
			t.Errorf("route %s is registered in backend.go but not documented in %s", key, oaDocFile)
		}
	}
	for key := range ops {
		_, path, _ := strings.Cut(key, " ")
		switch {
		case strings.HasPrefix(path, oaAPIPrefix):
			if _, ok := routes[key]; !ok {
				t.Errorf("%s documents %s, which backend.go does not register", oaDocFile, key)
			}
		case strings.HasPrefix(path, "/"+xroad.ProtocolVersion+"/"):
			// part 2, checked by TestOpenAPIDocumentsEveryService
		default:
			t.Errorf("%s documents %s, which is neither under %s nor an exchange service", oaDocFile, key, oaAPIPrefix)
		}
	}
}

// TestOpenAPIDocumentsEveryService checks part 2: every endpoint of every
// service code's OpenAPI is documented at /r1/PROVIDER/SERVICE/path with
// the service's parameters, and nothing else is under /r1/.
func TestOpenAPIDocumentsEveryService(t *testing.T) {
	doc := oaLoadOpenAPI(t)
	ops := oaDocOperations(t, doc)
	svcOps := oaServiceOps(t)
	paths, _ := doc["paths"].(map[string]any)
	for key, s := range svcOps {
		op, ok := ops[key]
		if !ok {
			t.Errorf("service %s: %s %s is not documented as %s in %s", s.code, strings.ToUpper(s.method), s.path, key, oaDocFile)
			continue
		}
		_, docPath, _ := strings.Cut(key, " ")
		have := oaParamSet(doc, paths[docPath], op)
		sp, _ := s.op["parameters"].([]any)
		for _, p := range sp {
			pm, _ := p.(map[string]any)
			want := fmt.Sprint(pm["in"]) + " " + fmt.Sprint(pm["name"])
			if _, ok := have[want]; !ok {
				t.Errorf("%s: the service's parameter %s is not documented", key, want)
			}
		}
		if s.op["requestBody"] != nil && op["requestBody"] == nil {
			t.Errorf("%s: the service takes a request body, the document none", key)
		}
	}
	for key := range ops {
		_, path, _ := strings.Cut(key, " ")
		if !strings.HasPrefix(path, "/"+xroad.ProtocolVersion+"/") {
			continue
		}
		if _, ok := svcOps[key]; !ok {
			t.Errorf("%s documents %s, which no registry service's OpenAPI has", oaDocFile, key)
		}
	}
}

// oaParamSet returns the parameters of an operation and its path item,
// as "in name" → the parameter.
func oaParamSet(doc map[string]any, item any, op map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	pi, _ := item.(map[string]any)
	pathLevel, _ := pi["parameters"].([]any)
	opLevel, _ := op["parameters"].([]any)
	for _, p := range append(slices.Clone(pathLevel), opLevel...) {
		if pm := oaDeref(doc, p); pm != nil {
			out[fmt.Sprint(pm["in"])+" "+fmt.Sprint(pm["name"])] = pm
		}
	}
	return out
}

// TestOpenAPISecurity checks that exactly the clerk routes ask for the
// bearer token and document 401 and 403, and that the exchange services
// (authorised by the exchange, not a token) ask for the purpose headers.
func TestOpenAPISecurity(t *testing.T) {
	doc := oaLoadOpenAPI(t)
	ops := oaDocOperations(t, doc)
	for key, r := range oaCodeRoutes(t) {
		op, ok := ops[key]
		if !ok {
			continue // reported by TestOpenAPIDocumentsEveryRoute
		}
		_, secured := op["security"]
		if secured != r.clerk {
			t.Errorf("%s: security declared = %v, clerk route = %v", key, secured, r.clerk)
		}
		resp, _ := op["responses"].(map[string]any)
		for _, code := range []string{"401", "403"} {
			if _, ok := resp[code]; ok != r.clerk {
				t.Errorf("%s: documents %s = %v, clerk route = %v", key, code, ok, r.clerk)
			}
		}
	}
	paths, _ := doc["paths"].(map[string]any)
	for key := range oaServiceOps(t) {
		op, ok := ops[key]
		if !ok {
			continue // reported by TestOpenAPIDocumentsEveryService
		}
		if _, secured := op["security"]; secured {
			t.Errorf("%s: an exchange service declares security", key)
		}
		_, path, _ := strings.Cut(key, " ")
		params := oaParamSet(doc, paths[path], op)
		for _, h := range []string{xroad.HeaderClient, xroad.HeaderUserID, xroad.HeaderIssue} {
			p, ok := params["header "+h]
			if !ok {
				t.Errorf("%s: header %s is not declared", key, h)
				continue
			}
			if p["required"] != true {
				t.Errorf("%s: header %s is not required", key, h)
			}
		}
		resp, _ := op["responses"].(map[string]any)
		for _, code := range []string{"200", "400", "500"} {
			if _, ok := resp[code]; !ok {
				t.Errorf("%s: no %s response", key, code)
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

func oaSchemas(doc map[string]any) map[string]any {
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	return schemas
}

// TestOpenAPISchemasMatchTypes checks that each schema has the JSON fields
// of its Go type(s), and that the fields always written are the required
// ones.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := oaLoadOpenAPI(t)
	schemas := oaSchemas(doc)
	for _, c := range []struct {
		schema string
		typ    reflect.Type
	}{
		{"Person", reflect.TypeFor[population.Person]()},
		{"Address", reflect.TypeFor[population.Address]()},
		{"Address", reflect.TypeFor[enterprise.Address]()},
		{"PersonSummary", reflect.TypeFor[population.Summary]()},
		{"PersonVersion", reflect.TypeFor[population.Version]()},
		{"VerifyRequest", reflect.TypeFor[population.VerifyRequest]()},
		{"VerifyResult", reflect.TypeFor[population.VerifyResult]()},
		{"Household", reflect.TypeFor[population.Household]()},
		{"HouseholdMember", reflect.TypeFor[population.Member]()},
		{"Relations", reflect.TypeFor[population.Relations]()},
		{"AccessEntry", reflect.TypeFor[registry.Access]()},
		{"Change", reflect.TypeFor[registry.Change]()},
		{"Enterprise", reflect.TypeFor[enterprise.Enterprise]()},
		{"EnterpriseSummary", reflect.TypeFor[enterprise.Summary]()},
		{"Representation", reflect.TypeFor[enterprise.Representation]()},
		{"Parcel", reflect.TypeFor[land.Parcel]()},
		{"Holder", reflect.TypeFor[land.Holder]()},
		{"Mortgage", reflect.TypeFor[land.Mortgage]()},
		{"XRoadError", reflect.TypeFor[xroad.Error]()},
		{"Problem", reflect.TypeFor[web.Problem]()},
		{"FieldError", reflect.TypeFor[fault.FieldError]()},
	} {
		s, ok := schemas[c.schema].(map[string]any)
		if !ok {
			t.Errorf("components.schemas has no %s", c.schema)
			continue
		}
		props, required := oaSchemaFields(doc, s)
		fields := oaJSONFields(c.typ)
		for f, always := range fields {
			if !props[f] {
				t.Errorf("schema %s lacks property %q of %s", c.schema, f, c.typ)
			}
			if always != required[f] {
				t.Errorf("schema %s: %q required = %v, but %s always writes it = %v", c.schema, f, required[f], c.typ, always)
			}
		}
		for p := range props {
			if _, ok := fields[p]; !ok {
				t.Errorf("schema %s has property %q, which %s does not have", c.schema, p, c.typ)
			}
		}
	}
}

// TestOpenAPIInputSchemas checks that the request-body schemas name only
// fields the decoder accepts (it refuses unknown fields).
func TestOpenAPIInputSchemas(t *testing.T) {
	doc := oaLoadOpenAPI(t)
	schemas := oaSchemas(doc)
	for name, fields := range map[string]map[string]bool{
		"PersonInput": oaJSONFields(reflect.TypeFor[population.Person]()),
		// The body of the clerks' writes is the struct write in Routes.
		"PersonWrite": {"person": true, "version": true, "reason": true},
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
}

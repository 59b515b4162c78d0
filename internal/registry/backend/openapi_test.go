package backend

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/exchange/xroad"
	"github.com/vngov/vngov/internal/platform/apidoc"
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

// oaCodeRoutes returns the /registry/v1/ method routes that
// (*Component).Routes registers. The /registry/v1/ catch-all has no method
// and is left out, and so are the pages' routes.
func oaCodeRoutes(t *testing.T) map[string]apidoc.Route {
	t.Helper()
	out := map[string]apidoc.Route{}
	for key, r := range apidoc.Routes(t, apidoc.Func{File: "backend.go", Name: "Routes"}) {
		if strings.HasPrefix(r.Path, oaAPIPrefix) {
			out[key] = r
		}
	}
	if len(out) == 0 {
		t.Fatal("backend.go: found no /registry/v1/ routes in Routes")
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
				for _, m := range apidoc.Methods {
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
	apidoc.CheckVersion(t, apidoc.Load(t, oaDocFile), "Cơ sở dữ liệu quốc gia")
}

// TestOpenAPIDocumentsEveryRoute checks part 1 against backend.go and
// that the document has no paths outside its two parts.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	ops := apidoc.Operations(t, apidoc.Load(t, oaDocFile))
	routes := oaCodeRoutes(t)
	apidoc.CheckRoutesDocumented(t, oaDocFile, ops, routes)
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
	doc := apidoc.Load(t, oaDocFile)
	ops := apidoc.Operations(t, doc)
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
		if pm := apidoc.Deref(doc, p); pm != nil {
			out[fmt.Sprint(pm["in"])+" "+fmt.Sprint(pm["name"])] = pm
		}
	}
	return out
}

// TestOpenAPISecurity checks that exactly the clerk routes ask for the
// bearer token and document 401 and 403, and that the exchange services
// (authorised by the exchange, not a token) ask for the purpose headers.
func TestOpenAPISecurity(t *testing.T) {
	doc := apidoc.Load(t, oaDocFile)
	ops := apidoc.Operations(t, doc)
	apidoc.CheckSecurity(t, ops, oaCodeRoutes(t), "clerk", "clerk")
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

func TestOpenAPIRefsResolve(t *testing.T) {
	apidoc.CheckRefs(t, apidoc.Load(t, oaDocFile))
}

// TestOpenAPIPathParameters checks that every operation declares exactly
// the path parameters of its template.
func TestOpenAPIPathParameters(t *testing.T) {
	apidoc.CheckPathParameters(t, apidoc.Load(t, oaDocFile))
}

// TestOpenAPISchemasMatchTypes checks that each schema has the JSON fields
// of its Go type(s), and that the fields always written are the required
// ones.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := apidoc.Load(t, oaDocFile)
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
		apidoc.CheckSchemaMatchesType(t, doc, c.schema, c.typ)
	}
}

// TestOpenAPIInputSchemas checks that the request-body schemas name only
// fields the decoder accepts (it refuses unknown fields).
func TestOpenAPIInputSchemas(t *testing.T) {
	doc := apidoc.Load(t, oaDocFile)
	for name, fields := range map[string]map[string]bool{
		"PersonInput": apidoc.JSONFields(reflect.TypeFor[population.Person]()),
		// The body of the clerks' writes is the struct write in Routes.
		"PersonWrite": {"person": true, "version": true, "reason": true},
	} {
		apidoc.CheckInputSchema(t, doc, name, fields)
	}
}

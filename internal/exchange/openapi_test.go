package exchange

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/exchange/xroad"
	"github.com/vngov/vngov/internal/platform/apidoc"
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

// oaRouteFuncs are the functions whose registrations the document covers.
var oaRouteFuncs = []apidoc.Func{
	{File: "hub.go", Name: "Routes"},
	{File: "admin.go", Name: "adminRoutes"},
}

// oaAdminWrappers are the handler wrappers that require the exchange-admin
// role.
var oaAdminWrappers = []string{"adminJSON", "admin"}

// oaCodeRoutes returns the method routes registered in oaRouteFuncs.
// Patterns built in a loop over a literal list, such as
// "POST /exchange/v1/access/"+op for op in {"grant", "revoke"}, are
// expanded. Method-less patterns (the /hub/v1/ catch-all) are left out.
func oaCodeRoutes(t *testing.T) map[string]apidoc.Route {
	t.Helper()
	return apidoc.Routes(t, oaRouteFuncs...)
}

// oaAdmin reports whether r's handler is wrapped in an admin wrapper.
func oaAdmin(r apidoc.Route) bool { return slices.Contains(oaAdminWrappers, r.Wrapper) }

func TestOpenAPIVersion(t *testing.T) {
	apidoc.CheckVersion(t, apidoc.Load(t, oaDocFile), "Nền tảng tích hợp, chia sẻ dữ liệu")
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
	if r := routes["post /exchange/v1/access/grant"]; !oaAdmin(r) {
		t.Error("POST /exchange/v1/access/grant is not seen as an admin route")
	}
	if r := routes["post /hub/v1/timestamp"]; oaAdmin(r) {
		t.Error("POST /hub/v1/timestamp is seen as an admin route")
	}
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	ops := apidoc.Operations(t, apidoc.Load(t, oaDocFile))
	routes := oaCodeRoutes(t)
	apidoc.CheckRoutesDocumented(t, oaDocFile, ops, routes)
	apidoc.CheckOperationsRegistered(t, oaDocFile, ops, routes)
}

// TestOpenAPISecurity checks that exactly the routes wrapped in adminJSON
// or admin ask for the bearer token and document 401 and 403.
func TestOpenAPISecurity(t *testing.T) {
	ops := apidoc.Operations(t, apidoc.Load(t, oaDocFile))
	apidoc.CheckSecurity(t, ops, oaCodeRoutes(t), "admin", oaAdminWrappers...)
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
// of its Go type, and that the fields always written are the required ones.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := apidoc.Load(t, oaDocFile)
	for name, typ := range map[string]reflect.Type{
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
	} {
		apidoc.CheckSchemaMatchesType(t, doc, name, typ)
	}
}

// TestOpenAPIInputSchemas checks that the request-body schemas name only
// fields the decoder accepts (it refuses unknown fields).
func TestOpenAPIInputSchemas(t *testing.T) {
	doc := apidoc.Load(t, oaDocFile)
	schemas := apidoc.Schemas(doc)
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
		"ServiceInput":       apidoc.JSONFields(reflect.TypeFor[serviceInput]()),
		"AccessInput":        apidoc.JSONFields(reflect.TypeFor[Access]()),
		"GatewayInput":       apidoc.JSONFields(reflect.TypeFor[GatewayRecord]()),
		"TimestampRequest":   named("digest"),
		"CertificateRequest": named("csr"),
	} {
		apidoc.CheckInputSchema(t, doc, name, fields)
	}
	// AccessInput's endpoint is an Endpoint.
	if s, ok := schemas["AccessInput"].(map[string]any); ok {
		ps, _ := s["properties"].(map[string]any)
		ep, _ := ps["endpoint"].(map[string]any)
		props, _ := apidoc.SchemaFields(doc, ep)
		fields := apidoc.JSONFields(reflect.TypeFor[Endpoint]())
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
				if s, ok := apidoc.Strings(vs.Values[i], nil); ok && len(s) == 1 {
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
	doc := apidoc.Load(t, oaDocFile)
	want := oaErrorTypes(t)
	s := apidoc.Deref(doc, apidoc.Schemas(doc)["XRoadError"])
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
	desc := oaDescription(apidoc.Load(t, oaDocFile))
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

package catalog

import (
	"reflect"
	"testing"

	"github.com/vngov/vngov/internal/platform/apidoc"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

// The API's description, kept honest by these tests: every route that
// (*API).Routes registers is documented, nothing else is, and the schemas
// have the JSON fields of the Go types they describe.
const oaDocFile = "../../docs/api/catalog.openapi.yaml"

// oaCodeRoutes returns the method routes that (*API).Routes registers.
// Method-less patterns, the /catalog/v1/ catch-all, are left out.
func oaCodeRoutes(t *testing.T) map[string]apidoc.Route {
	t.Helper()
	return apidoc.Routes(t, apidoc.Func{File: "api.go", Name: "Routes"})
}

func TestOpenAPIVersion(t *testing.T) {
	apidoc.CheckVersion(t, apidoc.Load(t, oaDocFile), "danh mục điện tử dùng chung")
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	ops := apidoc.Operations(t, apidoc.Load(t, oaDocFile))
	routes := oaCodeRoutes(t)
	apidoc.CheckRoutesDocumented(t, oaDocFile, ops, routes)
	apidoc.CheckOperationsRegistered(t, oaDocFile, ops, routes)
}

// TestOpenAPISecurity checks that exactly the routes wrapped in a.admin
// ask for the bearer token and document 401 and 403.
func TestOpenAPISecurity(t *testing.T) {
	ops := apidoc.Operations(t, apidoc.Load(t, oaDocFile))
	apidoc.CheckSecurity(t, ops, oaCodeRoutes(t), "admin", "admin")
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
	} {
		apidoc.CheckSchemaMatchesType(t, doc, name, typ)
	}
}

// TestOpenAPIInputSchemas checks that the request-body schemas name only
// fields the decoder accepts (it refuses unknown fields).
func TestOpenAPIInputSchemas(t *testing.T) {
	doc := apidoc.Load(t, oaDocFile)
	schemas := apidoc.Schemas(doc)
	for name, typ := range map[string]reflect.Type{
		"ListInput": reflect.TypeFor[List](),
		"ItemInput": reflect.TypeFor[Item](),
	} {
		s, ok := schemas[name].(map[string]any)
		if !ok {
			t.Errorf("components.schemas has no %s", name)
			continue
		}
		props, _ := apidoc.SchemaFields(doc, s)
		fields := apidoc.JSONFields(typ)
		for p := range props {
			if _, ok := fields[p]; !ok {
				t.Errorf("schema %s has property %q, which %s does not have", name, p, typ)
			}
		}
	}
}

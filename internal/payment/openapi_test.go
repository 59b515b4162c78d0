package payment

import (
	"reflect"
	"testing"

	"github.com/vngov/vngov/internal/platform/apidoc"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

// The API's description, kept honest: every route Routes registers is
// documented and nothing else is, exactly the admin routes ask for the
// bearer token, and the schemas have the JSON fields of the Go types.
const oaDocFile = "../../docs/api/payment.openapi.yaml"

func oaRoutes(t *testing.T) map[string]apidoc.Route {
	t.Helper()
	return apidoc.Routes(t, apidoc.Func{File: "api.go", Name: "Routes"})
}

func TestOpenAPIVersion(t *testing.T) {
	apidoc.CheckVersion(t, apidoc.Load(t, oaDocFile), "payment adapter")
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	ops := apidoc.Operations(t, apidoc.Load(t, oaDocFile))
	routes := oaRoutes(t)
	apidoc.CheckRoutesDocumented(t, oaDocFile, ops, routes)
	apidoc.CheckOperationsRegistered(t, oaDocFile, ops, routes)
}

// TestOpenAPISecurity: the routes wrapped in c.admin declare the bearer
// token and document 401; the providers' callback declares no token.
func TestOpenAPISecurity(t *testing.T) {
	ops := apidoc.Operations(t, apidoc.Load(t, oaDocFile))
	for key, r := range oaRoutes(t) {
		op, ok := ops[key]
		if !ok {
			continue
		}
		_, secured := op["security"]
		resp, _ := op["responses"].(map[string]any)
		_, has401 := resp["401"]
		if guarded := r.Wrapper == "admin"; secured != guarded || (guarded && !has401) {
			t.Errorf("%s: security declared = %v, 401 = %v, admin route = %v", key, secured, has401, guarded)
		}
	}
}

func TestOpenAPIRefsAndParameters(t *testing.T) {
	doc := apidoc.Load(t, oaDocFile)
	apidoc.CheckRefs(t, doc)
	apidoc.CheckPathParameters(t, doc)
}

func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := apidoc.Load(t, oaDocFile)
	for name, typ := range map[string]reflect.Type{
		"Request":        reflect.TypeFor[Request](),
		"Payment":        reflect.TypeFor[Payment](),
		"Receipt":        reflect.TypeFor[Receipt](),
		"RefundRequest":  reflect.TypeFor[RefundRequest](),
		"CallbackAnswer": reflect.TypeFor[CallbackAnswer](),
		"DemoNotice":     reflect.TypeFor[demoNotice](),
		"EventData":      reflect.TypeFor[EventData](),
		"Report":         reflect.TypeFor[Report](),
		"ReconRow":       reflect.TypeFor[ReconRow](),
		"Totals":         reflect.TypeFor[Totals](),
		"Problem":        reflect.TypeFor[web.Problem](),
		"FieldError":     reflect.TypeFor[fault.FieldError](),
	} {
		apidoc.CheckSchemaMatchesType(t, doc, name, typ)
	}
}

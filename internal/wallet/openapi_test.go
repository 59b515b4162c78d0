package wallet

import (
	"reflect"
	"testing"

	"github.com/vngov/vngov/internal/platform/apidoc"
)

// The API's description is kept honest: every route Routes registers is
// documented and nothing else is, the schemas have exactly the JSON
// fields of the Go types they describe, and every route, all the holder's,
// documents the 401 of a request without a holder.
func TestOpenAPI(t *testing.T) {
	const file = "../../docs/api/wallet.openapi.yaml"
	doc := apidoc.Load(t, file)
	apidoc.CheckVersion(t, doc, "data wallet")
	routes := apidoc.Routes(t, apidoc.Func{File: "component.go", Name: "Routes"})
	ops := apidoc.Operations(t, doc)
	apidoc.CheckRoutesDocumented(t, file, ops, routes)
	apidoc.CheckOperationsRegistered(t, file, ops, routes)
	apidoc.CheckRefs(t, doc)
	apidoc.CheckPathParameters(t, doc)
	for name, typ := range map[string]reflect.Type{
		"Item": reflect.TypeOf(Item{}), "Consent": reflect.TypeOf(Consent{}), "ServiceConsent": reflect.TypeOf(ServiceConsent{}),
		"Access": reflect.TypeOf(Access{}), "AccessPage": reflect.TypeOf(AccessPage{}),
	} {
		apidoc.CheckSchemaMatchesType(t, doc, name, typ)
	}
	apidoc.CheckInputSchema(t, doc, "GrantRequest", apidoc.JSONFields(reflect.TypeOf(GrantRequest{})))
	if _, ok := doc["security"]; !ok {
		t.Error("the document declares no security")
	}
	for key, r := range routes {
		if r.Wrapper != "api" {
			t.Errorf("%s is not wrapped in api (the holder's check)", key)
		}
		resp, _ := ops[key]["responses"].(map[string]any)
		if _, ok := resp["401"]; !ok {
			t.Errorf("%s documents no 401", key)
		}
	}
}

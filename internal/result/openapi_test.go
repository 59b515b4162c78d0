package result

import (
	"reflect"
	"testing"

	"github.com/vngov/vngov/internal/platform/apidoc"
)

// The API's description is kept honest: every route Routes registers is
// documented and nothing else is, and the schemas have exactly the JSON
// fields of the Go types they describe.
func TestOpenAPI(t *testing.T) {
	const file = "../../docs/api/result.openapi.yaml"
	doc := apidoc.Load(t, file)
	apidoc.CheckVersion(t, doc, "electronic results")
	routes := apidoc.Routes(t, apidoc.Func{File: "component.go", Name: "Routes"})
	ops := apidoc.Operations(t, doc)
	apidoc.CheckRoutesDocumented(t, file, ops, routes)
	apidoc.CheckOperationsRegistered(t, file, ops, routes)
	apidoc.CheckRefs(t, doc)
	apidoc.CheckPathParameters(t, doc)
	for name, typ := range map[string]reflect.Type{
		"Document": reflect.TypeOf(Document{}), "Verification": reflect.TypeOf(Verification{}), "Signer": reflect.TypeOf(Signer{}), "Field": reflect.TypeOf(Field{}),
	} {
		apidoc.CheckSchemaMatchesType(t, doc, name, typ)
	}
	apidoc.CheckInputSchema(t, doc, "RevokeRequest", apidoc.JSONFields(reflect.TypeOf(RevokeRequest{})))
	// The holder's and the administrators' routes declare their security.
	for key, op := range ops {
		_, secured := op["security"]
		public := op["tags"].([]any)[0] == "public"
		if secured == public {
			t.Errorf("%s: security declared = %v, public = %v", key, secured, public)
		}
	}
}

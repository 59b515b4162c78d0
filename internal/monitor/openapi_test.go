package monitor

import (
	"reflect"
	"testing"

	"github.com/vngov/vngov/internal/platform/apidoc"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

// The API's description, kept honest by these tests: every route that
// (*API).Routes and PublicRoutes register is documented, nothing else is,
// the admin routes and only they ask for the token, and the schemas have
// the JSON fields of the Go types they describe.
const oaDocFile = "../../docs/api/monitor.openapi.yaml"

func oaCodeRoutes(t *testing.T) map[string]apidoc.Route {
	t.Helper()
	return apidoc.Routes(t, apidoc.Func{File: "api.go", Name: "Routes"}, apidoc.Func{File: "api.go", Name: "PublicRoutes"})
}

func TestOpenAPIVersion(t *testing.T) {
	apidoc.CheckVersion(t, apidoc.Load(t, oaDocFile), "Chỉ số 766")
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	ops := apidoc.Operations(t, apidoc.Load(t, oaDocFile))
	routes := oaCodeRoutes(t)
	apidoc.CheckRoutesDocumented(t, oaDocFile, ops, routes)
	apidoc.CheckOperationsRegistered(t, oaDocFile, ops, routes)
}

func TestOpenAPISecurity(t *testing.T) {
	ops := apidoc.Operations(t, apidoc.Load(t, oaDocFile))
	apidoc.CheckSecurity(t, ops, oaCodeRoutes(t), "admin", "admin")
}

func TestOpenAPIRefsResolve(t *testing.T) {
	apidoc.CheckRefs(t, apidoc.Load(t, oaDocFile))
}

func TestOpenAPIPathParameters(t *testing.T) {
	apidoc.CheckPathParameters(t, apidoc.Load(t, oaDocFile))
}

func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := apidoc.Load(t, oaDocFile)
	for name, typ := range map[string]reflect.Type{
		"Period":         reflect.TypeFor[Period](),
		"Index":          reflect.TypeFor[Index](),
		"GroupScore":     reflect.TypeFor[GroupScore](),
		"Score":          reflect.TypeFor[Score](),
		"Facts":          reflect.TypeFor[Facts](),
		"Ranking":        reflect.TypeFor[Ranking](),
		"EMC":            reflect.TypeFor[EMC](),
		"AgencyServices": reflect.TypeFor[AgencyServices](),
		"PageVisits":     reflect.TypeFor[PageVisits](),
		"ServiceCalls":   reflect.TypeFor[ServiceCalls](),
		"ServiceCount":   reflect.TypeFor[ServiceCount](),
		"OverduePage":    reflect.TypeFor[OverduePage](),
		"Overdue":        reflect.TypeFor[Overdue](),
		"Problem":        reflect.TypeFor[web.Problem](),
		"FieldError":     reflect.TypeFor[fault.FieldError](),
	} {
		apidoc.CheckSchemaMatchesType(t, doc, name, typ)
	}
}

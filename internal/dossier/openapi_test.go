package dossier

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/vngov/vngov/internal/platform/apidoc"
)

// The API's description is kept honest: every route Routes registers is
// documented and nothing else is, and the schemas have exactly the JSON
// fields of the Go types they describe.

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	doc := apidoc.Load(t, "../../docs/api/dossier.openapi.yaml")
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi version %v", doc["openapi"])
	}
	return doc
}

func TestOpenAPIRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	code := map[string]bool{}
	for key := range apidoc.Routes(t, apidoc.Func{File: "api.go", Name: "Routes"}) {
		code[key] = true
	}
	documented := map[string]bool{}
	for path, ops := range doc["paths"].(map[string]any) {
		for method := range ops.(map[string]any) {
			documented[method+" "+path] = true
		}
	}
	for r := range code {
		if !documented[r] {
			t.Errorf("route %s is not in openapi.yaml", r)
		}
	}
	for r := range documented {
		if !code[r] {
			t.Errorf("openapi.yaml documents %s, which Routes does not register", r)
		}
	}
}

func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func TestOpenAPISchemas(t *testing.T) {
	schemas := loadOpenAPI(t)["components"].(map[string]any)["schemas"].(map[string]any)
	for name, typ := range map[string]reflect.Type{
		"Dossier": reflect.TypeOf(Dossier{}), "Summary": reflect.TypeOf(Summary{}), "HistoryEntry": reflect.TypeOf(HistoryEntry{}),
		"Document": reflect.TypeOf(Document{}), "Fee": reflect.TypeOf(Fee{}), "Result": reflect.TypeOf(Result{}), "Applicant": reflect.TypeOf(Applicant{}),
		"PublicStatus": reflect.TypeOf(PublicStatus{}), "Apology": reflect.TypeOf(Apology{}), "InboxPage": reflect.TypeOf(InboxPage{}),
		"HoSoDongBoDVC": reflect.TypeOf(HoSoDongBoDVC{}), "CreateRequest": reflect.TypeOf(CreateRequest{}), "ActionRequest": reflect.TypeOf(ActionRequest{}),
		"DocumentRef": reflect.TypeOf(DocumentRef{}),
	} {
		s, ok := schemas[name].(map[string]any)
		if !ok {
			t.Errorf("no schema %s", name)
			continue
		}
		var props []string
		for p := range s["properties"].(map[string]any) {
			props = append(props, p)
		}
		sort.Strings(props)
		if want := jsonFields(typ); !reflect.DeepEqual(props, want) {
			t.Errorf("schema %s has %v, the Go type %v", name, props, want)
		}
	}
}

package dossier

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/exchange/xroad"
	"github.com/vngov/vngov/internal/platform/fault"
)

// TestExchangePrefiller runs it against a stand-in for the agency's gateway.
func TestExchangePrefiller(t *testing.T) {
	var gotPath, gotUser, gotIssue string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotUser, gotIssue = r.URL.Path, r.Header.Get(xroad.HeaderUserID), r.Header.Get(xroad.HeaderIssue)
		switch {
		case strings.HasSuffix(r.URL.Path, "/person/"+citizen):
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id":"` + citizen + `","full_name":"Nguyễn Văn Bình","permanent_residence":{"commune":"00004"}}`))
		case strings.HasSuffix(r.URL.Path, "/person/001099999999"):
			http.Error(w, `{"code":"person.not_found"}`, http.StatusNotFound)
		default:
			w.Header().Set(xroad.HeaderError, "Server.ServerProxy.AccessDenied")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"type":"Server.ServerProxy.AccessDenied","message":"access denied"}`))
		}
	}))
	defer gw.Close()
	ep := ExchangePrefiller{Client: &exchange.Client{Gateway: gw.URL, As: "VN-DEMO/GOV/000.00.92.H26/MOTCUA"}, Service: "VN-DEMO/GOV/000.00.00.G91/CSDLQGDC/nguoi-dan"}
	rec, err := ep.Person(t.Context(), citizen, Purpose{Official: "tiepnhan01", Issue: "Tiếp nhận hồ sơ trực tiếp: 1.001612"})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := recordValue(rec, "population.permanent_residence.commune"); v != "00004" || rec["full_name"] != "Nguyễn Văn Bình" {
		t.Fatalf("record: %v", rec)
	}
	if !strings.HasSuffix(gotPath, "/CSDLQGDC/nguoi-dan/person/"+citizen) || gotUser != "tiepnhan01" || gotIssue == "" {
		t.Fatalf("call: %q %q %q", gotPath, gotUser, gotIssue)
	}
	_, err = ep.Person(t.Context(), "001099999999", Purpose{Official: "tiepnhan01"})
	if f := fault.As(err); f == nil || f.Kind != fault.NotFound || !strings.Contains(f.Message, "Không tìm thấy công dân") {
		t.Fatalf("not found: %v", err)
	}
	_, err = ep.Person(t.Context(), "001011111111", Purpose{Official: "tiepnhan01"})
	if f := fault.As(err); f == nil || !strings.Contains(f.Message, "từ chối") {
		t.Fatalf("refused: %v", err)
	}
}

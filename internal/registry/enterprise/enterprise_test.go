package enterprise_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vngov/vngov/internal/catalog"
	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/platform/vnid"
	"github.com/vngov/vngov/internal/registry"
	"github.com/vngov/vngov/internal/registry/enterprise"
)

func setup(t *testing.T, db *store.DB) (*enterprise.Service, *catalog.Service) {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, "bus", bus.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "audit", audit.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "catalog", catalog.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "registry", registry.Migrations()); err != nil {
		t.Fatal(err)
	}
	cat := catalog.New(db, nil)
	if err := cat.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	return enterprise.New(db, registry.CatalogCodes{Catalog: cat}), cat
}

var clerk = audit.Actor{Subject: "clerk-1", SourceIP: "127.0.0.1"}

var purpose = registry.Purpose{Client: "VN-TEST/GOV/000.00.00.H26/MOTCUA", UserID: "VN001080000099", Issue: "000.00.92.H26-261123-0001", Service: enterprise.ServiceEnterprise}

// taxCode returns a valid 10-digit tax code starting with first9.
func taxCode(t *testing.T, first9 string) string {
	t.Helper()
	tc, err := vnid.NewTaxCode(first9, 0)
	if err != nil {
		t.Fatal(err)
	}
	return tc.String()
}

const (
	rep    = "001060012345" // Hà Nội, male, born 1960
	member = "079185000123" // TP. Hồ Chí Minh, female, born 1985
	other  = "001090000777"
)

func anPhat(t *testing.T) enterprise.Enterprise {
	code := taxCode(t, "010010910")
	return enterprise.Enterprise{Code: code, Name: "Công ty TNHH Thương mại An Phát", NameEn: "An Phat Trading Company Limited", ShortName: "AN PHAT CO., LTD",
		Type: enterprise.TypeMultiMemberLLC, RegisteredOn: "2015-04-01", Status: enterprise.StatusActive,
		HeadOffice: enterprise.Address{Commune: "00004", Street: "Số 12 phố Quán Thánh"}, CharterCapital: 5_000_000_000,
		Representatives: []string{rep}, Members: []string{rep, member}, BusinessLines: []string{"4669", "4610"}, Branches: []string{code + "001"}}
}

func hasAccess(t *testing.T, db *store.DB, subject, service string) bool {
	t.Helper()
	log, err := registry.AccessLog(context.Background(), db, subject, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range log {
		if a.Registry == enterprise.Name && a.Service == service && a.Issue == purpose.Issue && a.UserID == purpose.UserID {
			return true
		}
	}
	return false
}

func TestCreateReadSearchUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := setup(t, db)
		a, err := s.Create(ctx, clerk, anPhat(t), "Đăng ký thành lập")
		if err != nil {
			t.Fatal(err)
		}
		if a.Version != 1 || a.Branches[0] != a.Code+"-001" {
			t.Fatalf("created: %+v", a)
		}
		b := enterprise.Enterprise{Code: taxCode(t, "030012345"), Name: "Công ty Cổ phần Bình Minh", Type: enterprise.TypeJointStock, RegisteredOn: "2020-01-15",
			HeadOffice: enterprise.Address{Commune: "00008", Street: "Số 5 phố Hàng Bông"}, CharterCapital: 10_000_000_000,
			Representatives: []string{other}, BusinessLines: []string{"6201"}}
		if _, err := s.Create(ctx, clerk, b, "Đăng ký thành lập"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Create(ctx, clerk, anPhat(t), ""); fieldOf(err, "code") != "code.duplicate" {
			t.Fatalf("duplicate: %v", err)
		}
		if n, _ := s.Count(ctx); n != 2 {
			t.Fatalf("count %d", n)
		}

		// A read logs an access for every personal ID it discloses.
		got, err := s.Get(ctx, a.Code, purpose)
		if err != nil || got.Name != a.Name || got.Version != 1 || len(got.Members) != 2 {
			t.Fatalf("get: %+v %v", got, err)
		}
		if !hasAccess(t, db, rep, enterprise.ServiceEnterprise) || !hasAccess(t, db, member, enterprise.ServiceEnterprise) {
			t.Fatal("the read is not in the representative's and member's access logs")
		}
		rp := purpose
		rp.Service = enterprise.ServiceRepresentatives
		r, err := s.Representatives(ctx, a.Code, rp)
		if err != nil || len(r.Representatives) != 1 || r.Representatives[0] != rep {
			t.Fatalf("representatives: %+v %v", r, err)
		}
		if !hasAccess(t, db, rep, enterprise.ServiceRepresentatives) || hasAccess(t, db, member, enterprise.ServiceRepresentatives) {
			t.Fatal("representatives read: logged against the wrong people")
		}
		if _, err := s.Get(ctx, a.Code, registry.Purpose{Client: purpose.Client}); !fault.Is(err, fault.BadRequest) {
			t.Fatalf("a read without official and purpose: %v", err)
		}
		if _, err := s.Get(ctx, "0100000000", purpose); !fault.Is(err, fault.NotFound) {
			t.Fatalf("unknown: %v", err)
		}

		// Search: code, branch code, name prefix, words, legal form only.
		for q, want := range map[string][]string{
			a.Code:                     {a.Code},
			a.Code + "-001":            {a.Code},
			"cong ty tnhh thuong mai":  {a.Code},
			"an phat":                  {a.Code},
			"AN PHÁT":                  {a.Code},
			"phat thuong":              {a.Code},
			"trading":                  {a.Code},
			"Bình":                     {b.Code},
			"công ty":                  {b.Code, a.Code}, // by name: "cong ty co phan" < "cong ty tnhh"
			"xyz":                      {},
			"cong ty co phan binh min": {b.Code},
		} {
			hits, total, err := s.Search(ctx, q, 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, h := range hits {
				codes = append(codes, h.Code)
			}
			if strings.Join(codes, ",") != strings.Join(want, ",") || total != len(want) {
				t.Errorf("search %q: %v (total %d), want %v", q, codes, total, want)
			}
		}

		// Two clerks edit version 1; the second is refused, nothing lost.
		x, y := got, got
		x.Status = enterprise.StatusSuspended
		y.CharterCapital = 9_000_000_000
		if _, err := s.Update(ctx, clerk, x, 1, "Tạm ngừng kinh doanh"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Update(ctx, clerk, y, 1, "Tăng vốn"); !fault.Is(err, fault.Conflict) {
			t.Fatalf("concurrent edit: %v", err)
		}
		x.Status, x.Representatives = enterprise.StatusActive, []string{member}
		x.Name = "Công ty TNHH Thương mại Dịch vụ An Phát"
		if _, err := s.Update(ctx, clerk, x, 2, "Thay đổi người đại diện"); err != nil {
			t.Fatal(err)
		}
		hist, err := s.History(ctx, a.Code)
		if err != nil || len(hist) != 3 || hist[1].Enterprise.Status != enterprise.StatusSuspended || hist[2].Enterprise.CharterCapital != 5_000_000_000 || hist[1].Reason != "Tạm ngừng kinh doanh" {
			t.Fatalf("history: %+v %v", hist, err)
		}
		chs, _ := registry.Changes(ctx, db, enterprise.Name, 0, nil, 10)
		if len(chs) != 4 || chs[2].Kind != "status-changed" || chs[3].Kind != "status-changed" || chs[2].Fields[0] != "status" {
			t.Fatalf("changes: %+v", chs)
		}
		// The indexes follow the current version.
		if hits, _, _ := s.Search(ctx, "dich vu an", 10, 0); len(hits) != 1 || hits[0].Version != 3 {
			t.Fatalf("search after update: %+v", hits)
		}
		mine, err := s.OfPerson(ctx, rep, purpose)
		if err != nil || len(mine) != 1 || mine[0].Code != a.Code {
			t.Fatalf("of person: %+v %v", mine, err)
		}
		if mine, _ := s.OfPerson(ctx, other, purpose); len(mine) != 1 || mine[0].Code != b.Code {
			t.Fatalf("of person: %+v", mine)
		}
		cur, err := s.Lookup(ctx, clerk, a.Code)
		if err != nil || cur.Representatives[0] != member || cur.Version != 3 {
			t.Fatalf("lookup: %+v %v", cur, err)
		}
		report, _ := audit.Verify(ctx, db)
		if !report.OK {
			t.Fatalf("audit: %+v", report)
		}
	})
}

// fieldOf returns the code of the first field error on field.
func fieldOf(err error, field string) string {
	if f := fault.As(err); f != nil {
		for _, fe := range f.Fields {
			if fe.Field == field {
				return fe.Code
			}
		}
	}
	return ""
}

func TestValidationOneMessagePerField(t *testing.T) {
	ctx := context.Background()
	s, cat := setup(t, storetest.OpenSQLite(t))
	good := anPhat(t)
	bad := enterprise.Enterprise{Code: good.Code[:9] + string('0'+(good.Code[9]-'0'+1)%10), Name: " ", Type: "llc", Status: "closed", RegisteredOn: "2099-01-01",
		HeadOffice: enterprise.Address{Commune: "99999"}, CharterCapital: -1, Members: []string{"12345", rep, rep},
		BusinessLines: []string{"12"}, Branches: []string{taxCode(t, "030012345") + "-001"}}
	_, err := s.Create(ctx, clerk, bad, "")
	f := fault.As(err)
	if f == nil || f.Kind != fault.Invalid {
		t.Fatalf("%v", err)
	}
	seen := map[string]string{}
	for _, e := range f.Fields {
		if _, dup := seen[e.Field]; dup {
			t.Errorf("two messages for %s", e.Field)
		}
		seen[e.Field] = e.Message
		if e.Message == "" || e.Detail == "" {
			t.Errorf("%s: message or detail missing", e.Field)
		}
	}
	for _, want := range []string{"code", "name", "type", "status", "registered_on", "head_office.commune", "head_office.street", "charter_capital",
		"representatives", "members[0]", "members[2]", "business_lines[0]"} {
		if _, ok := seen[want]; !ok {
			t.Errorf("no error for %s (got %v)", want, f.Fields)
		}
	}
	if seen["code"] != "Mã số thuế sai chữ số kiểm tra" {
		t.Errorf("code: %q", seen["code"])
	}
	if seen["registered_on"] != "Ngày đăng ký thành lập không được sau ngày hôm nay" {
		t.Errorf("registered_on: %q", seen["registered_on"])
	}

	// A branch code as the enterprise code; a representative's bad ID.
	e := anPhat(t)
	e.Code, e.Representatives = e.Code+"-002", []string{"999060012345"}
	_, err = s.Create(ctx, clerk, e, "")
	if fieldOf(err, "code") != "code.branch" || fieldOf(err, "representatives[0]") != "personal_id.province" {
		t.Fatalf("%v", fault.As(err).Fields)
	}

	// Without a VSIC catalog, any 4-digit code is accepted; once the
	// catalog has the list, the code must be in it.
	e = anPhat(t)
	e.BusinessLines = []string{"4669", "9999"}
	if _, err := s.Create(ctx, clerk, e, ""); err != nil {
		t.Fatal(err)
	}
	admin := audit.Actor{Subject: "admin"}
	if _, err := cat.CreateList(ctx, admin, catalog.List{Code: "vsic", Name: "Hệ thống ngành kinh tế Việt Nam", Owner: "000.00.00.G12"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.StageItem(ctx, admin, "vsic", catalog.Item{Code: "4669", Name: "Bán buôn chuyên doanh khác chưa được phân vào đâu"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Publish(ctx, admin, "vsic", ""); err != nil {
		t.Fatal(err)
	}
	e = anPhat(t)
	e.Code, e.BusinessLines = taxCode(t, "030012345"), []string{"4669", "9999"}
	e.Branches = nil
	_, err = s.Create(ctx, clerk, e, "")
	if fe := fault.As(err); fe == nil || len(fe.Fields) != 1 || fe.Fields[0].Code != "business_lines.unknown" || fe.Fields[0].Field != "business_lines[1]" {
		t.Fatalf("vsic: %v", err)
	}
}

func get(t *testing.T, url string, headers bool) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if headers {
		req.Header.Set("X-Road-Client", purpose.Client)
		req.Header.Set("X-Road-UserId", purpose.UserID)
		req.Header.Set("X-Road-Issue", purpose.Issue)
		req.Header.Set("X-Road-Id", "msg-1")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s: %d without a problem document", url, res.StatusCode)
	}
	return res.StatusCode, body
}

func TestAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := setup(t, db)
		a, err := s.Create(ctx, clerk, anPhat(t), "Đăng ký thành lập")
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		enterprise.NewAPI(s).Routes(mux, "/enterprise")
		srv := httptest.NewServer(mux)
		defer srv.Close()
		base := srv.URL + "/enterprise/"

		code, body := get(t, base+"doanh-nghiep/enterprise/"+a.Code, false)
		if code != 400 || body["code"] != "registry.purpose_missing" || len(body["errors"].([]any)) != 3 {
			t.Fatalf("no purpose: %d %v", code, body)
		}
		code, body = get(t, base+"doanh-nghiep/enterprise/"+a.Code, true)
		if code != 200 || body["name"] != a.Name || body["version"] != float64(1) {
			t.Fatalf("enterprise: %d %v", code, body)
		}
		if !hasAccess(t, db, rep, enterprise.ServiceEnterprise) || !hasAccess(t, db, member, enterprise.ServiceEnterprise) {
			t.Fatal("no access logged")
		}
		if code, _ := get(t, base+"doanh-nghiep/enterprise/0100000000", true); code != 404 {
			t.Fatalf("unknown enterprise: %d", code)
		}
		code, body = get(t, base+"nguoi-dai-dien/enterprise/"+a.Code+"/representatives", true)
		if code != 200 || len(body["representatives"].([]any)) != 1 {
			t.Fatalf("representatives: %d %v", code, body)
		}
		if code, _ := get(t, base+"nguoi-dai-dien/enterprise/"+a.Code+"/representatives", false); code != 400 {
			t.Fatalf("representatives without purpose: %d", code)
		}
		code, body = get(t, base+"tim-doanh-nghiep/enterprises?name=an+phat&limit=5", true)
		if code != 200 || body["total"] != float64(1) {
			t.Fatalf("search: %d %v", code, body)
		}
		if code, _ := get(t, base+"tim-doanh-nghiep/enterprises?name=an+phat", false); code != 400 {
			t.Fatalf("search without purpose: %d", code)
		}
		if code, _ := get(t, base+"tim-doanh-nghiep/enterprises", true); code != 422 {
			t.Fatalf("search without name: %d", code)
		}
		code, body = get(t, base+"bien-dong-doanh-nghiep/changes?after=0", true)
		if code != 200 || len(body["changes"].([]any)) != 1 {
			t.Fatalf("changes: %d %v", code, body)
		}
		// One service's right does not reach another's paths.
		for _, p := range []string{"doanh-nghiep/enterprise/" + a.Code + "/representatives", "nguoi-dai-dien/enterprise/" + a.Code, "tim-doanh-nghiep/enterprise/" + a.Code, "nope"} {
			if code, body := get(t, base+p, true); code != 404 || body["code"] != "route.not_found" {
				t.Errorf("%s: %d %v", p, code, body)
			}
		}
	})
}

func TestOpenAPIDescribesEveryService(t *testing.T) {
	paths := map[string]string{enterprise.ServiceEnterprise: "/enterprise/{code}", enterprise.ServiceSearch: "/enterprises",
		enterprise.ServiceRepresentatives: "/enterprise/{code}/representatives", enterprise.ServiceChanges: "/changes"}
	for _, s := range enterprise.Services() {
		doc := enterprise.OpenAPI(s)
		title, eps, err := exchange.ParseOpenAPI(doc)
		if err != nil || title == "" || len(eps) != 1 || eps[0].Method != "GET" || eps[0].Path != paths[s] {
			t.Fatalf("%s: %q %v %v\n%s", s, title, eps, err, doc)
		}
	}
	if enterprise.OpenAPI("nope") != "" {
		t.Fatal("unknown service described")
	}
}

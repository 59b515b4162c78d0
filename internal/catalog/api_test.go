package catalog

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/platform/web"
)

const testToken = "test-admin-token"

func newServer(t *testing.T, db *store.DB) (*httptest.Server, *Service) {
	t.Helper()
	svc := newService(t, db)
	mux := http.NewServeMux()
	NewAPI(svc, authn.NewStaticToken(testToken, "admin-token", authn.RoleCatalogAdmin)).Routes(mux)
	pages, err := NewPages(svc)
	if err != nil {
		t.Fatal(err)
	}
	pages.Routes(mux)
	srv := httptest.NewServer(web.Wrap(mux, web.Options{Component: "catalog", CrossOrigin: true}))
	t.Cleanup(srv.Close)
	return srv, svc
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not JSON (%d): %s", r.status, r.body)
	}
	return m
}

func do(t *testing.T, method, url, token, body string, hdr ...string) response {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func TestAPIReads(t *testing.T) {
	srv, _ := newServer(t, storetest.OpenSQLite(t))
	base := srv.URL + "/catalog/v1"

	r := do(t, "GET", base+"/lists/admin-units/items?level=province&limit=100", "", "")
	if r.status != 200 || r.json(t)["total"].(float64) != 34 {
		t.Fatalf("provinces: %d %s", r.status, r.body[:200])
	}
	// The next page link and Link header.
	r = do(t, "GET", base+"/lists/admin-units/items?level=commune&limit=10", "", "")
	m := r.json(t)
	if m["total"].(float64) != 3321 || !strings.Contains(m["next"].(string), "offset=10") || !strings.Contains(r.header.Get("Link"), `rel="next"`) {
		t.Fatalf("communes page: %v %v", m["total"], m["next"])
	}
	// ETag and 304.
	etag := r.header.Get("ETag")
	r = do(t, "GET", base+"/lists/admin-units/items?level=commune&limit=10", "", "", "If-None-Match", etag)
	if etag == "" || r.status != http.StatusNotModified {
		t.Fatalf("etag %q: status %d", etag, r.status)
	}
	// The past.
	r = do(t, "GET", base+"/lists/admin-units/items?level=province&at=2025-06-01&limit=1", "", "")
	if r.json(t)["total"].(float64) != 63 {
		t.Fatalf("2025-06-01: %s", r.body)
	}
	// Search without diacritics.
	for _, q := range []string{"ha%20noi", "HA%20NOI", "H%C3%A0%20N%E1%BB%99i"} {
		r = do(t, "GET", base+"/lists/admin-units/items?q="+q, "", "")
		items := r.json(t)["items"].([]any)
		if len(items) == 0 || items[0].(map[string]any)["code"] != "01" {
			t.Fatalf("search %s: %s", q, r.body)
		}
	}
	// Translation.
	r = do(t, "GET", base+"/admin-units/translate?code=00013", "", "")
	to := r.json(t)["to"].([]any)
	if len(to) != 1 || to[0].(map[string]any)["code"] != "00004" {
		t.Fatalf("translate: %s", r.body)
	}
	// One item, and an agency code with dots.
	r = do(t, "GET", base+"/lists/agencies/items/000.00.00.G22", "", "")
	if r.status != 200 || r.json(t)["name"] != "Văn phòng Chính phủ" {
		t.Fatalf("agency: %d %s", r.status, r.body)
	}
	// CSV export with BOM and header.
	r = do(t, "GET", base+"/lists/ethnic-groups/export?format=csv", "", "")
	if r.status != 200 || !strings.HasPrefix(string(r.body), "\uFEFFcode,name,name_en") || !strings.Contains(string(r.body), "Kinh") {
		t.Fatalf("csv: %d %.100s", r.status, r.body)
	}
	r = do(t, "GET", base+"/lists/countries/export?format=json", "", "")
	if r.json(t)["total"].(float64) != 249 {
		t.Fatalf("countries json: %.200s", r.body)
	}
}

func TestAPIErrors(t *testing.T) {
	srv, _ := newServer(t, storetest.OpenSQLite(t))
	base := srv.URL + "/catalog/v1"
	cases := []struct {
		name, method, url, body string
		status                  int
		code                    string
		fields                  int
	}{
		{"unknown list", "GET", "/lists/nope/items", "", 404, "catalog.list_not_found", 0},
		{"unknown item", "GET", "/lists/admin-units/items/99999", "", 404, "catalog.item_not_found", 0},
		{"bad query", "GET", "/lists/admin-units/items?at=2025-02-30&limit=abc", "", 422, "invalid_input", 1},
		{"bad ranges", "GET", "/lists/admin-units/items?at=2025-13-01&limit=0&offset=-1", "", 422, "invalid_input", 2},
		{"unknown route", "GET", "/nothing", "", 404, "", 0},
		{"bad export format", "GET", "/lists/religions/export?format=xml", "", 422, "invalid_input", 1},
	}
	for _, c := range cases {
		r := do(t, c.method, base+c.url, "", c.body)
		if r.status != c.status || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s %s", c.name, r.status, r.header.Get("Content-Type"), r.body)
			continue
		}
		m := r.json(t)
		if c.code != "" && m["code"] != c.code {
			t.Errorf("%s: code %v", c.name, m["code"])
		}
		if c.fields > 0 {
			if errs, _ := m["errors"].([]any); len(errs) < c.fields {
				t.Errorf("%s: errors %v", c.name, m["errors"])
			}
		}
		if title, _ := m["title"].(string); title == "" {
			t.Errorf("%s: no Vietnamese title", c.name)
		}
	}
}

func TestAPIWritesNeedTheAdminCredentialAndAreAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, svc := newServer(t, db)
		base := srv.URL + "/catalog/v1"
		ctx := context.Background()

		for _, tok := range []string{"", "wrong"} {
			r := do(t, "POST", base+"/lists", tok, `{"code":"x","name":"X","owner_agency":"000.00.00.G22"}`)
			if r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
				t.Fatalf("token %q: %d %s", tok, r.status, r.body)
			}
		}
		denied, _ := audit.List(ctx, db, audit.Query{Action: "catalog.write"})
		if len(denied) != 2 || denied[0].Result != audit.Denied || denied[0].SourceIP == "" {
			t.Fatalf("refusals not audited: %+v", denied)
		}

		r := do(t, "POST", base+"/lists", testToken, `{"code":"vsic","name":"Hệ thống ngành kinh tế","name_en":"VSIC","owner_agency":"000.00.00.G12"}`)
		if r.status != 201 || r.header.Get("Location") != "/catalog/v1/lists/vsic" {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		r = do(t, "POST", base+"/lists", testToken, `{"code":"vsic","name":"x","owner_agency":"y"}`)
		if r.status != 409 {
			t.Fatalf("duplicate: %d", r.status)
		}
		r = do(t, "POST", base+"/lists", testToken, `{"code":"vsic",`)
		if r.status != 400 {
			t.Fatalf("malformed JSON: %d %s", r.status, r.body)
		}
		r = do(t, "POST", base+"/lists/vsic/draft/items", testToken, `{"code":"A","name":"Nông nghiệp, lâm nghiệp và thủy sản","valid_from":"2026-01-01"}`)
		if r.status != 202 {
			t.Fatalf("stage: %d %s", r.status, r.body)
		}
		r = do(t, "POST", base+"/lists/vsic/draft/items", testToken, `{"code":"?","name":"","parent":"ZZ"}`)
		if r.status != 422 || len(r.json(t)["errors"].([]any)) != 2 {
			t.Fatalf("invalid stage: %d %s", r.status, r.body)
		}
		r = do(t, "GET", base+"/lists/vsic/draft", testToken, "")
		if r.json(t)["total"].(float64) != 1 {
			t.Fatalf("draft: %s", r.body)
		}
		r = do(t, "POST", base+"/lists/vsic/versions", testToken, `{"note":"Ban hành"}`)
		if r.status != 201 || r.json(t)["version"].(float64) != 1 {
			t.Fatalf("publish: %d %s", r.status, r.body)
		}
		r = do(t, "GET", base+"/lists/vsic/items/A", "", "")
		if r.status != 200 {
			t.Fatalf("published item: %d %s", r.status, r.body)
		}
		r = do(t, "POST", base+"/lists/vsic/versions", testToken, "")
		if r.status != 409 {
			t.Fatalf("empty publish: %d %s", r.status, r.body)
		}
		// Retire: an unknown successor is refused, a good one published.
		r = do(t, "POST", base+"/lists/vsic/draft/retirements", testToken, `{"code":"A","valid_to":"2026-12-31","replaced_by":[{"code":"Q","type":"full"}]}`)
		if r.status != 422 {
			t.Fatalf("retire with unknown successor: %d %s", r.status, r.body)
		}
		do(t, "POST", base+"/lists/vsic/draft/items", testToken, `{"code":"A1","name":"Nông nghiệp","valid_from":"2027-01-01"}`)
		r = do(t, "POST", base+"/lists/vsic/draft/retirements", testToken, `{"code":"A","valid_to":"2026-12-31","replaced_by":[{"code":"A1","type":"full"}]}`)
		if r.status != 202 {
			t.Fatalf("retire: %d %s", r.status, r.body)
		}
		if r = do(t, "POST", base+"/lists/vsic/versions", testToken, ""); r.status != 201 {
			t.Fatalf("publish 2: %d %s", r.status, r.body)
		}
		r = do(t, "GET", base+"/lists/vsic/translate?code=A&at=2027-02-01", "", "")
		if to := r.json(t)["to"].([]any); len(to) != 1 || to[0].(map[string]any)["code"] != "A1" {
			t.Fatalf("translate after retire: %s", r.body)
		}
		r = do(t, "GET", base+"/lists/vsic/versions", "", "")
		if r.json(t)["total"].(float64) != 2 {
			t.Fatalf("versions: %s", r.body)
		}
		var events int
		db.QueryRow(ctx, "SELECT COUNT(*) FROM bus_outbox WHERE type = ? AND subject = ?", EventChanged, "vsic").Scan(&events)
		if events != 2 {
			t.Fatalf("catalog.changed events for 2 publishes: %d", events)
		}
		rep, _ := audit.Verify(ctx, db)
		if !rep.OK {
			t.Fatalf("audit chain: %+v", rep)
		}
		_ = svc
	})
}

func TestPagesSpeakVietnamese(t *testing.T) {
	srv, _ := newServer(t, storetest.OpenSQLite(t))
	for _, c := range []struct {
		path   string
		status int
		want   string
	}{
		{"/catalog/", 200, "Danh mục điện tử dùng chung"},
		{"/catalog/?q=ha+noi", 200, "Thành phố Hà Nội"},
		{"/catalog/lists/admin-units", 200, "34 mục có hiệu lực"},
		{"/catalog/lists/admin-units?parent=01", 200, "Phường Ba Đình"},
		{"/catalog/lists/admin-units?at=2025-06-01", 200, "63 mục có hiệu lực ngày 01/06/2025"},
		{"/catalog/lists/admin-units/items/00013", 200, "Phường Ba Đình"},
		{"/catalog/translate?code=00013", 200, "Phường Ba Đình"},
		{"/catalog/translate?code=99999", 404, "Không tìm thấy mã 99999"},
		{"/catalog/lists/admin-units?at=2025-02-30", 422, "Ngày"},
		{"/catalog/lists/nope", 404, "Không tìm thấy danh mục nope"},
		{"/catalog/?lang=en", 200, "Shared e-catalogs"},
	} {
		r := do(t, "GET", srv.URL+c.path, "", "")
		if r.status != c.status || !strings.Contains(string(r.body), c.want) {
			t.Errorf("%s: %d, want %d with %q", c.path, r.status, c.status, c.want)
		}
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: content type %s", c.path, r.header.Get("Content-Type"))
		}
	}
}
